#!/usr/bin/env node
// Runs the one test suite (node:test + node:assert/strict) under Node (via tsx), Deno and
// Bun, prints each runtime's counts and a closing `total: N passed, N failed` line, and
// exits non-zero if any runtime failed or ran no test.
// Usage: node scripts/test-all.mjs [--only node,deno,bun] [test files...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { bin, ROOT as root, takeOnly } from "./_runtimes.mjs";

const args = process.argv.slice(2);
const { only, given: onlyGiven } = takeOnly(args);
const files = args.length > 0
  ? args
  : readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts")).sort().map((f) => join("tests", f));

/**
 * Count leaf test points in TAP output (suites are test points that close a nested plan), and
 * keep each failed one's line with the start of its YAML diagnostics block.
 */
function countTap(text) {
  let passed = 0, failed = 0, skipped = 0;
  const failures = [];
  let lastPlanIndent = -1;
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
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
    else {
      failed++;
      const detail = [];
      for (const next of lines.slice(index + 1, index + 1 + MAX_FAILURE_LINES)) {
        if (/^\s*\.\.\.$/.test(next)) break;
        // deno's TAP diagnostics are JSON with colour codes on one line: strip and shorten them.
        detail.push(next.replace(/\\u001b\[[0-9;]*m/g, "").slice(0, 600));
      }
      failures.push([line.trim(), ...detail].join("\n"));
    }
  }
  return { passed, failed, skipped, failures };
}

/** Lines of a failed test's diagnostics repeated in the closing summary. */
const MAX_FAILURE_LINES = 12;

function countBun(text) {
  const num = (word) => Number((new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text) ?? [0, 0])[1]);
  const failures = text.split("\n").filter((line) => line.startsWith("(fail)"));
  return { passed: num("pass"), failed: num("fail"), skipped: num("skip"), failures };
}

const runtimes = {
  node: { cmd: bin("tsx"), argv: ["--test", "--test-reporter=tap", ...files], count: countTap },
  deno: { cmd: bin("deno"), argv: ["test", "-A", "--no-check", "--reporter=tap", ...files], count: countTap },
  bun: { cmd: bin("bun"), argv: ["test", "--timeout", "600000", ...files.map((f) => "./" + f)], count: countBun },
};

const total = { passed: 0, failed: 0, skipped: 0 };
/** What failed, repeated just above the total so the tail of a CI log names it. */
const failedTests = [];
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
    if (!ok) failedTests.push(`static: ${label}`);
  }
}

for (const name of only) {
  const runtime = runtimes[name];
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
    if (counts.failed === 0) {
      counts.failed = 1; // a runtime that crashed or ran nothing counts as a failure
      failedTests.push(`${name}: the runtime ${exitNote} without a failed test (${counts.passed} passed)`);
    }
  }
  for (const failure of counts.failures) failedTests.push(`${name}: ${failure}`);
  for (const k of Object.keys(total)) total[k] += counts[k];
}
if (failedTests.length > 0) console.log(`\nfailed:\n${failedTests.join("\n")}\n`);
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(broken || total.failed > 0 ? 1 : 0);
