/**
 * Instruction decoding exactly as spec §4–§5: skip via the bitmask capped at 24,
 * operands read from the code followed by infinitely many zero bytes, register
 * nibbles clamped to 12, immediates sign-extended, undefined opcodes decoded as trap.
 *
 * @module
 */
import { ISA_V072, type IsaProfile, OPCODE_BY_CODE, type OpcodeInfo } from "./opcodes.ts";

/** Maximum number of argument bytes after an opcode (spec §4.1). */
export const MAX_SKIP = 24;

/** One decoded instruction. Register and immediate fields not used by its class are 0. */
export interface Instruction {
  /** Byte offset of the opcode. */
  pc: number;
  /** 1 + skip(pc): the distance to the next instruction. */
  length: number;
  /** The raw opcode byte (0 past the end of the code). */
  byte: number;
  /** The table row; `trap` for undefined opcodes and positions whose bitmask bit is clear. */
  info: OpcodeInfo;
  /** True if the raw byte was a defined opcode with its bitmask bit set. */
  valid: boolean;
  /** Register rA (spec §5), 0..12. */
  ra: number;
  /** Register rB, 0..12. */
  rb: number;
  /** Register rD (destination of two- and three-register forms), 0..12. */
  rd: number;
  /** First immediate, sign-extended from at most 4 bytes, as a signed 32-bit number. For `load_imm_64`, the low 32 bits (as signed). */
  x: number;
  /** High 32 bits of the 64-bit immediate value X (sign of x, or the real high word for `load_imm_64`). */
  xHi: number;
  /** Second immediate, sign-extended, as a signed 32-bit number. */
  y: number;
  /** Branch or jump target (pc-relative offsets already applied); may be negative or past the code. */
  target: number;
}

/**
 * skip(i) for every position of the code: the distance to the next set bitmask bit,
 * with the bitmask taken as followed by infinitely many ones, capped at 24.
 *
 * @example
 * ```ts
 * import { skipTable } from "./decode.ts";
 * // code of 3 bytes, bitmask 0b001: one instruction at 0 with two argument bytes
 * console.log(skipTable(new Uint8Array([1]), 3)); // Uint8Array [ 2, 1, 0 ]
 * ```
 */
export function skipTable(bitmask: Uint8Array, codeLength: number): Uint8Array {
  const skips = new Uint8Array(codeLength);
  let nextSet = codeLength;
  for (let i = codeLength - 1; i >= 0; i--) {
    skips[i] = Math.min(MAX_SKIP, nextSet - i - 1);
    if ((bitmask[i >> 3] >> (i & 7)) & 1) nextSet = i;
  }
  return skips;
}

/** True if bit `i` of the bitmask is set. */
export function isOpcodePosition(bitmask: Uint8Array, i: number): boolean {
  return ((bitmask[i >> 3] >> (i & 7)) & 1) === 1;
}

const TRAP = OPCODE_BY_CODE[0]!;

/** The code followed by infinitely many zero bytes (ζ). */
function zeta(code: Uint8Array, i: number): number {
  return i < code.length && i >= 0 ? code[i] : 0;
}

/** n-byte little-endian value at pos, sign-extended from bit 8n-1, as a signed 32-bit number. */
function immediate(code: Uint8Array, pos: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v |= zeta(code, pos + k) << (8 * k);
  return n === 0 ? 0 : n === 4 ? v | 0 : (v << (32 - 8 * n)) >> (32 - 8 * n);
}

const clampReg = (nibble: number) => (nibble > 12 ? 12 : nibble);

/**
 * Decode the instruction at `pc`.
 *
 * @param code the code bytes `c`
 * @param skips the result of {@link skipTable}
 * @param bitmask the opcode bitmask `k`
 * @param pc the byte offset; positions at or past the end decode as trap
 * @param profile the ISA numbering (default: Gray Paper v0.7.2)
 *
 * @example
 * ```ts
 * import { decodeInstruction, skipTable } from "./decode.ts";
 * const code = new Uint8Array([200, 0x21, 3]); // add_64 r3 = r1 + r2
 * const bitmask = new Uint8Array([1]);
 * const ins = decodeInstruction(code, skipTable(bitmask, 3), bitmask, 0);
 * console.log(ins.info.name, ins.rd, ins.ra, ins.rb); // add_64 3 1 2
 * ```
 */
export function decodeInstruction(
  code: Uint8Array,
  skips: Uint8Array,
  bitmask: Uint8Array,
  pc: number,
  profile: IsaProfile = ISA_V072,
): Instruction {
  const inCode = pc >= 0 && pc < code.length;
  const skip = inCode ? skips[pc] : 0;
  const byte = zeta(code, pc);
  const canonical = inCode && isOpcodePosition(bitmask, pc) ? profile.canonical[byte] : -1;
  const info = canonical >= 0 ? OPCODE_BY_CODE[canonical]! : TRAP;
  const ins: Instruction = {
    pc,
    length: 1 + skip,
    byte,
    info,
    valid: canonical >= 0,
    ra: 0,
    rb: 0,
    rd: 0,
    x: 0,
    xHi: 0,
    y: 0,
    target: 0,
  };
  const b1 = zeta(code, pc + 1);
  const lo = clampReg(b1 & 15);
  const hi = clampReg(b1 >> 4);
  const l = skip;
  switch (info.operands) {
    case "none":
      break;
    case "imm":
      ins.x = immediate(code, pc + 1, Math.min(4, l));
      break;
    case "reg_imm64":
      ins.ra = lo;
      ins.x = immediate(code, pc + 2, 4);
      ins.xHi = immediate(code, pc + 6, 4);
      break;
    case "imm_imm": {
      const lx = Math.min(4, b1 & 7);
      ins.x = immediate(code, pc + 2, lx);
      ins.y = immediate(code, pc + 2 + lx, Math.min(4, Math.max(0, l - lx - 1)));
      break;
    }
    case "offset":
      ins.target = pc + immediate(code, pc + 1, Math.min(4, l));
      break;
    case "reg_imm":
      ins.ra = lo;
      ins.x = immediate(code, pc + 2, Math.min(4, Math.max(0, l - 1)));
      break;
    case "reg_imm_imm":
    case "reg_imm_offset": {
      ins.ra = lo;
      const lx = Math.min(4, (b1 >> 4) & 7);
      ins.x = immediate(code, pc + 2, lx);
      const second = immediate(code, pc + 2 + lx, Math.min(4, Math.max(0, l - lx - 1)));
      if (info.operands === "reg_imm_imm") ins.y = second;
      else ins.target = pc + second;
      break;
    }
    case "reg_reg":
      ins.rd = lo;
      ins.ra = hi;
      break;
    case "reg_reg_imm":
      ins.ra = lo;
      ins.rb = hi;
      ins.x = immediate(code, pc + 2, Math.min(4, Math.max(0, l - 1)));
      break;
    case "reg_reg_offset":
      ins.ra = lo;
      ins.rb = hi;
      ins.target = pc + immediate(code, pc + 2, Math.min(4, Math.max(0, l - 1)));
      break;
    case "reg_reg_imm_imm": {
      ins.ra = lo;
      ins.rb = hi;
      const lx = Math.min(4, zeta(code, pc + 2) & 7);
      ins.x = immediate(code, pc + 3, lx);
      ins.y = immediate(code, pc + 3 + lx, Math.min(4, Math.max(0, l - lx - 2)));
      break;
    }
    case "reg_reg_reg":
      ins.ra = lo;
      ins.rb = hi;
      ins.rd = clampReg(zeta(code, pc + 2));
      break;
  }
  if (info.operands !== "reg_imm64") ins.xHi = ins.x < 0 ? -1 : 0;
  return ins;
}
