/**
 * The service state JAM host functions read and change: accounts (info, storage,
 * preimages, preimage requests), privileges, authorization queues, the staging validator
 * keys, and what an accumulation produces (pending transfers, the next free service id,
 * the yielded hash, provided preimages); with snapshots for accumulate's checkpoint and
 * rollback.
 *
 * @module
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { DEPOSIT } from "./constants.ts";

/** A service account's info fields (what `info` encodes), apart from the derived threshold. */
export interface ServiceInfo {
  /** Code hash (32 bytes). */
  codeHash: Uint8Array;
  /** Balance. */
  balance: bigint;
  /** Minimum gas for accumulate. */
  minAccumulateGas: bigint;
  /** Minimum gas for an on-transfer memo. */
  minMemoGas: bigint;
  /** Storage footprint in octets (a_o). */
  octets: bigint;
  /** Storage item count (a_i). */
  items: number;
  /** Gratis storage offset (a_f). */
  gratis: bigint;
  /** Creation timeslot. */
  created: number;
  /** Timeslot of the most recent accumulation. */
  lastAccumulation: number;
  /** Parent service. */
  parent: number;
}

/**
 * The storage threshold a_t = max(0, B_S + B_I·items + B_L·octets − gratis).
 *
 * @example
 * ```ts
 * import { thresholdOf } from "./state.ts";
 * console.log(thresholdOf({ items: 2, octets: 100n, gratis: 30n })); // 190n
 * ```
 */
export function thresholdOf(info: Pick<ServiceInfo, "items" | "octets" | "gratis">): bigint {
  const t = DEPOSIT.base + DEPOSIT.perItem * BigInt(info.items) + DEPOSIT.perOctet * info.octets - info.gratis;
  return t > 0n ? t : 0n;
}

/**
 * Octets one storage entry adds to the footprint: 34 + |key| + |value|.
 *
 * @example
 * ```ts
 * import { storageOctets } from "./state.ts";
 * console.log(storageOctets(4, 8)); // 46n
 * ```
 */
export function storageOctets(keyLength: number, valueLength: number): bigint {
  return BigInt(34 + keyLength + valueLength);
}

/** Privileged services (χ). */
export interface Privileges {
  /** Manager (χ_M). */
  manager: number;
  /** Assigner of each core (χ_A). */
  assigners: number[];
  /** Delegator (χ_V). */
  delegator: number;
  /** Registrar (χ_R). */
  registrar: number;
  /** Always-accumulate services and their gas (χ_Z). */
  alwaysAccumulate: Map<number, bigint>;
}

/** A deferred transfer made by `transfer`. */
export interface PendingTransfer {
  /** Sender. */
  source: number;
  /** Receiver. */
  destination: number;
  /** Amount. */
  amount: bigint;
  /** Memo (128 bytes). */
  memo: Uint8Array;
  /** Gas limit for the receiver. */
  gas: bigint;
}

/**
 * Octets one preimage request (hash, length) adds to the footprint: 81 + length (it also
 * adds 2 items).
 *
 * @example
 * ```ts
 * import { requestOctets } from "./state.ts";
 * console.log(requestOctets(100)); // 181n
 * ```
 */
export function requestOctets(length: number): bigint {
  return BigInt(81 + length);
}

/** A preimage provided by `provide`: for which service, and the blob. */
export interface Provision {
  /** The service that requested it. */
  service: number;
  /** The preimage. */
  blob: Uint8Array;
}

/** An opaque saved state (see {@link ServiceState.snapshot}). */
export interface StateSnapshot {
  /** Brand: snapshots come only from {@link ServiceState.snapshot}. */
  readonly snapshotOf: ServiceState;
}

/**
 * What host functions need from the chain state. Byte arrays given to setters are
 * copied; byte arrays returned must not be modified.
 */
export interface ServiceState {
  /** Account info, or undefined if the service does not exist. A copy. */
  info(service: number): ServiceInfo | undefined;
  /** Create or replace an account's info. */
  setInfo(service: number, info: ServiceInfo): void;
  /** Storage value of `key`, or undefined. */
  storage(service: number, key: Uint8Array): Uint8Array | undefined;
  /**
   * Set (or with undefined, delete) a storage value; keeps the account's items and
   * octets up to date. The account must exist.
   */
  setStorage(service: number, key: Uint8Array, value: Uint8Array | undefined): void;
  /** The preimage of a 32-byte hash, or undefined. */
  preimage(service: number, hash: Uint8Array): Uint8Array | undefined;
  /** Set or delete a preimage. */
  setPreimage(service: number, hash: Uint8Array, blob: Uint8Array | undefined): void;
  /** The preimage request (its timeslots) for (hash, length), or undefined. */
  request(service: number, hash: Uint8Array, length: number): readonly number[] | undefined;
  /**
   * Set or delete a preimage request (0 to 3 timeslots); adding one adds 2 items and
   * {@link requestOctets} octets to the account, deleting one removes them.
   */
  setRequest(service: number, hash: Uint8Array, length: number, slots: readonly number[] | undefined): void;
  /** Remove an account and everything it holds (`eject`). */
  removeService(service: number): void;
  /** Privileges (a copy). */
  privileges(): Privileges;
  /** Replace the privileges. */
  setPrivileges(privileges: Privileges): void;
  /** Pending transfers, in order. */
  transfers(): readonly PendingTransfer[];
  /** Queue a transfer. */
  addTransfer(transfer: PendingTransfer): void;
  /** A core's authorization queue (32-byte hashes), or undefined if never set. */
  authQueue(core: number): readonly Uint8Array[] | undefined;
  /** Replace a core's authorization queue (`assign`). */
  setAuthQueue(core: number, queue: readonly Uint8Array[]): void;
  /** The staging validator keys (one entry per validator), or undefined if never set. */
  stagingSet(): readonly Uint8Array[] | undefined;
  /** Replace the staging validator keys (`designate`). */
  setStagingSet(keys: readonly Uint8Array[]): void;
  /** The id the next `new` hands out (outside the registrar's range). */
  nextFreeId(): number;
  /** Set the next free service id. */
  setNextFreeId(id: number): void;
  /** The hash given to `yield`, or undefined. */
  yielded(): Uint8Array | undefined;
  /** Set (or clear) the yielded hash. */
  setYielded(hash: Uint8Array | undefined): void;
  /** Preimages provided so far, in order. */
  provisions(): readonly Provision[];
  /** True if this (service, blob) pair was provided already. */
  hasProvision(service: number, blob: Uint8Array): boolean;
  /** Record a provided preimage (a set: a pair already there is not added twice). */
  addProvision(service: number, blob: Uint8Array): void;
  /**
   * Start an accumulation (GP's initial implications): no pending transfers, no yielded
   * hash, no provisions, and `nextFreeId` as the next free service id.
   */
  beginAccumulation(nextFreeId: number): void;
  /** Save the whole state. */
  snapshot(): StateSnapshot;
  /** Restore a saved state (the snapshot stays valid and can be restored again). */
  rollback(snapshot: StateSnapshot): void;
}

const hex = bytesToHex;
const unhex = hexToBytes;

/** What one account stores (see {@link InMemoryServiceState.contents}), each list ordered by key. */
export interface AccountContents {
  /** Storage entries. */
  readonly storage: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
  /** Preimages by hash. */
  readonly preimages: readonly { readonly hash: Uint8Array; readonly blob: Uint8Array }[];
  /** Preimage requests and their timeslots. */
  readonly requests: readonly {
    readonly hash: Uint8Array;
    readonly length: number;
    readonly slots: readonly number[];
  }[];
}

interface Account {
  info: ServiceInfo;
  storage: Map<string, Uint8Array>;
  preimages: Map<string, Uint8Array>;
  requests: Map<string, readonly number[]>;
}

interface Data {
  accounts: Map<number, Account>;
  privileges: Privileges;
  transfers: PendingTransfer[];
  authQueues: Map<number, readonly Uint8Array[]>;
  stagingSet: readonly Uint8Array[] | undefined;
  nextFreeId: number;
  yielded: Uint8Array | undefined;
  provisions: Map<string, Provision>;
}

interface Saved extends StateSnapshot {
  readonly data: Data;
}

const copyInfo = (i: ServiceInfo): ServiceInfo => ({ ...i, codeHash: i.codeHash.slice() });
const copyPrivileges = (p: Privileges): Privileges => ({
  ...p,
  assigners: [...p.assigners],
  alwaysAccumulate: new Map(p.alwaysAccumulate),
});

function cloneData(d: Data): Data {
  const accounts = new Map<number, Account>();
  for (const [id, a] of d.accounts) {
    accounts.set(id, {
      info: copyInfo(a.info),
      storage: new Map(a.storage),
      preimages: new Map(a.preimages),
      requests: new Map(a.requests),
    });
  }
  return {
    accounts,
    privileges: copyPrivileges(d.privileges),
    transfers: [...d.transfers],
    authQueues: new Map(d.authQueues),
    stagingSet: d.stagingSet,
    nextFreeId: d.nextFreeId,
    yielded: d.yielded,
    provisions: new Map(d.provisions),
  };
}

/**
 * An in-memory {@link ServiceState}. Snapshots are full copies of the maps (the byte
 * arrays themselves are shared, never mutated).
 *
 * @example
 * ```ts
 * import { InMemoryServiceState } from "./state.ts";
 * const state = new InMemoryServiceState();
 * state.setInfo(1, InMemoryServiceState.emptyInfo({ balance: 1000n }));
 * const saved = state.snapshot();
 * state.setStorage(1, new Uint8Array([1]), new Uint8Array([2, 3]));
 * console.log(state.info(1)?.items, state.info(1)?.octets); // 1 37n
 * state.rollback(saved);
 * console.log(state.storage(1, new Uint8Array([1])), state.info(1)?.items); // undefined 0
 * ```
 */
export class InMemoryServiceState implements ServiceState {
  private data: Data = {
    accounts: new Map(),
    privileges: { manager: 0, assigners: [], delegator: 0, registrar: 0, alwaysAccumulate: new Map() },
    transfers: [],
    authQueues: new Map(),
    stagingSet: undefined,
    nextFreeId: 65_536,
    yielded: undefined,
    provisions: new Map(),
  };

  /** Info of an account with nothing stored: zero everything unless given. */
  static emptyInfo(fields: Partial<ServiceInfo> = {}): ServiceInfo {
    return {
      codeHash: new Uint8Array(32),
      balance: 0n,
      minAccumulateGas: 0n,
      minMemoGas: 0n,
      octets: 0n,
      items: 0,
      gratis: 0n,
      created: 0,
      lastAccumulation: 0,
      parent: 0,
      ...fields,
    };
  }

  /** The account record, if any. */
  private account(service: number): Account | undefined {
    return this.data.accounts.get(service);
  }

  /** The account record; throws if the service does not exist. */
  private existing(service: number): Account {
    const a = this.account(service);
    if (!a) throw new RangeError(`service ${service} does not exist`);
    return a;
  }

  /** Ids of the services that have an account, ascending. */
  serviceIds(): number[] {
    return [...this.data.accounts.keys()].sort((a, b) => a - b);
  }

  /** Everything `service`'s account stores, or undefined if it has none. */
  contents(service: number): AccountContents | undefined {
    const a = this.account(service);
    if (!a) return undefined;
    const sorted = <V>(map: Map<string, V>) => [...map].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return {
      storage: sorted(a.storage).map(([k, value]) => ({ key: unhex(k), value })),
      preimages: sorted(a.preimages).map(([h, blob]) => ({ hash: unhex(h), blob })),
      requests: sorted(a.requests).map(([k, slots]) => {
        const [h, length] = k.split(":");
        return { hash: unhex(h), length: Number(length), slots };
      }),
    };
  }

  /** See {@link ServiceState.info}. */
  info(service: number): ServiceInfo | undefined {
    const a = this.account(service);
    return a ? copyInfo(a.info) : undefined;
  }

  /** See {@link ServiceState.setInfo}; the id must be a u32. */
  setInfo(service: number, info: ServiceInfo): void {
    if (!Number.isInteger(service) || service < 0 || service >= 2 ** 32) {
      throw new RangeError(`service id ${service} is not a u32`);
    }
    const a = this.account(service);
    if (a) a.info = copyInfo(info);
    else {
      this.data.accounts.set(service, {
        info: copyInfo(info),
        storage: new Map(),
        preimages: new Map(),
        requests: new Map(),
      });
    }
  }

  /** See {@link ServiceState.storage}. */
  storage(service: number, key: Uint8Array): Uint8Array | undefined {
    return this.account(service)?.storage.get(hex(key));
  }

  /** See {@link ServiceState.setStorage}. */
  setStorage(service: number, key: Uint8Array, value: Uint8Array | undefined): void {
    const a = this.existing(service);
    const k = hex(key);
    const previous = a.storage.get(k);
    if (previous) {
      a.info.items -= 1;
      a.info.octets -= storageOctets(key.length, previous.length);
    }
    if (value) {
      a.storage.set(k, value.slice());
      a.info.items += 1;
      a.info.octets += storageOctets(key.length, value.length);
    } else a.storage.delete(k);
  }

  /** See {@link ServiceState.preimage}. */
  preimage(service: number, hash: Uint8Array): Uint8Array | undefined {
    return this.account(service)?.preimages.get(hex(hash));
  }

  /** See {@link ServiceState.setPreimage}. */
  setPreimage(service: number, hash: Uint8Array, blob: Uint8Array | undefined): void {
    const a = this.existing(service);
    if (blob) a.preimages.set(hex(hash), blob.slice());
    else a.preimages.delete(hex(hash));
  }

  /** See {@link ServiceState.request}. */
  request(service: number, hash: Uint8Array, length: number): readonly number[] | undefined {
    return this.account(service)?.requests.get(`${hex(hash)}:${length}`);
  }

  /** See {@link ServiceState.setRequest}. */
  setRequest(service: number, hash: Uint8Array, length: number, slots: readonly number[] | undefined): void {
    const a = this.existing(service);
    const k = `${hex(hash)}:${length}`;
    const existed = a.requests.has(k);
    if (slots) {
      if (slots.length > 3) throw new RangeError(`a preimage request holds at most 3 timeslots, not ${slots.length}`);
      a.requests.set(k, [...slots]);
      if (!existed) {
        a.info.items += 2;
        a.info.octets += requestOctets(length);
      }
    } else if (existed) {
      a.requests.delete(k);
      a.info.items -= 2;
      a.info.octets -= requestOctets(length);
    }
  }

  /** See {@link ServiceState.removeService}. */
  removeService(service: number): void {
    this.data.accounts.delete(service);
  }

  /** See {@link ServiceState.privileges}. */
  privileges(): Privileges {
    return copyPrivileges(this.data.privileges);
  }

  /** See {@link ServiceState.setPrivileges}. */
  setPrivileges(privileges: Privileges): void {
    this.data.privileges = copyPrivileges(privileges);
  }

  /** See {@link ServiceState.transfers}. */
  transfers(): readonly PendingTransfer[] {
    return [...this.data.transfers];
  }

  /** See {@link ServiceState.addTransfer}. */
  addTransfer(transfer: PendingTransfer): void {
    this.data.transfers.push({ ...transfer, memo: transfer.memo.slice() });
  }

  /** See {@link ServiceState.authQueue}. */
  authQueue(core: number): readonly Uint8Array[] | undefined {
    return this.data.authQueues.get(core);
  }

  /** See {@link ServiceState.setAuthQueue}. */
  setAuthQueue(core: number, queue: readonly Uint8Array[]): void {
    this.data.authQueues.set(core, queue.map((h) => h.slice()));
  }

  /** Cores whose authorization queue was set, ascending. */
  authQueueCores(): number[] {
    return [...this.data.authQueues.keys()].sort((a, b) => a - b);
  }

  /** See {@link ServiceState.stagingSet}. */
  stagingSet(): readonly Uint8Array[] | undefined {
    return this.data.stagingSet;
  }

  /** See {@link ServiceState.setStagingSet}. */
  setStagingSet(keys: readonly Uint8Array[]): void {
    this.data.stagingSet = keys.map((k) => k.slice());
  }

  /** See {@link ServiceState.nextFreeId} (initially 2^16). */
  nextFreeId(): number {
    return this.data.nextFreeId;
  }

  /** See {@link ServiceState.setNextFreeId}. */
  setNextFreeId(id: number): void {
    this.data.nextFreeId = id;
  }

  /** See {@link ServiceState.yielded}. */
  yielded(): Uint8Array | undefined {
    return this.data.yielded;
  }

  /** See {@link ServiceState.setYielded}. */
  setYielded(hash: Uint8Array | undefined): void {
    this.data.yielded = hash?.slice();
  }

  /** See {@link ServiceState.provisions}. */
  provisions(): readonly Provision[] {
    return [...this.data.provisions.values()];
  }

  /** See {@link ServiceState.hasProvision}. */
  hasProvision(service: number, blob: Uint8Array): boolean {
    return this.data.provisions.has(`${service}:${hex(blob)}`);
  }

  /** See {@link ServiceState.addProvision}. */
  addProvision(service: number, blob: Uint8Array): void {
    const k = `${service}:${hex(blob)}`;
    if (!this.data.provisions.has(k)) this.data.provisions.set(k, { service, blob: blob.slice() });
  }

  /** See {@link ServiceState.beginAccumulation}. */
  beginAccumulation(nextFreeId: number): void {
    this.data.transfers = [];
    this.data.yielded = undefined;
    this.data.provisions = new Map();
    this.data.nextFreeId = nextFreeId;
  }

  /** See {@link ServiceState.snapshot}: a full copy of the maps. */
  snapshot(): StateSnapshot {
    const saved: Saved = { snapshotOf: this, data: cloneData(this.data) };
    return saved;
  }

  /** See {@link ServiceState.rollback}; throws for another state's snapshot. */
  rollback(snapshot: StateSnapshot): void {
    if (snapshot.snapshotOf !== this) throw new TypeError("the snapshot was taken from another state");
    this.data = cloneData((snapshot as Saved).data);
  }
}
