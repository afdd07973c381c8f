/**
 * The crypto extension: five host functions a guest can call instead of running the
 * algorithms in PVM code. They are **not part of the Gray Paper** (no JAM peer offers
 * them) and live at ids 0x10000–0x10004, well away from the GP's 0–26 and JIP-1's 100. An
 * embedder opts in by registering them: `registry.register(...)` on a {@link HostRegistry},
 * or `extra: cryptoHostFunctions()` in an invocation's {@link HostPolicy}
 * (`pvmkit run|refine|accumulate|authorize --crypto`).
 *
 * | id | name | registers | result in r7 |
 * |---|---|---|---|
 * | 0x10000 | `blake2b_256` | r7 input ptr, r8 input length, r9 output ptr (32 bytes) | OK |
 * | 0x10001 | `keccak_256` | as above (Keccak-256 as Ethereum uses it, not SHA3-256) | OK |
 * | 0x10002 | `sha2_256` | as above | OK |
 * | 0x10003 | `ed25519_verify` | r7 public key ptr (32), r8 message ptr, r9 message length, r10 signature ptr (64) | OK if valid (RFC 8032 rules), HUH if not |
 * | 0x10004 | `secp256k1_ecrecover` | r7 message hash ptr (32), r8 signature ptr (65: r ‖ s ‖ v, v ∈ {0, 1, 27, 28}), r9 output ptr (20 bytes) | OK and the signer's Ethereum address written, or HUH (nothing written) |
 *
 * A pointer range that is not readable (inputs) or writable (outputs) panics with nothing
 * written, like the GP's functions. Gas, charged before the call (so an absurd length runs
 * out of gas instead of hashing): hashes 10 + 1 per started 64 bytes of input;
 * `ed25519_verify` 2,000 + 1 per started 64 bytes of message; `secp256k1_ecrecover` 3,000.
 * These costs are pvmkit's choice, not any standard's.
 *
 * Built on `@noble/hashes` and `@noble/curves` (pure JavaScript; no `node:` imports).
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  CONTINUE,
  guestWritable,
  type HostFunctionSpec,
  type HostMachine,
  type HostOutcome,
  PANIC,
  readGuest,
  writeGuest,
} from "./host.ts";
import { HUH, OK } from "./jam/constants.ts";

/**
 * Ids of the crypto extension's host functions.
 *
 * @example
 * ```ts
 * import { CRYPTO_HOST_IDS } from "./crypto.ts";
 * console.log(CRYPTO_HOST_IDS.blake2b_256.toString(16), CRYPTO_HOST_IDS.secp256k1_ecrecover.toString(16)); // 10000 10004
 * ```
 */
export const CRYPTO_HOST_IDS: Readonly<{
  blake2b_256: number;
  keccak_256: number;
  sha2_256: number;
  ed25519_verify: number;
  secp256k1_ecrecover: number;
}> = Object.freeze({
  blake2b_256: 0x10000,
  keccak_256: 0x10001,
  sha2_256: 0x10002,
  ed25519_verify: 0x10003,
  secp256k1_ecrecover: 0x10004,
});

/** Base gas of a hash call; one more per started 64 bytes of input. */
export const HASH_BASE_GAS = 10n;
/** Base gas of `ed25519_verify`; one more per started 64 bytes of message. */
export const ED25519_VERIFY_GAS = 2000n;
/** Gas of `secp256k1_ecrecover`. */
export const ECRECOVER_GAS = 3000n;

const r = (m: HostMachine, i: number) => m.getRegister(i);
const blocks = (length: bigint) => (length + 63n) / 64n;

function hashFunction(id: number, name: string, hash: (data: Uint8Array) => Uint8Array): HostFunctionSpec {
  return {
    id,
    name,
    gas: (m) => HASH_BASE_GAS + blocks(r(m, 8)),
    fn: (c): HostOutcome => {
      const m = c.machine;
      if (!guestWritable(m.memory, r(m, 9), 32n)) return PANIC;
      const input = readGuest(m.memory, r(m, 7), r(m, 8));
      if (!(input instanceof Uint8Array)) return input;
      const outcome = writeGuest(m.memory, r(m, 9), hash(input));
      if (outcome.kind === "continue") m.setRegister(7, OK);
      return outcome;
    },
  };
}

/**
 * `blake2b_256` (0x10000): BLAKE2b with a 32-byte digest of [r7, r7 + r8) to r9.
 *
 * @example
 * ```ts
 * import { blake2bFunction } from "./crypto.ts";
 * console.log(blake2bFunction().id, blake2bFunction().name); // 65536 blake2b_256
 * ```
 */
export function blake2bFunction(): HostFunctionSpec {
  return hashFunction(CRYPTO_HOST_IDS.blake2b_256, "blake2b_256", (d) => blake2b(d, { dkLen: 32 }));
}

/**
 * `keccak_256` (0x10001): Keccak-256 (Ethereum's, with the original padding) of
 * [r7, r7 + r8) to r9.
 *
 * @example
 * ```ts
 * import { keccak256Function } from "./crypto.ts";
 * console.log(keccak256Function().id); // 65537
 * ```
 */
export function keccak256Function(): HostFunctionSpec {
  return hashFunction(CRYPTO_HOST_IDS.keccak_256, "keccak_256", (d) => keccak_256(d));
}

/**
 * `sha2_256` (0x10002): SHA-256 of [r7, r7 + r8) to r9.
 *
 * @example
 * ```ts
 * import { sha256Function } from "./crypto.ts";
 * console.log(sha256Function().id); // 65538
 * ```
 */
export function sha256Function(): HostFunctionSpec {
  return hashFunction(CRYPTO_HOST_IDS.sha2_256, "sha2_256", (d) => sha256(d));
}

/**
 * `ed25519_verify` (0x10003): r7 public key (32 bytes), r8/r9 message, r10 signature (64
 * bytes). r7 ← OK for a valid signature, HUH for an invalid one (or a public key that is
 * not a curve point). RFC 8032 verification (not ZIP-215's relaxed rules).
 *
 * @example
 * ```ts
 * import { ed25519VerifyFunction } from "./crypto.ts";
 * console.log(ed25519VerifyFunction().name); // ed25519_verify
 * ```
 */
export function ed25519VerifyFunction(): HostFunctionSpec {
  return {
    id: CRYPTO_HOST_IDS.ed25519_verify,
    name: "ed25519_verify",
    gas: (m) => ED25519_VERIFY_GAS + blocks(r(m, 9)),
    fn: (c) => {
      const m = c.machine;
      const key = readGuest(m.memory, r(m, 7), 32n);
      if (!(key instanceof Uint8Array)) return key;
      const message = readGuest(m.memory, r(m, 8), r(m, 9));
      if (!(message instanceof Uint8Array)) return message;
      const signature = readGuest(m.memory, r(m, 10), 64n);
      if (!(signature instanceof Uint8Array)) return signature;
      let valid: boolean;
      try {
        valid = ed25519.verify(signature, message, key, { zip215: false });
      } catch {
        valid = false;
      }
      m.setRegister(7, valid ? OK : HUH);
      return CONTINUE;
    },
  };
}

/**
 * The Ethereum address of a signer: the last 20 bytes of Keccak-256 of its uncompressed
 * public key (without the 0x04 prefix), or undefined if the signature is not recoverable.
 * `signature` is r ‖ s ‖ v (65 bytes), v ∈ {0, 1, 27, 28}.
 *
 * @example
 * ```ts
 * import { ecrecoverAddress } from "./crypto.ts";
 * console.log(ecrecoverAddress(new Uint8Array(32), new Uint8Array(65))); // undefined
 * ```
 */
export function ecrecoverAddress(hash: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  if (hash.length !== 32 || signature.length !== 65) return undefined;
  const v = signature[64];
  const recovery = v === 27 || v === 28 ? v - 27 : v === 0 || v === 1 ? v : -1;
  if (recovery < 0) return undefined;
  try {
    const point = secp256k1.Signature.fromBytes(signature.subarray(0, 64), "compact")
      .addRecoveryBit(recovery)
      .recoverPublicKey(hash);
    return keccak_256(point.toBytes(false).subarray(1)).subarray(12);
  } catch {
    return undefined;
  }
}

/**
 * `secp256k1_ecrecover` (0x10004): r7 message hash (32 bytes), r8 signature (65 bytes,
 * r ‖ s ‖ v), r9 output (20 bytes). Writes the signer's Ethereum address and r7 ← OK, or
 * r7 ← HUH and writes nothing if the signature is not recoverable (v not 0/1/27/28, r or s
 * out of range, no such point).
 *
 * @example
 * ```ts
 * import { ecrecoverFunction } from "./crypto.ts";
 * console.log(ecrecoverFunction().id, ecrecoverFunction().gas); // 65540 3000n
 * ```
 */
export function ecrecoverFunction(): HostFunctionSpec {
  return {
    id: CRYPTO_HOST_IDS.secp256k1_ecrecover,
    name: "secp256k1_ecrecover",
    gas: ECRECOVER_GAS,
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, r(m, 7), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const signature = readGuest(m.memory, r(m, 8), 65n);
      if (!(signature instanceof Uint8Array)) return signature;
      if (!guestWritable(m.memory, r(m, 9), 20n)) return PANIC;
      const address = ecrecoverAddress(hash, signature);
      if (!address) {
        m.setRegister(7, HUH);
        return CONTINUE;
      }
      const outcome = writeGuest(m.memory, r(m, 9), address);
      if (outcome.kind === "continue") m.setRegister(7, OK);
      return outcome;
    },
  };
}

/**
 * The whole crypto extension, for {@link HostRegistry.register} or a {@link HostPolicy}'s
 * `extra`.
 *
 * @example
 * ```ts
 * import { cryptoHostFunctions } from "./crypto.ts";
 * import { HostRegistry } from "./host.ts";
 * const registry = new HostRegistry();
 * for (const spec of cryptoHostFunctions()) registry.register(spec);
 * console.log(registry.list().map((s) => s.name));
 * // [ "blake2b_256", "keccak_256", "sha2_256", "ed25519_verify", "secp256k1_ecrecover" ]
 * ```
 */
export function cryptoHostFunctions(): HostFunctionSpec[] {
  return [blake2bFunction(), keccak256Function(), sha256Function(), ed25519VerifyFunction(), ecrecoverFunction()];
}
