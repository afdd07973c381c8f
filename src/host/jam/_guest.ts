/**
 * Register and memory conventions every JAM host function shares: reading a register,
 * naming a service from one, and the GP's rule for copying a blob out to the guest.
 *
 * @module
 */
import { CONTINUE, guestWritable, type HostMachine, type HostOutcome, PANIC } from "../host.ts";
import { NONE } from "./constants.ts";

/** 2^32: service ids, lengths and timeslots are below it. */
export const U32 = 1n << 32n;

/** Register `i` of a machine. */
export const reg = (m: HostMachine, i: number): bigint => m.getRegister(i);

/** The service a register names: 2^64 − 1 means `self`; ids ≥ 2^32 name no service. */
export function serviceOf(value: bigint, self: number): number | undefined {
  if (value === NONE) return self;
  return value < U32 ? Number(value) : undefined;
}

/**
 * The copy rule of fetch, lookup, read, info and historical_lookup: write
 * `v[f' .. f'+l')` to `out` with f' = min(offset, |v|) and l' = min(length, |v| − f');
 * r7 ← |v|, or NONE (writing nothing) when v is absent. Panics, writing nothing, unless
 * the output range is writable.
 */
export function copyOut(
  m: HostMachine,
  v: Uint8Array | undefined,
  out: bigint,
  offset: bigint,
  length: bigint,
): HostOutcome {
  const size = BigInt(v?.length ?? 0);
  const f = offset < size ? offset : size;
  const l = length < size - f ? length : size - f;
  if (!guestWritable(m.memory, out, l)) return PANIC;
  if (!v) {
    m.setRegister(7, NONE);
    return CONTINUE;
  }
  if (l > 0n) m.memory.write(Number(out), v.subarray(Number(f), Number(f + l)));
  m.setRegister(7, size);
  return CONTINUE;
}
