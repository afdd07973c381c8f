// The split-register 64-bit helpers checked against BigInt reference arithmetic
// written from the spec's definitions (§6 M), over edge values and seeded random values.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  divS64,
  divU64,
  mul64,
  mulUpperSS,
  mulUpperSU,
  mulUpperUU,
  remS64,
  remU64,
  rotr64,
  sar64,
  shl64,
  shr64,
} from "../src/interpreter/wide.ts";

const M = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const split = (v: bigint): [number, number] => [Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0];
const join = (r: Int32Array) => (BigInt(r[1] >>> 0) << 32n) | BigInt(r[0] >>> 0);

// Reference semantics, straight from the spec table.
const trunc = (a: bigint, b: bigint) => a / b; // BigInt division truncates toward zero
const ref = {
  mul64: (a: bigint, b: bigint) => u64(a * b),
  divU64: (a: bigint, b: bigint) => (b === 0n ? M : a / b),
  remU64: (a: bigint, b: bigint) => (b === 0n ? a : a % b),
  divS64: (a: bigint, b: bigint) =>
    b === 0n ? M : s64(a) === -(1n << 63n) && s64(b) === -1n ? a : u64(trunc(s64(a), s64(b))),
  remS64: (a: bigint, b: bigint) =>
    s64(a) === -(1n << 63n) && s64(b) === -1n ? 0n : b === 0n ? a : u64(s64(a) % s64(b)),
  mulUpperUU: (a: bigint, b: bigint) => (a * b) >> 64n,
  mulUpperSS: (a: bigint, b: bigint) => u64((s64(a) * s64(b)) >> 64n),
  mulUpperSU: (a: bigint, b: bigint) => u64((s64(a) * b) >> 64n),
};
const binary = { mul64, divU64, remU64, divS64, remS64, mulUpperUU, mulUpperSS, mulUpperSU };

// Deterministic xorshift64* source of test values, biased towards edge cases.
let seed = 0x9e3779b97f4a7c15n;
function next(): bigint {
  seed ^= seed >> 12n;
  seed ^= u64(seed << 25n);
  seed ^= seed >> 27n;
  const v = u64(seed * 0x2545f4914f6cdd1dn);
  switch (Number(v & 7n)) {
    case 0:
      return v >> BigInt(Number((v >> 8n) & 63n)); // small magnitudes
    case 1:
      return u64(-(v >> BigInt(Number((v >> 8n) & 63n)))); // small negatives
    default:
      return v;
  }
}
const EDGES = [0n, 1n, 2n, M, M - 1n, 1n << 63n, (1n << 63n) - 1n, 1n << 32n, 0xffffffffn, 0x80000000n, 1n << 52n, 3n];

describe("64-bit helpers on split registers", () => {
  for (const [name, fn] of Object.entries(binary)) {
    it(`${name} matches the BigInt reference`, () => {
      const r = new Int32Array(2);
      const cases: [bigint, bigint][] = [];
      for (const a of EDGES) for (const b of EDGES) cases.push([a, b]);
      for (let i = 0; i < 3000; i++) cases.push([next(), next()]);
      for (const [a, b] of cases) {
        fn(r, 0, ...split(a), ...split(b));
        assert.equal(join(r), ref[name as keyof typeof ref](a, b), `${name}(${a}, ${b})`);
      }
    });
  }
  it("shifts and rotates match the BigInt reference for every amount", () => {
    const r = new Int32Array(2);
    const values = [...EDGES, next(), next(), next()];
    for (const a of values) {
      for (let s = 0; s < 64; s++) {
        const sb = BigInt(s);
        shl64(r, 0, ...split(a), s);
        assert.equal(join(r), u64(a << sb));
        shr64(r, 0, ...split(a), s);
        assert.equal(join(r), a >> sb);
        sar64(r, 0, ...split(a), s);
        assert.equal(join(r), u64(s64(a) >> sb));
        rotr64(r, 0, ...split(a), s);
        assert.equal(join(r), u64((a >> sb) | (a << ((64n - sb) % 64n))));
      }
    }
  });
});
