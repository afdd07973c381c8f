/**
 * Cold start: wall time from spawning a fresh process to the printed result of a tiny
 * PVM program, for pvmkit and for anan-as (`@fluffylabs/anan-as/release-stub`) on Node,
 * Deno and Bun, in the same run.
 *
 * The program is `handmade/xorshift-n1000.pvm` from the shared data (a generic blob,
 * 9,006 instructions, no memory), or, if that is absent, examples/fibonacci.pvmasm
 * assembled here and run with r7 = 10. Its bytes are written into small child scripts in
 * `.bench-out/cold-start/` (removed afterwards), one per engine, so the child does nothing but import the engine,
 * load the bytes, run them and print one JSON line: the exit, gas, all 13 registers (which
 * must agree between the engines) and its own clock at three points (`performance.now()`
 * at the top of the script, after the engine's import, after the run), which split the
 * time into runtime boot, import and run.
 *
 * Per runtime the variants are spawned round-robin, `--warmup` times unmeasured (this also
 * fills Deno's transpile cache) and then `--runs` times; the median time to the result
 * line is reported with the ratio pvmkit / anan-as (PASS when below 1), and, as a steadier
 * second view, the ratio of the import + run times the children measured themselves
 * (process start-up varies a lot from spawn to spawn on a busy machine). pvmkit runs as:
 *
 * - node: `dist/mod.js` (the built package, `npm run build`), else `mod.ts` via tsx;
 *   also `mod.ts` via `node --import tsx` (what a source checkout pays) when dist exists;
 * - deno and bun: `mod.ts` (source, as a Deno or Bun user imports it) and `dist/mod.js`;
 * - plus `engine only` rows that import just the engine module (no assembler, disassembler,
 *   trace or gas-model re-exports), to show what the full `mod.ts` import chain costs.
 *
 * Usage: `tsx bench/cold_start_bench.ts [--runs N] [--warmup N] [--only node,deno,bun]
 * [--out FILE]` (default `.bench-out/cold-start.json`). Runtimes are found in
 * node_modules/.bin (deno, bun) and `process.execPath` / `node` on the PATH for Node.
 * Exit status 1 if a child failed or the engines' results differed.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { argOption, median, readBytes, REPO_ROOT, sharedPath } from "./_shared.ts";
import { assemble } from "../src/isa/assembler.ts";

const RUNS = Number(argOption("runs", "10"));
const WARMUP = Number(argOption("warmup", "2"));
const ONLY = argOption("only", "node,deno,bun").split(",").filter(Boolean);
const OUT = argOption("out", join(REPO_ROOT, ".bench-out", "cold-start.json"));
const GAS = 1_000_000n;

/** The tiny program: bytes, initial registers, and a name for the table. */
function program(): { name: string; bytes: Uint8Array; registers: bigint[] } {
  const registers = new Array<bigint>(13).fill(0n);
  const xorshift = sharedPath("programs", "handmade", "xorshift-n1000.pvm");
  if (xorshift) return { name: "xorshift-n1000 (9,006 instructions)", bytes: readBytes(xorshift), registers };
  const source = readFileSync(join(REPO_ROOT, "examples", "fibonacci.pvmasm"), "utf8");
  registers[7] = 10n;
  return { name: "fibonacci.pvmasm, n = 10 (57 instructions)", bytes: assemble(source), registers };
}

/** The child script for pvmkit, importing `Module` from `url`. */
function oursScript(url: string, bytes: Uint8Array, registers: bigint[]): string {
  return `const t0 = performance.now();
const { Module } = await import(${JSON.stringify(url)});
const t1 = performance.now();
const bytes = new Uint8Array([${bytes.join(",")}]);
const vm = Module.load(bytes, { format: "generic" }).instantiate({
  gas: ${GAS}n,
  registers: [${registers.map((r) => `${r}n`).join(", ")}],
});
const exit = vm.run();
const t2 = performance.now();
console.log(JSON.stringify({ kind: exit.kind, pc: exit.pc, gas: String(exit.gas), registers: vm.registers.map(String), t0, t1, t2 }));
`;
}

/** The child script for anan-as (see programs/README.md "How to run on the peers"). */
function ananScript(url: string, bytes: Uint8Array, registers: bigint[]): string {
  return `const t0 = performance.now();
const a = await import(${JSON.stringify(url)});
const t1 = performance.now();
const bytes = [${bytes.join(",")}];
const prepared = a.prepareProgram(a.InputKind.Generic, a.HasMetadata.No, bytes,
  [${registers.map((r) => `${r}n`).join(", ")}], [], [], [], 0);
const id = a.pvmStart(prepared, false);
const p = a.pvmResume(id, ${GAS}n, 0, false);
a.pvmDestroy(id);
const t2 = performance.now();
const kinds = ["halt", "panic", "fault", "host", "oog"];
console.log(JSON.stringify({ kind: kinds[p.status] ?? String(p.status), pc: p.pc, gas: String(p.gas),
  registers: p.registers.map((r) => BigInt.asUintN(64, BigInt(r)).toString()), t0, t1, t2 }));
`;
}

/** One way of running one engine in one runtime. */
interface Variant {
  runtime: string;
  /** "anan-as", or how pvmkit is loaded. */
  label: string;
  engine: "anan-as" | "pvmkit";
  /** The row compared with anan-as for PASS/FAIL. */
  primary: boolean;
  cmd: string;
  args: string[];
}

/** What one spawn produced. */
interface Sample {
  resultMs: number;
  exitMs: number;
  boot: number;
  import: number;
  run: number;
  result: string;
}

/** Spawn one child; time to the first stdout line and to exit. */
function spawnOnce(variant: Variant): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(variant.cmd, variant.args, {
      cwd: REPO_ROOT, // where a project runs its code from (Deno finds deno.json and node_modules here)
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let out = "";
    let err = "";
    let resultMs = NaN;
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      if (Number.isNaN(resultMs) && chunk.includes("\n")) resultMs = performance.now() - t0;
      out += chunk;
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (err += chunk));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const exitMs = performance.now() - t0;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) {
        reject(new Error(`${variant.runtime} ${variant.label}: ${signal ?? `exit ${code}`}: ${(err || out).trim()}`));
        return;
      }
      const parsed = JSON.parse(line);
      const result = JSON.stringify([parsed.kind, parsed.pc, parsed.gas, parsed.registers]);
      resolve({
        resultMs,
        exitMs,
        boot: parsed.t0,
        import: parsed.t1 - parsed.t0,
        run: parsed.t2 - parsed.t1,
        result,
      });
    });
  });
}

/** Medians of one variant. */
export interface ColdStartRow {
  runtime: string;
  label: string;
  engine: string;
  primary: boolean;
  runs: number;
  /** Median ms from spawn to the result line. */
  resultMs: number;
  /** Median ms from spawn to process exit. */
  exitMs: number;
  /** Medians of the child's own clock: runtime boot (until the script starts), import, run. */
  bootMs: number;
  importMs: number;
  runMs: number;
  /** Median of import + run: the engine's own share, without the runtime's boot. */
  engineMs: number;
  /** Median result time / anan-as's in the same runtime. */
  ratio?: number;
  /** Median engine time / anan-as's (less sensitive to the noise of process start-up). */
  engineRatio?: number;
  samplesMs: number[];
}

function variants(dir: string, hasDist: boolean): Variant[] {
  const bin = (name: string) => join(REPO_ROOT, "node_modules", ".bin", name);
  const node = "Deno" in globalThis || "Bun" in globalThis ? "node" : process.execPath;
  const tsxLoader = pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
  const script = (name: string) => join(dir, name);
  const list: Variant[] = [];
  const add = (runtime: string, label: string, engine: Variant["engine"], primary: boolean, argv: string[]) => {
    const [cmd, ...args] = argv;
    list.push({ runtime, label, engine, primary, cmd, args });
  };
  if (ONLY.includes("node")) {
    add("node", "anan-as", "anan-as", false, [node, script("anan.mjs")]);
    if (hasDist) add("node", "dist/mod.js", "pvmkit", true, [node, script("ours-dist.mjs")]);
    add("node", "mod.ts via tsx", "pvmkit", !hasDist, [node, "--import", tsxLoader, script("ours-src.mjs")]);
  }
  if (ONLY.includes("deno")) {
    // The scripts sit in an ignored directory, where Deno does not pick up deno.json by itself.
    const deno = bin("deno");
    const denoRun = ["run", "-A", "--config", join(REPO_ROOT, "deno.json")];
    add("deno", "anan-as", "anan-as", false, [deno, ...denoRun, script("anan.mjs")]);
    add("deno", "mod.ts", "pvmkit", true, [deno, ...denoRun, script("ours-src.mjs")]);
    add("deno", "src engine only", "pvmkit", false, [deno, ...denoRun, script("ours-src-engine.mjs")]);
    if (hasDist) add("deno", "dist/mod.js", "pvmkit", false, [deno, ...denoRun, script("ours-dist.mjs")]);
  }
  if (ONLY.includes("bun")) {
    const bun = bin("bun");
    add("bun", "anan-as", "anan-as", false, [bun, script("anan.mjs")]);
    add("bun", "mod.ts", "pvmkit", true, [bun, script("ours-src.mjs")]);
    add("bun", "src engine only", "pvmkit", false, [bun, script("ours-src-engine.mjs")]);
    if (hasDist) add("bun", "dist/mod.js", "pvmkit", false, [bun, script("ours-dist.mjs")]);
  }
  return list;
}

async function main(): Promise<number> {
  const { name, bytes, registers } = program();
  const hasDist = existsSync(join(REPO_ROOT, "dist", "mod.js"));
  // Inside the repository (in .bench-out/, which git ignores), as a project's own script would be.
  const dir = join(REPO_ROOT, ".bench-out", "cold-start");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const url = (...parts: string[]) => pathToFileURL(join(REPO_ROOT, ...parts)).href;
  const anan = url("node_modules", "@fluffylabs", "anan-as", "dist", "build", "release-stub.js");
  writeFileSync(join(dir, "anan.mjs"), ananScript(anan, bytes, registers));
  writeFileSync(join(dir, "ours-src.mjs"), oursScript(url("mod.ts"), bytes, registers));
  writeFileSync(join(dir, "ours-src-engine.mjs"), oursScript(url("src", "engine.ts"), bytes, registers));
  writeFileSync(join(dir, "ours-dist.mjs"), oursScript(url("dist", "mod.js"), bytes, registers));

  const all = variants(dir, hasDist);
  const load = loadavg()[0];
  process.stderr.write(
    `cold start: ${name}; ${all.length} variants × (${WARMUP} warm-up + ${RUNS} runs), round-robin per runtime, ` +
      `load average ${load.toFixed(2)}${hasDist ? "" : "; no dist/ (run npm run build): node uses tsx"}\n`,
  );
  const samples = new Map<Variant, Sample[]>(all.map((v) => [v, []]));
  const problems: string[] = [];
  try {
    for (const runtime of ONLY) {
      const group = all.filter((v) => v.runtime === runtime);
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const variant of group) {
          try {
            const sample = await spawnOnce(variant);
            if (i >= WARMUP) samples.get(variant)!.push(sample);
          } catch (error) {
            problems.push(error instanceof Error ? error.message : String(error));
          }
        }
      }
      process.stderr.write(`cold start: ${runtime} done\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Every spawn of every variant must print the same machine state.
  const results = new Set([...samples.values()].flat().map((s) => s.result));
  if (results.size > 1) problems.push(`engines disagree: ${[...results].join(" vs ")}`);

  const rows: ColdStartRow[] = all.map((v) => {
    const s = samples.get(v)!;
    return {
      runtime: v.runtime,
      label: v.label,
      engine: v.engine,
      primary: v.primary,
      runs: s.length,
      resultMs: median(s.map((x) => x.resultMs)),
      exitMs: median(s.map((x) => x.exitMs)),
      bootMs: median(s.map((x) => x.boot)),
      importMs: median(s.map((x) => x.import)),
      runMs: median(s.map((x) => x.run)),
      engineMs: median(s.map((x) => x.import + x.run)),
      samplesMs: s.map((x) => Math.round(x.resultMs * 10) / 10),
    };
  });
  for (const row of rows) {
    const anan = rows.find((r) => r.runtime === row.runtime && r.engine === "anan-as");
    if (row.engine === "pvmkit" && anan) {
      row.ratio = row.resultMs / anan.resultMs;
      row.engineRatio = row.engineMs / anan.engineMs;
    }
  }

  const f = (x: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(1));
  const table = [[
    "runtime",
    "engine",
    "result ms",
    "exit ms",
    "boot",
    "import",
    "run",
    "import+run",
    "ours/anan-as",
    "verdict",
    "import+run ratio",
  ]];
  for (const r of rows) {
    const verdict = r.engine === "anan-as"
      ? ""
      : r.ratio === undefined || Number.isNaN(r.ratio)
      ? "n/a"
      : `${r.ratio < 1 ? "PASS" : "FAIL"}${r.primary ? "" : " (info)"}`;
    table.push([
      r.runtime,
      r.engine === "anan-as" ? "anan-as release-stub" : `pvmkit ${r.label}`,
      f(r.resultMs),
      f(r.exitMs),
      f(r.bootMs),
      f(r.importMs),
      f(r.runMs),
      f(r.engineMs),
      r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`,
      verdict,
      r.engineRatio === undefined ? "" : `${r.engineRatio.toFixed(2)}x`,
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log(`cold start (spawn → printed result), median of ${RUNS} spawns; program: ${name}`);
  console.log("boot / import / run: the child's own clock (ms since its time origin, import, run)");
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  for (const p of problems) console.log(`problem: ${p}`);

  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify({ date: new Date().toISOString(), program: name, loadAverage: load, rows, problems }, null, 2),
  );
  return problems.length > 0 ? 1 : 0;
}

process.exitCode = await main();
