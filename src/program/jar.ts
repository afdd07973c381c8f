/**
 * The JAR v2 container of the capability kernel (capability-kernel.md §2): a 10-byte
 * header (`JAR\x02`, memory pages, entry count, invoke slot), 19-byte manifest entries
 * (CODE and DATA caps), and a data section the entries point into. A CODE entry's bytes
 * are a code sub-blob: fixed-width jump table, bytecode and packed instruction bitmask.
 *
 * Everything upstream's decoder rejects is rejected here, and so is everything §2.5 lists
 * as accepted-but-nonsense (overlapping DATA caps, duplicate slots, init data longer than
 * its cap, mappings past 4 GiB, manifest entries over the protocol or UNTYPED slots, more
 * than five CODE caps, DATA pages beyond `memory_pages`). Each failure is a
 * {@link ProgramError} with the offset of the offending byte.
 *
 * The layout sits behind {@link JarLayout}: upstream's successor (14-byte entries under
 * the same magic) can be added as a second layout without touching the kernel.
 *
 * @module
 */
import { JumpTable, type ProgramBlob } from "./blob.ts";
import { ProgramError } from "./errors.ts";
import { PAGE_COUNT } from "../memory/memory.ts";

/** The magic bytes `JAR\x02`. */
export const JAR_MAGIC: readonly number[] = [0x4a, 0x41, 0x52, 0x02];
/** Header size in bytes. */
export const JAR_HEADER_SIZE = 10;
/** Manifest entry size in bytes (the v2 layout of the spec). */
export const JAR_ENTRY_SIZE = 19;
/** Pages in the 32-bit address space. */
/** Most CODE caps per invocation (spec §13). */
export const JAR_MAX_CODE_CAPS = 5;
/** Protocol caps occupy slots 1..28 of VM 0. */
export const PROTOCOL_CAPS = 28;
/** Slot of UNTYPED in VM 0. */
export const UNTYPED_SLOT = 254;

/** Slots the kernel fills itself: protocol caps 1..28 and UNTYPED at 254. */
export const JAR_RESERVED_SLOTS: ReadonlySet<number> = new Set([
  ...Array.from({ length: PROTOCOL_CAPS }, (_, i) => i + 1),
  UNTYPED_SLOT,
]);

/** One manifest entry. */
export interface JarCapEntry {
  /** Slot in VM 0's cap table. */
  readonly slot: number;
  /** `code` (0) or `data` (1). */
  readonly kind: "code" | "data";
  /** DATA: first page of the mapping (address = basePage × 4096). */
  readonly basePage: number;
  /** DATA: size in pages. */
  readonly pageCount: number;
  /** DATA: initial access (`ro` = 0, `rw` = 1). */
  readonly access: "ro" | "rw";
  /** Offset into the data section. */
  readonly dataOffset: number;
  /** Length of the referenced bytes (DATA: initial contents; CODE: the sub-blob). */
  readonly dataLength: number;
  /** Byte offset of the entry in the blob (for messages). */
  readonly at: number;
  /** CODE: the parsed sub-blob. */
  readonly code?: ProgramBlob;
  /** The referenced bytes (a view into the blob). */
  readonly bytes: Uint8Array;
}

/** A parsed JAR blob. */
export interface JarProgram {
  /** The layout that parsed it. */
  readonly layout: string;
  /** Size of the invocation's page pool (UNTYPED budget), in pages. */
  readonly memoryPages: number;
  /** Slot of the CODE cap VM 0 runs. */
  readonly invokeSlot: number;
  /** Manifest entries in blob order. */
  readonly caps: readonly JarCapEntry[];
  /** Byte offset where the data section starts. */
  readonly dataStart: number;
}

/** A container layout under the JAR magic. */
export interface JarLayout {
  /** Layout name (`jar-v2`). */
  readonly name: string;
  /** Parse and validate; throws {@link ProgramError}. */
  parse(bytes: Uint8Array): JarProgram;
}

/** True if the bytes start with the JAR v2 magic. */
export function isJar(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && JAR_MAGIC.every((b, i) => bytes[i] === b);
}

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/**
 * Parse a CODE sub-blob (§2.4): `jump_len: u32, entry_size: u8, code_len: u32`, the jump
 * table, the bytecode, the packed bitmask; trailing bytes are ignored. `base` is the
 * sub-blob's offset in the whole blob, for error offsets.
 *
 * @throws {ProgramError} if the header is short, entry_size is not 1..4, or a part runs past the end.
 *
 * @example
 * ```ts
 * import { parseJarCode } from "./jar.ts";
 * // no jump table, entry size 1, 1 code byte (trap), bitmask 1
 * const blob = parseJarCode(new Uint8Array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1]));
 * console.log(blob.code, blob.jumpTable.count); // Uint8Array(1) [ 0 ] 0
 * ```
 */
export function parseJarCode(bytes: Uint8Array, base = 0): ProgramBlob {
  if (bytes.length < 9) {
    throw new ProgramError(`code sub-blob of ${bytes.length} bytes is shorter than its 9-byte header`, base);
  }
  const jumpCount = u32(bytes, 0);
  const entrySize = bytes[4];
  const codeLength = u32(bytes, 5);
  if (entrySize < 1 || entrySize > 4) {
    throw new ProgramError(`jump-table entry size ${entrySize} is not 1..4`, base + 4);
  }
  let at = 9;
  const tableBytes = jumpCount * entrySize;
  if (tableBytes > bytes.length - at) {
    throw new ProgramError(`jump table of ${jumpCount} × ${entrySize} bytes runs past the code sub-blob`, base);
  }
  const table = bytes.subarray(at, at + tableBytes);
  at += tableBytes;
  if (codeLength > bytes.length - at) {
    throw new ProgramError(`code length ${codeLength} runs past the code sub-blob`, base + 5);
  }
  const code = bytes.subarray(at, at + codeLength);
  at += codeLength;
  const maskLength = Math.ceil(codeLength / 8);
  if (maskLength > bytes.length - at) {
    throw new ProgramError(`bitmask of ${maskLength} bytes runs past the code sub-blob`, base + at);
  }
  // Copy the bitmask with its padding bits cleared: past the code they mean nothing.
  const bitmask = bytes.slice(at, at + maskLength);
  if (codeLength & 7) bitmask[maskLength - 1] &= (1 << (codeLength & 7)) - 1;
  return { code, bitmask, jumpTable: new JumpTable(jumpCount, entrySize, table) };
}

/** The 19-byte-entry layout of the spec (upstream master @ 4f0890c8). */
export const JAR_V2: JarLayout = Object.freeze({
  name: "jar-v2",
  parse(bytes: Uint8Array): JarProgram {
    if (bytes.length < JAR_HEADER_SIZE) {
      throw new ProgramError(`JAR blob of ${bytes.length} bytes is shorter than its 10-byte header`, bytes.length);
    }
    if (!isJar(bytes)) throw new ProgramError("not a JAR v2 blob: magic is not 4A 41 52 02", 0);
    const memoryPages = u32(bytes, 4);
    const count = bytes[8];
    const invokeSlot = bytes[9];
    const dataStart = JAR_HEADER_SIZE + JAR_ENTRY_SIZE * count;
    if (dataStart > bytes.length) {
      const hint = JAR_HEADER_SIZE + 14 * count <= bytes.length
        ? " (it would fit 14-byte entries: the successor layout, which is not supported)"
        : "";
      throw new ProgramError(
        `manifest of ${count} entries needs ${dataStart} bytes, blob has ${bytes.length}${hint}`,
        8,
      );
    }
    const dataLength = bytes.length - dataStart;
    const caps: JarCapEntry[] = [];
    const slots = new Set<number>();
    let codeCaps = 0, dataPages = 0;
    for (let i = 0; i < count; i++) {
      const at = JAR_HEADER_SIZE + JAR_ENTRY_SIZE * i;
      const slot = bytes[at], type = bytes[at + 1], accessByte = bytes[at + 10];
      const basePage = u32(bytes, at + 2), pageCount = u32(bytes, at + 6);
      const dataOffset = u32(bytes, at + 11), length = u32(bytes, at + 15);
      if (type > 1) throw new ProgramError(`entry ${i}: cap type ${type} is neither CODE (0) nor DATA (1)`, at + 1);
      if (accessByte > 1) {
        throw new ProgramError(`entry ${i}: access ${accessByte} is neither RO (0) nor RW (1)`, at + 10);
      }
      if (length > 0 && dataOffset + length > dataLength) {
        throw new ProgramError(
          `entry ${i}: bytes [${dataOffset}, ${dataOffset + length}) run past the ${dataLength}-byte data section`,
          at + 11,
        );
      }
      if (slots.has(slot)) throw new ProgramError(`entry ${i}: slot ${slot} is already used by an earlier entry`, at);
      if (JAR_RESERVED_SLOTS.has(slot)) {
        throw new ProgramError(
          `entry ${i}: slot ${slot} is reserved for ${slot === UNTYPED_SLOT ? "UNTYPED" : "a protocol cap"}`,
          at,
        );
      }
      slots.add(slot);
      const view = bytes.subarray(dataStart + dataOffset, dataStart + dataOffset + length);
      const common = { slot, basePage, pageCount, dataOffset, dataLength: length, at, bytes: view };
      if (type === 0) {
        if (++codeCaps > JAR_MAX_CODE_CAPS) {
          throw new ProgramError(`entry ${i}: more than ${JAR_MAX_CODE_CAPS} CODE caps`, at + 1);
        }
        const code = parseJarCode(view, dataStart + dataOffset);
        caps.push({ ...common, kind: "code", access: accessByte ? "rw" : "ro", code });
        continue;
      }
      if (pageCount === 0) throw new ProgramError(`entry ${i}: DATA cap of 0 pages`, at + 6);
      if (basePage + pageCount > PAGE_COUNT) {
        throw new ProgramError(
          `entry ${i}: pages [${basePage}, ${basePage + pageCount}) pass the 4 GiB address space`,
          at + 2,
        );
      }
      if (length > pageCount * 4096) {
        throw new ProgramError(
          `entry ${i}: ${length} bytes of initial data do not fit in ${pageCount} page(s)`,
          at + 15,
        );
      }
      for (const other of caps) {
        if (
          other.kind === "data" && basePage < other.basePage + other.pageCount && other.basePage < basePage + pageCount
        ) {
          throw new ProgramError(`entry ${i}: pages overlap the DATA cap of slot ${other.slot}`, at + 2);
        }
      }
      dataPages += pageCount;
      if (dataPages > memoryPages) {
        throw new ProgramError(`DATA caps need ${dataPages} pages, more than memory_pages = ${memoryPages}`, at + 6);
      }
      caps.push({ ...common, kind: "data", access: accessByte ? "rw" : "ro" });
    }
    const invoke = caps.find((c) => c.slot === invokeSlot);
    if (!invoke || invoke.kind !== "code") {
      throw new ProgramError(`invoke slot ${invokeSlot} does not hold a CODE cap`, 9);
    }
    return { layout: "jar-v2", memoryPages, invokeSlot, caps, dataStart };
  },
});

/**
 * Parse and validate a JAR v2 blob.
 *
 * @throws {ProgramError} naming the offset and the rule broken.
 *
 * @example
 * ```ts
 * import { encodeJar, parseJar } from "./jar.ts";
 * // one CODE cap at slot 64 holding a single trap
 * const code = new Uint8Array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
 * const jar = parseJar(encodeJar({ memoryPages: 0, invokeSlot: 64, caps: [{ slot: 64, kind: "code", bytes: code }] }));
 * console.log(jar.caps[0].kind, jar.caps[0].code?.code.length); // code 1
 * ```
 */
export function parseJar(bytes: Uint8Array, layout: JarLayout = JAR_V2): JarProgram {
  return layout.parse(bytes);
}

/** An entry for {@link encodeJar}. */
export interface JarCapSpec {
  /** Slot in VM 0's table. */
  slot: number;
  /** CODE or DATA. */
  kind: "code" | "data";
  /** DATA: first page of the mapping (default 0). */
  basePage?: number;
  /** DATA: pages (default 0). */
  pageCount?: number;
  /** DATA: initial access (default `ro`). */
  access?: "ro" | "rw";
  /** Initial contents (DATA) or the code sub-blob (CODE). */
  bytes?: Uint8Array;
}

/**
 * Encode a JAR v2 blob: entries in order, their bytes laid out back to back.
 *
 * @example
 * ```ts
 * import { encodeJar } from "./jar.ts";
 * console.log(encodeJar({ memoryPages: 1, invokeSlot: 64, caps: [] }).length); // 10
 * ```
 */
export function encodeJar(spec: { memoryPages: number; invokeSlot: number; caps: readonly JarCapSpec[] }): Uint8Array {
  const total = spec.caps.reduce((n, c) => n + (c.bytes?.length ?? 0), 0);
  const dataStart = JAR_HEADER_SIZE + JAR_ENTRY_SIZE * spec.caps.length;
  const out = new Uint8Array(dataStart + total);
  const view = new DataView(out.buffer);
  out.set(JAR_MAGIC);
  view.setUint32(4, spec.memoryPages >>> 0, true);
  out[8] = spec.caps.length;
  out[9] = spec.invokeSlot;
  let offset = 0;
  spec.caps.forEach((c, i) => {
    const at = JAR_HEADER_SIZE + JAR_ENTRY_SIZE * i;
    const length = c.bytes?.length ?? 0;
    out[at] = c.slot;
    out[at + 1] = c.kind === "code" ? 0 : 1;
    view.setUint32(at + 2, c.basePage ?? 0, true);
    view.setUint32(at + 6, c.pageCount ?? 0, true);
    out[at + 10] = c.access === "rw" ? 1 : 0;
    view.setUint32(at + 11, length > 0 ? offset : 0, true);
    view.setUint32(at + 15, length, true);
    if (c.bytes) out.set(c.bytes, dataStart + offset);
    offset += length;
  });
  return out;
}

/**
 * Encode a CODE sub-blob from bytecode, bitmask and jump table (smallest entry size that fits).
 *
 * @example
 * ```ts
 * import { encodeJarCode } from "./jar.ts";
 * console.log(encodeJarCode({ code: new Uint8Array([0]), bitmask: new Uint8Array([1]) }));
 * // Uint8Array(11) [ 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1 ]
 * ```
 */
export function encodeJarCode(p: { code: Uint8Array; bitmask: Uint8Array; jumpTable?: readonly number[] }): Uint8Array {
  const table = p.jumpTable ?? [];
  const max = table.reduce((m, v) => Math.max(m, v), 0);
  const size = max < 256 ? 1 : max < 65536 ? 2 : max < 1 << 24 ? 3 : 4;
  const out = new Uint8Array(9 + table.length * size + p.code.length + p.bitmask.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, table.length, true);
  out[4] = size;
  view.setUint32(5, p.code.length, true);
  table.forEach((v, i) => {
    for (let k = 0; k < size; k++) out[9 + i * size + k] = Math.floor(v / 2 ** (8 * k)) & 0xff;
  });
  out.set(p.code, 9 + table.length * size);
  out.set(p.bitmask, 9 + table.length * size + p.code.length);
  return out;
}
