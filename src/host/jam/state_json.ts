/**
 * A small JSON format for service state, used by `pvmkit accumulate|refine --state FILE`:
 * accounts with their info, storage, preimages and preimage requests ("lookups").
 *
 * ```json
 * {
 *   "services": {
 *     "7": {
 *       "info": { "balance": "1000000", "codeHash": "0x00…", "minAccumulateGas": "0", "minMemoGas": "0",
 *                 "gratis": "0", "created": 0, "lastAccumulation": 0, "parent": 0, "items": 1, "octets": "40" },
 *       "storage": { "0x6b6579": "0x76616c7565" },
 *       "preimages": { "0x<32-byte hash>": "0x<blob>" },
 *       "lookups": [{ "hash": "0x<32-byte hash>", "length": 5, "slots": [10] }]
 *     }
 *   }
 * }
 * ```
 *
 * Service ids are decimal keys; bytes are `0x` hex; 64-bit numbers are decimal strings
 * (plain JSON numbers are accepted when they are safe integers). Every `info` field is
 * optional (zero by default; `codeHash` 32 zero bytes). `items` and `octets` are derived
 * from the storage unless given, in which case the given values are kept.
 *
 * Beside `services`, the chain-wide state the privileged host functions change, each
 * optional and written back only when set:
 *
 * ```json
 * {
 *   "privileges": { "manager": 1, "assigners": [1, 1], "delegator": 1, "registrar": 1,
 *                   "alwaysAccumulate": { "7": "10000" } },
 *   "authQueues": { "0": ["0x<32-byte hash>", …] },
 *   "stagingSet": ["0x<336 bytes of validator keys>", …]
 * }
 * ```
 *
 * @module
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Privileges, ServiceInfo } from "./state.ts";
import { InMemoryServiceState } from "./state.ts";
import { FULL_PARAMS } from "./params.ts";

/** Bytes of one validator's keys in `stagingSet`. */
const VALIDATOR_KEY_BYTES = FULL_PARAMS.validatorKeySize;

/**
 * A state file that cannot be used: `path` names the offending JSON field.
 *
 * @example
 * ```ts
 * import { stateFromJson, StateJsonError } from "./state_json.ts";
 * try {
 *   stateFromJson({ services: { "1": { storage: { "0x01": "zz" } } } });
 * } catch (e) {
 *   console.log(e instanceof StateJsonError, (e as StateJsonError).path); // true services.1.storage.0x01
 * }
 * ```
 */
export class StateJsonError extends Error {
  /** Dotted path of the bad field. */
  readonly path: string;

  /** An error about the field at `path`. */
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = "StateJsonError";
    this.path = path;
  }
}

const U64_MAX = (1n << 64n) - 1n;

function fail(path: string, reason: string): never {
  throw new StateJsonError(path, reason);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hexBytes(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v)) fail(path, "expected 0x-prefixed hex bytes");
  const out = new Uint8Array((v.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(v.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (length !== undefined && out.length !== length) fail(path, `expected ${length} bytes, got ${out.length}`);
  return out;
}

function u64(v: unknown, path: string, max = U64_MAX): bigint {
  let value: bigint;
  if (typeof v === "number" && Number.isSafeInteger(v)) value = BigInt(v);
  else if (typeof v === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) value = BigInt(v);
  else return fail(path, "expected a non-negative integer (a decimal string for 64-bit values)");
  if (value < 0n || value > max) fail(path, `${v} is out of range (0..${max})`);
  return value;
}

const u32 = (v: unknown, path: string) => Number(u64(v, path, 0xffffffffn));

const INFO_FIELDS = [
  "codeHash",
  "balance",
  "minAccumulateGas",
  "minMemoGas",
  "gratis",
  "created",
  "lastAccumulation",
  "parent",
  "items",
  "octets",
];

/** Refuse a field this format does not have (a misspelt one would otherwise be ignored). */
function knownFields(object: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const name of Object.keys(object)) {
    if (!known.includes(name)) {
      fail(path === "(top level)" ? name : `${path}.${name}`, `unknown field (expected one of: ${known.join(", ")})`);
    }
  }
}

const hex = (b: Uint8Array) => "0x" + bytesToHex(b);

/**
 * Load a state from its JSON form (already parsed).
 *
 * @throws {StateJsonError} naming the field that is malformed.
 *
 * @example
 * ```ts
 * import { stateFromJson } from "./state_json.ts";
 * const state = stateFromJson({ services: { "7": { info: { balance: "1000" }, storage: { "0x01": "0x0203" } } } });
 * console.log(state.info(7)?.balance, state.info(7)?.items, state.storage(7, new Uint8Array([1]))); // 1000n 1 Uint8Array(2) [ 2, 3 ]
 * ```
 */
export function stateFromJson(json: unknown): InMemoryServiceState {
  const state = new InMemoryServiceState();
  if (!isObject(json)) fail("(top level)", "expected an object with a services field");
  knownFields(json, "(top level)", ["services", "privileges", "authQueues", "stagingSet"]);
  const services = json.services ?? {};
  if (!isObject(services)) fail("services", "expected an object keyed by service id");
  for (const [id, account] of Object.entries(services)) {
    const at = `services.${id}`;
    if (!/^[0-9]+$/.test(id)) fail(at, "a service id must be a decimal integer");
    const service = u32(id, at);
    if (!isObject(account)) fail(at, "expected an object");
    knownFields(account, at, ["info", "storage", "preimages", "lookups"]);
    const info = account.info ?? {};
    if (!isObject(info)) fail(`${at}.info`, "expected an object");
    knownFields(info, `${at}.info`, INFO_FIELDS);
    const field = (name: string, parse: (v: unknown, p: string) => unknown, fallback: unknown) =>
      info[name] === undefined ? fallback : parse(info[name], `${at}.info.${name}`);
    const parsed: ServiceInfo = InMemoryServiceState.emptyInfo({
      codeHash: field("codeHash", (v, p) => hexBytes(v, p, 32), new Uint8Array(32)) as Uint8Array,
      balance: field("balance", u64, 0n) as bigint,
      minAccumulateGas: field("minAccumulateGas", u64, 0n) as bigint,
      minMemoGas: field("minMemoGas", u64, 0n) as bigint,
      gratis: field("gratis", u64, 0n) as bigint,
      created: field("created", u32, 0) as number,
      lastAccumulation: field("lastAccumulation", u32, 0) as number,
      parent: field("parent", u32, 0) as number,
    });
    state.setInfo(service, parsed);
    const storage = account.storage ?? {};
    if (!isObject(storage)) fail(`${at}.storage`, "expected an object of 0x key: 0x value");
    for (const [key, value] of Object.entries(storage)) {
      const k = hexBytes(key, `${at}.storage (key ${key})`);
      state.setStorage(service, k, hexBytes(value, `${at}.storage.${key}`));
    }
    const preimages = account.preimages ?? {};
    if (!isObject(preimages)) fail(`${at}.preimages`, "expected an object of 0x hash: 0x blob");
    for (const [hash, blob] of Object.entries(preimages)) {
      state.setPreimage(
        service,
        hexBytes(hash, `${at}.preimages (key ${hash})`, 32),
        hexBytes(blob, `${at}.preimages.${hash}`),
      );
    }
    const lookups = account.lookups ?? [];
    if (!Array.isArray(lookups)) fail(`${at}.lookups`, "expected an array of { hash, length, slots }");
    lookups.forEach((l, i) => {
      const p = `${at}.lookups.${i}`;
      if (!isObject(l)) fail(p, "expected an object { hash, length, slots }");
      const slots = l.slots;
      if (!Array.isArray(slots) || slots.length > 3) fail(`${p}.slots`, "expected an array of at most 3 timeslots");
      state.setRequest(
        service,
        hexBytes(l.hash, `${p}.hash`, 32),
        u32(l.length, `${p}.length`),
        slots.map((s, j) => u32(s, `${p}.slots.${j}`)),
      );
    });
    if (info.items !== undefined || info.octets !== undefined) {
      const now = state.info(service)!;
      state.setInfo(service, {
        ...now,
        items: info.items === undefined ? now.items : u32(info.items, `${at}.info.items`),
        octets: info.octets === undefined ? now.octets : u64(info.octets, `${at}.info.octets`),
      });
    }
  }
  loadChainState(json, state);
  return state;
}

/** The optional top-level `privileges`, `authQueues` and `stagingSet`. */
function loadChainState(json: Record<string, unknown>, state: InMemoryServiceState): void {
  if (json.privileges !== undefined) state.setPrivileges(privilegesFromJson(json.privileges));
  if (json.authQueues !== undefined) {
    const queues = json.authQueues;
    if (!isObject(queues)) fail("authQueues", "expected an object keyed by core index");
    for (const [core, hashes] of Object.entries(queues)) {
      const at = `authQueues.${core}`;
      if (!/^[0-9]+$/.test(core)) fail(at, "a core index must be a decimal integer");
      if (!Array.isArray(hashes)) fail(at, "expected an array of 32-byte hashes");
      state.setAuthQueue(u32(core, at), hashes.map((h, i) => hexBytes(h, `${at}.${i}`, 32)));
    }
  }
  if (json.stagingSet !== undefined) {
    const keys = json.stagingSet;
    if (!Array.isArray(keys)) {
      fail("stagingSet", `expected an array of validator keys (${VALIDATOR_KEY_BYTES} bytes each)`);
    }
    state.setStagingSet(keys.map((k, i) => hexBytes(k, `stagingSet.${i}`, VALIDATOR_KEY_BYTES)));
  }
}

function privilegesFromJson(v: unknown): Privileges {
  if (!isObject(v)) fail("privileges", "expected an object");
  const id = (name: string) => (v[name] === undefined ? 0 : u32(v[name], `privileges.${name}`));
  const assigners = v.assigners ?? [];
  if (!Array.isArray(assigners)) fail("privileges.assigners", "expected an array of service ids, one per core");
  const always = v.alwaysAccumulate ?? {};
  if (!isObject(always)) fail("privileges.alwaysAccumulate", "expected an object of service id: gas");
  const alwaysAccumulate = new Map<number, bigint>();
  for (const [service, gas] of Object.entries(always)) {
    const at = `privileges.alwaysAccumulate.${service}`;
    if (!/^[0-9]+$/.test(service)) fail(at, "a service id must be a decimal integer");
    alwaysAccumulate.set(u32(service, at), u64(gas, at));
  }
  return {
    manager: id("manager"),
    assigners: assigners.map((a, i) => u32(a, `privileges.assigners.${i}`)),
    delegator: id("delegator"),
    registrar: id("registrar"),
    alwaysAccumulate,
  };
}

/** The chain-wide fields that differ from a fresh state (see the module's description). */
function chainStateToJson(state: InMemoryServiceState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const p = state.privileges();
  if (p.manager || p.delegator || p.registrar || p.assigners.length > 0 || p.alwaysAccumulate.size > 0) {
    out.privileges = {
      manager: p.manager,
      assigners: [...p.assigners],
      delegator: p.delegator,
      registrar: p.registrar,
      alwaysAccumulate: Object.fromEntries(
        [...p.alwaysAccumulate].sort(([a], [b]) => a - b).map(([service, gas]) => [String(service), gas.toString()]),
      ),
    };
  }
  const cores = state.authQueueCores();
  if (cores.length > 0) {
    out.authQueues = Object.fromEntries(cores.map((core) => [String(core), state.authQueue(core)!.map(hex)]));
  }
  const staging = state.stagingSet();
  if (staging !== undefined) out.stagingSet = staging.map(hex);
  return out;
}

/**
 * The JSON form of a state loaded with {@link stateFromJson}: every service with its storage,
 * preimages and requests as they are now, and the privileges, authorization queues and
 * staging keys when they are set.
 *
 * @example
 * ```ts
 * import { stateFromJson, stateToJson } from "./state_json.ts";
 * const state = stateFromJson({ services: { "7": { info: { balance: "1000" } } } });
 * state.setStorage(7, new Uint8Array([1]), new Uint8Array([2]));
 * const json = stateToJson(state) as { services: Record<string, { storage: unknown; info: { items: number } }> };
 * console.log(json.services["7"].storage, json.services["7"].info.items); // { "0x01": "0x02" } 1
 * ```
 */
export function stateToJson(state: InMemoryServiceState): unknown {
  const services: Record<string, unknown> = {};
  for (const service of state.serviceIds()) {
    const info = state.info(service)!;
    const contents = state.contents(service)!;
    const storage = Object.fromEntries(contents.storage.map(({ key, value }) => [hex(key), hex(value)]));
    const preimages = Object.fromEntries(contents.preimages.map(({ hash, blob }) => [hex(hash), hex(blob)]));
    const lookups = contents.requests.map(({ hash, length, slots }) => ({
      hash: hex(hash),
      length,
      slots: [...slots],
    }));
    services[String(service)] = {
      info: {
        codeHash: hex(info.codeHash),
        balance: info.balance.toString(),
        minAccumulateGas: info.minAccumulateGas.toString(),
        minMemoGas: info.minMemoGas.toString(),
        gratis: info.gratis.toString(),
        created: info.created,
        lastAccumulation: info.lastAccumulation,
        parent: info.parent,
        items: info.items,
        octets: info.octets.toString(),
      },
      storage,
      preimages,
      lookups,
    };
  }
  return { services, ...chainStateToJson(state) };
}
