/**
 * The general JAM host functions of GP v0.7.2 (spec §13.3): `gas` (0), `fetch` (1),
 * `lookup` (2), `read` (3), `write` (4), `info` (5), accumulate's `checkpoint` (17), and
 * JIP-1 `log` (100). Each is a {@link HostFunctionSpec} for a {@link HostRegistry}; bad
 * guest pointers panic with nothing applied.
 *
 * @module
 */
import { concatBytes } from "../../program/blob.ts";
import { encodeVarint } from "../../program/reader.ts";
import { CONTINUE, guestReadable, type HostFunctionSpec, readGuest } from "../host.ts";
import { copyOut, reg as r, serviceOf } from "./_guest.ts";
import { FULL, JAM_HOST_IDS, NONE } from "./constants.ts";
import type { ProtocolParams } from "./params.ts";
import { type ServiceInfo, type ServiceState, storageOctets, thresholdOf } from "./state.ts";

/** The three invocations of the GP (spec §11). */
export type InvocationContext = "is-authorized" | "refine" | "accumulate";

/**
 * Blobs `fetch` can return (spec §13.3), each optional: a missing one fetches as NONE.
 * Which kinds an invocation may fetch is fixed by its context, whatever is given here.
 */
export interface FetchData {
  /** Kind 0: the encoded protocol constants. */
  constants?: Uint8Array;
  /** Kind 1 in Accumulate: the entropy (Refine always gets 32 zero bytes). */
  entropy?: Uint8Array;
  /** Kind 2: the authorizer trace. */
  authorizerTrace?: Uint8Array;
  /** Kinds 3 and 4: extrinsics of each work item. */
  extrinsics?: readonly (readonly Uint8Array[])[];
  /** Kinds 5 and 6: import segments of each work item. */
  imports?: readonly (readonly Uint8Array[])[];
  /** The current work item (kinds 4 and 6). */
  currentItem?: number;
  /** Kind 7: the encoded work package. */
  workPackage?: Uint8Array;
  /** Kind 8: the auth config. */
  authConfig?: Uint8Array;
  /** Kind 9: the auth token. */
  authToken?: Uint8Array;
  /** Kind 10: the encoded refinement context. */
  context?: Uint8Array;
  /** Kinds 11 and 12: the encoded work-item summaries. */
  itemSummaries?: readonly Uint8Array[];
  /** Kind 13: work-item payloads. */
  payloads?: readonly Uint8Array[];
  /** Kinds 14 and 15: each accumulate input, encoded. */
  accumulateInputs?: readonly Uint8Array[];
  /** Kind 14 as given (instead of the length-prefixed concatenation of `accumulateInputs`). */
  accumulateInputsBlob?: Uint8Array;
}

/** A message sent with `log`. */
export interface LogEntry {
  /** Level (r7): 0 error, 1 warning, 2 info, 3 debug, 4 trace. */
  readonly level: bigint;
  /** Target, or "" (UTF-8, lossy). */
  readonly target: string;
  /** The message (UTF-8, lossy). */
  readonly message: string;
}

/** How `log` (JIP-1, id 100) behaves. */
export interface LogOptions {
  /** Gas it costs (default 0, as in the W3F traces). */
  gas?: bigint;
  /** Value put in r7 (default: r7 unchanged). Some peers answer WHAT. */
  result?: bigint;
  /** Where messages go (default: nowhere). */
  sink?: (entry: LogEntry) => void;
}

/** What the JAM host functions work on. */
export interface JamHostEnv {
  /** The invocation. */
  readonly context: InvocationContext;
  /** The running service's id (the "self" of lookup, read, write, info). */
  readonly self: number;
  /** Chain state (Refine and Accumulate). */
  readonly state?: ServiceState;
  /** Blobs for `fetch`. */
  readonly fetch?: FetchData;
  /** `log` behaviour. */
  readonly log?: LogOptions;
  /** Called by `checkpoint` (accumulate): save the state as the exceptional one. */
  readonly onCheckpoint?: () => void;
  /** The current timeslot (Accumulate: `new`, `eject`, `solicit`, `forget` need it). */
  readonly timeslot?: number;
  /** Protocol constants of the accumulate functions (default: the full chain's, `FULL_PARAMS`). */
  readonly params?: ProtocolParams;
}

/**
 * A sequence with its length prefix: E(|xs|) ++ xs₀ ++ xs₁ ++ …
 *
 * @example
 * ```ts
 * import { lengthPrefixed } from "./general.ts";
 * console.log(lengthPrefixed([new Uint8Array([7]), new Uint8Array([8, 9])])); // Uint8Array(4) [ 2, 7, 8, 9 ]
 * ```
 */
export function lengthPrefixed(items: readonly Uint8Array[]): Uint8Array {
  return concatBytes([encodeVarint(items.length), ...items]);
}

const at = <T>(list: readonly T[] | undefined, index: bigint): T | undefined =>
  list !== undefined && index < BigInt(list.length) ? list[Number(index)] : undefined;

/** Kinds each invocation may fetch (spec §13.3). */
const FETCH_KINDS: Record<InvocationContext, ReadonlySet<number>> = {
  "is-authorized": new Set([0, 7, 8, 9, 10, 11, 12, 13]),
  refine: new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
  accumulate: new Set([0, 1, 14, 15]),
};

/**
 * The blob `fetch` selects for a kind and sub-indices in a context, or undefined (NONE).
 *
 * @example
 * ```ts
 * import { fetchBlob } from "./general.ts";
 * const data = { constants: new Uint8Array([1, 2]), accumulateInputs: [new Uint8Array([5])] };
 * console.log(fetchBlob("accumulate", data, 15n, 0n, 0n), fetchBlob("is-authorized", data, 15n, 0n, 0n)); // Uint8Array(1) [ 5 ] undefined
 * console.log(fetchBlob("refine", data, 1n, 0n, 0n)?.length); // 32
 * ```
 */
export function fetchBlob(
  context: InvocationContext,
  data: FetchData,
  kind: bigint,
  a: bigint,
  b: bigint,
): Uint8Array | undefined {
  if (kind > 15n || !FETCH_KINDS[context].has(Number(kind))) return undefined;
  const item = BigInt(data.currentItem ?? 0);
  switch (Number(kind)) {
    case 0:
      return data.constants;
    case 1:
      return context === "refine" ? new Uint8Array(32) : data.entropy;
    case 2:
      return data.authorizerTrace;
    case 3:
      return at(at(data.extrinsics, a), b);
    case 4:
      return at(at(data.extrinsics, item), a);
    case 5:
      return at(at(data.imports, a), b);
    case 6:
      return at(at(data.imports, item), a);
    case 7:
      return data.workPackage;
    case 8:
      return data.authConfig;
    case 9:
      return data.authToken;
    case 10:
      return data.context;
    case 11:
      return data.itemSummaries && lengthPrefixed(data.itemSummaries);
    case 12:
      return at(data.itemSummaries, a);
    case 13:
      return at(data.payloads, a);
    case 14:
      return data.accumulateInputsBlob ?? (data.accumulateInputs && lengthPrefixed(data.accumulateInputs));
    case 15:
      return at(data.accumulateInputs, a);
  }
  return undefined;
}

/**
 * `gas` (0): r7 ← the gas left after this call's 10.
 *
 * @example
 * ```ts
 * import { gasFunction } from "./general.ts";
 * console.log(gasFunction().id, gasFunction().name); // 0 gas
 * ```
 */
export function gasFunction(): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.gas,
    name: "gas",
    fn: (c) => c.machine.setRegister(7, BigInt.asUintN(64, c.machine.gas)),
  };
}

/**
 * `fetch` (1): r7 = out, r8 = offset, r9 = length, r10 = kind, r11/r12 = sub-indices.
 *
 * @example
 * ```ts
 * import { fetchFunction } from "./general.ts";
 * console.log(fetchFunction({ context: "accumulate", self: 0 }).name); // fetch
 * ```
 */
export function fetchFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.fetch,
    name: "fetch",
    fn: (c) => {
      const m = c.machine;
      const v = fetchBlob(env.context, env.fetch ?? {}, r(m, 10), r(m, 11), r(m, 12));
      return copyOut(m, v, r(m, 7), r(m, 8), r(m, 9));
    },
  };
}

/**
 * `lookup` (2): r7 = service (2^64 − 1: self), r8 = hash ptr, r9 = out, r10 = offset,
 * r11 = length. r7 ← the preimage's length, or NONE.
 *
 * @example
 * ```ts
 * import { lookupFunction } from "./general.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * console.log(lookupFunction({ context: "accumulate", self: 0, state: new InMemoryServiceState() }).id); // 2
 * ```
 */
export function lookupFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.lookup,
    name: "lookup",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, r(m, 8), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const service = serviceOf(r(m, 7), env.self);
      const v = service === undefined ? undefined : env.state?.preimage(service, hash);
      return copyOut(m, v, r(m, 9), r(m, 10), r(m, 11));
    },
  };
}

/**
 * `read` (3): r7 = service (2^64 − 1: self), r8 = key ptr, r9 = key length, r10 = out,
 * r11 = offset, r12 = length. r7 ← the value's length, or NONE.
 *
 * @example
 * ```ts
 * import { readFunction } from "./general.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * console.log(readFunction({ context: "accumulate", self: 0, state: new InMemoryServiceState() }).id); // 3
 * ```
 */
export function readFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.read,
    name: "read",
    fn: (c) => {
      const m = c.machine;
      const key = readGuest(m.memory, r(m, 8), r(m, 9));
      if (!(key instanceof Uint8Array)) return key;
      const service = serviceOf(r(m, 7), env.self);
      const v = service === undefined ? undefined : env.state?.storage(service, key);
      return copyOut(m, v, r(m, 10), r(m, 11), r(m, 12));
    },
  };
}

/**
 * `write` (4): r7 = key ptr, r8 = key length, r9 = value ptr, r10 = value length (0
 * deletes). r7 ← the previous value's length or NONE; FULL (state unchanged) if the new
 * threshold would exceed the balance.
 *
 * @example
 * ```ts
 * import { writeFunction } from "./general.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * console.log(writeFunction({ context: "accumulate", self: 0, state: new InMemoryServiceState() }).id); // 4
 * ```
 */
export function writeFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.write,
    name: "write",
    fn: (c) => {
      const m = c.machine;
      const key = readGuest(m.memory, r(m, 7), r(m, 8));
      if (!(key instanceof Uint8Array)) return key;
      const valueLength = r(m, 10);
      let value: Uint8Array | undefined;
      if (valueLength > 0n) {
        const v = readGuest(m.memory, r(m, 9), valueLength);
        if (!(v instanceof Uint8Array)) return v;
        value = v;
      }
      const state = env.state;
      const info = state?.info(env.self);
      if (!state || !info) throw new Error(`write: the running service ${env.self} has no account`);
      const previous = state.storage(env.self, key);
      const items = info.items - (previous ? 1 : 0) + (value ? 1 : 0);
      const octets = info.octets - (previous ? storageOctets(key.length, previous.length) : 0n) +
        (value ? storageOctets(key.length, value.length) : 0n);
      if (thresholdOf({ items, octets, gratis: info.gratis }) > info.balance) {
        m.setRegister(7, FULL);
        return CONTINUE;
      }
      state.setStorage(env.self, key, value);
      m.setRegister(7, previous ? BigInt(previous.length) : NONE);
      return CONTINUE;
    },
  };
}

const le = (value: bigint | number, bytes: number, out: Uint8Array, offset: number) => {
  let v = BigInt.asUintN(8 * bytes, BigInt(value));
  for (let i = 0; i < bytes; i++, v >>= 8n) out[offset + i] = Number(v & 0xffn);
};

/**
 * The 96 bytes `info` returns: code_hash ++ E₈(balance, threshold, min accumulate gas,
 * min memo gas, octets) ++ E₄(items) ++ E₈(gratis) ++ E₄(created, last accumulation, parent).
 *
 * @example
 * ```ts
 * import { encodeServiceInfo } from "./general.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * const bytes = encodeServiceInfo(InMemoryServiceState.emptyInfo({ balance: 500n }));
 * console.log(bytes.length, bytes[32], bytes[33], bytes[40]); // 96 244 1 100
 * ```
 */
export function encodeServiceInfo(info: ServiceInfo): Uint8Array {
  const out = new Uint8Array(96);
  out.set(info.codeHash.subarray(0, 32), 0);
  le(info.balance, 8, out, 32);
  le(thresholdOf(info), 8, out, 40);
  le(info.minAccumulateGas, 8, out, 48);
  le(info.minMemoGas, 8, out, 56);
  le(info.octets, 8, out, 64);
  le(info.items, 4, out, 72);
  le(info.gratis, 8, out, 76);
  le(info.created, 4, out, 84);
  le(info.lastAccumulation, 4, out, 88);
  le(info.parent, 4, out, 92);
  return out;
}

/**
 * `info` (5): r7 = service (2^64 − 1: self), r8 = out, r9 = offset, r10 = length.
 * r7 ← 96, or NONE if the service does not exist.
 *
 * @example
 * ```ts
 * import { infoFunction } from "./general.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * console.log(infoFunction({ context: "accumulate", self: 0, state: new InMemoryServiceState() }).id); // 5
 * ```
 */
export function infoFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.info,
    name: "info",
    fn: (c) => {
      const m = c.machine;
      const service = serviceOf(r(m, 7), env.self);
      const info = service === undefined ? undefined : env.state?.info(service);
      return copyOut(m, info && encodeServiceInfo(info), r(m, 8), r(m, 9), r(m, 10));
    },
  };
}

/**
 * `checkpoint` (17, Accumulate): save the state as the exceptional one; r7 ← gas left.
 *
 * @example
 * ```ts
 * import { checkpointFunction } from "./general.ts";
 * console.log(checkpointFunction({ context: "accumulate", self: 0 }).id); // 17
 * ```
 */
export function checkpointFunction(env: JamHostEnv): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.checkpoint,
    name: "checkpoint",
    fn: (c) => {
      env.onCheckpoint?.();
      c.machine.setRegister(7, BigInt.asUintN(64, c.machine.gas));
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * JIP-1 `log` (100): r7 = level, r8/r9 = target ptr/length, r10/r11 = message ptr/length.
 * A debugging aid: an unreadable target or message is delivered as "", never a panic.
 *
 * @example
 * ```ts
 * import { logFunction } from "./general.ts";
 * const spec = logFunction({ context: "refine", self: 0, log: { sink: (e) => console.log(e.message) } });
 * console.log(spec.id, spec.gas); // 100 0n
 * ```
 */
export function logFunction(env: JamHostEnv): HostFunctionSpec {
  const options = env.log ?? {};
  return {
    id: JAM_HOST_IDS.log,
    name: "log",
    gas: options.gas ?? 0n,
    fn: (c) => {
      const m = c.machine;
      if (options.sink) {
        const text = (ptr: bigint, length: bigint) =>
          guestReadable(m.memory, ptr, length) && length > 0n
            ? utf8.decode(m.memory.read(Number(ptr), Number(length)))
            : "";
        options.sink({ level: r(m, 7), target: text(r(m, 8), r(m, 9)), message: text(r(m, 10), r(m, 11)) });
      }
      if (options.result !== undefined) m.setRegister(7, options.result);
    },
  };
}
