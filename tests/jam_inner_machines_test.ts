// Refine-only JAM host functions (spec §13.3, §13.4, GP v0.7.2): historical_lookup (6),
// export (7) and the inner machines machine (8), peek (9), poke (10), pages (11),
// invoke (12), expunge (13). Each function's success path, every result code, panics
// (nothing written or changed), OOG; then a hand-assembled parent program driving a child
// through refine. Everything runs on both backends, and the two must agree. Expected values
// are worked out by hand from the spec (gas: 10 per call, 1 per inner instruction).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blake2b } from "@noble/hashes/blake2.js";
import { assemble, type Backend, type Instance, Module } from "../mod.ts";
import { callHost, type HostOutcome } from "../src/host/host.ts";
import { FULL, HUH, NONE, OK, OOB, WHAT, WHO } from "../src/host/jam/constants.ts";
import { jamRegistry } from "../src/host/jam/contexts.ts";
import { refine } from "../src/host/jam/invocations.ts";
import {
  availableAt,
  INNER_EXIT,
  RefineContext,
  type RefineContextOptions,
  SEGMENT_SIZE,
} from "../src/host/jam/refine.ts";
import { InMemoryServiceState } from "../src/host/jam/state.ts";
import { asm, I } from "./_programs.ts";

const RO = 0x20000; // readable pages: guest inputs (the child blob, a hash, data)
const RW = 0x40000; // writable page
const BAD = 0x60000; // nothing mapped
const HASH = Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const bytes = (...b: number[]) => new Uint8Array(b);
const BACKENDS: Backend[] = ["interpreter", "recompiler"];

// The child: x = [0x10000]; three times { ecalli 42; x = 3x + 1 }; [0x10008] = x; halt.
// pcs: load_u64 0, load_imm 5, fallthrough 8, ecalli 9, mul 11, add 14, add 17,
// branch_ne_imm 20, store_u64 23, jump_ind 28. 20 instructions from start to halt.
const CHILD = assemble(`
.format generic
    load_u64 r7, 0x10000
    load_imm r8, 3
    fallthrough
loop:
    ecalli 42
    mul_imm_64 r7, r7, 3
    add_imm_64 r7, r7, 1
    add_imm_64 r8, r8, -1
    branch_ne_imm r8, 0, loop
    store_u64 r7, 0x10008
    jump_ind r0, 0
`);
const TRAP_CHILD = asm(I.trap()).bytes; // panics at once
// RO layout: CHILD at +0, HASH at +0x100, 0x55 × 5000 from +0x200 (crosses into the 2nd page)
const RO_DATA = new Uint8Array(0x200 + 5000);
RO_DATA.set(CHILD, 0);
RO_DATA.set(HASH, 0x100);
RO_DATA.fill(0x55, 0x200);
const HASH_AT = RO + 0x100;
const DATA_AT = RO + 0x200;

interface Setup {
  vm: Instance;
  refine: RefineContext;
  state: InMemoryServiceState;
  /** Call host function `id` with r7.. = regs; returns the outcome and r7. */
  call: (id: number, regs: (bigint | number)[]) => { outcome: HostOutcome["kind"]; r7: bigint; r8: bigint };
  /** `length` bytes of outer memory at `address` (ignoring access). */
  mem: (address: number, length: number) => Uint8Array;
}

function setup(backend: Backend, gas = 100_000n, options: RefineContextOptions = {}): Setup {
  const vm = Module.load(asm(I.trap()).bytes, { format: "generic" }).instantiate({
    gas,
    backend,
    memory: [
      { address: RO, length: 0x2000, access: "read", data: RO_DATA },
      { address: RW, length: 4096, access: "write" },
    ],
  });
  const state = new InMemoryServiceState();
  state.setInfo(0, InMemoryServiceState.emptyInfo());
  state.setInfo(7, InMemoryServiceState.emptyInfo());
  state.setPreimage(0, bytes(...HASH), bytes(1, 2, 3, 4, 5, 6));
  state.setPreimage(7, bytes(...HASH), bytes(70, 71));
  const refine = new RefineContext(options);
  const registry = jamRegistry({ context: "refine", self: 0, state }, {}, refine);
  return {
    vm,
    refine,
    state,
    call(id, regs) {
      regs.forEach((v, i) => vm.setRegister(7 + i, BigInt(v)));
      const outcome = callHost(vm, registry, 0, id, vm.gas).kind;
      return { outcome, r7: vm.getRegister(7), r8: vm.getRegister(8) };
    },
    mem: (address, length) => vm.memory.read(address, length, { ignoreAccess: true }),
  };
}

const u64 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);

/** Write an invoke record (gas, registers) at RW + `at`. */
function record(s: Setup, gas: bigint, regs: Record<number, bigint> = {}, at = 0): void {
  const b = new Uint8Array(112);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, gas, true);
  for (const [i, x] of Object.entries(regs)) v.setBigUint64(8 + 8 * Number(i), x, true);
  s.vm.memory.write(RW + at, b);
}
const recordGas = (s: Setup, at = 0) => u64(s.mem(RW + at, 8));
const recordReg = (s: Setup, i: number, at = 0) => u64(s.mem(RW + at + 8 + 8 * i, 8));

/** A child machine (id returned) with page 16 writable holding `input` at 0x10000. */
function child(s: Setup, input = 5n): bigint {
  const n = s.call(8, [RO, CHILD.length, 0]).r7;
  assert.equal(s.call(11, [n, 16, 1, 2]).r7, OK);
  s.vm.memory.write(RW + 0x800, new Uint8Array(new BigUint64Array([input]).buffer));
  assert.equal(s.call(10, [n, RW + 0x800, 0x10000, 8]).r7, OK);
  return n;
}

for (const backend of BACKENDS) {
  describe(`Refine host functions (${backend})`, () => {
    it("machine: smallest free id, HUH for a bad blob, panic for an unreadable one, same backend", () => {
      const s = setup(backend);
      assert.deepEqual(s.call(8, [RO, CHILD.length, 0]), { outcome: "continue", r7: 0n, r8: BigInt(CHILD.length) });
      assert.equal(s.call(8, [RO, CHILD.length, 9]).r7, 1n);
      assert.equal(s.refine.machine(0)!.instance.backend, backend);
      assert.equal(s.refine.machine(1)!.pc, 9n);
      // every page of a new machine is inaccessible
      assert.deepEqual(s.refine.machine(0)!.instance.memory.mappedPages(), []);
      assert.equal(s.call(13, [0]).r7, 0n); // expunge 0 → its pc
      assert.equal(s.call(8, [RO, CHILD.length, 0]).r7, 0n); // 0 is free again
      assert.equal(s.call(8, [RO, CHILD.length, 0]).r7, 2n);
      // deblob fails: truncated, trailing byte, empty
      assert.equal(s.call(8, [RO, CHILD.length - 1, 0]).r7, HUH);
      assert.equal(s.call(8, [RO, CHILD.length + 1, 0]).r7, HUH);
      assert.equal(s.call(8, [RO, 0, 0]).r7, HUH);
      // a bad pc is not checked by machine (it panics inside later)
      assert.equal(s.call(8, [RO, CHILD.length, 2n ** 40n]).r7, 3n);
      // unreadable blob: panic, no machine made
      assert.equal(s.call(8, [BAD, 10, 0]).outcome, "panic");
      assert.equal(s.call(8, [RO + 0x1ff0, 0x20, 0]).outcome, "panic");
      assert.deepEqual(s.refine.machineIds(), [0, 1, 2, 3]);
      assert.equal(s.vm.gas, 100_000n - 10n * 11n);
      s.refine.dispose();
    });

    it("poke and peek: copies, and the check order panic → WHO → OOB", () => {
      const s = setup(backend);
      const n = s.call(8, [RO, CHILD.length, 0]).r7;
      // inner pages inaccessible → OOB
      assert.equal(s.call(10, [n, DATA_AT, 0x10000, 4]).r7, OOB);
      assert.equal(s.call(9, [n, RW, 0x10000, 4]).r7, OOB);
      assert.equal(s.call(11, [n, 16, 2, 2]).r7, OK); // 0x10000..0x12000 writable
      assert.equal(s.call(10, [n, DATA_AT, 0x10ffe, 4]).r7, OK); // across the page boundary
      assert.equal(s.call(9, [n, RW + 10, 0x10ffd, 6]).r7, OK);
      assert.deepEqual(s.mem(RW + 10, 6), bytes(0, 0x55, 0x55, 0x55, 0x55, 0));
      // length 0 is always fine (when n exists)
      assert.equal(s.call(9, [n, BAD, 0x90000, 0]).r7, OK);
      assert.equal(s.call(10, [n, BAD, 0x90000, 0]).r7, OK);
      // the outer range comes first: panic even for an unknown machine or a bad inner range
      assert.equal(s.call(9, [99, RO, 0x10000, 4]).outcome, "panic"); // RO is not writable
      assert.equal(s.call(9, [n, RW + 4094, 0x10000, 4]).outcome, "panic");
      assert.equal(s.call(10, [99, BAD, 0x10000, 4]).outcome, "panic");
      // then WHO, even if the inner range is bad too
      assert.equal(s.call(9, [99, RW, 0x90000, 4]).r7, WHO);
      assert.equal(s.call(10, [99, DATA_AT, 0x90000, 4]).r7, WHO);
      assert.equal(s.call(9, [2n ** 64n - 1n, RW, 0x10000, 4]).r7, WHO);
      // then OOB: partly outside the inner pages
      assert.equal(s.call(9, [n, RW + 100, 0x11ffe, 4]).r7, OOB);
      assert.equal(s.call(10, [n, DATA_AT, 0x11ffe, 4]).r7, OOB);
      assert.deepEqual(s.mem(RW + 100, 4), bytes(0, 0, 0, 0)); // nothing written on OOB
      assert.deepEqual(s.refine.machine(n)!.instance.memory.read(0x11ffe, 2), bytes(0, 0));
      // poke needs the inner range writable: read-only pages → OOB, peek still works
      assert.equal(s.call(11, [n, 17, 1, 3]).r7, OK);
      assert.equal(s.call(10, [n, DATA_AT, 0x11000, 1]).r7, OOB);
      assert.equal(s.call(9, [n, RW, 0x11000, 1]).r7, OK);
      s.refine.dispose();
    });

    it("pages: modes 0–4, zeroing, WHO first, then each HUH", () => {
      const s = setup(backend);
      const n = s.call(8, [RO, CHILD.length, 0]).r7;
      const inner = s.refine.machine(n)!.instance.memory;
      const fill = () => assert.deepEqual(s.call(10, [n, DATA_AT, 0x20000, 0x1e00]).outcome, "continue");
      const peek2 = () => (s.call(9, [n, RW, 0x20fff, 2]).r7 === OK ? s.mem(RW, 2) : undefined);
      assert.equal(s.call(11, [n, 32, 2, 2]).r7, OK);
      assert.deepEqual([inner.access(0x20000), inner.access(0x21000), inner.access(0x22000)], [
        "write",
        "write",
        "none",
      ]);
      fill();
      assert.deepEqual(peek2(), bytes(0x55, 0x55));
      // 4: writable, contents kept; 3: read-only, contents kept
      assert.equal(s.call(11, [n, 32, 2, 4]).r7, OK);
      assert.deepEqual(peek2(), bytes(0x55, 0x55));
      assert.equal(s.call(11, [n, 32, 2, 3]).r7, OK);
      assert.deepEqual([inner.access(0x20000), peek2()], ["read", bytes(0x55, 0x55)]);
      // 1: read-only and zeroed (even though already readable)
      assert.equal(s.call(11, [n, 33, 1, 1]).r7, OK);
      assert.deepEqual(peek2(), bytes(0x55, 0));
      // 2: writable and zeroed
      assert.equal(s.call(11, [n, 32, 2, 4]).r7, OK);
      fill();
      assert.equal(s.call(11, [n, 32, 1, 2]).r7, OK);
      assert.deepEqual(peek2(), bytes(0, 0x55));
      // 0: inaccessible (and zeroed: making it writable again shows zeros)
      assert.equal(s.call(11, [n, 33, 1, 0]).r7, OK);
      assert.deepEqual([inner.access(0x21000), peek2()], ["none", undefined]);
      assert.equal(s.call(11, [n, 33, 1, 2]).r7, OK);
      assert.deepEqual(peek2(), bytes(0, 0));
      // mode 3/4 need every page accessible: 32..34 has 34 inaccessible → HUH, nothing changed
      assert.equal(s.call(11, [n, 32, 3, 3]).r7, HUH);
      assert.equal(s.call(11, [n, 32, 3, 4]).r7, HUH);
      assert.deepEqual([inner.access(0x20000), inner.access(0x22000)], ["write", "none"]);
      // HUH: mode > 4, p < 16, p + c ≥ 2^20
      assert.equal(s.call(11, [n, 32, 1, 5]).r7, HUH);
      assert.equal(s.call(11, [n, 32, 1, 2n ** 64n - 1n]).r7, HUH);
      assert.equal(s.call(11, [n, 15, 1, 2]).r7, HUH);
      assert.equal(s.call(11, [n, 15, 0, 0]).r7, HUH);
      assert.equal(s.call(11, [n, 2 ** 20 - 1, 1, 2]).r7, HUH);
      assert.equal(s.call(11, [n, 2 ** 20 - 2, 2, 1]).r7, HUH);
      assert.equal(s.call(11, [n, 2n ** 64n - 1n, 2, 1]).r7, HUH);
      assert.equal(inner.access(0xfffff000), "none");
      // the highest range allowed: p + c = 2^20 − 1
      assert.equal(s.call(11, [n, 2 ** 20 - 2, 1, 2]).r7, OK);
      assert.equal(inner.access(0xffffe000), "write");
      // a count of 0 changes nothing
      assert.equal(s.call(11, [n, 40, 0, 3]).r7, OK);
      // WHO comes before HUH
      assert.equal(s.call(11, [7, 0, 1, 9]).r7, WHO);
      assert.equal(s.vm.gas, 100_000n - 10n * 30n);
      s.refine.dispose();
    });

    it("invoke: HOST exits resume after the ecalli, then HALT; the record carries gas and registers", () => {
      const s = setup(backend);
      const n = child(s, 5n);
      record(s, 1000n, { 0: 0xffff0000n, 12: 77n });
      // 1st run: load_u64, load_imm, fallthrough, ecalli → HOST 42 after 4 gas
      assert.deepEqual(s.call(12, [n, RW]), { outcome: "continue", r7: INNER_EXIT.host, r8: 42n });
      assert.deepEqual([recordGas(s), recordReg(s, 7), recordReg(s, 8), recordReg(s, 12)], [996n, 5n, 3n, 77n]);
      assert.equal(s.refine.machine(n)!.pc, 11n); // past the ecalli
      // the host may change registers in the record between runs (r12 here)
      record(s, 996n, { 0: 0xffff0000n, 7: 5n, 8: 3n, 12: 78n });
      assert.equal(s.call(12, [n, RW]).r7, INNER_EXIT.host);
      assert.deepEqual([recordGas(s), recordReg(s, 7), recordReg(s, 8)], [991n, 16n, 2n]);
      assert.equal(s.call(12, [n, RW]).r7, INNER_EXIT.host);
      assert.deepEqual([recordGas(s), recordReg(s, 7)], [986n, 49n]);
      // last run: 6 instructions to the halt; r8 (the record pointer) is left as it was
      assert.deepEqual(s.call(12, [n, RW]), { outcome: "continue", r7: INNER_EXIT.halt, r8: BigInt(RW) });
      assert.deepEqual([recordGas(s), recordReg(s, 7), recordReg(s, 8), recordReg(s, 12)], [980n, 148n, 0n, 78n]);
      assert.equal(s.call(9, [n, RW + 0x900, 0x10008, 8]).r7, OK);
      assert.equal(u64(s.mem(RW + 0x900, 8)), 148n); // 27·5 + 13
      // stored pc after halt: 0 (GP letter) → expunge answers it
      assert.equal(s.refine.machine(n)!.pc, 0n);
      assert.equal(s.call(13, [n]).r7, 0n);
      assert.equal(s.call(13, [n]).r7, WHO);
      assert.equal(s.vm.gas, 100_000n - 10n * 10n);
    });

    it("invoke: the stored pc after a halt can be the halting instruction's", () => {
      const s = setup(backend, 100_000n, { innerHaltPc: "instruction" });
      const n = child(s, 1n);
      record(s, 1000n, { 0: 0xffff0000n });
      let code = INNER_EXIT.host;
      while (code === INNER_EXIT.host) code = s.call(12, [n, RW]).r7;
      assert.equal(code, INNER_EXIT.halt);
      assert.equal(s.call(13, [n]).r7, 28n);
    });

    it("invoke: FAULT with the address, PANIC, OOG (gas written back as 0), and a large gas", () => {
      const s = setup(backend);
      // no pages: the first load faults at 0x10000, pc stays; pvmkit charges the faulting
      // load its 1 gas (graypaper #497; GP v0.7.2 itself charged nothing)
      const n = s.call(8, [RO, CHILD.length, 0]).r7;
      record(s, 50n, { 0: 0xffff0000n });
      assert.deepEqual(s.call(12, [n, RW]), { outcome: "continue", r7: INNER_EXIT.fault, r8: 0x10000n });
      assert.deepEqual([recordGas(s), s.refine.machine(n)!.pc], [49n, 0n]);
      // map the page: the same machine now runs from the load to its first host call
      assert.equal(s.call(11, [n, 16, 1, 2]).r7, OK);
      assert.equal(s.call(12, [n, RW]).r7, INNER_EXIT.host);
      assert.equal(recordGas(s), 45n);
      // OOG: 4 gas for a 5-instruction stretch; r8 unchanged, gas written as 0, pc at the
      // instruction that could not be paid for (the ecalli at 9 after mul/add/add/branch)
      record(s, 4n, { 0: 0xffff0000n, 8: 3n });
      assert.deepEqual(s.call(12, [n, RW]), { outcome: "continue", r7: INNER_EXIT.oog, r8: BigInt(RW) });
      assert.deepEqual([recordGas(s), s.refine.machine(n)!.pc], [0n, 9n]);
      // registers as they were before the instruction that ran out
      assert.equal(recordReg(s, 8), 2n);
      // PANIC: a trap child
      s.vm.memory.write(RW + 0x700, TRAP_CHILD);
      const t = s.call(8, [RW + 0x700, TRAP_CHILD.length, 0]).r7;
      record(s, 10n);
      assert.deepEqual(s.call(12, [t, RW]), { outcome: "continue", r7: INNER_EXIT.panic, r8: BigInt(RW) });
      assert.equal(recordGas(s), 9n);
      // a pc past 2^32 traps like any pc past the code
      const far = s.call(8, [RO, CHILD.length, 2n ** 40n]).r7;
      record(s, 10n);
      assert.equal(s.call(12, [far, RW]).r7, INNER_EXIT.panic);
      assert.equal(recordGas(s), 9n);
      // gas beyond 2^63 − 1 is accepted and written back exactly
      const big = s.call(8, [RO, CHILD.length, 0]).r7;
      assert.equal(s.call(11, [big, 16, 1, 2]).r7, OK);
      record(s, 2n ** 64n - 1n);
      assert.equal(s.call(12, [big, RW]).r7, INNER_EXIT.host);
      assert.equal(recordGas(s), 2n ** 64n - 1n - 4n);
      s.refine.dispose();
    });

    it("invoke: panic unless the whole record is writable (nothing run), then WHO (record untouched)", () => {
      const s = setup(backend);
      const n = child(s);
      record(s, 1000n, { 0: 0xffff0000n }, 4096 - 112);
      assert.equal(s.call(12, [n, RO]).outcome, "panic");
      assert.equal(s.call(12, [n, RW + 4096 - 111]).outcome, "panic");
      assert.equal(s.call(12, [n, 2n ** 32n - 56n]).outcome, "panic");
      assert.equal(s.call(12, [99, BAD]).outcome, "panic"); // before WHO
      assert.equal(s.refine.machine(n)!.pc, 0n); // never ran
      const before = s.mem(RW + 4096 - 112, 112);
      assert.deepEqual(s.call(12, [99, RW + 4096 - 112]), {
        outcome: "continue",
        r7: WHO,
        r8: BigInt(RW + 4096 - 112),
      });
      assert.deepEqual(s.mem(RW + 4096 - 112, 112), before);
      // the last 112 bytes of the page are enough
      assert.equal(s.call(12, [n, RW + 4096 - 112]).r7, INNER_EXIT.host);
      assert.equal(recordGas(s, 4096 - 112), 996n);
      s.refine.dispose();
    });

    it("expunge: answers the stored pc and frees the id; WHO if unknown", () => {
      const s = setup(backend);
      assert.equal(s.call(8, [RO, CHILD.length, 1234]).r7, 0n);
      assert.equal(s.call(8, [RO, CHILD.length, 0]).r7, 1n);
      assert.equal(s.call(13, [0]).r7, 1234n);
      assert.deepEqual(s.refine.machineIds(), [1]);
      assert.equal(s.call(13, [0]).r7, WHO);
      assert.equal(s.call(13, [2n ** 64n - 1n]).r7, WHO);
      assert.equal(s.call(9, [0, RW, 0x10000, 0]).r7, WHO);
      s.refine.dispose();
      assert.deepEqual(s.refine.machineIds(), []);
    });

    it("historical_lookup: self and other services, copy rules, NONE, anchor slot, panics", () => {
      const s = setup(backend);
      assert.deepEqual(s.call(6, [NONE, HASH_AT, RW, 1, 3]), { outcome: "continue", r7: 6n, r8: BigInt(HASH_AT) });
      assert.deepEqual(s.mem(RW, 4), bytes(2, 3, 4, 0));
      assert.equal(s.call(6, [7, HASH_AT, RW, 0, 100]).r7, 2n);
      assert.deepEqual(s.mem(RW, 3), bytes(70, 71, 4));
      assert.equal(s.call(6, [8, HASH_AT, RW, 0, 100]).r7, NONE); // no such service
      assert.equal(s.call(6, [2n ** 32n, HASH_AT, RW, 0, 100]).r7, NONE);
      assert.equal(s.call(6, [0, DATA_AT, RW, 0, 100]).r7, NONE); // no such preimage
      // the output range is only what is copied: an offset past the end copies nothing
      assert.equal(s.call(6, [0, HASH_AT, BAD, 6, 100]).r7, 6n);
      assert.equal(s.call(6, [0, HASH_AT, BAD, 0, 0]).r7, 6n);
      // panics: hash unreadable, output unwritable
      assert.equal(s.call(6, [0, BAD, RW, 0, 100]).outcome, "panic");
      assert.equal(s.call(6, [0, RO + 0x2000 - 16, RW, 0, 100]).outcome, "panic");
      assert.equal(s.call(6, [0, HASH_AT, RO, 0, 100]).outcome, "panic");
      assert.equal(s.call(6, [0, HASH_AT, RW + 4094, 0, 100]).outcome, "panic");
      // with an anchor slot, the preimage request decides
      const late = setup(backend, 1000n, { lookupAnchorSlot: 20 });
      late.state.setRequest(0, bytes(...HASH), 6, [10, 15]);
      late.state.setRequest(7, bytes(...HASH), 2, [10, 15, 18]);
      assert.equal(late.call(6, [0, HASH_AT, RW, 0, 10]).r7, NONE);
      assert.equal(late.call(6, [7, HASH_AT, RW, 0, 10]).r7, 2n);
      assert.deepEqual([availableAt([10, 15], 14), availableAt([10, 15], 15), availableAt([10], 9)], [
        true,
        false,
        false,
      ]);
      // an embedder's own Λ
      const own = setup(backend, 1000n, { historicalLookup: (service, hash) => bytes(service, hash[0]) });
      assert.equal(own.call(6, [NONE, HASH_AT, RW, 0, 10]).r7, 2n);
      assert.deepEqual(own.mem(RW, 2), bytes(0, 0xa0));
    });

    it("export: zero-padded segments, indices from the offset, the W_G cap, FULL, panic", () => {
      const s = setup(backend, 100_000n, { exportOffset: 5, maxExports: 8 });
      assert.equal(s.call(7, [DATA_AT, 3]).r7, 5n);
      assert.equal(s.call(7, [DATA_AT, 0]).r7, 6n);
      // a length above W_G reads only W_G bytes (5000 readable from DATA_AT, but 2^40 asked)
      assert.equal(s.call(7, [DATA_AT, 2n ** 40n]).r7, 7n);
      assert.equal(s.refine.exports.length, 3);
      const [a, b, c] = s.refine.exports;
      assert.deepEqual([a.length, b.length, c.length], [SEGMENT_SIZE, SEGMENT_SIZE, SEGMENT_SIZE]);
      assert.deepEqual([...a.subarray(0, 4)], [0x55, 0x55, 0x55, 0]);
      assert.ok(a.subarray(3).every((x) => x === 0) && b.every((x) => x === 0) && c.every((x) => x === 0x55));
      // 5 + 3 = 8 = W_X → FULL (nothing added); unreadable still panics first
      assert.equal(s.call(7, [DATA_AT, 1]).r7, FULL);
      assert.equal(s.call(7, [BAD, 1]).outcome, "panic");
      assert.equal(s.call(7, [RO + 0x2000 - 10, 20]).outcome, "panic");
      assert.equal(s.refine.exports.length, 3);
      // default W_X is 3072: offset 3071 allows one
      const t = setup(backend, 1000n, { exportOffset: 3071 });
      assert.equal(t.call(7, [DATA_AT, 1]).r7, 3071n);
      assert.equal(t.call(7, [DATA_AT, 1]).r7, FULL);
    });

    it("OOG: 10 gas each; with 9 left nothing happens", () => {
      for (const id of [6, 7, 8, 9, 10, 11, 12, 13]) {
        const s = setup(backend, 9n);
        const regs: Record<number, (bigint | number)[]> = {
          6: [NONE, HASH_AT, RW, 0, 10],
          7: [DATA_AT, 4],
          8: [RO, CHILD.length, 0],
          9: [0, RW, 0x10000, 0],
          10: [0, DATA_AT, 0x10000, 0],
          11: [0, 16, 1, 2],
          12: [0, RW],
          13: [0],
        };
        const r = s.call(id, regs[id]);
        assert.deepEqual([r.outcome, r.r7, s.vm.gas], ["oog", BigInt(regs[id][0]), -1n], `id ${id}`);
        assert.deepEqual([s.refine.machineIds(), s.refine.exports.length, s.mem(RW, 8)], [[], 0, new Uint8Array(8)]);
      }
    });

    it("only Refine offers them: WHAT in Accumulate and Is-Authorized", () => {
      for (const context of ["accumulate", "is-authorized"] as const) {
        const registry = jamRegistry({ context, self: 0 });
        for (const id of [6, 7, 8, 9, 10, 11, 12, 13]) assert.equal(registry.resolve(id), undefined);
      }
      const registry = jamRegistry({ context: "refine", self: 0 });
      assert.deepEqual(
        [6, 7, 8, 9, 10, 11, 12, 13].map((id) => registry.resolve(id)?.name),
        ["historical_lookup", "export", "machine", "peek", "poke", "pages", "invoke", "expunge"],
      );
      assert.equal(WHAT, (1n << 64n) - 2n);
    });
  });
}

// A parent service, assembled by hand: refine at pc 0 creates a child from the blob in its
// RO data, maps page 16, pokes the 8-byte payload there, invokes it until it halts
// (counting the runs), peeks the result, expunges the child and outputs result ++ count.
const RECORD = 0x30000; // the RW data (RO data < 64 KiB, so RW starts at 0x20000 + 0x10000)
const OUT = RECORD + 112;
const PARENT = assemble(`
.format spi
.ro_data hex"${Array.from(CHILD, (b) => b.toString(16).padStart(2, "0")).join("")}"
.rw_data ${Array(128).fill(0).join(", ")}
.stack_size 4096
    load_imm r7, 0x10000
    load_imm r8, ${CHILD.length}
    load_imm r9, 0
    ecalli 8                 ; machine → r7 = n
    move_reg r12, r7
    load_imm r8, 16
    load_imm r9, 1
    load_imm r10, 2
    ecalli 11                ; pages(n, 16, 1, writable)
    move_reg r7, r12
    load_imm_64 r8, 0xfeff0004  ; the payload (core, item, service, length take a byte each)
    load_imm r9, 0x10000
    load_imm r10, 8
    ecalli 10                ; poke
    store_imm_u64 ${RECORD}, 100000
    load_imm_64 r11, 0xffff0000
    store_u64 r11, ${RECORD + 8}
    load_imm r6, 0
    fallthrough
again:
    add_imm_64 r6, r6, 1
    move_reg r7, r12
    load_imm r8, ${RECORD}
    ecalli 12                ; invoke
    branch_eq_imm r7, 3, again
    branch_ne_imm r7, 0, fail
    move_reg r7, r12
    load_imm r8, ${OUT}
    load_imm r9, 0x10008
    load_imm r10, 8
    ecalli 9                 ; peek
    store_u64 r6, ${OUT + 8}
    move_reg r7, r12
    ecalli 13                ; expunge
    load_imm r7, ${OUT}
    load_imm r8, 16
    jump_ind r0, 0
fail:
    trap
`);

describe("a parent service drives a child machine through refine", () => {
  const payload = new Uint8Array(new BigUint64Array([1_000_003n]).buffer);
  const results = BACKENDS.map((backend) => {
    const calls: string[] = [];
    const r = refine({
      code: PARENT,
      metadata: false,
      gas: 10_000n,
      core: 1,
      itemIndex: 0,
      serviceId: 4,
      payload,
      fetch: { workPackage: bytes(1, 2, 3) },
      backend,
      onCall: (e) => calls.push(`${e.name}:${e.result[0]}`),
    });
    return { r, calls };
  });
  for (const [i, backend] of BACKENDS.entries()) {
    it(`halts with 27x + 13 and 4 runs (${backend})`, () => {
      const { r, calls } = results[i];
      assert.equal(r.status, "halt");
      assert.equal(u64(r.output!), 27n * 1_000_003n + 13n);
      assert.equal(u64(r.output!, 8), 4n);
      assert.deepEqual(calls, [
        "machine:0",
        "pages:0",
        "poke:0",
        "invoke:3",
        "invoke:3",
        "invoke:3",
        "invoke:0",
        "peek:0",
        "expunge:0",
      ]);
      // outer: 19 instructions to the loop, 5 per run × 4, then 12 to
      // the halt = 51 instructions, plus 9 host calls × 10
      assert.equal(r.gasUsed, 51n + 90n);
      assert.deepEqual(r.exports, []);
    });
  }
  it("both backends agree", () => {
    const [a, b] = results.map(({ r, calls }) => ({ ...r, exit: undefined, calls }));
    assert.deepEqual(a, b);
  });
  it("the arguments are E(core, item, service, ↕payload, blake2b(package))", () => {
    // a program that outputs its arguments: jump_ind r0 with r7/r8 as set up
    const echo = assemble(".format spi\n    jump_ind r0, 0\n");
    const r = refine({
      code: echo,
      metadata: false,
      gas: 10n,
      core: 300,
      itemIndex: 2,
      serviceId: 4,
      payload,
      fetch: { workPackage: bytes(1, 2, 3) },
    });
    assert.deepEqual(
      r.output,
      new Uint8Array([0x81, 0x2c, 2, 4, 8, ...payload, ...blake2b(bytes(1, 2, 3), { dkLen: 32 })]),
    );
    const own = refine({
      code: echo,
      metadata: false,
      gas: 10n,
      core: 0,
      itemIndex: 0,
      serviceId: 0,
      payload: bytes(),
      packageHash: new Uint8Array(32).fill(9),
    });
    assert.deepEqual(own.output, new Uint8Array([0, 0, 0, 0, ...new Uint8Array(32).fill(9)]));
  });
  it("exports and OOG of the outer invocation; inner machines are disposed at the end", () => {
    // export the first 3 argument bytes twice, then spend gas in a loop until OOG
    const code = assemble(`
.format spi
    move_reg r10, r7
    load_imm r8, 3
    ecalli 7
    move_reg r7, r10
    load_imm r8, 3
    ecalli 7
    fallthrough
spin:
    jump spin
`);
    const r = refine({
      code,
      metadata: false,
      gas: 100n,
      core: 1,
      itemIndex: 2,
      serviceId: 3,
      payload: bytes(),
      exportOffset: 10,
    });
    assert.equal(r.status, "oog");
    assert.equal(r.output, undefined);
    assert.equal(r.exports.length, 2);
    assert.deepEqual([...r.exports[0].subarray(0, 4)], [1, 2, 3, 0]);
    assert.equal(r.gasUsed, 100n);
  });
});
