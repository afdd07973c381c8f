// The paged address space: access rules (spec §8.1), wrap-around, and the Wasm layout
// (rotation, permission map relocation) that the interpreter and recompiler share.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Memory, MemoryAccessError } from "../src/memory/memory.ts";
import { MemoryPool } from "../src/memory/pool.ts";
import { Module } from "../src/engine.ts";

describe("Memory", () => {
  it("maps regions with their access and zero-fills them", () => {
    const mem = Memory.create([
      { address: 0x20000, length: 4096, access: "write" },
      { address: 0x30000, length: 100, access: "read", data: new Uint8Array([7, 8]) },
    ]);
    assert.equal(mem.access(0x20000), "write");
    assert.equal(mem.access(0x30fff), "read");
    assert.equal(mem.access(0x31000), "none");
    assert.deepEqual(mem.read(0x20000, 3), new Uint8Array(3));
    assert.deepEqual(mem.read(0x30000, 3), new Uint8Array([7, 8, 0]));
    assert.deepEqual(mem.mappedPages(), [0x20, 0x30]);
  });

  it("check returns the lowest inaccessible address, including across the 2^32 wrap", () => {
    const mem = Memory.create([{ address: 0xfffff000, length: 4096, access: "write" }]);
    assert.equal(mem.check(0xfffffffe, 2, true), -1);
    // bytes 0xfffffffe, 0xffffffff, 0, 1: the lowest bad one is address 0.
    assert.equal(mem.check(0xfffffffe, 4, false), 0);
    const low = Memory.create([{ address: 0x10000, length: 4096, access: "read" }]);
    assert.equal(low.check(0x10ffc, 8, false), 0x11000);
    assert.equal(low.check(0x10000, 4, true), 0x10000, "read-only page refuses writes");
  });

  it("host accessors throw MemoryAccessError and write nothing on refusal", () => {
    const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
    assert.throws(() => mem.write(0x20ffe, new Uint8Array([1, 2, 3, 4])), MemoryAccessError);
    assert.deepEqual(mem.read(0x20ffe, 2), new Uint8Array(2), "no partial write");
    assert.throws(() => mem.read(0x1f000, 1), (e: unknown) => e instanceof MemoryAccessError && e.address === 0x1f000);
  });

  it("keeps data and permissions when the permission map has to move", () => {
    const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
    mem.write(0x20000, new Uint8Array([1, 2, 3]));
    const before = mem.permBase;
    // Map 4 MiB right after: this runs over where the map sat, so it must relocate.
    mem.map(0x21000, 4 << 20, "write");
    assert.notEqual(mem.permBase, before);
    assert.deepEqual(mem.read(0x20000, 3), new Uint8Array([1, 2, 3]));
    assert.deepEqual(mem.read(0x21000 + (4 << 20) - 4, 4), new Uint8Array(4), "new pages are zero");
    assert.equal(mem.access(0x21000 + (4 << 20)), "none");
    mem.write(0x21000 + 12345, new Uint8Array([9]));
    assert.equal(mem.read(0x21000 + 12345, 1)[0], 9);
  });

  it("unmapping zeroes a page; remapping read-only keeps contents", () => {
    const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
    mem.write(0x20010, new Uint8Array([5]));
    mem.map(0x20000, 4096, "read");
    assert.equal(mem.read(0x20010, 1)[0], 5);
    mem.map(0x20000, 4096, "none");
    mem.map(0x20000, 4096, "write");
    assert.equal(mem.read(0x20010, 1)[0], 0);
  });
});

// Guest accesses through the interpreter: fault addresses are page-aligned and the
// faulting instruction has no effect.
describe("Guest memory accesses", () => {
  // store_u64 [0x20ffc] = r7 (opcode 62, reg 7, 4-byte immediate), then trap.
  const storeU64 = new Uint8Array([0, 0, 7, 62, 7, 0xfc, 0x0f, 0x02, 0x00, 0, 0b1000001]);
  it("an 8-byte store straddling into an unmapped page faults at that page, writing nothing", () => {
    const vm = Module.load(storeU64).instantiate({
      gas: 10n,
      registers: [0, 0, 0, 0, 0, 0, 0, 0x0102030405060708n],
      memory: [{ address: 0x20000, length: 4096, access: "write" }],
    });
    const exit = vm.run();
    assert.deepEqual(exit, { kind: "fault", pc: 0, gas: 9n, address: 0x21000 });
    assert.deepEqual(vm.memory.read(0x20ffc, 4), new Uint8Array(4));
  });
  it("the same store across two writable pages succeeds", () => {
    const vm = Module.load(storeU64).instantiate({
      gas: 10n,
      registers: [0, 0, 0, 0, 0, 0, 0, 0x0102030405060708n],
      memory: [{ address: 0x20000, length: 8192, access: "write" }],
    });
    assert.equal(vm.run().kind, "panic");
    assert.deepEqual(vm.memory.read(0x20ffc, 8), new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]));
  });
  it("a write to a read-only page is a page fault (GP), not a panic", () => {
    const vm = Module.load(storeU64).instantiate({
      gas: 10n,
      memory: [{ address: 0x20000, length: 8192, access: "read" }],
    });
    assert.deepEqual(vm.run(), { kind: "fault", pc: 0, gas: 9n, address: 0x20000 });
  });
  it("an access whose lowest bad byte is below 2^16 panics", () => {
    // load_u32 r7, [0xfffffffe]: bytes ...fffe, ...ffff, 0, 1 — address 0 is the lowest bad one.
    const load = new Uint8Array([0, 0, 7, 56, 7, 0xfe, 0xff, 0xff, 0xff, 0, 0b1000001]);
    const vm = Module.load(load).instantiate({
      gas: 10n,
      memory: [{ address: 0xfffff000, length: 4096, access: "read" }],
    });
    assert.deepEqual(vm.run(), { kind: "panic", pc: 0, gas: 9n });
    assert.equal(vm.getRegister(7), 0n);
  });
  it("a load wrapping past 2^32 reads both ends when both are mapped", () => {
    const load = new Uint8Array([0, 0, 7, 56, 7, 0xfe, 0xff, 0xff, 0xff, 0, 0b1000001]);
    const vm = Module.load(load).instantiate({
      gas: 10n,
      memory: [{ address: 0xfffff000, length: 8192, access: "read" }],
    });
    vm.memory.write(0xfffffffe, new Uint8Array([0x11, 0x22, 0x33, 0x44]), { ignoreAccess: true });
    assert.deepEqual(vm.run(), { kind: "panic", pc: 6, gas: 8n });
    assert.equal(vm.getRegister(7), 0x44332211n);
  });
});

describe("Memory: mapping commits nothing", () => {
  it("3.75 GiB of mapped pages cost no RSS until written, and read zero", () => {
    const before = process.memoryUsage().rss;
    const mem = Memory.create([{ address: 0x10000, length: 0xf0000000, access: "write" }]);
    assert.equal(mem.pageCount, 0xf0000000 / 4096);
    const grown = process.memoryUsage().rss - before;
    // The permission map (1 MiB) and the runtime's own allocations; the 3.75 GiB stay untouched.
    assert.ok(grown < 64 << 20, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
    assert.deepEqual(mem.read(0x10000, 4), new Uint8Array(4));
    assert.deepEqual(mem.read(0x10000 + 0xf0000000 - 4, 4), new Uint8Array(4));
    mem.write(0x80000000, new Uint8Array([7]));
    assert.deepEqual(mem.read(0x80000000, 2), new Uint8Array([7, 0]));
  });
});

describe("MemoryPool", () => {
  it("reuses a released memory, zeroed, for a different layout", () => {
    const pool = new MemoryPool(4);
    const a = Memory.create([{ address: 0x20000, length: 8192, access: "write" }], { pool });
    a.write(0x20000, new Uint8Array([1, 2, 3]));
    a.write(0x21ff0, new Uint8Array([9]));
    const wasm = a.wasm;
    a.release(pool);
    assert.equal(pool.size, 1);
    const b = Memory.create([{ address: 0x30000, length: 4096, access: "write" }], { pool });
    assert.equal(b.wasm, wasm, "the same Wasm memory was reused");
    assert.equal(pool.size, 0);
    assert.deepEqual(b.mappedPages(), [0x30]);
    assert.ok(
      b.u8.every((byte, i) => byte === 0 || (i >= b.permBase && i < b.permBase + (1 << 20))),
      "all guest bytes zero",
    );
    assert.deepEqual(b.read(0x30000, 4), new Uint8Array(4));
  });

  it("handles a full 4 GiB memory: lists its pages and zeroes them on release", () => {
    const pool = new MemoryPool(4, 2 ** 32);
    pool.give(new WebAssembly.Memory({ initial: 65536, maximum: 65536 })); // exactly 2^32 bytes
    const regions = [
      { address: 0x20000, length: 4096, access: "write" as const },
      { address: 0xfffff000, length: 4096, access: "write" as const },
    ];
    const a = Memory.create(regions, { pool });
    assert.equal(a.u8.length, 2 ** 32);
    a.write(0xfffff000, new Uint8Array([5]));
    a.write(0x20000, new Uint8Array([6]));
    assert.deepEqual(a.mappedPages(), [0x20, 0xfffff]);
    a.release(pool);
    const b = Memory.create(regions, { pool });
    assert.equal(b.wasm, a.wasm);
    assert.deepEqual(b.read(0xfffff000, 1), new Uint8Array([0]));
    assert.deepEqual(b.read(0x20000, 1), new Uint8Array([0]));
  });

  it("does not keep memories larger than its byte cap", () => {
    const pool = new MemoryPool(4, 2 << 20);
    pool.give(new WebAssembly.Memory({ initial: 64 })); // 4 MiB
    assert.equal(pool.size, 0);
    pool.give(new WebAssembly.Memory({ initial: 16 })); // 1 MiB
    assert.equal(pool.size, 1);
  });
});
