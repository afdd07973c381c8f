/**
 * The javm gas model (capability-kernel.md §10): a gas block (from a block start to its
 * terminator) costs what a single in-order pass over a 4-slot decoder with register
 * readiness gives: `max(max_done − 3, 1)`, or 1 when nothing completes after cycle 3.
 *
 * Register roles come from the raw instruction bytes, not the decoded operands (A = low
 * nibble of byte pc+1, B = its high nibble, D = low nibble of byte pc+2, each clamped to
 * 12, bytes past the code reading as 0), exactly as the model defines them. Loads and
 * stores cost the invocation's memory tier (25/50/75/100 cycles).
 *
 * @module
 */
import { decodeInstruction, isOpcodePosition, skipTable } from "../isa/decode.ts";
import type { IsaProfile, OpcodeInfo } from "../isa/opcodes.ts";
import { Op, OPCODE_BY_CODE } from "../isa/opcodes.ts";
import type { ProgramBlob } from "../program/blob.ts";

type Role = "A" | "B" | "D";
/** Cycles: a number, `M` (memory tier) or `bc` (branch: 1 to a cold target, else 20). */
type Cycles = number | "M" | "bc";
/** Decode slots: a number, or `ov` (x if the destination is a source) / `sh` (x if raw B = raw A). */
type Slots = number | readonly ["ov" | "sh", number, number];

interface JavmCost {
  readonly cycles: Cycles;
  readonly slots: Slots;
  readonly src: readonly Role[];
  readonly dst: readonly Role[];
}

const rows = (names: string, cycles: Cycles, slots: Slots, src: Role[], dst: Role[]) =>
  names.split(/\s+/).filter(Boolean).map((n) => [n, { cycles, slots, src, dst }] as const);
const ov = (x: number, y: number) => ["ov", x, y] as const;
const sh = (x: number, y: number) => ["sh", x, y] as const;

/** Per-mnemonic costs (§10.5). `move_reg` is handled by its own rule. */
const JAVM_COSTS: ReadonlyMap<string, JavmCost> = new Map<string, JavmCost>([
  ...rows("trap fallthrough", 2, 1, [], []),
  ...rows("unlikely", 40, 1, [], []),
  ...rows("ecall", 1, 1, [], []),
  ...rows("ecalli", 100, 4, [], []),
  ...rows("load_imm_64", 1, 2, [], ["A"]),
  ...rows("store_imm_u8 store_imm_u16 store_imm_u32 store_imm_u64", "M", 1, [], []),
  ...rows("jump", 15, 1, [], []),
  ...rows("jump_ind", 22, 1, [], []),
  ...rows("load_imm", 1, 1, [], ["A"]),
  ...rows("load_u8 load_i8 load_u16 load_i16 load_u32 load_i32 load_u64", "M", 1, ["B"], ["A"]),
  ...rows("store_u8 store_u16 store_u32 store_u64", "M", 1, ["A", "B"], []),
  ...rows("store_imm_ind_u8 store_imm_ind_u16 store_imm_ind_u32 store_imm_ind_u64", "M", 1, ["A"], []),
  ...rows("load_imm_jump", 15, 1, [], ["A"]),
  ...rows(
    "branch_eq_imm branch_ne_imm branch_lt_u_imm branch_le_u_imm branch_ge_u_imm branch_gt_u_imm " +
      "branch_lt_s_imm branch_le_s_imm branch_ge_s_imm branch_gt_s_imm",
    "bc",
    1,
    ["A"],
    [],
  ),
  ...rows("move_reg", 0, 1, ["B"], ["A"]),
  ...rows("sbrk", 2, 1, [], []),
  ...rows(
    "count_set_bits_64 count_set_bits_32 leading_zero_bits_64 leading_zero_bits_32 sign_extend_8 sign_extend_16 " +
      "reverse_bytes",
    1,
    1,
    ["B"],
    ["A"],
  ),
  ...rows("trailing_zero_bits_64 trailing_zero_bits_32", 2, 1, ["B"], ["A"]),
  ...rows("zero_extend_16", 1, ov(1, 2), ["B"], ["A"]),
  ...rows("store_ind_u8 store_ind_u16 store_ind_u32 store_ind_u64", "M", 1, ["A", "B"], []),
  ...rows(
    "load_ind_u8 load_ind_i8 load_ind_u16 load_ind_i16 load_ind_u32 load_ind_i32 load_ind_u64",
    "M",
    1,
    ["B"],
    ["A"],
  ),
  ...rows("add_imm_32 shlo_l_imm_32 shlo_r_imm_32 shar_r_imm_32 rot_r_32_imm", 2, ov(2, 3), ["B"], ["A"]),
  ...rows(
    "and_imm xor_imm or_imm add_imm_64 shlo_l_imm_64 shlo_r_imm_64 shar_r_imm_64 rot_r_64_imm",
    1,
    ov(1, 2),
    ["B"],
    ["A"],
  ),
  ...rows("mul_imm_32", 4, ov(2, 3), ["B"], ["A"]),
  ...rows("set_lt_u_imm set_lt_s_imm set_gt_u_imm set_gt_s_imm", 3, 3, ["B"], ["A"]),
  ...rows("neg_add_imm_32", 3, 4, ["B"], ["A"]),
  ...rows("shlo_l_imm_alt_32 shlo_r_imm_alt_32 shar_r_imm_alt_32 rot_r_32_imm_alt", 2, 4, ["B"], ["A"]),
  ...rows("cmov_iz_imm cmov_nz_imm", 2, 3, ["B"], ["A"]),
  ...rows("mul_imm_64", 3, ov(1, 2), ["B"], ["A"]),
  ...rows("neg_add_imm_64", 2, 3, ["B"], ["A"]),
  ...rows("shlo_l_imm_alt_64 shlo_r_imm_alt_64 shar_r_imm_alt_64 rot_r_64_imm_alt", 1, 3, ["B"], ["A"]),
  ...rows("branch_eq branch_ne branch_lt_u branch_lt_s branch_ge_u branch_ge_s", "bc", 1, ["A", "B"], []),
  ...rows("load_imm_jump_ind", 22, 1, ["B"], ["A"]),
  ...rows("add_32 sub_32", 2, ov(2, 3), ["B", "D"], ["A"]),
  ...rows("mul_32", 4, ov(2, 3), ["B", "D"], ["A"]),
  ...rows("div_u_32 div_s_32 rem_u_32 rem_s_32 div_u_64 div_s_64 rem_u_64 rem_s_64", 60, 4, ["B", "D"], ["A"]),
  ...rows("shlo_l_32 shlo_r_32 shar_r_32 rot_l_32 rot_r_32", 2, sh(3, 4), ["B", "D"], ["A"]),
  ...rows("add_64 sub_64 and xor or", 1, ov(1, 2), ["B", "D"], ["A"]),
  ...rows("mul_64", 3, ov(1, 2), ["B", "D"], ["A"]),
  ...rows("shlo_l_64 shlo_r_64 shar_r_64 rot_l_64 rot_r_64", 1, sh(2, 3), ["B", "D"], ["A"]),
  ...rows("mul_upper_s_s mul_upper_u_u", 4, 4, ["B", "D"], ["A"]),
  ...rows("mul_upper_s_u", 6, 4, ["B", "D"], ["A"]),
  ...rows("set_lt_u set_lt_s", 3, 3, ["B", "D"], ["A"]),
  ...rows("cmov_iz cmov_nz", 2, 2, ["B", "D"], ["A"]),
  ...rows("and_inv or_inv", 2, 3, ["B", "D"], ["A"]),
  ...rows("xnor", 2, ov(2, 3), ["B", "D"], ["A"]),
  ...rows("max max_u min min_u", 3, ov(2, 3), ["B", "D"], ["A"]),
]);
const INVALID: JavmCost = { cycles: 1, slots: 1, src: [], dst: [] };

/** The memory tier of an invocation: load/store cycles by the size of its page pool (§10.4). */
export function javmMemoryCycles(memoryPages: number): 25 | 50 | 75 | 100 {
  return memoryPages <= 2048 ? 25 : memoryPages <= 8192 ? 50 : memoryPages <= 65536 ? 75 : 100;
}

/** A program prepared for javm block-cost computation. */
export class JavmCostModel {
  private readonly skips: Uint8Array;

  /** Prepare `blob` under `profile`, with loads and stores costing `memoryCycles`. */
  constructor(
    private readonly blob: ProgramBlob,
    private readonly profile: IsaProfile,
    private readonly memoryCycles: number,
  ) {
    this.skips = skipTable(blob.bitmask, blob.code.length);
  }

  /** True if an instruction starts at pc. */
  private isStart(pc: number): boolean {
    const { code, bitmask } = this.blob;
    return pc >= 0 && pc < code.length && isOpcodePosition(bitmask, pc);
  }

  /** The canonical row at pc: undefined for an invalid opcode or a non-start position. */
  private info(pc: number): OpcodeInfo | undefined {
    if (!this.isStart(pc)) return undefined;
    const canonical = this.profile.canonical[this.blob.code[pc]];
    return canonical < 0 ? undefined : OPCODE_BY_CODE[canonical];
  }

  /** True if the instruction at pc ends a gas block in this profile. */
  isTerminator(pc: number): boolean {
    const info = this.info(pc);
    return info !== undefined && this.profile.terminator[info.code] === 1;
  }

  /** Position of the next instruction. */
  next(pc: number): number {
    return pc + 1 + (pc < this.skips.length ? this.skips[pc] : 0);
  }

  /**
   * Cost of the gas block starting at `start` (also used for a partial block from a
   * resume point: the cost from there to the next terminator).
   *
   * @example
   * ```ts
   * import { JavmCostModel } from "./javm.ts";
   * import { parseJarCode } from "../program/jar.ts";
   * import { ISA_JAVM } from "../isa/opcodes.ts";
   * // load_imm_64 r1, 0x4000 ; load_imm r2, 0 ; ecalli 0 ; trap — minimal.pvm's code
   * const blob = parseJarCode(new Uint8Array([0, 0, 0, 0, 1, 14, 0, 0, 0,
   *   0x14, 1, 0, 0x40, 0, 0, 0, 0, 0, 0, 0x33, 2, 0x0a, 0, 1, 0x34]));
   * console.log(new JavmCostModel(blob, ISA_JAVM, 25).blockCost(0)); // 97
   * ```
   */
  blockCost(start: number): number {
    const code = this.blob.code;
    const n = code.length;
    const byte = (i: number) => (i < n ? code[i] : 0);
    const ready = new Int32Array(13);
    let cycle = 0, used = 0, maxDone = 0;
    for (let pc = start; pc < n; pc = this.next(pc)) {
      const info = this.info(pc);
      const cost = info ? JAVM_COSTS.get(info.name) ?? INVALID : INVALID;
      const rawA = byte(pc + 1) & 15, rawB = byte(pc + 1) >> 4;
      const reg = { A: Math.min(rawA, 12), B: Math.min(rawB, 12), D: Math.min(byte(pc + 2) & 15, 12) };
      const src = cost.src.map((r) => reg[r]);
      const dst = cost.dst.map((r) => reg[r]);
      let slots: number;
      if (typeof cost.slots === "number") slots = cost.slots;
      else if (cost.slots[0] === "ov") slots = dst.some((d) => src.includes(d)) ? cost.slots[1] : cost.slots[2];
      else slots = rawB === rawA ? cost.slots[1] : cost.slots[2];
      if (used >= 4) {
        cycle++;
        used = slots;
      } else used += slots;
      if (info?.name === "move_reg") {
        ready[reg.A] = ready[reg.B];
      } else {
        let begin = cycle;
        for (const s of src) if (ready[s] > begin) begin = ready[s];
        const cycles = cost.cycles === "M"
          ? this.memoryCycles
          : cost.cycles === "bc"
          ? this.branchCycles(pc)
          : cost.cycles;
        const done = begin + cycles;
        for (const d of dst) ready[d] = done;
        if (done > maxDone) maxDone = done;
      }
      if (info && this.profile.terminator[info.code] === 1) break;
    }
    return maxDone > 3 ? maxDone - 3 : 1;
  }

  /** 1 if the branch target is an instruction start holding trap or unlikely, else 20. */
  private branchCycles(pc: number): number {
    const { code, bitmask } = this.blob;
    const target = decodeInstruction(code, this.skips, bitmask, pc, this.profile).target;
    if (!this.isStart(target)) return 20;
    const canonical = this.profile.canonical[code[target]];
    return canonical === Op.trap || canonical === Op.unlikely ? 1 : 20;
  }
}
