/**
 * The JS side of recompiled code: compiling (with an in-process cache), instantiating
 * against a guest {@link Memory}, moving registers and gas through the VM context, and
 * the two imports compiled code calls (the exact memory-access slow path and `sbrk`).
 *
 * @module
 */
import { type MachineState, sbrk } from "../interpreter/interpreter.ts";
import type { DecodedProgram } from "../interpreter/predecode.ts";
import { type Memory, PAGE_SIZE } from "../memory/memory.ts";
import { CONTEXT_OFFSET, CTX, RECOMPILER_VERSION } from "./layout.ts";
import { entryPoints, translate, type Translation } from "./translate.ts";
import { analyse } from "./analysis.ts";
import type { ProgramBlob } from "../program/blob.ts";
import { contentHash } from "../hash.ts";

/** A compiled program: the Wasm module and its entry table. */
export interface CompiledCode {
  /** The compiled module (instantiate once per guest memory). */
  readonly module: WebAssembly.Module;
  /** The emitted bytes (for inspection and validation). */
  readonly bytes: Uint8Array;
  /** pc → [table slot, block index] for every compiled entry point. */
  readonly entries: Map<number, readonly [number, number]>;
  /** The cache key. */
  readonly key: string;
  /** Number of compiled blocks. */
  readonly blockCount: number;
  /** Number of regions (Wasm functions holding runs of blocks). */
  readonly regionCount: number;
}

/** Options that change the emitted code (and so are part of the cache key). */
export interface CompileOptions {
  /** Guest memory rotation the code is compiled for. */
  rotation: number;
  /** Charge gas (default true); off only to measure metering overhead. */
  meterGas?: boolean;
  /** Identifies the ISA profile and gas model (part of the cache key). */
  costModel?: string;
  /** Per-block gas: block costs charged in advance (omitted: per instruction). */
  blockCost?: Int32Array;
}

const cache = new Map<string, CompiledCode>();
let cacheBudget = 256 << 20;
let cachedBytes = 0;
/**
 * Most modules cached, whatever their size. Every compiled module holds a few memory
 * mappings of engine code space: some 30,000 small ones exhaust Linux's default limit of
 * 65,530 mappings per process, and V8 then aborts the process ("Commit wasm code space").
 */
const MAX_CACHED_MODULES = 1024;

/**
 * Set the byte budget (of emitted Wasm) of the in-process compiled-module cache
 * (default 256 MiB; at most 1024 modules in any case); least recently used modules are
 * dropped first. 0 disables caching.
 *
 * @example
 * ```ts
 * import { setCompiledCacheBudget } from "./runtime.ts";
 * setCompiledCacheBudget(64 << 20);
 * ```
 */
export function setCompiledCacheBudget(bytes: number): void {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`invalid cache budget ${bytes}`);
  cacheBudget = bytes;
  evict();
}

/**
 * Drop every module from the in-process compiled-module cache (the budget stays); a later
 * compile emits again, or reads a {@link WasmStore} if one is set.
 *
 * @example
 * ```ts
 * import { clearCompiledCache } from "./runtime.ts";
 * clearCompiledCache();
 * ```
 */
export function clearCompiledCache(): void {
  cache.clear();
  cachedBytes = 0;
}

function evict(): void {
  for (const [key, entry] of cache) {
    if (cachedBytes <= cacheBudget && cache.size <= MAX_CACHED_MODULES) break;
    cache.delete(key);
    cachedBytes -= entry.bytes.length;
  }
}

/**
 * Compile a decoded program to Wasm, reusing a cached module when the same code was
 * compiled with the same options before.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { compile } from "./runtime.ts";
 * const blob = parseBlob(new Uint8Array([0, 0, 1, 0, 1]));
 * const a = compile(predecode(blob), blob, { rotation: 0 });
 * console.log(a === compile(predecode(blob), blob, { rotation: 0 })); // true
 * ```
 */
export function compile(program: DecodedProgram, blob: ProgramBlob, options: CompileOptions): CompiledCode {
  const key = cacheKey(blob, options);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit); // most recently used last
    return hit;
  }
  const stored = wasmStore?.get(key);
  if (stored) {
    // Emitted earlier (perhaps by another process): only the layout is recomputed.
    const layout = analyse(program);
    const entries = entryPoints(program, layout, options.blockCost !== undefined);
    const t = { bytes: stored, entries, blockCount: layout.blocks.length, regionCount: layout.regionStart.length - 1 };
    return store(key, new WebAssembly.Module(stored as Uint8Array<ArrayBuffer>), t);
  }
  const t = translate(program, options);
  wasmStore?.set(key, t.bytes);
  return store(key, new WebAssembly.Module(t.bytes as Uint8Array<ArrayBuffer>), t);
}

/** A persistent store of emitted Wasm by cache key (e.g. files on disk, in the CLI). */
export interface WasmStore {
  /** The bytes stored under `key`, if any. */
  get(key: string): Uint8Array | undefined;
  /** Store bytes under `key`. */
  set(key: string, bytes: Uint8Array): void;
}

let wasmStore: WasmStore | undefined;

/**
 * Use `store` (or none) to keep emitted Wasm across processes. Compiled engine code
 * cannot be stored portably, so this saves the emit time only.
 *
 * @example
 * ```ts
 * import { setWasmStore } from "./runtime.ts";
 * const memory = new Map<string, Uint8Array>();
 * setWasmStore({ get: (k) => memory.get(k), set: (k, b) => void memory.set(k, b) });
 * setWasmStore(undefined);
 * ```
 */
export function setWasmStore(store: WasmStore | undefined): void {
  wasmStore = store;
}

/** Key: BLAKE2b of the program (code, bitmask, jump table) plus everything that shapes the output. */
const pending = new Map<string, Promise<CompiledCode>>();

/**
 * Compile in the background: the emitter runs in a later task and the engine compiles
 * asynchronously (`WebAssembly.compile`), so the current run is not held up; the result
 * lands in the cache, where a later {@link compile} of the same code finds it.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { compile, compileInBackground } from "./runtime.ts";
 * const blob = parseBlob(new Uint8Array([0, 0, 1, 0, 1]));
 * const code = await compileInBackground(predecode(blob), blob, { rotation: 8192 });
 * console.log(code === compile(predecode(blob), blob, { rotation: 8192 })); // true
 * ```
 */
export function compileInBackground(
  program: DecodedProgram,
  blob: ProgramBlob,
  options: CompileOptions,
): Promise<CompiledCode> {
  const key = cacheKey(blob, options);
  const hit = cache.get(key);
  if (hit) return Promise.resolve(hit);
  let job = pending.get(key);
  if (!job) {
    job = new Promise<Translation>((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(translate(program, options));
        } catch (error) {
          reject(error);
        }
      }, 0)
    )
      .then(async (t) => cache.get(key) ?? store(key, await WebAssembly.compile(t.bytes as Uint8Array<ArrayBuffer>), t))
      .finally(() => pending.delete(key));
    pending.set(key, job);
  }
  return job;
}

/** Put a compiled module in the cache (if it fits the budget) and return its record. */
function store(key: string, module: WebAssembly.Module, t: Translation): CompiledCode {
  const compiled: CompiledCode = {
    module,
    bytes: t.bytes,
    entries: t.entries,
    key,
    blockCount: t.blockCount,
    regionCount: t.regionCount,
  };
  if (compiled.bytes.length <= cacheBudget) {
    cache.set(key, compiled);
    cachedBytes += compiled.bytes.length;
    evict();
  }
  return compiled;
}

function cacheKey(blob: ProgramBlob, options: CompileOptions): string {
  return [
    programHash(blob),
    `v${RECOMPILER_VERSION}`,
    options.costModel ?? "per-instruction",
    options.meterGas === false ? "unmetered" : "metered",
    (options.rotation >>> 0).toString(16),
  ].join(":");
}

/** BLAKE2b of a program's code, bitmask and jump table, computed once per parsed blob. */
const blobHashes = new WeakMap<ProgramBlob, string>();
function programHash(blob: ProgramBlob): string {
  let hash = blobHashes.get(blob);
  if (hash === undefined) {
    const table = blob.jumpTable;
    const header = new TextEncoder().encode(`${blob.code.length}:${table.count}:${table.entrySize}|`);
    const all = new Uint8Array(header.length + blob.code.length + blob.bitmask.length + table.bytes.length);
    all.set(header);
    all.set(blob.code, header.length);
    all.set(blob.bitmask, header.length + blob.code.length);
    all.set(table.bytes, header.length + blob.code.length + blob.bitmask.length);
    hash = contentHash(all);
    blobHashes.set(blob, hash);
  }
  return hash;
}

/** Thrown when compiled code hits a Wasm runtime trap: always a pvmkit bug, never a guest outcome. */
export class RecompilerInternalError extends Error {
  /** Wrap the Wasm runtime error `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RecompilerInternalError";
  }
}

/** What compiled code exports. */
type CompiledExports = { enter(slot: number, block: number): number };

/**
 * Compiled code bound to one guest memory and machine state.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { Memory } from "../memory/memory.ts";
 * import { compile, CompiledMachine } from "./runtime.ts";
 * // load_imm r7, 42 ; trap
 * const blob = parseBlob(new Uint8Array([0, 0, 4, 51, 7, 42, 0, 0b1001]));
 * const memory = Memory.create([]);
 * const state = { regs: new Int32Array(26), pc: 0, gas: 0, heap: 0, exitArg: 0 };
 * const vm = new CompiledMachine(compile(predecode(blob), blob, { rotation: memory.rotation }), memory, state);
 * console.log(vm.enter(100n), state.regs[14]); // { status: 1, gas: 98n } 42
 * ```
 */
export class CompiledMachine {
  private exports: { enter(slot: number, block: number): number };
  private readonly perm: WebAssembly.Global;

  constructor(
    /** The compiled program. */
    readonly code: CompiledCode,
    private readonly memory: Memory,
    private readonly state: MachineState,
    /** @internal Leave the instance to {@link CompiledMachine.create}. */
    deferInstance = false,
  ) {
    this.perm = new WebAssembly.Global({ value: "i32", mutable: true }, memory.permBase);
    this.exports = deferInstance
      ? {
        enter: () => {
          throw new Error("internal error: compiled code entered before it was instantiated");
        },
      }
      : new WebAssembly.Instance(code.module, this.imports()).exports as unknown as CompiledExports;
  }

  /**
   * Like the constructor, but instantiating with `WebAssembly.instantiate`: browsers refuse
   * to instantiate large modules (over 8 MB) synchronously on the main thread.
   */
  static async create(code: CompiledCode, memory: Memory, state: MachineState): Promise<CompiledMachine> {
    const machine = new CompiledMachine(code, memory, state, true);
    const instance = await WebAssembly.instantiate(code.module, machine.imports());
    machine.exports = instance.exports as unknown as CompiledExports;
    return machine;
  }

  /** The imports of the compiled code: memory, the permission-map global, the slow paths. */
  private imports(): WebAssembly.Imports {
    const { memory, state } = this;
    return {
      env: {
        memory: memory.wasm,
        perm: this.perm,
        slow: (address: number, kind: number, value: bigint) => this.slowAccess(address >>> 0, kind, value),
        sbrk: (size: bigint) => {
          const v = BigInt.asUintN(64, size);
          const result = sbrk(memory, state, Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
          this.perm.value = memory.permBase;
          return state.isa32 ? BigInt(result | 0) : BigInt(result);
        },
      },
    };
  }

  /** True if compiled code can start at `pc`. */
  canEnter(pc: number): boolean {
    return this.code.entries.has(pc);
  }

  /**
   * Run compiled code from `state.pc` (which must be an entry) with `gas`; returns the exit
   * status (0–4, or 6 = continue in the interpreter at `state.pc`) and the gas left.
   * Registers, pc and the exit argument are written back to the state.
   */
  enter(gas: bigint): { status: number; gas: bigint } {
    const entry = this.code.entries.get(this.state.pc);
    if (!entry) throw new RangeError(`internal error: pc ${this.state.pc} is not a compiled entry`);
    const memory = this.memory;
    this.perm.value = memory.permBase;
    const base = memory.permBase + CONTEXT_OFFSET;
    memory.view.setBigInt64(base + CTX.gas, gas, true);
    new Int32Array(memory.u8.buffer, base + CTX.regs, 26).set(this.state.regs);
    let status: number;
    try {
      status = this.exports.enter(entry[0], entry[1]);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        throw new RecompilerInternalError(
          `internal error: compiled code trapped (${error.message}) starting at pc ${this.state.pc}; this is a pvmkit bug`,
          { cause: error },
        );
      }
      throw error;
    }
    // The map may have moved during the run (sbrk): read the context where it is now.
    const after = memory.permBase + CONTEXT_OFFSET;
    const view = memory.view;
    this.state.regs.set(new Int32Array(memory.u8.buffer, after + CTX.regs, 26));
    this.state.pc = view.getUint32(after + CTX.pc, true);
    this.state.exitArg = view.getUint32(after + CTX.arg, true);
    return { status, gas: view.getBigInt64(after + CTX.gas, true) };
  }

  /**
   * The exact access check for everything the inline check does not clear (page
   * crossings, wrap-around, permission misses). Performs the access if allowed and
   * returns 0; else 1 (panic) or the page-aligned fault address with 2 in its low bits.
   */
  private slowAccess(address: number, kind: number, value: bigint): number {
    const n = kind & 15;
    const write = (kind & 16) !== 0;
    const memory = this.memory;
    const bad = memory.check(address, n, write);
    if (bad >= 0) return bad < memory.panicBelow ? 1 : (bad - (bad % PAGE_SIZE)) | 2;
    if (write) {
      const bytes = new Uint8Array(n);
      let v = BigInt.asUintN(64, value);
      for (let i = 0; i < n; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
      memory.write(address, bytes);
    } else {
      const bytes = memory.read(address, n);
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
      if ((kind & 32) !== 0) v = BigInt.asIntN(8 * n, v);
      memory.view.setBigInt64(memory.permBase + CONTEXT_OFFSET + CTX.scratch, BigInt.asIntN(64, v), true);
    }
    return 0;
  }
}
