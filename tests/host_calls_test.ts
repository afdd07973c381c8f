// Host calls (spec §6 ecalli, §10 host exits, §11 resuming). Every expected value below is
// worked out by hand from the spec: 1 gas per instruction, the ecalli included; the exit
// reports the ecalli's own pc; the instance resumes at pc + 1 + skip(pc).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { asm, HALT, I, le } from "./_programs.ts";

const load = (bytes: Uint8Array) => Module.load(bytes, { format: "generic" });

describe("host calls", () => {
  describe("ecalli exits with the sign-extended immediate as the call number", () => {
    // Exit.call holds the low 32 bits of the 64-bit sign-extended immediate.
    const cases: [string, number[], number][] = [
      ["no immediate bytes: 0", [], 0],
      ["1 byte 0x01", [0x01], 1],
      ["1 byte 0x64 (log = 100)", [0x64], 100],
      ["1 byte 0x7f", [0x7f], 127],
      ["1 byte 0x80 sign-extends to -128", [0x80], 0xffffff80],
      ["1 byte 0xff sign-extends to -1", [0xff], 0xffffffff],
      ["2 bytes 0x0080 = 128", [0x80, 0x00], 128],
      ["2 bytes 0x8000 sign-extends", [0x00, 0x80], 0xffff8000],
      ["3 bytes 0x800000 sign-extends", [0x00, 0x00, 0x80], 0xff800000],
      ["4 bytes 0x7fffffff", [0xff, 0xff, 0xff, 0x7f], 0x7fffffff],
      ["4 bytes 0x80000000", [0x00, 0x00, 0x00, 0x80], 0x80000000],
      ["6 bytes: only the first min(4, skip) = 4 are read", [0x02, 0x00, 0x00, 0x00, 0x09, 0x09], 2],
    ];
    for (const [name, bytes, call] of cases) {
      it(name, () => {
        const p = asm(I.ecalli(0, bytes), I.trap());
        const vm = load(p.bytes).instantiate({ gas: 10n });
        assert.deepEqual(vm.run(), { kind: "host", pc: 0, gas: 9n, call });
        // Resumes at 0 + 1 + skip(0) = 1 + number of immediate bytes: the trap.
        assert.equal(vm.pc, 1 + bytes.length);
        assert.deepEqual(vm.run(), { kind: "panic", pc: 1 + bytes.length, gas: 8n });
      });
    }
  });

  it("reports the ecalli's pc, charges it 1 gas, and resumes after it", () => {
    // pc 0 load_imm r7,1 (3 bytes) · 3 load_imm r8,2 · 6 ecalli 5 (2 bytes) · 8 load_imm r9,3 · 11 jump_ind r0
    const p = asm(I.loadImm(7, 1), I.loadImm(8, 2), I.ecalli(5), I.loadImm(9, 3), I.jumpInd(0));
    assert.deepEqual(p.pcs, [0, 3, 6, 8, 11]);
    const vm = load(p.bytes).instantiate({ gas: 100n, registers: [HALT] });
    assert.deepEqual(vm.run(), { kind: "host", pc: 6, gas: 97n, call: 5 });
    assert.equal(vm.pc, 8, "instance pc is past the ecalli");
    assert.deepEqual([vm.getRegister(7), vm.getRegister(8), vm.getRegister(9)], [1n, 2n, 0n]);
    assert.deepEqual(vm.run(), { kind: "halt", pc: 11, gas: 95n });
    assert.equal(vm.getRegister(9), 3n);
  });

  it("lets the host change registers, memory and gas between runs", () => {
    // 0 ecalli 1 · 2 load_ind_u64 r9,[r8] · 4 add_64 r10=r7+r9 · 7 store_ind_u64 [r8+8],r10 · 10 ecalli 2 · 12 jump_ind r0
    const p = asm(
      I.ecalli(1),
      I.loadIndU64(9, 8, 0),
      I.add64(10, 7, 9),
      I.storeIndU64(10, 8, 8),
      I.ecalli(2),
      I.jumpInd(0),
    );
    assert.deepEqual(p.pcs, [0, 2, 4, 7, 10, 12]);
    const vm = load(p.bytes).instantiate({
      gas: 1000n,
      registers: [HALT],
      memory: [{ address: 0x20000, length: 4096, access: "write" }],
    });
    assert.deepEqual(vm.run(), { kind: "host", pc: 0, gas: 999n, call: 1 });
    vm.setRegister(7, 40n);
    vm.setRegister(8, 0x20000n);
    vm.memory.write(0x20000, new Uint8Array(le(2, 8)));
    vm.gas = 50n;
    // load, add, store, ecalli: 4 instructions.
    assert.deepEqual(vm.run(), { kind: "host", pc: 10, gas: 46n, call: 2 });
    assert.equal(vm.getRegister(9), 2n);
    assert.equal(vm.getRegister(10), 42n);
    assert.deepEqual(vm.memory.read(0x20008, 8), new Uint8Array(le(42, 8)));
    vm.gas = 1n;
    assert.deepEqual(vm.run(), { kind: "halt", pc: 12, gas: 0n });
  });

  it("host exits inside a loop report each call and the gas at each", () => {
    // 0 load_imm r7,3 · 3 fallthrough · 4 ecalli 9 · 6 add_imm_64 r7,r7,-1 · 9 branch_ne_imm r7,0,→4 · 15 jump_ind r0
    const p = asm(
      I.loadImm(7, 3),
      I.fallthrough(),
      I.ecalli(9),
      I.addImm64(7, 7, -1),
      I.regImmOffset(82, 7, 0, 4 - 9),
      I.jumpInd(0),
    );
    assert.deepEqual(p.pcs, [0, 3, 4, 6, 9, 15]);
    const vm = load(p.bytes).instantiate({ gas: 100n, registers: [HALT] });
    const seen: [number, bigint, bigint][] = [];
    let exit = vm.run();
    while (exit.kind === "host") {
      seen.push([exit.pc, exit.gas, vm.getRegister(7)]);
      assert.equal(vm.pc, 6);
      exit = vm.run();
    }
    // 2 instructions, then 3 per iteration up to and including the ecalli.
    assert.deepEqual(seen, [[4, 97n, 3n], [4, 94n, 2n], [4, 91n, 1n]]);
    // After the last ecalli: add, branch (not taken), jump_ind.
    assert.deepEqual(exit, { kind: "halt", pc: 15, gas: 88n });
  });

  it("resuming after an ecalli that ends the code runs into the implicit trap at |c|", () => {
    const p = asm(I.ecalli(3));
    const vm = load(p.bytes).instantiate({ gas: 10n });
    assert.deepEqual(vm.run(), { kind: "host", pc: 0, gas: 9n, call: 3 });
    assert.equal(vm.pc, 2);
    assert.deepEqual(vm.run(), { kind: "panic", pc: 2, gas: 8n });
  });

  it("an ecalli with no gas left is out of gas, not a host call", () => {
    const p = asm(I.loadImm(7, 1), I.ecalli(4), I.trap());
    const vm = load(p.bytes).instantiate({ gas: 1n });
    assert.deepEqual(vm.run(), { kind: "oog", pc: 3, gas: -1n });
    assert.equal(vm.getRegister(7), 1n);
  });

  it("an ecalli paid with the last gas exits to the host; the next instruction is out of gas", () => {
    const p = asm(I.ecalli(4), I.loadImm(7, 1), I.trap());
    const vm = load(p.bytes).instantiate({ gas: 1n });
    assert.deepEqual(vm.run(), { kind: "host", pc: 0, gas: 0n, call: 4 });
    assert.deepEqual(vm.run(), { kind: "oog", pc: 2, gas: -1n });
    assert.equal(vm.getRegister(7), 0n);
    // The host may top up the gas and retry the same instruction.
    vm.gas = 2n;
    assert.deepEqual(vm.run(), { kind: "panic", pc: 5, gas: 0n });
    assert.equal(vm.getRegister(7), 1n);
  });

  it("single-stepping reports the same host exit as run()", () => {
    const p = asm(I.loadImm(7, 1), I.ecalli(6), I.loadImm(8, 2), I.trap());
    const vm = load(p.bytes).instantiate({ gas: 10n });
    assert.equal(vm.step(), undefined);
    assert.deepEqual(vm.step(), { kind: "host", pc: 3, gas: 8n, call: 6 });
    assert.equal(vm.pc, 5);
    assert.equal(vm.step(), undefined);
    assert.equal(vm.getRegister(8), 2n);
    assert.deepEqual(vm.step(), { kind: "panic", pc: 8, gas: 6n });
  });
});
