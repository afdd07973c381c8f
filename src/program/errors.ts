/**
 * Typed errors for malformed program input.
 *
 * @module
 */

/**
 * A program blob could not be parsed: it is truncated, a length runs past the end,
 * a varint is malformed, the bitmask does not match the code, or a size exceeds the
 * address space. `offset` is the byte offset in the input where the problem was found.
 *
 * @example
 * ```ts
 * import { ProgramError } from "./errors.ts";
 * const err = new ProgramError("code length runs past the end", 3);
 * console.log(err.message); // "at byte 3: code length runs past the end"
 * ```
 */
export class ProgramError extends Error {
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  /** The reason, without the offset prefix. */
  readonly reason: string;

  /** Create an error for `reason` found at byte `offset`. */
  constructor(reason: string, offset: number) {
    super(`at byte ${offset}: ${reason}`);
    this.name = "ProgramError";
    this.reason = reason;
    this.offset = offset;
  }
}
