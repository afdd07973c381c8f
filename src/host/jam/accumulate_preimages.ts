/**
 * The accumulate host functions of GP v0.7.2 (appendix B.7) for preimage requests and the
 * accumulation's outputs: `query` (22), `solicit` (23), `forget` (24), `yield` (25) and
 * `provide` (26). Each costs 10 gas; a guest range that is not readable panics with
 * nothing changed.
 *
 * A request is keyed by (hash, length) with a length below 2^32 (GP: N_L); for a length
 * register of 2^32 or more no request can exist, so `query` answers NONE and `solicit`
 * and `forget` answer HUH.
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { CONTINUE, type HostFunctionSpec, readGuest } from "../host.ts";
import { FULL, HUH, JAM_HOST_IDS, NONE, OK, WHO } from "./constants.ts";
import type { JamHostEnv } from "./general.ts";
import { requestOctets, thresholdOf } from "./state.ts";
import { paramsOf, selfInfo, stateOf, timeslotOf } from "./accumulate_common.ts";
import { reg, serviceOf, U32 } from "./_guest.ts";

/**
 * The two registers `query` answers for a request's timeslots: [] → (0, 0), [x] →
 * (1 + 2^32·x, 0), [x, y] → (2 + 2^32·x, y), [x, y, z] → (3 + 2^32·x, y + 2^32·z);
 * no request → (NONE, 0).
 *
 * @example
 * ```ts
 * import { queryAnswer } from "./accumulate_preimages.ts";
 * console.log(queryAnswer([5, 6, 7]), queryAnswer(undefined)[1]); // [ 21474836483n, 30064771078n ] 0n
 * ```
 */
export function queryAnswer(slots: readonly number[] | undefined): [bigint, bigint] {
  if (slots === undefined) return [NONE, 0n];
  const [x, y, z] = slots.map(BigInt);
  switch (slots.length) {
    case 0:
      return [0n, 0n];
    case 1:
      return [1n + (x << 32n), 0n];
    case 2:
      return [2n + (x << 32n), y];
    default:
      return [3n + (x << 32n), y + (z << 32n)];
  }
}

/**
 * `query` (22): r7 = hash pointer, r8 = length. Panics if the hash is unreadable; r7, r8 ←
 * {@link queryAnswer} of the caller's request (hash, length).
 *
 * @example
 * ```ts
 * import { queryFunction } from "./accumulate_preimages.ts";
 * console.log(queryFunction({ context: "accumulate", self: 0 }).id); // 22
 * ```
 */
export function queryFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.query,
    name: "query",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, reg(m, 7), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const length = reg(m, 8);
      const state = stateOf(env, "query");
      const slots = length < U32 ? state.request(env.self, hash, Number(length)) : undefined;
      const [r7, r8] = queryAnswer(slots);
      m.setRegister(7, r7);
      m.setRegister(8, r8);
      return CONTINUE;
    },
  };
}

/**
 * `solicit` (23): r7 = hash pointer, r8 = length. Panics if the hash is unreadable. Asks
 * for the preimage: a new request starts with no timeslots; one that was provided and then
 * forgotten ([x, y]) is asked for again ([x, y, now]); any other state is HUH. FULL
 * (nothing changed) if the caller's balance would fall below its new threshold. OK.
 *
 * @example
 * ```ts
 * import { solicitFunction } from "./accumulate_preimages.ts";
 * console.log(solicitFunction({ context: "accumulate", self: 0 }).id); // 23
 * ```
 */
export function solicitFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.solicit,
    name: "solicit",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, reg(m, 7), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const length = reg(m, 8);
      const state = stateOf(env, "solicit");
      const self = selfInfo(env, "solicit");
      const slots = length < U32 ? state.request(env.self, hash, Number(length)) : [];
      let result = OK;
      if (length >= U32 || (slots !== undefined && slots.length !== 2)) result = HUH;
      else {
        const added = slots === undefined;
        const items = self.items + (added ? 2 : 0);
        const octets = self.octets + (added ? requestOctets(Number(length)) : 0n);
        if (self.balance < thresholdOf({ items, octets, gratis: self.gratis })) result = FULL;
        else state.setRequest(env.self, hash, Number(length), added ? [] : [...slots, timeslotOf(env, "solicit")]);
      }
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}

/**
 * `forget` (24): r7 = hash pointer, r8 = length. Panics if the hash is unreadable. A
 * request never provided ([]) or forgotten before now − D ([x, y]) is dropped together
 * with the preimage; a provided one ([x]) becomes forgotten now ([x, now]); one asked for
 * again ([x, y, w], y before now − D) becomes [w, now]. Anything else is HUH. OK.
 *
 * @example
 * ```ts
 * import { forgetFunction } from "./accumulate_preimages.ts";
 * console.log(forgetFunction({ context: "accumulate", self: 0 }).id); // 24
 * ```
 */
export function forgetFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.forget,
    name: "forget",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, reg(m, 7), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const length = reg(m, 8);
      const state = stateOf(env, "forget");
      selfInfo(env, "forget");
      const slots = length < U32 ? state.request(env.self, hash, Number(length)) : undefined;
      const now = timeslotOf(env, "forget");
      const expired = (y: number) => y < now - paramsOf(env).expungePeriod;
      let result = OK;
      if (slots === undefined) result = HUH;
      else if (slots.length === 0 || (slots.length === 2 && expired(slots[1]))) {
        state.setRequest(env.self, hash, Number(length), undefined);
        state.setPreimage(env.self, hash, undefined);
      } else if (slots.length === 1) state.setRequest(env.self, hash, Number(length), [slots[0], now]);
      else if (slots.length === 3 && expired(slots[1])) {
        state.setRequest(env.self, hash, Number(length), [slots[2], now]);
      } else result = HUH;
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}

/**
 * `yield` (25): r7 = hash pointer. Panics if unreadable; otherwise the 32 bytes become the
 * accumulation's output hash, OK.
 *
 * @example
 * ```ts
 * import { yieldFunction } from "./accumulate_preimages.ts";
 * console.log(yieldFunction({ context: "accumulate", self: 0 }).id); // 25
 * ```
 */
export function yieldFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.yield,
    name: "yield",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, reg(m, 7), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      stateOf(env, "yield").setYielded(hash);
      m.setRegister(7, OK);
      return CONTINUE;
    },
  };
}

/**
 * `provide` (26): r7 = service (2^64 − 1: self), r8 = blob pointer, r9 = blob length z.
 * Panics if the blob is unreadable; WHO if the service does not exist; HUH unless it
 * requests (blake2b(blob), z) with no timeslots yet, or if this (service, blob) was
 * provided already in this accumulation. Otherwise records the provision, OK.
 *
 * @example
 * ```ts
 * import { provideFunction } from "./accumulate_preimages.ts";
 * console.log(provideFunction({ context: "accumulate", self: 0 }).id); // 26
 * ```
 */
export function provideFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.provide,
    name: "provide",
    fn: (c) => {
      const m = c.machine;
      const blob = readGuest(m.memory, reg(m, 8), reg(m, 9));
      if (!(blob instanceof Uint8Array)) return blob;
      const state = stateOf(env, "provide");
      const service = serviceOf(reg(m, 7), env.self);
      let result = OK;
      if (service === undefined || state.info(service) === undefined) result = WHO;
      else if (state.request(service, blake2b(blob, { dkLen: 32 }), blob.length)?.length !== 0) result = HUH;
      else if (state.hasProvision(service, blob)) result = HUH;
      else state.addProvision(service, blob);
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}
