/**
 * Hard resource limits an embedder sets once, and the typed error for exceeding one.
 *
 * | limit | checked | outcome when exceeded |
 * |---|---|---|
 * | `maxCodeBytes` | `Module.load` | {@link LimitError} |
 * | `maxMemoryPages` | instantiation; every later mapping | {@link LimitError} at instantiation; a guest `sbrk` past it returns 0 (allocation failure) |
 * | `maxWasmBytes` | compiling for the recompiler | {@link LimitError} on `backend: "recompiler"`; `auto` stays on the interpreter |
 * | `maxLiveInstances` | `Runtime.instantiate` | {@link LimitError}; `Instance.dispose()` frees a slot |
 * | `maxGas` | instantiation and the `gas` setter | {@link LimitError} |
 * | `deadlineMs` | each `run()`, at block boundaries (never per instruction) | a `{ kind: "limit", limit: "deadline" }` exit, resumable with `run()` |
 *
 * @module
 */

/** Resource limits; every field is optional (absent = unlimited). */
export interface Limits {
  /** Largest program code (|c|) accepted, in bytes. */
  readonly maxCodeBytes?: number;
  /** Most guest pages (4 KiB) mapped at once. */
  readonly maxMemoryPages?: number;
  /** Largest emitted Wasm module, in bytes. */
  readonly maxWasmBytes?: number;
  /** Most instances alive at once in a Runtime. */
  readonly maxLiveInstances?: number;
  /** Most gas an instance may be given. */
  readonly maxGas?: bigint;
  /** Wall-clock time one `run()` may take, in milliseconds. */
  readonly deadlineMs?: number;
}

/**
 * A resource limit was exceeded.
 *
 * @example
 * ```ts
 * import { LimitError } from "./limits.ts";
 * const e = new LimitError("maxCodeBytes", 2048, 1024);
 * console.log(e.message); // maxCodeBytes exceeded: 2048 > 1024
 * ```
 */
export class LimitError extends Error {
  /** Create the error for `limit`, with the requested value and the maximum. */
  constructor(
    /** Which limit. */
    readonly limit: keyof Limits,
    /** What was asked for. */
    readonly requested: number | bigint,
    /** The configured maximum. */
    readonly maximum: number | bigint,
  ) {
    super(`${limit} exceeded: ${requested} > ${maximum}`);
    this.name = "LimitError";
  }
}

/**
 * Check that every given limit is a sensible value.
 *
 * @throws {RangeError} for a negative, fractional or non-numeric limit.
 */
export function validateLimits(limits: Limits): void {
  for (const [key, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    const ok = key === "maxGas"
      ? typeof value === "bigint" && value >= 0n
      : typeof value === "number" && Number.isFinite(value) && value >= 0 &&
        (key === "deadlineMs" || Number.isInteger(value));
    if (!ok) throw new RangeError(`invalid limit ${key}: ${String(value)}`);
  }
}
