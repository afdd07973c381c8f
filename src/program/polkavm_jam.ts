/**
 * JAM services shipped as `.polkavm` files (such as those built with the JamBrains SDK): the
 * container turned into a GP standard program (SPI with metadata) that runs through the
 * same JAM invocations and host functions as any other service. Their `ecalli N` already
 * means JAM host call N (the SDK pins its imports to those indices).
 *
 * The conversion keeps the code byte for byte behind a 10-byte prologue: at pc 0 a jump
 * to the refine (or is-authorized) export, at pc 5 a jump to the accumulate export, the
 * GP's entry points. Static branches are pc-relative and stay valid; jump-table entries
 * move by the prologue's length. PolkaVM's RW address equals the GP's (both put it 64 KiB
 * after the 64 KiB-aligned read-only data), so data addresses stay valid too.
 *
 * @module
 */
import { concatBytes, encodeBlob, type ProgramBlob } from "./blob.ts";
import { ProgramError } from "./errors.ts";
import { isOpcodePosition } from "../isa/decode.ts";
import type { PolkaVmProgram } from "./polkavm.ts";
import { encodeVarint } from "./reader.ts";
import { Z_P } from "./spi.ts";

/** Which exports the GP entry points jump to (an absent one traps). */
export interface JamEntryExports {
  /** Entry at pc 0: refine, or is-authorized for an authorizer. */
  pc0?: string;
  /** Entry at pc 5: accumulate. */
  pc5?: string;
}

const PROLOGUE = 10;

/**
 * Convert a `.polkavm` JAM service into a standard program with metadata (the bytes
 * `accumulate`, `refine` and `isAuthorized` take as `code`).
 *
 * @throws {ProgramError} if an entry names an export the program lacks, or the program is
 * 32-bit (JAM services use the 64-bit ISA).
 *
 * @example
 * ```ts
 * import { encodePolkaVm, parsePolkaVm } from "./polkavm.ts";
 * import { polkaVmToStandard } from "./polkavm_jam.ts";
 * import { parseStandardProgram } from "./spi.ts";
 * // a 64-bit program exporting "acc" at pc 0: jump_ind r0, 0 (return)
 * const p = parsePolkaVm(encodePolkaVm({ version: 0, exports: [{ name: "acc", pc: 0 }], code: new Uint8Array([0, 0, 2, 50, 0, 1]) }));
 * const spi = parseStandardProgram(polkaVmToStandard(p, { pc5: "acc" }), { metadata: true });
 * console.log(spi.blob.code.length, [...spi.blob.code.subarray(5, 10)]); // 12 [ 40, 5, 0, 0, 0 ]
 * ```
 */
export function polkaVmToStandard(program: PolkaVmProgram, entries: JamEntryExports): Uint8Array {
  if (program.bits !== 64) throw new ProgramError("a JAM service must use the 64-bit ISA (ISA byte 0)", 4);
  const pcOf = (name: string | undefined): number | undefined => {
    if (name === undefined) return undefined;
    const found = program.exports.find((e) => e.name === name);
    if (!found) {
      throw new ProgramError(`no export "${name}" (exports: ${program.exports.map((e) => e.name).join(", ")})`, 0);
    }
    return found.pc;
  };
  const blob = withPrologue(program.blob, [pcOf(entries.pc0), pcOf(entries.pc5)]);
  // RO data padded to its declared size; RW payload as is, the rest of RW (.bss) as zero pages.
  const ro = new Uint8Array(program.roDataSize);
  ro.set(program.roData);
  const rwPages = Math.ceil(program.rwDataSize / Z_P);
  const heapPages = rwPages - Math.ceil(program.rwData.length / Z_P);
  const u24 = (n: number, what: string) => {
    if (n >= 1 << 24) throw new ProgramError(`${what} ${n} does not fit a standard program's 3-byte field`, 0);
    return [n & 255, (n >> 8) & 255, n >> 16];
  };
  const metadata = new TextEncoder().encode("converted from .polkavm");
  const parts = [
    encodeVarint(metadata.length),
    metadata,
    new Uint8Array([
      ...u24(ro.length, "ro data size"),
      ...u24(program.rwData.length, "rw data size"),
      heapPages & 255,
      heapPages >> 8,
      ...u24(program.stackSize, "stack size"),
    ]),
    ro,
    program.rwData,
    new Uint8Array(4),
    blob,
  ];
  const out = concatBytes(parts);
  const codeAt = out.length - blob.length - 4;
  new DataView(out.buffer).setUint32(codeAt, blob.length, true);
  return out;
}

/** The generic blob with a jump at pc 0 and at pc 5 to the given original pcs (undefined: trap). */
function withPrologue(blob: ProgramBlob, targets: readonly (number | undefined)[]): Uint8Array {
  const n = blob.code.length;
  const code = new Uint8Array(PROLOGUE + n);
  targets.forEach((target, i) => {
    const at = 5 * i;
    if (target === undefined) return; // trap (opcode 0) with four ignored bytes
    code[at] = 40; // jump
    new DataView(code.buffer).setInt32(at + 1, PROLOGUE + target - at, true);
  });
  code.set(blob.code, PROLOGUE);
  const bitmask = new Uint8Array(Math.ceil((PROLOGUE + n) / 8));
  bitmask[0] = 1 | (1 << 5);
  for (let pc = 0; pc < n; pc++) {
    if (isOpcodePosition(blob.bitmask, pc)) bitmask[(pc + PROLOGUE) >> 3] |= 1 << ((pc + PROLOGUE) & 7);
  }
  const table = Array.from(blob.jumpTable.toArray(), (entry) => PROLOGUE + entry);
  return encodeBlob({ code, bitmask, jumpTable: table });
}
