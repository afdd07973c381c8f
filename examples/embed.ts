/**
 * Embedding pvmkit: assemble two of the example programs, run them on the interpreter
 * and on the recompiler, and act as the host for the one that makes host calls.
 *
 *     npx tsx examples/embed.ts
 *     deno run -A examples/embed.ts
 *     bun examples/embed.ts
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Backend, type Exit, type Instance, Module } from "../mod.ts";
import { assemble } from "../src/isa/assembler.ts";

/** JAM's `log` host call (JIP-1) and the made-up `byte_sum` of examples/host-calls.pvmasm. */
const LOG = 100;
const BYTE_SUM = 1000;
/** What a host answers to a call it does not know: WHAT = 2^64 − 2. */
const WHAT = (1n << 64n) - 2n;
const LEVELS = ["error", "warning", "info", "debug", "trace"];

/** Assemble one of the examples next to this file. */
export function loadExample(name: string): Module {
  const path = fileURLToPath(new URL(name, import.meta.url));
  return Module.load(assemble(readFileSync(path, "utf8"), { fileName: path }));
}

/** How one run ended. */
export interface RunResult {
  backend: Backend;
  exit: Exit;
  r7: bigint;
  gasUsed: bigint;
  /** Lines the guest logged. */
  log: string[];
  /** Host calls answered, by number, in order. */
  calls: number[];
}

/** Read `length` bytes of guest memory at `address` as UTF-8 text. */
function readText(vm: Instance, address: bigint, length: bigint): string {
  return new TextDecoder().decode(vm.memory.read(Number(address), Number(length)));
}

/**
 * Run until the program stops for something other than a host call, answering each
 * host call in between: read the arguments from registers and memory, write the
 * result into r7, and resume (the pc is already past the `ecalli`).
 */
function runWithHost(vm: Instance, gas: bigint): RunResult {
  const log: string[] = [];
  const calls: number[] = [];
  for (;;) {
    const exit = vm.run();
    if (exit.kind !== "host") {
      return { backend: vm.backend, exit, r7: vm.getRegister(7), gasUsed: gas - exit.gas, log, calls };
    }
    calls.push(exit.call);
    const [r7, r8, r9, r10, r11] = [7, 8, 9, 10, 11].map((i) => vm.getRegister(i));
    if (exit.call === LOG) {
      const target = r9 === 0n ? "" : `[${readText(vm, r8, r9)}] `;
      log.push(`${LEVELS[Number(r7)] ?? `level ${r7}`}: ${target}${readText(vm, r10, r11)}`);
    } else if (exit.call === BYTE_SUM) {
      const bytes = vm.memory.read(Number(r7), Number(r8));
      vm.setRegister(7, bytes.reduce((sum, b) => sum + BigInt(b), 0n));
    } else {
      vm.setRegister(7, WHAT);
    }
  }
}

/** Run fibonacci(n) and the host-call example on both backends and return what happened. */
export function main(print: (line: string) => void = console.log, n = 30): RunResult[][] {
  const results: RunResult[][] = [];
  const gas = 1_000_000n;
  print("\nexamples/embed.ts: two example programs on both backends, with this script as the host");

  const fib = loadExample("fibonacci.pvmasm");
  const fibRuns = (["interpreter", "recompiler"] as const).map((backend) => {
    const vm = fib.instantiate({ gas, backend });
    vm.setRegister(7, n); // the argument; the program sets r0 (its halt address) itself
    return runWithHost(vm, gas);
  });
  results.push(fibRuns);
  for (const r of fibRuns) {
    print(`fibonacci  ${r.backend.padEnd(11)}  fib(${n}) = ${r.r7}  (${r.exit.kind}, ${r.gasUsed} gas)`);
  }

  const host = loadExample("host-calls.pvmasm");
  const hostRuns = (["interpreter", "recompiler"] as const).map((backend) =>
    runWithHost(host.instantiate({ gas, backend }), gas)
  );
  results.push(hostRuns);
  for (const r of hostRuns) {
    for (const line of r.log) print(`host-calls ${r.backend.padEnd(11)}  guest log: ${line}`);
    print(
      `host-calls ${r.backend.padEnd(11)}  calls ${r.calls.join(", ")}; byte_sum = ${r.r7}  ` +
        `(${r.exit.kind}, ${r.gasUsed} gas)`,
    );
  }

  const same = results.every(([a, b]) =>
    a.exit.kind === b.exit.kind && a.exit.pc === b.exit.pc && a.exit.gas === b.exit.gas && a.r7 === b.r7
  );
  print(same ? "both backends agree" : "the backends DISAGREE");
  return results;
}

// Run when executed directly (tsx, deno and bun all put the script path in argv[1]).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
