// Accumulate end to end with the accumulate-only host functions (GP v0.7.2): a hand-
// assembled service solicits, transfers, checkpoints, creates a service and yields. On
// halt every change stays; on panic the state is exactly what it was at the checkpoint
// (compared with a run of the same prefix that halts there); on OOG before any checkpoint
// it is what it was at the start. Gas: 1 per instruction, 10 per host call, transfer's
// gas limit on top. Both backends, same expectations.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blake2b } from "@noble/hashes/blake2.js";
import { accumulate, type Backend, InMemoryServiceState, type ServiceInfo, TINY_PARAMS } from "../mod.ts";
import { asm, I, type Ins, spi } from "./_programs.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const SELF = 1;
const RO = 0x10000;
const HASH = Array.from({ length: 32 }, (_, i) => 0x40 + i);
const MEMO = Array.from({ length: 128 }, (_, i) => i);
const bytes = (...b: number[]) => new Uint8Array(b);

const call = (id: number, ...regs: (number | bigint)[]): Ins[] => [
  ...regs.map((v, i) => I.loadImm(7 + i, v)),
  I.ecalli(id),
];
const PREFIX = [
  ...call(23, RO, 10), // solicit(HASH, 10): 3 instructions + 10
  ...call(20, 2, 300, 60, RO + 32), // transfer(2, 300, limit 60, MEMO): 5 + 10 + 60
  I.ecalli(17), // checkpoint: 1 + 10
];
const SUFFIX = [
  ...call(18, RO, 100, 5, 6, 0, 0), // new(HASH, 100, 5, 6, 0, 0): 7 + 10
  ...call(25, RO), // yield(HASH): 2 + 10
];
const halt = (outputAt: number, length: number) => [I.loadImm(7, outputAt), I.loadImm(8, length), I.jumpInd(0)];

function service(...body: Ins[][]): Uint8Array {
  const entry = [I.fallthrough(), I.fallthrough(), I.fallthrough(), I.fallthrough(), I.fallthrough()];
  return spi({ ro: [...HASH, ...MEMO], stack: 4096, metadata: [], blob: asm(...entry, ...body.flat()).bytes });
}

const info = (fields: Partial<ServiceInfo> = {}) => InMemoryServiceState.emptyInfo({ balance: 10_000n, ...fields });
function world(): InMemoryServiceState {
  const state = new InMemoryServiceState();
  state.setInfo(SELF, info());
  state.setInfo(2, info({ balance: 500n, minMemoGas: 50n }));
  return state;
}

function dump(state: InMemoryServiceState) {
  const ids = [SELF, 2, 70_000];
  return {
    accounts: ids.map((id) => state.info(id)),
    requests: ids.map((id) => [state.request(id, bytes(...HASH), 10), state.request(id, bytes(...HASH), 100)]),
    transfers: state.transfers(),
    nextFreeId: state.nextFreeId(),
    yielded: state.yielded(),
  };
}

const run = (code: Uint8Array, backend: Backend, gas = 10_000n, extra: { nextFreeId?: number } = {}) => {
  const state = world();
  const result = accumulate({
    code,
    gas,
    timeslot: 6,
    serviceId: SELF,
    state,
    backend,
    params: TINY_PARAMS,
    nextFreeId: 70_000,
    ...extra,
  });
  return { state, result };
};

for (const backend of BACKENDS) {
  describe(`accumulate with the accumulate functions (${backend})`, () => {
    it("halt keeps every change; a 32-byte output replaces the yielded hash", () => {
      const { state, result } = run(service(PREFIX, SUFFIX, halt(0, 0)), backend);
      assert.deepEqual([result.status, result.rolledBack], ["halt", false]);
      assert.equal(result.gasUsed, 13n + 75n + 11n + 17n + 12n + 3n);
      assert.deepEqual(state.request(SELF, bytes(...HASH), 10), []);
      assert.deepEqual(state.transfers(), [
        { source: SELF, destination: 2, amount: 300n, memo: bytes(...MEMO), gas: 60n },
      ]);
      // 10,000 − 300 (transfer) − 301 (the new account's threshold: 100 + 2·10 + 81 + 100)
      assert.equal(state.info(SELF)!.balance, 9_399n);
      assert.deepEqual([state.info(70_000)!.balance, state.info(70_000)!.created], [301n, 6]);
      assert.equal(state.nextFreeId(), 70_042);
      assert.deepEqual([result.yielded, state.yielded()], [bytes(...HASH), bytes(...HASH)]);
      const out = run(service(PREFIX, SUFFIX, halt(RO + 32, 32)), backend).result;
      assert.deepEqual([out.output, out.yielded], [bytes(...MEMO.slice(0, 32)), bytes(...MEMO.slice(0, 32))]);
      const short = run(service(PREFIX, SUFFIX, halt(RO + 32, 31)), backend).result;
      assert.deepEqual(short.yielded, bytes(...HASH)); // not a hash: the yield stands
    });
    it("panic after the checkpoint leaves exactly the state at the checkpoint", () => {
      const atCheckpoint = run(service(PREFIX, halt(0, 0)), backend).state;
      const { state, result } = run(service(PREFIX, SUFFIX, [I.trap()]), backend);
      assert.deepEqual([result.status, result.rolledBack, result.yielded], ["panic", true, undefined]);
      assert.deepEqual(dump(state), dump(atCheckpoint));
      assert.equal(state.info(70_000), undefined);
      assert.equal(state.info(SELF)!.balance, 9_700n);
      assert.equal(state.nextFreeId(), 70_000);
    });
    it("a bad pointer in new panics: back to the checkpoint", () => {
      const atCheckpoint = run(service(PREFIX, halt(0, 0)), backend).state;
      const { state, result } = run(service(PREFIX, call(18, 0x50000, 100, 5, 6, 0, 0), halt(0, 0)), backend);
      assert.deepEqual([result.status, result.exit?.kind], ["panic", "panic"]);
      assert.deepEqual(dump(state), dump(atCheckpoint));
    });
    it("OOG paying transfer's gas limit, before any checkpoint: back to the start, all gas used", () => {
      // solicit: 13; then 4 load_imm and the ecalli leave 87 − 18 = 69 < 10 + 60
      const { state, result } = run(service(PREFIX, SUFFIX, halt(0, 0)), backend, 87n);
      assert.deepEqual([result.status, result.gasUsed], ["oog", 87n]);
      assert.deepEqual(dump(state), { ...dump(world()), nextFreeId: 70_000 }); // the start of the accumulation
      assert.equal(run(service(PREFIX, halt(0, 0)), backend, 88n + 11n + 3n - 1n).result.status, "oog");
      assert.equal(run(service(PREFIX, halt(0, 0)), backend, 88n + 11n + 3n).result.status, "halt");
    });
    it("incoming transfers are credited before the run and stay after a panic", () => {
      // 9,801 + 100 incoming − 300 transferred = 9,601 ≥ 100 after the checkpoint
      const state = world();
      state.setInfo(SELF, info({ balance: 9_801n }));
      const r = accumulate({
        code: service(PREFIX, [I.trap()]),
        gas: 10_000n,
        timeslot: 6,
        serviceId: SELF,
        state,
        backend,
        incoming: 100n,
      });
      assert.deepEqual([r.status, state.info(SELF)!.balance], ["panic", 9_601n]);
      // a panic before any checkpoint returns to the start, which already holds the credit
      const early = accumulate({
        code: service([I.trap()]),
        gas: 10_000n,
        timeslot: 6,
        serviceId: SELF,
        state,
        backend,
        incoming: 5n,
      });
      assert.deepEqual([early.status, state.info(SELF)!.balance], ["panic", 9_606n]);
    });
    it("without nextFreeId the first new id is check(E₄⁻¹(blake2b(E(1, η, 6))) mod (2^32 − 2^16 − 2^8) + 2^16)", () => {
      const entropy = new Uint8Array(32).fill(0x5a);
      const state = world();
      const result = accumulate({
        code: service(SUFFIX, halt(0, 0)),
        gas: 10_000n,
        timeslot: 6,
        serviceId: SELF,
        state,
        backend,
        fetch: { entropy },
      });
      // E(1) = [1], E(6) = [6] (general natural encoding)
      const h = blake2b(new Uint8Array([1, ...entropy, 6]), { dkLen: 32 });
      const first = (h[0] | (h[1] << 8) | (h[2] << 16)) + h[3] * 2 ** 24;
      const expected = (first % (2 ** 32 - 2 ** 16 - 2 ** 8)) + 2 ** 16;
      assert.equal(result.status, "halt");
      assert.ok(state.info(expected) !== undefined, `service ${expected} created`);
    });
  });
}
