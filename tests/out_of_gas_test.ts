// Out of gas (spec §10): before each instruction, if gas < 1 the run stops with OOG at
// that instruction's pc, its effects not applied (registers and memory as before it),
// and gas reported as -1 (the GP's overdrawn gas'). OOG takes precedence over the
// instruction's own outcome (halt, panic, host call, memory fault). Every expected value
// here is computed by hand from that rule and 1 gas per instruction.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Exit, type Instance, Module } from "../src/engine.ts";
import { asm, HALT, I, type Ins } from "./_programs.ts";

const load = (bytes: Uint8Array) => Module.load(bytes, { format: "generic" });

/** Run by single steps until an exit. */
function stepToExit(vm: Instance): Exit {
  for (let i = 0; i < 1_000_000; i++) {
    const exit = vm.step();
    if (exit) return exit;
  }
  throw new Error("no exit after 10^6 steps");
}

// One basic block: pc 0 load_imm r1,1 · 3 load_imm r2,2 · 6 load_imm r3,3 · 9 load_imm r4,4 · 12 jump_ind r0
const straight = asm(I.loadImm(1, 1), I.loadImm(2, 2), I.loadImm(3, 3), I.loadImm(4, 4), I.jumpInd(0));

// A loop: r9 = 0x20000, r7 = 5; L: r8 += 3; r7 -= 1; if r7 != 0 goto L; [r9] = r8; halt.
const loopParts: Ins[] = [
  I.loadImm(9, 0x20000), // 0 (load_imm r9 with a 3-byte immediate: 5 bytes)
  I.loadImm(7, 5), // 5
  I.fallthrough(), // 8
  I.addImm64(8, 8, 3), // 9  L
  I.addImm64(7, 7, -1), // 12
  I.regImmOffset(82, 7, 0, 9 - 15), // 15 branch_ne_imm r7, 0, L (6 bytes)
  I.storeIndU64(8, 9, 0), // 21
  I.jumpInd(0), // 23
];
const loop = asm(...loopParts);
// The pcs in execution order: 3 set-up instructions, 5 iterations of 3, the store, the halt.
const loopTrace = [0, 5, 8, ...Array.from({ length: 5 }, () => [9, 12, 15]).flat(), 21, 23];

function makeLoopVm(gas: bigint): Instance {
  return load(loop.bytes).instantiate({
    gas,
    registers: [HALT],
    memory: [{ address: 0x20000, length: 4096, access: "write" }],
  });
}

describe("out of gas", () => {
  it("the hand-written programs have the layout the tests assume", () => {
    assert.deepEqual(straight.pcs, [0, 3, 6, 9, 12]);
    assert.deepEqual(loop.pcs, [0, 5, 8, 9, 12, 15, 21, 23]);
    assert.equal(loopTrace.length, 20);
  });

  describe("in one basic block, for every starting gas", () => {
    for (let g = 0; g <= 6; g++) {
      it(`gas ${g}`, () => {
        const vm = load(straight.bytes).instantiate({ gas: BigInt(g), registers: [HALT] });
        const exit = vm.run();
        const executed = Math.min(g, 5);
        if (g >= 5) {
          assert.deepEqual(exit, { kind: "halt", pc: 12, gas: BigInt(g - 5) });
        } else {
          // g = 0: the first instruction; 1..3: mid-block; 4: the terminator (jump_ind).
          assert.deepEqual(exit, { kind: "oog", pc: straight.pcs[g], gas: -1n });
          assert.equal(vm.pc, straight.pcs[g], "the instance stays at the unpaid instruction");
        }
        const expected = [BigInt(HALT), 1n, 2n, 3n, 4n].map((v, i) => (i === 0 || i <= executed ? v : 0n));
        assert.deepEqual(vm.registers.slice(0, 5), expected);
      });
    }
  });

  it("an OOG on a taken branch leaves the pc on the branch", () => {
    // 0 load_imm r1,1 · 3 branch_eq_imm r1,1,→11 (7 bytes) · 10 trap · 11 load_imm r2,9 · 14 trap
    // The target 11 follows a terminator (the trap), so it is a block start.
    const target = asm(I.loadImm(1, 1), I.regImmOffset(81, 1, 1, 8), I.trap(), I.loadImm(2, 9), I.trap());
    assert.deepEqual(target.pcs, [0, 3, 10, 11, 14]);
    const vm = load(target.bytes).instantiate({ gas: 1n });
    assert.deepEqual(vm.run(), { kind: "oog", pc: 3, gas: -1n });
    vm.gas = 2n;
    assert.deepEqual(vm.run(), { kind: "oog", pc: 14, gas: -1n });
    assert.equal(vm.getRegister(2), 9n);
  });

  describe("on a memory access that would fail, OOG comes first", () => {
    it("load from an unmapped page: OOG with gas 0, page fault with gas 1", () => {
      // 0 load_imm r1,1 · 3 load_u64 r2, 0x20000 (unmapped) · 8 trap
      const p = asm(I.loadImm(1, 1), I.regImm(58, 2, 0x20000), I.trap());
      assert.deepEqual(p.pcs, [0, 3, 8]);
      const poor = load(p.bytes).instantiate({ gas: 1n });
      assert.deepEqual(poor.run(), { kind: "oog", pc: 3, gas: -1n });
      assert.equal(poor.getRegister(2), 0n);
      // With the gas for it, the load faults; GP main #497 charges the faulting instruction.
      const paid = load(p.bytes).instantiate({ gas: 2n });
      assert.deepEqual(paid.run(), { kind: "fault", pc: 3, gas: 0n, address: 0x20000 });
    });

    it("load below 2^16: OOG with gas 0, panic with gas 1", () => {
      const p = asm(I.regImm(58, 2, 0x100), I.trap());
      assert.deepEqual(load(p.bytes).instantiate({ gas: 0n }).run(), { kind: "oog", pc: 0, gas: -1n });
      assert.deepEqual(load(p.bytes).instantiate({ gas: 1n }).run(), { kind: "panic", pc: 0, gas: 0n });
    });
  });

  it("an unpaid store does not touch memory", () => {
    // 0 load_imm r1,1 · 3 store_imm_u64 [0x20000] ← 7 · 9 trap
    const p = asm(I.loadImm(1, 1), I.storeImm(33, 0x20000, 7), I.trap());
    assert.deepEqual(p.pcs, [0, 3, 9]);
    const region = [{ address: 0x20000, length: 4096, access: "write" as const }];
    const poor = load(p.bytes).instantiate({ gas: 1n, memory: region });
    assert.deepEqual(poor.run(), { kind: "oog", pc: 3, gas: -1n });
    assert.deepEqual(poor.memory.read(0x20000, 8), new Uint8Array(8));
    const paid = load(p.bytes).instantiate({ gas: 3n, memory: region });
    assert.deepEqual(paid.run(), { kind: "panic", pc: 9, gas: 0n });
    assert.deepEqual(paid.memory.read(0x20000, 8), new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]));
  });

  it("a trap with no gas is OOG, not panic; the implicit trap at |c| too", () => {
    assert.deepEqual(load(asm(I.trap()).bytes).instantiate({ gas: 0n }).run(), { kind: "oog", pc: 0, gas: -1n });
    assert.deepEqual(load(asm(I.trap()).bytes).instantiate({ gas: 1n }).run(), { kind: "panic", pc: 0, gas: 0n });
    const p = asm(I.loadImm(1, 1)); // runs off the end at pc 3
    assert.deepEqual(load(p.bytes).instantiate({ gas: 1n }).run(), { kind: "oog", pc: 3, gas: -1n });
    assert.deepEqual(load(p.bytes).instantiate({ gas: 2n }).run(), { kind: "panic", pc: 3, gas: 0n });
  });

  it("right after a host call", () => {
    // 0 ecalli 1 · 2 load_imm r1,1 · 5 trap
    const vm = load(asm(I.ecalli(1), I.loadImm(1, 1), I.trap()).bytes).instantiate({ gas: 1n });
    assert.deepEqual(vm.run(), { kind: "host", pc: 0, gas: 0n, call: 1 });
    assert.deepEqual(vm.run(), { kind: "oog", pc: 2, gas: -1n });
    assert.equal(vm.getRegister(1), 0n);
  });

  it("resuming after OOG with more gas retries the unpaid instruction", () => {
    const vm = load(straight.bytes).instantiate({ gas: 2n, registers: [HALT] });
    assert.deepEqual(vm.run(), { kind: "oog", pc: 6, gas: -1n });
    vm.gas = 3n; // exactly load_imm r3, load_imm r4, jump_ind
    assert.deepEqual(vm.run(), { kind: "halt", pc: 12, gas: 0n });
    assert.deepEqual(vm.registers.slice(1, 5), [1n, 2n, 3n, 4n]);
  });

  describe("a loop, for every starting gas: the OOG pc is the g-th instruction executed", () => {
    for (let g = 0; g <= 21; g++) {
      it(`gas ${g}`, () => {
        const vm = makeLoopVm(BigInt(g));
        const exit = vm.run();
        if (g >= 20) {
          assert.deepEqual(exit, { kind: "halt", pc: 23, gas: BigInt(g - 20) });
          assert.deepEqual(vm.memory.read(0x20000, 8), new Uint8Array([15, 0, 0, 0, 0, 0, 0, 0]));
        } else {
          assert.deepEqual(exit, { kind: "oog", pc: loopTrace[g], gas: -1n });
          // r8 grows by 3 per executed add at pc 9.
          const adds = loopTrace.slice(0, g).filter((pc) => pc === 9).length;
          assert.equal(vm.getRegister(8), BigInt(3 * adds));
          // The store at pc 21 is the 19th instruction executed (index 18).
          const stored = g > 18 ? 15 : 0;
          assert.deepEqual(vm.memory.read(0x20000, 8), new Uint8Array([stored, 0, 0, 0, 0, 0, 0, 0]));
        }
      });
    }
  });

  describe("step() single-stepping matches run()", () => {
    for (let g = 0; g <= 21; g++) {
      it(`loop with gas ${g}`, () => {
        const a = makeLoopVm(BigInt(g));
        const b = makeLoopVm(BigInt(g));
        const ra = a.run();
        const rb = stepToExit(b);
        assert.deepEqual(rb, ra);
        assert.deepEqual(b.registers, a.registers);
        assert.equal(b.pc, a.pc);
        assert.deepEqual(b.memory.read(0x20000, 16), a.memory.read(0x20000, 16));
      });
    }
    it("each step charges exactly 1 gas and moves to the next instruction in order", () => {
      const vm = makeLoopVm(100n);
      for (let i = 0; i < loopTrace.length - 1; i++) {
        assert.equal(vm.pc, loopTrace[i]);
        assert.equal(vm.step(), undefined);
        assert.equal(vm.gas, BigInt(99 - i));
      }
      assert.deepEqual(vm.step(), { kind: "halt", pc: 23, gas: 80n });
    });
  });

  it("gas beyond 2^53 is charged exactly", () => {
    for (const g of [2n ** 53n + 1n, 2n ** 60n, 2n ** 63n - 1n]) {
      const vm = load(straight.bytes).instantiate({ gas: g, registers: [HALT] });
      assert.deepEqual(vm.run(), { kind: "halt", pc: 12, gas: g - 5n });
    }
  });
});
