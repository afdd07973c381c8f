/**
 * Test helpers over the `wabt` devDependency (never used by the library): validate a Wasm
 * binary with every feature the recompiler may use, disassemble it to text, or assemble
 * text. wabt is loaded once with top-level await; if it cannot load in the current runtime,
 * `wabtSkipReason` says why and the helpers throw, so callers can skip just those checks.
 */
import wabtInit from "wabt";
import { EMITTED_WASM_FEATURES } from "../src/recompiler/wasm/opcodes.ts";

/** wabt features: what the emitter may use, and every other proposal explicitly off. */
export const WASM_FEATURES = {
  ...EMITTED_WASM_FEATURES,
  simd: false,
  threads: false,
  exceptions: false,
  function_references: false,
  gc: false,
  memory64: false,
  multi_memory: false,
  extended_const: false,
  relaxed_simd: false,
} as const;

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

let wabt: Wabt | undefined;
let reason: string | undefined;
try {
  wabt = await wabtInit();
} catch (e) {
  reason = `wabt does not load in this runtime: ${(e as Error)?.message ?? e}`;
}

/** Why wabt is unavailable here (use as `it(name, { skip: wabtSkipReason }, …)`), or undefined if it loaded. */
export const wabtSkipReason: string | undefined = reason;

function need(): Wabt {
  if (!wabt) throw new Error(reason);
  return wabt;
}

/** Validate a binary module with wabt (all target features on); throws with wabt's message if invalid. */
export function validateWasm(bytes: Uint8Array): void {
  const m = need().readWasm(bytes, { readDebugNames: false, ...WASM_FEATURES });
  try {
    m.validate();
  } finally {
    m.destroy();
  }
}

/** Disassemble a binary module to the text format (reading the "name" section if present). */
export function toWat(bytes: Uint8Array, foldExprs = false): string {
  const m = need().readWasm(bytes, { readDebugNames: true, ...WASM_FEATURES });
  try {
    m.generateNames();
    m.applyNames();
    return m.toText({ foldExprs, inlineExport: false });
  } finally {
    m.destroy();
  }
}

/** Assemble a text-format module to a binary with wabt (for cross-checking the emitter's bytes). */
export function watToWasm(text: string): Uint8Array {
  const m = need().parseWat("test.wat", text, WASM_FEATURES);
  try {
    m.resolveNames();
    m.validate();
    return m.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
  } finally {
    m.destroy();
  }
}
