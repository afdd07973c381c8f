/**
 * The capability kernel on each backend, two workloads:
 * - fib_recur.jar n = 20 (21,891 short-lived VMs; needs the shared data),
 * - a loop of 2,000,000 iterations in VM 0 (one long-running VM; built here).
 * Rounds interleave the backends (so JIT warm-up favours none); the first round is a
 * warm-up. Reports the median wall time, the ratio to the interpreter measured in the same
 * rounds, and the heap growth of one run.
 * Usage: tsx|deno run -A|bun bench/kernel_bench.ts [ROUNDS]
 */
import { median, readBytes, RUNTIME, sharedPath } from "./_shared.ts";
import process from "node:process";
import { Kernel } from "../src/kernel/kernel.ts";
import type { KernelBackend } from "../src/kernel/exec.ts";
import { assemble } from "../src/isa/assembler.ts";
import { parseBlob } from "../src/program/blob.ts";
import { encodeJar, encodeJarCode } from "../src/program/jar.ts";

const fibPath = sharedPath("vectors", "javm", "derived", "fib_recur.jar");
const rounds = Number(process.argv[2] ?? 7);
const runtime = RUNTIME;
const backends: KernelBackend[] = ["interpreter", "recompiler", "auto"];

const loop = (() => {
  const source = `load_imm r7, 0\nload_imm r8, 2000000\nfallthrough\n` +
    `top: add_64 r7, r7, r8\nxor r7, r7, r8\nadd_imm_64 r8, r8, -1\nbranch_ne_imm r8, 0, top\necalli 0`;
  const blob = parseBlob(assemble(source));
  const code = encodeJarCode({ code: blob.code, bitmask: blob.bitmask });
  return encodeJar({ memoryPages: 0, invokeSlot: 64, caps: [{ slot: 64, kind: "code", bytes: code }] });
})();

interface Workload {
  name: string;
  blob: Uint8Array;
  operation: number;
  check: (kernel: Kernel, value: bigint | undefined) => boolean;
  vms: number;
}
const workloads: Workload[] = [];
if (fibPath) {
  workloads.push({
    name: "fib_recur n=20",
    blob: readBytes(fibPath),
    operation: 20,
    check: (k, v) => v === 6765n && k.vmsCreated === 21891,
    vms: 21891,
  });
} else {console.error(
    "skipping fib_recur: vectors/javm/derived/fib_recur.jar not in the shared data (set PVMKIT_SHARED)",
  );}
workloads.push({ name: "loop 2M in VM 0", blob: loop, operation: 0, check: (_k, v) => v !== undefined, vms: 1 });

const rows: Record<string, string>[] = [];
for (const w of workloads) {
  const times = new Map(backends.map((b) => [b, [] as number[]]));
  const heap = new Map(backends.map((b) => [b, 0]));
  for (let round = 0; round <= rounds; round++) {
    for (const backend of backends) {
      const before = process.memoryUsage().heapUsed;
      const t = performance.now();
      const kernel = Kernel.create(w.blob, { gas: 1_000_000_000n, operation: w.operation, backend });
      const exit = kernel.run();
      const elapsed = performance.now() - t;
      heap.set(backend, Math.max(heap.get(backend)!, process.memoryUsage().heapUsed - before));
      if (!w.check(kernel, exit.kind === "halt" ? exit.value : undefined)) {
        throw new Error(`${w.name} on ${backend}: wrong result ${exit.kind}`);
      }
      kernel.dispose();
      if (round > 0) times.get(backend)!.push(elapsed); // round 0 compiles and warms up
    }
  }
  const baseline = median(times.get("interpreter")!);
  for (const backend of backends) {
    const m = median(times.get(backend)!);
    rows.push({
      runtime,
      workload: w.name,
      backend,
      "median ms": m.toFixed(1),
      "vs interpreter": (m / baseline).toFixed(2),
      "µs per VM": ((m * 1000) / w.vms).toFixed(1),
      "heap growth MiB": (heap.get(backend)! / 2 ** 20).toFixed(1),
    });
  }
}
console.table(rows);
