/**
 * The one opcode table of pvmkit: every PVM instruction with its number, mnemonic,
 * operand class and terminator flag. The decoder, interpreter, disassembler and
 * assembler all read this table; nothing else defines an opcode.
 *
 * Opcode numbers are those of Gray Paper v0.7.2. They double as the *canonical*
 * instruction ids the backends switch on; an {@link IsaProfile} maps the raw bytes of
 * another numbering (such as the 0.8 draft) onto them.
 *
 * @module
 */

/**
 * How an instruction's operand bytes are laid out (spec §5, classes A–M).
 *
 * | class | operands |
 * |---|---|
 * | `none` | — |
 * | `imm` | one immediate |
 * | `reg_imm64` | register + full 8-byte immediate |
 * | `imm_imm` | two immediates |
 * | `offset` | one pc-relative offset |
 * | `reg_imm` | register + immediate |
 * | `reg_imm_imm` | register + two immediates |
 * | `reg_imm_offset` | register + immediate + offset |
 * | `reg_reg` | destination + source register |
 * | `reg_reg_imm` | two registers + immediate |
 * | `reg_reg_offset` | two registers + offset |
 * | `reg_reg_imm_imm` | two registers + two immediates |
 * | `reg_reg_reg` | three registers |
 */
export type OperandClass =
  | "none"
  | "imm"
  | "reg_imm64"
  | "imm_imm"
  | "offset"
  | "reg_imm"
  | "reg_imm_imm"
  | "reg_imm_offset"
  | "reg_reg"
  | "reg_reg_imm"
  | "reg_reg_offset"
  | "reg_reg_imm_imm"
  | "reg_reg_reg";

/** One row of the opcode table. */
export interface OpcodeInfo {
  /** Canonical opcode number (Gray Paper v0.7.2 numbering). */
  readonly code: number;
  /** Mnemonic, as printed by the disassembler and read by the assembler. */
  readonly name: string;
  /** Operand layout. */
  readonly operands: OperandClass;
  /** True if the instruction ends a basic block. */
  readonly terminator: boolean;
}

type Row = readonly [code: number, name: string, operands: OperandClass, terminator?: boolean];

const T = true;

/** The rows, in opcode order. */
const ROWS: readonly Row[] = [
  [0, "trap", "none", T],
  [1, "fallthrough", "none", T],
  // Only defined by the 0.8 draft profiles; absent from v0.7.2 (see isaProfiles).
  [2, "unlikely", "none"],
  // Only defined by the javm profile (capability kernel): management call, operands in registers.
  [3, "ecall", "none", T],
  [10, "ecalli", "imm"],
  [20, "load_imm_64", "reg_imm64"],
  [30, "store_imm_u8", "imm_imm"],
  [31, "store_imm_u16", "imm_imm"],
  [32, "store_imm_u32", "imm_imm"],
  [33, "store_imm_u64", "imm_imm"],
  [40, "jump", "offset", T],
  [50, "jump_ind", "reg_imm", T],
  [51, "load_imm", "reg_imm"],
  [52, "load_u8", "reg_imm"],
  [53, "load_i8", "reg_imm"],
  [54, "load_u16", "reg_imm"],
  [55, "load_i16", "reg_imm"],
  [56, "load_u32", "reg_imm"],
  [57, "load_i32", "reg_imm"],
  [58, "load_u64", "reg_imm"],
  [59, "store_u8", "reg_imm"],
  [60, "store_u16", "reg_imm"],
  [61, "store_u32", "reg_imm"],
  [62, "store_u64", "reg_imm"],
  [70, "store_imm_ind_u8", "reg_imm_imm"],
  [71, "store_imm_ind_u16", "reg_imm_imm"],
  [72, "store_imm_ind_u32", "reg_imm_imm"],
  [73, "store_imm_ind_u64", "reg_imm_imm"],
  [80, "load_imm_jump", "reg_imm_offset", T],
  [81, "branch_eq_imm", "reg_imm_offset", T],
  [82, "branch_ne_imm", "reg_imm_offset", T],
  [83, "branch_lt_u_imm", "reg_imm_offset", T],
  [84, "branch_le_u_imm", "reg_imm_offset", T],
  [85, "branch_ge_u_imm", "reg_imm_offset", T],
  [86, "branch_gt_u_imm", "reg_imm_offset", T],
  [87, "branch_lt_s_imm", "reg_imm_offset", T],
  [88, "branch_le_s_imm", "reg_imm_offset", T],
  [89, "branch_ge_s_imm", "reg_imm_offset", T],
  [90, "branch_gt_s_imm", "reg_imm_offset", T],
  [100, "move_reg", "reg_reg"],
  [101, "sbrk", "reg_reg"],
  [102, "count_set_bits_64", "reg_reg"],
  [103, "count_set_bits_32", "reg_reg"],
  [104, "leading_zero_bits_64", "reg_reg"],
  [105, "leading_zero_bits_32", "reg_reg"],
  [106, "trailing_zero_bits_64", "reg_reg"],
  [107, "trailing_zero_bits_32", "reg_reg"],
  [108, "sign_extend_8", "reg_reg"],
  [109, "sign_extend_16", "reg_reg"],
  [110, "zero_extend_16", "reg_reg"],
  [111, "reverse_bytes", "reg_reg"],
  [120, "store_ind_u8", "reg_reg_imm"],
  [121, "store_ind_u16", "reg_reg_imm"],
  [122, "store_ind_u32", "reg_reg_imm"],
  [123, "store_ind_u64", "reg_reg_imm"],
  [124, "load_ind_u8", "reg_reg_imm"],
  [125, "load_ind_i8", "reg_reg_imm"],
  [126, "load_ind_u16", "reg_reg_imm"],
  [127, "load_ind_i16", "reg_reg_imm"],
  [128, "load_ind_u32", "reg_reg_imm"],
  [129, "load_ind_i32", "reg_reg_imm"],
  [130, "load_ind_u64", "reg_reg_imm"],
  [131, "add_imm_32", "reg_reg_imm"],
  [132, "and_imm", "reg_reg_imm"],
  [133, "xor_imm", "reg_reg_imm"],
  [134, "or_imm", "reg_reg_imm"],
  [135, "mul_imm_32", "reg_reg_imm"],
  [136, "set_lt_u_imm", "reg_reg_imm"],
  [137, "set_lt_s_imm", "reg_reg_imm"],
  [138, "shlo_l_imm_32", "reg_reg_imm"],
  [139, "shlo_r_imm_32", "reg_reg_imm"],
  [140, "shar_r_imm_32", "reg_reg_imm"],
  [141, "neg_add_imm_32", "reg_reg_imm"],
  [142, "set_gt_u_imm", "reg_reg_imm"],
  [143, "set_gt_s_imm", "reg_reg_imm"],
  [144, "shlo_l_imm_alt_32", "reg_reg_imm"],
  [145, "shlo_r_imm_alt_32", "reg_reg_imm"],
  [146, "shar_r_imm_alt_32", "reg_reg_imm"],
  [147, "cmov_iz_imm", "reg_reg_imm"],
  [148, "cmov_nz_imm", "reg_reg_imm"],
  [149, "add_imm_64", "reg_reg_imm"],
  [150, "mul_imm_64", "reg_reg_imm"],
  [151, "shlo_l_imm_64", "reg_reg_imm"],
  [152, "shlo_r_imm_64", "reg_reg_imm"],
  [153, "shar_r_imm_64", "reg_reg_imm"],
  [154, "neg_add_imm_64", "reg_reg_imm"],
  [155, "shlo_l_imm_alt_64", "reg_reg_imm"],
  [156, "shlo_r_imm_alt_64", "reg_reg_imm"],
  [157, "shar_r_imm_alt_64", "reg_reg_imm"],
  [158, "rot_r_64_imm", "reg_reg_imm"],
  [159, "rot_r_64_imm_alt", "reg_reg_imm"],
  [160, "rot_r_32_imm", "reg_reg_imm"],
  [161, "rot_r_32_imm_alt", "reg_reg_imm"],
  [170, "branch_eq", "reg_reg_offset", T],
  [171, "branch_ne", "reg_reg_offset", T],
  [172, "branch_lt_u", "reg_reg_offset", T],
  [173, "branch_lt_s", "reg_reg_offset", T],
  [174, "branch_ge_u", "reg_reg_offset", T],
  [175, "branch_ge_s", "reg_reg_offset", T],
  [180, "load_imm_jump_ind", "reg_reg_imm_imm", T],
  [190, "add_32", "reg_reg_reg"],
  [191, "sub_32", "reg_reg_reg"],
  [192, "mul_32", "reg_reg_reg"],
  [193, "div_u_32", "reg_reg_reg"],
  [194, "div_s_32", "reg_reg_reg"],
  [195, "rem_u_32", "reg_reg_reg"],
  [196, "rem_s_32", "reg_reg_reg"],
  [197, "shlo_l_32", "reg_reg_reg"],
  [198, "shlo_r_32", "reg_reg_reg"],
  [199, "shar_r_32", "reg_reg_reg"],
  [200, "add_64", "reg_reg_reg"],
  [201, "sub_64", "reg_reg_reg"],
  [202, "mul_64", "reg_reg_reg"],
  [203, "div_u_64", "reg_reg_reg"],
  [204, "div_s_64", "reg_reg_reg"],
  [205, "rem_u_64", "reg_reg_reg"],
  [206, "rem_s_64", "reg_reg_reg"],
  [207, "shlo_l_64", "reg_reg_reg"],
  [208, "shlo_r_64", "reg_reg_reg"],
  [209, "shar_r_64", "reg_reg_reg"],
  [210, "and", "reg_reg_reg"],
  [211, "xor", "reg_reg_reg"],
  [212, "or", "reg_reg_reg"],
  [213, "mul_upper_s_s", "reg_reg_reg"],
  [214, "mul_upper_u_u", "reg_reg_reg"],
  [215, "mul_upper_s_u", "reg_reg_reg"],
  [216, "set_lt_u", "reg_reg_reg"],
  [217, "set_lt_s", "reg_reg_reg"],
  [218, "cmov_iz", "reg_reg_reg"],
  [219, "cmov_nz", "reg_reg_reg"],
  [220, "rot_l_64", "reg_reg_reg"],
  [221, "rot_l_32", "reg_reg_reg"],
  [222, "rot_r_64", "reg_reg_reg"],
  [223, "rot_r_32", "reg_reg_reg"],
  [224, "and_inv", "reg_reg_reg"],
  [225, "or_inv", "reg_reg_reg"],
  [226, "xnor", "reg_reg_reg"],
  [227, "max", "reg_reg_reg"],
  [228, "max_u", "reg_reg_reg"],
  [229, "min", "reg_reg_reg"],
  [230, "min_u", "reg_reg_reg"],
  // PolkaVM-only instructions (canonical numbers outside the GP's range; raw bytes come from
  // the PolkaVM profiles below). memset: fill A2 bytes at A0 with the low byte of A1.
  [240, "memset", "none"],
  // The 32-bit ISA's high products and byte reversal: on the low words, result sign-extended.
  [241, "mul_upper_s_s_32", "reg_reg_reg"],
  [242, "mul_upper_u_u_32", "reg_reg_reg"],
  [243, "mul_upper_s_u_32", "reg_reg_reg"],
  [244, "reverse_bytes_32", "reg_reg"],
];

/** First canonical number of the PolkaVM-only rows (no GP profile defines them). */
const POLKAVM_ONLY = 240;

/** Every instruction, in canonical opcode order. */
export const OPCODES: readonly OpcodeInfo[] = ROWS.map(([code, name, operands, terminator]) =>
  Object.freeze({ code, name, operands, terminator: terminator === true })
);

/** Canonical opcode → table row (undefined for numbers no instruction uses). */
export const OPCODE_BY_CODE: readonly (OpcodeInfo | undefined)[] = (() => {
  const byCode: (OpcodeInfo | undefined)[] = new Array(256).fill(undefined);
  for (const info of OPCODES) byCode[info.code] = info;
  return byCode;
})();

/** Mnemonic → table row. */
export const OPCODE_BY_NAME: ReadonlyMap<string, OpcodeInfo> = new Map(
  OPCODES.map((info) => [info.name, info]),
);

/**
 * Canonical opcode numbers by mnemonic, for code that switches on opcodes.
 *
 * @example
 * ```ts
 * import { Op } from "./opcodes.ts";
 * console.log(Op.add_64); // 200
 * ```
 */
export const Op = Object.freeze(Object.fromEntries(OPCODES.map((o) => [o.name, o.code]))) as {
  readonly [name: string]: number;
};

/**
 * An ISA profile: which raw opcode bytes are defined, and which canonical instruction
 * each one means. All profiles are views of the one table above.
 */
export interface IsaProfile {
  /** Profile name, as accepted by `--isa`. */
  readonly name: string;
  /** Raw byte → canonical opcode, or -1 where the byte is not a defined opcode (acts as trap). */
  readonly canonical: Int16Array;
  /** Canonical opcode → raw byte in this profile, or -1 where the profile lacks it. */
  readonly raw: Int16Array;
  /** Canonical opcode → 1 if it ends a basic block in this profile (the table's flag, plus the profile's additions). */
  readonly terminator: Uint8Array;
}

/** Canonical opcodes only the javm profile defines (`ecall`). */
const JAVM_ONLY: ReadonlySet<number> = new Set([3]);

function makeProfile(
  name: string,
  remap: (info: OpcodeInfo) => number,
  options: { javm?: boolean; terminators?: readonly number[] } = {},
): IsaProfile {
  const canonical = new Int16Array(256).fill(-1);
  const raw = new Int16Array(256).fill(-1);
  const terminator = new Uint8Array(256);
  for (const info of OPCODES) {
    if (info.terminator) terminator[info.code] = 1;
    const byte = JAVM_ONLY.has(info.code) && !options.javm ? -1 : remap(info);
    if (byte < 0) continue;
    canonical[byte] = info.code;
    raw[info.code] = byte;
  }
  for (const code of options.terminators ?? []) terminator[code] = 1;
  return Object.freeze({ name, canonical, raw, terminator });
}

/**
 * The Gray Paper v0.7.2 instruction set: the default profile.
 *
 * @example
 * ```ts
 * import { ISA_V072 } from "./opcodes.ts";
 * console.log(ISA_V072.canonical[200]); // 200 (add_64)
 * console.log(ISA_V072.canonical[2]); // -1 (unlikely is not in 0.7.2)
 * ```
 */
export const ISA_V072: IsaProfile = makeProfile("0.7.2", (o) => o.code === 2 || o.code >= POLKAVM_ONLY ? -1 : o.code);

/**
 * The GP 0.8 draft (PR #508): `unlikely` = 2, `sbrk` removed, and the opcodes from
 * `count_set_bits_64` to `reverse_bytes` renumbered from 102–111 to 101–110.
 *
 * @example
 * ```ts
 * import { ISA_V08_DRAFT, OPCODE_BY_CODE } from "./opcodes.ts";
 * console.log(OPCODE_BY_CODE[ISA_V08_DRAFT.canonical[101]]!.name); // count_set_bits_64
 * ```
 */
export const ISA_V08_DRAFT: IsaProfile = makeProfile("0.8-draft", (o) => {
  if (o.code === 101 || o.code >= POLKAVM_ONLY) return -1; // sbrk, PolkaVM-only rows
  return o.code >= 102 && o.code <= 111 ? o.code - 1 : o.code;
});

/**
 * The numbering of the gas-model draft vectors (koute/new-gas-cost-model), which predate
 * PR #508: v0.7.2's numbers, `sbrk` included, plus `unlikely` = 3.
 *
 * @example
 * ```ts
 * import { ISA_GAS_VECTORS, OPCODE_BY_CODE } from "./opcodes.ts";
 * console.log(OPCODE_BY_CODE[ISA_GAS_VECTORS.canonical[3]]!.name); // unlikely
 * ```
 */
export const ISA_GAS_VECTORS: IsaProfile = makeProfile(
  "gas-vectors",
  (o) => (o.code >= POLKAVM_ONLY ? -1 : o.code === 2 ? 3 : o.code),
);

/**
 * PolkaVM's 64-bit ISA (`.polkavm` blob version 0): v0.7.2's numbers plus `memset` = 2.
 *
 * @example
 * ```ts
 * import { ISA_POLKAVM_64, OPCODE_BY_CODE } from "./opcodes.ts";
 * console.log(OPCODE_BY_CODE[ISA_POLKAVM_64.canonical[2]]!.name); // memset
 * ```
 */
export const ISA_POLKAVM_64: IsaProfile = makeProfile("polkavm-64", (o) => {
  if (o.code === 2 || (o.code > POLKAVM_ONLY)) return -1; // no unlikely, no 32-bit variants
  return o.code === POLKAVM_ONLY ? 2 : o.code;
});

/** Canonical opcodes PolkaVM's 32-bit ISA lacks (64-bit-only instructions). */
const ONLY_64 = new Set([
  ...[20, 33, 56, 58, 62, 73, 102, 104, 106, 123, 128, 130, 220, 222],
  ...Array.from({ length: 11 }, (_, i) => 149 + i), // add_imm_64 … rot_r_64_imm_alt
  ...Array.from({ length: 10 }, (_, i) => 200 + i), // add_64 … shar_r_64
]);

/** 32-bit ISA: the raw byte of a GP instruction means its 32-bit variant (canonical number). */
const VARIANT_32: ReadonlyMap<number, number> = new Map([[213, 241], [214, 242], [215, 243], [111, 244]]);

/**
 * PolkaVM's 32-bit ISA (`.polkavm` blob version 1, e.g. DOOM): a subset of v0.7.2's numbers
 * (no 64-bit-only instructions), `memset` = 2, and the bytes of `mul_upper_*` and
 * `reverse_bytes` meaning their 32-bit variants. Registers hold sign-extended 32-bit values.
 *
 * @example
 * ```ts
 * import { ISA_POLKAVM_32, OPCODE_BY_CODE } from "./opcodes.ts";
 * console.log(OPCODE_BY_CODE[ISA_POLKAVM_32.canonical[213]]!.name); // mul_upper_s_s_32
 * console.log(ISA_POLKAVM_32.canonical[200]); // -1 (add_64 is 64-bit only)
 * ```
 */
export const ISA_POLKAVM_32: IsaProfile = makeProfile("polkavm-32", (o) => {
  if (o.code === POLKAVM_ONLY) return 2; // memset
  if (o.code > POLKAVM_ONLY) return [...VARIANT_32].find(([, variant]) => variant === o.code)![0];
  if (o.code === 2 || ONLY_64.has(o.code) || VARIANT_32.has(o.code)) return -1;
  return o.code;
});

/**
 * The javm instruction set of the capability kernel (capability-kernel.md §11): v0.7.2's
 * numbers plus `unlikely` = 2 and `ecall` = 3, without `sbrk`; `unlikely` and `ecalli` end
 * gas blocks.
 *
 * @example
 * ```ts
 * import { ISA_JAVM, OPCODE_BY_CODE } from "./opcodes.ts";
 * console.log(OPCODE_BY_CODE[ISA_JAVM.canonical[3]]!.name, ISA_JAVM.canonical[101]); // ecall -1
 * ```
 */
export const ISA_JAVM: IsaProfile = makeProfile(
  "javm",
  (o) => (o.code === 101 || o.code > 230 ? -1 : o.code), // no sbrk, nothing past the GP's range
  { javm: true, terminators: [2, 10] },
);

/** Known ISA profiles by name. */
export const ISA_PROFILES: ReadonlyMap<string, IsaProfile> = new Map(
  [ISA_V072, ISA_V08_DRAFT, ISA_GAS_VECTORS, ISA_POLKAVM_64, ISA_POLKAVM_32, ISA_JAVM].map((p) => [p.name, p]),
);
