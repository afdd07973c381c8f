/**
 * The accumulate host functions of GP v0.7.2 (appendix B.7) that create, change, pay and
 * remove service accounts: `new` (18), `upgrade` (19), `transfer` (20, 10 gas plus its
 * gas limit when it succeeds) and `eject` (21); and the next-free-id rule they share with
 * the accumulate invocation.
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { encodeVarint } from "../../program/reader.ts";
import { CONTINUE, type HostFunctionSpec, OOG, PANIC, readGuest } from "../host.ts";
import { CASH, FULL, HUH, JAM_HOST_IDS, LOW, OK, WHO } from "./constants.ts";
import type { JamHostEnv } from "./general.ts";
import { FULL_PARAMS, type ProtocolParams } from "./params.ts";
import { requestOctets, type ServiceState, thresholdOf } from "./state.ts";
import { leAt, paramsOf, sameBytes, selfInfo, stateOf, timeslotOf } from "./accumulate_common.ts";
import { reg, U32 } from "./_guest.ts";

/** Number of ids `new` cycles through above S: 2^32 − S − 2^8. */
const idSpan = (params: ProtocolParams) => 2 ** 32 - params.minPublicServiceId - 2 ** 8;

/**
 * GP's check(i): the first id from i on (stepping by one through [S, 2^32 − 2^8)) that no
 * account uses.
 *
 * @example
 * ```ts
 * import { firstFreeServiceId } from "./accumulate_services.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * const state = new InMemoryServiceState();
 * state.setInfo(70000, InMemoryServiceState.emptyInfo());
 * console.log(firstFreeServiceId(state, 70000), firstFreeServiceId(state, 70001)); // 70001 70001
 * ```
 */
export function firstFreeServiceId(state: ServiceState, id: number, params: ProtocolParams = FULL_PARAMS): number {
  const s = params.minPublicServiceId;
  // at most 2^32 − S − 2^8 candidates; a state never holds that many accounts
  while (state.info(id) !== undefined) id = s + ((id - s + 1) % idSpan(params));
  return id;
}

/**
 * The accumulation's first next-free id (GP's initial implications):
 * check((E₄⁻¹(blake2b(E(service, entropy, timeslot))₀…₃) mod (2^32 − S − 2^8)) + S), the
 * service id and timeslot in the general natural encoding.
 *
 * @example
 * ```ts
 * import { initialNextFreeId } from "./accumulate_services.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * const id = initialNextFreeId(new InMemoryServiceState(), 1, new Uint8Array(32), 7);
 * console.log(id >= 65536 && id < 2 ** 32 - 256); // true
 * ```
 */
export function initialNextFreeId(
  state: ServiceState,
  service: number,
  entropy: Uint8Array,
  timeslot: number,
  params: ProtocolParams = FULL_PARAMS,
): number {
  const encoded = new Uint8Array([...encodeVarint(service), ...entropy, ...encodeVarint(timeslot)]);
  const h = blake2b(encoded, { dkLen: 32 });
  const start = Number(leAt(h, 0, 4)) % idSpan(params) + params.minPublicServiceId;
  return firstFreeServiceId(state, start, params);
}

/**
 * `new` (18): r7 = code hash pointer, r8 = code length l, r9 = min accumulate gas, r10 =
 * min memo gas, r11 = gratis f, r12 = the id the registrar wants. Panics if the hash is
 * unreadable or l ≥ 2^32. HUH if f ≠ 0 and the caller is not the manager; CASH if paying
 * the new account's threshold (its balance) would take the caller below its own; FULL if
 * the registrar asks for an id below S that is taken. The new account requests (hash, l),
 * was created now, has the caller as parent. r7 ← its id: the registrar's choice below S,
 * else the next free id (which then moves on by 42, skipping used ids).
 *
 * @example
 * ```ts
 * import { newFunction } from "./accumulate_services.ts";
 * console.log(newFunction({ context: "accumulate", self: 0 }).id); // 18
 * ```
 */
export function newFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.new,
    name: "new",
    fn: (c) => {
      const m = c.machine;
      const length = reg(m, 8);
      const codeHash = length < U32 ? readGuest(m.memory, reg(m, 7), 32n) : undefined;
      if (!(codeHash instanceof Uint8Array)) return codeHash ?? PANIC;
      const [minAccumulateGas, minMemoGas, gratis, wanted] = [reg(m, 9), reg(m, 10), reg(m, 11), reg(m, 12)];
      const state = stateOf(env, "new");
      const self = selfInfo(env, "new");
      const params = paramsOf(env);
      const privileges = state.privileges();
      const balance = thresholdOf({ items: 2, octets: requestOctets(Number(length)), gratis });
      const left = self.balance - balance;
      const registrarPick = env.self === privileges.registrar && wanted < BigInt(params.minPublicServiceId);
      let result: bigint;
      if (gratis !== 0n && env.self !== privileges.manager) result = HUH;
      else if (left < thresholdOf(self)) result = CASH;
      else if (registrarPick && state.info(Number(wanted)) !== undefined) result = FULL;
      else {
        const id = registrarPick ? Number(wanted) : state.nextFreeId();
        state.setInfo(env.self, { ...self, balance: left });
        state.removeService(id);
        state.setInfo(id, {
          codeHash,
          balance,
          minAccumulateGas,
          minMemoGas,
          octets: 0n,
          items: 0,
          gratis,
          created: timeslotOf(env, "new"),
          lastAccumulation: 0,
          parent: env.self,
        });
        state.setRequest(id, codeHash, Number(length), []);
        if (!registrarPick) {
          const s = params.minPublicServiceId;
          state.setNextFreeId(firstFreeServiceId(state, s + ((id - s + 42) % idSpan(params)), params));
        }
        result = BigInt(id);
      }
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}

/**
 * `upgrade` (19): r7 = code hash pointer, r8 = min accumulate gas, r9 = min memo gas.
 * Panics if the hash is unreadable; otherwise sets the three on the caller's account, OK.
 *
 * @example
 * ```ts
 * import { upgradeFunction } from "./accumulate_services.ts";
 * console.log(upgradeFunction({ context: "accumulate", self: 0 }).id); // 19
 * ```
 */
export function upgradeFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.upgrade,
    name: "upgrade",
    fn: (c) => {
      const m = c.machine;
      const codeHash = readGuest(m.memory, reg(m, 7), 32n);
      if (!(codeHash instanceof Uint8Array)) return codeHash;
      const self = selfInfo(env, "upgrade");
      stateOf(env, "upgrade").setInfo(env.self, {
        ...self,
        codeHash,
        minAccumulateGas: reg(m, 8),
        minMemoGas: reg(m, 9),
      });
      m.setRegister(7, OK);
      return CONTINUE;
    },
  };
}

/**
 * `transfer` (20): r7 = destination, r8 = amount, r9 = gas limit l, r10 = memo pointer
 * (W_T bytes). Panics if the memo is unreadable; WHO if the destination does not exist;
 * LOW if l is below its min memo gas; CASH if the caller's balance would fall below its
 * threshold. On success it costs l more gas (OOG, nothing done, if that is not left),
 * queues the transfer, debits the amount and answers OK.
 *
 * @example
 * ```ts
 * import { transferFunction } from "./accumulate_services.ts";
 * console.log(transferFunction({ context: "accumulate", self: 0 }).id); // 20
 * ```
 */
export function transferFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.transfer,
    name: "transfer",
    fn: (c) => {
      const m = c.machine;
      const memo = readGuest(m.memory, reg(m, 10), BigInt(paramsOf(env).memoSize));
      if (!(memo instanceof Uint8Array)) return memo;
      const [destination, amount, gas] = [reg(m, 7), reg(m, 8), reg(m, 9)];
      const state = stateOf(env, "transfer");
      const self = selfInfo(env, "transfer");
      const target = destination < U32 ? state.info(Number(destination)) : undefined;
      const left = self.balance - amount;
      let result = OK;
      if (!target) result = WHO;
      else if (gas < target.minMemoGas) result = LOW;
      else if (left < thresholdOf(self)) result = CASH;
      else if (!c.charge(gas)) {
        m.gas = m.gas - gas; // the GP's gas′ = gas − (10 + l) < 0: all of it is used
        return OOG;
      } else {
        state.addTransfer({ source: env.self, destination: Number(destination), amount, memo, gas });
        state.setInfo(env.self, { ...self, balance: left });
      }
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}

/**
 * The 32-byte code hash an account must carry to be ejectable by `service`: E₃₂(service).
 *
 * @example
 * ```ts
 * import { ejectableCodeHash } from "./accumulate_services.ts";
 * console.log(ejectableCodeHash(258).subarray(0, 3)); // Uint8Array(3) [ 2, 1, 0 ]
 * ```
 */
export function ejectableCodeHash(service: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, service, true);
  return out;
}

/**
 * `eject` (21): r7 = service d, r8 = hash pointer h. Panics if h is unreadable. WHO if d
 * is the caller, does not exist, or its code hash is not E₃₂(caller); HUH unless d holds
 * exactly 2 items, one being the request (h, max(81, octets) − 81), and that request was
 * forgotten ([x, y]) before now − D. Otherwise removes d, credits its balance to the
 * caller, OK.
 *
 * @example
 * ```ts
 * import { ejectFunction } from "./accumulate_services.ts";
 * console.log(ejectFunction({ context: "accumulate", self: 0 }).id); // 21
 * ```
 */
export function ejectFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.eject,
    name: "eject",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, reg(m, 8), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const state = stateOf(env, "eject");
      const d = reg(m, 7);
      const target = d < U32 && Number(d) !== env.self ? state.info(Number(d)) : undefined;
      let result = OK;
      if (!target || !sameBytes(target.codeHash, ejectableCodeHash(env.self))) result = WHO;
      else {
        const length = (target.octets > 81n ? target.octets : 81n) - 81n;
        const request = length < U32 ? state.request(Number(d), hash, Number(length)) : undefined;
        const now = timeslotOf(env, "eject");
        if (
          target.items !== 2 || request === undefined || request.length !== 2 ||
          !(request[1] < now - paramsOf(env).expungePeriod)
        ) result = HUH;
        else {
          const self = selfInfo(env, "eject");
          state.removeService(Number(d));
          state.setInfo(env.self, { ...self, balance: self.balance + target.balance });
        }
      }
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}
