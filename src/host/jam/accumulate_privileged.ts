/**
 * The privileged accumulate host functions of GP v0.7.2 (appendix B.7): `bless` (14),
 * `assign` (15) and `designate` (16). Each costs 10 gas; a guest range that is not
 * readable panics with nothing changed.
 *
 * @module
 */
import { CONTINUE, type HostFunctionSpec, readGuest } from "../host.ts";
import { CORE, HUH, JAM_HOST_IDS, OK, WHO } from "./constants.ts";
import type { JamHostEnv } from "./general.ts";
import { leAt, paramsOf, pieces, stateOf } from "./accumulate_common.ts";
import { reg, U32 } from "./_guest.ts";

/**
 * `bless` (14): r7 = manager, r8 = pointer to C assigners (E₄ each), r9 = delegator,
 * r10 = registrar, r11 = pointer to n always-accumulate entries (E₄(service) ++ E₈(gas)),
 * r12 = n. Panics if either range is unreadable; WHO if the manager, delegator or
 * registrar is not a u32; otherwise sets all five privileges and answers OK.
 *
 * @example
 * ```ts
 * import { blessFunction } from "./accumulate_privileged.ts";
 * console.log(blessFunction({ context: "accumulate", self: 0 }).id); // 14
 * ```
 */
export function blessFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.bless,
    name: "bless",
    fn: (c) => {
      const m = c.machine;
      const cores = paramsOf(env).coreCount;
      const assigners = readGuest(m.memory, reg(m, 8), BigInt(4 * cores));
      if (!(assigners instanceof Uint8Array)) return assigners;
      const n = reg(m, 12);
      const entries = readGuest(m.memory, reg(m, 11), 12n * n);
      if (!(entries instanceof Uint8Array)) return entries;
      const [manager, delegator, registrar] = [reg(m, 7), reg(m, 9), reg(m, 10)];
      if (manager >= U32 || delegator >= U32 || registrar >= U32) {
        m.setRegister(7, WHO);
        return CONTINUE;
      }
      const alwaysAccumulate = new Map<number, bigint>();
      for (let at = 0; at < entries.length; at += 12) {
        alwaysAccumulate.set(Number(leAt(entries, at, 4)), leAt(entries, at + 4, 8));
      }
      stateOf(env, "bless").setPrivileges({
        manager: Number(manager),
        assigners: Array.from({ length: cores }, (_, i) => Number(leAt(assigners, 4 * i, 4))),
        delegator: Number(delegator),
        registrar: Number(registrar),
        alwaysAccumulate,
      });
      m.setRegister(7, OK);
      return CONTINUE;
    },
  };
}

/**
 * `assign` (15): r7 = core c, r8 = pointer to Q hashes (32 bytes each), r9 = new assigner.
 * Panics if the queue is unreadable; CORE if c ≥ C; HUH unless the caller is the core's
 * assigner; WHO if the new assigner is not a u32; otherwise replaces the core's queue and
 * assigner and answers OK.
 *
 * @example
 * ```ts
 * import { assignFunction } from "./accumulate_privileged.ts";
 * console.log(assignFunction({ context: "accumulate", self: 0 }).id); // 15
 * ```
 */
export function assignFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.assign,
    name: "assign",
    fn: (c) => {
      const m = c.machine;
      const params = paramsOf(env);
      const queue = readGuest(m.memory, reg(m, 8), BigInt(32 * params.authQueueSize));
      if (!(queue instanceof Uint8Array)) return queue;
      const core = reg(m, 7);
      const assigner = reg(m, 9);
      const state = stateOf(env, "assign");
      const privileges = state.privileges();
      let result = OK;
      if (core >= BigInt(params.coreCount)) result = CORE;
      else if (privileges.assigners[Number(core)] !== env.self) result = HUH;
      else if (assigner >= U32) result = WHO;
      else {
        state.setAuthQueue(Number(core), pieces(queue, 32, params.authQueueSize));
        privileges.assigners[Number(core)] = Number(assigner);
        state.setPrivileges(privileges);
      }
      m.setRegister(7, result);
      return CONTINUE;
    },
  };
}

/**
 * `designate` (16): r7 = pointer to V validator key sets (336 bytes each). Panics if
 * unreadable; HUH unless the caller is the delegator; otherwise sets the staging keys and
 * answers OK.
 *
 * @example
 * ```ts
 * import { designateFunction } from "./accumulate_privileged.ts";
 * console.log(designateFunction({ context: "accumulate", self: 0 }).id); // 16
 * ```
 */
export function designateFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.designate,
    name: "designate",
    fn: (c) => {
      const m = c.machine;
      const { validatorCount, validatorKeySize } = paramsOf(env);
      const keys = readGuest(m.memory, reg(m, 7), BigInt(validatorCount * validatorKeySize));
      if (!(keys instanceof Uint8Array)) return keys;
      const state = stateOf(env, "designate");
      if (state.privileges().delegator !== env.self) {
        m.setRegister(7, HUH);
        return CONTINUE;
      }
      state.setStagingSet(pieces(keys, validatorKeySize, validatorCount));
      m.setRegister(7, OK);
      return CONTINUE;
    },
  };
}
