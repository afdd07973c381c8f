/**
 * The standard program (SPI, spec §12) and its initialisation Y: read-only data,
 * read-write data, extra heap pages, stack size, then a generic blob; optionally
 * preceded by a length-prefixed metadata blob (GP 0.7 service code).
 *
 * @module
 */
import { parseBlob, type ProgramBlob } from "./blob.ts";
import { ByteReader } from "./reader.ts";
import type { MemoryRegion } from "../memory/memory.ts";

/** Z_P: page size. */
export const Z_P = 4096;
/** Z_Z: zone size. */
export const Z_Z = 65536;
/** Z_I: maximum argument size. */
export const Z_I = 1 << 24;

const roundPage = (x: number) => Math.ceil(x / Z_P) * Z_P;
const roundZone = (x: number) => Math.ceil(x / Z_Z) * Z_Z;

/** A parsed standard program. */
export interface StandardProgram {
  /** Metadata bytes (empty when the input had no metadata prefix). */
  readonly metadata: Uint8Array;
  /** Read-only data `o`. */
  readonly readOnly: Uint8Array;
  /** Read-write data `w`. */
  readonly readWrite: Uint8Array;
  /** Extra zero-filled writable heap pages `z`. */
  readonly heapPages: number;
  /** Stack size `s` in bytes. */
  readonly stackSize: number;
  /** The raw generic blob bytes. */
  readonly blobBytes: Uint8Array;
  /** The parsed generic blob. */
  readonly blob: ProgramBlob;
}

/**
 * Parse a standard program blob, with or without the metadata prefix.
 *
 * @throws {ProgramError} on truncation, trailing bytes, or a layout that does not fit in 2^32.
 *
 * @example
 * ```ts
 * import { parseStandardProgram } from "./spi.ts";
 * // |o|=0 |w|=0 z=0 s=0, then a 5-byte generic blob with one trap
 * const spi = new Uint8Array([0,0,0, 0,0,0, 0,0, 0,0,0, 5,0,0,0, 0,0,1,0,1]);
 * console.log(parseStandardProgram(spi).blob.code); // Uint8Array [ 0 ]
 * ```
 */
export function parseStandardProgram(bytes: Uint8Array, options: { metadata?: boolean } = {}): StandardProgram {
  const r = new ByteReader(bytes);
  let metadata: Uint8Array = new Uint8Array(0);
  if (options.metadata) {
    const length = r.varint("metadata length");
    if (length > r.remaining) r.fail(`metadata length ${length} runs past the end (${r.remaining} bytes remain)`);
    metadata = r.bytesView(length, "metadata");
  }
  const roLength = r.uint(3, "read-only data length");
  const rwLength = r.uint(3, "read-write data length");
  const heapPages = r.uint(2, "heap pages");
  const stackSize = r.uint(3, "stack size");
  const layoutSize = 5 * Z_Z + roundZone(roLength) + roundZone(rwLength + heapPages * Z_P) + roundZone(stackSize) + Z_I;
  if (layoutSize > 2 ** 32) {
    r.fail(`memory layout needs ${layoutSize} bytes, more than the 2^32 address space`, r.offset - 11);
  }
  if (roLength > r.remaining) r.fail(`read-only data of ${roLength} bytes runs past the end`);
  const readOnly = r.bytesView(roLength, "read-only data");
  if (rwLength > r.remaining) r.fail(`read-write data of ${rwLength} bytes runs past the end`);
  const readWrite = r.bytesView(rwLength, "read-write data");
  const codeLength = r.uint(4, "code blob length");
  if (codeLength !== r.remaining) {
    r.fail(`code blob length ${codeLength} does not match the ${r.remaining} bytes that remain`);
  }
  const blobOffset = r.offset;
  const blobBytes = r.bytesView(codeLength, "code blob");
  const blob = parseBlob(blobBytes, blobOffset);
  return { metadata, readOnly, readWrite, heapPages, stackSize, blobBytes, blob };
}

/** The initial state Y produces: memory regions, registers and the heap pointer. */
export interface StandardLayout {
  /** Memory regions to map, with their initial contents. */
  readonly regions: MemoryRegion[];
  /** r0..r12. */
  readonly registers: bigint[];
  /** Initial heap pointer for `sbrk`: the end of the writable data and heap zone. */
  readonly heapStart: number;
}

/** Base of the argument area (0xFEFF0000). */
export const ARGS_BASE = 2 ** 32 - Z_Z - Z_I;
/** Top of the stack (0xFEFE0000). */
export const STACK_TOP = 2 ** 32 - 2 * Z_Z - Z_I;
/** The halt address placed in r0. */
export const HALT_ADDRESS = 0xffff0000;

/**
 * Y(program, args): the standard memory map and registers (spec §12).
 *
 * @throws {RangeError} if the arguments exceed Z_I bytes.
 *
 * @example
 * ```ts
 * import { parseStandardProgram, standardLayout } from "./spi.ts";
 * const spi = parseStandardProgram(new Uint8Array([0,0,0, 0,0,0, 0,0, 0,0,0, 5,0,0,0, 0,0,1,0,1]));
 * const layout = standardLayout(spi, new Uint8Array([1, 2]));
 * console.log(layout.registers[7].toString(16), layout.registers[8]); // feff0000 2n
 * ```
 */
export function standardLayout(program: StandardProgram, args: Uint8Array): StandardLayout {
  if (args.length > Z_I) throw new RangeError(`arguments of ${args.length} bytes exceed the ${Z_I}-byte limit`);
  const o = program.readOnly.length;
  const w = program.readWrite.length;
  const rwBase = 2 * Z_Z + roundZone(o);
  const heapStart = rwBase + roundPage(w) + program.heapPages * Z_P;
  const stackBottom = STACK_TOP - roundPage(program.stackSize);
  const regions: MemoryRegion[] = [];
  if (o > 0) regions.push({ address: Z_Z, length: roundPage(o), access: "read", data: program.readOnly });
  if (heapStart > rwBase) {
    regions.push({ address: rwBase, length: heapStart - rwBase, access: "write", data: program.readWrite });
  }
  if (stackBottom < STACK_TOP) regions.push({ address: stackBottom, length: STACK_TOP - stackBottom, access: "write" });
  if (args.length > 0) regions.push({ address: ARGS_BASE, length: roundPage(args.length), access: "read", data: args });
  const registers = new Array<bigint>(13).fill(0n);
  registers[0] = BigInt(HALT_ADDRESS);
  registers[1] = BigInt(STACK_TOP);
  registers[7] = BigInt(ARGS_BASE);
  registers[8] = BigInt(args.length);
  return { regions, registers, heapStart };
}
