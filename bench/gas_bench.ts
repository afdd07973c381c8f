/**
 * Gas-model benchmark, one runtime per process (run under node/tsx, deno and bun by
 * `scripts/bench-each-runtime.mjs gas`). Median of several runs after a warm-up:
 *
 * - block costs: the time to compute every block's cost of doom and of the bootstrap
 *   service under the pipeline model (GP 0.8 draft), and per block;
 * - hot loops on the recompiler (xorshift, fib) under `pipeline` and `per-instruction`:
 *   wall time of the same run under each model and their ratio. (Per-block gas is not
 *   one unit per instruction, so "M instr/s from gas used" means nothing there: the
 *   table reports time.)
 *
 * Usage: `<runtime> bench/gas_bench.ts [--runs N] [--json FILE]`
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { Module } from "../src/engine.ts";
import { GAS_MODELS, type GasModelName, gasSchedule } from "../src/gas/model.ts";
import { argOption, median, readBytes, RUNTIME, sharedPath } from "./_shared.ts";

const RUNS = Number(argOption("runs", "5"));
const jsonOut = argOption("json", "");
const runtime = RUNTIME;

const now = () => performance.now();
/** Median wall time of `fn` in ms, over RUNS runs after one warm-up run. */
function timeMs(fn: () => void): number {
  fn();
  return median(Array.from({ length: RUNS }, () => {
    const t0 = now();
    fn();
    return now() - t0;
  }));
}

const programsDir = sharedPath("programs") ?? "";
if (programsDir === "") {
  console.log("bench: shared program data not found; set PVMKIT_SHARED. Nothing to benchmark.");
  process.exit(0);
}

const results: Record<string, unknown> = { runtime, runs: RUNS };

// ---- Block costs ----
const pipeline = GAS_MODELS.get("pipeline")!;
const costRows: string[][] = [];
for (
  const [name, path, isa] of [
    // doom.pvm comes with the gas-model draft vectors and uses their numbering.
    ["doom.pvm", join(programsDir, "new-gas-cost-model", "doom.pvm"), "gas-vectors"],
    ["bootstrap-service", join(programsDir, "anan-as-traces", "bootstrap-service.jam"), "0.7.2"],
  ] as const
) {
  const mod = Module.load(readBytes(path), { isa });
  let blocks = 0, total = 0;
  const ms = timeMs(() => {
    const { blockCost } = gasSchedule(mod.blob, mod.decoded, mod.isa, pipeline);
    blocks = 0, total = 0;
    for (let pc = 0; pc < mod.decoded.codeLength; pc++) {
      if (mod.decoded.blockStart[pc]) blocks++, total += blockCost[pc];
    }
  });
  results[`costs:${name}`] = { isa, codeBytes: mod.blob.code.length, blocks, totalCost: total, ms };
  costRows.push([
    name,
    isa,
    `${(mod.blob.code.length / 1024).toFixed(0)} KB`,
    String(blocks),
    ms.toFixed(1),
    (1000 * ms / blocks).toFixed(2),
    (total / blocks).toFixed(1),
  ]);
}

// ---- Hot loops on the recompiler, pipeline vs per-instruction ----
/** xorshift blob with its loop count N (u32 at offset 15) replaced. */
function xorshift(n: number): Uint8Array {
  const bytes = readBytes(join(programsDir, "handmade", "xorshift-n5555555.pvm"));
  new DataView(bytes.buffer).setUint32(15, n, true);
  return bytes;
}
/** fib blob with N (u64 at offset 35) replaced. */
function fib(n: number): Uint8Array {
  const bytes = readBytes(join(programsDir, "handmade", "fib-n1000000.pvm"));
  new DataView(bytes.buffer).setBigUint64(35, BigInt(n), true);
  return bytes;
}
// Sized for roughly 0.2 s per run on the recompiler (with V8; other engines may differ).
const loops = [
  { name: "xorshift", bytes: xorshift(80_000_000), result: 10 },
  { name: "fib", bytes: fib(300_000_000), result: 7 },
];
const GAS = 10n ** 12n;
const MODELS: readonly GasModelName[] = ["per-instruction", "pipeline"];

const loopRows: string[][] = [];
for (const loop of loops) {
  const modules = MODELS.map((gasModel) => Module.load(loop.bytes, { format: "generic", gasModel }));
  const outcome = modules.map(() => ({ gasUsed: 0n, result: 0n }));
  const once = (m: number): number => {
    const vm = modules[m].instantiate({ gas: GAS, backend: "recompiler" });
    const t0 = now();
    const exit = vm.run();
    const ms = now() - t0;
    if (exit.kind !== "halt") throw new Error(`${loop.name} under ${MODELS[m]}: ${exit.kind}`);
    outcome[m] = { gasUsed: GAS - exit.gas, result: vm.getRegister(loop.result) };
    return ms;
  };
  // Warm up (compiles each model's code), then alternate the models run by run so both
  // see the same machine load; the ratio is the median of the per-run ratios.
  MODELS.forEach((_, m) => once(m));
  const times = MODELS.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [a, b] = MODELS.map((_, m) => once(m));
    times[0].push(a), times[1].push(b), ratios.push(b / a);
  }
  const [a, b] = outcome;
  if (a.result !== b.result) throw new Error(`${loop.name}: the models disagree on the result`);
  const ms = times.map(median), ratio = median(ratios);
  results[`loop:${loop.name}`] = {
    ...Object.fromEntries(MODELS.map((m, i) => [m, { ms: ms[i], gasUsed: String(outcome[i].gasUsed) }])),
    pipelineOverPerInstruction: ratio,
  };
  loopRows.push([
    loop.name,
    ms[0].toFixed(1),
    ms[1].toFixed(1),
    `${ratio.toFixed(2)}x`,
    String(a.gasUsed),
    String(b.gasUsed),
  ]);
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
console.log(`\n# gas models on ${runtime} (median of ${RUNS} runs after warm-up)\n`);
console.log("Block costs under the pipeline model (every block of the program):\n");
console.log(table(["program", "isa", "code", "blocks", "ms", "µs/block", "mean cost"], costRows));
console.log("\nRecompiled hot loops, wall time per run, pipeline vs per-instruction:\n");
console.log(
  table(["loop", "per-instr ms", "pipeline ms", "pipeline/per-instr", "gas (per-instr)", "gas (pipeline)"], loopRows),
);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
