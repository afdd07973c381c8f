// JAM host functions (spec §13, GP v0.7.2), one by one: success, each result code, OOG,
// hostile pointers (panic with nothing written or changed), availability per invocation,
// embedder policy, and accumulate's checkpoint/rollback. Expected values are worked out by
// hand from the spec: every function costs 10 (log: as configured), r7 carries the result,
// copies follow f' = min(offset, |v|), l' = min(length, |v| − f').
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Backend, type Instance, Module } from "../src/engine.ts";
import { callHost, type HostOutcome } from "../src/host/host.ts";
import { FULL, NONE, WHAT } from "../src/host/jam/constants.ts";
import { jamRegistry } from "../src/host/jam/contexts.ts";
import type { FetchData, InvocationContext, JamHostEnv, LogEntry } from "../src/host/jam/general.ts";
import { accumulate, isAuthorized } from "../src/host/jam/invocations.ts";
import { InMemoryServiceState, type ServiceInfo } from "../src/host/jam/state.ts";
import { asm, I, le, spi } from "./_programs.ts";

const RO = 0x20000; // readable page: the "guest inputs" (keys, hashes, values)
const RW = 0x30000; // writable page
const BAD = 0x40000; // nothing mapped
const HASH = Array.from({ length: 32 }, (_, i) => i + 1);
const KEY = [0x6b, 0x31]; // "k1"
const VALUE = [9, 8, 7, 6, 5];
// RO layout: HASH at +0, KEY at +32, VALUE at +40
const RO_DATA = new Uint8Array([...HASH, ...KEY, 0, 0, 0, 0, 0, 0, ...VALUE]);
const KEY_AT = RO + 32;
const VALUE_AT = RO + 40;
const bytes = (...b: number[]) => new Uint8Array(b);

function machine(gas: bigint): Instance {
  return Module.load(asm(I.trap()).bytes, { format: "generic" }).instantiate({
    gas,
    backend: "interpreter",
    memory: [
      { address: RO, length: 4096, access: "read", data: RO_DATA },
      { address: RW, length: 4096, access: "write" },
    ],
  });
}

function info(fields: Partial<ServiceInfo> = {}): ServiceInfo {
  return InMemoryServiceState.emptyInfo({ balance: 1_000_000n, ...fields });
}

/** A state with service 0 (self) and service 5, each with a preimage and a storage value. */
function world(): InMemoryServiceState {
  const state = new InMemoryServiceState();
  state.setInfo(0, info({ minAccumulateGas: 7n, minMemoGas: 3n, created: 11, lastAccumulation: 12, parent: 13 }));
  state.setInfo(5, info());
  state.setPreimage(0, bytes(...HASH), bytes(1, 2, 3, 4, 5, 6));
  state.setPreimage(5, bytes(...HASH), bytes(50, 51));
  state.setStorage(0, bytes(...KEY), bytes(10, 11, 12, 13));
  state.setStorage(5, bytes(...KEY), bytes(55));
  return state;
}

const FETCH: FetchData = {
  constants: bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
  entropy: new Uint8Array(32).fill(0xee),
  accumulateInputs: [bytes(0xa1), bytes(0xb1, 0xb2)],
  workPackage: bytes(0x77),
};

interface Called {
  outcome: HostOutcome["kind"];
  vm: Instance;
  r7: bigint;
  gas: bigint;
  out: (n: number, at?: number) => Uint8Array;
}

/** Set registers r7.. and call host function `id` once in `context`, with `gas` at the exit. */
function call(
  id: number,
  regs: (bigint | number)[],
  options: { context?: InvocationContext; state?: InMemoryServiceState; gas?: bigint; env?: Partial<JamHostEnv> } = {},
): Called {
  const vm = machine(options.gas ?? 1000n);
  vm.setRegister(7, 0x7777n);
  regs.forEach((v, i) => vm.setRegister(7 + i, BigInt(v)));
  const env: JamHostEnv = {
    context: options.context ?? "accumulate",
    self: 0,
    state: options.state ?? world(),
    fetch: FETCH,
    ...options.env,
  };
  const outcome = callHost(vm, jamRegistry(env), 0, id, vm.gas).kind;
  return {
    outcome,
    vm,
    r7: vm.getRegister(7),
    gas: vm.gas,
    out: (n, at = RW) => vm.memory.read(at, n),
  };
}

const zeros = (n: number) => new Uint8Array(n);

describe("gas (0)", () => {
  it("r7 = gas left after its own 10", () => {
    const c = call(0, []);
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 990n, 990n]);
  });
  it("OOG below 10: r7 unchanged", () => {
    const c = call(0, [], { gas: 9n });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["oog", 0x7777n, -1n]);
  });
  it("available in every invocation", () => {
    for (const context of ["is-authorized", "refine", "accumulate"] as const) {
      assert.equal(call(0, [], { context }).r7, 990n);
    }
  });
});

describe("fetch (1)", () => {
  it("kind 0: the whole constants blob", () => {
    const c = call(1, [RW, 0, 100, 0]);
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 10n, 990n]);
    assert.deepEqual(c.out(11), bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0));
  });
  it("offset and length are clamped to the blob", () => {
    let c = call(1, [RW, 3, 4, 0]);
    assert.equal(c.r7, 10n);
    assert.deepEqual(c.out(5), bytes(4, 5, 6, 7, 0));
    c = call(1, [RW, 8, 100, 0]);
    assert.deepEqual(c.out(3), bytes(9, 10, 0));
    c = call(1, [BAD, 50, 100, 0]); // f' = 10, l' = 0: nothing to write, so no panic
    assert.deepEqual([c.outcome, c.r7], ["continue", 10n]);
  });
  it("accumulate kinds 1, 14, 15", () => {
    assert.deepEqual(call(1, [RW, 0, 32, 1]).out(32), new Uint8Array(32).fill(0xee));
    const all = call(1, [RW, 0, 10, 14]);
    assert.equal(all.r7, 4n);
    assert.deepEqual(all.out(4), bytes(2, 0xa1, 0xb1, 0xb2));
    const one = call(1, [RW, 0, 10, 15, 1]);
    assert.equal(one.r7, 2n);
    assert.deepEqual(one.out(2), bytes(0xb1, 0xb2));
    assert.equal(call(1, [RW, 0, 10, 15, 2]).r7, NONE);
  });
  it("NONE, nothing written, for kinds the invocation may not fetch or unknown kinds", () => {
    for (const kind of [7n, 2n, 16n, 1n << 63n, NONE]) {
      const c = call(1, [RW, 0, 10, kind]);
      assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", NONE, 990n]);
      assert.deepEqual(c.out(4), zeros(4));
    }
    assert.equal(call(1, [RW, 0, 10, 1], { context: "is-authorized" }).r7, NONE);
    assert.equal(call(1, [RW, 0, 10, 14], { context: "refine" }).r7, NONE);
  });
  it("per invocation: Is-Authorized kind 7, Refine kind 1 = 32 zero bytes", () => {
    const c = call(1, [RW, 0, 10, 7], { context: "is-authorized" });
    assert.deepEqual([c.r7, c.out(1)[0]], [1n, 0x77]);
    const r = call(1, [RW + 100, 0, 40, 1], { context: "refine" });
    assert.equal(r.r7, 32n);
    assert.equal(call(1, [RW, 0, 10, 0], { context: "refine", env: { fetch: {} } }).r7, NONE);
  });
  it("hostile output pointers panic and write nothing", () => {
    for (const out of [RO, BAD, RW + 4090, 0xfffffffe, 1n << 32n]) {
      const c = call(1, [out, 0, 10, 0]);
      assert.equal(c.outcome, "panic", `out ${out}`);
      assert.equal(c.r7, BigInt(out), "r7 unchanged");
      assert.deepEqual(c.out(6, RW + 4090), zeros(6));
    }
  });
  it("OOG", () => {
    const c = call(1, [RW, 0, 10, 0], { gas: 5n });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["oog", BigInt(RW), -5n]);
    assert.deepEqual(c.out(4), zeros(4));
  });
});

describe("lookup (2)", () => {
  it("self (2^64 − 1 or its id): the preimage, clamped", () => {
    for (const s of [NONE, 0n]) {
      const c = call(2, [s, RO, RW, 2, 3]);
      assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 6n, 990n]);
      assert.deepEqual(c.out(4), bytes(3, 4, 5, 0));
    }
  });
  it("another service's preimage", () => {
    const c = call(2, [5, RO, RW, 0, 10]);
    assert.equal(c.r7, 2n);
    assert.deepEqual(c.out(3), bytes(50, 51, 0));
  });
  it("NONE for an unknown service, an id ≥ 2^32, or an unknown hash", () => {
    for (const [s, h] of [[9n, RO], [1n << 32n, RO], [NONE, RO + 1]] as const) {
      const c = call(2, [s, h, RW, 0, 10]);
      assert.deepEqual([c.outcome, c.r7], ["continue", NONE]);
      assert.deepEqual(c.out(2), zeros(2));
    }
  });
  it("hostile pointers: unreadable hash, unwritable output", () => {
    for (const [h, o] of [[BAD, RW], [RO + 4090, RW], [RO, RO], [RO, RW + 4094]]) {
      const c = call(2, [NONE, h, o, 0, 10]);
      assert.equal(c.outcome, "panic");
      assert.deepEqual(c.out(2, RW + 4094), zeros(2));
      assert.deepEqual(c.out(2), zeros(2));
    }
  });
  it("OOG, and WHAT outside Accumulate", () => {
    assert.equal(call(2, [NONE, RO, RW, 0, 10], { gas: 9n }).outcome, "oog");
    const c = call(2, [NONE, RO, RW, 0, 10], { context: "refine" });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", WHAT, 990n]);
    assert.deepEqual(c.out(2), zeros(2));
  });
});

describe("read (3)", () => {
  it("own storage, clamped copy", () => {
    const c = call(3, [NONE, KEY_AT, 2, RW, 1, 2]);
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 4n, 990n]);
    assert.deepEqual(c.out(3), bytes(11, 12, 0));
    assert.equal(call(3, [0, KEY_AT, 2, 0, 0, 0]).r7, 4n); // length query, null output
  });
  it("another service's storage", () => {
    const c = call(3, [5, KEY_AT, 2, RW, 0, 9]);
    assert.deepEqual([c.r7, c.out(2)], [1n, bytes(55, 0)]);
  });
  it("NONE: unknown key, unknown service, empty key", () => {
    for (const regs of [[NONE, KEY_AT, 1], [9, KEY_AT, 2], [NONE, 0, 0]]) {
      const c = call(3, [...regs, RW, 0, 9]);
      assert.deepEqual([c.outcome, c.r7], ["continue", NONE]);
      assert.deepEqual(c.out(2), zeros(2));
    }
  });
  it("hostile pointers: unreadable key, unwritable output", () => {
    for (const [k, o] of [[BAD, RW], [RO + 4095, RW], [KEY_AT, RO], [KEY_AT, BAD]]) {
      const c = call(3, [NONE, k, 2, o, 0, 9]);
      assert.deepEqual([c.outcome, c.r7], ["panic", NONE]);
      assert.deepEqual(c.out(4), zeros(4));
    }
  });
  it("OOG", () => assert.equal(call(3, [NONE, KEY_AT, 2, RW, 0, 9], { gas: 0n }).outcome, "oog"));
});

describe("write (4)", () => {
  const k = bytes(...KEY);
  it("overwrite: r7 = previous length; footprint updated", () => {
    const state = world();
    const before = state.info(0)!;
    const c = call(4, [KEY_AT, 2, VALUE_AT, 5], { state });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 4n, 990n]);
    assert.deepEqual(state.storage(0, k), bytes(...VALUE));
    assert.equal(state.info(0)!.items, before.items);
    assert.equal(state.info(0)!.octets, before.octets + 1n);
  });
  it("insert: NONE; items + 1, octets + 34 + |k| + |v|", () => {
    const state = world();
    const before = state.info(0)!;
    const c = call(4, [KEY_AT, 1, VALUE_AT, 3], { state });
    assert.equal(c.r7, NONE);
    assert.deepEqual(state.storage(0, bytes(KEY[0])), bytes(9, 8, 7));
    assert.equal(state.info(0)!.items, before.items + 1);
    assert.equal(state.info(0)!.octets, before.octets + 38n);
  });
  it("delete with value length 0 (value pointer ignored): previous length, or NONE", () => {
    const state = world();
    let c = call(4, [KEY_AT, 2, BAD, 0], { state });
    assert.deepEqual([c.outcome, c.r7], ["continue", 4n]);
    assert.equal(state.storage(0, k), undefined);
    assert.equal(state.info(0)!.items, 0 + 0);
    c = call(4, [KEY_AT, 2, BAD, 0], { state });
    assert.equal(c.r7, NONE);
  });
  it("FULL when the new threshold exceeds the balance: state unchanged", () => {
    const state = world();
    // items 1, octets 34 + 2 + 4 = 40 → threshold 100 + 10 + 40 = 150; a 5-byte value → 151
    state.setInfo(0, { ...state.info(0)!, balance: 150n });
    const c = call(4, [KEY_AT, 2, VALUE_AT, 5], { state });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", FULL, 990n]);
    assert.deepEqual(state.storage(0, k), bytes(10, 11, 12, 13));
    // shrinking to 4 bytes keeps 150: allowed
    assert.equal(call(4, [KEY_AT, 2, VALUE_AT, 4], { state }).r7, 4n);
    // gratis covers the footprint
    state.setInfo(0, { ...state.info(0)!, gratis: 1000n });
    assert.equal(call(4, [KEY_AT, 2, VALUE_AT, 5], { state }).r7, 4n);
  });
  it("hostile pointers: unreadable key or value panics with the state unchanged", () => {
    for (const [kp, vp] of [[BAD, VALUE_AT], [KEY_AT, BAD], [KEY_AT, RO + 4094], [0xffffffff, VALUE_AT]]) {
      const state = world();
      const c = call(4, [kp, 2, vp, 5], { state });
      assert.deepEqual([c.outcome, c.r7], ["panic", BigInt(kp)]);
      assert.deepEqual(state.storage(0, k), bytes(10, 11, 12, 13));
      assert.equal(state.info(0)!.octets, 40n);
    }
  });
  it("OOG leaves the state unchanged; WHAT in Refine", () => {
    const state = world();
    assert.equal(call(4, [KEY_AT, 2, VALUE_AT, 5], { state, gas: 9n }).outcome, "oog");
    assert.equal(call(4, [KEY_AT, 2, VALUE_AT, 5], { state, context: "refine" }).r7, WHAT);
    assert.deepEqual(state.storage(0, k), bytes(10, 11, 12, 13));
  });
});

describe("info (5)", () => {
  it("self: the 96-byte encoding", () => {
    const c = call(5, [NONE, RW, 0, 96]);
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 96n, 990n]);
    // items 1, octets 40, gratis 0 → threshold 150
    const expected = [
      ...zeros(32),
      ...le(1_000_000, 8),
      ...le(150, 8),
      ...le(7, 8),
      ...le(3, 8),
      ...le(40, 8),
      ...le(1, 4),
      ...le(0, 8),
      ...le(11, 4),
      ...le(12, 4),
      ...le(13, 4),
    ];
    assert.deepEqual(c.out(97), new Uint8Array([...expected, 0]));
  });
  it("offset/length clamp; other service; NONE for unknown", () => {
    const c = call(5, [0, RW, 90, 100]);
    assert.deepEqual([c.r7, c.out(7)], [96n, bytes(0, 0, 13, 0, 0, 0, 0)]); // bytes 90..95: end of last_acc, parent
    assert.equal(call(5, [5, RW, 0, 8]).r7, 96n);
    const none = call(5, [6, RW, 0, 96]);
    assert.deepEqual([none.r7, none.out(4)], [NONE, zeros(4)]);
  });
  it("unwritable output panics, nothing written; OOG", () => {
    const c = call(5, [NONE, RW + 4001, 0, 96]); // one byte past the page
    assert.equal(c.outcome, "panic");
    assert.deepEqual(c.out(95, RW + 4001), zeros(95));
    assert.equal(call(5, [NONE, RW, 0, 96], { gas: 3n }).outcome, "oog");
  });
});

describe("checkpoint (17)", () => {
  it("r7 = gas left; calls the checkpoint hook; OOG", () => {
    let saved = 0;
    const c = call(17, [], { env: { onCheckpoint: () => saved++ } });
    assert.deepEqual([c.outcome, c.r7, saved], ["continue", 990n, 1]);
    const o = call(17, [], { gas: 2n, env: { onCheckpoint: () => saved++ } });
    assert.deepEqual([o.outcome, saved], ["oog", 1]);
    assert.equal(call(17, [], { context: "refine" }).r7, WHAT);
  });
});

describe("log (100, JIP-1)", () => {
  it("delivers level, target and message; costs 0 and keeps r7 by default", () => {
    const entries: LogEntry[] = [];
    const c = call(100, [3, KEY_AT, 2, KEY_AT, 1], { env: { log: { sink: (e) => entries.push(e) } } });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 3n, 1000n]);
    assert.deepEqual(entries, [{ level: 3n, target: "k1", message: "k" }]);
  });
  it("unreadable text is delivered empty, never a panic; gas and result configurable", () => {
    const entries: LogEntry[] = [];
    const c = call(100, [0, BAD, 5, 0, 0], {
      env: { log: { gas: 10n, result: WHAT, sink: (e) => entries.push(e) } },
    });
    assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", WHAT, 990n]);
    assert.deepEqual(entries, [{ level: 0n, target: "", message: "" }]);
    assert.equal(call(100, [0, 0, 0, 0, 0], { gas: 9n, env: { log: { gas: 10n } } }).outcome, "oog");
  });
});

describe("availability and embedder policy", () => {
  it("functions outside the invocation's set answer WHAT for 10, without effect", () => {
    const state = world();
    for (const context of ["is-authorized", "refine"] as const) {
      for (const id of [2, 3, 4, 5, 17, 20, 26]) {
        const c = call(id, [KEY_AT, 2, VALUE_AT, 5], { context, state });
        assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", WHAT, 990n], `${context} ${id}`);
      }
    }
    assert.deepEqual(state.storage(0, bytes(...KEY)), bytes(10, 11, 12, 13));
    assert.equal(call(1000, []).r7, WHAT);
  });
  it("deny, budgets and extra functions through the one registry", () => {
    const env: JamHostEnv = { context: "accumulate", self: 0, state: world(), fetch: FETCH };
    const hits: number[] = [];
    const registry = jamRegistry(env, {
      deny: ["write", 5],
      budgets: { gas: 1 },
      extra: [{ id: 1000, name: "mine", gas: 1, fn: (c) => void hits.push(Number(c.machine.getRegister(7))) }],
    });
    const vm = machine(1000n);
    vm.setRegister(7, 42n);
    assert.equal(callHost(vm, registry, 0, 1000, vm.gas).kind, "continue");
    assert.deepEqual([hits, vm.gas], [[42], 999n]);
    vm.setRegister(7, KEY_AT);
    vm.setRegister(8, 2);
    vm.setRegister(9, VALUE_AT);
    vm.setRegister(10, 5);
    callHost(vm, registry, 0, 4, vm.gas);
    assert.equal(vm.getRegister(7), WHAT);
    assert.deepEqual(env.state!.storage(0, bytes(...KEY)), bytes(10, 11, 12, 13));
    callHost(vm, registry, 0, 5, vm.gas);
    assert.equal(vm.getRegister(7), WHAT);
    callHost(vm, registry, 0, 0, vm.gas);
    assert.equal(vm.getRegister(7), 969n);
    callHost(vm, registry, 0, 0, vm.gas);
    assert.equal(vm.getRegister(7), WHAT);
    assert.throws(() => jamRegistry(env, { extra: [{ id: 4, name: "w2", fn: () => {} }] }), TypeError);
  });
});

// Accumulate end to end: a standard program with RO data KEY ++ VALUE at 0x10000, entry at
// pc 5: write(KEY, VALUE[0..1]) ; checkpoint ; write(KEY[0..1], VALUE) ; then `end`.
function accProgram(end: "halt" | "trap", checkpoint: boolean) {
  const pre = [I.fallthrough(), I.fallthrough(), I.fallthrough(), I.fallthrough(), I.fallthrough()];
  const write = (keyLen: number, valueLen: number) => [
    I.loadImm(7, 0x10000),
    I.loadImm(8, keyLen),
    I.loadImm(9, 0x10002),
    I.loadImm(10, valueLen),
    I.ecalli(4),
  ];
  const body = [
    ...write(2, 1),
    ...(checkpoint ? [I.ecalli(17)] : []),
    ...write(1, 5),
    I.loadImm(7, 0),
    I.loadImm(8, 0),
    end === "halt" ? I.jumpInd(0) : I.trap(),
  ];
  return spi({ ro: [...KEY, ...VALUE], stack: 4096, blob: asm(...pre, ...body).bytes, metadata: [] });
}

for (const backend of ["interpreter", "recompiler"] as Backend[]) {
  describe(`accumulate: checkpoint and rollback (${backend})`, () => {
    const k1 = bytes(...KEY);
    const k = bytes(KEY[0]);
    it("halt keeps every change", () => {
      const state = world();
      const r = accumulate({ code: accProgram("halt", true), gas: 1000n, timeslot: 1, serviceId: 0, state, backend });
      assert.deepEqual([r.status, r.rolledBack], ["halt", false]);
      assert.deepEqual(state.storage(0, k1), bytes(9));
      assert.deepEqual(state.storage(0, k), bytes(...VALUE));
      // 5 fallthroughs are not run (entry pc 5): 2×5 + 1 + 2 + 1 instructions + 3 host calls
      assert.equal(r.gasUsed, 14n + 30n);
    });
    it("panic returns to the checkpoint", () => {
      const state = world();
      const r = accumulate({ code: accProgram("trap", true), gas: 1000n, timeslot: 1, serviceId: 0, state, backend });
      assert.deepEqual([r.status, r.rolledBack, r.output], ["panic", true, undefined]);
      assert.deepEqual(state.storage(0, k1), bytes(9));
      assert.equal(state.storage(0, k), undefined);
    });
    it("panic without a checkpoint returns to the start", () => {
      const state = world();
      const r = accumulate({ code: accProgram("trap", false), gas: 1000n, timeslot: 1, serviceId: 0, state, backend });
      assert.equal(r.status, "panic");
      assert.deepEqual(state.storage(0, k1), bytes(10, 11, 12, 13));
    });
    it("OOG in a host call returns to the checkpoint; gas used is all of it", () => {
      const state = world();
      // first write: 5 instructions + 10, checkpoint: 1 + 10 → 26; second write's ecalli at 31 needs 10 more
      const r = accumulate({ code: accProgram("halt", true), gas: 35n, timeslot: 1, serviceId: 0, state, backend });
      assert.deepEqual([r.status, r.gasUsed, r.exit?.kind], ["oog", 35n, "oog"]);
      assert.deepEqual(state.storage(0, k1), bytes(9));
      assert.equal(state.storage(0, k), undefined);
    });
    it("code that does not load is a panic using no gas, state untouched", () => {
      const state = world();
      const r = accumulate({ code: bytes(1, 2, 3), gas: 100n, timeslot: 1, serviceId: 0, state, backend });
      assert.deepEqual([r.status, r.gasUsed], ["panic", 0n]);
    });
  });
}

describe("isAuthorized", () => {
  it("fetches kind 0 and halts with its output", () => {
    // pc 0: r7 = RW data (0x20000... the standard layout's RW zone starts at 0x20000 with no RO)
    const prog = spi({
      rw: [0, 0, 0, 0],
      stack: 4096,
      metadata: [],
      blob: asm(
        I.loadImm(7, 0x20000),
        I.loadImm(8, 0),
        I.loadImm(9, 4),
        I.loadImm(10, 0),
        I.ecalli(1),
        I.loadImm(7, 0x20000),
        I.loadImm(8, 4),
        I.jumpInd(0),
      ).bytes,
    });
    const r = isAuthorized({ code: prog, gas: 100n, core: 1, fetch: FETCH });
    assert.deepEqual([r.status, r.output, r.gasUsed], ["halt", bytes(1, 2, 3, 4), 18n]);
  });
});
