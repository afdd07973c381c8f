/**
 * Control-flow analysis for the recompiler: compiled blocks and regions.
 *
 * A compiled block starts at a basic-block start (ϖ) or right after an `ecalli` (a
 * resume point) and runs straight to the next terminator or `ecalli`. Gas is charged
 * per compiled block; because the per-instruction model charges exactly one unit per
 * instruction, splitting at `ecalli` changes no result. Regions are runs of
 * consecutive blocks that become one Wasm function each.
 *
 * @module
 */
import type { DecodedProgram } from "../interpreter/predecode.ts";
import { Op } from "../isa/opcodes.ts";

/** One compiled block. */
export interface CompiledBlock {
  /** pc of its first instruction. */
  readonly start: number;
  /** Number of instructions (follow `next` from `start`; the last is a terminator, an ecalli, or a trap). */
  readonly length: number;
  /** Region index and position inside the region. */
  region: number;
  index: number;
}

/** Blocks, regions and the pc → block map. */
export interface ProgramLayout {
  readonly blocks: CompiledBlock[];
  /** Region r holds blocks[regionStart[r] .. regionStart[r + 1]). */
  readonly regionStart: number[];
  /** pc → block, for every block start. */
  readonly blockAt: Map<number, CompiledBlock>;
}

/**
 * Most blocks per region (Wasm function). Small functions tier up fast: V8 optimises hot
 * Wasm functions one at a time in the background, at a cost that grows faster than their
 * size (design/recompiler.md §3.6); JSC gains as well. On doom.polkavm (`npm run bench:doom`), regions of at most 24
 * blocks / 400 instructions instead of 192 / 4000 took the cold first frame from 2.1 to
 * 1.25 s on Node (2.0 to 1.24 s on Bun), and frames/s from 61 to 112 on Node, 71 to 87 on
 * Deno and 116 to 134 on Bun, with the 95th-percentile frame time from 92 / 79 / 23 ms to
 * 14 / 18 / 11 ms. Hot loops inside one region run as before; the emitted Wasm grows ~3%.
 */
const MAX_REGION_BLOCKS = 24;
/** Most instructions per region (see {@link MAX_REGION_BLOCKS}). */
const MAX_REGION_INSTRUCTIONS = 400;

/**
 * Split a decoded program into compiled blocks and regions.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { analyse } from "./analysis.ts";
 * // ecalli 1 ; trap
 * const layout = analyse(predecode(parseBlob(new Uint8Array([0, 0, 3, 10, 1, 0, 0b101]))));
 * console.log(layout.blocks.map((b) => [b.start, b.length])); // [ [ 0, 1 ], [ 2, 1 ] ]
 * ```
 */
export function analyse(program: DecodedProgram): ProgramLayout {
  const { op, next, blockStart, codeLength: n } = program;
  const ecalli = Op.ecalli;
  const starts = new Uint8Array(n + 1);
  for (let pc = 0; pc < n; pc++) {
    if (blockStart[pc]) starts[pc] = 1;
    if (op[pc] === ecalli) starts[next[pc]] = 1;
  }
  const blocks: CompiledBlock[] = [];
  const blockAt = new Map<number, CompiledBlock>();
  for (let pc = 0; pc <= n; pc++) {
    if (!starts[pc]) continue;
    let length = 1;
    for (let at = pc; at < n && program.cost[at] !== 1 && op[at] !== ecalli; at = next[at]) length++;
    const block: CompiledBlock = { start: pc, length, region: 0, index: 0 };
    blocks.push(block);
    blockAt.set(pc, block);
  }
  const regionStart: number[] = [];
  let count = 0, instructions = 0;
  blocks.forEach((block, i) => {
    if (
      regionStart.length === 0 || count >= MAX_REGION_BLOCKS ||
      instructions + block.length > MAX_REGION_INSTRUCTIONS
    ) {
      regionStart.push(i);
      count = 0;
      instructions = 0;
    }
    block.region = regionStart.length - 1;
    block.index = count++;
    instructions += block.length;
  });
  regionStart.push(blocks.length);
  return { blocks, regionStart, blockAt };
}
