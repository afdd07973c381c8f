/**
 * 64-bit arithmetic on split registers (low and high 32-bit words in an Int32Array),
 * for the operations that do not fit in a line of the interpreter loop. Each helper
 * writes its result to `r[d]` (low word) and `r[d + 1]` (high word). No BigInt.
 *
 * @module
 */

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit words. */
export function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** r[d] ← low 64 bits of a × b. */
export function mul64(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  const lo = Math.imul(al, bl);
  const hi = (mulHighU32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
  r[d] = lo;
  r[d + 1] = hi;
}

/** r[d] ← high 64 bits of the unsigned 128-bit product a × b. */
export function mulUpperUU(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  // Four 32×32 → 64 partial products: a = ah·2^32 + al, b = bh·2^32 + bl.
  const llHi = mulHighU32(al, bl) >>> 0;
  const lhLo = Math.imul(al, bh) >>> 0, lhHi = mulHighU32(al, bh) >>> 0;
  const hlLo = Math.imul(ah, bl) >>> 0, hlHi = mulHighU32(ah, bl) >>> 0;
  const hhLo = Math.imul(ah, bh) >>> 0, hhHi = mulHighU32(ah, bh) >>> 0;
  // Word 1 of the product (bits 32..63): llHi + lhLo + hlLo; its carry goes to word 2.
  const w1 = llHi + lhLo + hlLo;
  const carry1 = Math.floor(w1 / 4294967296);
  const w2 = hhLo + lhHi + hlHi + carry1;
  const carry2 = Math.floor(w2 / 4294967296);
  r[d] = w2 | 0;
  r[d + 1] = (hhHi + carry2) | 0;
}

/** r[d] ← high 64 bits of the signed × signed product. */
export function mulUpperSS(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  mulUpperUU(r, d, al, ah, bl, bh);
  if (ah < 0) sub64InPlace(r, d, bl, bh);
  if (bh < 0) sub64InPlace(r, d, al, ah);
}

/** r[d] ← high 64 bits of the signed a × unsigned b product. */
export function mulUpperSU(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  mulUpperUU(r, d, al, ah, bl, bh);
  if (ah < 0) sub64InPlace(r, d, bl, bh);
}

function sub64InPlace(r: Int32Array, d: number, bl: number, bh: number): void {
  const al = r[d];
  const lo = (al - bl) | 0;
  const borrow = (al >>> 0) < (bl >>> 0) ? 1 : 0;
  r[d] = lo;
  r[d + 1] = (r[d + 1] - bh - borrow) | 0;
}

const TWO32 = 4294967296;
const toU64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const toS64 = (lo: number, hi: number) => BigInt.asIntN(64, toU64(lo, hi));

function setBig(r: Int32Array, d: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  r[d] = Number(u & 0xffffffffn) | 0;
  r[d + 1] = Number(u >> 32n) | 0;
}

/** Set r[d] from a JS number known to be an exact integer in (-2^53, 2^53). */
function setSmall(r: Int32Array, d: number, v: number): void {
  const lo = v % TWO32; // exact for |v| < 2^53
  r[d] = lo | 0;
  r[d + 1] = Math.floor(v / TWO32) | 0;
}

/** Value of a split register if it fits in ±2^52 exactly, else NaN. */
function small(lo: number, hi: number): number {
  if (hi >= -0x100000 && hi < 0x100000) return hi * TWO32 + (lo >>> 0);
  return NaN;
}

/** r[d] ← a / b (unsigned 64-bit; b = 0 gives 2^64 − 1). Numbers when both fit in 52 bits; BigInt only for wide operands. */
export function divU64(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    r[d] = -1;
    r[d + 1] = -1;
  } else if (ah >>> 0 < 0x100000 && bh >>> 0 < 0x100000) {
    setSmall(r, d, Math.floor(small(al, ah) / small(bl, bh)));
  } else setBig(r, d, toU64(al, ah) / toU64(bl, bh));
}

/** r[d] ← a mod b (unsigned 64-bit; b = 0 gives a). */
export function remU64(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    r[d] = al;
    r[d + 1] = ah;
  } else if (ah >>> 0 < 0x100000 && bh >>> 0 < 0x100000) {
    setSmall(r, d, small(al, ah) % small(bl, bh));
  } else setBig(r, d, toU64(al, ah) % toU64(bl, bh));
}

/** r[d] ← a / b (signed 64-bit, truncating; b = 0 gives 2^64 − 1, MIN / −1 gives a). */
export function divS64(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    r[d] = -1;
    r[d + 1] = -1;
    return;
  }
  const a = small(al, ah), b = small(bl, bh);
  if (a === a && b === b) setSmall(r, d, Math.trunc(a / b));
  else if (al === 0 && ah === -0x80000000 && bl === -1 && bh === -1) {
    r[d] = al;
    r[d + 1] = ah;
  } else setBig(r, d, toS64(al, ah) / toS64(bl, bh));
}

/** r[d] ← a rem b (signed 64-bit, sign of the dividend; b = 0 gives a, MIN rem −1 gives 0). */
export function remS64(r: Int32Array, d: number, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    r[d] = al;
    r[d + 1] = ah;
    return;
  }
  const a = small(al, ah), b = small(bl, bh);
  if (a === a && b === b) setSmall(r, d, (a % b) + 0);
  else if (al === 0 && ah === -0x80000000 && bl === -1 && bh === -1) {
    r[d] = 0;
    r[d + 1] = 0;
  } else setBig(r, d, toS64(al, ah) % toS64(bl, bh));
}

/** Number of set bits in a 32-bit word. */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Trailing zero bits of a 32-bit word (32 for 0). */
export function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

/** Byte-swap a 32-bit word. */
export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** r[d] ← a << s (s in 0..63). */
export function shl64(r: Int32Array, d: number, al: number, ah: number, s: number): void {
  if (s === 0) {
    r[d] = al;
    r[d + 1] = ah;
  } else if (s < 32) {
    r[d] = al << s;
    r[d + 1] = (ah << s) | (al >>> (32 - s));
  } else {
    r[d] = 0;
    r[d + 1] = al << (s - 32);
  }
}

/** r[d] ← a >>> s (logical, s in 0..63). */
export function shr64(r: Int32Array, d: number, al: number, ah: number, s: number): void {
  if (s === 0) {
    r[d] = al;
    r[d + 1] = ah;
  } else if (s < 32) {
    r[d] = (al >>> s) | (ah << (32 - s));
    r[d + 1] = ah >>> s;
  } else {
    r[d] = ah >>> (s - 32);
    r[d + 1] = 0;
  }
}

/** r[d] ← a >> s (arithmetic, s in 0..63). */
export function sar64(r: Int32Array, d: number, al: number, ah: number, s: number): void {
  if (s === 0) {
    r[d] = al;
    r[d + 1] = ah;
  } else if (s < 32) {
    r[d] = (al >>> s) | (ah << (32 - s));
    r[d + 1] = ah >> s;
  } else {
    r[d] = ah >> (s - 32);
    r[d + 1] = ah >> 31;
  }
}

/** r[d] ← rotate a right by s (s in 0..63). */
export function rotr64(r: Int32Array, d: number, al: number, ah: number, s: number): void {
  if (s >= 32) {
    const t = al;
    al = ah;
    ah = t;
    s -= 32;
  }
  if (s === 0) {
    r[d] = al;
    r[d + 1] = ah;
  } else {
    r[d] = (al >>> s) | (ah << (32 - s));
    r[d + 1] = (ah >>> s) | (al << (32 - s));
  }
}

/**
 * High 32 bits of the product of the low words of a and b (32-bit ISA `mul_upper_*`),
 * as a signed 32-bit number: `kind` 0 signed × signed, 1 unsigned × unsigned, 2 signed × unsigned.
 */
export function mulUpper32(kind: number, a: number, b: number): number {
  let high = mulHighU32(a, b);
  if (kind !== 1 && a < 0) high -= b; // a was read as a + 2^32: take b·2^32 back off
  if (kind === 0 && b < 0) high -= a;
  return high | 0;
}
