// sbrk (spec §8.4, heap-pointer convention) and the conditional moves with an immediate
// (spec §6, opcodes 147/148). Expected values are computed by hand:
//   initial heap pointer H = 2·Z_Z + Z(|o|) + P(|w|) + z·Z_P;
//   sbrk(0) returns H; sbrk(n) returns the old H, sets H += n, and makes every page from
//   P(old H) up to P(new H) writable. sbrk costs 1 gas like any instruction.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { asm, HALT, I, spi } from "./_programs.ts";

/** A standard program around the given code; halts via r0 (set by Y to 0xFFFF0000). */
function standard(parts: { ro?: number; rw?: number; heapPages?: number }, ...code: Parameters<typeof asm>) {
  const bytes = spi({
    ro: new Array(parts.ro ?? 0).fill(0xaa),
    rw: new Array(parts.rw ?? 0).fill(0xbb),
    heapPages: parts.heapPages ?? 0,
    stack: 4096,
    blob: asm(...code).bytes,
  });
  return Module.load(bytes, { format: "spi" }).instantiate({ gas: 100n });
}

describe("sbrk", () => {
  it("sbrk(0) returns the heap pointer: no data, no heap pages → 2·Z_Z = 0x20000", () => {
    const vm = standard({}, I.sbrk(10, 2), I.jumpInd(0));
    assert.equal(vm.heapPointer, 0x20000);
    assert.deepEqual(vm.run(), { kind: "halt", pc: 2, gas: 98n });
    assert.equal(vm.getRegister(10), 0x20000n);
  });

  it("the heap pointer starts after RW data and the z heap pages: |o|=5 |w|=10 z=2 → 0x33000", () => {
    // 0x20000 + Z(5) = 0x30000; + P(10) = 0x31000; + 2 pages = 0x33000.
    const vm = standard({ ro: 5, rw: 10, heapPages: 2 }, I.sbrk(10, 2), I.jumpInd(0));
    assert.equal(vm.memory.access(0x32fff), "write", "the last heap page from Y is writable");
    assert.equal(vm.memory.access(0x33000), "none", "nothing is mapped at the heap pointer yet");
    vm.run();
    assert.equal(vm.getRegister(10), 0x33000n);
  });

  it("RW data larger than a page: |o|=0x10001 |w|=0x1001 z=1 → 0x20000 + 0x20000 + 0x2000 + 0x1000", () => {
    const vm = standard({ ro: 0x10001, rw: 0x1001, heapPages: 1 }, I.sbrk(10, 2), I.jumpInd(0));
    vm.run();
    assert.equal(vm.getRegister(10), 0x43000n);
  });

  it("sbrk(n) returns the old pointer, advances it by n and maps the pages writable", () => {
    const vm = standard(
      {},
      I.loadImm(2, 0x1800), // 0
      I.sbrk(10, 2), // 4: r10 = 0x20000, H = 0x21800
      I.sbrk(11, 3), // 6: r11 = sbrk(0) = 0x21800
      I.storeIndU64(2, 10, 0x17f8), // 8: [0x217f8] = 0x1800
      I.loadIndU64(12, 10, 0x17f8), // 12: r12 = [0x217f8]
      I.jumpInd(0), // 16
    );
    assert.equal(vm.memory.access(0x20000), "none");
    assert.deepEqual(vm.run(), { kind: "halt", pc: 16, gas: 94n }, "6 instructions, 1 gas each (sbrk too)");
    assert.equal(vm.getRegister(10), 0x20000n);
    assert.equal(vm.getRegister(11), 0x21800n);
    assert.equal(vm.getRegister(12), 0x1800n);
    assert.equal(vm.heapPointer, 0x21800);
    assert.equal(vm.memory.access(0x20000), "write");
    assert.equal(vm.memory.access(0x21000), "write", "P(0x21800) = 0x22000, so page 0x21000 is mapped");
    assert.equal(vm.memory.access(0x22000), "none");
  });

  it("the whole last page is usable, the page after it faults", () => {
    const vm = standard(
      {},
      I.loadImm(2, 0x1800), // 0
      I.sbrk(10, 2), // 4
      I.storeIndU64(2, 10, 0x1ff8), // 6: [0x21ff8], beyond H but in the mapped page
      I.storeIndU64(2, 10, 0x2000), // 10: [0x22000], unmapped
      I.jumpInd(0),
    );
    assert.deepEqual(vm.run(), { kind: "fault", pc: 10, gas: 96n, address: 0x22000 });
    assert.deepEqual(vm.memory.read(0x21ff8, 8), new Uint8Array([0x00, 0x18, 0, 0, 0, 0, 0, 0]));
  });

  it("before any sbrk the heap is not mapped: a store at the heap pointer faults", () => {
    const vm = standard({}, I.storeImm(32, 0x20000, 1), I.jumpInd(0));
    assert.deepEqual(vm.run(), { kind: "fault", pc: 0, gas: 99n, address: 0x20000 });
  });

  it("unaligned growth maps from P(old H) to P(new H)", () => {
    const vm = standard(
      {},
      I.loadImm(2, 1), // 0
      I.sbrk(10, 2), // 3: r10 = 0x20000, H = 0x20001; page 0x20000 mapped
      I.loadImm(2, 0x1000), // 5
      I.sbrk(11, 2), // 9: r11 = 0x20001, H = 0x21001; pages [P(0x20001), P(0x21001)) = [0x21000, 0x22000)
      I.sbrk(12, 3), // 11: r12 = 0x21001
      I.jumpInd(0), // 13
    );
    assert.deepEqual(vm.run(), { kind: "halt", pc: 13, gas: 94n });
    assert.deepEqual([vm.getRegister(10), vm.getRegister(11), vm.getRegister(12)], [0x20000n, 0x20001n, 0x21001n]);
    assert.equal(vm.memory.access(0x20fff), "write");
    assert.equal(vm.memory.access(0x21000), "write");
    assert.equal(vm.memory.access(0x22000), "none");
    assert.deepEqual(vm.memory.read(0x21000, 4096), new Uint8Array(4096), "new pages are zero");
  });

  it("rD may equal rA; the result's upper 32 bits are 0", () => {
    const vm = standard({}, I.loadImm(2, 0x10), I.sbrk(2, 2), I.sbrk(3, 4), I.jumpInd(0));
    vm.run();
    assert.equal(vm.getRegister(2), 0x20000n);
    assert.equal(vm.getRegister(3), 0x20010n);
  });

  it("a generic program takes its heap pointer from instantiate({ heapStart })", () => {
    const p = asm(I.loadImm(2, 8), I.sbrk(10, 2), I.sbrk(11, 3), I.jumpInd(0));
    const vm = Module.load(p.bytes, { format: "generic" }).instantiate({
      gas: 10n,
      registers: [HALT],
      heapStart: 0x40000,
    });
    assert.deepEqual(vm.run(), { kind: "halt", pc: p.pcs[3], gas: 6n });
    assert.equal(vm.getRegister(10), 0x40000n);
    assert.equal(vm.getRegister(11), 0x40008n);
    assert.equal(vm.memory.access(0x40000), "write");
  });
});

describe("cmov_iz_imm / cmov_nz_imm", () => {
  /** Run `ins ; trap` with r1 and r2 preset; return r1. */
  function run(ins: readonly number[], r1: bigint, r2: bigint): bigint {
    const vm = Module.load(asm(ins, I.trap()).bytes, { format: "generic" }).instantiate({
      gas: 10n,
      registers: [0n, r1, r2],
    });
    assert.deepEqual(vm.run(), { kind: "panic", pc: ins.length, gas: 8n });
    assert.equal(vm.getRegister(2), r2, "the condition register is not changed");
    return vm.getRegister(1);
  }

  const cases: [string, readonly number[], bigint, bigint, bigint][] = [
    // name, instruction, r1, r2, expected r1
    ["iz: r2 = 0 moves X", I.cmovIzImm(1, 2, 5), 7n, 0n, 5n],
    ["iz: r2 = 1 keeps r1", I.cmovIzImm(1, 2, 5), 7n, 1n, 7n],
    ["iz: r2 = 2^32 (low word 0) keeps r1", I.cmovIzImm(1, 2, 5), 7n, 1n << 32n, 7n],
    ["iz: X = -1 is sign-extended to 2^64 - 1", I.cmovIzImm(1, 2, -1), 7n, 0n, (1n << 64n) - 1n],
    ["iz: X = 0x80 (2 bytes) is 128", I.cmovIzImm(1, 2, 0x80), 7n, 0n, 128n],
    ["iz: no immediate bytes gives X = 0", I.cmovIzImm(1, 2, 0), 7n, 0n, 0n],
    ["nz: r2 = 0 keeps r1", I.cmovNzImm(1, 2, 5), 7n, 0n, 7n],
    ["nz: r2 = 1 moves X", I.cmovNzImm(1, 2, 5), 7n, 1n, 5n],
    ["nz: r2 = 2^32 moves X", I.cmovNzImm(1, 2, 5), 7n, 1n << 32n, 5n],
    ["nz: r2 = 2^63 moves X", I.cmovNzImm(1, 2, 5), 7n, 1n << 63n, 5n],
    ["nz: X = -2 (0xfe) is 2^64 - 2", I.cmovNzImm(1, 2, -2), 7n, 9n, (1n << 64n) - 2n],
    ["nz: X = 0x7fffffff", I.cmovNzImm(1, 2, 0x7fffffff), 7n, 9n, 0x7fffffffn],
    ["nz: X = -2^31 is sign-extended", I.cmovNzImm(1, 2, -(2 ** 31)), 7n, 9n, (1n << 64n) - (1n << 31n)],
  ];
  for (const [name, ins, r1, r2, expected] of cases) {
    it(name, () => assert.equal(run(ins, r1, r2), expected));
  }

  it("rA = rB: the condition is read before the write", () => {
    const one = (ins: readonly number[], r1: bigint) => {
      const vm = Module.load(asm(ins, I.trap()).bytes, { format: "generic" }).instantiate({
        gas: 10n,
        registers: [0n, r1],
      });
      vm.run();
      return vm.getRegister(1);
    };
    assert.equal(one(I.cmovNzImm(1, 1, 5), 3n), 5n);
    assert.equal(one(I.cmovNzImm(1, 1, 5), 0n), 0n);
    assert.equal(one(I.cmovIzImm(1, 1, 5), 0n), 5n);
    assert.equal(one(I.cmovIzImm(1, 1, 5), 3n), 3n);
  });

  it("the encodings are the spec's opcodes 147 and 148 (class J: rA low nibble, rB high)", () => {
    assert.deepEqual(I.cmovIzImm(1, 2, 5), [147, 0x21, 5]);
    assert.deepEqual(I.cmovNzImm(1, 2, 5), [148, 0x21, 5]);
  });
});
