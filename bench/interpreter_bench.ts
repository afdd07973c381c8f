/**
 * Interpreter throughput: pvmkit against anan-as (its `release-stub` Wasm build) on the
 * same programs, in the same process.
 *
 * Each program is a long single run (millions of instructions), so instead of a
 * micro-benchmark framework this is a plain `performance.now()` harness: per program,
 * `--warmup` unmeasured runs and then `--runs` measured runs for each engine, taken in
 * alternating order so both see the same background noise; the median run time is
 * reported (short programs get more runs). Garbage collection is not forced between runs:
 * with Node 20, `gc()` between runs made pvmkit's runs markedly slower, which is not what
 * a long-lived embedder would see. Loading and instantiating happen outside the timed
 * region (their medians are in the JSON as `setupMedianMs`). Every program charges 1 gas
 * per instruction, so the gas used is the exact number of instructions executed.
 *
 * Both engines' results (exit kind, pc, gas left, all registers, and for game-of-life the
 * board page) are compared with each other and with known values; any difference is
 * printed and makes the exit code 2, as does an engine throwing.
 *
 * Output: a table on stdout, progress on stderr, and the full results as JSON in
 * `.bench-out/<runtime>.json` (or `--out FILE`).
 *
 * Usage: `tsx bench/interpreter_bench.ts [--runs N] [--warmup N] [--programs a,b] [--out FILE]`
 * (also `deno run -A` and `bun run`). pvmkit runs on its interpreter; `--backend recompiler`
 * measures the Wasm recompiler instead (compilation is cached, so the warm-up absorbs it). Programs are read from `$PVMKIT_SHARED/programs`
 * (default `../shared` beside the repository); if they are absent the bench says so and
 * exits 0. With `PVMKIT_BENCH_PROGRESS=json` progress is emitted as `@progress {json}`
 * lines on stderr, for `scripts/bench-all.mjs`.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { type Backend, Module } from "../src/engine.ts";
import { median, readBytes, REPO_ROOT, SHARED_DIR, sharedPath } from "./_shared.ts";

type AnanAs = typeof import("@fluffylabs/anan-as/release-stub");

/** A benchmark program and what it must produce. */
interface BenchProgram {
  /** Short name used in tables and `--programs`. */
  name: string;
  /** Path inside `$PVMKIT_SHARED/programs`. */
  file: string;
  /** Gas given to the run. */
  gas: bigint;
  /** Writable memory regions (page aligned). */
  pages: { address: number; length: number }[];
  /** Expected exit kind. */
  kind: string;
  /** Expected instructions executed (= gas used). */
  instructions: bigint;
  /** Expected register values, by index. */
  registers: Record<number, bigint>;
  /** Memory compared between the two engines after the run. */
  compareMemory?: { address: number; length: number };
  /** Multiplier on the warm-up and measured run counts, for short programs whose runs vary more. */
  repeat?: number;
}

const PROGRAMS: BenchProgram[] = [
  {
    name: "xorshift",
    file: "handmade/xorshift-n5555555.pvm",
    gas: 100_000_000n,
    pages: [],
    kind: "halt",
    instructions: 50_000_001n,
    registers: { 10: 0xce63ee949baa17b2n },
  },
  {
    name: "fib",
    file: "handmade/fib-n1000000.pvm",
    gas: 10_000_000n,
    pages: [],
    kind: "halt",
    instructions: 5_000_008n,
    // F(1_000_001) mod 2^64.
    registers: { 7: 0x2641a9a802e2699dn },
    repeat: 3,
  },
  {
    name: "game-of-life",
    file: "pvm-debugger/game-of-life.pvm",
    gas: 20_000_000n,
    pages: [{ address: 0x20000, length: 0x1000 }],
    // Never halts: runs the whole budget.
    kind: "oog",
    instructions: 20_000_000n,
    registers: {},
    compareMemory: { address: 0x20000, length: 0x1000 },
  },
];

/** The observable end state of one run. */
interface RunResult {
  kind: string;
  pc: number;
  gasLeft: bigint;
  registers: bigint[];
  memory?: Uint8Array;
}

/** One timed run. */
interface Timed {
  setupMs: number;
  runMs: number;
  result: RunResult;
}

/** Summary of one engine on one program. */
interface EngineSummary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runsMs: number[];
  setupMedianMs: number;
  instructions: string;
  mInstrPerSec: number;
  exit: { kind: string; pc: number; gasLeft: string; registers: string[]; memoryFnv1a?: string };
}

// ---------------------------------------------------------------------------------------
// Options and environment

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at < 0) return undefined;
  const value = argv[at + 1];
  if (value === undefined) usage(`${name} needs a value`);
  return value;
}
function usage(message: string): never {
  console.error(
    `${message}\nusage: interpreter_bench.ts [--runs N] [--warmup N] [--programs a,b] [--backend interpreter|recompiler] [--out FILE]`,
  );
  process.exit(1);
}
function count(name: string, fallback: number, min: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) usage(`${name}: expected an integer >= ${min}, got "${text}"`);
  return n;
}
for (const arg of argv) {
  if (arg.startsWith("--") && !["--runs", "--warmup", "--programs", "--out", "--backend"].includes(arg)) {
    usage(`unknown option ${arg}`);
  }
}

const RUNS = count("--runs", 5, 1);
const WARMUP = count("--warmup", 1, 0);
const wanted = option("--programs")?.split(",");
for (const name of wanted ?? []) {
  if (!PROGRAMS.some((p) => p.name === name)) usage(`unknown program "${name}" (${PROGRAMS.map((p) => p.name)})`);
}
const BACKEND = (option("--backend") ?? "interpreter") as Backend;
if (BACKEND !== "interpreter" && BACKEND !== "recompiler") {
  usage(`--backend: interpreter or recompiler, got "${BACKEND}"`);
}
const JSON_PROGRESS = process.env.PVMKIT_BENCH_PROGRESS === "json";

const denoGlobal = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
const RUNTIME = denoGlobal ? "deno" : process.versions.bun ? "bun" : "node";
const RUNTIME_VERSION = denoGlobal?.version.deno ?? process.versions.bun ?? process.versions.node;
const OUT = option("--out") ?? join(REPO_ROOT, ".bench-out", `${RUNTIME}.json`);

function ananVersion(): string {
  try {
    const path = join(REPO_ROOT, "node_modules", "@fluffylabs", "anan-as", "package.json");
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------------------
// Engines

function runOurs(module: Module, program: BenchProgram): Timed {
  const t0 = performance.now();
  const vm = module.instantiate({
    gas: program.gas,
    pc: 0,
    backend: BACKEND,
    memory: program.pages.map((p) => ({ address: p.address, length: p.length, access: "write" as const })),
  });
  const t1 = performance.now();
  const exit = vm.run();
  const t2 = performance.now();
  const m = program.compareMemory;
  return {
    setupMs: t1 - t0,
    runMs: t2 - t1,
    result: {
      kind: exit.kind,
      pc: exit.pc,
      gasLeft: exit.gas,
      registers: vm.registers,
      memory: m ? vm.memory.read(m.address, m.length, { ignoreAccess: true }) : undefined,
    },
  };
}

/** anan-as status codes, in its numbering. */
const ANAN_STATUS = ["halt", "panic", "fault", "host", "oog"];

function runAnan(anan: AnanAs, bytes: Uint8Array, program: BenchProgram): Timed {
  const code = Array.from(bytes);
  const t0 = performance.now();
  const prepared = anan.prepareProgram(
    anan.InputKind.Generic,
    anan.HasMetadata.No,
    code,
    new Array<bigint>(13).fill(0n),
    program.pages.map((p) => ({ address: p.address, length: p.length, access: 2 /* write */ })),
    [],
    [],
    // Preallocate the pages we map, so anan-as does not warn on stdout while running.
    program.pages.reduce((n, p) => n + Math.ceil(p.length / 4096), 0),
  );
  const id = anan.pvmStart(prepared, false);
  const t1 = performance.now();
  const pause = anan.pvmResume(id, program.gas, 0, false);
  const t2 = performance.now();
  const m = program.compareMemory;
  const memory = m ? anan.pvmReadMemory(id, m.address, m.length) ?? undefined : undefined;
  anan.pvmDestroy(id);
  if (!pause) throw new Error("anan-as pvmResume returned null");
  return {
    setupMs: t1 - t0,
    runMs: t2 - t1,
    result: {
      kind: ANAN_STATUS[pause.status as number] ?? `status ${pause.status}`,
      pc: pause.pc as number,
      gasLeft: BigInt(pause.gas as bigint),
      registers: pause.registers.map((r) => BigInt.asUintN(64, BigInt(r))),
      memory: memory ? new Uint8Array(memory) : undefined,
    },
  };
}

// ---------------------------------------------------------------------------------------
// Checking

const hex = (v: bigint): string => "0x" + v.toString(16);

/** Instructions executed: gas used, not counting the overdraft an out-of-gas exit may report. */
function executed(program: BenchProgram, r: RunResult): bigint {
  return program.gas - (r.gasLeft > 0n ? r.gasLeft : 0n);
}

/** 32-bit FNV-1a, to name a memory snapshot in the JSON. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Differences of one result from the program's known outcome. */
function checkExpected(program: BenchProgram, who: string, r: RunResult): string[] {
  const problems: string[] = [];
  if (r.kind !== program.kind) problems.push(`${who}: exit ${r.kind}, expected ${program.kind}`);
  const n = executed(program, r);
  if (n !== program.instructions) problems.push(`${who}: ${n} instructions, expected ${program.instructions}`);
  for (const [i, v] of Object.entries(program.registers)) {
    const got = r.registers[Number(i)];
    if (got !== v) problems.push(`${who}: r${i} = ${hex(got)}, expected ${hex(v)}`);
  }
  return problems;
}

/** Differences between two results; `notes` collects differences that are conventions, not errors. */
function compare(a: RunResult, b: RunResult, aName: string, bName: string, notes: string[]): string[] {
  const problems: string[] = [];
  if (a.kind !== b.kind) problems.push(`exit kind: ${aName} ${a.kind}, ${bName} ${b.kind}`);
  if (a.pc !== b.pc) problems.push(`exit pc: ${aName} ${a.pc}, ${bName} ${b.pc}`);
  if (a.gasLeft !== b.gasLeft) {
    const clamp = (g: bigint) => (g < 0n ? 0n : g);
    if (a.kind === "oog" && b.kind === "oog" && clamp(a.gasLeft) === clamp(b.gasLeft)) {
      notes.push(
        `gas left at out-of-gas: ${aName} ${a.gasLeft}, ${bName} ${b.gasLeft} ` +
          `(${aName} reports the overdrawn value, ${bName} clamps at 0; same instructions executed)`,
      );
    } else {
      problems.push(`gas left: ${aName} ${a.gasLeft}, ${bName} ${b.gasLeft}`);
    }
  }
  for (let i = 0; i < 13; i++) {
    if (a.registers[i] !== b.registers[i]) {
      problems.push(`r${i}: ${aName} ${hex(a.registers[i])}, ${bName} ${hex(b.registers[i])}`);
    }
  }
  if (!sameBytes(a.memory, b.memory)) {
    const first = a.memory && b.memory ? a.memory.findIndex((x, i) => x !== b.memory![i]) : -1;
    problems.push(`memory differs${first >= 0 ? ` first at offset ${first}` : ""}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Measuring

function summarize(program: BenchProgram, runs: Timed[]): EngineSummary {
  const times = runs.map((r) => r.runMs);
  const r = runs[0].result;
  const n = executed(program, r);
  const medianMs = median(times);
  return {
    medianMs,
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runsMs: times,
    setupMedianMs: median(runs.map((r) => r.setupMs)),
    instructions: n.toString(),
    mInstrPerSec: Number(n) / (medianMs / 1000) / 1e6,
    exit: {
      kind: r.kind,
      pc: r.pc,
      gasLeft: r.gasLeft.toString(),
      registers: r.registers.map(hex),
      memoryFnv1a: r.memory ? fnv1a(r.memory) : undefined,
    },
  };
}

function progress(event: Record<string, unknown>, plain?: string): void {
  if (JSON_PROGRESS) process.stderr.write(`@progress ${JSON.stringify(event)}\n`);
  else if (plain !== undefined) process.stderr.write(plain + "\n");
}

interface ProgramReport {
  name: string;
  file: string;
  gas: string;
  warmup?: number;
  runs?: number;
  ours?: EngineSummary;
  anan?: EngineSummary;
  ratio?: number;
  ok: boolean;
  problems: string[];
  notes: string[];
  skipped?: string;
}

function benchProgram(program: BenchProgram, anan: AnanAs | undefined): ProgramReport {
  const report: ProgramReport = {
    name: program.name,
    file: program.file,
    gas: program.gas.toString(),
    ok: true,
    problems: [],
    notes: [],
  };
  const path = sharedPath("programs", program.file);
  if (!path) {
    report.skipped = `${join(SHARED_DIR, "programs", program.file)} not found`;
    return report;
  }
  const bytes = readBytes(path);
  const loadStart = performance.now();
  const module = Module.load(bytes, { format: "generic" });
  report.notes.push(`pvmkit Module.load: ${(performance.now() - loadStart).toFixed(2)} ms`);

  const engines: {
    key: "ours" | "anan";
    label: string;
    run: () => Timed;
    reference?: RunResult;
    measured: Timed[];
    failed?: boolean;
  }[] = [{ key: "ours", label: "pvmkit", run: () => runOurs(module, program), measured: [] }];
  if (anan) engines.push({ key: "anan", label: "anan-as", run: () => runAnan(anan, bytes, program), measured: [] });

  const warmup = WARMUP * (program.repeat ?? 1);
  const runs = RUNS * (program.repeat ?? 1);
  const total = warmup + runs;
  report.warmup = warmup;
  report.runs = runs;
  progress(
    { program: program.name, phase: "start", runs: total },
    `${program.name}: ${warmup} warm-up + ${runs} measured runs per engine...`,
  );
  for (let round = 0; round < total; round++) {
    // Alternate which engine goes first, so neither always runs right after the other.
    const order = round % 2 === 0 ? engines : [...engines].reverse();
    for (const engine of order) {
      if (engine.failed) continue;
      progress({ program: program.name, engine: engine.label, run: round + 1, of: total });
      let t: Timed;
      try {
        t = engine.run();
      } catch (error) {
        engine.failed = true;
        report.problems.push(
          `${engine.label} threw on run ${round + 1}: ${error instanceof Error ? error.message : error}`,
        );
        continue;
      }
      if (!engine.reference) {
        engine.reference = t.result;
      } else {
        const drift = compare(engine.reference, t.result, "run 1", `run ${round + 1}`, []);
        if (drift.length > 0) report.problems.push(`${engine.label} is not deterministic: ${drift.join("; ")}`);
      }
      if (round >= warmup) engine.measured.push(t);
    }
  }
  for (const engine of engines) {
    if (engine.failed) continue;
    report[engine.key] = summarize(program, engine.measured);
    report.problems.push(...checkExpected(program, engine.label, engine.reference!));
  }
  if (anan && report.ours && report.anan) {
    const [ours, theirs] = engines.map((e) => e.reference!);
    report.problems.push(...compare(ours, theirs, "pvmkit", "anan-as", report.notes));
    report.ratio = report.ours!.mInstrPerSec / report.anan!.mInstrPerSec;
  }
  report.ok = report.problems.length === 0;
  const line = (label: string, s: EngineSummary | undefined) =>
    s
      ? `  ${label.padEnd(8)} median ${s.medianMs.toFixed(1)} ms, ${s.mInstrPerSec.toFixed(1)} M instr/s`
      : `  ${label.padEnd(8)} not run`;
  progress(
    { program: program.name, phase: "done" },
    [line("pvmkit", report.ours), line("anan-as", report.anan)].join("\n"),
  );
  return report;
}

// ---------------------------------------------------------------------------------------
// Output

function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd())
    .join("\n");
}

const grouped = (n: string): string => n.replace(/\B(?=(\d{3})+$)/g, ",");
const fmt = (x: number | undefined, digits = 1): string => (x === undefined ? "n/a" : x.toFixed(digits));

async function main(): Promise<number> {
  if (!sharedPath("programs")) {
    console.log(
      `pvmkit bench: shared program data not found at ${join(SHARED_DIR, "programs")}; ` +
        `set PVMKIT_SHARED to the shared data directory. Nothing to benchmark.`,
    );
    return 0;
  }
  let anan: AnanAs | undefined;
  let ananError: string | undefined;
  try {
    anan = await import("@fluffylabs/anan-as/release-stub");
  } catch (error) {
    ananError = error instanceof Error ? error.message.split("\n")[0] : String(error);
  }

  const reports: ProgramReport[] = [];
  for (const program of PROGRAMS) {
    if (wanted && !wanted.includes(program.name)) continue;
    reports.push(benchProgram(program, anan));
  }

  const repeated = reports.filter((r) => r.runs !== undefined && r.runs !== RUNS);
  const repeatNote = repeated.length ? ` (${repeated.map((r) => `${r.runs} for ${r.name}`).join(", ")})` : "";
  const header = `pvmkit ${BACKEND} bench — ${RUNTIME} ${RUNTIME_VERSION}, anan-as ${ananVersion()} release-stub, ` +
    `${WARMUP} warm-up + ${RUNS} measured runs${repeatNote}, median`;
  const rows = [[
    "program",
    "instructions",
    "ours ms",
    "anan-as ms",
    "ours M/s",
    "anan-as M/s",
    "ours/anan-as",
    "result",
  ]];
  for (const r of reports) {
    rows.push([
      r.name,
      r.ours ? grouped(r.ours.instructions) : "-",
      fmt(r.ours?.medianMs),
      fmt(r.anan?.medianMs),
      fmt(r.ours?.mInstrPerSec),
      fmt(r.anan?.mInstrPerSec),
      r.ratio === undefined ? "n/a" : `${r.ratio.toFixed(2)}x`,
      r.skipped ? "skipped" : r.ok ? (anan ? "same" : "ok (ours only)") : "MISMATCH",
    ]);
  }
  const lines = [header, "", table(rows, [false, true, true, true, true, true, true, false])];
  if (ananError) lines.push("", `anan-as could not be loaded under ${RUNTIME}: ${ananError}`);
  for (const r of reports) {
    if (r.skipped) lines.push(`${r.name}: skipped, ${r.skipped}`);
    for (const p of r.problems) lines.push(`${r.name}: MISMATCH ${p}`);
    for (const n of r.notes) lines.push(`${r.name}: note: ${n}`);
  }
  console.log(lines.join("\n"));

  const json = {
    runtime: RUNTIME,
    runtimeVersion: RUNTIME_VERSION,
    backend: BACKEND,
    ananAs: { version: ananVersion(), build: "release-stub", available: anan !== undefined, error: ananError },
    warmup: WARMUP,
    runs: RUNS,
    date: new Date().toISOString(),
    programs: reports,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(json, null, 2) + "\n");
  console.log(`\nresults written to ${OUT}`);
  return reports.every((r) => r.ok) ? 0 : 2;
}

process.exitCode = await main();
