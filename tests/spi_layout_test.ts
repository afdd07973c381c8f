// Standard program initialisation Y (spec §12). Expected addresses computed by hand:
//   RO data  [Z_Z, Z_Z + |o|), zero to Z_Z + P(|o|), read-only
//   RW data  at 2·Z_Z + Z(|o|), zero to + P(|w|) + z·Z_P, writable
//   stack    [2^32 − 2·Z_Z − Z_I − P(s), 2^32 − 2·Z_Z − Z_I) = [0xFEFE0000 − P(s), 0xFEFE0000), writable
//   args     [2^32 − Z_Z − Z_I, + P(|a|)) = [0xFEFF0000, …), read-only
//   r0 = 0xFFFF0000, r1 = 0xFEFE0000, r7 = 0xFEFF0000, r8 = |a|, all else 0; everything else unmapped.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Exit, Module } from "../src/engine.ts";
import { asm, I, type Ins, spi } from "./_programs.ts";

const RO = [1, 2, 3, 4, 5];
const RW = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
const ARGS = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5];

/** |o| = 5, |w| = 10, z = 2, s = 0x2001 (so P(s) = 0x3000), args of 5 bytes. */
function instance(code: Ins[] = [I.trap()], args: number[] = ARGS) {
  const bytes = spi({ ro: RO, rw: RW, heapPages: 2, stack: 0x2001, blob: asm(...code).bytes });
  return Module.load(bytes, { format: "spi" }).instantiate({ gas: 100n, args: new Uint8Array(args) });
}

/** Run `ins ; jump_ind r0` in the standard layout above. */
function probe(ins: Ins): { exit: Exit; r2: bigint } {
  const vm = instance([ins, I.jumpInd(0)]);
  const exit = vm.run();
  return { exit, r2: vm.getRegister(2) };
}

const halted = (ins: Ins) => ({ kind: "halt", pc: ins.length, gas: 98n });
const faulted = (address: number) => ({ kind: "fault", pc: 0, gas: 99n, address });

describe("standard program layout (Y)", () => {
  it("initial registers: r0 = 0xFFFF0000, r1 = 0xFEFE0000, r7 = 0xFEFF0000, r8 = |a|, others 0", () => {
    const vm = instance();
    assert.deepEqual(vm.registers, [0xffff0000n, 0xfefe0000n, 0n, 0n, 0n, 0n, 0n, 0xfeff0000n, 5n, 0n, 0n, 0n, 0n]);
  });

  it("access rights of each zone and the unmapped gaps around them", () => {
    const m = instance().memory;
    const expected: [number, string][] = [
      [0x00000000, "none"],
      [0x0000ffff, "none"],
      [0x00010000, "read"], // RO data
      [0x00010fff, "read"], // RO zero padding up to P(5) = 0x1000
      [0x00011000, "none"],
      [0x0002ffff, "none"],
      [0x00030000, "write"], // RW data at 2·Z_Z + Z(5) = 0x30000
      [0x00030fff, "write"], // RW zero padding up to P(10)
      [0x00031000, "write"], // heap page 1
      [0x00032fff, "write"], // heap page 2
      [0x00033000, "none"],
      [0xfefdcfff, "none"],
      [0xfefdd000, "write"], // stack bottom: 0xFEFE0000 − 0x3000
      [0xfefdffff, "write"], // stack top − 1
      [0xfefe0000, "none"], // gap between stack and arguments
      [0xfefeffff, "none"],
      [0xfeff0000, "read"], // arguments
      [0xfeff0fff, "read"], // argument zero padding up to P(5)
      [0xfeff1000, "none"],
      [0xffff0000, "none"],
      [0xffffffff, "none"],
    ];
    for (const [address, access] of expected) {
      assert.equal(m.access(address), access, `0x${address.toString(16)}`);
    }
  });

  it("contents: RO data, RW data and arguments in place, padding and heap zero", () => {
    const m = instance().memory;
    assert.deepEqual(m.read(0x10000, 8), new Uint8Array([...RO, 0, 0, 0]));
    assert.deepEqual(m.read(0x10005, 0x1000 - 5), new Uint8Array(0x1000 - 5));
    assert.deepEqual(m.read(0x30000, 12), new Uint8Array([...RW, 0, 0]));
    assert.deepEqual(m.read(0x3000a, 0x3000 - 10), new Uint8Array(0x3000 - 10));
    assert.deepEqual(m.read(0xfefdd000, 0x3000), new Uint8Array(0x3000));
    assert.deepEqual(m.read(0xfeff0000, 6), new Uint8Array([...ARGS, 0]));
  });

  describe("as the guest sees it", () => {
    it("reads RO data", () => {
      const ins = I.regImm(52, 2, 0x10004); // load_u8 r2, [0x10004]
      assert.deepEqual(probe(ins), { exit: halted(ins), r2: 5n });
    });
    it("cannot write RO data: page fault (GP)", () => {
      assert.deepEqual(probe(I.storeImm(30, 0x10000, 9)).exit, faulted(0x10000));
    });
    it("faults in the gap after RO data", () => {
      assert.deepEqual(probe(I.regImm(52, 2, 0x11000)).exit, faulted(0x11000));
    });
    it("reads and writes RW data and heap pages", () => {
      const ins = I.regImm(52, 2, 0x30009);
      assert.deepEqual(probe(ins), { exit: halted(ins), r2: 20n });
      const store = I.storeImm(30, 0x32fff, 9);
      assert.deepEqual(probe(store).exit, halted(store));
    });
    it("faults right after the heap pages", () => {
      assert.deepEqual(probe(I.storeImm(30, 0x33000, 9)).exit, faulted(0x33000));
    });
    it("writes just below the stack pointer r1", () => {
      const ins = I.storeIndU64(7, 1, -8);
      assert.deepEqual(probe(ins).exit, halted(ins));
    });
    it("faults at r1 itself (the stack ends at 0xFEFE0000)", () => {
      assert.deepEqual(probe(I.storeIndU64(7, 1, 0)).exit, faulted(0xfefe0000));
    });
    it("writes the stack bottom r1 − 0x3000, faults one byte below (page-aligned address)", () => {
      const ins = I.storeIndU8(7, 1, -0x3000);
      assert.deepEqual(probe(ins).exit, halted(ins));
      assert.deepEqual(probe(I.storeIndU8(7, 1, -0x3001)).exit, faulted(0xfefdc000));
    });
    it("reads the arguments through r7 but cannot write them", () => {
      const ins = I.loadIndU8(2, 7, 4);
      assert.deepEqual(probe(ins), { exit: halted(ins), r2: 0xa5n });
      assert.deepEqual(probe(I.storeIndU8(2, 7, 0)).exit, faulted(0xfeff0000));
    });
    it("faults after the argument page", () => {
      assert.deepEqual(probe(I.loadIndU8(2, 7, 0x1000)).exit, faulted(0xfeff1000));
    });
    it("panics below 2^16", () => {
      assert.deepEqual(probe(I.regImm(52, 2, 0xffff)).exit, { kind: "panic", pc: 0, gas: 99n });
    });
  });

  it("RO data longer than a zone pushes RW data to the next zone boundary", () => {
    // |o| = 0x10001: RO [0x10000, 0x10000 + P(0x10001) = 0x21000); RW at 0x20000 + Z(0x10001) = 0x40000.
    const bytes = spi({ ro: new Array(0x10001).fill(7), rw: [1], blob: asm(I.trap()).bytes });
    const m = Module.load(bytes, { format: "spi" }).instantiate().memory;
    assert.equal(m.access(0x20fff), "read");
    assert.equal(m.access(0x21000), "none");
    assert.equal(m.access(0x3ffff), "none");
    assert.equal(m.access(0x40000), "write");
    assert.equal(m.access(0x41000), "none");
    assert.deepEqual(m.read(0x20000, 2), new Uint8Array([7, 0]));
  });

  it("nothing mapped for empty data, no heap pages, no stack and no arguments", () => {
    const bytes = spi({ blob: asm(I.trap()).bytes });
    const vm = Module.load(bytes, { format: "spi" }).instantiate();
    assert.deepEqual(vm.memory.mappedPages(), []);
    assert.equal(vm.getRegister(1), 0xfefe0000n, "r1 is the stack top even with no stack");
    assert.equal(vm.getRegister(8), 0n);
  });

  it("heap pages without RW data start at the RW base", () => {
    const bytes = spi({ heapPages: 1, blob: asm(I.trap()).bytes });
    const m = Module.load(bytes, { format: "spi" }).instantiate().memory;
    assert.deepEqual(m.mappedPages(), [0x20]);
    assert.equal(m.access(0x20000), "write");
  });

  it("metadata does not change the layout", () => {
    const bytes = spi({ ro: RO, rw: RW, heapPages: 2, stack: 0x2001, blob: asm(I.trap()).bytes, metadata: [0x41] });
    const vm = Module.load(bytes, { format: "spi-metadata" }).instantiate({ args: new Uint8Array(ARGS) });
    assert.deepEqual(vm.memory.mappedPages(), instance().memory.mappedPages());
    assert.deepEqual(vm.registers, instance().registers);
  });

  describe("argument size limit Z_I = 2^24", () => {
    const module = Module.load(spi({ blob: asm(I.trap()).bytes }), { format: "spi" });
    it("exactly 2^24 bytes fit: [0xFEFF0000, 0xFFFF0000) readable", () => {
      const args = new Uint8Array(2 ** 24);
      args[2 ** 24 - 1] = 0x5a;
      const vm = module.instantiate({ args });
      assert.equal(vm.getRegister(8), 0x1000000n);
      assert.equal(vm.memory.access(0xfffef000), "read");
      assert.equal(vm.memory.access(0xffff0000), "none");
      assert.deepEqual(vm.memory.read(0xfffeffff, 1), new Uint8Array([0x5a]));
    });
    it("2^24 + 1 bytes are refused", () => {
      assert.throws(() => module.instantiate({ args: new Uint8Array(2 ** 24 + 1) }), RangeError);
    });
  });
});
