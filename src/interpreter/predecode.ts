/**
 * Pre-decoding for the interpreter: every code position decoded once into flat typed
 * arrays, block starts (ϖ) computed, static and dynamic jump targets validated, and the
 * per-position gas cost to the end of the block precomputed.
 *
 * @module
 */
import { decodeInstruction, isOpcodePosition, skipTable } from "../isa/decode.ts";
import { ISA_V072, type IsaProfile } from "../isa/opcodes.ts";
import type { ProgramBlob } from "../program/blob.ts";

/** Flat, pc-indexed decoded form of a program (arrays have |c| + 1 entries; the last is the implicit trap). */
export interface DecodedProgram {
  /** |c|. */
  readonly codeLength: number;
  /** Canonical opcode per position; 0 (trap) where no valid instruction starts. */
  readonly op: Uint8Array;
  /** Register rA ×2 (index of its low word in the split register file). */
  readonly ra: Uint8Array;
  /** Register rB ×2. */
  readonly rb: Uint8Array;
  /** Register rD ×2. */
  readonly rd: Uint8Array;
  /** Immediate X, low word (signed). */
  readonly x: Int32Array;
  /** Immediate X, high word. */
  readonly xh: Int32Array;
  /** Immediate Y (signed 32-bit; its high word is its sign). */
  readonly y: Int32Array;
  /** Static branch target if it is a block start, else -1 (taking the branch panics). */
  readonly target: Int32Array;
  /** Position of the next instruction (pc + 1 + skip). */
  readonly next: Int32Array;
  /** Instructions from this position to the end of its block (terminator included). */
  readonly cost: Int32Array;
  /** 1 where a basic block starts (ϖ). */
  readonly blockStart: Uint8Array;
  /** Dynamic-jump targets: entry i is j[i] if that is a block start, else -1. */
  readonly jumpTargets: Int32Array;
  /** |j|, which may exceed jumpTargets.length only for zero-width tables. */
  readonly jumpTableCount: number;
}

/** Largest zero-width jump table materialised; bigger ones are resolved on the slow path. */
const MAX_MATERIALISED_TABLE = 1 << 20;

/**
 * Decode a program for the interpreter.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "./predecode.ts";
 * const d = predecode(parseBlob(new Uint8Array([0, 0, 1, 1, 1]))); // one fallthrough
 * console.log(d.op[0], d.cost[0], d.blockStart[0]); // 1 1 1
 * ```
 */
export function predecode(blob: ProgramBlob, profile: IsaProfile = ISA_V072): DecodedProgram {
  const { code, bitmask, jumpTable } = blob;
  const n = code.length;
  const skips = skipTable(bitmask, n);
  const op = new Uint8Array(n + 1);
  const ra = new Uint8Array(n + 1);
  const rb = new Uint8Array(n + 1);
  const rd = new Uint8Array(n + 1);
  const x = new Int32Array(n + 1);
  const xh = new Int32Array(n + 1);
  const y = new Int32Array(n + 1);
  const rawTarget = new Float64Array(n + 1);
  const next = new Int32Array(n + 1);
  const valid = new Uint8Array(n + 1);
  const blockStart = new Uint8Array(n + 1);
  const terminator = new Uint8Array(n + 1).fill(1);

  for (let pc = 0; pc < n; pc++) {
    if (!isOpcodePosition(bitmask, pc)) continue;
    const ins = decodeInstruction(code, skips, bitmask, pc, profile);
    next[pc] = pc + ins.length;
    if (!ins.valid) continue;
    valid[pc] = 1;
    op[pc] = ins.info.code;
    terminator[pc] = profile.terminator[ins.info.code];
    ra[pc] = ins.ra * 2;
    rb[pc] = ins.rb * 2;
    rd[pc] = ins.rd * 2;
    x[pc] = ins.x;
    xh[pc] = ins.xHi;
    y[pc] = ins.y;
    rawTarget[pc] = ins.target;
  }

  // ϖ: offset 0 and every position right after a terminator, where a valid instruction starts.
  if (n > 0 && valid[0]) blockStart[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    if (valid[pc] && terminator[pc]) {
      const after = next[pc];
      if (after < n && valid[after]) blockStart[after] = 1;
    }
  }

  const target = new Int32Array(n + 1).fill(-1);
  for (let pc = 0; pc < n; pc++) {
    const t = rawTarget[pc];
    if (valid[pc] && t >= 0 && t < n && blockStart[t]) target[pc] = t;
  }

  // cost[pc]: instructions executed from pc through the end of its block.
  const cost = new Int32Array(n + 1);
  cost[n] = 1;
  for (let pc = n - 1; pc >= 0; pc--) {
    cost[pc] = terminator[pc] ? 1 : 1 + cost[next[pc]];
  }

  const count = jumpTable.count;
  const materialised = jumpTable.entrySize === 0 ? Math.min(count, MAX_MATERIALISED_TABLE) : count;
  const jumpTargets = jumpTable.toArray(materialised);
  for (let i = 0; i < jumpTargets.length; i++) {
    const t = jumpTargets[i];
    jumpTargets[i] = t >= 0 && t < n && blockStart[t] ? t : -1;
  }

  return {
    codeLength: n,
    op,
    ra,
    rb,
    rd,
    x,
    xh,
    y,
    target,
    next,
    cost,
    blockStart,
    jumpTargets,
    jumpTableCount: count,
  };
}
