/**
 * Helpers shared by the accumulate-only host functions: the state and the running
 * service's account (an embedder that forgets them gets an exception, not a guest-visible
 * result), the protocol constants, the timeslot, and little-endian decoding.
 *
 * @module
 */
import type { JamHostEnv } from "./general.ts";
import { FULL_PARAMS, type ProtocolParams } from "./params.ts";
import type { ServiceInfo, ServiceState } from "./state.ts";

/** The state; throws (an embedder error) if the invocation has none. */
export function stateOf(env: JamHostEnv, fn: string): ServiceState {
  if (!env.state) throw new Error(`${fn}: the invocation has no service state`);
  return env.state;
}

/** The running service's account info; throws (an embedder error) if it has none. */
export function selfInfo(env: JamHostEnv, fn: string): ServiceInfo {
  const info = stateOf(env, fn).info(env.self);
  if (!info) throw new Error(`${fn}: the running service ${env.self} has no account`);
  return info;
}

/** The protocol constants (the full chain's unless the environment gives others). */
export const paramsOf = (env: JamHostEnv): ProtocolParams => env.params ?? FULL_PARAMS;

/** The current timeslot; throws (an embedder error) if the environment has none. */
export function timeslotOf(env: JamHostEnv, fn: string): number {
  if (env.timeslot === undefined) throw new Error(`${fn}: the invocation has no timeslot`);
  return env.timeslot;
}

/** The little-endian unsigned number in `bytes[at .. at + n)`. */
export function leAt(bytes: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

/** `bytes` cut into `count` consecutive pieces of `size` bytes (copies). */
export function pieces(bytes: Uint8Array, size: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => bytes.slice(i * size, (i + 1) * size));
}

/** True if two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
