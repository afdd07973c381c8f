/**
 * A CODE cap's program, prepared once per invocation: decoded for the interpreter with
 * the javm profile, its gas schedule under the invocation's memory tier, and compiled
 * Wasm fetched from the recompiler's content-addressed cache (so CREATE never compiles,
 * and a second invocation of the same code does not compile either).
 *
 * @module
 */
import { GAS_MODELS, type GasSchedule, gasSchedule, javmModelName } from "../gas/model.ts";
import { JavmCostModel } from "../gas/javm.ts";
import { type DecodedProgram, predecode } from "../interpreter/predecode.ts";
import { ISA_JAVM } from "../isa/opcodes.ts";
import type { ProgramBlob } from "../program/blob.ts";
import { compile, type CompiledCode } from "../recompiler/runtime.ts";

/** A CODE cap's program. */
export class CodeImage {
  /** Pre-decoded form. */
  readonly decoded: DecodedProgram;
  /** Gas blocks and their costs. */
  readonly gas: GasSchedule;
  /** For partial-block charges on RESUME. */
  readonly costs: JavmCostModel;
  private readonly compiledByRotation = new Map<number, CompiledCode>();

  /** Decode the sub-blob and compute its gas schedule for the memory tier. */
  constructor(
    /** CODE id in the invocation (0..4). */
    readonly id: number,
    /** The code sub-blob. */
    readonly blob: ProgramBlob,
    /** Load/store cycles of the invocation's memory tier. */
    readonly tier: 25 | 50 | 75 | 100,
  ) {
    this.decoded = predecode(blob, ISA_JAVM);
    this.gas = gasSchedule(blob, this.decoded, ISA_JAVM, GAS_MODELS.get(javmModelName(tier))!);
    this.costs = new JavmCostModel(blob, ISA_JAVM, tier);
  }

  /** True if both backends charge the gas block on entering `pc` (a valid block start). */
  chargesOnEntry(pc: number): boolean {
    return pc < this.decoded.codeLength && this.decoded.blockStart[pc] === 1;
  }

  /** Compiled Wasm for a guest memory rotation (from the recompiler's cache when present). */
  compiled(rotation: number): CompiledCode {
    let code = this.compiledByRotation.get(rotation);
    if (!code) {
      code = compile(this.decoded, this.blob, {
        rotation,
        costModel: `${ISA_JAVM.name}/${this.gas.model.name}`,
        blockCost: this.gas.blockCost,
      });
      this.compiledByRotation.set(rotation, code);
    }
    return code;
  }
}
