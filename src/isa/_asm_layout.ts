/**
 * Branch relaxation: choosing the byte width of every pc-relative offset whose width
 * the source leaves open. The assembler uses it to lay out code; the disassembler runs
 * the very same function to predict that layout, so that it knows which offsets must
 * be printed with an explicit width to reproduce the original bytes.
 *
 * Every open width starts at 0 and only grows to the fewest bytes its offset needs in
 * the current layout, until nothing changes. For targets given as labels this reaches
 * the smallest consistent layout.
 *
 * @module
 */
import { signedWidth } from "./_asm_encode.ts";

/** A code item whose size depends on the width of its target offset. */
export interface Branch {
  /** Index of the item holding the offset. */
  readonly item: number;
  /** The target: an item index (the position where that item starts) or an absolute code offset. */
  readonly target: number;
  readonly targetIsItem: boolean;
  /** The offset width in bytes: an input when pinned, else computed (5 = not encodable). */
  width: number;
  /** True if the width is fixed by the source. */
  readonly pinned: boolean;
}

/**
 * Compute the widths of all unpinned branches and return the start position of every
 * item (plus the end of the code at index `sizes.length`).
 *
 * @param sizes each item's size in bytes, not counting its branch offset
 * @param branches the items with a target offset; unpinned widths are overwritten
 *
 * @example
 * ```ts
 * import { relax } from "./_asm_layout.ts";
 * // item 0: a 1-byte jump head whose target is item 2; item 1: 200 bytes of padding.
 * // A 1-byte offset would make the distance 202, which needs 2 bytes; with 2 it is 203.
 * const b = { item: 0, target: 2, targetIsItem: true, width: 0, pinned: false };
 * const pos = relax([1, 200], [b]);
 * console.log(b.width, pos[2]); // 2 203
 * ```
 */
export function relax(sizes: ArrayLike<number>, branches: Branch[]): Float64Array {
  const count = sizes.length;
  const pos = new Float64Array(count + 1);
  const extra = new Float64Array(count);
  for (const b of branches) if (!b.pinned) b.width = 0;
  for (;;) {
    extra.fill(0);
    for (const b of branches) extra[b.item] += b.width;
    let at = 0;
    for (let i = 0; i < count; i++) {
      pos[i] = at;
      at += sizes[i] + extra[i];
    }
    pos[count] = at;
    let changed = false;
    for (const b of branches) {
      if (b.pinned) continue;
      const target = b.targetIsItem ? pos[b.target] : b.target;
      const need = signedWidth(target - pos[b.item]);
      if (need > b.width) {
        b.width = need;
        changed = true;
      }
    }
    if (!changed) return pos;
  }
}
