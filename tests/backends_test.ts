// Backend selection: interpreter, recompiler and auto give identical results; auto
// switches to compiled code once a run is long; the unmetered debug option is opt-in.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { AUTO_TIER_INSTRUCTIONS, type Backend, Module } from "../src/engine.ts";
import { readBytes, sharedPath } from "./_shared.ts";

const handmade = sharedPath("programs", "handmade");

describe("backends", () => {
  it("rejects an unknown backend", () => {
    const mod = Module.load(new Uint8Array([0, 0, 1, 0, 1]));
    assert.throws(() => mod.instantiate({ backend: "jit" as Backend }), RangeError);
  });

  it("auto stays on the interpreter for a short run", () => {
    // load_imm r7, 42 ; trap
    const vm = Module.load(new Uint8Array([0, 0, 4, 51, 7, 42, 0, 0b1001])).instantiate({ gas: 100n, backend: "auto" });
    assert.deepEqual(vm.run(), { kind: "panic", pc: 3, gas: 98n });
    assert.equal(vm.tier, "interpreter");
  });

  it("auto switches to the recompiler on a long run, with the same result", { skip: !handmade }, () => {
    // 50,000,001 instructions; r10 is the sum of xorshift states (programs/README.md).
    const bytes = readBytes(join(handmade!, "xorshift-n5555555.pvm"));
    const results = (["interpreter", "recompiler", "auto"] as const).map((backend) => {
      const vm = Module.load(bytes).instantiate({ gas: 60_000_000n, backend });
      const exit = vm.run();
      return { exit, registers: vm.registers, tier: vm.tier };
    });
    for (const r of results) {
      assert.deepEqual(r.exit, { kind: "halt", pc: 59, gas: 60_000_000n - 50_000_001n });
      assert.equal(r.registers[10], 0xce63ee949baa17b2n);
      assert.deepEqual(r.registers, results[0].registers);
    }
    assert.equal(results[2].tier, "recompiler");
    assert.ok(AUTO_TIER_INSTRUCTIONS < 50_000_001);
  });

  it("unmetered compiled code is opt-in and charges nothing", { skip: !handmade }, () => {
    const bytes = readBytes(join(handmade!, "fib-n1000000.pvm"));
    const metered = Module.load(bytes).instantiate({ gas: 10_000_000n, backend: "recompiler" });
    assert.equal(metered.run().gas, 10_000_000n - 5_000_008n);
    const unmetered = Module.load(bytes).instantiate({
      gas: 10_000_000n,
      backend: "recompiler",
      unmeteredForBenchmarks: true,
    });
    const exit = unmetered.run();
    assert.equal(exit.kind, "halt");
    assert.equal(exit.gas, 10_000_000n);
    assert.equal(unmetered.getRegister(7), metered.getRegister(7));
  });

  it("out of gas at every position of unrolled hot loops matches the interpreter", { skip: !handmade }, () => {
    const programs = [
      readBytes(join(handmade!, "fib-n1000000.pvm")),
      readBytes(join(handmade!, "xorshift-n1000.pvm")),
    ];
    new DataView(programs[0].buffer).setBigUint64(35, 12n, true); // fib: N = 12, 68 instructions
    new DataView(programs[1].buffer).setUint32(15, 9, true); // xorshift: N = 9, 87 instructions
    for (const bytes of programs) {
      for (let gas = 0n; gas <= 100n; gas++) {
        const run = (backend: Backend) => {
          const vm = Module.load(bytes).instantiate({ gas, backend });
          return { exit: vm.run(), registers: vm.registers };
        };
        assert.deepEqual(run("recompiler"), run("interpreter"), `gas ${gas}`);
      }
    }
  });
});
