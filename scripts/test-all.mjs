#!/usr/bin/env node
// Runs the one test suite (node:test + node:assert/strict) under Node (via tsx), Deno and
// Bun, prints each runtime's counts and a closing `total: N passed, N failed` line, and
// exits non-zero if any runtime failed or ran no test.
// Usage: node scripts/test-all.mjs [--only node,deno,bun] [test files...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { bin, ROOT, takeOnly } from "./_runtimes.mjs";

const root = ROOT;
const args = process.argv.slice(2);
const { only, given: onlyGiven } = takeOnly(args);
const files = args.length > 0
  ? args
  : readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts")).sort().map((f) => join("tests", f));

/** Count leaf test points in TAP output (suites are test points that close a nested plan). */
function countTap(text) {
  let passed = 0, failed = 0, skipped = 0;
  let lastPlanIndent = -1;
  for (const line of text.split("\n")) {
    const plan = /^(\s*)1\.\.\d+/.exec(line);
    if (plan) {
      lastPlanIndent = plan[1].length;
      continue;
    }
    const point = /^(\s*)(not ok|ok) \d+/.exec(line);
    if (!point) continue;
    const indent = point[1].length;
    const isSuite = lastPlanIndent > indent;
    lastPlanIndent = -1;
    if (isSuite) continue;
    if (/# SKIP/i.test(line)) skipped++;
    else if (point[2] === "ok") passed++;
    else failed++;
  }
  return { passed, failed, skipped };
}

function countBun(text) {
  const num = (word) => Number((new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text) ?? [0, 0])[1]);
  return { passed: num("pass"), failed: num("fail"), skipped: num("skip") };
}

const runtimes = {
  node: { cmd: bin("tsx"), argv: ["--test", "--test-reporter=tap", ...files], count: countTap },
  deno: { cmd: bin("deno"), argv: ["test", "-A", "--no-check", "--reporter=tap", ...files], count: countTap },
  bun: { cmd: bin("bun"), argv: ["test", "--timeout", "600000", ...files.map((f) => "./" + f)], count: countBun },
};

const total = { passed: 0, failed: 0, skipped: 0 };
let broken = false;

// Static checks (one test each): deno lint, deno fmt --check, deno check.
if (!onlyGiven && args.length === 0) {
  const checks = [
    ["deno lint", ["lint"]],
    ["deno fmt --check", ["fmt", "--check"]],
    ["deno check", ["check", "mod.ts", "crypto.ts", "cli.ts"]],
    ["deno doc --lint", ["doc", "--lint", "mod.ts", "crypto.ts"]],
    // Every JSDoc @example must run (type-checking is off: deno's injected imports trip noUnusedLocals).
    ["JSDoc examples run", ["test", "--doc", "--no-check", "-A", "mod.ts", "crypto.ts", "src/"]],
  ];
  for (const [label, argv] of checks) {
    const result = spawnSync(bin("deno"), argv, {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    const ok = result.status === 0;
    if (!ok) process.stdout.write((result.stdout ?? "") + (result.stderr ?? ""));
    console.log(`${ok ? "ok" : "not ok"} - static: ${label}`);
    total[ok ? "passed" : "failed"]++;
  }
}

for (const name of only) {
  const runtime = runtimes[name];
  if (!runtime) throw new Error(`unknown runtime ${name}`);
  const started = Date.now();
  const result = spawnSync(runtime.cmd, runtime.argv, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 20 * 60 * 1000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const output = (result.stdout ?? "") + (result.stderr ?? "");
  process.stdout.write(output);
  const counts = runtime.count(output);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const exitNote = result.error ? `error: ${result.error.message}` : `exit ${result.status}`;
  console.log(
    `\n== ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${exitNote}, ${seconds}s)\n`,
  );
  if (result.status !== 0 || counts.passed === 0) {
    broken = true;
    if (counts.failed === 0) counts.failed = 1; // a runtime that crashed or ran nothing counts as a failure
  }
  for (const k of Object.keys(total)) total[k] += counts[k];
}
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(broken || total.failed > 0 ? 1 : 0);
