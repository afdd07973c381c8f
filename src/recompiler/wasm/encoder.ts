/**
 * Byte-level encoding for the WebAssembly binary format: a growable byte buffer and the
 * LEB128 integer encodings (unsigned for sizes and indices, signed for constants).
 *
 * @module
 */

const TWO_32 = 4294967296;
const MIN_S64 = -(1n << 63n);
const LIMIT_U64 = 1n << 64n;
const utf8 = new TextEncoder();
const words = new DataView(new ArrayBuffer(8));

/**
 * A growable byte buffer: one pre-sized `Uint8Array` that doubles when full. All the
 * emitter's output goes through it.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./encoder.ts";
 * const w = new ByteWriter();
 * w.byte(0x41);
 * w.s32(-1);
 * w.u32(300);
 * w.name("hi");
 * console.log(w.finish()); // Uint8Array(7) [ 65, 127, 172, 2, 2, 104, 105 ]
 * ```
 */
export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer>;
  private pos = 0;

  /** Create a buffer with room for `capacity` bytes before it first grows. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity | 0));
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Make room for `extra` more bytes. */
  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Append one byte (its low 8 bits). */
  byte(b: number): void {
    if (this.pos === this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Append a run of bytes. */
  bytes(a: Uint8Array | readonly number[]): void {
    const n = a.length;
    this.ensure(n);
    if (a instanceof Uint8Array) {
      this.buf.set(a, this.pos);
    } else {
      const buf = this.buf;
      for (let i = 0, p = this.pos; i < n; i++) buf[p + i] = a[i];
    }
    this.pos += n;
  }

  /** Append an unsigned LEB128 integer, `n` in [0, 2^32 − 1]. Throws a RangeError otherwise. */
  u32(n: number): void {
    if (this.pos + 5 > this.buf.length) this.ensure(5);
    this.pos = putU32(this.buf, this.pos, n);
  }

  /**
   * Append a signed LEB128 integer for an int32 value. Accepts `n` in [−2^31, 2^32): values
   * of 2^31 and above are taken as their two's complement (so `0xffffffff` encodes −1).
   */
  s32(n: number): void {
    if (this.pos + 5 > this.buf.length) this.ensure(5);
    this.pos = putS32(this.buf, this.pos, n);
  }

  /**
   * Append a signed LEB128 integer for an int64 value: a safe-integer number, or a bigint
   * in [−2^63, 2^64), where values of 2^63 and above are taken as their two's complement.
   */
  s64(v: bigint | number): void {
    if (this.pos + 10 > this.buf.length) this.ensure(10);
    this.pos = putS64(this.buf, this.pos, v);
  }

  /**
   * Append the signed LEB128 encoding of the int64 value whose low and high 32-bit words are
   * `lo` and `hi` (each taken modulo 2^32, so int32 or uint32 spellings both work). No BigInt.
   */
  s64Words(lo: number, hi: number): void {
    if (this.pos + 10 > this.buf.length) this.ensure(10);
    this.pos = writeSigned64(this.buf, this.pos, lo | 0, hi | 0);
  }

  /** Append an opcode byte and an unsigned LEB128 immediate: `byte(op); u32(n)` with one bounds check. */
  opU32(op: number, n: number): void {
    if (this.pos + 6 > this.buf.length) this.ensure(6);
    this.buf[this.pos] = op;
    this.pos = putU32(this.buf, this.pos + 1, n);
  }

  /** Append an opcode byte and a signed int32 LEB128 immediate: `byte(op); s32(n)` with one bounds check. */
  opS32(op: number, n: number): void {
    if (this.pos + 6 > this.buf.length) this.ensure(6);
    this.buf[this.pos] = op;
    this.pos = putS32(this.buf, this.pos + 1, n);
  }

  /** Append an opcode byte and a signed int64 LEB128 immediate: `byte(op); s64(v)` with one bounds check. */
  opS64(op: number, v: bigint | number): void {
    if (this.pos + 11 > this.buf.length) this.ensure(11);
    this.buf[this.pos] = op;
    this.pos = putS64(this.buf, this.pos + 1, v);
  }

  /** Append an opcode byte and two unsigned LEB128 immediates (a memarg, a pair of indices). */
  opU32U32(op: number, a: number, b: number): void {
    if (this.pos + 11 > this.buf.length) this.ensure(11);
    this.buf[this.pos] = op;
    const p = putU32(this.buf, this.pos + 1, a);
    this.pos = putU32(this.buf, p, b);
  }

  /** Append a name: its UTF-8 byte length (u32 LEB128) followed by the UTF-8 bytes. */
  name(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      const encoded = utf8.encode(s);
      this.u32(encoded.length);
      this.bytes(encoded);
      return;
    }
    this.u32(s.length);
    this.ensure(s.length);
    const buf = this.buf;
    for (let i = 0, p = this.pos; i < s.length; i++) buf[p + i] = s.charCodeAt(i);
    this.pos += s.length;
  }

  /** The bytes written so far, as a view of the internal buffer (no copy; invalidated by further writes). */
  view(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written so far, as an exact-length copy (the writer stays usable). */
  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.pos);
  }

  /** Forget the contents (keeping the allocated capacity). */
  reset(): void {
    this.pos = 0;
  }
}

// The put* helpers write at buf[p] (the caller has made room), validate first, and return the
// new end; on a RangeError nothing has been committed because the caller only stores the result.

/** Unsigned LEB128 of `n` in [0, 2^32 − 1]. */
function putU32(buf: Uint8Array, p: number, n: number): number {
  if (n >= 0 && n < 0x80 && (n | 0) === n) {
    buf[p] = n;
    return p + 1;
  }
  if (!(Number.isInteger(n) && n >= 0 && n < TWO_32)) throw new RangeError(`u32 out of range: ${n}`);
  let v = n >>> 0;
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** Signed LEB128 of an int32 value given in [−2^31, 2^32). */
function putS32(buf: Uint8Array, p: number, n: number): number {
  if (n >= -64 && n < 64 && (n | 0) === n) {
    buf[p] = n & 0x7f;
    return p + 1;
  }
  if (!(Number.isInteger(n) && n >= -0x80000000 && n < TWO_32)) throw new RangeError(`s32 out of range: ${n}`);
  return writeSigned32(buf, p, n | 0);
}

/** Signed LEB128 of an int64 value: a safe integer, or a bigint in [−2^63, 2^64). */
function putS64(buf: Uint8Array, p: number, v: bigint | number): number {
  if (typeof v === "number") {
    if ((v | 0) === v) return writeSigned32(buf, p, v);
    if (!Number.isSafeInteger(v)) throw new RangeError(`s64 needs a safe integer or a bigint: ${v}`);
    const hi = Math.floor(v / TWO_32);
    return writeSigned64(buf, p, (v - hi * TWO_32) | 0, hi | 0);
  }
  if (typeof v !== "bigint" || v < MIN_S64 || v >= LIMIT_U64) throw new RangeError(`s64 out of range: ${v}`);
  words.setBigInt64(0, v, true); // wraps modulo 2^64
  return writeSigned64(buf, p, words.getInt32(0, true), words.getInt32(4, true));
}

/** Signed LEB128 of an int32 `v` at `buf[p]` (room for 5 bytes checked by the caller); returns the new end. */
function writeSigned32(buf: Uint8Array, p: number, v: number): number {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      buf[p++] = b;
      return p;
    }
    buf[p++] = b | 0x80;
  }
}

/**
 * Signed LEB128 of the int64 value with 32-bit words `lo` and `hi` (each an int32), shifting
 * the pair right 7 bits at a time with int32 arithmetic; returns the new end.
 */
function writeSigned64(buf: Uint8Array, p: number, lo: number, hi: number): number {
  for (;;) {
    const b = lo & 0x7f;
    lo = (lo >>> 7) | (hi << 25);
    hi >>= 7;
    if ((lo === 0 && hi === 0 && (b & 0x40) === 0) || (lo === -1 && hi === -1 && (b & 0x40) !== 0)) {
      buf[p++] = b;
      return p;
    }
    buf[p++] = b | 0x80;
  }
}

/**
 * Number of bytes of the unsigned LEB128 encoding of `n` (in [0, 2^32 − 1]).
 *
 * @example
 * ```ts
 * import { sizeU32 } from "./encoder.ts";
 * console.log(sizeU32(127), sizeU32(128), sizeU32(2 ** 32 - 1)); // 1 2 5
 * ```
 */
export function sizeU32(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * Unsigned LEB128 encoding of `n` in [0, 2^32 − 1].
 *
 * @example
 * ```ts
 * import { encodeU32 } from "./encoder.ts";
 * console.log(encodeU32(624485)); // Uint8Array(3) [ 229, 142, 38 ]
 * ```
 */
export function encodeU32(n: number): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(16);
  w.u32(n);
  return w.finish();
}

/**
 * Signed LEB128 encoding of an int32 value (values in [2^31, 2^32) as two's complement).
 *
 * @example
 * ```ts
 * import { encodeS32 } from "./encoder.ts";
 * console.log(encodeS32(-123456)); // Uint8Array(3) [ 192, 187, 120 ]
 * ```
 */
export function encodeS32(n: number): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(16);
  w.s32(n);
  return w.finish();
}

/**
 * Signed LEB128 encoding of an int64 value: a safe-integer number or a bigint in
 * [−2^63, 2^64) (values of 2^63 and above as two's complement).
 *
 * @example
 * ```ts
 * import { encodeS64 } from "./encoder.ts";
 * console.log(encodeS64(2n ** 64n - 1n)); // Uint8Array(1) [ 127 ]
 * ```
 */
export function encodeS64(v: bigint | number): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(16);
  w.s64(v);
  return w.finish();
}
