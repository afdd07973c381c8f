/**
 * fib_recur.jar (n = 20: 21,891 VMs) through the capability kernel on both backends:
 * median wall time of several runs, and the heap growth of one run. Needs the shared data.
 * Usage: tsx|deno run -A|bun bench/kernel_bench.ts [RUNS]
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { Kernel } from "../src/kernel/kernel.ts";

const shared = process.env.PVMKIT_SHARED ?? new URL("../../shared/", import.meta.url).pathname;
const blob = new Uint8Array(readFileSync(`${shared}/vectors/javm/derived/fib_recur.jar`));
const runs = Number(process.argv[2] ?? 7);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<string, string>[] = [];
let baseline = 0;
for (const backend of ["interpreter", "recompiler"] as const) {
  const times: number[] = [];
  let heap = 0;
  for (let i = 0; i < runs + 1; i++) {
    const before = process.memoryUsage().heapUsed;
    const t = performance.now();
    const kernel = Kernel.create(blob, { gas: 100_000_000n, operation: 20, backend });
    const exit = kernel.run();
    const elapsed = performance.now() - t;
    heap = Math.max(heap, process.memoryUsage().heapUsed - before);
    if (exit.kind !== "halt" || exit.value !== 6765n || kernel.vmsCreated !== 21891) {
      throw new Error(`wrong result ${exit.kind}`);
    }
    kernel.dispose();
    if (i > 0) times.push(elapsed); // the first run compiles and warms up
  }
  const m = median(times);
  if (backend === "interpreter") baseline = m;
  rows.push({
    runtime,
    backend,
    "median ms": m.toFixed(1),
    "vs interpreter": (m / baseline).toFixed(2),
    "µs per VM": ((m * 1000) / 21891).toFixed(1),
    "heap growth MiB (max of runs)": (heap / 2 ** 20).toFixed(1),
  });
}
console.table(rows);
