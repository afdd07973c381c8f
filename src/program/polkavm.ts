/**
 * PolkaVM's program container (`.polkavm`): magic `PVM\0`, an ISA byte, the file length,
 * then sections — memory sizes, read-only and read-write data, imports, exports, the code
 * (a generic blob, byte for byte) and optional debug information — ended by a zero byte.
 * Also the guest memory layout PolkaVM builds for such a program, for a host-chosen page
 * size.
 *
 * @module
 */
import { ISA_POLKAVM_32, ISA_POLKAVM_64, ISA_V08_DRAFT, type IsaProfile } from "../isa/opcodes.ts";
import type { MemoryRegion } from "../memory/memory.ts";
import { concatBytes, parseBlobBody, type ProgramBlob } from "./blob.ts";
import { ByteReader, encodeVarint } from "./reader.ts";
import { ProgramError } from "./errors.ts";
import { HALT_ADDRESS, Z_Z } from "./spi.ts";

/** The magic bytes every `.polkavm` file starts with (`PVM\0`). */
export const POLKAVM_MAGIC: Uint8Array = new Uint8Array([0x50, 0x56, 0x4d, 0x00]);

/**
 * True if `bytes` start with the .polkavm magic `PVM\0` (whether or not the rest parses).
 *
 * @example
 * ```ts
 * import { isPolkaVm } from "./polkavm.ts";
 * console.log(isPolkaVm(new Uint8Array([0x50, 0x56, 0x4d, 0, 1])), isPolkaVm(new Uint8Array([0, 0, 0]))); // true false
 * ```
 */
export function isPolkaVm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && POLKAVM_MAGIC.every((b, i) => bytes[i] === b);
}

/** An exported function: its name and the code offset it starts at. */
export interface PolkaVmExport {
  /** Symbol name. */
  readonly name: string;
  /** Code offset (pc) of its first instruction. */
  readonly pc: number;
}

/** Where a section sits in the file (payload offset and length), for inspection. */
export interface PolkaVmSection {
  /** Section id (1–6 known, 128+ optional, such as debug information). */
  readonly id: number;
  /** Human-readable name. */
  readonly name: string;
  /** File offset of the payload. */
  readonly offset: number;
  /** Payload length in bytes. */
  readonly length: number;
}

/** A parsed `.polkavm` program. */
export interface PolkaVmProgram {
  /** The ISA byte of the header (0 = 64-bit, 1 = 32-bit, 3 = JAM v1 numbering). */
  readonly version: number;
  /** Register width of the ISA. */
  readonly bits: 32 | 64;
  /** The opcode profile the code is decoded with. */
  readonly isa: IsaProfile;
  /** Declared read-only data size (the payload may be shorter; the rest is zero). */
  readonly roDataSize: number;
  /** Declared read-write data size (the payload may be shorter: the rest is .bss). */
  readonly rwDataSize: number;
  /** Declared stack size. */
  readonly stackSize: number;
  /** Read-only data payload. */
  readonly roData: Uint8Array;
  /** Read-write data payload. */
  readonly rwData: Uint8Array;
  /** Import names by index: `ecalli N` calls import N. Empty names are legal (index-pinned imports). */
  readonly imports: readonly string[];
  /** Exported functions, in file order. */
  readonly exports: readonly PolkaVmExport[];
  /** The code section: a generic program blob. */
  readonly blob: ProgramBlob;
  /** Every section found, in file order (debug and unknown optional sections included, skipped). */
  readonly sections: readonly PolkaVmSection[];
}

const SECTION_NAMES: Record<number, string> = {
  1: "memory config",
  2: "ro data",
  3: "rw data",
  4: "imports",
  5: "exports",
  6: "code and jump table",
  128: "debug strings",
  129: "debug line programs",
  130: "debug line program ranges",
};

/** Most imports a program may declare. */
const MAX_IMPORTS = 1024;
/** Largest code section PolkaVM accepts. */
const MAX_CODE = 32 << 20;
/** Largest jump table PolkaVM accepts (entries). */
const MAX_JUMP_TABLE = 16 << 20;

/** A bounded reader over the file, failing with the absolute offset. */
class Cursor {
  constructor(readonly bytes: Uint8Array, public offset: number, readonly end: number) {}

  fail(reason: string, at = this.offset): never {
    throw new ProgramError(reason, at);
  }

  u8(what: string): number {
    if (this.offset >= this.end) this.fail(`${what}: unexpected end of input`);
    return this.bytes[this.offset++];
  }

  /** PolkaVM's varint: the GP natural encoding, at most 5 bytes, values below 2^32. */
  varint(what: string): number {
    const start = this.offset;
    const first = this.u8(what);
    let extra = 0;
    while (extra < 8 && (first & (0x80 >> extra)) !== 0) extra++;
    if (extra > 4) this.fail(`${what}: varint longer than 5 bytes`, start);
    if (this.offset + extra > this.end) this.fail(`${what}: varint runs past the end`, start);
    let low = 0;
    for (let i = extra - 1; i >= 0; i--) low = low * 256 + this.bytes[this.offset + i];
    this.offset += extra;
    const high = extra === 4 ? 0 : first & (0x7f >> extra);
    return high * 2 ** (8 * extra) + low;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.offset) {
      this.fail(`${what}: ${n} byte(s) run past the end (${this.end - this.offset} remain)`);
    }
    const view = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return view;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Parse a `.polkavm` file. Sections must come in PolkaVM's order, each at most once;
 * optional sections (id ≥ 128, such as debug information) are skipped.
 *
 * @throws {ProgramError} with the byte offset on malformed input.
 *
 * @example
 * ```ts
 * import { parsePolkaVm } from "./polkavm.ts";
 * // header (32-bit ISA, 21 bytes long), a code section holding one `trap`, end of file
 * const program = parsePolkaVm(new Uint8Array([
 *   0x50, 0x56, 0x4d, 0, 1, 21, 0, 0, 0, 0, 0, 0, 0, // magic, ISA byte, u64 length
 *   6, 5, 0, 0, 1, 0, 1, // code section: no jump table, 1 code byte (trap), bitmask
 *   0, // end of file
 * ]));
 * console.log(program.bits, program.blob.code.length); // 32 1
 * ```
 */
export function parsePolkaVm(bytes: Uint8Array): PolkaVmProgram {
  const c = new Cursor(bytes, 0, bytes.length);
  if (bytes.length < 13) c.fail(`too short for a .polkavm header (${bytes.length} bytes)`, 0);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== POLKAVM_MAGIC[i]) c.fail("not a .polkavm file: the magic bytes are not PVM\\0", i);
  }
  const version = bytes[4];
  let bits: 32 | 64, isa: IsaProfile;
  if (version === 0) [bits, isa] = [64, ISA_POLKAVM_64];
  else if (version === 1) [bits, isa] = [32, ISA_POLKAVM_32];
  else if (version === 3) [bits, isa] = [64, ISA_V08_DRAFT];
  else c.fail(`unsupported ISA version byte ${version} (supported: 0 = 64-bit, 1 = 32-bit, 3 = JAM v1)`, 4);
  let length = 0;
  for (let i = 7; i >= 0; i--) length = length * 256 + bytes[5 + i];
  if (length !== bytes.length) c.fail(`the header says the file is ${length} bytes long, but it is ${bytes.length}`, 5);
  c.offset = 13;

  const sections: PolkaVmSection[] = [];
  let roDataSize = 0, rwDataSize = 0, stackSize = 0;
  let roData: Uint8Array = new Uint8Array(0), rwData: Uint8Array = new Uint8Array(0);
  let imports: string[] = [];
  let exports: PolkaVmExport[] = [];
  let blob: ProgramBlob | undefined;
  let lastId = 0;
  for (;;) {
    const at = c.offset;
    const id = c.u8("section id");
    if (id === 0) {
      if (c.offset !== bytes.length) c.fail(`${bytes.length - c.offset} byte(s) after the end-of-file section`);
      break;
    }
    const known = id >= 1 && id <= 6;
    if (!known && id < 128) c.fail(`unexpected section id ${id}`, at);
    if (known && id <= lastId) {
      c.fail(`section ${id} (${SECTION_NAMES[id]}) out of order or repeated (after section ${lastId})`, at);
    }
    const size = c.varint(`section ${id} length`);
    const offset = c.offset;
    c.take(size, `section ${id} (${SECTION_NAMES[id] ?? "unknown"})`);
    sections.push({ id, name: SECTION_NAMES[id] ?? "unknown (skipped)", offset, length: size });
    if (!known) continue; // optional: debug information or a newer optional section
    lastId = id;
    const s = new Cursor(bytes, offset, offset + size);
    switch (id) {
      case 1:
        roDataSize = s.varint("ro data size");
        rwDataSize = s.varint("rw data size");
        stackSize = s.varint("stack size");
        if (s.offset !== s.end) s.fail("memory config has trailing bytes");
        break;
      case 2:
        roData = bytes.subarray(offset, offset + size);
        break;
      case 3:
        rwData = bytes.subarray(offset, offset + size);
        break;
      case 4:
        imports = parseImports(s);
        break;
      case 5:
        exports = parseExports(s);
        break;
      case 6:
        blob = parseCode(s);
        break;
    }
  }
  if (!blob) return c.fail("no code section (id 6)", c.offset - 1);

  if (roData.length > roDataSize) {
    c.fail(`ro data payload (${roData.length} bytes) exceeds the declared size ${roDataSize}`, sectionAt(sections, 2));
  }
  if (rwData.length > rwDataSize) {
    c.fail(`rw data payload (${rwData.length} bytes) exceeds the declared size ${rwDataSize}`, sectionAt(sections, 3));
  }
  for (const e of exports) {
    if (e.pc >= blob.code.length) {
      c.fail(
        `export "${e.name}" starts at pc ${e.pc}, past the code (${blob.code.length} bytes)`,
        sectionAt(sections, 5),
      );
    }
  }
  return {
    version,
    bits: bits!,
    isa: isa!,
    roDataSize,
    rwDataSize,
    stackSize,
    roData,
    rwData,
    imports,
    exports,
    blob,
    sections,
  };
}

function sectionAt(sections: readonly PolkaVmSection[], id: number): number {
  return sections.find((s) => s.id === id)?.offset ?? 0;
}

function parseImports(s: Cursor): string[] {
  const at = s.offset;
  const count = s.varint("import count");
  if (count > MAX_IMPORTS) s.fail(`${count} imports (at most ${MAX_IMPORTS})`, at);
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const raw = s.take(4, `import ${i} offset`);
    offsets.push((raw[0] | raw[1] << 8 | raw[2] << 16 | raw[3] << 24) >>> 0);
  }
  const symbolsAt = s.offset;
  const symbols = s.take(s.end - s.offset, "import symbols");
  return offsets.map((start, i) => {
    const end = i + 1 < count ? offsets[i + 1] : symbols.length;
    if (start > end || end > symbols.length) {
      s.fail(`import ${i}'s name [${start}, ${end}) lies outside the ${symbols.length} symbol bytes`, symbolsAt);
    }
    return utf8.decode(symbols.subarray(start, end));
  });
}

function parseExports(s: Cursor): PolkaVmExport[] {
  const count = s.varint("export count");
  const exports: PolkaVmExport[] = [];
  for (let i = 0; i < count; i++) {
    const pc = s.varint(`export ${i} pc`);
    const nameLength = s.varint(`export ${i} name length`);
    exports.push({ pc, name: utf8.decode(s.take(nameLength, `export ${i} name`)) });
  }
  if (s.offset !== s.end) s.fail("exports section has trailing bytes");
  return exports;
}

/**
 * The code section: PolkaVM's fields are those of a generic blob; the header is read with
 * PolkaVM's varints, the rest as a blob's.
 */
function parseCode(s: Cursor): ProgramBlob {
  const start = s.offset;
  const jumpTableCount = s.varint("jump table length");
  const entrySize = s.u8("jump table entry size");
  if (entrySize > 4) s.fail(`jump table entry size ${entrySize} (at most 4)`, s.offset - 1);
  const codeLength = s.varint("code length");
  if (jumpTableCount > MAX_JUMP_TABLE) {
    s.fail(`jump table of ${jumpTableCount} entries (at most ${MAX_JUMP_TABLE})`, start);
  }
  if (codeLength > MAX_CODE) s.fail(`code of ${codeLength} bytes (at most ${MAX_CODE})`, start);
  return parseBlobBody(
    new ByteReader(s.bytes.subarray(s.offset, s.end), 0, s.offset),
    jumpTableCount,
    entrySize,
    codeLength,
  );
}

/** Options for {@link polkaVmLayout}. */
export interface PolkaVmLayoutOptions {
  /** Page size: a power of two from 4 KiB to 64 KiB (default 4 KiB; PolkaVM's DOOM host uses 16 KiB). */
  pageSize?: number;
}

/** Where a `.polkavm` program's memory lives. */
export interface PolkaVmLayout {
  /** Regions to map (read-only data, read-write data, stack), with their initial contents. */
  readonly regions: readonly MemoryRegion[];
  /** Start of the read-only data (0x10000). */
  readonly roAddress: number;
  /** Start of the read-write data. */
  readonly rwAddress: number;
  /** Where the heap starts: right after the read-write data (not page-aligned). */
  readonly heapBase: number;
  /** The highest heap end `sbrk` may reach. */
  readonly heapLimit: number;
  /** Lowest stack address. */
  readonly stackAddress: number;
  /** Top of the stack: the initial stack pointer. */
  readonly stackTop: number;
  /** The page size the layout was made for. */
  readonly pageSize: number;
}

/** The gap PolkaVM leaves around regions, whatever the page size: the GP's zone Z_Z. */
const ZONE = Z_Z;
const alignUp = (value: number, to: number) => Math.ceil(value / to) * to;

/**
 * PolkaVM's memory map for a program (no auxiliary data): read-only data at 0x10000, then
 * after a 64 KiB-aligned gap the read-write data and the heap, and the stack ending at
 * 0xFFFE0000, below the return-to-host address 0xFFFF0000.
 *
 * @throws {ProgramError} if the sizes do not fit in the 32-bit address space.
 * @throws {RangeError} on an invalid page size.
 *
 * @example
 * ```ts
 * import { polkaVmLayout } from "./polkavm.ts";
 * const layout = polkaVmLayout({ roDataSize: 5, rwDataSize: 100, stackSize: 8192, roData: new Uint8Array(0), rwData: new Uint8Array(0) });
 * console.log(layout.rwAddress.toString(16), layout.heapBase.toString(16), layout.stackTop.toString(16)); // 30000 30064 fffe0000
 * ```
 */
export function polkaVmLayout(
  program: Pick<PolkaVmProgram, "roDataSize" | "rwDataSize" | "stackSize" | "roData" | "rwData">,
  options: PolkaVmLayoutOptions = {},
): PolkaVmLayout {
  const pageSize = options.pageSize ?? 0x1000;
  if (!Number.isInteger(pageSize) || pageSize < 0x1000 || pageSize > 0x10000 || (pageSize & (pageSize - 1)) !== 0) {
    throw new RangeError(`page size ${pageSize} is not a power of two from 4096 to 65536`);
  }
  const roAddress = ZONE;
  const rwAddress = roAddress + alignUp(program.roDataSize, ZONE) + ZONE;
  const heapBase = rwAddress + program.rwDataSize;
  const stackTop = HALT_ADDRESS - ZONE; // no auxiliary data
  const stackLength = alignUp(program.stackSize, pageSize);
  const stackAddress = stackTop - stackLength;
  const heapLimit = Math.floor(stackAddress / ZONE) * ZONE - ZONE;
  if (alignUp(heapBase, pageSize) > stackAddress - ZONE || heapBase > heapLimit) {
    throw new ProgramError(
      `memory does not fit: data ends at 0x${heapBase.toString(16)}, the stack starts at 0x${
        stackAddress.toString(16)
      }`,
      0,
    );
  }
  const regions: MemoryRegion[] = [];
  const roLength = alignUp(program.roDataSize, pageSize);
  if (roLength > 0) regions.push({ address: roAddress, length: roLength, access: "read", data: program.roData });
  const rwLength = alignUp(program.rwDataSize, pageSize);
  if (rwLength > 0) regions.push({ address: rwAddress, length: rwLength, access: "write", data: program.rwData });
  if (stackLength > 0) regions.push({ address: stackAddress, length: stackLength, access: "write" });
  return { regions, roAddress, rwAddress, heapBase, heapLimit, stackAddress, stackTop, pageSize };
}

/** What {@link encodePolkaVm} writes. */
export interface PolkaVmSource {
  /** ISA byte (default 1, the 32-bit ISA). */
  version?: number;
  /** Declared read-only data size (default: the payload's length). */
  roDataSize?: number;
  /** Declared read-write data size (default: the payload's length). */
  rwDataSize?: number;
  /** Stack size (default 0). */
  stackSize?: number;
  /** Read-only data payload. */
  roData?: Uint8Array;
  /** Read-write data payload. */
  rwData?: Uint8Array;
  /** Import names by index. */
  imports?: readonly string[];
  /** Exports. */
  exports?: readonly PolkaVmExport[];
  /** The code section payload: a generic blob (see `encodeBlob`). */
  code: Uint8Array;
}

/**
 * Write a `.polkavm` file (the inverse of {@link parsePolkaVm}, without debug sections).
 *
 * @example
 * ```ts
 * import { encodePolkaVm, parsePolkaVm } from "./polkavm.ts";
 * import { encodeBlob } from "./blob.ts";
 * const code = encodeBlob({ code: new Uint8Array([0]), bitmask: new Uint8Array([1]), jumpTable: [] });
 * const bytes = encodePolkaVm({ imports: ["f"], exports: [{ name: "main", pc: 0 }], code });
 * console.log(parsePolkaVm(bytes).exports); // [ { pc: 0, name: "main" } ]
 * ```
 */
export function encodePolkaVm(source: PolkaVmSource): Uint8Array {
  const enc = new TextEncoder();
  const roData = source.roData ?? new Uint8Array(0);
  const rwData = source.rwData ?? new Uint8Array(0);
  const sizes = [source.roDataSize ?? roData.length, source.rwDataSize ?? rwData.length, source.stackSize ?? 0];
  const parts: Uint8Array[] = [];
  const section = (id: number, payload: readonly Uint8Array[]) => {
    const body = concatBytes(payload);
    parts.push(new Uint8Array([id]), encodeVarint(body.length), body);
  };
  if (sizes.some((s) => s > 0)) section(1, sizes.map((s) => encodeVarint(s)));
  if (roData.length > 0) section(2, [roData]);
  if (rwData.length > 0) section(3, [rwData]);
  const imports = source.imports ?? [];
  if (imports.length > 0) {
    const names = imports.map((name) => enc.encode(name));
    const offsets = new Uint8Array(4 * names.length);
    let at = 0;
    names.forEach((name, i) => {
      new DataView(offsets.buffer).setUint32(4 * i, at, true);
      at += name.length;
    });
    section(4, [encodeVarint(names.length), offsets, ...names]);
  }
  const exports = source.exports ?? [];
  if (exports.length > 0) {
    section(5, [
      encodeVarint(exports.length),
      ...exports.flatMap((e) => {
        const name = enc.encode(e.name);
        return [encodeVarint(e.pc), encodeVarint(name.length), name];
      }),
    ]);
  }
  section(6, [source.code]);
  parts.push(new Uint8Array([0]));
  const body = concatBytes(parts);
  const out = new Uint8Array(13 + body.length);
  out.set(POLKAVM_MAGIC, 0);
  out[4] = source.version ?? 1;
  new DataView(out.buffer).setBigUint64(5, BigInt(out.length), true);
  out.set(body, 13);
  return out;
}
