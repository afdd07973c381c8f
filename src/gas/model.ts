/**
 * Gas cost models. A model is a pure function of the program: the cost of the basic block
 * starting at each pc. It is computed once per program and shared by the interpreter and
 * the recompiler; neither backend computes costs itself.
 *
 * - `per-instruction`: Gray Paper v0.7.2, 1 gas per executed instruction (the default).
 * - `pipeline`: the GP 0.8 draft (PR #508): a block's simulated cost is charged in advance
 *   when it is entered; out of gas leaves gas unchanged at the block start.
 * - `pipeline-vectors`: the same, with the quirks of the gas-model draft vectors
 *   (cmov's destination is not a dependency; falling off the end after a final terminator
 *   charges an implicit trap block).
 *
 * @module
 */
import type { DecodedProgram } from "../interpreter/predecode.ts";
import type { IsaProfile } from "../isa/opcodes.ts";
import { isOpcodePosition } from "../isa/decode.ts";
import type { ProgramBlob } from "../program/blob.ts";
import { PipelineModel } from "./pipeline.ts";
import { JavmCostModel } from "./javm.ts";

/** Names of the gas models. */
export type GasModelName =
  | "per-instruction"
  | "pipeline"
  | "pipeline-vectors"
  | "javm"
  | "javm-50"
  | "javm-75"
  | "javm-100";

/** A gas model's semantics. */
export interface GasModel {
  /** The model's name. */
  readonly name: GasModelName;
  /** True: a block's whole cost is charged in advance at its start (0.8); false: 1 per instruction. */
  readonly perBlock: boolean;
  /** Charge the implicit trap block at |c| when execution falls off the end (the draft vectors). */
  readonly chargeImplicitTrap: boolean;
  /** cmov's destination counts as a source in the pipeline simulation. */
  readonly cmovDestinationIsSource: boolean;
  /** Load/store latency in cycles (default 25, the draft's L2-hit assumption). */
  readonly memoryLatency?: number;
  /**
   * How block costs are simulated: the 0.8 draft's reorder-buffer core (default), or the
   * capability kernel's single in-order pass (`javm`, gas/javm.ts).
   */
  readonly simulation?: "reorder-buffer" | "javm";
}

/**
 * The name of the javm gas model at a memory tier (load/store cycles): `javm` is tier 25.
 *
 * @example
 * ```ts
 * import { javmModelName } from "./model.ts";
 * console.log(javmModelName(25), javmModelName(50)); // javm javm-50
 * ```
 */
export function javmModelName(tier: 25 | 50 | 75 | 100): GasModelName {
  return tier === 25 ? "javm" : `javm-${tier}` as GasModelName;
}

/** The javm model at a memory tier. */
const javm = (tier: 25 | 50 | 75 | 100): [GasModelName, GasModel] => {
  const name = javmModelName(tier);
  return [name, {
    name,
    perBlock: true,
    chargeImplicitTrap: false,
    cmovDestinationIsSource: false,
    memoryLatency: tier,
    simulation: "javm",
  }];
};

/** The known models by name. */
export const GAS_MODELS: ReadonlyMap<GasModelName, GasModel> = new Map<GasModelName, GasModel>([
  ["per-instruction", {
    name: "per-instruction",
    perBlock: false,
    chargeImplicitTrap: false,
    cmovDestinationIsSource: false,
  }],
  ["pipeline", { name: "pipeline", perBlock: true, chargeImplicitTrap: false, cmovDestinationIsSource: true }],
  ["pipeline-vectors", {
    name: "pipeline-vectors",
    perBlock: true,
    chargeImplicitTrap: true,
    cmovDestinationIsSource: false,
  }],
  javm(25),
  javm(50),
  javm(75),
  javm(100),
]);

/**
 * What a backend charges, per pc, computed once per program and model.
 *
 * Per-instruction: `entryCost[pc]` is the number of instructions from pc to the end of its
 * block (charged on entry, with unexecuted ones refunded on an early exit). Per-block:
 * `entryCost[pc]` is the cost of the block containing pc (charged on entry unless the
 * block was already paid for), and `blockCost` holds the cost at each block start.
 */
export interface GasSchedule {
  /** The model this schedule was computed for. */
  readonly model: GasModel;
  /** The model's {@link GasModel.perBlock}. */
  readonly perBlock: boolean;
  /** Per pc: what entering there charges (see above). */
  readonly entryCost: Int32Array;
  /** Cost of the block starting at each ϖ position (and |c| when charged), else 0. */
  readonly blockCost: Int32Array;
}

/**
 * Compute the gas schedule of a program under a model.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { ISA_V072 } from "../isa/opcodes.ts";
 * import { GAS_MODELS, gasSchedule } from "./model.ts";
 * // move_reg r0, r0 ; trap — the pipeline model charges 2 for the block
 * const blob = parseBlob(new Uint8Array([0, 0, 3, 100, 0, 0, 0b101]));
 * const s = gasSchedule(blob, predecode(blob), ISA_V072, GAS_MODELS.get("pipeline")!);
 * console.log(s.blockCost[0]); // 2
 * ```
 */
export function gasSchedule(
  blob: ProgramBlob,
  decoded: DecodedProgram,
  profile: IsaProfile,
  model: GasModel,
): GasSchedule {
  const n = decoded.codeLength;
  if (!model.perBlock) {
    const blockCost = new Int32Array(n + 1);
    for (let pc = 0; pc < n; pc++) if (decoded.blockStart[pc]) blockCost[pc] = decoded.cost[pc];
    return { model, perBlock: false, entryCost: decoded.cost, blockCost };
  }
  if (model.simulation === "javm") return javmSchedule(blob, decoded, profile, model);
  const sim = new PipelineModel(blob, decoded, profile, {
    cmovDestinationIsSource: model.cmovDestinationIsSource,
    memoryLatency: model.memoryLatency,
  });
  const blockCost = new Int32Array(n + 1);
  const entryCost = new Int32Array(n + 1);
  // Walk each block's instructions: every position in it is charged the block's cost.
  for (let start = 0; start < n; start++) {
    if (!decoded.blockStart[start]) continue;
    const cost = sim.blockCost(start);
    blockCost[start] = cost;
    for (let pc = start;; pc = decoded.next[pc]) {
      entryCost[pc] = cost;
      if (decoded.cost[pc] === 1 || decoded.next[pc] >= n) break;
    }
  }
  if (model.chargeImplicitTrap && fallsOffTheEnd(decoded)) {
    blockCost[n] = entryCost[n] = sim.blockCost(n);
  }
  return { model, perBlock: true, entryCost, blockCost };
}

/**
 * The javm schedule: every position of a gas block is charged the block's single-pass cost;
 * an instruction start after a terminator that holds an invalid opcode is still a gas-block
 * start (charged, then it panics).
 */
function javmSchedule(blob: ProgramBlob, decoded: DecodedProgram, profile: IsaProfile, model: GasModel): GasSchedule {
  const n = decoded.codeLength;
  const sim = new JavmCostModel(blob, profile, model.memoryLatency ?? 25);
  const blockCost = new Int32Array(n + 1);
  const entryCost = new Int32Array(n + 1);
  for (let start = 0; start < n; start++) {
    const gasBlockStart = start === 0 || decoded.blockStart[start] === 1 ||
      (isOpcodePosition(blob.bitmask, start) && decoded.op[start] === 0 && afterTerminator(sim, blob, start));
    if (!gasBlockStart) continue;
    const cost = sim.blockCost(start);
    if (decoded.blockStart[start]) blockCost[start] = cost;
    for (let pc = start;; pc = decoded.next[pc]) {
      entryCost[pc] = cost;
      if (decoded.cost[pc] === 1 || decoded.next[pc] >= n) break;
    }
  }
  return { model, perBlock: true, entryCost, blockCost };
}

/** True if a terminator's next instruction is `pc` (only asked for rare invalid positions). */
function afterTerminator(sim: JavmCostModel, blob: ProgramBlob, pc: number): boolean {
  for (let p = Math.max(0, pc - 25); p < pc; p++) {
    if (isOpcodePosition(blob.bitmask, p) && sim.isTerminator(p) && sim.next(p) === pc) return true;
  }
  return false;
}

/** True if some terminator's fall-through position is |c|. */
function fallsOffTheEnd(decoded: DecodedProgram): boolean {
  const n = decoded.codeLength;
  for (let pc = 0; pc < n; pc++) {
    if (decoded.op[pc] !== 0 && decoded.cost[pc] === 1 && decoded.next[pc] === n) return true;
  }
  return false;
}
