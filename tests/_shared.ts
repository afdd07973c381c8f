/**
 * Test helpers: locating the shared data directory (`../shared`, or $PVMKIT_SHARED)
 * and reading its JSON with 64-bit integers kept exact.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

/** Absolute path of the shared data directory. */
export const SHARED_DIR: string = process.env.PVMKIT_SHARED ??
  fileURLToPath(new URL("../../shared/", import.meta.url));

/** Path inside the shared directory, or undefined (with a message on stderr once) if it is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const path = join(SHARED_DIR, ...parts);
  if (existsSync(path)) return path;
  if (!warned.has(path)) {
    warned.add(path);
    console.error(`skipping: shared data ${path} not found (set PVMKIT_SHARED to its directory)`);
  }
  return undefined;
}
const warned = new Set<string>();

/** Parse JSON, turning integer literals of 16+ digits into strings so no precision is lost. */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text.replace(/([:\[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

/** Read a JSON file with exact integers. */
export function readJsonExact(path: string): unknown {
  return parseJsonExact(readFileSync(path, "utf8"));
}

/** File names in a directory with a given suffix, sorted. */
export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();
}

/** Read a file as bytes. */
export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** A JSON number or exact-integer string as a BigInt. */
export const big = (v: unknown): bigint => BigInt(v as string | number);
