/**
 * The content hash used for cache keys: BLAKE2b-256 (via @noble/hashes), as hex.
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * BLAKE2b-256 of the bytes, hex.
 *
 * @example
 * ```ts
 * import { contentHash } from "./hash.ts";
 * console.log(contentHash(new Uint8Array([1, 2, 3])).slice(0, 8)); // 11c0e79b
 * ```
 */
export function contentHash(bytes: Uint8Array): string {
  return bytesToHex(blake2b(bytes, { dkLen: 32 }));
}
