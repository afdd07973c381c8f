// Real JAM services run through refine (GP v0.7.2 host functions) on both backends:
// jamduna's fib, blake2b_parent (+ its embedded child) and game_of_life (+ the child found
// by historical_lookup). These blobs are SPI without metadata, built for GP 0.7.0: host
// calls use the 0.7 numbering, and refine decodes the pre-0.7.1 arguments E(item,
// service, ↕payload, hash) (no core index), so they run with `argumentLayout: "0.7.0"`.
// Answers are checked against independent computations (BLAKE2b from @noble/hashes, the
// closed form of fib's output, the RW data of its blob) and across backends.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import { type Backend, InMemoryServiceState, type LogEntry, refine, type RefineResult } from "../mod.ts";
import { sharedPath } from "./_shared.ts";

const DIR = sharedPath("programs", "jamduna");
const SKIP = { skip: DIR ? false : "shared jamduna programs absent" };
const load = (name: string) => new Uint8Array(readFileSync(join(DIR!, name)));
const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

function run(name: string, payload: Uint8Array, backend: Backend, extra: { state?: InMemoryServiceState } = {}) {
  const logs: LogEntry[] = [];
  const calls: string[] = [];
  const result = refine({
    code: load(name),
    metadata: false,
    argumentLayout: "0.7.0",
    gas: 1_000_000_000n,
    core: 0,
    itemIndex: 0,
    serviceId: 0,
    payload,
    backend,
    log: { sink: (e) => logs.push(e) },
    onCall: (e) => e.name !== "log" && calls.push(`${e.name}:${e.result[0]}`),
    ...extra,
  });
  return { result, logs, calls };
}

const same = (a: RefineResult, b: RefineResult) => {
  assert.equal(a.status, b.status);
  assert.equal(a.gasUsed, b.gasUsed);
  assert.deepEqual(a.output, b.output);
  assert.deepEqual(a.exports, b.exports);
};

describe("jamduna fib.pvm refine", SKIP, () => {
  // The RW data of the SPI blob: E3(|o|) E3(|w|) E2(z) E3(s) o w …
  const blob = load("fib.pvm");
  const ro = blob[0] | (blob[1] << 8) | (blob[2] << 16);
  const rw = blob.subarray(11 + ro, 11 + ro + (blob[3] | (blob[4] << 8) | (blob[5] << 16)));
  const runs = BACKENDS.map((backend) => run("fib.pvm", u32(5), backend));
  for (const [i, backend] of BACKENDS.entries()) {
    it(`n = 5: output n(n+1)/2, n segments derived from its RW data (${backend})`, () => {
      const { result, logs } = runs[i];
      assert.equal(result.status, "halt");
      assert.deepEqual(result.output, u32(15));
      assert.equal(logs[0].message, "fibN num_segments=5");
      assert.equal(result.exports.length, 5);
      // segment 0 is the first 4104 bytes of the RW data; segment k > 0 adds k + 1 to each byte
      const base = new Uint8Array(4104);
      base.set(rw.subarray(0, 4104));
      assert.deepEqual(result.exports[0], base);
      for (let k = 1; k < 5; k++) assert.deepEqual(result.exports[k], base.map((x) => (x + k + 1) & 0xff));
    });
  }
  it("both backends agree (and a payload shorter than 4 bytes gives n = 1)", () => {
    same(runs[0].result, runs[1].result);
    const short = run("fib.pvm", new Uint8Array([7]), "interpreter").result;
    assert.deepEqual([short.output, short.exports.length], [u32(1), 1]);
  });
});

describe("jamduna blake2b_parent.pvm refine (child machine embedded in the parent)", SKIP, () => {
  // The child hashes "deadbeef" and then its own hash, 100 times, logging each through a
  // host call that the parent answers between invokes; the parent first runs it out of
  // gas, copies its memory out, expunges it, makes a new machine at the pc expunge
  // reported, restores the memory and carries on.
  let h = blake2b(new Uint8Array([0xde, 0xad, 0xbe, 0xef]), { dkLen: 32 });
  const hashes = [hex(h)];
  for (let i = 2; i <= 100; i++) hashes.push(hex(h = blake2b(h, { dkLen: 32 })));
  const runs = BACKENDS.map((backend) => run("blake2b_parent.pvm", new Uint8Array(0), backend));
  for (const [i, backend] of BACKENDS.entries()) {
    it(`outputs the 100th chained BLAKE2b-256 (${backend})`, () => {
      const { result, logs, calls } = runs[i];
      assert.equal(result.status, "halt");
      assert.equal(hex(result.output!), hashes[99]);
      const logged = logs.map((e) => /^Hash (\d+): ([0-9a-f]{64})$/.exec(e.message)).filter((m) => m !== null);
      assert.deepEqual(logged.map((m) => m![2]), hashes);
      assert.ok(logs.some((e) => e.message === "Parent: invoke OOG, omega_8=4278058152"));
      assert.ok(calls.includes("invoke:4") && calls.includes("invoke:3") && calls.at(-2) === "invoke:0");
      assert.equal(calls.filter((c) => c.startsWith("expunge")).length, 1);
    });
  }
  it("both backends agree", () => same(runs[0].result, runs[1].result));
});

describe("jamduna game_of_life.pvm refine (child from historical_lookup)", SKIP, () => {
  // Payload: hash of the child code (its preimage in the service's state) ++ E4(step_n,
  // number of gliders, total execution steps). First round (step 0): no import segment
  // (fetch kind 6 answers NONE), the child runs to its halt, the parent exports the
  // child's 9 board pages as E4(0) ++ E4(page) ++ 4096 bytes and outputs the child's gas use.
  const child = load("game_of_life_child.pvm");
  const hash = blake2b(child, { dkLen: 32 });
  const payload = new Uint8Array([...hash, ...u32(0), ...u32(1), ...u32(10)]);
  const state = () => {
    const s = new InMemoryServiceState();
    s.setInfo(0, InMemoryServiceState.emptyInfo());
    s.setPreimage(0, hash, child);
    return s;
  };
  const runs = BACKENDS.map((backend) => run("game_of_life.pvm", payload, backend, { state: state() }));
  for (const [i, backend] of BACKENDS.entries()) {
    it(`creates, invokes and expunges the child; exports 9 pages (${backend})`, () => {
      const { result, calls, logs } = runs[i];
      assert.equal(result.status, "halt");
      assert.equal(calls[0], `historical_lookup:${child.length}`);
      assert.deepEqual(calls.filter((c) => /^(machine|invoke|expunge)/.test(c)), [
        "machine:0",
        "invoke:0",
        "expunge:0",
      ]);
      assert.equal(result.exports.length, 9);
      result.exports.forEach((segment, k) => {
        assert.deepEqual([...segment.subarray(0, 8)], [0, 0, 0, 0, 0x20 + k, 0, 0, 0]);
      });
      // the output is the child's gas use, as the parent logs it
      const used = new DataView(result.output!.buffer, result.output!.byteOffset).getBigUint64(0, true);
      assert.ok(logs.some((e) => e.message.startsWith(`Parent: gas used=${used} `)));
    });
  }
  it("both backends agree; without the preimage the lookup answers NONE and no machine is made", () => {
    same(runs[0].result, runs[1].result);
    const { result, calls } = run("game_of_life.pvm", payload, "interpreter");
    assert.equal(calls[0], `historical_lookup:${(1n << 64n) - 1n}`);
    assert.ok(!calls.some((c) => c.startsWith("machine")));
    assert.equal(result.exports.length, 0);
  });
});
