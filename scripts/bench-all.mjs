#!/usr/bin/env node
// Runs bench/interpreter_bench.ts under Node (via tsx), Deno and Bun, one runtime after the
// other, prints each runtime's own table and then one combined table of pvmkit vs anan-as
// throughput with the targets: at least 2x anan-as on Node and Deno, at least 1x on Bun.
//
// Usage: node scripts/bench-all.mjs [--only node,deno,bun] [--strict] [bench options]
//   bench options are passed through: --runs N, --warmup N, --programs xorshift,fib,game-of-life,
//   --backend interpreter|recompiler (pvmkit's backend; default interpreter)
// On a terminal a live progress line is shown; with CI set or output piped, plain lines.
// Exit status: 1 if a runtime failed to run the bench or the two engines' results differed;
// a missed speed target (FAIL) or a ratio that could not be measured because anan-as did not
// load (n/a) is reported in the table but only changes the exit status with --strict.
// Each runtime's full results are in .bench-out/<runtime>.json, the combined table in
// .bench-out/summary.json. If the shared program data is absent this says so and exits 0.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ROOT as root, scriptCommand, takeOnly } from "./_runtimes.mjs";

const outDir = join(root, ".bench-out");
const benchFile = join("bench", "interpreter_bench.ts");

const args = process.argv.slice(2);
const { only } = takeOnly(args);
const strictAt = args.indexOf("--strict");
const strict = strictAt >= 0;
if (strict) args.splice(strictAt, 1);

/** Speed targets: minimum pvmkit/anan-as ratio per runtime. */
const TARGETS = { node: 2, deno: 2, bun: 1 };

const sharedDir = process.env.PVMKIT_SHARED || join(root, "..", "shared");
if (!existsSync(join(sharedDir, "programs"))) {
  console.log(
    `bench: shared program data not found at ${join(sharedDir, "programs")}; ` +
      `set PVMKIT_SHARED to the shared data directory. Nothing to benchmark.`,
  );
  process.exit(0);
}

const live = Boolean(process.stdout.isTTY) && !process.env.CI;
let status = "";
function setStatus(text) {
  if (!live) return;
  status = text;
  process.stdout.write(`\r\x1b[K${text}`);
}
function print(text) {
  if (live && status) process.stdout.write("\r\x1b[K");
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
  if (live && status) process.stdout.write(status);
}

/** Split a stream into lines, calling `onLine` for each complete one. */
function lines(stream, onLine) {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  stream.on("end", () => buffer && onLine(buffer));
}

/** Run the bench under one runtime; resolves with its parsed JSON or an error message. */
function runOne(name, index) {
  const [cmd, argv] = scriptCommand(name, benchFile);
  const runtime = { cmd, argv };
  const out = join(outDir, `${name}.json`);
  rmSync(out, { force: true });
  const started = Date.now();
  const tag = `[${name} ${index + 1}/${only.length}]`;
  setStatus(`${tag} starting...`);
  if (!live) print(`== ${name}: running ${[runtime.cmd, ...runtime.argv].join(" ")}`);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(runtime.cmd, [...runtime.argv, ...args, "--out", out], {
        cwd: root,
        env: {
          ...process.env,
          NO_COLOR: "1",
          FORCE_COLOR: "0",
          ...(live ? { PVMKIT_BENCH_PROGRESS: "json" } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      resolve({ error: `could not start ${runtime.cmd}: ${error.message}` });
      return;
    }
    const timer = setTimeout(() => child.kill("SIGTERM"), 10 * 60 * 1000);
    let stdout = "";
    const stderrTail = [];
    let spawnError;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => (stdout += chunk));
    lines(child.stderr, (line) => {
      if (line.startsWith("@progress ")) {
        const e = JSON.parse(line.slice("@progress ".length));
        const seconds = ((Date.now() - started) / 1000).toFixed(0);
        if (e.engine) setStatus(`${tag} ${e.program} · ${e.engine} · run ${e.run}/${e.of} · ${seconds}s`);
        return;
      }
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      print(live ? line : `[${name}] ${line}`);
    });
    child.on("error", (error) => (spawnError = error));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      setStatus("");
      print(`\n== ${name} (${seconds}s, ${signal ? `killed by ${signal}` : `exit ${code}`})`);
      if (stdout.trim()) print(stdout.trimEnd() + "\n");
      if (spawnError) {
        resolve({ error: `could not start ${runtime.cmd}: ${spawnError.message}`, seconds });
        return;
      }
      if (!existsSync(out)) {
        const why = stderrTail.filter((l) => l.trim()).slice(-1)[0] ?? "no output";
        resolve({ error: `${signal ? `killed by ${signal}` : `exit ${code}`}: ${why}`, seconds });
        return;
      }
      resolve({ result: JSON.parse(readFileSync(out, "utf8")), exitCode: code, seconds });
    });
  });
}

function table(rows, right) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd())
    .join("\n");
}
const fmt = (x) => (x === undefined ? "n/a" : x.toFixed(1));

mkdirSync(outDir, { recursive: true });
const summary = [];
let broken = false;
let missed = false;
for (const [index, name] of only.entries()) {
  const run = await runOne(name, index);
  const target = TARGETS[name];
  if (run.error) {
    broken = true;
    summary.push({ runtime: name, program: "(all)", target, verdict: `FAIL: bench did not run (${run.error})` });
    continue;
  }
  const { result } = run;
  for (const p of result.programs) {
    const row = {
      runtime: name,
      program: p.name,
      ours: p.ours?.mInstrPerSec,
      anan: p.anan?.mInstrPerSec,
      ratio: p.ratio,
      target,
    };
    if (p.skipped) row.verdict = `skipped (${p.skipped})`;
    else if (!p.ok) {
      broken = true;
      row.verdict = `FAIL: results differ (see above)`;
    } else if (!result.ananAs.available) {
      missed = true;
      row.verdict = `n/a: anan-as failed to load under ${name} (${result.ananAs.error})`;
    } else if (p.ratio >= target) row.verdict = "PASS";
    else {
      missed = true;
      row.verdict = "FAIL";
    }
    summary.push(row);
  }
}

const rows = [["runtime", "program", "ours M instr/s", "anan-as M instr/s", "ours/anan-as", "target", "verdict"]];
for (const r of summary) {
  rows.push([
    r.runtime,
    r.program,
    fmt(r.ours),
    fmt(r.anan),
    r.ratio === undefined ? "n/a" : `${r.ratio.toFixed(2)}x`,
    `>= ${r.target}x`,
    r.verdict,
  ]);
}
const backend = args.includes("--backend") ? args[args.indexOf("--backend") + 1] : "interpreter";
print(`== pvmkit (${backend}) vs anan-as (release-stub), median of each runtime's measured runs\n`);
print(table(rows, [false, false, true, true, true, false, false]));
writeFileSync(join(outDir, "summary.json"), JSON.stringify({ date: new Date().toISOString(), rows: summary }, null, 2));
process.exit(broken || (strict && missed) ? 1 : 0);
