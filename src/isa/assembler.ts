/**
 * The PVM assembler: text in, program bytes out (a generic blob, or an SPI program with
 * or without metadata). {@link disassemble} prints the same syntax, and assembling its
 * output gives back the original bytes exactly.
 *
 * ## Lines
 *
 * One statement per line: an instruction or a directive, optionally preceded by one or
 * more labels (`name:`). A comment starts with `;`, `#` or `//` and runs to the end of
 * the line. Blank lines and indentation do not matter.
 *
 * ```text
 * ; fibonacci: r7 = F(r7), then return to the address in r0
 *         load_imm r8, 0            ; F(0)
 *         load_imm r9, 1            ; F(1)
 *         fallthrough               ; a jump target must start a basic block
 * loop:   branch_eq_imm r7, 0, done
 *         add_64 r10, r8, r9        ; r10 = r8 + r9
 *         move_reg r8, r9
 *         move_reg r9, r10
 *         add_imm_64 r7, r7, -1
 *         jump loop
 * done:   move_reg r7, r8
 *         jump_ind r0, 0
 * ```
 *
 * ## Instructions
 *
 * A mnemonic from the opcode table (`opcodes.ts`), then its operands separated by
 * commas. The operand order depends only on the operand class: destination first,
 * then sources, then immediates, then the branch target.
 *
 * | class | operands | example |
 * |---|---|---|
 * | `none` | — | `trap` |
 * | `imm` | imm | `ecalli 3` |
 * | `reg_imm64` | rA, imm64 | `load_imm_64 r8, 0x139408dcbbf7a44` |
 * | `imm_imm` | imm (address), imm (value) | `store_imm_u32 0x20000, 7` |
 * | `offset` | target | `jump loop` |
 * | `reg_imm` | rA, imm | `load_imm r7, 42` |
 * | `reg_imm_imm` | rA, imm, imm | `store_imm_ind_u8 r1, 8, 255` |
 * | `reg_imm_offset` | rA, imm, target | `branch_ne_imm r7, 0, loop` |
 * | `reg_reg` | rD, rA | `move_reg r8, r9` (r8 ← r9) |
 * | `reg_reg_imm` | rA, rB, imm | `add_imm_64 r7, r7, -1` (r7 ← r7 − 1), `load_ind_u8 r2, r1, 4` |
 * | `reg_reg_offset` | rA, rB, target | `branch_lt_u r4, r6, loop` |
 * | `reg_reg_imm_imm` | rA, rB, imm, imm | `load_imm_jump_ind r0, r5, 0, 0` |
 * | `reg_reg_reg` | rD, rA, rB | `add_64 r10, r8, r9` (r10 ← r8 + r9) |
 *
 * - **Registers** are `r0` … `r12`.
 * - **Numbers** are decimal, `0x` hex, `0b` binary or `0o` octal, with an optional
 *   leading `-` and `_` between digits (`1_000_000`), or a constant defined by `.equ`.
 * - **Immediates** are 32-bit values that the machine sign-extends to 64 bits. Any of
 *   −2^31 … 2^32−1 is accepted as a 32-bit pattern (`0xffffffff` is the same as `-1`
 *   and means 2^64−1 at run time), as are the 64-bit sign extensions of negative values
 *   (`0xffffffffffff0000`). `load_imm_64` takes any value in −2^63 … 2^64−1.
 * - **Targets** are a label, or a number taken as an absolute code offset (not relative):
 *   `jump 0` jumps to the start of the code. The machine only accepts jumps to the
 *   start of a basic block: offset 0 or right after a terminator (`trap`,
 *   `fallthrough`, jumps and branches). Put a `fallthrough` before a label that code
 *   also falls into, as in the example above. The assembler does not check this.
 *
 * Each immediate and target offset is encoded in the fewest bytes that hold it
 * sign-extended (zero takes no bytes); target offsets are chosen by relaxation, so
 * short branches stay short. To force a width, append `:N` with N from 0 to 4, as in
 * `load_imm r0, 0xffff0000:4` or `jump loop:4`. The disassembler writes widths only
 * where the original bytes used a non-minimal encoding.
 *
 * ## Directives
 *
 * | directive | meaning |
 * |---|---|
 * | `.format generic` / `spi` / `spi-metadata` | the container (default: `generic`, or SPI when an SPI directive is used, with metadata when `.metadata` is) |
 * | `.metadata BYTES` | append to the metadata that precedes an SPI program |
 * | `.ro_data BYTES` | append to the read-only data (SPI) |
 * | `.rw_data BYTES` | append to the read-write data (SPI) |
 * | `.heap_pages N` | extra zeroed writable 4 KiB pages after the read-write data (SPI, 0 … 65535) |
 * | `.stack_size N` | stack size in bytes (SPI, 0 … 2^24−1) |
 * | `.jump_table T, T, …` | append entries (labels or code offsets) to the dynamic-jump table; entry i is jumped to by address 2(i+1) |
 * | `.jump_table_entry_size N` | bytes per jump-table entry (default: the fewest that hold every entry) |
 * | `.equ NAME, VALUE` | define a constant usable wherever a number is |
 * | `.raw BYTES` | escape: emit bytes as they are, the first one marked as an instruction start |
 * | `.byte BYTES` | escape: emit bytes as they are, none marked as an instruction start |
 *
 * BYTES is a list, separated by commas or spaces, of numbers (one byte each), strings
 * (`"jam\n"`, UTF-8, with `\n \r \t \0 \\ \" \' \xHH` escapes) and hex strings
 * (`hex"00ff 1234"`). A type word `u16`, `u32` or `u64` makes the numbers after it that
 * wide (little-endian) and `u8` switches back: `.rw_data u32 1, 2, 3`.
 *
 * `.raw` and `.byte` let the disassembler reproduce programs whose encoding is not the
 * one this assembler would choose (register nibbles above 12, undefined opcodes, bytes
 * the decoder ignores, long gaps in the bitmask). `.byte` after an instruction extends
 * it: if the instruction's last immediate is shorter than 4 bytes, the extra bytes
 * become part of that immediate.
 *
 * @module
 */
import { ProgramBuilder } from "./_asm_program.ts";
/**
 * An assembly error, with `fileName`, `line`, `column` and `reason`; the message is
 * `file:line:column: reason`.
 *
 * @example
 * ```ts
 * import { assemble, AssemblyError } from "./assembler.ts";
 * try {
 *   assemble("trap\njump nowhere", { fileName: "a.pvmasm" });
 * } catch (error) {
 *   if (error instanceof AssemblyError) console.log(error.message); // a.pvmasm:2:6: undefined label "nowhere"
 * }
 * ```
 */
export { AssemblyError } from "./_asm_error.ts";

/** Options for {@link assemble}. */
export interface AssembleOptions {
  /** The name used in error messages (default `<source>`). */
  fileName?: string;
}

/**
 * Assemble a source text into program bytes (see the module documentation for the
 * syntax).
 *
 * @throws {AssemblyError} naming `file:line:column` and what is wrong.
 *
 * @example
 * ```ts
 * import { assemble } from "./assembler.ts";
 * const bytes = assemble(`
 *         load_imm r7, 42
 *         jump_ind r0, 0   ; halt, with r0 = 0xffff0000
 * `);
 * console.log(bytes); // Uint8Array(9) [ 0, 0, 5, 51, 7, 42, 50, 0, 9 ]
 * ```
 */
export function assemble(source: string, options: AssembleOptions = {}): Uint8Array {
  const builder = new ProgramBuilder(options.fileName ?? "<source>");
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) builder.line(lines[i], i + 1);
  return builder.finish();
}
