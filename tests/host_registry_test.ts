// The host-call registry and Ψ_H loop (spec §11, §13.1): charging, WHAT for unknown,
// denied or exhausted ids (the implementation is never reached), OOG at the ecalli,
// outcomes that stop the run, the onCall hook, and guest-pointer helpers. Expected gas
// worked out by hand: 1 per instruction (the ecalli included) plus the host charge.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Backend, Module } from "../src/engine.ts";
import {
  CONTINUE,
  guestReadable,
  guestWritable,
  HALT as HALT_OUTCOME,
  type HostCallEvent,
  HostRegistry,
  PANIC,
  readGuest,
  runWithHost,
  WHAT_RESULT,
  writeGuest,
} from "../src/host/host.ts";
import { Memory } from "../src/memory/memory.ts";
import { asm, HALT, I } from "./_programs.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
// pc 0: load_imm r7, 5 (3 bytes) ; pc 3: ecalli 1 (2) ; pc 5: ecalli 2 (2) ; pc 7: jump_ind r0
const PROGRAM = asm(I.loadImm(7, 5), I.ecalli(1), I.ecalli(2), I.jumpInd(0));
const start = (backend: Backend, gas: bigint) =>
  Module.load(PROGRAM.bytes, { format: "generic" }).instantiate({ gas, backend, registers: [HALT] });

/** A registry with counting functions for ids 1 and 2: each adds 1 to r7. */
function counting() {
  const calls = { a: 0, b: 0 };
  const registry = new HostRegistry()
    .register({
      id: 1,
      name: "a",
      fn: (c) => {
        calls.a++;
        c.machine.setRegister(7, c.machine.getRegister(7) + 1n);
      },
    })
    .register({
      id: 2,
      name: "b",
      fn: (c) => {
        calls.b++;
        c.machine.setRegister(7, c.machine.getRegister(7) + 1n);
        return CONTINUE;
      },
    });
  return { calls, registry };
}

for (const backend of BACKENDS) {
  describe(`host registry and runWithHost (${backend})`, () => {
    it("answers both calls, charging 10 each, and halts", () => {
      const { calls, registry } = counting();
      const vm = start(backend, 100n);
      const exit = runWithHost(vm, registry);
      // 4 instructions + 2 × 10
      assert.deepEqual(exit, { kind: "halt", pc: 7, gas: 76n });
      assert.deepEqual(calls, { a: 1, b: 1 });
      assert.equal(vm.getRegister(7), 7n);
    });

    it("an unknown id sets WHAT and costs 10 without any implementation", () => {
      const { calls, registry } = counting();
      const reg = new HostRegistry().register({ id: 1, name: "a", fn: () => void calls.a++ });
      const vm = start(backend, 100n);
      const events: HostCallEvent[] = [];
      const exit = runWithHost(vm, reg, { onCall: (e) => events.push(e) });
      assert.deepEqual(exit, { kind: "halt", pc: 7, gas: 76n });
      assert.equal(vm.getRegister(7), WHAT_RESULT);
      assert.equal(events[1].name, undefined);
      assert.equal(events[1].id, 2);
      assert.deepEqual(events[1].result[0], WHAT_RESULT);
      assert.equal(calls.a, 1);
      void registry;
    });

    it("denied ids and names never reach their implementation", () => {
      for (const denied of [2, "b"] as const) {
        const { calls, registry } = counting();
        registry.deny(denied);
        const vm = start(backend, 100n);
        assert.deepEqual(runWithHost(vm, registry), { kind: "halt", pc: 7, gas: 76n });
        assert.deepEqual(calls, { a: 1, b: 0 });
        assert.equal(vm.getRegister(7), WHAT_RESULT);
      }
    });

    it("a per-function call budget turns later calls into WHAT", () => {
      const { calls, registry } = counting();
      registry.budget("a", 1);
      runWithHost(start(backend, 100n), registry);
      const vm = start(backend, 100n);
      assert.deepEqual(runWithHost(vm, registry), { kind: "halt", pc: 7, gas: 76n });
      assert.deepEqual(calls, { a: 1, b: 2 });
      assert.equal(vm.getRegister(7), WHAT_RESULT + 1n); // WHAT from a, then b adds 1
      registry.resetBudgets();
      runWithHost(start(backend, 100n), registry);
      assert.equal(calls.a, 2);
    });

    it("not enough gas for the charge: OOG at the ecalli, function not called", () => {
      // load_imm 1, ecalli 1 → 8 left: less than 10
      const { calls, registry } = counting();
      const vm = start(backend, 10n);
      assert.deepEqual(runWithHost(vm, registry), { kind: "oog", pc: 3, gas: -2n });
      assert.deepEqual(calls, { a: 0, b: 0 });
      assert.equal(vm.getRegister(7), 5n);
      // 13: 2 + 10 for the first call, 1 for the second ecalli, then 0 < 10
      const { calls: c2, registry: r2 } = counting();
      assert.deepEqual(runWithHost(start(backend, 13n), r2), { kind: "oog", pc: 5, gas: -10n });
      assert.deepEqual(c2, { a: 1, b: 0 });
    });

    it("an unknown id with too little gas is OOG too", () => {
      const vm = start(backend, 11n);
      assert.deepEqual(runWithHost(vm, new HostRegistry()), { kind: "oog", pc: 3, gas: -1n });
      assert.equal(vm.getRegister(7), 5n);
    });

    it("panic and halt outcomes stop the run at the ecalli's pc", () => {
      for (const [outcome, kind] of [[PANIC, "panic"], [HALT_OUTCOME, "halt"]] as const) {
        const registry = new HostRegistry().register({ id: 1, name: "stop", fn: () => outcome });
        assert.deepEqual(runWithHost(start(backend, 100n), registry), { kind, pc: 3, gas: 88n });
      }
    });

    it("gas rules: a constant, zero, or computed from the machine", () => {
      const registry = new HostRegistry()
        .register({ id: 1, name: "free", gas: 0, fn: () => {} })
        .register({ id: 2, name: "by-r7", gas: (m) => m.getRegister(7), fn: () => {} });
      assert.deepEqual(runWithHost(start(backend, 100n), registry), { kind: "halt", pc: 7, gas: 91n });
    });

    it("charge() takes extra gas only when there is enough", () => {
      const seen: boolean[] = [];
      const registry = new HostRegistry().register({
        id: 1,
        name: "extra",
        fn: (c) => {
          seen.push(c.charge(50n), c.charge(1000n));
          return CONTINUE;
        },
      });
      // 2 + 10 + 50, then ecalli 2 (unknown, 10) and jump: 4 + 20 + 50 = 74
      assert.deepEqual(runWithHost(start(backend, 100n), registry), { kind: "halt", pc: 7, gas: 26n });
      assert.deepEqual(seen, [true, false]);
    });

    it("onCall reports id, name, pc, r7..r12, results and gas", () => {
      const { registry } = counting();
      const events: HostCallEvent[] = [];
      runWithHost(start(backend, 100n), registry, { onCall: (e) => events.push(e) });
      assert.deepEqual(events[0], {
        id: 1,
        name: "a",
        pc: 3,
        args: [5n, 0n, 0n, 0n, 0n, 0n],
        result: [6n, 0n],
        outcome: "continue",
        gasBefore: 98n,
        gasAfter: 88n,
      });
      assert.equal(events[1].gasBefore, 87n);
      assert.equal(events[1].gasAfter, 77n);
    });
  });
}

describe("HostRegistry registration rules", () => {
  it("rejects duplicate ids and names, bad ids and negative gas", () => {
    const r = new HostRegistry().register({ id: 1, name: "a", fn: () => {} });
    assert.throws(() => r.register({ id: 1, name: "z", fn: () => {} }), TypeError);
    assert.throws(() => r.register({ id: 2, name: "a", fn: () => {} }), TypeError);
    assert.throws(() => r.register({ id: -1, name: "n", fn: () => {} }), RangeError);
    assert.throws(() => r.register({ id: 2 ** 32, name: "n", fn: () => {} }), RangeError);
    assert.throws(() => r.register({ id: 3, name: "n", gas: -1, fn: () => {} }), RangeError);
    assert.throws(() => r.budget("a", -1), RangeError);
    assert.deepEqual(r.list().map((s) => s.name), ["a"]);
  });
});

describe("guest pointer helpers", () => {
  const mem = () =>
    Memory.create([
      { address: 0x20000, length: 4096, access: "read", data: new Uint8Array([1, 2, 3]) },
      { address: 0x21000, length: 4096, access: "write" },
    ]);
  it("readable/writable ranges, empty ranges, ranges past 2^32", () => {
    const m = mem();
    assert.equal(guestReadable(m, 0x20000n, 8192n), true);
    assert.equal(guestWritable(m, 0x20000n, 1n), false);
    assert.equal(guestWritable(m, 0x21000n, 4096n), true);
    assert.equal(guestWritable(m, 0x21000n, 4097n), false);
    assert.equal(guestReadable(m, 0n, 0n), true);
    assert.equal(guestWritable(m, 1n << 40n, 0n), true);
    assert.equal(guestReadable(m, 0xffffffffn, 2n), false);
    assert.equal(guestReadable(m, 1n << 32n, 1n), false);
    assert.equal(guestReadable(m, 0x20000n, 1n << 33n), false);
  });
  it("readGuest gives bytes or PANIC", () => {
    const m = mem();
    assert.deepEqual(readGuest(m, 0x20001n, 2n), new Uint8Array([2, 3]));
    assert.equal(readGuest(m, 0x1ffffn, 2n), PANIC);
    assert.deepEqual(readGuest(m, 0n, 0n), new Uint8Array(0));
  });
  it("writeGuest writes everything or nothing", () => {
    const m = mem();
    assert.equal(writeGuest(m, 0x21ffen, new Uint8Array([9, 9, 9])), PANIC);
    assert.deepEqual(m.read(0x21ffe, 2), new Uint8Array([0, 0]));
    assert.equal(writeGuest(m, 0x20000n, new Uint8Array([9])), PANIC);
    assert.deepEqual(m.read(0x20000, 1), new Uint8Array([1]));
    assert.equal(writeGuest(m, 0x21ffen, new Uint8Array([9, 8])), CONTINUE);
    assert.deepEqual(m.read(0x21ffe, 2), new Uint8Array([9, 8]));
  });
});
