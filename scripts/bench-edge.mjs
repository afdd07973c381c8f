#!/usr/bin/env node
// Edge-runtime benchmarks: HTTP requests/s of the examples/http servers (interpreter vs auto)
// under Node, Deno and Bun (bench/http_bench.ts, each runtime with its own server), then cold
// start of a tiny program against anan-as on all three (bench/cold_start_bench.ts), and one
// combined summary. Builds dist/ first (npm run build) so that Node's cold start measures the
// built package; if the build fails that is reported and Node falls back to tsx.
//
// Usage: node scripts/bench-edge.mjs [--only node,deno,bun] [--skip-build] [--no-http] [--no-cold]
//   [--http-runs N] [--light N] [--heavy N] [--concurrency N] [--cold-runs N] [--strict]
// Results: .bench-out/http-<runtime>.json, .bench-out/cold-start.json, .bench-out/edge-summary.json.
// Exit status 1 if a bench failed to run or an answer/result was wrong; a cold start slower than
// anan-as (FAIL) only changes the exit status with --strict.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { bin, ROOT as root, scriptCommand, takeOnly } from "./_runtimes.mjs";

const outDir = join(root, ".bench-out");

const args = process.argv.slice(2);
const flag = (name) => {
  const at = args.indexOf(`--${name}`);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const value = (name) => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const v = args[at + 1];
  args.splice(at, 2);
  return v;
};
const { only } = takeOnly(args);
const skipBuild = flag("skip-build");
const noHttp = flag("no-http");
const noCold = flag("no-cold");
const strict = flag("strict");
const httpArgs = [];
for (const name of ["light", "heavy", "concurrency"]) {
  const v = value(name);
  if (v !== undefined) httpArgs.push(`--${name}`, v);
}
const httpRuns = value("http-runs");
if (httpRuns !== undefined) httpArgs.push("--runs", httpRuns);
const coldRuns = value("cold-runs");
if (args.length > 0) {
  console.error(`bench-edge: unknown arguments ${args.join(" ")}`);
  process.exit(2);
}

/** Run a command with inherited output; resolves with its exit code. */
function run(cmd, argv) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), 20 * 60 * 1000);
    child.on("error", (error) => {
      console.error(`bench-edge: could not start ${cmd}: ${error.message}`);
      clearTimeout(timer);
      resolve(-1);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}
const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined);

mkdirSync(outDir, { recursive: true });
let broken = false;
let missed = false;
const summary = { date: new Date().toISOString(), build: undefined, http: [], coldStart: [] };

if (!skipBuild && !noCold && only.includes("node")) {
  console.log("== npm run build (so Node's cold start measures dist/)");
  const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  summary.build = build.status === 0 ? "ok" : `failed (exit ${build.status})`;
  if (build.status !== 0) {
    process.stdout.write((build.stdout ?? "") + (build.stderr ?? ""));
    console.log("bench-edge: the build failed; Node's cold start runs mod.ts through tsx instead");
  }
}

if (!noHttp) {
  for (const name of only) {
    const out = join(outDir, `http-${name}.json`);
    rmSync(out, { force: true });
    console.log(`\n== HTTP bench on ${name}`);
    const [cmd, argv] = scriptCommand(name, join("bench", "http_bench.ts"));
    const code = await run(cmd, [...argv, ...httpArgs, "--out", out]);
    const result = readJson(out);
    if (code !== 0 || !result) broken = true;
    if (!result) {
      summary.http.push({ runtime: name, error: `exit ${code}, no results` });
      continue;
    }
    for (const workload of [...new Set(result.results.map((r) => r.workload))]) {
      const by = (backend) => result.results.find((r) => r.workload === workload && r.backend === backend);
      const interpreter = by("interpreter");
      const auto = by("auto");
      summary.http.push({
        runtime: name,
        version: result.version,
        workload,
        interpreter: interpreter?.reqPerSec,
        auto: auto?.reqPerSec,
        ratio: interpreter && auto ? auto.reqPerSec / interpreter.reqPerSec : undefined,
        ok: [interpreter, auto].every((r) => r && r.errors.length === 0),
      });
    }
  }
}

if (!noCold) {
  const out = join(outDir, "cold-start.json");
  rmSync(out, { force: true });
  console.log("\n== cold start");
  const coldArgs = ["--only", only.join(","), "--out", out, ...(coldRuns ? ["--runs", coldRuns] : [])];
  const code = await run(bin("tsx"), [join("bench", "cold_start_bench.ts"), ...coldArgs]);
  const result = readJson(out);
  if (code !== 0 || !result) broken = true;
  for (const row of result?.rows ?? []) {
    if (!row.primary) continue;
    const anan = result.rows.find((r) => r.runtime === row.runtime && r.engine === "anan-as");
    const measured = typeof row.ratio === "number" && Number.isFinite(row.ratio); // NaN arrives as null
    const pass = measured && row.ratio < 1;
    if (!pass) missed = true;
    summary.coldStart.push({
      runtime: row.runtime,
      ours: row.label,
      oursMs: row.resultMs,
      ananMs: anan?.resultMs,
      ratio: measured ? row.ratio : undefined,
      oursImportRunMs: row.engineMs,
      ananImportRunMs: anan?.engineMs,
      importRunRatio: row.engineRatio ?? undefined,
      verdict: measured ? (pass ? "PASS" : "FAIL") : "n/a",
    });
  }
}

const f0 = (x) => (x === undefined || x === null || Number.isNaN(x) ? "n/a" : x.toFixed(0));
const f1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? "n/a" : x.toFixed(1));
if (summary.http.length > 0) {
  console.log("\n== HTTP requests/s on loopback (median of rounds), pvmkit interpreter vs auto");
  const rows = [["runtime", "workload", "interpreter req/s", "auto req/s", "auto/interpreter", "answers"]];
  for (const r of summary.http) {
    if (r.error) rows.push([r.runtime, "(all)", "n/a", "n/a", "", `FAIL: ${r.error}`]);
    else {
      rows.push([
        `${r.runtime} ${r.version}`,
        r.workload,
        f0(r.interpreter),
        f0(r.auto),
        r.ratio === undefined ? "n/a" : `${r.ratio.toFixed(2)}x`,
        r.ok ? "all correct" : "FAIL",
      ]);
    }
  }
  console.log(table(rows));
}
if (summary.coldStart.length > 0) {
  console.log("\n== cold start, spawn → printed result (median ms), pvmkit vs anan-as in the same runtime");
  const rows = [[
    "runtime",
    "pvmkit as",
    "pvmkit ms",
    "anan-as ms",
    "ours/anan-as",
    "verdict",
    "import+run ms (ours / anan-as)",
    "ratio",
  ]];
  for (const r of summary.coldStart) {
    rows.push([
      r.runtime,
      r.ours,
      f1(r.oursMs),
      f1(r.ananMs),
      r.ratio ? `${r.ratio.toFixed(2)}x` : "n/a",
      r.verdict,
      `${f1(r.oursImportRunMs)} / ${f1(r.ananImportRunMs)}`,
      r.importRunRatio ? `${r.importRunRatio.toFixed(2)}x` : "n/a",
    ]);
  }
  console.log(table(rows));
}
writeFileSync(join(outDir, "edge-summary.json"), JSON.stringify(summary, null, 2));
process.exit(broken || (strict && missed) ? 1 : 0);
