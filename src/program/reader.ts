/**
 * A bounds-checked little-endian byte reader that throws {@link ProgramError} with the
 * offset of the first byte it could not read.
 *
 * @module
 */
import { ProgramError } from "./errors.ts";

/**
 * Reads fixed-width and GP-varint fields from a byte array, never past its end.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./reader.ts";
 * const r = new ByteReader(new Uint8Array([0x81, 0x00, 5]));
 * console.log(r.varint("length"), r.u8("z")); // 256 5
 * ```
 */
export class ByteReader {
  /** Current read position. */
  offset: number;

  constructor(readonly bytes: Uint8Array, offset = 0, readonly base = 0) {
    this.offset = offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Throw a ProgramError at the current offset (plus `base`, the reader's position in a larger input). */
  fail(reason: string, at = this.offset): never {
    throw new ProgramError(reason, this.base + at);
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      this.fail(`${what}: needs ${n} byte(s) but only ${this.remaining} remain`);
    }
  }

  /** One byte. */
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  /** An unsigned little-endian integer of `n` ≤ 6 bytes. */
  uint(n: number, what: string): number {
    this.need(n, what);
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + this.bytes[this.offset + i];
    this.offset += n;
    return value;
  }

  /**
   * A GP general natural (spec §3). Values above 2^53 cannot be a length or count
   * of anything that fits in memory, so they are rejected rather than rounded.
   */
  varint(what: string): number {
    const start = this.offset;
    const first = this.u8(what);
    let ones = 0;
    while (ones < 8 && (first & (0x80 >> ones)) !== 0) ones++;
    this.need(ones, what);
    let low = 0;
    for (let i = ones - 1; i >= 0; i--) low = low * 256 + this.bytes[this.offset + i];
    this.offset += ones;
    const high = ones === 8 ? 0 : first & (0x7f >> ones);
    const value = high * 2 ** (8 * ones) + low;
    if (!Number.isSafeInteger(value) || (ones === 8 && this.bytes[this.offset - 1] > 0x1f)) {
      this.fail(`${what}: varint value too large`, start);
    }
    if (ones > 0 && value < 2 ** (7 * Math.min(ones, 8))) {
      this.fail(`${what}: varint is not in its shortest form`, start);
    }
    return value;
  }

  /** `n` bytes, as a view (no copy). */
  bytesView(n: number, what: string): Uint8Array {
    this.need(n, what);
    const view = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return view;
  }
}

/**
 * Encode a GP general natural (spec §3).
 *
 * @example
 * ```ts
 * import { encodeVarint } from "./reader.ts";
 * console.log(encodeVarint(300)); // Uint8Array [ 129, 44 ]
 * ```
 */
export function encodeVarint(value: number | bigint): Uint8Array {
  let x = BigInt(value);
  if (x < 0n || x >= 1n << 64n) throw new RangeError(`varint out of range: ${value}`);
  if (x >= 1n << 56n) {
    const out = new Uint8Array(9);
    out[0] = 0xff;
    for (let i = 1; i < 9; i++, x >>= 8n) out[i] = Number(x & 0xffn);
    return out;
  }
  let l = 0;
  while (l < 7 && x >= 1n << BigInt(7 * (l + 1))) l++;
  const out = new Uint8Array(1 + l);
  const high = Number(x >> BigInt(8 * l));
  out[0] = ((0xff << (8 - l)) & 0xff) | high;
  for (let i = 1; i <= l; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}
