/**
 * Instruction encoding shared by the assembler and the disassembler: the text order of
 * each operand class's operands, immediate widths, and the canonical byte layout of an
 * instruction given its operand values and the width of each immediate (spec §5, read
 * backwards). Which class an instruction has comes from the opcode table only.
 *
 * @module
 */
import type { OpcodeInfo, OperandClass } from "./opcodes.ts";

/**
 * One operand's role: a register (`rd` destination, `ra`, `rb` as in spec §5), a 32-bit
 * immediate (`x`, `y`), the 64-bit immediate of `load_imm_64` (`x64`), or a branch
 * target (`target`).
 */
export type OperandRole = "rd" | "ra" | "rb" | "x" | "y" | "x64" | "target";

/**
 * The order in which the text syntax lists each operand class's operands: destination
 * register first, then sources, then immediates, then the target.
 *
 * @example
 * ```ts
 * import { OPERAND_ROLES } from "./_asm_encode.ts";
 * console.log(OPERAND_ROLES.reg_reg_reg); // [ "rd", "ra", "rb" ]
 * ```
 */
export const OPERAND_ROLES: Readonly<Record<OperandClass, readonly OperandRole[]>> = {
  none: [],
  imm: ["x"],
  reg_imm64: ["ra", "x64"],
  imm_imm: ["x", "y"],
  offset: ["target"],
  reg_imm: ["ra", "x"],
  reg_imm_imm: ["ra", "x", "y"],
  reg_imm_offset: ["ra", "x", "target"],
  reg_reg: ["rd", "ra"],
  reg_reg_imm: ["ra", "rb", "x"],
  reg_reg_offset: ["ra", "rb", "target"],
  reg_reg_imm_imm: ["ra", "rb", "x", "y"],
  reg_reg_reg: ["rd", "ra", "rb"],
};

/** Operand values of one instruction plus the byte width of each immediate. */
export interface Fields {
  ra: number;
  rb: number;
  rd: number;
  /** First immediate as a signed 32-bit number. */
  x: number;
  /** Second immediate as a signed 32-bit number. */
  y: number;
  /** The `load_imm_64` value, unsigned. */
  x64: bigint;
  /** Byte widths (0–4) of `x`, `y` and the target offset. */
  wx: number;
  wy: number;
  wt: number;
}

/**
 * Fresh all-zero fields.
 *
 * @example
 * ```ts
 * import { emptyFields } from "./_asm_encode.ts";
 * console.log(emptyFields().wx); // 0
 * ```
 */
export function emptyFields(): Fields {
  return { ra: 0, rb: 0, rd: 0, x: 0, y: 0, x64: 0n, wx: 0, wy: 0, wt: 0 };
}

/**
 * The fewest bytes that hold `value` sign-extended (0 for zero, at most 4), or 5 if it
 * is not a signed 32-bit number.
 *
 * @example
 * ```ts
 * import { signedWidth } from "./_asm_encode.ts";
 * console.log(signedWidth(0), signedWidth(-128), signedWidth(128), signedWidth(-65536)); // 0 1 2 3
 * ```
 */
export function signedWidth(value: number): number {
  if (value === 0) return 0;
  if (value >= -0x80 && value < 0x80) return 1;
  if (value >= -0x8000 && value < 0x8000) return 2;
  if (value >= -0x800000 && value < 0x800000) return 3;
  if (value >= -0x80000000 && value < 0x80000000) return 4;
  return 5;
}

/**
 * True if `value` is what `width` little-endian bytes decode to when sign-extended.
 *
 * @example
 * ```ts
 * import { fitsWidth } from "./_asm_encode.ts";
 * console.log(fitsWidth(255, 1), fitsWidth(-1, 1), fitsWidth(255, 2)); // false true true
 * ```
 */
export function fitsWidth(value: number, width: number): boolean {
  return width >= 0 && width <= 4 && signedWidth(value) <= width;
}

/**
 * Append the low `width` bytes of `value`, little-endian.
 *
 * @example
 * ```ts
 * import { pushLE } from "./_asm_encode.ts";
 * const out: number[] = [];
 * pushLE(out, -2, 3);
 * console.log(out); // [ 254, 255, 255 ]
 * ```
 */
export function pushLE(out: number[], value: number, width: number): void {
  for (let k = 0; k < width; k++) out.push((value >> (8 * k)) & 0xff);
}

/**
 * The bytes of an instruction up to, not including, its target offset (the offset is
 * always last; {@link encode} appends it).
 *
 * @example
 * ```ts
 * import { emptyFields, encodeHead } from "./_asm_encode.ts";
 * import { OPCODE_BY_NAME } from "./opcodes.ts";
 * const f = { ...emptyFields(), rd: 3, ra: 1, rb: 2 };
 * console.log(encodeHead(OPCODE_BY_NAME.get("add_64")!, f)); // [ 200, 33, 3 ]
 * ```
 */
export function encodeHead(info: OpcodeInfo, f: Fields): number[] {
  const out = [info.code];
  const ab = f.ra | (f.rb << 4);
  switch (info.operands) {
    case "none":
    case "offset":
      break;
    case "imm":
      pushLE(out, f.x, f.wx);
      break;
    case "reg_imm64":
      out.push(f.ra);
      for (let k = 0n; k < 64n; k += 8n) out.push(Number((f.x64 >> k) & 0xffn));
      break;
    case "imm_imm":
      out.push(f.wx);
      pushLE(out, f.x, f.wx);
      pushLE(out, f.y, f.wy);
      break;
    case "reg_imm":
      out.push(f.ra);
      pushLE(out, f.x, f.wx);
      break;
    case "reg_imm_imm":
    case "reg_imm_offset":
      out.push(f.ra | (f.wx << 4));
      pushLE(out, f.x, f.wx);
      if (info.operands === "reg_imm_imm") pushLE(out, f.y, f.wy);
      break;
    case "reg_reg":
      out.push(f.rd | (f.ra << 4));
      break;
    case "reg_reg_imm":
      out.push(ab);
      pushLE(out, f.x, f.wx);
      break;
    case "reg_reg_offset":
      out.push(ab);
      break;
    case "reg_reg_imm_imm":
      out.push(ab, f.wx);
      pushLE(out, f.x, f.wx);
      pushLE(out, f.y, f.wy);
      break;
    case "reg_reg_reg":
      out.push(ab, f.rd);
      break;
  }
  return out;
}

/**
 * True if the class ends with a pc-relative target offset.
 *
 * @example
 * ```ts
 * import { hasTarget } from "./_asm_encode.ts";
 * console.log(hasTarget("reg_reg_offset"), hasTarget("reg_imm")); // true false
 * ```
 */
export function hasTarget(operands: OperandClass): boolean {
  return operands === "offset" || operands === "reg_imm_offset" || operands === "reg_reg_offset";
}

/**
 * The whole instruction: {@link encodeHead} followed by the target offset (for classes
 * that have one) in `f.wt` bytes.
 *
 * @example
 * ```ts
 * import { emptyFields, encode } from "./_asm_encode.ts";
 * import { OPCODE_BY_NAME } from "./opcodes.ts";
 * console.log(encode(OPCODE_BY_NAME.get("jump")!, { ...emptyFields(), wt: 1 }, -3)); // [ 40, 253 ]
 * ```
 */
export function encode(info: OpcodeInfo, f: Fields, offset: number): number[] {
  const out = encodeHead(info, f);
  if (hasTarget(info.operands)) pushLE(out, offset, f.wt);
  return out;
}

/**
 * The byte widths the decoder uses for an instruction's immediates and offset, given
 * its class, its argument length ℓ = skip(pc) and its first two argument bytes (spec §5).
 * A width is what `encodeHead`/`encode` need to reproduce those bytes.
 *
 * @example
 * ```ts
 * import { decodedWidths } from "./_asm_encode.ts";
 * // branch_eq_imm with ℓ = 4 and b1 = 0x27: rA = 7, lX = 2, so the offset has 1 byte
 * console.log(decodedWidths("reg_imm_offset", 4, 0x27, 0)); // { wx: 2, wy: 0, wt: 1 }
 * ```
 */
export function decodedWidths(
  operands: OperandClass,
  skip: number,
  b1: number,
  b2: number,
): { wx: number; wy: number; wt: number } {
  switch (operands) {
    case "imm":
      return { wx: restWidth(skip, 0), wy: 0, wt: 0 };
    case "offset":
      return { wx: 0, wy: 0, wt: restWidth(skip, 0) };
    case "imm_imm": {
      const wx = Math.min(4, b1 & 7);
      return { wx, wy: restWidth(skip, wx + 1), wt: 0 };
    }
    case "reg_imm":
    case "reg_reg_imm":
      return { wx: restWidth(skip, 1), wy: 0, wt: 0 };
    case "reg_reg_offset":
      return { wx: 0, wy: 0, wt: restWidth(skip, 1) };
    case "reg_imm_imm":
    case "reg_imm_offset": {
      const wx = Math.min(4, (b1 >> 4) & 7);
      return operands === "reg_imm_imm"
        ? { wx, wy: restWidth(skip, wx + 1), wt: 0 }
        : { wx, wy: 0, wt: restWidth(skip, wx + 1) };
    }
    case "reg_reg_imm_imm": {
      const wx = Math.min(4, b2 & 7);
      return { wx, wy: restWidth(skip, wx + 2), wt: 0 };
    }
    default:
      return { wx: 0, wy: 0, wt: 0 };
  }
}

/** min(4, max(0, ℓ − used)): the width of an immediate that takes the rest of the arguments. */
function restWidth(skip: number, used: number): number {
  return Math.min(4, Math.max(0, skip - used));
}
