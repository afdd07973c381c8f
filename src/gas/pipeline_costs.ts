/**
 * Per-instruction parameters of the pipeline gas model (spec §14.5): latency in cycles,
 * decode slots, and the execution units used. Keyed by the mnemonics of the one opcode
 * table; a test checks that every instruction has exactly one entry.
 *
 * @module
 */

/** Execution units an instruction occupies: ALU, LOAD, STORE, MUL, DIV. */
export type Units = "none" | "alu" | "load" | "store" | "mul" | "div";

/**
 * How many decode slots an instruction takes. A number, or a choice between two numbers:
 * `overlap` picks the first when a source register is also a destination (P in the spec);
 * `first-source` picks the first when rA is the destination (PS, non-immediate shifts).
 */
export type DecodeSlots = number | readonly ["overlap" | "first-source", number, number];

/** One row: latency (`"branch"` = 1 or 20 by the branch rule), decode slots, units. */
export interface PipelineCost {
  readonly cycles: number | "branch";
  readonly decode: DecodeSlots;
  readonly units: Units;
}

const row = (names: string, cycles: number | "branch", decode: DecodeSlots, units: Units) =>
  names.split(/\s+/).filter(Boolean).map((name) => [name, { cycles, decode, units }] as const);

const P = (a: number, b: number) => ["overlap", a, b] as const;
const PS = (a: number, b: number) => ["first-source", a, b] as const;

const LOADS = "load_u8 load_i8 load_u16 load_i16 load_u32 load_i32 load_u64 " +
  "load_ind_u8 load_ind_i8 load_ind_u16 load_ind_i16 load_ind_u32 load_ind_i32 load_ind_u64";
const STORES = "store_imm_u8 store_imm_u16 store_imm_u32 store_imm_u64 store_u8 store_u16 store_u32 store_u64 " +
  "store_imm_ind_u8 store_imm_ind_u16 store_imm_ind_u32 store_imm_ind_u64 " +
  "store_ind_u8 store_ind_u16 store_ind_u32 store_ind_u64";
const BRANCHES = "branch_eq_imm branch_ne_imm branch_lt_u_imm branch_le_u_imm branch_ge_u_imm branch_gt_u_imm " +
  "branch_lt_s_imm branch_le_s_imm branch_ge_s_imm branch_gt_s_imm " +
  "branch_eq branch_ne branch_lt_u branch_lt_s branch_ge_u branch_ge_s";

/** Loads' and stores' latency under the draft's cache assumption (an L2 hit). */
export const DEFAULT_MEMORY_LATENCY = 25;

/** Cost parameters by mnemonic. */
export const PIPELINE_COSTS: ReadonlyMap<string, PipelineCost> = new Map<string, PipelineCost>([
  ...row("move_reg", 0, 1, "none"),
  ...row("and xor or add_64 sub_64", 1, P(1, 2), "alu"),
  ...row("add_32 sub_32", 2, P(2, 3), "alu"),
  ...row(
    "and_imm xor_imm or_imm add_imm_64 shlo_r_imm_64 shar_r_imm_64 shlo_l_imm_64 rot_r_64_imm reverse_bytes",
    1,
    P(1, 2),
    "alu",
  ),
  ...row("add_imm_32 shlo_r_imm_32 shar_r_imm_32 shlo_l_imm_32 rot_r_32_imm", 2, P(2, 3), "alu"),
  ...row(
    "count_set_bits_64 count_set_bits_32 leading_zero_bits_64 leading_zero_bits_32 " +
      "sign_extend_8 sign_extend_16 zero_extend_16",
    1,
    1,
    "alu",
  ),
  ...row("trailing_zero_bits_64 trailing_zero_bits_32", 2, 1, "alu"),
  ...row("shlo_l_64 shlo_r_64 shar_r_64 rot_l_64 rot_r_64", 1, PS(2, 3), "alu"),
  ...row("shlo_l_32 shlo_r_32 shar_r_32 rot_l_32 rot_r_32", 2, PS(3, 4), "alu"),
  ...row("shlo_l_imm_alt_64 shlo_r_imm_alt_64 shar_r_imm_alt_64 rot_r_64_imm_alt", 1, 3, "alu"),
  ...row("shlo_l_imm_alt_32 shlo_r_imm_alt_32 shar_r_imm_alt_32 rot_r_32_imm_alt", 2, 4, "alu"),
  ...row("set_lt_u set_lt_s set_lt_u_imm set_lt_s_imm set_gt_u_imm set_gt_s_imm", 3, 3, "alu"),
  ...row("cmov_iz cmov_nz", 2, 2, "alu"),
  ...row("cmov_iz_imm cmov_nz_imm", 2, 3, "alu"),
  ...row("max max_u min min_u", 3, P(2, 3), "alu"),
  ...row(LOADS, DEFAULT_MEMORY_LATENCY, 1, "load"),
  ...row(STORES, DEFAULT_MEMORY_LATENCY, 1, "store"),
  ...row(BRANCHES, "branch", 1, "alu"),
  ...row("div_u_32 div_s_32 rem_u_32 rem_s_32 div_u_64 div_s_64 rem_u_64 rem_s_64", 60, 4, "div"),
  ...row("and_inv or_inv", 2, 3, "alu"),
  ...row("xnor", 2, P(2, 3), "alu"),
  ...row("neg_add_imm_64", 2, 3, "alu"),
  ...row("neg_add_imm_32", 3, 4, "alu"),
  ...row("load_imm", 1, 1, "none"),
  ...row("load_imm_64", 1, 2, "none"),
  ...row("mul_64 mul_imm_64", 3, P(1, 2), "mul"),
  ...row("mul_32 mul_imm_32", 4, P(2, 3), "mul"),
  ...row("mul_upper_s_s mul_upper_u_u", 4, 4, "mul"),
  ...row("mul_upper_s_u", 6, 4, "mul"),
  // The PolkaVM 32-bit ISA's variants, priced like the 64-bit forms.
  ...row("mul_upper_s_s_32 mul_upper_u_u_32", 4, 4, "mul"),
  ...row("mul_upper_s_u_32", 6, 4, "mul"),
  ...row("reverse_bytes_32", 1, P(1, 2), "alu"),
  ...row("trap fallthrough", 2, 1, "none"),
  ...row("unlikely", 40, 1, "none"),
  ...row("jump load_imm_jump", 15, 1, "none"),
  ...row("jump_ind load_imm_jump_ind", 22, 1, "none"),
  ...row("ecalli", 100, 4, "alu"),
  // sbrk exists only before 0.8 and the draft gives it no cost; pvmkit prices it like a
  // host call (it is one in all but name), so 0.7.2 programs can be metered under the model.
  ...row("sbrk", 100, 4, "alu"),
  // ecall exists only in the javm profile, which has its own cost model (gas/javm.ts).
  ...row("ecall", 1, 1, "none"),
  // memset exists only in the PolkaVM profiles, which run under the per-instruction model.
  ...row("memset", 1, 1, "none"),
]);
