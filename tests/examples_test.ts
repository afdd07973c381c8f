// The programs in examples/: each assembles, gives the same result on every backend,
// and computes the answer worked out independently here; examples/embed.ts runs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Backend, type Exit, type Instance, Module } from "../src/engine.ts";
import { assemble } from "../src/isa/assembler.ts";
import { captureIo, main as cli } from "../src/cli/main.ts";
import { main as embed } from "../examples/embed.ts";

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));
const BACKENDS: readonly Backend[] = ["interpreter", "recompiler", "auto"];
const GAS = 10_000_000n;
const U64 = (1n << 64n) - 1n;

function load(name: string): Module {
  return Module.load(assemble(readFileSync(EXAMPLES + name, "utf8"), { fileName: name }));
}

interface Outcome {
  exit: Exit;
  registers: bigint[];
  /** Host calls met: number, and r7..r11 at the call. */
  calls: { call: number; args: bigint[] }[];
  /** The log message of each `log` call (100), read from guest memory. */
  messages: string[];
}

/**
 * Run to the end, answering host calls as examples/host-calls.pvmasm documents:
 * `log` (100) returns nothing, `byte_sum` (1000) returns the sum of the bytes.
 */
function runAll(vm: Instance): Outcome {
  const calls: Outcome["calls"] = [];
  const messages: string[] = [];
  for (;;) {
    const exit = vm.run();
    if (exit.kind !== "host") return { exit, registers: vm.registers, calls, messages };
    const args = [7, 8, 9, 10, 11].map((i) => vm.getRegister(i));
    calls.push({ call: exit.call, args });
    const text = (address: bigint, length: bigint) =>
      new TextDecoder().decode(vm.memory.read(Number(address), Number(length)));
    if (exit.call === 100) messages.push(`${text(args[1], args[2])}: ${text(args[3], args[4])}`);
    if (exit.call === 1000) {
      vm.setRegister(7, vm.memory.read(Number(args[0]), Number(args[1])).reduce((a, b) => a + BigInt(b), 0n));
    }
  }
}

/** Run `name` on every backend, check they agree, and return the interpreter's outcome. */
function runEverywhere(name: string, registers: (bigint | undefined)[] = []): Outcome {
  const module = load(name);
  const outcomes = BACKENDS.map((backend) => runAll(module.instantiate({ gas: GAS, registers, backend })));
  for (const [i, o] of outcomes.entries()) assert.deepEqual(o, outcomes[0], `${name} on ${BACKENDS[i]}`);
  return outcomes[0];
}

/** Registers with only r7 given. */
const withR7 = (value: bigint) => Array.from({ length: 8 }, (_, i) => (i === 7 ? value : undefined));

function fibReference(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) & U64];
  return a;
}

describe("examples", () => {
  it("every .pvmasm assembles, and there are the four documented ones", () => {
    const sources = readdirSync(EXAMPLES).filter((f) => f.endsWith(".pvmasm")).sort();
    assert.deepEqual(sources, ["fibonacci.pvmasm", "host-calls.pvmasm", "sieve.pvmasm", "xorshift.pvmasm"]);
    for (const f of sources) assert.ok(load(f).blob.code.length > 0, f);
  });

  it("fibonacci: fib(30) = 832040 in r7, halting, on every backend", () => {
    const r = runEverywhere("fibonacci.pvmasm", withR7(30n));
    assert.equal(r.exit.kind, "halt");
    assert.equal(r.registers[7], 832040n);
    // 4 set-up instructions, 5 per step, 3 to finish.
    assert.equal(GAS - r.exit.gas, 5n * 30n + 7n);
  });

  it("fibonacci: small n, and n past 93 where the sum wraps", () => {
    for (const n of [0, 1, 2, 3, 10, 50, 93, 94, 200]) {
      const r = runEverywhere("fibonacci.pvmasm", withR7(BigInt(n)));
      assert.equal(r.registers[7], fibReference(n), `fib(${n})`);
    }
    assert.equal(fibReference(10), 55n);
  });

  it("xorshift: the sum of 100000 xorshift64 states matches a BigInt computation", () => {
    const r = runEverywhere("xorshift.pvmasm");
    let x = 0x9e3779b97f4a7c15n;
    let sum = 0n;
    for (let i = 0; i < 100_000; i++) {
      x ^= (x << 13n) & U64;
      x ^= x >> 7n;
      x ^= (x << 17n) & U64;
      sum = (sum + x) & U64;
    }
    assert.equal(r.exit.kind, "halt");
    assert.equal(r.registers[7], sum);
    assert.equal(r.registers[8], x);
    // 5 set-up instructions, 9 per step, the final jump.
    assert.equal(GAS - r.exit.gas, 5n + 9n * 100_000n + 1n);
  });

  it("sieve: 9592 primes below 100000", () => {
    const r = runEverywhere("sieve.pvmasm");
    assert.equal(r.exit.kind, "halt");
    assert.equal(r.registers[7], 9592n);
    assert.equal(r.registers[8], 0n, "no SPI output");
    // Independently, by trial division.
    let count = 0;
    for (let n = 2; n < 100_000; n++) {
      let prime = true;
      for (let d = 2; d * d <= n; d++) {
        if (n % d === 0) {
          prime = false;
          break;
        }
      }
      if (prime) count++;
    }
    assert.equal(count, 9592);
  });

  it("sieve: out of gas part-way gives the same state on every backend", () => {
    const module = load("sieve.pvmasm");
    const runs = BACKENDS.map((backend) => {
      const vm = module.instantiate({ gas: 123_457n, backend });
      return { exit: vm.run(), registers: vm.registers, page: vm.memory.read(0x20000, 4096) };
    });
    assert.equal(runs[0].exit.kind, "oog");
    for (const r of runs) assert.deepEqual(r, runs[0]);
  });

  it("host-calls: log(info, pvmkit-example, hello from the PVM), then byte_sum = 1628", () => {
    const r = runEverywhere("host-calls.pvmasm");
    assert.deepEqual(r.calls.map((c) => c.call), [100, 1000]);
    assert.deepEqual(r.calls[0].args, [2n, 0x10000n, 14n, 0x1000en, 18n]);
    assert.deepEqual(r.calls[1].args.slice(0, 2), [0x1000en, 18n]);
    assert.deepEqual(r.messages, ["pvmkit-example: hello from the PVM"]);
    // h e l l o = 104+101+108+108+111 = 532, f r o m = 436, t h e = 321, P V M = 243, 3 spaces = 96.
    assert.equal(532 + 436 + 321 + 243 + 96, 1628);
    assert.equal(r.exit.kind, "halt");
    assert.equal(r.registers[7], 1628n);
    assert.equal(GAS - r.exit.gas, 11n);
  });

  it("the demo: pvmkit run examples/fibonacci.pvmasm --regs 7=30", async () => {
    const scripts = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).scripts;
    assert.match(scripts.demo, /cli\.ts run examples\/fibonacci\.pvmasm --regs 7=30/);
    const io = captureIo();
    assert.equal(await cli(["run", EXAMPLES + "fibonacci.pvmasm", "--regs", "7=30"], io), 0, io.err());
    assert.match(io.out(), /^exit +halt$/m);
    assert.match(io.out(), /^ +r7 +0x00000000000cb228 +832040$/m);
  });

  it("examples/embed.ts runs both examples on both backends", () => {
    const lines: string[] = [];
    const results = embed((line) => lines.push(line));
    assert.equal(results.length, 2);
    for (const [a, b] of results) {
      assert.equal(a.backend, "interpreter");
      assert.equal(b.backend, "recompiler");
      assert.deepEqual({ ...a, backend: "" }, { ...b, backend: "" });
      assert.equal(a.exit.kind, "halt");
    }
    assert.equal(results[0][0].r7, 832040n);
    assert.deepEqual(results[1][0].calls, [100, 1000]);
    assert.deepEqual(results[1][0].log, ["info: [pvmkit-example] hello from the PVM"]);
    assert.equal(results[1][0].r7, 1628n);
    assert.ok(lines.some((l) => l.includes("fib(30) = 832040")), lines.join("\n"));
    assert.equal(lines.at(-1), "both backends agree");
  });
});
