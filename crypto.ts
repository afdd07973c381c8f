/**
 * pvmkit's crypto extension (opt-in, not part of the Gray Paper): host functions for
 * BLAKE2b-256, Keccak-256, SHA-256, Ed25519 verification and secp256k1 ecrecover, built on
 * `@noble/hashes` and `@noble/curves`. A separate entry point, so that importing `mod.ts`
 * does not load the curve libraries (~50 ms at start-up).
 *
 * @example
 * ```ts
 * import { CRYPTO_HOST_IDS, cryptoHostFunctions } from "./crypto.ts";
 * import { HostRegistry } from "./mod.ts";
 * const registry = new HostRegistry();
 * for (const spec of cryptoHostFunctions()) registry.register(spec);
 * console.log(CRYPTO_HOST_IDS.sha2_256.toString(16), registry.resolve(CRYPTO_HOST_IDS.sha2_256)?.name); // 10002 sha2_256
 * ```
 *
 * @module
 */
export * from "./src/host/crypto.ts";
