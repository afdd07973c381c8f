// The opt-in crypto extension (src/host/crypto.ts), called from guest code on both
// backends. Expected values are published known answers, not our output:
// - "abc" and "" digests: BLAKE2b-256 (RFC 7693 family), Keccak-256 (Ethereum), SHA-256 (FIPS 180).
// - Ed25519: RFC 8032 §7.1 tests 1 and 2.
// - ecrecover: go-ethereum's ecrecover precompile vector (hash 0x456e…, v 28) → 0x7156…8c8a,
//   and a signature made here with private key 1, whose address 0x7e5f…5bdf is well known.
// Bad pointers panic with nothing written; invalid signatures answer HUH; gas is charged
// before the call (so a huge length runs out of gas).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { type Backend, Module } from "../src/engine.ts";
import { HostRegistry, runWithHost } from "../src/host/host.ts";
import { CRYPTO_HOST_IDS, cryptoHostFunctions } from "../src/host/crypto.ts";
import { HUH, OK } from "../src/host/jam/constants.ts";
import { jamRegistry } from "../src/host/jam/contexts.ts";
import { asm, HALT, I } from "./_programs.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const h = (s: string) => Uint8Array.from((s.match(/../g) ?? []).map((x) => parseInt(x, 16)));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

const IN = 0x20000; // read-only input pages, IN_LENGTH bytes, unmapped after them
const IN_LENGTH = 0x8000;
const OUT = 0x30000; // writable output page
const RO_OUT = 0x40000; // a read-only page to write to

interface Call {
  id: number;
  registers: Record<number, bigint | number>;
  input: Uint8Array;
  gas?: bigint;
}

/** Run `ecalli id ; jump_ind r0` with r7.. set and the input at IN; return exit, r7 and the output page. */
function call(backend: Backend, c: Call) {
  const module = Module.load(asm(I.ecalli(c.id), I.jumpInd(0)).bytes, { format: "generic" });
  const registers: bigint[] = new Array(13).fill(0n);
  registers[0] = BigInt(HALT);
  for (const [i, v] of Object.entries(c.registers)) registers[Number(i)] = BigInt(v);
  const vm = module.instantiate({
    backend,
    gas: c.gas ?? 100_000n,
    registers,
    memory: [
      { address: IN, length: IN_LENGTH, access: "read", data: c.input },
      { address: OUT, length: 0x1000, access: "write" },
      { address: RO_OUT, length: 0x1000, access: "read" },
    ],
  });
  const registry = new HostRegistry();
  for (const spec of cryptoHostFunctions()) registry.register(spec);
  try {
    const exit = runWithHost(vm, registry);
    return { exit, r7: vm.getRegister(7), out: vm.memory.read(OUT, 64), gas: vm.gas };
  } finally {
    vm.dispose();
  }
}

const hashes = [
  {
    name: "blake2b_256",
    id: CRYPTO_HOST_IDS.blake2b_256,
    abc: "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    empty: "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
  },
  {
    name: "keccak_256",
    id: CRYPTO_HOST_IDS.keccak_256,
    abc: "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    empty: "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
  },
  {
    name: "sha2_256",
    id: CRYPTO_HOST_IDS.sha2_256,
    abc: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    empty: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  },
];

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
const ED = [
  {
    key: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    key: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

// go-ethereum core/vm ecrecover test input: hash ‖ v (as a 32-byte word) ‖ r ‖ s.
const ETH = {
  hash: "456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3",
  r: "9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac8038825608",
  s: "4f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada",
  v: 28,
  address: "7156526fbd7a3c72969b54f64e42c10fbb768c8a",
};

for (const backend of BACKENDS) {
  describe(`crypto extension (${backend})`, () => {
    for (const H of hashes) {
      it(`${H.name}: "abc" and "" digests, r7 = OK, gas 10 + one per started 64 bytes`, () => {
        const abc = call(backend, { id: H.id, registers: { 7: IN, 8: 3, 9: OUT }, input: text("abc") });
        assert.equal(abc.exit.kind, "halt");
        assert.equal(abc.r7, OK);
        assert.equal(hex(abc.out.subarray(0, 32)), H.abc);
        assert.deepEqual(abc.out.subarray(32), new Uint8Array(32), "exactly 32 bytes written");
        // 100_000 − ecalli 1 − (10 + 1) − jump_ind 1
        assert.equal(abc.gas, 100_000n - 13n);
        const empty = call(backend, { id: H.id, registers: { 7: 0, 8: 0, 9: OUT }, input: new Uint8Array(0) });
        assert.equal(hex(empty.out.subarray(0, 32)), H.empty);
        assert.equal(empty.gas, 100_000n - 12n);
        const long = call(backend, { id: H.id, registers: { 7: IN, 8: 65, 9: OUT }, input: new Uint8Array(65) });
        assert.equal(long.gas, 100_000n - 14n, "65 bytes are two blocks");
      });
      it(`${H.name}: unreadable input or unwritable output panics, nothing written; a huge length runs out of gas`, () => {
        const unreadable = call(backend, {
          id: H.id,
          registers: { 7: IN + IN_LENGTH - 16, 8: 32, 9: OUT },
          input: text("x"),
        });
        assert.deepEqual([unreadable.exit.kind, unreadable.exit.pc], ["panic", 0]);
        assert.deepEqual(unreadable.out, new Uint8Array(64));
        const readOnly = call(backend, { id: H.id, registers: { 7: IN, 8: 3, 9: RO_OUT }, input: text("abc") });
        assert.equal(readOnly.exit.kind, "panic");
        const straddle = call(backend, { id: H.id, registers: { 7: IN, 8: 3, 9: OUT + 0xff0 }, input: text("abc") });
        assert.equal(straddle.exit.kind, "panic");
        assert.deepEqual(straddle.out, new Uint8Array(64));
        const huge = call(backend, { id: H.id, registers: { 7: IN, 8: 1n << 40n, 9: OUT }, input: text("abc") });
        assert.equal(huge.exit.kind, "oog");
        const wrapping = call(backend, { id: H.id, registers: { 7: 0xffffffffn, 8: 2, 9: OUT }, input: text("abc") });
        assert.equal(wrapping.exit.kind, "panic");
      });
    }

    it("ed25519_verify: RFC 8032 tests 1 and 2 verify; a flipped bit, a wrong message, a bad key answer HUH", () => {
      for (const t of ED) {
        const input = new Uint8Array([...h(t.key), ...h(t.signature), ...h(t.message)]);
        const regs = { 7: IN, 8: IN + 96, 9: t.message.length / 2, 10: IN + 32 };
        const ok = call(backend, { id: CRYPTO_HOST_IDS.ed25519_verify, registers: regs, input });
        assert.deepEqual([ok.exit.kind, ok.r7], ["halt", OK]);
        assert.equal(ok.gas, 100_000n - 2n - 2000n - BigInt(Math.ceil(t.message.length / 2 / 64)));
        const flipped = input.slice();
        flipped[32 + 5] ^= 1;
        const bad = call(backend, { id: CRYPTO_HOST_IDS.ed25519_verify, registers: regs, input: flipped });
        assert.deepEqual([bad.exit.kind, bad.r7], ["halt", HUH]);
        const otherMessage = call(backend, {
          id: CRYPTO_HOST_IDS.ed25519_verify,
          registers: { ...regs, 9: 1 },
          input: new Uint8Array([...input, 0x73]),
        });
        if (t.message === "") assert.equal(otherMessage.r7, HUH);
        const badKey = new Uint8Array(input);
        badKey.fill(0xff, 0, 32);
        assert.equal(call(backend, { id: CRYPTO_HOST_IDS.ed25519_verify, registers: regs, input: badKey }).r7, HUH);
      }
      const unreadable = call(backend, {
        id: CRYPTO_HOST_IDS.ed25519_verify,
        registers: { 7: IN, 8: IN, 9: 0, 10: IN + IN_LENGTH - 16 },
        input: new Uint8Array(0),
      });
      assert.equal(unreadable.exit.kind, "panic");
    });

    it("secp256k1_ecrecover: go-ethereum's vector and a key-1 signature give the known addresses; bad ones HUH", () => {
      const id = CRYPTO_HOST_IDS.secp256k1_ecrecover;
      const regs = { 7: IN, 8: IN + 32, 9: OUT };
      const input = (v: number, r = ETH.r) => new Uint8Array([...h(ETH.hash), ...h(r), ...h(ETH.s), v]);
      for (const v of [ETH.v, ETH.v - 27]) {
        const got = call(backend, { id, registers: regs, input: input(v) });
        assert.deepEqual([got.exit.kind, got.r7], ["halt", OK]);
        assert.equal(hex(got.out.subarray(0, 20)), ETH.address);
        assert.deepEqual(got.out.subarray(20), new Uint8Array(44), "exactly 20 bytes written");
        assert.equal(got.gas, 100_000n - 2n - 3000n);
      }
      const key1 = new Uint8Array(32);
      key1[31] = 1;
      const signed = secp256k1.sign(h(ETH.hash), key1, { prehash: false, format: "recovered" });
      const ethSig = new Uint8Array([...signed.subarray(1), signed[0] + 27]);
      const own = call(backend, { id, registers: regs, input: new Uint8Array([...h(ETH.hash), ...ethSig]) });
      assert.equal(hex(own.out.subarray(0, 20)), "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
      for (const bad of [input(29), input(2), input(ETH.v, "00".repeat(32)), input(ETH.v, "ff".repeat(32))]) {
        const got = call(backend, { id, registers: regs, input: bad });
        assert.deepEqual([got.exit.kind, got.r7], ["halt", HUH]);
        assert.deepEqual(got.out, new Uint8Array(64), "nothing written");
      }
      const readOnly = call(backend, { id, registers: { ...regs, 9: RO_OUT }, input: input(ETH.v) });
      assert.equal(readOnly.exit.kind, "panic");
      const shortSig = call(backend, { id, registers: { ...regs, 8: IN + IN_LENGTH - 64 }, input: input(ETH.v) });
      assert.equal(shortSig.exit.kind, "panic");
    });
  });
}

describe("crypto extension: opt-in registration", () => {
  it("is absent unless registered: the id answers WHAT", () => {
    const registry = jamRegistry({ context: "refine", self: 0 });
    assert.equal(registry.resolve(CRYPTO_HOST_IDS.sha2_256), undefined);
  });
  it("an invocation's policy adds it through `extra`, next to the JAM functions, and can deny one", () => {
    const registry = jamRegistry({ context: "is-authorized", self: 0 }, {
      extra: cryptoHostFunctions(),
      deny: ["secp256k1_ecrecover"],
    });
    assert.equal(registry.resolve(CRYPTO_HOST_IDS.sha2_256)?.name, "sha2_256");
    assert.equal(registry.resolve(1)?.name, "fetch");
    assert.equal(registry.resolve(CRYPTO_HOST_IDS.secp256k1_ecrecover), undefined);
  });
  it("its ids are outside the GP's numbering and JIP-1's log", () => {
    for (const id of Object.values(CRYPTO_HOST_IDS)) assert.ok(id >= 0x10000 && id !== 100);
  });
});
