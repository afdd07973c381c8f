/**
 * The CLI's optional on-disk cache of emitted Wasm: with `PVMKIT_WASM_CACHE=DIR`, every
 * module the recompiler emits is kept in DIR under its cache key (a BLAKE2b hash of the
 * program and the options that shape the code), and later runs skip emitting. Engines
 * cannot store compiled machine code portably, so the engine's own compile still runs.
 *
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { WasmStore } from "../recompiler/runtime.ts";

/** The environment variable naming the cache directory. */
export const WASM_CACHE_ENV = "PVMKIT_WASM_CACHE";

/**
 * A {@link WasmStore} of `KEY.wasm` files in `dir` (created if missing). Best effort: a
 * file that cannot be read or written is treated as absent, never as an error.
 *
 * @example
 * ```ts
 * import { fileWasmStore } from "./_wasm_cache.ts";
 * const store = fileWasmStore(await Deno.makeTempDir());
 * store.set("abc", new Uint8Array([0, 97, 115, 109]));
 * console.log(store.get("abc")); // Uint8Array(4) [ 0, 97, 115, 109 ]
 * ```
 */
export function fileWasmStore(dir: string): WasmStore {
  mkdirSync(dir, { recursive: true });
  const path = (key: string) => join(dir, `${key.replace(/[^0-9a-zA-Z]/g, "_")}.wasm`);
  return {
    get(key) {
      try {
        return new Uint8Array(readFileSync(path(key)));
      } catch {
        return undefined;
      }
    },
    set(key, bytes) {
      try {
        // Write then rename, so a concurrent reader never sees half a module.
        const temporary = `${path(key)}.${process.pid}.tmp`;
        writeFileSync(temporary, bytes);
        renameSync(temporary, path(key));
      } catch {
        // The cache is an optimisation: failing to write it changes nothing else.
      }
    },
  };
}
