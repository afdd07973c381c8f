// Error paths of the JAM host functions (gas, fetch, lookup, read, write, info, checkpoint,
// log; historical_lookup, export, machine, peek, poke, pages, invoke, expunge) that
// jam_host_functions_test.ts and jam_inner_machines_test.ts leave out, each run from guest
// code (`ecalli`) on the interpreter and the recompiler with identical results:
// - pointer ranges that straddle a writable and a read-only page, run past 2^32, or have
//   lengths of 2^32 and more: a panic at the ecalli with nothing written or changed;
// - empty ranges at unmapped addresses (nothing to copy): no panic;
// - register values ≥ 2^32 where ids are expected: NONE / WHO;
// - the order of checks (panic before WHO before HUH/OOB);
// - out of gas for every function: 9 gas left at the call, nothing changed.
// Expected values are worked out by hand from spec §13 (copy rule: f' = min(offset, |v|),
// l' = min(length, |v| − f'); info's layout; W_G = 4104).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Backend, type Exit, Module } from "../src/engine.ts";
import { type HostCallEvent, runWithHost } from "../src/host/host.ts";
import { HUH, JAM_HOST_IDS, NONE, OK, WHO } from "../src/host/jam/constants.ts";
import { CONTEXT_FUNCTIONS, jamRegistry } from "../src/host/jam/contexts.ts";
import type { InvocationContext, JamHostEnv, LogEntry } from "../src/host/jam/general.ts";
import { RefineContext } from "../src/host/jam/refine.ts";
import { InMemoryServiceState } from "../src/host/jam/state.ts";
import { asm, HALT, I, type Ins } from "./_programs.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const RO = 0x20000; // read-only page: guest inputs
const RW = 0x30000; // writable page
const RO2 = 0x31000; // read-only page right after RW: a range straddling RW→RO2 is not writable
const BAD = 0x50000; // unmapped
const TOP = 0xfffffffcn; // 4 bytes below 2^32 (unmapped): any longer range runs past the address space
const U64_MAX = (1n << 64n) - 1n;
const HASH = Array.from({ length: 32 }, (_, i) => i + 1);
const KEY = [0x6b, 0x31];
// An inner program for `machine`: generic blob "trap" (|j| = 0, z = 0, |c| = 1, code 0, mask 1)
const CHILD = [0, 0, 1, 0, 1];
// RO layout: HASH +0, KEY +32, CHILD +48
const RO_DATA = new Uint8Array([...HASH, ...KEY, ...new Array(14).fill(0), ...CHILD]);
const KEY_AT = RO + 32;
const CHILD_AT = RO + 48;
const bytes = (...b: number[]) => new Uint8Array(b);

function world(): InMemoryServiceState {
  const state = new InMemoryServiceState();
  state.setInfo(0, InMemoryServiceState.emptyInfo({ balance: 1_000_000n, lastAccumulation: 12, parent: 13 }));
  state.setPreimage(0, bytes(...HASH), bytes(1, 2, 3, 4, 5, 6));
  state.setStorage(0, bytes(...KEY), bytes(10, 11, 12, 13));
  return state;
}

/** One host call made by the guest: registers r7.. set with load_imm_64, then `ecalli id`. */
interface Step {
  id: number;
  regs: (bigint | number)[];
}

interface Outcome {
  exit: Exit;
  events: { name: string | undefined; r7: bigint; outcome: string; gas: bigint }[];
  rw: Uint8Array;
  storage: Uint8Array | undefined;
  items: number | undefined;
  logs: LogEntry[];
}

/** Run the steps then halt, with the context's JAM functions; what the calls did. */
function run(backend: Backend, context: InvocationContext, steps: Step[], gas = 100_000n): Outcome {
  const code: Ins[] = [];
  for (const step of steps) {
    step.regs.forEach((v, i) => code.push(I.loadImm64(7 + i, BigInt.asUintN(64, BigInt(v)))));
    code.push(I.ecalli(step.id));
  }
  code.push(I.jumpInd(0));
  const vm = Module.load(asm(...code).bytes, { format: "generic" }).instantiate({
    backend,
    gas,
    registers: [BigInt(HALT)],
    memory: [
      { address: RO, length: 4096, access: "read", data: RO_DATA },
      { address: RW, length: 4096, access: "write" },
      { address: RO2, length: 4096, access: "read" },
    ],
  });
  const state = world();
  const logs: LogEntry[] = [];
  const env: JamHostEnv = {
    context,
    self: 0,
    state,
    fetch: { constants: bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) },
    log: { sink: (e) => logs.push(e) },
  };
  const refine = new RefineContext();
  const events: Outcome["events"] = [];
  try {
    const exit = runWithHost(vm, jamRegistry(env, {}, refine), {
      onCall: (e: HostCallEvent) => events.push({ name: e.name, r7: e.result[0], outcome: e.outcome, gas: e.gasAfter }),
    });
    const rw = vm.memory.read(RW, 4096);
    return { exit, events, rw, storage: state.storage(0, bytes(...KEY)), items: state.info(0)?.items, logs };
  } finally {
    refine.dispose();
    vm.dispose();
  }
}

/** Run on both backends, check they agree, return the interpreter's outcome. */
function both(context: InvocationContext, steps: Step[], gas?: bigint): Outcome {
  const [a, b] = BACKENDS.map((backend) => run(backend, context, steps, gas));
  assert.deepEqual(b, a, "recompiler and interpreter differ");
  return a;
}

const untouched = (o: Outcome) => {
  assert.deepEqual(o.rw, new Uint8Array(4096), "nothing written");
  assert.deepEqual(o.storage, bytes(10, 11, 12, 13), "storage unchanged");
  assert.equal(o.items, 1);
};

/** The last call panicked: the run ended at that ecalli. */
const panicked = (o: Outcome) => {
  assert.equal(o.exit.kind, "panic");
  assert.equal(o.events.at(-1)?.outcome, "panic");
};

const id = JAM_HOST_IDS;

describe("general host functions: hostile pointers and edge values, on both backends", () => {
  it("fetch: an output straddling a read-only page panics; nothing is written", () => {
    // constants are 10 bytes: [RW + 0xffc, +10) runs into RO2
    const o = both("accumulate", [{ id: id.fetch, regs: [RW + 0xffc, 0, 10, 0, 0, 0] }]);
    panicked(o);
    untouched(o);
  });
  it("fetch: nothing to copy (length 0, offset past the end, absent kind) is no panic even at unmapped or wrapping addresses", () => {
    const o = both("accumulate", [
      { id: id.fetch, regs: [BAD, 0, 0, 0, 0, 0] },
      { id: id.fetch, regs: [TOP, U64_MAX, 5, 0, 0, 0] },
      { id: id.fetch, regs: [BAD, 0, 100, U64_MAX, 0, 0] },
      { id: id.fetch, regs: [BAD, 0, 100, 15, U64_MAX, 0] },
    ]);
    assert.equal(o.exit.kind, "halt");
    assert.deepEqual(o.events.map((e) => e.r7), [10n, 10n, NONE, NONE]);
  });
  it("fetch: an output running past 2^32 panics", () => {
    panicked(both("accumulate", [{ id: id.fetch, regs: [TOP, 0, 8, 0, 0, 0] }]));
  });
  it("lookup: a hash straddling the end of its page panics; an id ≥ 2^32 is NONE with no copy", () => {
    const o = both("accumulate", [{ id: id.lookup, regs: [NONE, RO + 0xff0, RW, 0, 6] }]);
    panicked(o);
    untouched(o);
    const none = both("accumulate", [{ id: id.lookup, regs: [1n << 32n, RO, BAD, 0, 100] }]);
    assert.deepEqual([none.exit.kind, none.events[0].r7], ["halt", NONE]);
  });
  it("lookup: the output must hold l' bytes exactly: [RW + 4090, +6) is fine, [RW + 4091, +6) panics", () => {
    const ok = both("accumulate", [{ id: id.lookup, regs: [NONE, RO, RW + 4090, 0, 100] }]);
    assert.deepEqual([ok.exit.kind, ok.events[0].r7], ["halt", 6n]);
    assert.deepEqual(ok.rw.subarray(4090), bytes(1, 2, 3, 4, 5, 6));
    panicked(both("accumulate", [{ id: id.lookup, regs: [NONE, RO, RW + 4091, 0, 100] }]));
  });
  it("read: key lengths of 2^32 and 2^64 − 1 panic; an empty key at an unmapped address is just absent", () => {
    for (const length of [1n << 32n, U64_MAX]) {
      const o = both("accumulate", [{ id: id.read, regs: [NONE, KEY_AT, length, RW, 0, 4] }]);
      panicked(o);
      untouched(o);
    }
    const empty = both("accumulate", [{ id: id.read, regs: [NONE, BAD, 0, BAD, 0, 4] }]);
    assert.deepEqual([empty.exit.kind, empty.events[0].r7], ["halt", NONE]);
  });
  it("read: an output straddling RW→RO2 panics, nothing written", () => {
    const o = both("accumulate", [{ id: id.read, regs: [NONE, KEY_AT, 2, RW + 0xffe, 0, 4] }]);
    panicked(o);
    untouched(o);
  });
  it("write: an unreadable value (length 2^63, or past 2^32) panics with the storage unchanged", () => {
    for (const [ptr, length] of [[RO, 1n << 63n], [TOP, 8n]] as const) {
      const o = both("accumulate", [{ id: id.write, regs: [KEY_AT, 2, ptr, length] }]);
      panicked(o);
      untouched(o);
    }
  });
  it("write: a key straddling the end of its page panics with the storage unchanged", () => {
    const o = both("accumulate", [{ id: id.write, regs: [RO + 0xfff, 2, RO, 1] }]);
    panicked(o);
    untouched(o);
  });
  it("info: bytes 90..96 (the end of last-accumulation and the parent) fit the page end exactly", () => {
    const o = both("accumulate", [{ id: id.info, regs: [NONE, RW + 4090, 90, 100] }]);
    assert.deepEqual([o.exit.kind, o.events[0].r7], ["halt", 96n]);
    // E4(last accumulation = 12)[2..4] ++ E4(parent = 13)
    assert.deepEqual(o.rw.subarray(4090), bytes(0, 0, 13, 0, 0, 0));
  });
  it("info: one byte further straddles into RO2 and panics; ids 2^64 − 2 and 2^32 are NONE", () => {
    const o = both("accumulate", [{ id: id.info, regs: [NONE, RW + 4091, 90, 100] }]);
    panicked(o);
    untouched(o);
    const none = both("accumulate", [
      { id: id.info, regs: [U64_MAX - 1n, BAD, 0, 96] },
      { id: id.info, regs: [1n << 32n, BAD, 0, 96] },
    ]);
    assert.deepEqual(none.events.map((e) => e.r7), [NONE, NONE]);
  });
  it("log: target and message past 2^32 or unmapped are delivered empty; never a panic", () => {
    const o = both("refine", [{ id: id.log, regs: [3, TOP, 8, BAD, U64_MAX] }]);
    assert.equal(o.exit.kind, "halt");
    assert.deepEqual(o.logs, [{ level: 3n, target: "", message: "" }]);
  });
  it("gas: with exactly 10 left the call succeeds with r7 = 0, and the next instruction runs out", () => {
    // 6 load_imm_64 cost 6, the ecalli 1: give 17 so 10 are left at the call
    const o = both("accumulate", [{ id: id.gas, regs: [0, 0, 0, 0, 0, 0] }], 17n);
    assert.deepEqual(o.events.map((e) => [e.name, e.r7, e.outcome]), [["gas", 0n, "continue"]]);
    assert.equal(o.exit.kind, "oog");
  });
});

describe("Refine host functions: hostile pointers, ids ≥ 2^32 and check order, on both backends", () => {
  const newMachine: Step = { id: id.machine, regs: [CHILD_AT, CHILD.length, 0] };
  it("historical_lookup: an output straddling RW→RO2 panics; an id ≥ 2^32 is NONE", () => {
    const o = both("refine", [{ id: id.historical_lookup, regs: [NONE, RO, RW + 0xffe, 0, 6] }]);
    panicked(o);
    assert.deepEqual(o.rw, new Uint8Array(4096));
    const none = both("refine", [{ id: id.historical_lookup, regs: [1n << 32n, RO, BAD, 0, 6] }]);
    assert.deepEqual([none.exit.kind, none.events[0].r7], ["halt", NONE]);
  });
  it("export: a length above W_G is capped at 4104, which from a one-page region is unreadable: panic", () => {
    panicked(both("refine", [{ id: id.export, regs: [RO, U64_MAX] }]));
    panicked(both("refine", [{ id: id.export, regs: [TOP, 8] }]));
    const ok = both("refine", [{ id: id.export, regs: [RO + 0xffc, 4] }]);
    assert.deepEqual([ok.exit.kind, ok.events[0].r7], ["halt", 0n]);
  });
  it("machine: a blob of 2^40 bytes, or past 2^32, panics; no machine is made", () => {
    panicked(both("refine", [{ id: id.machine, regs: [CHILD_AT, 1n << 40n, 0] }]));
    const o = both("refine", [{ id: id.machine, regs: [TOP, 5, 0] }, newMachine]);
    panicked(o);
    assert.equal(o.events.length, 1);
  });
  it("peek: the outer range is checked first (panic even for an unknown machine), then WHO, then OOB", () => {
    const o = both("refine", [{ id: id.peek, regs: [7, RW + 0xffe, 0x10000, 4] }]);
    panicked(o);
    const order = both("refine", [
      newMachine,
      { id: id.peek, regs: [1n << 32n, RW, 0x10000, 4] },
      { id: id.peek, regs: [0, RW, TOP, 8] },
      { id: id.peek, regs: [0, RW, 0x10000, 0] },
    ]);
    assert.deepEqual(order.events.map((e) => e.r7), [0n, WHO, (1n << 64n) - 3n, OK]);
    assert.deepEqual(order.rw, new Uint8Array(4096));
  });
  it("poke: an unreadable source panics before WHO; an inner range past 2^32 is OOB", () => {
    panicked(both("refine", [{ id: id.poke, regs: [7, TOP, 0x10000, 8] }]));
    const o = both("refine", [newMachine, { id: id.poke, regs: [0, RO, TOP, 8] }]);
    assert.deepEqual(o.events.map((e) => e.r7), [0n, (1n << 64n) - 3n]);
  });
  it("pages: WHO before HUH; huge page numbers and counts, and mode 2^64 − 1, are HUH", () => {
    const o = both("refine", [
      { id: id.pages, regs: [0, 16, 1, 99] },
      newMachine,
      { id: id.pages, regs: [0, U64_MAX, 1, 1] },
      { id: id.pages, regs: [0, 16, U64_MAX, 1] },
      { id: id.pages, regs: [0, 16, 1, U64_MAX] },
      { id: id.pages, regs: [0, (1n << 20n) - 1n, 1, 2] },
      { id: id.pages, regs: [0, (1n << 20n) - 2n, 1, 2] },
    ]);
    assert.deepEqual(o.events.map((e) => e.r7), [WHO, 0n, HUH, HUH, HUH, HUH, OK]);
  });
  it("invoke: a record straddling RW→RO2 panics with nothing run or written; machine 2^64 − 1 is WHO", () => {
    const o = both("refine", [newMachine, { id: id.invoke, regs: [0, RW + 4096 - 100] }]);
    panicked(o);
    assert.deepEqual(o.rw, new Uint8Array(4096));
    const who = both("refine", [newMachine, { id: id.invoke, regs: [U64_MAX, RW] }]);
    assert.deepEqual(who.events.map((e) => e.r7), [0n, WHO]);
    assert.deepEqual(who.rw, new Uint8Array(4096), "record untouched");
  });
  it("expunge: ids 2^32 and 2^64 − 1 are WHO and remove nothing", () => {
    const o = both("refine", [
      newMachine,
      { id: id.expunge, regs: [1n << 32n] },
      { id: id.expunge, regs: [U64_MAX] },
      { id: id.expunge, regs: [0] },
    ]);
    assert.deepEqual(o.events.map((e) => e.r7), [0n, WHO, WHO, 0n]);
  });
});

describe("out of gas in every JAM host function: 9 gas left at the call, nothing changes", () => {
  const contexts: InvocationContext[] = ["accumulate", "refine"];
  for (const context of contexts) {
    for (const name of CONTEXT_FUNCTIONS[context]) {
      if (name === "log") continue; // costs 0 here (configurable)
      it(`${name} (${context})`, () => {
        // registers that would make each call succeed or write: out at RW, key/hash at RO
        const regs = [RW, 0, 10, 0, 0, 0];
        if (name === "write") regs.splice(0, 4, KEY_AT, 2, RO, 1);
        // six load_imm_64 + the ecalli = 7; 16 gas leaves 9 at the call
        const o = both(context, [{ id: id[name], regs }], 16n);
        assert.equal(o.exit.kind, "oog");
        assert.equal(o.events.length, 1);
        const e = o.events[0];
        assert.equal(e.outcome, "oog");
        assert.equal(e.gas, -1n);
        assert.equal(e.r7, BigInt(regs[0]), "r7 unchanged");
        untouched(o);
      });
    }
  }
});
