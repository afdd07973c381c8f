// Accumulate-only JAM host functions (GP v0.7.2, appendix B.7): bless (14), assign (15),
// designate (16), new (18), upgrade (19), transfer (20), eject (21), query (22),
// solicit (23), forget (24), yield (25), provide (26). For each: the success path, every
// result code in the GP's order, OOG, and hostile pointers (a panic with registers and
// state unchanged). Expected values are worked out by hand from the GP's definitions:
// 10 gas per call (transfer: 10 + its gas limit when it succeeds), threshold
// a_t = 100 + 10·items + octets − gratis, a request adds 2 items and 81 + length octets.
// Constants: the tiny chain's (C = 2, Q = 80, V = 6, D = 32) unless said otherwise.
// Every case runs on both backends with the same expectations.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blake2b } from "@noble/hashes/blake2.js";
import { type Backend, type Instance, Module } from "../src/engine.ts";
import { callHost, type HostOutcome } from "../src/host/host.ts";
import { CASH, CORE, FULL, HUH, LOW, NONE, OK, WHAT, WHO } from "../src/host/jam/constants.ts";
import { jamRegistry } from "../src/host/jam/contexts.ts";
import type { InvocationContext, JamHostEnv } from "../src/host/jam/general.ts";
import { FULL_PARAMS, type ProtocolParams, TINY_PARAMS } from "../src/host/jam/params.ts";
import { InMemoryServiceState, type ServiceInfo } from "../src/host/jam/state.ts";
import { asm, I, le } from "./_programs.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const RO = 0x20000; // two readable pages of guest inputs
const RO_END = RO + 0x2000;
const BAD = 0x60000; // nothing mapped
const SELF = 1;
const NOW = 100; // timeslot; with D = 32 a request forgotten at y is expired iff y < 68
const U32 = 1n << 32n;
const bytes = (...b: number[]) => new Uint8Array(b);

// RO layout
const HASH = Array.from({ length: 32 }, (_, i) => i + 1);
const ASSIGNERS_AT = RO + 0x40; // E4(7) E4(8)
const ALWAYS_AT = RO + 0x48; // E4(9) E8(1000) E4(10) E8(2000)
const QUEUE_AT = RO + 0x100; // 80 × 32 bytes: hash i is 32 × (i + 1) mod 256
const KEYS_AT = RO + 0xb00; // 6 × 336 bytes: byte j of validator i is (i + 7j) mod 256
const MEMO_AT = RO + 0x1300; // 128 bytes 0xc0 + j mod 64
const BLOB_AT = RO + 0x1400; // the 5-byte blob for provide
const BLOB = bytes(0x70, 0x72, 0x6f, 0x76, 0x65);
const BLOB_HASH = blake2b(BLOB, { dkLen: 32 });
const EJECTABLE_AT = RO + 0x1420; // E32(SELF): the code hash of an account SELF may eject
const QUEUE = Array.from({ length: 80 }, (_, i) => new Uint8Array(32).fill((32 * (i + 1)) & 0xff));
const KEYS = Array.from({ length: 6 }, (_, i) => Uint8Array.from({ length: 336 }, (_, j) => (i + 7 * j) & 0xff));
const MEMO = Uint8Array.from({ length: 128 }, (_, j) => 0xc0 + (j % 64));

const RO_DATA = new Uint8Array(0x2000);
RO_DATA.set(HASH, 0);
RO_DATA.set([...le(7, 4), ...le(8, 4)], ASSIGNERS_AT - RO);
RO_DATA.set([...le(9, 4), ...le(1000, 8), ...le(10, 4), ...le(2000, 8)], ALWAYS_AT - RO);
QUEUE.forEach((h, i) => RO_DATA.set(h, QUEUE_AT - RO + 32 * i));
KEYS.forEach((k, i) => RO_DATA.set(k, KEYS_AT - RO + 336 * i));
RO_DATA.set(MEMO, MEMO_AT - RO);
RO_DATA.set(BLOB, BLOB_AT - RO);
RO_DATA.set(le(SELF, 32), EJECTABLE_AT - RO);

const info = (fields: Partial<ServiceInfo> = {}) => InMemoryServiceState.emptyInfo({ balance: 10_000n, ...fields });

/** Self (1): balance 10,000, threshold 100. Service 2: balance 500, min memo gas 50. */
function world(): InMemoryServiceState {
  const state = new InMemoryServiceState();
  state.setInfo(SELF, info());
  state.setInfo(2, info({ balance: 500n, minMemoGas: 50n }));
  state.setPrivileges({
    manager: SELF,
    assigners: [SELF, 3],
    delegator: SELF,
    registrar: 3,
    alwaysAccumulate: new Map(),
  });
  state.setNextFreeId(70_000);
  return state;
}

/** Everything a call could change, through the public getters, for "nothing changed" checks. */
function dump(state: InMemoryServiceState) {
  const ids = [0, 1, 2, 3, 4, 5, 6, 99, 65_577, 70_000, 70_042, 70_043];
  const lengths = [4, 5, 10, 50, 100];
  return {
    accounts: ids.map((id) => state.info(id)),
    requests: ids.flatMap((id) =>
      lengths.flatMap((l) => [state.request(id, bytes(...HASH), l), state.request(id, BLOB_HASH, l)])
    ),
    preimages: ids.map((id) => state.preimage(id, bytes(...HASH))),
    privileges: state.privileges(),
    transfers: state.transfers(),
    queues: [0, 1].map((c) => state.authQueue(c)),
    staging: state.stagingSet(),
    nextFreeId: state.nextFreeId(),
    yielded: state.yielded(),
    provisions: state.provisions(),
  };
}

interface Call {
  outcome: HostOutcome["kind"];
  r7: bigint;
  r8: bigint;
  gas: bigint;
}

interface Setup {
  state: InMemoryServiceState;
  call(id: number, regs: (bigint | number)[], gas?: bigint): Call;
}

function setup(
  backend: Backend,
  options: { self?: number; params?: ProtocolParams; context?: InvocationContext; state?: InMemoryServiceState } = {},
): Setup {
  const state = options.state ?? world();
  const env: JamHostEnv = {
    context: options.context ?? "accumulate",
    self: options.self ?? SELF,
    state,
    timeslot: NOW,
    params: options.params ?? TINY_PARAMS,
  };
  const registry = jamRegistry(env);
  return {
    state,
    call(id, regs, gas = 1000n) {
      const vm: Instance = Module.load(asm(I.trap()).bytes, { format: "generic" }).instantiate({
        gas,
        backend,
        memory: [{ address: RO, length: 0x2000, access: "read", data: RO_DATA }],
      });
      try {
        vm.setRegister(7, 0x7777n);
        vm.setRegister(8, 0x8888n);
        regs.forEach((v, i) => vm.setRegister(7 + i, BigInt.asUintN(64, BigInt(v))));
        const outcome = callHost(vm, registry, 0, id, vm.gas).kind;
        return { outcome, r7: vm.getRegister(7), r8: vm.getRegister(8), gas: vm.gas };
      } finally {
        vm.dispose();
      }
    },
  };
}

/** The call panics (or runs out of gas) leaving r7 and the whole state as they were. */
function unchanged(s: Setup, id: number, regs: (bigint | number)[], kind: "panic" | "oog" = "panic", gas = 1000n) {
  const before = dump(s.state);
  const c = s.call(id, regs, gas);
  assert.equal(c.outcome, kind);
  if (regs.length === 0) assert.equal(c.r7, 0x7777n);
  else assert.equal(c.r7, BigInt.asUintN(64, BigInt(regs[0])));
  assert.deepEqual(dump(s.state), before);
  return c;
}

/** The call answers `r7` for 10 gas and leaves the state as it was. */
function refused(s: Setup, id: number, regs: (bigint | number)[], r7: bigint) {
  const before = dump(s.state);
  const c = s.call(id, regs);
  assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", r7, 990n]);
  assert.deepEqual(dump(s.state), before);
}

const ok = (s: Setup, id: number, regs: (bigint | number)[]) => {
  const c = s.call(id, regs);
  assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", OK, 990n]);
  return c;
};

for (const backend of BACKENDS) {
  describe(`bless (14) (${backend})`, () => {
    const args = (over: Partial<Record<"m" | "a" | "v" | "r" | "o" | "n", bigint | number>> = {}) => {
      const a = { m: 5, a: ASSIGNERS_AT, v: 6, r: 7, o: ALWAYS_AT, n: 2, ...over };
      return [a.m, a.a, a.v, a.r, a.o, a.n];
    };
    it("OK: sets manager, the C assigners, delegator, registrar and always-accumulate", () => {
      const s = setup(backend);
      ok(s, 14, args());
      assert.deepEqual(s.state.privileges(), {
        manager: 5,
        assigners: [7, 8],
        delegator: 6,
        registrar: 7,
        alwaysAccumulate: new Map([[9, 1000n], [10, 2000n]]),
      });
      // n = 0 reads nothing: any pointer will do
      ok(s, 14, args({ o: BAD, n: 0 }));
      assert.equal(s.state.privileges().alwaysAccumulate.size, 0);
    });
    it("GP 0.7.2 checks no privilege here: a service that is not the manager may call it", () => {
      const s = setup(backend, { self: 2 });
      ok(s, 14, args());
      assert.equal(s.state.privileges().manager, 5);
    });
    it("WHO if the manager, delegator or registrar is not a u32 (nothing changed)", () => {
      const s = setup(backend);
      refused(s, 14, args({ m: U32 }), WHO);
      refused(s, 14, args({ v: U32 + 6n }), WHO);
      refused(s, 14, args({ r: NONE }), WHO);
      ok(s, 14, args({ m: U32 - 1n }));
    });
    it("panics, changing nothing, if the assigners or the entries are unreadable (before WHO)", () => {
      const s = setup(backend);
      unchanged(s, 14, args({ a: BAD }));
      unchanged(s, 14, args({ a: RO_END - 4 })); // C = 2 needs 8 bytes
      unchanged(s, 14, args({ o: RO_END - 12, n: 2 }));
      unchanged(s, 14, args({ n: 1n << 62n }));
      unchanged(s, 14, args({ a: BAD, m: U32 }));
      s.call(14, args({ a: RO_END - 8, n: 0 })); // exactly the last 8 bytes: fine
    });
    it("reads C × 4 bytes for the full chain's C = 341", () => {
      const s = setup(backend, { params: FULL_PARAMS });
      unchanged(s, 14, args({ a: RO_END - 4 * 340 }));
      ok(s, 14, args({ a: RO_END - 4 * 341, n: 0 }));
      assert.equal(s.state.privileges().assigners.length, 341);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 14, args(), "oog", 9n));
  });

  describe(`assign (15) (${backend})`, () => {
    it("OK: the core's queue becomes the Q hashes and its assigner the new one", () => {
      const s = setup(backend);
      ok(s, 15, [0, QUEUE_AT, 4]);
      assert.deepEqual(s.state.authQueue(0), QUEUE);
      assert.deepEqual(s.state.privileges().assigners, [4, 3]);
      assert.equal(s.state.authQueue(1), undefined);
      // SELF is no longer core 0's assigner
      refused(s, 15, [0, QUEUE_AT, SELF], HUH);
    });
    it("CORE for c ≥ C, then HUH for a caller that is not the assigner, then WHO", () => {
      const s = setup(backend);
      refused(s, 15, [2, QUEUE_AT, 4], CORE);
      refused(s, 15, [NONE, QUEUE_AT, U32], CORE);
      refused(s, 15, [1, QUEUE_AT, 4], HUH); // core 1's assigner is 3
      refused(s, 15, [1, QUEUE_AT, U32], HUH);
      refused(s, 15, [0, QUEUE_AT, U32], WHO);
    });
    it("panics, changing nothing, if the Q × 32 bytes are unreadable (before CORE)", () => {
      const s = setup(backend);
      unchanged(s, 15, [0, BAD, 4]);
      unchanged(s, 15, [0, RO_END - 80 * 32 + 1, 4]);
      unchanged(s, 15, [7, BAD, 4]);
      ok(s, 15, [0, RO_END - 80 * 32, 4]);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 15, [0, QUEUE_AT, 4], "oog", 9n));
  });

  describe(`designate (16) (${backend})`, () => {
    it("OK: the staging set becomes the V key sets of 336 bytes", () => {
      const s = setup(backend);
      ok(s, 16, [KEYS_AT]);
      assert.deepEqual(s.state.stagingSet(), KEYS);
    });
    it("HUH unless the caller is the delegator", () => refused(setup(backend, { self: 2 }), 16, [KEYS_AT], HUH));
    it("panics, changing nothing, if V × 336 bytes are unreadable (before HUH)", () => {
      unchanged(setup(backend), 16, [RO_END - 6 * 336 + 1]);
      unchanged(setup(backend, { self: 2 }), 16, [BAD]);
      unchanged(setup(backend, { params: FULL_PARAMS }), 16, [KEYS_AT]); // V = 1023: 343,728 bytes
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 16, [KEYS_AT], "oog", 9n));
  });

  describe(`new (18) (${backend})`, () => {
    // code length 100: the new account holds 2 items and 81 + 100 octets, so its balance
    // (= its threshold) is 100 + 20 + 181 = 301
    const args = (over: Partial<Record<"o" | "l" | "g" | "m" | "f" | "i", bigint | number>> = {}) => {
      const a = { o: RO, l: 100, g: 5, m: 6, f: 0, i: 0, ...over };
      return [a.o, a.l, a.g, a.m, a.f, a.i];
    };
    it("creates the account at the next free id, pays its threshold, moves the next id on by 42", () => {
      const s = setup(backend);
      const c = s.call(18, args());
      assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", 70_000n, 990n]);
      assert.deepEqual(s.state.info(70_000), {
        codeHash: bytes(...HASH),
        balance: 301n,
        minAccumulateGas: 5n,
        minMemoGas: 6n,
        octets: 181n,
        items: 2,
        gratis: 0n,
        created: NOW,
        lastAccumulation: 0,
        parent: SELF,
      });
      assert.deepEqual(s.state.request(70_000, bytes(...HASH), 100), []);
      assert.equal(s.state.info(SELF)!.balance, 10_000n - 301n);
      assert.equal(s.state.nextFreeId(), 70_042);
      // a used id is skipped
      s.state.setInfo(70_084, info());
      assert.equal(s.call(18, args()).r7, 70_042n);
      assert.equal(s.state.nextFreeId(), 70_085);
    });
    it("the next id wraps from 2^32 − 2^8 − 1 to S + 41", () => {
      const s = setup(backend);
      s.state.setNextFreeId(2 ** 32 - 257);
      assert.equal(s.call(18, args()).r7, BigInt(2 ** 32 - 257));
      assert.equal(s.state.nextFreeId(), 65_536 + 41);
    });
    it("gratis: HUH unless the caller is the manager; the manager's lowers the new balance", () => {
      refused(setup(backend, { self: 2 }), 18, args({ f: 50 }), HUH);
      const s = setup(backend);
      assert.equal(s.call(18, args({ f: 50 })).r7, 70_000n);
      assert.deepEqual([s.state.info(70_000)!.balance, s.state.info(70_000)!.gratis], [251n, 50n]);
      assert.equal(s.call(18, args({ f: NONE })).r7, 70_042n); // threshold max(0, …) = 0
      assert.equal(s.state.info(70_042)!.balance, 0n);
    });
    it("CASH if the caller would fall below its own threshold (100)", () => {
      const poor = world();
      poor.setInfo(SELF, info({ balance: 400n }));
      refused(setup(backend, { state: poor }), 18, args(), CASH);
      const enough = world();
      enough.setInfo(SELF, info({ balance: 401n }));
      assert.equal(setup(backend, { state: enough }).call(18, args()).r7, 70_000n);
      assert.equal(enough.info(SELF)!.balance, 100n);
      // HUH comes before CASH
      poor.setPrivileges({ ...poor.privileges(), manager: 9 });
      refused(setup(backend, { state: poor }), 18, args({ f: 1 }), HUH);
    });
    it("the registrar picks an id below S: FULL if taken, else that id (next free id unchanged)", () => {
      const s = setup(backend, { self: 3 });
      s.state.setInfo(3, info());
      s.state.setInfo(5, info());
      refused(s, 18, args({ i: 5 }), FULL);
      assert.equal(s.call(18, args({ i: 6 })).r7, 6n);
      assert.equal(s.state.info(6)!.parent, 3);
      assert.equal(s.state.nextFreeId(), 70_000);
      assert.equal(s.call(18, args({ i: 65_536 })).r7, 70_000n); // not below S: the usual way
      // others' wishes are ignored
      assert.equal(setup(backend).call(18, args({ i: 6 })).r7, 70_000n);
      // CASH comes before FULL
      s.state.setInfo(3, info({ balance: 300n }));
      refused(s, 18, args({ i: 5 }), CASH);
    });
    it("panics, changing nothing, if the hash is unreadable or the length is not a u32", () => {
      const s = setup(backend);
      unchanged(s, 18, args({ o: BAD }));
      unchanged(s, 18, args({ o: RO_END - 31 }));
      unchanged(s, 18, args({ l: U32 }));
      unchanged(setup(backend, { self: 2 }), 18, args({ o: BAD, f: 1 }));
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 18, args(), "oog", 9n));
  });

  describe(`upgrade (19) (${backend})`, () => {
    it("OK: code hash, min accumulate gas and min memo gas change; nothing else", () => {
      const s = setup(backend);
      ok(s, 19, [RO, 11, NONE]);
      assert.deepEqual(s.state.info(SELF), info({ codeHash: bytes(...HASH), minAccumulateGas: 11n, minMemoGas: NONE }));
    });
    it("panics, changing nothing, if the hash is unreadable", () => {
      unchanged(setup(backend), 19, [BAD, 1, 2]);
      unchanged(setup(backend), 19, [RO_END - 1, 1, 2]);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 19, [RO, 1, 2], "oog", 9n));
  });

  describe(`transfer (20) (${backend})`, () => {
    it("OK: costs 10 + the gas limit, queues the transfer, debits the amount", () => {
      const s = setup(backend);
      const c = s.call(20, [2, 300, 60, MEMO_AT]);
      assert.deepEqual([c.outcome, c.r7, c.gas], ["continue", OK, 1000n - 10n - 60n]);
      assert.deepEqual(s.state.transfers(), [{ source: SELF, destination: 2, amount: 300n, memo: MEMO, gas: 60n }]);
      assert.equal(s.state.info(SELF)!.balance, 9_700n);
      assert.equal(s.state.info(2)!.balance, 500n); // credited when the transfer is processed, not now
    });
    it("WHO, then LOW (limit below the receiver's min memo gas), then CASH; 10 gas each", () => {
      const s = setup(backend);
      refused(s, 20, [99, 1, 60, MEMO_AT], WHO);
      refused(s, 20, [U32 + 2n, 1, 60, MEMO_AT], WHO);
      refused(s, 20, [2, 1, 49, MEMO_AT], LOW);
      refused(s, 20, [2, 9_901, 60, MEMO_AT], CASH); // 10,000 − 9,901 = 99 < 100
      refused(s, 20, [2, NONE, 60, MEMO_AT], CASH);
      refused(s, 20, [99, NONE, 0, MEMO_AT], WHO);
      refused(s, 20, [2, NONE, 0, MEMO_AT], LOW);
      assert.equal(s.call(20, [2, 9_900, 50, MEMO_AT]).r7, OK); // exactly the threshold left
      assert.equal(s.state.info(SELF)!.balance, 100n);
    });
    it("OOG, nothing done, when 10 + the limit is more than the gas left; a refusal charges only 10", () => {
      const s = setup(backend);
      const c = unchanged(s, 20, [2, 300, 60, MEMO_AT], "oog", 69n);
      assert.equal(c.gas, -1n); // gas′ = 69 − (10 + 60)
      const exact = s.call(20, [2, 300, 60, MEMO_AT], 70n);
      assert.deepEqual([exact.outcome, exact.r7, exact.gas], ["continue", OK, 0n]);
      const who = s.call(20, [99, 300, 1_000_000, MEMO_AT], 10n);
      assert.deepEqual([who.outcome, who.r7, who.gas], ["continue", WHO, 0n]);
      unchanged(s, 20, [2, 300, 60, MEMO_AT], "oog", 9n);
    });
    it("panics, changing nothing, if the 128-byte memo is unreadable (before WHO)", () => {
      const s = setup(backend);
      unchanged(s, 20, [2, 300, 60, RO_END - 127]);
      unchanged(s, 20, [99, 300, 60, BAD]);
      assert.equal(s.call(20, [2, 300, 60, RO_END - 128]).r7, OK);
    });
  });

  describe(`eject (21) (${backend})`, () => {
    /** Service 3: code hash E32(SELF), balance 250, one request (HASH, 50) = slots. */
    const ejectable = (slots: number[], fields: Partial<ServiceInfo> = {}) => {
      const state = world();
      state.setInfo(3, info({ balance: 250n, codeHash: bytes(...le(SELF, 32)), ...fields }));
      state.setRequest(3, bytes(...HASH), 50, slots); // items 2, octets 131: l = 131 − 81 = 50
      return state;
    };
    it("OK: removes the account and credits its balance to the caller", () => {
      const s = setup(backend, { state: ejectable([10, 67]) });
      ok(s, 21, [3, RO]);
      assert.equal(s.state.info(3), undefined);
      assert.equal(s.state.request(3, bytes(...HASH), 50), undefined);
      assert.equal(s.state.info(SELF)!.balance, 10_250n);
    });
    it("WHO: the caller itself, an unknown service, or a code hash other than E32(caller)", () => {
      refused(setup(backend, { state: ejectable([10, 20]) }), 21, [SELF, RO], WHO);
      refused(setup(backend, { state: ejectable([10, 20]) }), 21, [99, RO], WHO);
      refused(setup(backend, { state: ejectable([10, 20]) }), 21, [U32 + 3n, RO], WHO);
      refused(setup(backend, { state: ejectable([10, 20], { codeHash: bytes(...le(2, 32)) }) }), 21, [3, RO], WHO);
      // WHO comes before HUH
      refused(setup(backend, { state: ejectable([10, 90], { codeHash: new Uint8Array(32) }) }), 21, [3, RO], WHO);
    });
    it("HUH unless it holds only the request (h, octets − 81), forgotten before now − D", () => {
      refused(setup(backend, { state: ejectable([10, 68]) }), 21, [3, RO], HUH); // 68 is not < 68
      refused(setup(backend, { state: ejectable([10]) }), 21, [3, RO], HUH);
      refused(setup(backend, { state: ejectable([]) }), 21, [3, RO], HUH);
      refused(setup(backend, { state: ejectable([10, 20, 30]) }), 21, [3, RO], HUH);
      refused(setup(backend, { state: ejectable([10, 20]) }), 21, [3, MEMO_AT], HUH); // another hash
      const more = ejectable([10, 20]);
      more.setStorage(3, bytes(1), bytes(2)); // 3 items
      refused(setup(backend, { state: more }), 21, [3, RO], HUH);
    });
    it("panics, changing nothing, if the hash is unreadable (before WHO)", () => {
      unchanged(setup(backend, { state: ejectable([10, 20]) }), 21, [3, BAD]);
      unchanged(setup(backend, { state: ejectable([10, 20]) }), 21, [99, RO_END - 16]);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend, { state: ejectable([10, 20]) }), 21, [3, RO], "oog", 9n));
  });

  describe(`query (22) (${backend})`, () => {
    const asked = (slots: number[] | undefined) => {
      const state = world();
      if (slots) state.setRequest(SELF, bytes(...HASH), 10, slots);
      const c = setup(backend, { state }).call(22, [RO, 10]);
      assert.deepEqual([c.outcome, c.gas], ["continue", 990n]);
      return [c.r7, c.r8];
    };
    it("r7, r8 encode the request's timeslots", () => {
      assert.deepEqual(asked([]), [0n, 0n]);
      assert.deepEqual(asked([5]), [1n + 5n * U32, 0n]);
      assert.deepEqual(asked([5, 6]), [2n + 5n * U32, 6n]);
      assert.deepEqual(asked([5, 6, 7]), [3n + 5n * U32, 6n + 7n * U32]);
      assert.deepEqual(asked([0xffffffff, 1, 0xffffffff]), [3n + 0xffffffffn * U32, 1n + 0xffffffffn * U32]);
    });
    it("NONE and r8 = 0 without a request (another length, or a length ≥ 2^32)", () => {
      assert.deepEqual(asked(undefined), [NONE, 0n]);
      const state = world();
      state.setRequest(SELF, bytes(...HASH), 10, [5]);
      const s = setup(backend, { state });
      assert.deepEqual([s.call(22, [RO, 11]).r7, s.call(22, [RO, U32 + 10n]).r7], [NONE, NONE]);
      assert.equal(s.call(22, [RO, U32 + 10n]).r8, 0n);
    });
    it("panics, r7 and r8 unchanged, if the hash is unreadable", () => {
      const c = unchanged(setup(backend), 22, [BAD, 10]);
      assert.equal(c.r8, 10n);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 22, [RO, 10], "oog", 9n));
  });

  describe(`solicit (23) (${backend})`, () => {
    it("a new request starts empty and adds 2 items and 81 + length octets", () => {
      const s = setup(backend);
      ok(s, 23, [RO, 10]);
      assert.deepEqual(s.state.request(SELF, bytes(...HASH), 10), []);
      assert.deepEqual([s.state.info(SELF)!.items, s.state.info(SELF)!.octets], [2, 91n]);
    });
    it("a provided-then-forgotten request [x, y] is asked for again: [x, y, now]", () => {
      const s = setup(backend);
      s.state.setRequest(SELF, bytes(...HASH), 10, [5, 6]);
      ok(s, 23, [RO, 10]);
      assert.deepEqual(s.state.request(SELF, bytes(...HASH), 10), [5, 6, NOW]);
    });
    it("HUH for [], [x], [x, y, z], or a length ≥ 2^32", () => {
      for (const slots of [[], [5], [5, 6, 7]]) {
        const s = setup(backend);
        s.state.setRequest(SELF, bytes(...HASH), 10, slots);
        refused(s, 23, [RO, 10], HUH);
      }
      refused(setup(backend), 23, [RO, U32], HUH);
    });
    it("FULL if the balance would fall below the new threshold (100 + 20 + 91 = 211)", () => {
      const poor = world();
      poor.setInfo(SELF, info({ balance: 210n }));
      refused(setup(backend, { state: poor }), 23, [RO, 10], FULL);
      poor.setInfo(SELF, info({ balance: 211n }));
      ok(setup(backend, { state: poor }), 23, [RO, 10]);
      // re-asking [x, y] adds no item, but the balance is still checked against the threshold
      const forgotten = world();
      forgotten.setRequest(SELF, bytes(...HASH), 10, [5, 6]);
      forgotten.setInfo(SELF, { ...forgotten.info(SELF)!, balance: 210n });
      refused(setup(backend, { state: forgotten }), 23, [RO, 10], FULL);
      forgotten.setInfo(SELF, { ...forgotten.info(SELF)!, balance: 211n });
      ok(setup(backend, { state: forgotten }), 23, [RO, 10]);
    });
    it("panics, changing nothing, if the hash is unreadable", () => unchanged(setup(backend), 23, [BAD, 10]));
    it("OOG below 10 gas", () => unchanged(setup(backend), 23, [RO, 10], "oog", 9n));
  });

  describe(`forget (24) (${backend})`, () => {
    const forget = (slots: number[] | undefined) => {
      const state = world();
      state.setPreimage(SELF, bytes(...HASH), bytes(1, 2, 3));
      if (slots) state.setRequest(SELF, bytes(...HASH), 10, slots);
      const c = setup(backend, { state }).call(24, [RO, 10]);
      assert.deepEqual([c.outcome, c.gas], ["continue", 990n]);
      return { r7: c.r7, state };
    };
    it("[] and expired [x, y] drop the request and the preimage", () => {
      for (const slots of [[], [5, 67]]) {
        const { r7, state } = forget(slots);
        assert.equal(r7, OK);
        assert.equal(state.request(SELF, bytes(...HASH), 10), undefined);
        assert.equal(state.preimage(SELF, bytes(...HASH)), undefined);
        assert.deepEqual([state.info(SELF)!.items, state.info(SELF)!.octets], [0, 0n]);
      }
    });
    it("[x] becomes [x, now]; [x, y, w] with y expired becomes [w, now]; the preimage stays", () => {
      let f = forget([5]);
      assert.deepEqual([f.r7, f.state.request(SELF, bytes(...HASH), 10)], [OK, [5, NOW]]);
      assert.deepEqual(f.state.preimage(SELF, bytes(...HASH)), bytes(1, 2, 3));
      f = forget([5, 67, 90]);
      assert.deepEqual([f.r7, f.state.request(SELF, bytes(...HASH), 10)], [OK, [90, NOW]]);
    });
    it("HUH: no request, or [x, y] / [x, y, w] forgotten at now − D or later (nothing changed)", () => {
      for (const slots of [undefined, [5, 68], [5, 68, 90]]) {
        const state = world();
        if (slots) state.setRequest(SELF, bytes(...HASH), 10, slots);
        refused(setup(backend, { state }), 24, [RO, 10], HUH);
      }
      refused(setup(backend), 24, [RO, U32 + 10n], HUH);
    });
    it("panics, changing nothing, if the hash is unreadable", () => {
      const state = world();
      state.setRequest(SELF, bytes(...HASH), 10, []);
      unchanged(setup(backend, { state }), 24, [BAD, 10]);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend), 24, [RO, 10], "oog", 9n));
  });

  describe(`yield (25) (${backend})`, () => {
    it("OK: the hash becomes the accumulation's output; a later yield replaces it", () => {
      const s = setup(backend);
      ok(s, 25, [RO]);
      assert.deepEqual(s.state.yielded(), bytes(...HASH));
      ok(s, 25, [MEMO_AT]);
      assert.deepEqual(s.state.yielded(), MEMO.subarray(0, 32));
    });
    it("panics, changing nothing, if the 32 bytes are unreadable", () => unchanged(setup(backend), 25, [RO_END - 31]));
    it("OOG below 10 gas", () => unchanged(setup(backend), 25, [RO], "oog", 9n));
  });

  describe(`provide (26) (${backend})`, () => {
    const requesting = (slots: number[] = []) => {
      const state = world();
      state.setRequest(2, BLOB_HASH, 5, slots);
      state.setRequest(SELF, BLOB_HASH, 5, []);
      return state;
    };
    it("OK for a service requesting (blake2b(blob), |blob|) with no timeslots; self is 2^64 − 1", () => {
      const s = setup(backend, { state: requesting() });
      ok(s, 26, [2, BLOB_AT, 5]);
      ok(s, 26, [NONE, BLOB_AT, 5]);
      assert.deepEqual(s.state.provisions(), [{ service: 2, blob: BLOB }, { service: SELF, blob: BLOB }]);
      assert.deepEqual(s.state.request(2, BLOB_HASH, 5), []); // the request itself is not changed
    });
    it("WHO for an unknown service", () => {
      refused(setup(backend, { state: requesting() }), 26, [99, BLOB_AT, 5], WHO);
      refused(setup(backend, { state: requesting() }), 26, [U32 + 2n, BLOB_AT, 5], WHO);
    });
    it("HUH: not requested, requested with timeslots, another length, or provided already", () => {
      refused(setup(backend), 26, [2, BLOB_AT, 5], HUH);
      refused(setup(backend, { state: requesting([7]) }), 26, [2, BLOB_AT, 5], HUH);
      refused(setup(backend, { state: requesting() }), 26, [2, BLOB_AT, 4], HUH);
      const s = setup(backend, { state: requesting() });
      ok(s, 26, [2, BLOB_AT, 5]);
      refused(s, 26, [2, BLOB_AT, 5], HUH);
    });
    it("panics, changing nothing, if the blob is unreadable (before WHO)", () => {
      unchanged(setup(backend, { state: requesting() }), 26, [2, RO_END - 4, 5]);
      unchanged(setup(backend, { state: requesting() }), 26, [99, BAD, 5]);
      unchanged(setup(backend, { state: requesting() }), 26, [2, BLOB_AT, NONE]);
    });
    it("OOG below 10 gas", () => unchanged(setup(backend, { state: requesting() }), 26, [2, BLOB_AT, 5], "oog", 9n));
  });
}

describe("availability", () => {
  it("only Accumulate offers them: elsewhere each answers WHAT for 10 gas", () => {
    for (const context of ["is-authorized", "refine"] as const) {
      const s = setup("interpreter", { context });
      for (const id of [14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26]) {
        refused(s, id, [RO, 10, 60, MEMO_AT, 0, 0], WHAT);
      }
    }
  });
});

describe("hostile registers", () => {
  it("random arguments never throw: each call continues, panics (state unchanged) or runs out of gas", () => {
    const values = [
      0n,
      1n,
      2n,
      3n,
      5n,
      100n,
      BigInt(RO),
      BigInt(RO_END - 1),
      BigInt(BAD),
      U32 - 1n,
      U32,
      1n << 62n,
      NONE,
    ];
    let seed = 0x2545f491;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const pick = () => values[next() % values.length];
    for (const backend of BACKENDS) {
      const s = setup(backend);
      s.state.setRequest(SELF, bytes(...HASH), 10, [5, 6]);
      for (let i = 0; i < 400; i++) {
        const id = [14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26][next() % 12];
        const before = dump(s.state);
        const c = s.call(id, [pick(), pick(), pick(), pick(), pick(), pick()], BigInt(next() % 200));
        assert.ok(["continue", "panic", "oog"].includes(c.outcome), `${id}: ${c.outcome}`);
        if (c.outcome !== "continue") {
          assert.deepEqual(dump(s.state), before, `${id} changed the state on ${c.outcome}`);
        }
      }
    }
  });
});
