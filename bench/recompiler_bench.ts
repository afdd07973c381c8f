/**
 * Recompiler benchmark, one runtime per process (run under node/tsx, deno and bun by
 * `scripts/bench-each-runtime.mjs recompiler`). Everything is measured in the same run, median of
 * several runs after warm-up:
 *
 * - hot loops (xorshift, fib, game of life): recompiled M instr/s, and the ratio to our
 *   interpreter on the same program;
 * - the ceiling: the xorshift loop written directly in Wasm (with our emitter), and our
 *   recompiled code as a fraction of its speed;
 * - gas metering overhead: metered vs the debug-only unmetered build of the same loops;
 * - compile latency (emit + WebAssembly.Module + instantiate) of the bootstrap service
 *   and doom.pvm, emitter throughput in MB/s of Wasm, and Wasm bytes per PVM code byte.
 *
 * Usage: `<runtime> bench/recompiler_bench.ts [--runs N] [--json FILE]`
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { Module } from "../mod.ts";
import { translate } from "../src/recompiler/translate.ts";
import { Code, ModuleBuilder, T, W } from "../src/recompiler/wasm/mod.ts";
import { argOption, median, readBytes, RUNTIME, sharedPath } from "./_shared.ts";

const RUNS = Number(argOption("runs", "5"));
const jsonOut = argOption("json", "");
const runtime = RUNTIME;

const now = () => performance.now();

const programsDir = sharedPath("programs");
if (!programsDir) {
  console.log("bench: shared program data not found; set PVMKIT_SHARED. Nothing to benchmark.");
  process.exit(0);
}

/** xorshift blob with its loop count N (u32 at offset 15) replaced. */
function xorshift(n: number): Uint8Array {
  const bytes = readBytes(join(programsDir!, "handmade", "xorshift-n5555555.pvm"));
  new DataView(bytes.buffer).setUint32(15, n, true);
  return bytes;
}
/** fib blob with N (u64 at offset 35) replaced. */
function fib(n: number): Uint8Array {
  const bytes = readBytes(join(programsDir!, "handmade", "fib-n1000000.pvm"));
  new DataView(bytes.buffer).setBigUint64(35, BigInt(n), true);
  return bytes;
}
const lifePages = [{ address: 0x20000, length: 4096, access: "write" as const }];

interface Loop {
  name: string;
  bytes: Uint8Array;
  gas: bigint;
  memory?: typeof lifePages;
  interpreterBytes: Uint8Array;
  interpreterGas: bigint;
  /** False for programs that only stop by running out of gas (no unmetered run possible). */
  halts: boolean;
}
const loops: Loop[] = [
  {
    name: "xorshift",
    bytes: xorshift(22_222_222),
    gas: 10n ** 9n,
    interpreterBytes: xorshift(555_555),
    interpreterGas: 10n ** 8n,
    halts: true,
  },
  {
    name: "fib",
    bytes: fib(150_000_000), // about 50 ms compiled: long enough to compare metered and unmetered
    gas: 10n ** 9n,
    interpreterBytes: fib(1_000_000),
    interpreterGas: 10n ** 8n,
    halts: true,
  },
  {
    name: "game-of-life",
    bytes: readBytes(join(programsDir!, "pvm-debugger", "game-of-life.pvm")),
    gas: 200_000_000n,
    memory: lifePages,
    interpreterBytes: readBytes(join(programsDir!, "pvm-debugger", "game-of-life.pvm")),
    interpreterGas: 5_000_000n,
    halts: false,
  },
];

/** M instructions per second of one run (1 gas per instruction). */
function speed(
  bytes: Uint8Array,
  gas: bigint,
  backend: "interpreter" | "recompiler",
  memory?: typeof lifePages,
  unmetered = false,
): number {
  const vm = Module.load(bytes, { format: "generic" }).instantiate({
    gas,
    backend,
    memory,
    unmeteredForBenchmarks: unmetered,
  });
  const t0 = now();
  const exit = vm.run();
  const ms = now() - t0;
  // Unmetered runs report no gas; they execute the same instructions as the metered run.
  const executed = unmetered ? meteredCount(bytes, gas, memory) : Number(gas - (exit.gas < 0n ? 0n : exit.gas));
  return executed / ms / 1000;
}
const counts = new Map<Uint8Array, number>();
function meteredCount(bytes: Uint8Array, gas: bigint, memory?: typeof lifePages): number {
  let n = counts.get(bytes);
  if (n === undefined) {
    const exit = Module.load(bytes, { format: "generic" }).instantiate({ gas, backend: "recompiler", memory }).run();
    n = Number(gas - (exit.gas < 0n ? 0n : exit.gas));
    counts.set(bytes, n);
  }
  return n;
}
function measure(fn: () => number): number {
  fn(); // warm-up (lets V8 tier up; Liftoff-only first calls are reported separately below)
  return median(Array.from({ length: RUNS }, fn));
}
/**
 * Medians of two variants run alternately after a warm-up of each, so that a slow patch
 * of the machine (other processes, a GC) costs both alike: their ratio is what counts.
 */
function measurePair(a: () => number, b: () => number): [number, number] {
  a();
  b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    as.push(a());
    bs.push(b());
  }
  return [median(as), median(bs)];
}

const results: Record<string, unknown> = { runtime };
const rows: string[][] = [];
for (const loop of loops) {
  const first = speed(loop.bytes, loop.gas, "recompiler", loop.memory);
  const metered = () => speed(loop.bytes, loop.gas, "recompiler", loop.memory);
  const [compiled, unmetered] = loop.halts
    ? measurePair(metered, () => speed(loop.bytes, loop.gas, "recompiler", loop.memory, true))
    : [measure(metered), NaN];
  const interpreted = measure(() => speed(loop.interpreterBytes, loop.interpreterGas, "interpreter", loop.memory));
  const overhead = (unmetered / compiled - 1) * 100;
  results[loop.name] = { firstCall: first, compiled, unmetered, interpreted, meteringOverheadPct: overhead };
  rows.push([
    loop.name,
    first.toFixed(0),
    compiled.toFixed(0),
    interpreted.toFixed(1),
    (compiled / interpreted).toFixed(1) + "x",
    loop.halts ? overhead.toFixed(1) + "%" : "n/a",
  ]);
}

// The ceiling: the same xorshift loop hand-written in Wasm (i64 locals, no gas, no pc).
function handWrittenXorshift(): (n: number) => bigint {
  const m = new ModuleBuilder();
  const type = m.type([T.i32], [T.i64]);
  const c = new Code(1);
  const x = c.local(T.i64), sum = c.local(T.i64);
  c.i64Const(88172645463325252n), c.localSet(x);
  c.block(), c.loop();
  for (const [shift, op] of [[13, W.i64_shl], [7, W.i64_shr_u], [17, W.i64_shl]] as const) {
    c.localGet(x), c.localGet(x), c.i64Const(shift), c.op(op), c.op(W.i64_xor), c.localSet(x);
  }
  c.localGet(sum), c.localGet(x), c.op(W.i64_add), c.localSet(sum);
  c.localGet(0), c.i32Const(1), c.op(W.i32_sub), c.localTee(0), c.brIf(0);
  c.end(), c.end();
  c.localGet(sum);
  m.exportFunction("run", m.addFunction(type, c.finish()));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(m.build() as Uint8Array<ArrayBuffer>));
  return instance.exports.run as (n: number) => bigint;
}
{
  const n = 22_222_222;
  const run = handWrittenXorshift();
  const expected = Module.load(xorshift(n)).instantiate({ gas: 10n ** 9n, backend: "recompiler" });
  expected.run();
  if (BigInt.asUintN(64, run(n)) !== expected.getRegister(10)) {
    throw new Error("hand-written xorshift disagrees with the recompiled one");
  }
  const instructions = 9 * n; // the PVM loop body: 9 instructions per iteration
  const ceiling = measure(() => {
    const t0 = now();
    run(n);
    return instructions / (now() - t0) / 1000;
  });
  const ours = (results.xorshift as { compiled: number }).compiled;
  results.ceiling = { handWritten: ceiling, fraction: ours / ceiling };
  rows.push([
    "xorshift (hand-written Wasm)",
    "",
    ceiling.toFixed(0),
    "",
    `ours = ${(100 * ours / ceiling).toFixed(0)}%`,
    "",
  ]);
}

// Compile latency, emitter throughput and size.
const compileRows: string[][] = [];
for (
  const [name, path] of [
    ["bootstrap-service", join(programsDir!, "anan-as-traces", "bootstrap-service.jam")],
    ["doom.pvm", join(programsDir!, "new-gas-cost-model", "doom.pvm")],
  ] as const
) {
  const mod = Module.load(readBytes(path));
  let bytes = new Uint8Array(0);
  const emit: number[] = [], total: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = now();
    bytes = translate(mod.decoded, { rotation: i * 4096 }).bytes; // a new rotation defeats the cache
    const t1 = now();
    const wasm = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    new WebAssembly.Instance(wasm, {
      env: {
        memory: new WebAssembly.Memory({ initial: 17, maximum: 65536 }),
        perm: new WebAssembly.Global({ value: "i32", mutable: true }, 0),
        slow: () => 0,
        sbrk: () => 0n,
      },
    });
    const t2 = now();
    if (i > 0) emit.push(t1 - t0), total.push(t2 - t0); // run 0 is the cold one
  }
  const e = median(emit), t = median(total);
  const mbps = bytes.length / 1e6 / (e / 1000);
  const perByte = bytes.length / mod.blob.code.length;
  results[`compile:${name}`] = {
    emitMs: e,
    totalMs: t,
    wasmBytes: bytes.length,
    codeBytes: mod.blob.code.length,
    mbps,
    perByte,
  };
  compileRows.push([
    name,
    (mod.blob.code.length / 1024).toFixed(0) + " KB",
    t.toFixed(1),
    e.toFixed(1),
    mbps.toFixed(0),
    perByte.toFixed(1),
  ]);
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
console.log(`\n# recompiler on ${runtime} (median of ${RUNS} runs after warm-up)\n`);
console.log(table(["loop", "1st call M/s", "M instr/s", "interp M/s", "vs interp", "metering"], rows));
console.log();
console.log(table(["program", "code", "compile ms", "emit ms", "emit MB/s", "wasm/code"], compileRows));

// Targets (issue: recompiler): judged on this run's medians.
const v8 = runtime !== "bun";
const checks: [string, boolean][] = [];
for (const loop of loops) {
  const r = results[loop.name] as { compiled: number; interpreted: number; meteringOverheadPct: number };
  if (v8) checks.push([`${loop.name}: >= 1000 M instr/s`, r.compiled >= 1000]);
  checks.push([`${loop.name}: >= 20x the interpreter`, r.compiled / r.interpreted >= 20]);
  if (loop.halts) checks.push([`${loop.name}: metering overhead <= 5%`, r.meteringOverheadPct <= 5]);
}
checks.push([`xorshift: >= 50% of hand-written Wasm`, (results.ceiling as { fraction: number }).fraction >= 0.5]);
if (runtime === "node") {
  const boot = results["compile:bootstrap-service"] as { totalMs: number };
  const doom = results["compile:doom.pvm"] as { totalMs: number };
  checks.push([`bootstrap compile < 50 ms`, boot.totalMs < 50], [`doom compile < 1000 ms`, doom.totalMs < 1000]);
}
console.log();
for (const [what, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);
results.targets = Object.fromEntries(checks);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
