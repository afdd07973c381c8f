/**
 * The embedder's runtime: one place to set resource limits once, with a content-addressed
 * LRU cache of loaded (decoded, validated) programs under a byte budget, and accounting of
 * live instances. Compiled Wasm modules are cached separately by the recompiler (see
 * {@link setCompiledCacheBudget}).
 *
 * @module
 */
import { contentHash } from "./hash.ts";
import { type Instance, type InstantiateOptions, type LoadOptions, Module } from "./engine.ts";
import { LimitError, type Limits, validateLimits } from "./limits.ts";

/** Options for a {@link Runtime}. */
export interface RuntimeOptions {
  /** Limits applied to every program loaded and every instance created. */
  limits?: Limits;
  /** Byte budget of the loaded-program cache (default 64 MiB; 0 disables it). */
  cacheBytes?: number;
}

/** Counters of a {@link Runtime}. */
export interface RuntimeStats {
  /** Programs in the cache. */
  cachedPrograms: number;
  /** Their estimated size in bytes. */
  cachedBytes: number;
  /** Cache hits since creation. */
  hits: number;
  /** Cache misses since creation. */
  misses: number;
  /** Instances created and not yet disposed. */
  liveInstances: number;
}

/** Rough memory held by a loaded program: its bytes plus the pre-decoded arrays (~30 B per code byte). */
function estimateBytes(module: Module): number {
  return module.blob.code.length * 34 + module.blob.jumpTable.count * 4 + 4096;
}

/**
 * A runtime for embedders.
 *
 * @example
 * ```ts
 * import { Runtime } from "./runtime.ts";
 * const rt = new Runtime({ limits: { maxLiveInstances: 1, maxGas: 1000n } });
 * const bytes = new Uint8Array([0, 0, 3, 51, 7, 42, 0b001]); // load_imm r7, 42
 * const vm = rt.instantiate(rt.load(bytes), { gas: 100n });
 * console.log(vm.run().kind, rt.load(bytes) === vm.module, rt.stats.liveInstances); // panic true 1
 * vm.dispose();
 * console.log(rt.stats.liveInstances); // 0
 * ```
 */
export class Runtime {
  /** The limits in force. */
  readonly limits: Limits;
  private readonly cacheBytes: number;
  private readonly cache = new Map<string, { module: Module; bytes: number }>();
  private cachedBytes = 0;
  private hits = 0;
  private misses = 0;
  private live = 0;

  /** Create a runtime with the given limits and cache budget. */
  constructor(options: RuntimeOptions = {}) {
    this.limits = { ...options.limits };
    validateLimits(this.limits);
    this.cacheBytes = options.cacheBytes ?? 64 << 20;
    if (!(this.cacheBytes >= 0)) throw new RangeError(`invalid cacheBytes ${options.cacheBytes}`);
  }

  /**
   * Load a program (see {@link Module.load}), or return the cached module for identical
   * bytes and options.
   *
   * @throws {ProgramError} on malformed input; {@link LimitError} if the code is too large.
   */
  load(bytes: Uint8Array, options: Omit<LoadOptions, "limits"> = {}): Module {
    const key = `${contentHash(bytes)}:${options.format ?? "auto"}:${options.isa ?? ""}:${options.gasModel ?? ""}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.hits++;
      this.cache.delete(key);
      this.cache.set(key, hit); // most recently used last
      return hit.module;
    }
    this.misses++;
    const module = Module.load(bytes, { ...options, limits: this.limits });
    const size = estimateBytes(module);
    if (size <= this.cacheBytes) {
      this.cache.set(key, { module, bytes: size });
      this.cachedBytes += size;
      for (const [k, entry] of this.cache) {
        if (this.cachedBytes <= this.cacheBytes) break;
        this.cache.delete(k);
        this.cachedBytes -= entry.bytes;
      }
    }
    return module;
  }

  /**
   * Create an instance under this runtime's limits; call `dispose()` on it when done.
   *
   * @throws {LimitError} when `maxLiveInstances` instances are alive, or a limit is exceeded.
   */
  instantiate(module: Module, options: Omit<InstantiateOptions, "limits"> = {}): Instance {
    const max = this.limits.maxLiveInstances;
    if (max !== undefined && this.live >= max) throw new LimitError("maxLiveInstances", this.live + 1, max);
    const instance = module.instantiate({ ...options, limits: this.limits });
    this.live++;
    instance.onDispose(() => this.live--);
    return instance;
  }

  /** Cache and instance counters. */
  get stats(): RuntimeStats {
    return {
      cachedPrograms: this.cache.size,
      cachedBytes: this.cachedBytes,
      hits: this.hits,
      misses: this.misses,
      liveInstances: this.live,
    };
  }
}
