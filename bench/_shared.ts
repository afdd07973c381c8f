/**
 * Benchmark helpers: where the repository and the shared program data live, which runtime
 * runs the benchmark, command-line options and medians.
 *
 * The shared data directory is `$PVMKIT_SHARED` if set, else `../shared` next to the
 * repository root (the same convention the tests use; kept separate so that bench/
 * does not depend on tests/).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

/** Absolute path of the repository root (with a trailing slash). */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** Absolute path of the shared data directory. */
export const SHARED_DIR: string = process.env.PVMKIT_SHARED || join(REPO_ROOT, "..", "shared");

/** Path of `parts` inside the shared directory, or undefined if it does not exist. */
export function sharedPath(...parts: string[]): string | undefined {
  const path = join(SHARED_DIR, ...parts);
  return existsSync(path) ? path : undefined;
}

/** Read a file as bytes. */
export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** The JavaScript runtime running this benchmark. */
export const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The value after `--name` on the command line, or `fallback` when the option is absent. */
export function argOption(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

/** The median (the mean of the middle two for an even count; NaN for none). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
