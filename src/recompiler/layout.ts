/**
 * The contract between emitted Wasm and the JS driver: the VM context layout (in the
 * 64 KiB context area that follows the permission map in guest memory), the region
 * function signature, and the exit statuses.
 *
 * @module
 */

/** The context sits this far after the permission map base (the map is 1 MiB). */
export const CONTEXT_OFFSET = 1 << 20;
/** Context field offsets, relative to the context base. */
export const CTX = {
  /** Gas left, i64. */
  gas: 0,
  /** r0..r12, i64 each. */
  regs: 8,
  /** pc of the exiting instruction (or where the interpreter must take over), i32. */
  pc: 112,
  /** Host-call number or fault address, i32. */
  arg: 116,
  /** Scratch i64: a value loaded by the slow memory path. */
  scratch: 120,
} as const;

/** Statuses returned by compiled code (0–4 equal the interpreter's {@link Status}). */
export const ExitCode = {
  halt: 0,
  panic: 1,
  fault: 2,
  host: 3,
  oog: 4,
  /** Hand over to the interpreter at ctx.pc (block not affordable, or an invalid fall-through). */
  interpret: 6,
} as const;

/**
 * Bump when the emitted code changes meaning or layout (a stored module is reused with
 * entry points recomputed from the program): part of every compiled-module cache key.
 * 2: smaller regions (24 blocks / 400 instructions).
 */
export const RECOMPILER_VERSION = 2;
