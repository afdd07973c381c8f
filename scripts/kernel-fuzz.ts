/**
 * Kernel fuzzer: random programs of random cap operations on both backends, checked for
 * escapes (tests/_kernel_fuzz.ts). Usage: tsx scripts/kernel-fuzz.ts [COUNT] [FIRST_SEED]
 */
import process from "node:process";
import { fuzzOne } from "../tests/_kernel_fuzz.ts";

const count = Number(process.argv[2] ?? 2000);
const first = Number(process.argv[3] ?? 1);
const kinds = new Map<string, number>();
const start = performance.now();
for (let seed = first; seed < first + count; seed++) {
  try {
    const kind = fuzzOne(seed);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  } catch (error) {
    console.error(`seed ${seed}: ${error instanceof Error ? error.stack : error}`);
    process.exit(1);
  }
}
const seconds = (performance.now() - start) / 1000;
console.log(
  `${count} programs (seeds ${first}..${first + count - 1}) in ${seconds.toFixed(1)} s, no escape:`,
  Object.fromEntries(kinds),
);
