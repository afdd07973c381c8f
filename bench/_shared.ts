/**
 * Benchmark helpers: where the repository and the shared program data live.
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
