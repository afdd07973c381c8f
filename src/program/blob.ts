/**
 * The generic PVM program blob (spec §3, the GP's `deblob`):
 * `E(|j|) ++ E₁(z) ++ E(|c|) ++ E_z(j) ++ c ++ k`.
 *
 * @module
 */
import { ByteReader, encodeVarint } from "./reader.ts";

/** A dynamic-jump table: `count` entries of `entrySize` little-endian bytes each. */
export class JumpTable {
  /** Wrap `count` raw entries of `entrySize` bytes. */
  constructor(
    /** Number of entries |j|. */
    readonly count: number,
    /** Bytes per entry (z). */
    readonly entrySize: number,
    /** The raw entry bytes (count × entrySize). */
    readonly bytes: Uint8Array,
  ) {}

  /**
   * Entry `i` as a code offset, or -1 if it is not below 2^31 (no code is that long, so
   * such an entry can never be a valid jump target).
   */
  entry(i: number): number {
    const size = this.entrySize;
    let value = 0;
    for (let k = size - 1; k >= 0; k--) {
      value = value * 256 + this.bytes[i * size + k];
      if (value >= 2 ** 31) return -1;
    }
    return value;
  }

  /** All entries as offsets (see {@link entry}); only for tables whose bytes exist (z > 0 or small counts). */
  toArray(limit = this.count): Int32Array {
    const n = Math.min(limit, this.count);
    const out = new Int32Array(n);
    if (this.entrySize > 0) { for (let i = 0; i < n; i++) out[i] = this.entry(i); }
    return out;
  }
}

/** A parsed generic program blob. */
export interface ProgramBlob {
  /** Instruction bytes `c`. */
  readonly code: Uint8Array;
  /** Opcode bitmask `k`, LSB-first, ceil(|c| / 8) bytes. */
  readonly bitmask: Uint8Array;
  /** Dynamic-jump table `j`. */
  readonly jumpTable: JumpTable;
}

/**
 * Parse a generic program blob. The whole input must be consumed exactly; the
 * bitmask must be ceil(|c|/8) bytes with zero padding bits. `base` is the blob's
 * offset inside a larger container, so errors name the offset in the original input.
 *
 * @throws {ProgramError} naming the offset and reason on malformed input.
 *
 * @example
 * ```ts
 * import { parseBlob } from "./blob.ts";
 * const blob = parseBlob(new Uint8Array([0, 0, 3, 0xbe, 0x87, 0x09, 0x01]));
 * console.log(blob.code.length, blob.jumpTable.count); // 3 0
 * ```
 */
export function parseBlob(bytes: Uint8Array, base = 0): ProgramBlob {
  const r = new ByteReader(bytes, 0, base);
  const count = r.varint("jump table length");
  const entrySize = r.u8("jump table entry size");
  const codeLength = r.varint("code length");
  return parseBlobBody(r, count, entrySize, codeLength);
}

/**
 * The rest of a generic blob once its header (jump-table length and entry size, code
 * length) is read, by whatever varint rules the container uses: jump table, code and
 * bitmask, which must end exactly where `r`'s input does.
 *
 * @throws {ProgramError} naming the offset and reason on malformed input.
 *
 * @example
 * ```ts
 * import { parseBlobBody } from "./blob.ts";
 * import { ByteReader } from "./reader.ts";
 * const blob = parseBlobBody(new ByteReader(new Uint8Array([0xbe, 0x87, 0x09, 0x01])), 0, 0, 3);
 * console.log(blob.code.length); // 3
 * ```
 */
export function parseBlobBody(r: ByteReader, count: number, entrySize: number, codeLength: number): ProgramBlob {
  if (count * entrySize > r.remaining) {
    r.fail(`jump table of ${count} × ${entrySize} bytes runs past the end (${r.remaining} bytes remain)`);
  }
  const tableBytes = r.bytesView(count * entrySize, "jump table");
  if (codeLength > r.remaining) {
    r.fail(`code length ${codeLength} runs past the end (${r.remaining} bytes remain)`);
  }
  const code = r.bytesView(codeLength, "code");
  const maskLength = Math.ceil(codeLength / 8);
  if (r.remaining !== maskLength) {
    r.fail(
      `bitmask must be ${maskLength} byte(s) for ${codeLength} code bytes, but ${r.remaining} remain`,
    );
  }
  const bitmask = r.bytesView(maskLength, "bitmask");
  const usedBits = codeLength & 7;
  if (usedBits !== 0 && (bitmask[maskLength - 1] >> usedBits) !== 0) {
    r.fail("bitmask padding bits past the end of the code are not zero", r.offset - 1);
  }
  return { code, bitmask, jumpTable: new JumpTable(count, entrySize, tableBytes) };
}

/**
 * Encode a generic program blob (the inverse of {@link parseBlob}).
 *
 * @example
 * ```ts
 * import { encodeBlob, parseBlob } from "./blob.ts";
 * const bytes = encodeBlob({ code: new Uint8Array([0]), bitmask: new Uint8Array([1]), jumpTable: [] });
 * console.log(parseBlob(bytes).code); // Uint8Array [ 0 ]
 * ```
 */
export function encodeBlob(
  program: { code: Uint8Array; bitmask: Uint8Array; jumpTable: readonly number[]; entrySize?: number },
): Uint8Array {
  const max = program.jumpTable.reduce((m, v) => Math.max(m, v), 0);
  const entrySize = program.entrySize ??
    (program.jumpTable.length === 0 ? 0 : max < 256 ? 1 : max < 65536 ? 2 : max < 1 << 24 ? 3 : 4);
  const parts = [
    encodeVarint(program.jumpTable.length),
    new Uint8Array([entrySize]),
    encodeVarint(program.code.length),
  ];
  const table = new Uint8Array(program.jumpTable.length * entrySize);
  program.jumpTable.forEach((v, i) => {
    for (let k = 0; k < entrySize; k++) table[i * entrySize + k] = Math.floor(v / 2 ** (8 * k)) & 0xff;
  });
  parts.push(table, program.code, program.bitmask);
  return concatBytes(parts);
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
