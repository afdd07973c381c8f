/**
 * The PVM disassembler: program bytes in, assembler source out. The text uses the
 * syntax of `assembler.ts`, and `assemble(disassemble(bytes))` gives back `bytes`
 * exactly, for any blob that parses, however it was encoded.
 *
 * Instructions are printed plainly wherever the assembler's canonical encoding gives
 * the original bytes. Where it does not, the listing says how to get them: an explicit
 * width (`load_imm r0, 0xffff0000:4`) for an immediate or offset stored in more bytes
 * than needed, a `.byte` line for argument bytes the decoder ignores, and a `.raw` line,
 * with the decoded instruction in a comment, for everything else (register nibbles
 * above 12, undefined opcodes, length fields above 4, truncated operands).
 *
 * @module
 */
import { parseBlob, type ProgramBlob } from "../program/blob.ts";
import { ProgramError } from "../program/errors.ts";
import { parseStandardProgram, type StandardProgram } from "../program/spi.ts";
import { ISA_V072, type IsaProfile, OPCODES } from "./opcodes.ts";
import { analyzeCode, type CodeListing, type Unit } from "./_asm_analyze.ts";
import { formatBytes, formatData, formatImm, formatImm64, formatMagnitude } from "./_asm_print.ts";
import { defaultEntrySize } from "./_asm_output.ts";
import { OPERAND_ROLES } from "./_asm_encode.ts";

/** Options for {@link disassemble}. */
export interface DisassembleOptions {
  /** Container format; `auto` (default) tries generic, then SPI, then SPI with metadata. */
  format?: "auto" | "generic" | "spi" | "spi-metadata";
  /**
   * Decode opcode bytes as this ISA profile does (default: every opcode of the table as its
   * own number, with a note on those outside v0.7.2). Bytes the profile numbers differently
   * from the table are listed as `.raw` with the instruction in a comment, so the listing
   * still assembles back to the same bytes.
   */
  isa?: IsaProfile;
}

type Format = "generic" | "spi" | "spi-metadata";

/** Every opcode of the table, each decoded as itself (unlike an ISA profile, `unlikely` included). */
const TABLE_PROFILE: IsaProfile = (() => {
  const canonical = new Int16Array(256).fill(-1);
  const terminator = new Uint8Array(256);
  for (const o of OPCODES) (canonical[o.code] = o.code, terminator[o.code] = o.terminator ? 1 : 0);
  return { name: "table", canonical, raw: canonical, terminator };
})();

/**
 * Disassemble a program into assembler source.
 *
 * @throws {ProgramError} if the bytes are not a program in the given (or any) format.
 *
 * @example
 * ```ts
 * import { disassemble } from "./disassembler.ts";
 * import { assemble } from "./assembler.ts";
 * const bytes = new Uint8Array([0, 0, 5, 51, 7, 42, 50, 0, 9]);
 * const text = disassemble(bytes);
 * console.log(text.trimEnd().split("\n").slice(-2).join("\n"));
 * //     load_imm r7, 42
 * //     jump_ind r0, 0
 * console.log(assemble(text).join() === bytes.join()); // true
 * ```
 */
export function disassemble(bytes: Uint8Array, options: DisassembleOptions = {}): string {
  const { format, standard, blob } = open(bytes, options.format ?? "auto");
  const listing = analyzeCode(blob, options.isa ?? TABLE_PROFILE);
  const out: string[] = [];
  const units = listing.units.length;
  out.push(
    `; ${format} program${
      options.isa ? ` (ISA ${options.isa.name})` : ""
    }: ${blob.code.length} code bytes, ${units} instruction${units === 1 ? "" : "s"}, ` +
      `${blob.jumpTable.count} jump-table entr${blob.jumpTable.count === 1 ? "y" : "ies"}`,
  );
  out.push(`.format ${format}`);
  if (standard) printStandard(out, standard, format);
  printJumpTable(out, blob, listing);
  out.push("");
  printCode(out, blob, listing, options.isa);
  return out.join("\n") + "\n";
}

function open(bytes: Uint8Array, format: DisassembleOptions["format"]): {
  format: Format;
  standard?: StandardProgram;
  blob: ProgramBlob;
} {
  if (format === "generic") return { format, blob: parseBlob(bytes) };
  if (format === "spi" || format === "spi-metadata") {
    const standard = parseStandardProgram(bytes, { metadata: format === "spi-metadata" });
    return { format, standard, blob: standard.blob };
  }
  const failures: ProgramError[] = [];
  for (const candidate of ["generic", "spi", "spi-metadata"] as const) {
    try {
      return open(bytes, candidate);
    } catch (error) {
      if (!(error instanceof ProgramError)) throw error;
      failures.push(error);
    }
  }
  const furthest = failures.reduce((a, b) => (b.offset > a.offset ? b : a));
  throw new ProgramError(
    `not a program in any format: as a generic blob ${failures[0].message}; as SPI ${failures[1].message}; ` +
      `as SPI with metadata ${failures[2].message}`,
    furthest.offset,
  );
}

/** Data lines of at most `chunk` bytes each. */
function dataLines(out: string[], directive: string, bytes: Uint8Array, chunk = 48): void {
  for (let i = 0; i < bytes.length; i += chunk) {
    out.push(`${directive} ${formatData(bytes.subarray(i, i + chunk))}`);
  }
}

function printStandard(out: string[], spi: StandardProgram, format: Format): void {
  if (format === "spi-metadata") dataLines(out, ".metadata", spi.metadata);
  dataLines(out, ".ro_data", spi.readOnly);
  dataLines(out, ".rw_data", spi.readWrite);
  if (spi.heapPages !== 0) out.push(`.heap_pages ${spi.heapPages}`);
  if (spi.stackSize !== 0) out.push(`.stack_size ${formatMagnitude(spi.stackSize)}`);
}

function printJumpTable(out: string[], blob: ProgramBlob, listing: CodeListing): void {
  const { entries } = listing;
  if (blob.jumpTable.entrySize !== defaultEntrySize(entries)) {
    out.push(`.jump_table_entry_size ${blob.jumpTable.entrySize}`);
  }
  for (let i = 0; i < entries.length; i += 8) {
    const names = entries.slice(i, i + 8).map((e) => {
      const at = e < 2n ** 32n ? Number(e) : -1;
      return at >= 0 && at < listing.isLabel.length && listing.isLabel[at] ? `L${at}` : formatMagnitude(e);
    });
    out.push(`.jump_table ${names.join(", ")}`);
  }
}

/** Operand texts of a decoded unit; targets as labels where there is one, widths where they are explicit. */
function operandTexts(unit: Unit, listing: CodeListing | undefined): string[] {
  const f = unit.fields!;
  const roles = OPERAND_ROLES[unit.info!.operands];
  const texts: string[] = [];
  for (let k = 0; k < roles.length; k++) {
    const role = roles[k];
    if (role === "rd" || role === "ra" || role === "rb") {
      texts.push(`r${f[role]}`);
    } else if (role === "x64") {
      texts.push(formatImm64(f.x64));
    } else if (role === "x" || role === "y") {
      const text = formatImm(f[role]);
      const explicit = listing && (role === "x" ? unit.explicitX : unit.explicitY);
      texts.push(explicit ? `${text}:${role === "x" ? f.wx : f.wy}` : text);
    } else {
      const t = unit.target!;
      const text = listing && t >= 0 && t < listing.isLabel.length && listing.isLabel[t] ? `L${t}` : String(t);
      texts.push(listing && unit.explicitTarget ? `${text}:${f.wt}` : text);
    }
  }
  return texts;
}

function instructionText(unit: Unit, listing: CodeListing | undefined): string {
  const ops = operandTexts(unit, listing);
  return ops.length === 0 ? unit.info!.name : `${unit.info!.name} ${ops.join(", ")}`;
}

/** `.byte` lines (32 bytes each), the first with a comment. */
function byteLines(out: string[], bytes: Uint8Array, comment: string): void {
  for (let i = 0; i < bytes.length; i += 32) {
    out.push(`    .byte ${formatBytes(bytes.subarray(i, i + 32))}${i === 0 ? `  ; ${comment}` : ""}`);
  }
}

function printCode(out: string[], blob: ProgramBlob, listing: CodeListing, isa: IsaProfile | undefined): void {
  const { code } = blob;
  const label = (pos: number) => {
    if (!listing.isLabel[pos]) return;
    const entries = listing.entryIndices.get(pos);
    if (!entries) return void out.push(`L${pos}:`);
    const shown = entries.slice(0, 4).map((i) => `${i} (address ${2 * (i + 1)})`).join(", ");
    out.push(
      `L${pos}:  ; jump-table entr${entries.length === 1 ? "y" : "ies"} ${shown}${entries.length > 4 ? ", …" : ""}`,
    );
  };
  if (listing.leading > 0) byteLines(out, code.subarray(0, listing.leading), "code bytes before the first instruction");
  for (const unit of listing.units) {
    label(unit.start);
    if (unit.raw) {
      const first = Math.min(unit.end, unit.start + 24);
      const comment = !unit.info
        ? `undefined opcode ${code[unit.start]}: traps`
        : `= ${instructionText(unit, undefined)} (${
          unit.overrun
            ? "operands run past its bytes"
            : code[unit.start] !== unit.info.code
            ? `opcode byte ${code[unit.start]} in ISA ${isa?.name}`
            : "non-canonical encoding"
        })`;
      out.push(`    .raw ${formatBytes(code.subarray(unit.start, first))}  ; ${comment}`);
      if (first < unit.end) byteLines(out, code.subarray(first, unit.end), "rest of the raw instruction");
      continue;
    }
    const outside = !isa && ISA_V072.canonical[unit.info!.code] < 0 ? "  ; not in ISA 0.7.2: traps there" : "";
    out.push(`    ${instructionText(unit, listing)}${outside}`);
    const extraStart = unit.start + unit.encodedLength;
    if (extraStart < unit.end) {
      const gap = unit.end - unit.start > 25;
      byteLines(
        out,
        code.subarray(extraStart, unit.end),
        gap ? `bitmask gap over 24 bytes: pc ${unit.start + 25} decodes as trap` : "argument bytes the decoder ignores",
      );
    }
  }
  label(code.length);
}
