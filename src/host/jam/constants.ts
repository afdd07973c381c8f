/**
 * JAM host-call constants of GP v0.7.2 (spec §13.2, §13.3): result codes and the
 * host-function numbering.
 *
 * @module
 */

/**
 * Item does not exist (2^64 − 1). Also the "self" service id in arguments.
 *
 * @example
 * ```ts
 * import { NONE, WHAT, HUH } from "./constants.ts";
 * console.log(NONE.toString(16), WHAT === NONE - 1n, HUH === NONE - 8n); // ffffffffffffffff true true
 * ```
 */
export const NONE: bigint = (1n << 64n) - 1n;
/** Unknown name or function, or not available in this invocation (2^64 − 2). */
export const WHAT: bigint = (1n << 64n) - 2n;
/** Inner-PVM memory not accessible (2^64 − 3). */
export const OOB: bigint = (1n << 64n) - 3n;
/** Unknown service or machine index (2^64 − 4). */
export const WHO: bigint = (1n << 64n) - 4n;
/** Storage full, or already allocated (2^64 − 5). */
export const FULL: bigint = (1n << 64n) - 5n;
/** Unknown core (2^64 − 6). */
export const CORE: bigint = (1n << 64n) - 6n;
/** Insufficient funds (2^64 − 7). */
export const CASH: bigint = (1n << 64n) - 7n;
/** Gas limit too low (2^64 − 8). */
export const LOW: bigint = (1n << 64n) - 8n;
/** Invalid operation, already solicited, or missing privilege (2^64 − 9). */
export const HUH: bigint = (1n << 64n) - 9n;
/** Success (0). */
export const OK: bigint = 0n;

/** A JAM host-function name. */
export type JamHostName =
  | "gas"
  | "fetch"
  | "lookup"
  | "read"
  | "write"
  | "info"
  | "historical_lookup"
  | "export"
  | "machine"
  | "peek"
  | "poke"
  | "pages"
  | "invoke"
  | "expunge"
  | "bless"
  | "assign"
  | "designate"
  | "checkpoint"
  | "new"
  | "upgrade"
  | "transfer"
  | "eject"
  | "query"
  | "solicit"
  | "forget"
  | "yield"
  | "provide"
  | "log";

const IDS: Record<JamHostName, number> = {
  gas: 0,
  fetch: 1,
  lookup: 2,
  read: 3,
  write: 4,
  info: 5,
  historical_lookup: 6,
  export: 7,
  machine: 8,
  peek: 9,
  poke: 10,
  pages: 11,
  invoke: 12,
  expunge: 13,
  bless: 14,
  assign: 15,
  designate: 16,
  checkpoint: 17,
  new: 18,
  upgrade: 19,
  transfer: 20,
  eject: 21,
  query: 22,
  solicit: 23,
  forget: 24,
  yield: 25,
  provide: 26,
  log: 100,
};

/**
 * Host-function ids by name (GP v0.7.2 numbering; `log` is JIP-1's 100).
 *
 * @example
 * ```ts
 * import { JAM_HOST_IDS } from "./constants.ts";
 * console.log(JAM_HOST_IDS.fetch, JAM_HOST_IDS.transfer, JAM_HOST_IDS.log); // 1 20 100
 * ```
 */
export const JAM_HOST_IDS: Readonly<Record<JamHostName, number>> = Object.freeze(IDS);

/**
 * Deposit constants for the storage threshold (GP: B_S, B_I, B_L).
 *
 * @example
 * ```ts
 * import { DEPOSIT } from "./constants.ts";
 * console.log(DEPOSIT.base, DEPOSIT.perItem, DEPOSIT.perOctet); // 100n 10n 1n
 * ```
 */
export const DEPOSIT: Readonly<{ base: bigint; perItem: bigint; perOctet: bigint }> = Object.freeze({
  /** Base deposit of a service (B_S). */
  base: 100n,
  /** Deposit per item (B_I). */
  perItem: 10n,
  /** Deposit per octet (B_L). */
  perOctet: 1n,
});
