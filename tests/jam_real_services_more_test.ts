// More real JAM services end to end on both backends (identical results required):
// - jamduna tribonacci.pvm refine: built with the pre-0.6.7 host numbering (fetch = 18,
//   export = 19, write = 3). Under GP 0.7.2 numbering those ids are not Refine functions
//   and answer WHAT, and the service exports nothing; with fetch and export registered at
//   the old ids it computes one tribonacci step per refine from its imported segment.
// - jamduna algo.pvm refine (GP 0.7.0 argument layout, no metadata): programs 0
//   (tribonacci) and 1 (Narayana numbers), every logged value checked by an independent
//   computation.
// - pvm-debugger gol-jamsdk.jam accumulate (Rust jam-sdk, fetch/read/write/log).
// - pvm-debugger all-ecalli.jam: every host function once in refine and in accumulate;
//   each result worked out from the arguments it passes and the state given.
// - typeberry authorizer.pvm is-authorized: accepts when the token equals the config.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import {
  accumulate,
  type Backend,
  exportFunction,
  type FetchData,
  fetchFunction,
  HUH,
  InMemoryServiceState,
  invokeStandard,
  isAuthorized,
  jamRegistry,
  NONE,
  OK,
  refine,
  RefineContext,
  TINY_PARAMS,
  WHAT,
  WHO,
} from "../mod.ts";
import { sharedPath } from "./_shared.ts";

const DIR = sharedPath("programs");
const SKIP = { skip: DIR ? false : "shared programs absent" };
const load = (...parts: string[]) => new Uint8Array(readFileSync(join(DIR!, ...parts)));
const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const u32s = (b: Uint8Array) =>
  Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(4 * i, true));
const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => Math.floor(v / 256 ** i) % 256);
const text = (s: string) => new TextEncoder().encode(s);

/** A protocol-constants blob (fetch kind 0) in the GP v0.7.2 layout, tiny-chain values. */
const CONSTANTS = new Uint8Array([
  ...[10, 1, 100].flatMap((v) => le(v, 8)), // B_I, B_L, B_S
  ...le(2, 2), // C
  ...le(32, 4), // D
  ...le(12, 4), // E
  ...[10_000_000, 50_000_000, 1_000_000_000, 20_000_000].flatMap((v) => le(v, 8)), // G_A, G_I, G_R, G_T
  ...[8, 16, 8, 3].flatMap((v) => le(v, 2)), // H, I, J, K
  ...le(14_400, 4), // L
  ...[2, 8, 6, 80, 4, 128, 5, 6].flatMap((v) => le(v, 2)), // N, O, P, Q, R, T, U, V
  ...[64_000, 13_794_305, 4_000_000, 4, 3072, 1026, 49_152, 128, 3072, 10].flatMap((v) => le(v, 4)), // W_A … Y
]);

describe("jamduna tribonacci.pvm refine (pre-0.6.7 host numbering)", SKIP, () => {
  const code = () => load("jamduna", "tribonacci.pvm");
  // Its refine: fetch(out, 0, 16, kind 5, 1, 0) the previous state (n, a, b, c) as 4 × u32;
  // if absent start from (1, 1, 0, 0), else step to (n + 1, a + b + c, a, b); export the 16
  // bytes and output them.
  it("GP 0.7.2 numbering: ids 18 and 19 answer WHAT; the output is (1, 0, 0, 0), nothing exported", () => {
    const results = BACKENDS.map((backend) => {
      const calls: string[] = [];
      const r = refine({
        code: code(),
        metadata: false,
        argumentLayout: "0.7.0",
        gas: 1_000_000n,
        core: 0,
        itemIndex: 0,
        serviceId: 0,
        payload: new Uint8Array(0),
        backend,
        onCall: (e) => e.id !== 100 && calls.push(`${e.id}:${e.result[0]}`),
      });
      // WHAT is not NONE, so it takes the "previous state" branch over zeroed memory
      assert.deepEqual(calls, [`18:${WHAT}`, `19:${WHAT}`]);
      assert.deepEqual([r.status, u32s(r.output!), r.exports.length], ["halt", [1, 0, 0, 0], 0]);
      return r;
    });
    assert.equal(results[0].gasUsed, results[1].gasUsed);
  });
  it("with fetch at 18 and export at 19 (the old ids) ten chained refines give T(1..10)", () => {
    const trib = [0, 1, 1]; // T(0), T(1), T(2)
    while (trib.length < 12) trib.push(trib.at(-1)! + trib.at(-2)! + trib.at(-3)!);
    for (const backend of BACKENDS) {
      let previous: Uint8Array | undefined;
      for (let n = 1; n <= 10; n++) {
        // kind 5 reads imports[r11 = 1][r12 = 0] as GP 0.7.2 defines it
        const fetch: FetchData = { imports: previous ? [[], [previous]] : [] };
        const env = { context: "refine" as const, self: 0, fetch };
        const context = new RefineContext();
        const registry = jamRegistry(env, {
          extra: [
            { ...fetchFunction(env), id: 18, name: "fetch@0.6.6" },
            { ...exportFunction(context), id: 19, name: "export@0.6.6" },
          ],
        }, context);
        // 0.7.0 argument layout: E(item, service, ↕payload, package hash)
        const args = new Uint8Array([0, 0, 0, ...new Uint8Array(32)]);
        const r = invokeStandard(code(), 0, 1_000_000n, args, registry, { backend, metadata: false });
        context.dispose();
        assert.equal(r.status, "halt");
        const out = u32s(r.output!);
        assert.deepEqual(out, [n, trib[n], trib[n - 1], trib[n - 2] ?? 0]);
        assert.equal(context.exports.length, 1);
        assert.deepEqual(context.exports[0].subarray(0, 16), r.output);
        previous = context.exports[0];
      }
    }
  });
});

describe("jamduna algo.pvm refine", SKIP, () => {
  const trib = (k: number) => {
    let [a, b, c] = [0n, 1n, 1n]; // T(0), T(1), T(2)
    for (let i = 0; i < k; i++) [a, b, c] = [b, c, a + b + c];
    return a;
  };
  const choose = (n: bigint, k: bigint) => {
    let r = 1n;
    for (let i = 1n; i <= k; i++) r = (r * (n - k + i)) / i;
    return r;
  };
  const narayana = (n: bigint, k: bigint) => (choose(n, k) * choose(n, k - 1n)) / n;
  // payload: (program 0, n = 5), (program 1, n = 5): n³ = 125 iterations each
  const payload = new Uint8Array([0, 5, 1, 5]);
  const runs = BACKENDS.map((backend) => {
    const logs: string[] = [];
    const result = refine({
      code: load("jamduna", "algo.pvm"),
      metadata: false,
      argumentLayout: "0.7.0",
      gas: 100_000_000n,
      core: 0,
      itemIndex: 0,
      serviceId: 0,
      payload,
      backend,
      log: { sink: (e) => logs.push(e.message) },
    });
    return { result, logs };
  });
  for (const [i, backend] of BACKENDS.entries()) {
    it(`every tribonacci and Narayana number it logs is right (${backend})`, () => {
      const { result, logs } = runs[i];
      assert.deepEqual([result.status, result.output], ["halt", payload]);
      const t = logs.map((l) => /^tribonacci\((\d+)\) = (\d+)$/.exec(l)).filter((m) => m !== null);
      const nar = logs.map((l) => /^narayana\((\d+), (\d+)\) = (\d+)$/.exec(l)).filter((m) => m !== null);
      assert.deepEqual([t.length, nar.length], [125, 125]);
      for (const m of t) assert.equal(BigInt(m![2]), trib(Number(m![1])), m![0]);
      for (const m of nar) assert.equal(BigInt(m![3]), narayana(BigInt(m![1]), BigInt(m![2])), m![0]);
    });
  }
  it("both backends agree (gas, output, logs)", () => {
    assert.equal(runs[0].result.gasUsed, runs[1].result.gasUsed);
    assert.deepEqual(runs[0].logs, runs[1].logs);
  });
});

describe("pvm-debugger gol-jamsdk.jam accumulate (Rust jam-sdk)", SKIP, () => {
  const run = (backend: Backend, state: InMemoryServiceState, timeslot: number, fetch: FetchData) => {
    const logs: string[] = [];
    const calls: string[] = [];
    const result = accumulate({
      code: load("pvm-debugger", "gol-jamsdk.jam"),
      gas: 10_000_000n,
      timeslot,
      serviceId: 0,
      inputCount: 0,
      state,
      backend,
      fetch,
      log: { sink: (e) => logs.push(e.message) },
      onCall: (e) => e.name !== "log" && calls.push(`${e.name}:${e.result[0]}`),
    });
    return { result, logs, calls };
  };
  const fresh = () => {
    const s = new InMemoryServiceState();
    s.setInfo(0, InMemoryServiceState.emptyInfo({ balance: 1_000_000n }));
    return s;
  };
  it("without the protocol constants (fetch kind 0 → NONE) the SDK panics; state unchanged", () => {
    for (const backend of BACKENDS) {
      const state = fresh();
      const { result, logs, calls } = run(backend, state, 42, {});
      assert.deepEqual([result.status, calls], ["panic", [`fetch:${NONE}`]]);
      assert.ok(logs.some((l) => l.includes("item must be available")));
      assert.equal(state.info(0)!.items, 0);
    }
  });
  it("creates an 8 × 8 board in storage, then reads it back and writes it again each slot", () => {
    const gas: bigint[][] = [];
    for (const backend of BACKENDS) {
      const state = fresh();
      const first = run(backend, state, 42, { constants: CONSTANTS });
      assert.equal(first.result.status, "halt");
      assert.deepEqual(first.logs, [
        "Executing acumulate at #42 for service #0",
        "Got board size: 8",
        "Performing: 42",
      ]);
      // fetch constants (length, then the bytes), read size and board (absent), write both
      assert.deepEqual(first.calls, [
        `fetch:${CONSTANTS.length}`,
        `fetch:${CONSTANTS.length}`,
        `read:${NONE}`,
        `read:${NONE}`,
        `write:${NONE}`,
        `write:${NONE}`,
      ]);
      assert.deepEqual(state.storage(0, text("size")), new Uint8Array(le(8, 4)));
      assert.deepEqual(state.storage(0, text("board")), new Uint8Array(64));
      // 2 items, (34 + 4 + 4) + (34 + 5 + 64) octets
      assert.deepEqual([state.info(0)!.items, state.info(0)!.octets], [2, 145n]);
      const second = run(backend, state, 43, { constants: CONSTANTS });
      assert.equal(second.result.status, "halt");
      assert.deepEqual(second.calls.filter((c) => !c.startsWith("fetch")), [
        "read:4",
        "read:4",
        "read:64",
        "read:64",
        "write:4",
        "write:64",
      ]);
      gas.push([first.result.gasUsed, second.result.gasUsed]);
    }
    assert.deepEqual(gas[0], gas[1]);
  });
});

describe("pvm-debugger all-ecalli.jam: every host function once", SKIP, () => {
  it("refine: the Refine functions answer, the accumulate-only ones (lookup … info) WHAT", () => {
    const runs = BACKENDS.map((backend) => {
      const calls: [number, bigint][] = [];
      const logs: string[] = [];
      const r = refine({
        code: load("pvm-debugger", "all-ecalli.jam"),
        gas: 10_000_000n,
        core: 0,
        itemIndex: 0,
        serviceId: 0,
        payload: new Uint8Array(0),
        backend,
        log: { sink: (e) => logs.push(e.message) },
        onCall: (e) => e.id !== 100 && calls.push([e.id, e.result[0]]),
      });
      assert.equal(r.status, "halt");
      assert.equal(logs.at(-1), "refine complete: 28 ecallis invoked");
      const result = (id: number) => calls.filter(([i]) => i === id).map(([, v]) => v);
      // fetch: only kind 1 (32 zero bytes in Refine) exists; the 13 others are NONE
      assert.equal(result(1).length, 14);
      assert.equal(result(1).filter((v) => v === NONE).length, 13);
      assert.deepEqual(result(1).filter((v) => v === 32n), [32n]);
      for (const id of [2, 3, 4, 5]) assert.deepEqual(result(id), [WHAT]);
      assert.deepEqual(result(6), [NONE]); // no preimage
      assert.deepEqual(result(7), [0n]); // first exported segment
      assert.deepEqual(result(8), [HUH]); // its blob is not a valid program
      for (const id of [9, 10, 11, 12, 13]) assert.deepEqual(result(id), [WHO]); // no machine
      assert.equal(r.exports.length, 1);
      return r;
    });
    assert.deepEqual([runs[0].gasUsed, runs[0].output], [runs[1].gasUsed, runs[1].output]);
  });
  it("accumulate: each result follows from its arguments and the state (tiny-chain constants)", () => {
    const runs = BACKENDS.map((backend) => {
      const state = new InMemoryServiceState();
      state.setInfo(0, InMemoryServiceState.emptyInfo({ balance: 1_000_000n }));
      state.setInfo(100, InMemoryServiceState.emptyInfo({ minMemoGas: 1000n })); // transfer's destination
      const calls: [number, bigint, bigint][] = [];
      const logs: string[] = [];
      const r = accumulate({
        code: load("pvm-debugger", "all-ecalli.jam"),
        gas: 10_000_000n,
        timeslot: 42,
        serviceId: 0,
        state,
        backend,
        params: TINY_PARAMS,
        log: { sink: (e) => logs.push(e.message) },
        onCall: (e) => e.id !== 100 && calls.push([e.id, e.result[0], e.gasBefore - e.gasAfter]),
      });
      assert.equal(r.status, "halt");
      assert.equal(logs.at(-1), "accumulate complete: 23 ecallis invoked");
      const result = (id: number) => calls.filter(([i]) => i === id).map(([, v]) => v);
      // fetch kinds 0, 1, 14, 15: none given; lookup/read/info of service 2^32 − 1: none
      assert.deepEqual([...result(1), ...result(2), ...result(3), ...result(5)], Array(7).fill(NONE));
      assert.deepEqual(result(4), [NONE]); // write of a new key: no previous value
      assert.deepEqual(result(14), [OK]); // bless(manager 1, assigners, delegator 2, registrar 3, 2 entries)
      const privileges = state.privileges();
      assert.deepEqual([privileges.manager, privileges.delegator, privileges.registrar], [1, 2, 3]);
      assert.equal(privileges.assigners.length, 2);
      assert.equal(privileges.alwaysAccumulate.size, 2);
      assert.deepEqual(result(15), [HUH]); // assign(core 0): service 0 is not its assigner
      assert.deepEqual(result(16), [HUH]); // designate: the delegator is now 2
      // new(code length 1024, 100000, 50000, gratis 0, id 2^32 − 1): not the registrar, so
      // the first free id from blake2b(E(0) ++ η ++ E(42)), η = 32 zero bytes
      const h = blake2b(new Uint8Array([0, ...new Uint8Array(32), 42]), { dkLen: 32 });
      const id = ((h[0] | (h[1] << 8) | (h[2] << 16)) + h[3] * 2 ** 24) % (2 ** 32 - 2 ** 16 - 2 ** 8) + 2 ** 16;
      assert.deepEqual(result(18), [BigInt(id)]);
      assert.deepEqual(
        [state.info(id)!.balance, state.info(id)!.minAccumulateGas, state.info(id)!.minMemoGas, state.info(id)!.parent],
        [100n + 20n + 81n + 1024n, 100_000n, 50_000n, 0],
      );
      assert.deepEqual(result(19), [OK]); // upgrade
      // transfer(100, 500, gas limit 1000, memo): OK and 10 + 1000 gas
      assert.deepEqual(calls.find(([i]) => i === 20)!.slice(1), [OK, 1010n]);
      assert.deepEqual(
        state.transfers().map((t) => [t.source, t.destination, t.amount, t.gas, t.memo.length]),
        [[0, 100, 500n, 1000n, 128]],
      );
      assert.deepEqual(result(21), [WHO]); // eject(99): no such service
      assert.deepEqual(result(22), [NONE]); // query: no request
      assert.deepEqual([...result(23), ...result(24)], [OK, OK]); // solicit a hash, then forget it ([] → dropped)
      assert.deepEqual(result(25), [OK]); // yield
      assert.ok(r.yielded !== undefined && r.yielded.length === 32);
      assert.deepEqual(result(26), [WHO]); // provide(42, …): no service 42
      assert.equal(state.info(0)!.balance, 1_000_000n - 1225n - 500n);
      return { r, calls };
    });
    assert.deepEqual(runs[0].calls, runs[1].calls);
    assert.deepEqual([runs[0].r.gasUsed, runs[0].r.output], [runs[1].r.gasUsed, runs[1].r.output]);
  });
});

describe("typeberry authorizer.pvm is-authorized", SKIP, () => {
  const run = (backend: Backend, fetch: FetchData) => {
    const logs: string[] = [];
    const r = isAuthorized({
      code: load("typeberry", "authorizer.pvm"),
      gas: 50_000_000n,
      core: 1,
      backend,
      fetch,
      log: { sink: (e) => logs.push(e.message) },
    });
    return { r, logs };
  };
  it("accepts a token equal to the config: output starts Auth=<token>", () => {
    const config = new Uint8Array([1, 2, 3]);
    const outs = BACKENDS.map((backend) => {
      const { r, logs } = run(backend, { authConfig: config, authToken: config });
      assert.equal(r.status, "halt");
      assert.deepEqual(r.output!.subarray(0, 10), new Uint8Array([...text("Auth=<"), 1, 2, 3, ...text(">")]));
      // the rest of the range it returns (r7, r8) is zero-filled buffer
      assert.ok(r.output!.subarray(10).every((b) => b === 0));
      assert.ok(logs[0].startsWith("Null Authorizer, [1]") && logs[0].endsWith("0x010203 param, 0x010203 token"));
      return r;
    });
    assert.deepEqual([outs[0].gasUsed, outs[0].output], [outs[1].gasUsed, outs[1].output]);
  });
  it("panics on another token, and when the config is missing", () => {
    for (const backend of BACKENDS) {
      const other = run(backend, { authConfig: new Uint8Array([1, 2, 3]), authToken: new Uint8Array([4]) });
      assert.equal(other.r.status, "panic");
      assert.equal(other.logs.at(-1), "Authorization failed");
      const missing = run(backend, {});
      assert.equal(missing.r.status, "panic");
      assert.deepEqual(missing.logs, ["fetchRawOrPanic: host returned NONE for expected data"]);
    }
  });
});
