/**
 * Differential check of the two backends: run one program on the interpreter and on the
 * recompiler side by side, answer their host calls the same way, and compare the complete
 * observable state at every exit.
 *
 * @module
 */
import type { Exit, Instance, InstantiateOptions, Module } from "../engine.ts";
import { PAGE_SIZE } from "../memory/memory.ts";

/** A host exit, as passed to a {@link CrossCheckHooks.onHost} handler. */
export type HostExit = Extract<Exit, { kind: "host" }>;

/** How {@link crossCheck} drives the two machines. */
export interface CrossCheckHooks {
  /** Stop (successfully) after this many host calls (default 64). */
  maxHostCalls?: number;
  /**
   * With the default host answer: the gas to give the machine after host call `index`
   * (undefined leaves its gas alone). Ignored when `onHost` is given.
   */
  hostGas?: (index: number, exit: HostExit) => bigint | undefined;
  /**
   * Answer a host call before the machine resumes. It is called once per backend, with that
   * backend's instance, and must act deterministically on its arguments (both instances are
   * in identical states at that point); it may change registers, gas and memory.
   * Default: {@link defaultHostAnswer}, then `hostGas`.
   *
   * @param vm the instance that exited
   * @param exit the host exit
   * @param index how many host calls came before this one (0 for the first)
   */
  onHost?: (vm: Instance, exit: HostExit, index: number) => void;
  /** Observe every exit on which the backends agreed, before any host call is answered. */
  onExit?: (exit: Exit, step: number) => void;
}

/** A value shown in a {@link CrossCheckDifference}. */
export type CrossCheckValue = string | number | bigint | undefined;

/** The first point where the backends disagreed. */
export interface CrossCheckDifference {
  /** Index of the exit where it showed (0 = the end of the first run). */
  step: number;
  /**
   * What differed: `exception`, `kind`, `pc`, `gas`, `address`, `call`, `resumePc`,
   * `r0`…`r12`, `heap`, `pages` (the set of accessible pages and their access) or
   * `memory@0x…` (the contents of the page at that address).
   */
  field: string;
  /** The interpreter's value. */
  interpreter: CrossCheckValue;
  /** The recompiler's value. */
  recompiler: CrossCheckValue;
}

/** The outcome of {@link crossCheck}. */
export type CrossCheckResult =
  | { ok: true; exits: number }
  | { ok: false; difference: CrossCheckDifference };

/**
 * The default host answer: set r7 to a value derived only from the call's index (a
 * SplitMix64 step), leaving gas and memory alone.
 *
 * @example
 * ```ts
 * import { hostValue } from "./crosscheck.ts";
 * console.log(hostValue(0) === hostValue(0), hostValue(0) !== hostValue(1)); // true true
 * ```
 */
export function hostValue(index: number): bigint {
  let z = BigInt.asUintN(64, BigInt(index + 1) * 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/** The default {@link CrossCheckHooks.onHost}: r7 ← {@link hostValue}(index). */
export function defaultHostAnswer(vm: Instance, _exit: HostExit, index: number): void {
  vm.setRegister(7, hostValue(index));
}

/**
 * Run `module` on both backends with the same `options` and compare them at every exit:
 * the exit (kind, pc, gas, fault address or call number), the pc a resume would start at,
 * all 13 registers, the `sbrk` heap pointer, which pages are accessible and how, and a hash
 * of the contents of every accessible page. Host calls are answered by `hooks.onHost` on
 * both machines, which then resume; the check ends at the first non-host exit, after
 * `maxHostCalls` host calls, or at the first difference.
 *
 * An exception thrown by one backend only (an internal error) is a difference in the field
 * `exception`; an exception thrown by both (for example invalid options) is rethrown.
 *
 * @example
 * ```ts
 * import { Module } from "../engine.ts";
 * import { crossCheck } from "./crosscheck.ts";
 * // ecalli 1 ; store_ind_u64 [r1 + 0], r7 ; jump_ind r0 (halt: r0 = 0xFFFF0000)
 * const bytes = new Uint8Array([0, 0, 7, 10, 1, 123, 0x17, 50, 0, 0, 0b0100101]);
 * const mod = Module.load(bytes, { format: "generic" });
 * const result = crossCheck(mod, {
 *   gas: 100n,
 *   registers: [0xffff0000n, 0x20000n],
 *   memory: [{ address: 0x20000, length: 4096, access: "write" }],
 * });
 * console.log(result); // { ok: true, exits: 2 }
 * ```
 */
export function crossCheck(
  module: Module,
  options: InstantiateOptions = {},
  hooks: CrossCheckHooks = {},
): CrossCheckResult {
  const maxHostCalls = hooks.maxHostCalls ?? 64;
  const hostGas = hooks.hostGas;
  const onHost = hooks.onHost ?? ((vm: Instance, exit: HostExit, index: number) => {
    defaultHostAnswer(vm, exit, index);
    const gas = hostGas?.(index, exit);
    if (gas !== undefined) vm.gas = gas;
  });
  const interpreter = module.instantiate({ ...options, backend: "interpreter" });
  const recompiler = module.instantiate({ ...options, backend: "recompiler" });
  let hostCalls = 0;
  // Dispose both machines however the comparison ends, so their memories go back to the
  // pool: a long fuzz run would otherwise pile up Wasm memory reservations.
  try {
    return compareRuns();
  } finally {
    interpreter.dispose();
    recompiler.dispose();
  }

  function compareRuns(): CrossCheckResult {
    for (let step = 0;; step++) {
      const a = attempt(() => interpreter.run());
      const b = attempt(() => recompiler.run());
      if ("error" in a && "error" in b) throw a.error;
      if ("error" in a || "error" in b) {
        return difference(step, "exception", describe(a), describe(b));
      }
      const found = compareExits(a.exit, b.exit) ?? compareState(interpreter, recompiler);
      if (found) return difference(step, found[0], found[1], found[2]);
      const exit = a.exit;
      hooks.onExit?.(exit, step);
      if (exit.kind !== "host" || hostCalls >= maxHostCalls) return { ok: true, exits: step + 1 };
      const answered = attempt(() => onHost(interpreter, exit, hostCalls));
      const answered2 = attempt(() => onHost(recompiler, b.exit as HostExit, hostCalls));
      if ("error" in answered || "error" in answered2) {
        throw "error" in answered ? answered.error : (answered2 as { error: unknown }).error;
      }
      hostCalls++;
      // The host may have changed anything: make sure it changed both machines alike.
      const after = compareState(interpreter, recompiler);
      if (after) return difference(step, `after host call: ${after[0]}`, after[1], after[2]);
    }
  }
}

type Attempt<T> = { exit: T } | { error: unknown };

function attempt<T>(run: () => T): Attempt<T> {
  try {
    return { exit: run() };
  } catch (error) {
    return { error };
  }
}

function describe(a: Attempt<Exit>): string {
  if ("exit" in a) return `no exception (exit ${a.exit.kind})`;
  const e = a.error;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function difference(
  step: number,
  field: string,
  interpreter: CrossCheckValue,
  recompiler: CrossCheckValue,
): CrossCheckResult {
  return { ok: false, difference: { step, field, interpreter, recompiler } };
}

type Found = [field: string, interpreter: CrossCheckValue, recompiler: CrossCheckValue] | undefined;

function compareExits(a: Exit, b: Exit): Found {
  if (a.kind !== b.kind) return ["kind", a.kind, b.kind];
  if (a.pc !== b.pc) return ["pc", a.pc, b.pc];
  if (a.gas !== b.gas) return ["gas", a.gas, b.gas];
  if (a.kind === "fault" && b.kind === "fault" && a.address !== b.address) {
    return ["address", hex(a.address), hex(b.address)];
  }
  if (a.kind === "host" && b.kind === "host" && a.call !== b.call) return ["call", a.call, b.call];
  return undefined;
}

function compareState(a: Instance, b: Instance): Found {
  if (a.pc !== b.pc) return ["resumePc", a.pc, b.pc];
  if (a.gas !== b.gas) return ["gas", a.gas, b.gas];
  for (let r = 0; r < 13; r++) {
    const x = a.getRegister(r), y = b.getRegister(r);
    if (x !== y) return [`r${r}`, hex(x), hex(y)];
  }
  if (a.heapPointer !== b.heapPointer) return ["heap", hex(a.heapPointer), hex(b.heapPointer)];
  const pa = pageSummary(a), pb = pageSummary(b);
  if (pa.map !== pb.map) return ["pages", pa.map, pb.map];
  for (let i = 0; i < pa.hashes.length; i++) {
    if (pa.hashes[i] !== pb.hashes[i]) {
      return [`memory@${hex(pa.pages[i] * PAGE_SIZE)}`, hex(pa.hashes[i]), hex(pb.hashes[i])];
    }
  }
  return undefined;
}

/** Accessible pages (`page:r` or `page:w`, in hex, comma-separated), and a hash of each page's bytes. */
function pageSummary(vm: Instance): { map: string; pages: number[]; hashes: number[] } {
  const memory = vm.memory;
  const pages = memory.mappedPages();
  const hashes: number[] = [];
  const parts: string[] = [];
  for (const page of pages) {
    const address = page * PAGE_SIZE;
    parts.push(`${page.toString(16)}:${memory.access(address) === "write" ? "w" : "r"}`);
    // Pages are 4 KiB-aligned in Wasm memory too (the rotation is a multiple of the page size).
    const words = new Int32Array(memory.u8.buffer, memory.wasmAddress(address), PAGE_SIZE / 4);
    let h = 0x811c9dc5;
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193) ^ (h >>> 13);
    hashes.push(h >>> 0);
  }
  return { map: parts.join(","), pages, hashes };
}

function hex(v: number | bigint): string {
  return "0x" + v.toString(16);
}
