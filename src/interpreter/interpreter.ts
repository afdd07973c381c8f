/**
 * The reference interpreter: Gray Paper v0.7.2 semantics plus graypaper main #497
 * (a failing memory access still charges its gas).
 *
 * Registers are split into 32-bit words (no BigInt in the loop). Gas is charged once
 * per basic block at entry, for the instructions from the entry pc to the block's end;
 * a mid-block exit refunds the instructions it did not execute, so gas is exact at
 * every exit. When the block cannot be paid in full, the first unaffordable instruction
 * is temporarily replaced by an internal stop opcode, so the loop itself stays free of
 * per-instruction checks.
 *
 * @module
 */
import { type Memory, PAGE_SIZE } from "../memory/memory.ts";
import type { DecodedProgram } from "./predecode.ts";
import {
  bswap32,
  ctz32,
  divS64,
  divU64,
  mul64,
  mulUpper32,
  mulUpperSS,
  mulUpperSU,
  mulUpperUU,
  popcount32,
  remS64,
  remU64,
  rotr64,
  sar64,
  shl64,
  shr64,
} from "./wide.ts";
import { memset } from "./memset.ts";

/** Exit status codes (equal to the GP's inner-PVM outcome codes where those exist). */
export const Status = {
  halt: 0,
  panic: 1,
  fault: 2,
  host: 3,
  oog: 4,
  /** Internal: the instruction budget given to {@link interpret} was used up. */
  paused: 5,
} as const;

/** The mutable machine state the interpreter works on. */
export interface MachineState {
  /** 13 registers as (low, high) 32-bit word pairs: r_i is words 2i, 2i+1. */
  readonly regs: Int32Array;
  /** Program counter. */
  pc: number;
  /** Gas left; a number (the engine keeps any excess over 2^52 aside). */
  gas: number;
  /** Heap pointer for `sbrk` (spec §8.4). */
  heap: number;
  /** Fault address (fault exits) or host-call number (host exits). */
  exitArg: number;
  /**
   * Per-block gas models: the current block is already paid for (the GP 0.8 "gas charged"
   * flag). It survives host calls and page faults, so resuming mid-block does not charge
   * again; it is cleared when a terminator moves on to the next block.
   */
  charged?: boolean;
  /** PolkaVM 32-bit ISA: registers hold sign-extended 32-bit values (read by `memset`). */
  isa32?: boolean;
  /** PolkaVM's `sbrk` convention (returns the new heap end, grows up to a limit); GP's when absent. */
  polkavmHeap?: PolkaVmHeap;
}

/** The heap of a PolkaVM program: `sbrk` grows it from `state.heap` up to `limit`, mapping whole pages. */
export interface PolkaVmHeap {
  /** Highest heap end `sbrk` may reach. */
  readonly limit: number;
  /** The program's page size: the heap is mapped in whole pages of it. */
  readonly pageSize: number;
}

/** What the interpreter charges: per-instruction (default) or per-block, from a GasSchedule. */
export interface InterpreterGas {
  /** Charge whole blocks in advance (0.8 semantics) instead of one unit per instruction. */
  readonly perBlock: boolean;
  /** Per pc: the cost charged on entering there (see GasSchedule). */
  readonly entryCost: Int32Array;
}

/** Bytes accessed by each load and store opcode. */
const ACCESS_SIZE = new Uint8Array(256);
/** 1 for the sign-extending loads. */
const LOAD_SIGNED = new Uint8Array(256);
for (
  const [first, sizes, signed] of [
    [30, [1, 2, 4, 8], [0, 0, 0, 0]], // store_imm_u8..u64
    [52, [1, 1, 2, 2, 4, 4, 8], [0, 1, 0, 1, 0, 1, 0]], // load_u8..load_u64
    [59, [1, 2, 4, 8], [0, 0, 0, 0]], // store_u8..u64
    [70, [1, 2, 4, 8], [0, 0, 0, 0]], // store_imm_ind_u8..u64
    [120, [1, 2, 4, 8], [0, 0, 0, 0]], // store_ind_u8..u64
    [124, [1, 1, 2, 2, 4, 4, 8], [0, 1, 0, 1, 0, 1, 0]], // load_ind_u8..load_ind_u64
  ] as const
) {
  sizes.forEach((n, i) => {
    ACCESS_SIZE[first + i] = n;
    LOAD_SIGNED[first + i] = signed[i];
  });
}

/** `exitArg` of the host exit of an `ecall` (javm profile). */
export const ECALL_EXIT_ARG = 0xffffffff;

/** Internal opcode that stops the loop at a position (never produced by decoding). */
const STOP = 255;
const HALT_ADDRESS = 0xffff0000;

/**
 * Run until an exit. Returns a {@link Status} code; `state` holds the pc of the
 * instruction that exited (for host exits: the `ecalli`), the gas left, the registers,
 * and in `exitArg` the fault address or host-call number.
 *
 * @param budget the most instructions to run before returning `paused` (default: no limit)
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { Memory } from "../memory/memory.ts";
 * import { predecode } from "./predecode.ts";
 * import { interpret, Status } from "./interpreter.ts";
 * // load_imm r7, 42 ; trap
 * const p = predecode(parseBlob(new Uint8Array([0, 0, 4, 51, 7, 42, 0, 0b1001])));
 * const state = { regs: new Int32Array(26), pc: 0, gas: 100, heap: 0, exitArg: 0 };
 * console.log(interpret(p, Memory.create([]), state) === Status.panic, state.regs[14], state.gas); // true 42 98
 * ```
 */
export function interpret(
  program: DecodedProgram,
  memory: Memory,
  state: MachineState,
  budget = Infinity,
  gasModel?: InterpreterGas,
): number {
  const { op, next, cost, ra, rb, rd, x, xh, y, target, jumpTargets } = program;
  const perBlock = gasModel?.perBlock === true;
  const entryCost = gasModel?.entryCost ?? cost;
  let charged = state.charged === true;
  const r = state.regs;
  const jumpCount = jumpTargets.length;
  const rot = memory.rotation;
  let u8 = memory.u8;
  let view = memory.view;
  let perms = memory.permBase;
  let pc = state.pc;
  let gas = state.gas;
  // While a block is only partly paid for, op[stopAt] holds STOP and stopSaved its real opcode.
  let stopAt = -1;
  let stopSaved = 0;
  let stopIsPause = false;
  let status: number = Status.panic;
  let w: number, s: number, al: number, ah: number, bl: number, bh: number, d: number;
  let address: number;

  if (!(pc >= 0 && pc <= program.codeLength)) {
    // Far outside the code: the implicit trap, 1 gas (or out of gas first); per-block
    // models panic on a bad pc without charging.
    if (perBlock) return Status.panic;
    state.gas = gas - 1;
    return gas < 1 ? Status.oog : Status.panic;
  }

  main: for (;;) {
    // ---- block entry ----
    const c = cost[pc]; // instructions from pc to the end of the block
    if (perBlock) {
      // A step budget that is used up pauses before the next block is charged: the charge
      // belongs to the step that executes the block's first instruction.
      if (budget < 1) {
        state.pc = pc;
        state.gas = gas;
        state.charged = charged;
        return Status.paused;
      }
      // Pay the whole block in advance, unless it is paid for already.
      if (!charged) {
        const g = entryCost[pc];
        if (gas < g) {
          state.pc = pc;
          state.gas = gas; // unchanged: out of gas before the block starts
          state.charged = false;
          return Status.oog;
        }
        gas -= g;
        charged = true;
      }
      if (c <= budget) budget -= c;
      else {
        // Stop (pause) at the first instruction the budget does not cover.
        stopAt = pc;
        for (let i = 0; i < budget; i++) stopAt = next[stopAt];
        stopSaved = op[stopAt];
        stopIsPause = true;
        op[stopAt] = STOP;
        budget = 0;
      }
    } else if (c <= gas && c <= budget) {
      gas -= c;
      budget -= c;
    } else {
      const affordable = budget < gas ? budget : gas;
      if (affordable < 1) {
        state.pc = pc;
        // A finished block leaves nothing paid for ahead: the recompiler may take over here.
        state.charged = charged;
        if (gas >= 1) {
          state.gas = gas;
          return Status.paused;
        }
        state.gas = gas - 1; // the GP reports the overdrawn value
        return Status.oog;
      }
      // Pay for `affordable` instructions and plant STOP on the first unpaid one.
      stopAt = pc;
      for (let i = 0; i < affordable; i++) stopAt = next[stopAt];
      stopSaved = op[stopAt];
      stopIsPause = budget < gas;
      op[stopAt] = STOP;
      gas -= affordable;
      budget -= affordable;
    }
    for (;;) {
      const o = op[pc];
      switch (o) {
        case 0: // trap
          status = Status.panic;
          break main;
        case 1: // fallthrough
          pc = next[pc];
          break;
        case 2: // unlikely (0.8 profiles): a hint, no effect; it ends the block in javm
          if (cost[pc] === 1) {
            pc = next[pc];
            break;
          }
          pc = next[pc];
          continue;
        case 3: // ecall (javm): a host exit, told apart from ecalli by its opcode
          state.exitArg = ECALL_EXIT_ARG;
          status = Status.host;
          break main;
        case 10: // ecalli
          state.exitArg = x[pc] >>> 0;
          status = Status.host;
          break main;
        case 20: // load_imm_64
        case 51: // load_imm
          r[ra[pc]] = x[pc];
          r[ra[pc] + 1] = xh[pc];
          pc = next[pc];
          continue;

        // ---- stores: of immediates (30..33 direct, 70..73 indirect) and of registers
        // (59..62 direct, 120..123 indirect) ----
        case 30:
        case 31:
        case 32:
        case 33:
        case 70:
        case 71:
        case 72:
        case 73:
        case 59:
        case 60:
        case 61:
        case 62:
        case 120:
        case 121:
        case 122:
        case 123: {
          const n = ACCESS_SIZE[o];
          let lo: number, hi: number;
          if (o < 59 || (o >= 70 && o < 74)) {
            address = o < 70 ? x[pc] >>> 0 : (r[ra[pc]] + x[pc]) >>> 0;
            lo = y[pc];
            hi = lo >> 31;
          } else {
            address = o < 100 ? x[pc] >>> 0 : (r[rb[pc]] + x[pc]) >>> 0;
            lo = r[ra[pc]];
            hi = r[ra[pc] + 1];
          }
          w = (address + rot) >>> 0;
          if ((u8[perms + (w >>> 12)] & 2) === 0 || (w & 4095) > 4096 - n) {
            status = accessSlow(memory, state, address, n, true);
            if (status >= 0) break main;
            storeSlow(memory, address, n, lo, hi);
          } else if (n === 1) u8[w] = lo;
          else if (n === 2) view.setInt16(w, lo, true);
          else if (n === 4) view.setInt32(w, lo, true);
          else {
            view.setInt32(w, lo, true);
            view.setInt32(w + 4, hi, true);
          }
          pc = next[pc];
          continue;
        }

        // ---- loads: direct (52..58) and indirect (124..130) ----
        case 52:
        case 53:
        case 54:
        case 55:
        case 56:
        case 57:
        case 58:
        case 124:
        case 125:
        case 126:
        case 127:
        case 128:
        case 129:
        case 130: {
          const n = ACCESS_SIZE[o];
          const signed = LOAD_SIGNED[o] === 1;
          address = o < 100 ? x[pc] >>> 0 : (r[rb[pc]] + x[pc]) >>> 0;
          d = ra[pc];
          w = (address + rot) >>> 0;
          if ((u8[perms + (w >>> 12)] & 1) === 0 || (w & 4095) > 4096 - n) {
            status = accessSlow(memory, state, address, n, false);
            if (status >= 0) break main;
            loadSlow(memory, r, address, n, d, signed);
          } else if (n === 1) {
            const v = u8[w];
            r[d] = signed ? (v << 24) >> 24 : v;
            r[d + 1] = signed ? (v << 24) >> 31 : 0;
          } else if (n === 2) {
            const v = signed ? view.getInt16(w, true) : view.getUint16(w, true);
            r[d] = v;
            r[d + 1] = v >> 31;
          } else if (n === 4) {
            const v = view.getInt32(w, true);
            r[d] = v;
            r[d + 1] = signed ? v >> 31 : 0;
          } else {
            r[d] = view.getInt32(w, true);
            r[d + 1] = view.getInt32(w + 4, true);
          }
          pc = next[pc];
          continue;
        }

        // ---- jumps and branches ----
        case 40: // jump
        case 80: // load_imm_jump
          if (o === 80) {
            r[ra[pc]] = x[pc];
            r[ra[pc] + 1] = xh[pc];
          }
          if (target[pc] < 0) {
            status = Status.panic;
            break main;
          }
          pc = target[pc];
          break;
        case 50: // jump_ind
        case 180: { // load_imm_jump_ind: the target uses rB before rA is written
          if (o === 50) address = (r[ra[pc]] + x[pc]) >>> 0;
          else {
            address = (r[rb[pc]] + y[pc]) >>> 0;
            r[ra[pc]] = x[pc];
            r[ra[pc] + 1] = xh[pc];
          }
          if (address === HALT_ADDRESS) {
            status = Status.halt;
            break main;
          }
          s = address / 2 - 1; // jump-table index
          w = address === 0 || (address & 1) !== 0 || s >= program.jumpTableCount
            ? -1
            : s < jumpCount
            ? jumpTargets[s]
            : zeroWidthTableTarget(program);
          if (w < 0) {
            status = Status.panic;
            break main;
          }
          pc = w;
          break;
        }
        case 81:
        case 82:
        case 83:
        case 84:
        case 85:
        case 86:
        case 87:
        case 88:
        case 89:
        case 90:
        case 170:
        case 171:
        case 172:
        case 173:
        case 174:
        case 175: {
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          if (o < 100) {
            bl = x[pc];
            bh = xh[pc];
          } else {
            bl = r[rb[pc]];
            bh = r[rb[pc] + 1];
          }
          const eq = al === bl && ah === bh;
          const ltU = (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0));
          const ltS = ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0));
          let taken: boolean;
          switch (o) {
            case 81:
            case 170:
              taken = eq;
              break;
            case 82:
            case 171:
              taken = !eq;
              break;
            case 83:
            case 172:
              taken = ltU;
              break;
            case 84:
              taken = ltU || eq;
              break;
            case 85:
            case 174:
              taken = !ltU;
              break;
            case 86:
              taken = !ltU && !eq;
              break;
            case 87:
            case 173:
              taken = ltS;
              break;
            case 88:
              taken = ltS || eq;
              break;
            case 89:
            case 175:
              taken = !ltS;
              break;
            default: // 90
              taken = !ltS && !eq;
          }
          if (taken) {
            if (target[pc] < 0) {
              status = Status.panic;
              break main;
            }
            pc = target[pc];
          } else pc = next[pc];
          break;
        }

        // ---- two registers ----
        case 100: // move_reg
          d = rd[pc];
          al = r[ra[pc]];
          r[d + 1] = r[ra[pc] + 1];
          r[d] = al;
          pc = next[pc];
          continue;
        case 101: { // sbrk
          d = rd[pc];
          const result = sbrk(memory, state, r[ra[pc]], r[ra[pc] + 1]);
          r[d] = result;
          r[d + 1] = state.isa32 ? r[d] >> 31 : 0;
          u8 = memory.u8;
          view = memory.view;
          perms = memory.permBase;
          pc = next[pc];
          continue;
        }
        case 102:
        case 103:
        case 104:
        case 105:
        case 106:
        case 107:
        case 108:
        case 109:
        case 110:
        case 111: {
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          let lo: number, hi = 0;
          switch (o) {
            case 102:
              lo = popcount32(al) + popcount32(ah);
              break;
            case 103:
              lo = popcount32(al);
              break;
            case 104:
              lo = ah !== 0 ? Math.clz32(ah) : 32 + Math.clz32(al);
              break;
            case 105:
              lo = Math.clz32(al);
              break;
            case 106:
              lo = al !== 0 ? ctz32(al) : 32 + ctz32(ah);
              break;
            case 107:
              lo = ctz32(al);
              break;
            case 108:
              lo = (al << 24) >> 24;
              hi = lo >> 31;
              break;
            case 109:
              lo = (al << 16) >> 16;
              hi = lo >> 31;
              break;
            case 110:
              lo = al & 0xffff;
              break;
            default: // 111 reverse_bytes
              lo = bswap32(ah);
              hi = bswap32(al);
          }
          r[d] = lo;
          r[d + 1] = hi;
          pc = next[pc];
          continue;
        }

        // ---- two registers + immediate (rA ← f(rB, X)) ----
        case 131: // add_imm_32
          d = ra[pc];
          w = (r[rb[pc]] + x[pc]) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 132: // and_imm
          d = ra[pc];
          s = rb[pc];
          r[d] = r[s] & x[pc];
          r[d + 1] = r[s + 1] & xh[pc];
          pc = next[pc];
          continue;
        case 133: // xor_imm
          d = ra[pc];
          s = rb[pc];
          r[d] = r[s] ^ x[pc];
          r[d + 1] = r[s + 1] ^ xh[pc];
          pc = next[pc];
          continue;
        case 134: // or_imm
          d = ra[pc];
          s = rb[pc];
          r[d] = r[s] | x[pc];
          r[d + 1] = r[s + 1] | xh[pc];
          pc = next[pc];
          continue;
        case 135: // mul_imm_32
          d = ra[pc];
          w = Math.imul(r[rb[pc]], x[pc]);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 136: // set_lt_u_imm
        case 137: // set_lt_s_imm
        case 142: // set_gt_u_imm
        case 143: { // set_gt_s_imm
          d = ra[pc];
          al = r[rb[pc]];
          ah = r[rb[pc] + 1];
          bl = x[pc];
          bh = xh[pc];
          let result: boolean;
          if (o === 136) result = (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0));
          else if (o === 137) result = ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0));
          else if (o === 142) result = (ah >>> 0) > (bh >>> 0) || (ah === bh && (al >>> 0) > (bl >>> 0));
          else result = ah > bh || (ah === bh && (al >>> 0) > (bl >>> 0));
          r[d] = result ? 1 : 0;
          r[d + 1] = 0;
          pc = next[pc];
          continue;
        }
        case 138: // shlo_l_imm_32
          d = ra[pc];
          w = r[rb[pc]] << (x[pc] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 139: // shlo_r_imm_32
          d = ra[pc];
          w = (r[rb[pc]] >>> (x[pc] & 31)) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 140: // shar_r_imm_32
          d = ra[pc];
          w = r[rb[pc]] >> (x[pc] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 141: // neg_add_imm_32
          d = ra[pc];
          w = (x[pc] - r[rb[pc]]) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 144: // shlo_l_imm_alt_32
          d = ra[pc];
          w = x[pc] << (r[rb[pc]] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 145: // shlo_r_imm_alt_32
          d = ra[pc];
          w = (x[pc] >>> (r[rb[pc]] & 31)) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 146: // shar_r_imm_alt_32
          d = ra[pc];
          w = x[pc] >> (r[rb[pc]] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 147: // cmov_iz_imm
        case 148: { // cmov_nz_imm
          s = rb[pc];
          const zero = r[s] === 0 && r[s + 1] === 0;
          if (zero === (o === 147)) {
            d = ra[pc];
            r[d] = x[pc];
            r[d + 1] = xh[pc];
          }
          pc = next[pc];
          continue;
        }
        case 149: { // add_imm_64
          d = ra[pc];
          al = r[rb[pc]];
          ah = r[rb[pc] + 1];
          bl = x[pc];
          const lo = (al + bl) | 0;
          r[d + 1] = (ah + xh[pc] + ((lo >>> 0) < (al >>> 0) ? 1 : 0)) | 0;
          r[d] = lo;
          pc = next[pc];
          continue;
        }
        case 150: // mul_imm_64
          mul64(r, ra[pc], r[rb[pc]], r[rb[pc] + 1], x[pc], xh[pc]);
          pc = next[pc];
          continue;
        case 151: // shlo_l_imm_64
          shl64(r, ra[pc], r[rb[pc]], r[rb[pc] + 1], x[pc] & 63);
          pc = next[pc];
          continue;
        case 152: // shlo_r_imm_64
          shr64(r, ra[pc], r[rb[pc]], r[rb[pc] + 1], x[pc] & 63);
          pc = next[pc];
          continue;
        case 153: // shar_r_imm_64
          sar64(r, ra[pc], r[rb[pc]], r[rb[pc] + 1], x[pc] & 63);
          pc = next[pc];
          continue;
        case 154: { // neg_add_imm_64: X − b
          d = ra[pc];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          al = x[pc];
          const lo = (al - bl) | 0;
          r[d + 1] = (xh[pc] - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
          r[d] = lo;
          pc = next[pc];
          continue;
        }
        case 155: // shlo_l_imm_alt_64
          shl64(r, ra[pc], x[pc], xh[pc], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 156: // shlo_r_imm_alt_64
          shr64(r, ra[pc], x[pc], xh[pc], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 157: // shar_r_imm_alt_64
          sar64(r, ra[pc], x[pc], xh[pc], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 158: // rot_r_64_imm
          rotr64(r, ra[pc], r[rb[pc]], r[rb[pc] + 1], x[pc] & 63);
          pc = next[pc];
          continue;
        case 159: // rot_r_64_imm_alt
          rotr64(r, ra[pc], x[pc], xh[pc], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 160: // rot_r_32_imm
        case 161: { // rot_r_32_imm_alt
          d = ra[pc];
          const v = o === 160 ? r[rb[pc]] : x[pc];
          s = (o === 160 ? x[pc] : r[rb[pc]]) & 31;
          w = s === 0 ? v : (v >>> s) | (v << (32 - s));
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        }

        // ---- three registers: rD ← f(rA, rB) ----
        case 190: // add_32
          d = rd[pc];
          w = (r[ra[pc]] + r[rb[pc]]) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 191: // sub_32
          d = rd[pc];
          w = (r[ra[pc]] - r[rb[pc]]) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 192: // mul_32
          d = rd[pc];
          w = Math.imul(r[ra[pc]], r[rb[pc]]);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 193: // div_u_32
        case 194: // div_s_32
        case 195: // rem_u_32
        case 196: { // rem_s_32
          d = rd[pc];
          al = r[ra[pc]];
          bl = r[rb[pc]];
          if (o === 193) w = bl === 0 ? -1 : (((al >>> 0) / (bl >>> 0)) >>> 0) | 0;
          else if (o === 195) w = bl === 0 ? al : ((al >>> 0) % (bl >>> 0)) | 0;
          else if (o === 194) w = bl === 0 ? -1 : al === -0x80000000 && bl === -1 ? al : (al / bl) | 0;
          else w = bl === 0 ? al : al === -0x80000000 && bl === -1 ? 0 : (al % bl) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        }
        case 197: // shlo_l_32
          d = rd[pc];
          w = r[ra[pc]] << (r[rb[pc]] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 198: // shlo_r_32
          d = rd[pc];
          w = (r[ra[pc]] >>> (r[rb[pc]] & 31)) | 0;
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 199: // shar_r_32
          d = rd[pc];
          w = r[ra[pc]] >> (r[rb[pc]] & 31);
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        case 200: { // add_64
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          const lo = (al + bl) | 0;
          r[d + 1] = (ah + bh + ((lo >>> 0) < (al >>> 0) ? 1 : 0)) | 0;
          r[d] = lo;
          pc = next[pc];
          continue;
        }
        case 201: { // sub_64
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          r[d + 1] = (ah - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
          r[d] = (al - bl) | 0;
          pc = next[pc];
          continue;
        }
        case 202:
        case 203:
        case 204:
        case 205:
        case 206:
        case 213:
        case 214:
        case 215: {
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          switch (o) {
            case 202:
              mul64(r, d, al, ah, bl, bh);
              break;
            case 203:
              if ((ah | bh) === 0 && bl !== 0) {
                r[d] = ((al >>> 0) / (bl >>> 0)) | 0;
                r[d + 1] = 0;
              } else divU64(r, d, al, ah, bl, bh);
              break;
            case 204:
              divS64(r, d, al, ah, bl, bh);
              break;
            case 205:
              if ((ah | bh) === 0 && bl !== 0) {
                r[d] = ((al >>> 0) % (bl >>> 0)) | 0;
                r[d + 1] = 0;
              } else remU64(r, d, al, ah, bl, bh);
              break;
            case 206:
              remS64(r, d, al, ah, bl, bh);
              break;
            case 213:
              mulUpperSS(r, d, al, ah, bl, bh);
              break;
            case 214:
              mulUpperUU(r, d, al, ah, bl, bh);
              break;
            default:
              mulUpperSU(r, d, al, ah, bl, bh);
          }
          pc = next[pc];
          continue;
        }
        case 207: // shlo_l_64
          shl64(r, rd[pc], r[ra[pc]], r[ra[pc] + 1], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 208: // shlo_r_64
          shr64(r, rd[pc], r[ra[pc]], r[ra[pc] + 1], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 209: // shar_r_64
          sar64(r, rd[pc], r[ra[pc]], r[ra[pc] + 1], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 210: // and
        case 211: // xor
        case 212: // or
        case 224: // and_inv
        case 225: // or_inv
        case 226: { // xnor
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          let lo: number, hi: number;
          if (o === 210) (lo = al & bl), (hi = ah & bh);
          else if (o === 211) (lo = al ^ bl), (hi = ah ^ bh);
          else if (o === 212) (lo = al | bl), (hi = ah | bh);
          else if (o === 224) (lo = al & ~bl), (hi = ah & ~bh);
          else if (o === 225) (lo = al | ~bl), (hi = ah | ~bh);
          else (lo = ~(al ^ bl)), (hi = ~(ah ^ bh));
          r[d] = lo;
          r[d + 1] = hi;
          pc = next[pc];
          continue;
        }
        case 216: // set_lt_u
        case 217: { // set_lt_s
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          const lt = o === 216
            ? (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0))
            : ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0));
          r[d] = lt ? 1 : 0;
          r[d + 1] = 0;
          pc = next[pc];
          continue;
        }
        case 218: // cmov_iz
        case 219: { // cmov_nz
          s = rb[pc];
          const zero = r[s] === 0 && r[s + 1] === 0;
          if (zero === (o === 218)) {
            d = rd[pc];
            al = r[ra[pc]];
            r[d + 1] = r[ra[pc] + 1];
            r[d] = al;
          }
          pc = next[pc];
          continue;
        }
        case 220: // rot_l_64
          rotr64(r, rd[pc], r[ra[pc]], r[ra[pc] + 1], (64 - (r[rb[pc]] & 63)) & 63);
          pc = next[pc];
          continue;
        case 222: // rot_r_64
          rotr64(r, rd[pc], r[ra[pc]], r[ra[pc] + 1], r[rb[pc]] & 63);
          pc = next[pc];
          continue;
        case 221: // rot_l_32
        case 223: { // rot_r_32
          d = rd[pc];
          const v = r[ra[pc]];
          s = r[rb[pc]] & 31;
          if (o === 221) s = (32 - s) & 31;
          w = s === 0 ? v : (v >>> s) | (v << (32 - s));
          r[d] = w;
          r[d + 1] = w >> 31;
          pc = next[pc];
          continue;
        }
        case 227: // max
        case 228: // max_u
        case 229: // min
        case 230: { // min_u
          d = rd[pc];
          al = r[ra[pc]];
          ah = r[ra[pc] + 1];
          bl = r[rb[pc]];
          bh = r[rb[pc] + 1];
          const lt = o === 227 || o === 229
            ? ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0))
            : (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0));
          const takeA = o === 227 || o === 228 ? !lt : lt;
          r[d] = takeA ? al : bl;
          r[d + 1] = takeA ? ah : bh;
          pc = next[pc];
          continue;
        }
        // ---- PolkaVM-only instructions ----
        case 240: // memset
          status = memset(memory, state, Status.panic, Status.fault);
          if (status >= 0) break main;
          pc = next[pc];
          continue;
        case 241: // mul_upper_s_s_32
        case 242: // mul_upper_u_u_32
        case 243: // mul_upper_s_u_32
          d = rd[pc];
          r[d] = mulUpper32(o - 241, r[ra[pc]], r[rb[pc]]);
          r[d + 1] = r[d] >> 31;
          pc = next[pc];
          continue;
        case 244: // reverse_bytes_32
          d = rd[pc];
          r[d] = bswap32(r[ra[pc]]);
          r[d + 1] = r[d] >> 31;
          pc = next[pc];
          continue;
        case STOP: {
          // The first instruction of a partly paid block that was not paid for.
          op[stopAt] = stopSaved;
          stopAt = -1;
          state.pc = pc;
          state.charged = charged;
          if (stopIsPause) {
            state.gas = gas;
            return Status.paused;
          }
          state.gas = gas - 1; // the GP reports the overdrawn value
          return Status.oog;
        }
        default:
          // Decoding maps every undefined opcode to trap, so this is unreachable.
          throw new Error(`internal error: opcode ${o} reached the interpreter loop`);
      }
      // Terminators end up here: the next instruction starts a new block.
      charged = false;
      break;
    }
  }

  // A mid-block exit: per instruction, refund the instructions after pc that were paid
  // for at block entry (for terminators, and when a STOP lies ahead, this is exactly
  // zero); per block, the block stays paid for.
  if (!perBlock) gas += cost[pc] - 1 - (stopAt >= 0 ? cost[stopAt] : 0);
  if (stopAt >= 0) op[stopAt] = stopSaved;
  state.pc = pc;
  state.gas = gas;
  state.charged = charged;
  return status;
}

/**
 * The exact check of a memory access that missed the fast path (page crossing,
 * wrap-around, or a permission miss). Returns -1 if the access may proceed,
 * else panic (lowest bad address below 2^16) or fault (with `state.exitArg` set to the
 * page-aligned lowest bad address).
 */
function accessSlow(memory: Memory, state: MachineState, address: number, n: number, write: boolean): number {
  const bad = memory.check(address, n, write);
  if (bad < 0) return -1;
  if (bad < memory.panicBelow) return Status.panic;
  state.exitArg = bad - (bad % PAGE_SIZE);
  return Status.fault;
}

/** Byte-wise load (wrapping mod 2^32) into r[d], r[d + 1]. */
function loadSlow(memory: Memory, r: Int32Array, address: number, n: number, d: number, signed: boolean): void {
  const u8 = memory.u8;
  let lo = 0, hi = 0;
  for (let k = 0; k < n; k++) {
    const byte = u8[memory.wasmAddress(address + k)];
    if (k < 4) lo |= byte << (8 * k);
    else hi |= byte << (8 * (k - 4));
  }
  if (n < 4 && signed) lo = (lo << (32 - 8 * n)) >> (32 - 8 * n);
  if (n < 8) hi = signed ? lo >> 31 : 0;
  r[d] = lo;
  r[d + 1] = hi;
}

/** Byte-wise store (wrapping mod 2^32) of the low n bytes of (lo, hi). */
function storeSlow(memory: Memory, address: number, n: number, lo: number, hi: number): void {
  const u8 = memory.u8;
  for (let k = 0; k < n; k++) {
    u8[memory.wasmAddress(address + k)] = k < 4 ? lo >>> (8 * k) : hi >>> (8 * (k - 4));
  }
}

/** Every entry of a zero-width jump table is offset 0. */
function zeroWidthTableTarget(program: DecodedProgram): number {
  return program.blockStart[0] ? 0 : -1;
}

/**
 * `sbrk` with the heap-pointer convention of spec §8.4: returns the old heap pointer and
 * maps the pages it grows over writable. A request that would pass the top of the 32-bit
 * space, run into pages that are already mapped (the stack, the arguments), or that the
 * host cannot allocate returns 0 and changes nothing.
 */
export function sbrk(memory: Memory, state: MachineState, lo: number, hi: number): number {
  if (state.polkavmHeap) return sbrkPolkaVm(memory, state, state.polkavmHeap, lo);
  const size = lo >>> 0;
  const old = state.heap;
  if (hi !== 0 || old + size > 2 ** 32) return 0;
  if (size === 0) return old;
  const end = old + size;
  const firstPage = Math.ceil(old / PAGE_SIZE);
  const lastPage = Math.ceil(end / PAGE_SIZE);
  for (let p = firstPage; p < lastPage; p++) {
    if (memory.access(p * PAGE_SIZE) !== "none") return 0;
  }
  if (memory.pageCount + (lastPage - firstPage) > memory.maxPages) return 0; // the maxMemoryPages limit
  try {
    if (lastPage > firstPage) memory.map(firstPage * PAGE_SIZE, (lastPage - firstPage) * PAGE_SIZE, "write");
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    memory.map(firstPage * PAGE_SIZE, (lastPage - firstPage) * PAGE_SIZE, "none");
    return 0;
  }
  state.heap = end;
  return old;
}

/**
 * `sbrk` with PolkaVM's convention: grow the heap by the low 32 bits of the size and return
 * the new end (`sbrk 0` returns the current end); a request past the heap's limit returns
 * 0 and changes nothing. Pages are mapped writable, in whole program pages, as the end
 * passes them.
 */
/** Pages of the Wasm memory the permission map and context area take. */
const CONTROL_PAGES = (2 ** 20 + 65536) / PAGE_SIZE;

function sbrkPolkaVm(memory: Memory, state: MachineState, heap: PolkaVmHeap, lo: number): number {
  const end = state.heap + (lo >>> 0);
  if (end > heap.limit) return 0;
  const mappedTo = Math.ceil(state.heap / heap.pageSize) * heap.pageSize;
  const needTo = Math.ceil(end / heap.pageSize) * heap.pageSize;
  if (needTo > mappedTo) {
    const pages = (needTo - mappedTo) / PAGE_SIZE;
    if (memory.pageCount + pages > memory.maxPages) return 0; // the maxMemoryPages limit
    // Mapped pages and the permission map (1 MiB + 64 KiB) must fit in one 4 GiB Wasm memory.
    if (memory.pageCount + pages + CONTROL_PAGES > 2 ** 20) return 0;
    try {
      memory.map(mappedTo, needTo - mappedTo, "write");
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      memory.map(mappedTo, needTo - mappedTo, "none");
      return 0;
    }
  }
  state.heap = end;
  return end;
}
