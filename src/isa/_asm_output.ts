/**
 * The assembler's last step: laying the assembled parts out as a generic blob, an SPI
 * standard program, or an SPI program with a metadata prefix (spec §3, §12).
 *
 * @module
 */
import { concatBytes } from "../program/blob.ts";
import { encodeVarint } from "../program/reader.ts";

/** Everything a program container holds. */
export interface ProgramParts {
  readonly format: "generic" | "spi" | "spi-metadata";
  readonly code: Uint8Array;
  readonly bitmask: Uint8Array;
  /** Jump-table entries (code offsets). */
  readonly jumpTable: readonly bigint[];
  /** Bytes per jump-table entry. */
  readonly entrySize: number;
  readonly metadata: Uint8Array;
  readonly readOnly: Uint8Array;
  readonly readWrite: Uint8Array;
  readonly heapPages: number;
  readonly stackSize: number;
}

/**
 * The smallest entry size that holds every entry (0 for an empty table, else at least 1).
 *
 * @example
 * ```ts
 * import { defaultEntrySize } from "./_asm_output.ts";
 * console.log(defaultEntrySize([]), defaultEntrySize([0n]), defaultEntrySize([5n, 300n])); // 0 1 2
 * ```
 */
export function defaultEntrySize(entries: readonly bigint[]): number {
  if (entries.length === 0) return 0;
  let max = 0n;
  for (const e of entries) if (e > max) max = e;
  let size = 1;
  while (max >= 1n << BigInt(8 * size)) size++;
  return size;
}

/** `value` as `width` little-endian bytes. */
function le(value: number | bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt(value);
  for (let k = 0; k < width; k++, v >>= 8n) out[k] = Number(v & 0xffn);
  return out;
}

/**
 * Encode the parts in their container format.
 *
 * @example
 * ```ts
 * import { encodeProgram } from "./_asm_output.ts";
 * const none = new Uint8Array(0);
 * const bytes = encodeProgram({
 *   format: "generic", code: new Uint8Array([0]), bitmask: new Uint8Array([1]), jumpTable: [], entrySize: 0,
 *   metadata: none, readOnly: none, readWrite: none, heapPages: 0, stackSize: 0,
 * });
 * console.log(bytes); // Uint8Array(5) [ 0, 0, 1, 0, 1 ]
 * ```
 */
export function encodeProgram(p: ProgramParts): Uint8Array {
  const table = new Uint8Array(p.jumpTable.length * p.entrySize);
  p.jumpTable.forEach((v, i) => table.set(le(v, p.entrySize), i * p.entrySize));
  const blob = concatBytes([
    encodeVarint(p.jumpTable.length),
    new Uint8Array([p.entrySize]),
    encodeVarint(p.code.length),
    table,
    p.code,
    p.bitmask,
  ]);
  if (p.format === "generic") return blob;
  const spi = concatBytes([
    le(p.readOnly.length, 3),
    le(p.readWrite.length, 3),
    le(p.heapPages, 2),
    le(p.stackSize, 3),
    p.readOnly,
    p.readWrite,
    le(blob.length, 4),
    blob,
  ]);
  if (p.format === "spi") return spi;
  return concatBytes([encodeVarint(p.metadata.length), p.metadata, spi]);
}
