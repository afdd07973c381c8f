/**
 * The pipeline gas model (GP 0.8 draft, spec §14.4): the cost of a basic block is found
 * by simulating an out-of-order core — 4 decode slots and 5 starts per cycle, a 32-entry
 * reorder buffer with in-order retirement, and execution units ALU×4, LOAD×4, STORE×4,
 * MUL×1, DIV×1 — over the block's instructions: cost = max(cycles − 3, 1).
 *
 * @module
 */
import { decodeInstruction, skipTable } from "../isa/decode.ts";
import { type IsaProfile, OPCODE_BY_CODE, type OpcodeInfo } from "../isa/opcodes.ts";
import type { DecodedProgram } from "../interpreter/predecode.ts";
import type { ProgramBlob } from "../program/blob.ts";
import { type DecodeSlots, PIPELINE_COSTS, type Units } from "./pipeline_costs.ts";

/** Variants of the model. */
export interface PipelineOptions {
  /** Whether cmov's destination is a source (PR #508: yes; the draft vectors: no). */
  readonly cmovDestinationIsSource: boolean;
  /**
   * Latency of loads and stores in cycles: the cache assumption. The draft fixes it at
   * 25 cycles (an L2 hit, `DEFAULT_MEMORY_LATENCY` in the cost table); PolkaVM also offers L1- and L3-hit
   * models, whose latencies are not in the specification pvmkit follows, so they are not
   * offered by name — pass the latency to model them.
   */
  readonly memoryLatency?: number;
}

// Entry states in the reorder buffer.
const DEC = 0, WAIT = 1, EXE = 2, FIN = 3, RETIRED = 4;
const ROB_SIZE = 32;
const UNIT_INDEX: Record<Units, number> = { none: -1, alu: 0, load: 1, store: 2, mul: 3, div: 4 };
const UNIT_CAPACITY = [4, 4, 4, 1, 1];

/** Registers an instruction reads and writes, independent of runtime values (spec §14.4). */
export function registerRoles(
  info: OpcodeInfo,
  ra: number,
  rb: number,
  rd: number,
  options: PipelineOptions,
): { src: number[]; dst: number[] } {
  const name = info.name;
  const store = name.startsWith("store_");
  switch (info.operands) {
    case "reg_imm64":
      return { src: [], dst: [ra] };
    case "reg_imm":
      if (name === "jump_ind" || store) return { src: [ra], dst: [] };
      return { src: [], dst: [ra] };
    case "reg_imm_imm":
      return { src: [ra], dst: [] };
    case "reg_imm_offset":
      return name === "load_imm_jump" ? { src: [], dst: [ra] } : { src: [ra], dst: [] };
    case "reg_reg":
      return { src: [ra], dst: [rd] };
    case "reg_reg_imm":
      if (store) return { src: [ra, rb], dst: [] };
      if (name.startsWith("cmov_") && options.cmovDestinationIsSource) return { src: [rb, ra], dst: [ra] };
      return { src: [rb], dst: [ra] };
    case "reg_reg_offset":
      return { src: [ra, rb], dst: [] };
    case "reg_reg_imm_imm":
      return { src: [rb], dst: [ra] };
    case "reg_reg_reg":
      if (name.startsWith("cmov_") && options.cmovDestinationIsSource) return { src: [ra, rb, rd], dst: [rd] };
      return { src: [ra, rb], dst: [rd] };
    default:
      return { src: [], dst: [] };
  }
}

function decodeSlots(slots: DecodeSlots, src: number[], dst: number[], ra: number, rd: number): number {
  if (typeof slots === "number") return slots;
  const [rule, a, b] = slots;
  if (rule === "first-source") return ra === rd ? a : b;
  return src.some((r) => dst.includes(r)) ? a : b;
}

/** One cycle-by-cycle record of an instruction in a simulated block (for `--explain`). */
export interface TimelineEntry {
  pc: number;
  name: string;
  decodedAt: number;
  /** Cycle it started executing (-1: no ROB entry, i.e. move_reg). */
  startedAt: number;
  finishedAt: number;
  retiredAt: number;
}

/** A program prepared for cost simulation. */
export class PipelineModel {
  private readonly skips: Uint8Array;
  private readonly unlikelyByte: number;

  constructor(
    private readonly blob: ProgramBlob,
    private readonly decoded: DecodedProgram,
    private readonly profile: IsaProfile,
    private readonly options: PipelineOptions,
  ) {
    this.skips = skipTable(blob.bitmask, blob.code.length);
    this.unlikelyByte = profile.raw[2];
  }

  private zeta(i: number): number {
    const code = this.blob.code;
    return i >= 0 && i < code.length ? code[i] : 0;
  }

  /**
   * The cost of the block starting at `start`: simulate until its terminator retires.
   * With `timeline`, the per-instruction record is filled in.
   */
  blockCost(start: number, timeline?: TimelineEntry[]): number {
    const { decoded: p, options } = this;
    const n = p.codeLength;
    // Reorder buffer (grows with the block; entries before `head` are retired).
    const state: number[] = [], left: number[] = [], unit: number[] = [], deps: number[][] = [];
    const producer = new Int32Array(13).fill(-1);
    const free = UNIT_CAPACITY.slice();
    let head = 0;
    let pc = start;
    let cycles = 0, decodeLeft = 4, startLeft = 5;
    const entryOf: number[] = []; // timeline index per ROB entry
    for (;;) {
      // 1. Decode.
      if (pc >= 0 && state.length - head < ROB_SIZE) {
        const o = pc < n ? p.op[pc] : 0;
        const info = OPCODE_BY_CODE[o]!;
        const cost = PIPELINE_COSTS.get(info.name)!;
        const ra = p.ra[Math.min(pc, n)] >> 1, rb = p.rb[Math.min(pc, n)] >> 1, rd = p.rd[Math.min(pc, n)] >> 1;
        const { src, dst } = registerRoles(info, ra, rb, rd, options);
        const slots = decodeSlots(cost.decode, src, dst, ra, rd);
        if (slots <= decodeLeft) {
          if (info.name === "move_reg") {
            producer[dst[0]] = producer[src[0]];
            timeline?.push({ pc, name: info.name, decodedAt: cycles, startedAt: -1, finishedAt: -1, retiredAt: -1 });
          } else {
            const d: number[] = [];
            for (const r of src) if (producer[r] >= 0) d.push(producer[r]);
            const index = state.length;
            for (const r of dst) producer[r] = index;
            state.push(DEC);
            const memory = cost.units === "load" || cost.units === "store";
            left.push(
              cost.cycles === "branch"
                ? this.branchCycles(pc)
                : memory && options.memoryLatency !== undefined
                ? options.memoryLatency
                : cost.cycles,
            );
            unit.push(UNIT_INDEX[cost.units]);
            deps.push(d);
            if (timeline) {
              entryOf[index] = timeline.length;
              timeline.push({ pc, name: info.name, decodedAt: cycles, startedAt: -1, finishedAt: -1, retiredAt: -1 });
            }
          }
          decodeLeft -= slots;
          pc = info.terminator || pc >= n ? -1 : p.next[pc];
          continue;
        }
      }
      // 2. Start the lowest waiting entry whose units are free and whose inputs are ready.
      if (startLeft > 0) {
        let started = false;
        for (let j = head; j < state.length; j++) {
          if (state[j] !== WAIT) continue;
          const u = unit[j];
          // Every unit-using instruction also takes an ALU (L, S, M, D = ALU + that unit).
          if (u >= 0 && (free[0] < 1 || (u > 0 && free[u] < 1))) continue;
          if (!deps[j].every((k) => left[k] === 0)) continue;
          state[j] = EXE;
          if (u >= 0) {
            free[0]--;
            if (u > 0) free[u]--;
          }
          startLeft--;
          started = true;
          if (timeline) timeline[entryOf[j]].startedAt = cycles;
          break;
        }
        if (started) continue;
      }
      // 3. Done when the terminator is decoded and everything retired.
      if (pc < 0 && head === state.length) break;
      // 4. Advance a cycle.
      cycles++;
      decodeLeft = 4;
      startLeft = 5;
      let retiring = true;
      for (let j = head; j < state.length; j++) {
        const s = state[j];
        if (s === EXE && left[j] === 1) {
          const u = unit[j];
          if (u >= 0) {
            free[0]++;
            if (u > 0) free[u]++;
          }
        }
        if (retiring && s === FIN) {
          state[j] = RETIRED;
          head = j + 1;
          if (timeline) timeline[entryOf[j]].retiredAt = cycles;
          continue;
        }
        retiring = false;
        if (s === DEC) state[j] = WAIT;
        else if (s === EXE) {
          if (left[j] === 0) {
            state[j] = FIN;
            if (timeline) timeline[entryOf[j]].finishedAt = cycles;
          } else left[j]--;
        }
      }
    }
    return Math.max(cycles - 3, 1);
  }

  /** Branch latency: 1 if the fall-through or target byte is trap or unlikely, else 20. */
  private branchCycles(pc: number): number {
    const { blob, profile } = this;
    const ins = decodeInstruction(blob.code, this.skips, blob.bitmask, pc, profile);
    const cold = (b: number) => b === 0 || b === this.unlikelyByte;
    return cold(this.zeta(pc + ins.length)) || cold(this.zeta(ins.target)) ? 1 : 20;
  }
}
