/**
 * The protocol constants the accumulate host functions depend on (GP v0.7.2, appendix
 * "definitions"): core count C, authorization queue size Q, validator count V, the size
 * of one validator's keys, the preimage expunge period D, the smallest public service id
 * S and the transfer memo size W_T. Two presets: the full chain and the "tiny" test chain.
 *
 * @module
 */

/** Protocol constants of the accumulate host functions. */
export interface ProtocolParams {
  /** C: number of cores (`bless` reads C assigners, `assign` answers CORE for c ≥ C). */
  readonly coreCount: number;
  /** Q: authorization queue length (`assign` reads Q hashes of 32 bytes). */
  readonly authQueueSize: number;
  /** V: number of validators (`designate` reads V key sets). */
  readonly validatorCount: number;
  /** Bytes of one validator's keys (336). */
  readonly validatorKeySize: number;
  /** D: timeslots after which a forgotten preimage may be dropped (`forget`, `eject`). */
  readonly expungePeriod: number;
  /** S: the smallest service id `new` hands out (below it only the registrar chooses). */
  readonly minPublicServiceId: number;
  /** W_T: bytes of a transfer memo. */
  readonly memoSize: number;
}

/**
 * The full chain's constants: C = 341, Q = 80, V = 1023, D = 19,200, S = 2^16, W_T = 128.
 *
 * @example
 * ```ts
 * import { FULL_PARAMS } from "./params.ts";
 * console.log(FULL_PARAMS.coreCount, FULL_PARAMS.expungePeriod, FULL_PARAMS.minPublicServiceId); // 341 19200 65536
 * ```
 */
export const FULL_PARAMS: ProtocolParams = Object.freeze({
  coreCount: 341,
  authQueueSize: 80,
  validatorCount: 1023,
  validatorKeySize: 336,
  expungePeriod: 19_200,
  minPublicServiceId: 65_536,
  memoSize: 128,
});

/**
 * The "tiny" test chain's constants (as in the W3F test vectors): C = 2, V = 6, D = 32;
 * the rest as on the full chain.
 *
 * @example
 * ```ts
 * import { TINY_PARAMS } from "./params.ts";
 * console.log(TINY_PARAMS.coreCount, TINY_PARAMS.validatorCount, TINY_PARAMS.expungePeriod); // 2 6 32
 * ```
 */
export const TINY_PARAMS: ProtocolParams = Object.freeze({
  ...FULL_PARAMS,
  coreCount: 2,
  validatorCount: 6,
  expungePeriod: 32,
});
