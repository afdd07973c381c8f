#!/usr/bin/env node
// Runs one benchmark, bench/<NAME>_bench.ts, under Node (tsx), Deno and Bun, one after the
// other, and prints each runtime's tables; full results go to .bench-out/<NAME>-<runtime>.json.
// Usage: node scripts/bench-each-runtime.mjs NAME [--only node,deno,bun] [--runs N]
//   NAME: recompiler | gas | doom
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ROOT as root, scriptCommand, takeOnly } from "./_runtimes.mjs";

const args = process.argv.slice(2);
const { only } = takeOnly(args);
const benchName = args.shift();
if (!benchName || benchName.startsWith("-")) {
  console.error("usage: node scripts/bench-each-runtime.mjs NAME [--only node,deno,bun] [--runs N]");
  process.exit(2);
}
const bench = join("bench", `${benchName}_bench.ts`);
mkdirSync(join(root, ".bench-out"), { recursive: true });
let failed = false;
for (const name of only) {
  const [cmd, argv] = scriptCommand(name, bench);
  const json = join(root, ".bench-out", `${benchName}-${name}.json`);
  const result = spawnSync(cmd, [...argv, ...args, "--json", json], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`${benchName} bench failed on ${name} (exit ${result.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
