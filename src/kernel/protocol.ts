/**
 * The protocol-call ABI of capability-kernel.md §9.3, the variant upstream's host runs
 * ([R], grey-state's accumulate path): memory operands are (DATA-cap slot, offset) pairs
 * with the slot in φ12, answered by host functions registered in a {@link HostRegistry}
 * over a small in-memory service state ({@link JarServiceState}).
 *
 * | id | call | inputs | φ7 out |
 * |---:|------|--------|--------|
 * | 1 | GAS | – | gas left (φ8 unchanged, §14 item 12) |
 * | 2 | FETCH | φ7 mode (0 constants, 1 entropy, 14 all inputs, 15 input #φ8), φ9 out offset, φ10 max | full length, or NONE |
 * | 4 | STORAGE_R | φ7/φ8 key offset/length, φ9 out offset, φ10 max | value length, or NONE |
 * | 5 | STORAGE_W | φ7/φ8 key, φ9/φ10 value offset/length (0 = delete) | previous length, or NONE; FULL past the storage limit |
 * | 18 | CHECKPOINT | – | 0 |
 * | 26 | OUTPUT | φ7 offset of a 32-byte hash | 0 |
 *
 * Every call but GAS sets φ8 = 0. Outputs are truncated to the maximum length. An operand
 * range that is not inside the DATA cap in slot φ12 (or a slot without a DATA cap) answers
 * OOB and changes nothing — a choice of ours: the spec leaves it open. Other protocol ids
 * answer WHAT. The kernel has already charged its 10-gas fee, so these charge nothing more.
 *
 * @module
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import type { HostRegistry } from "../host/host.ts";
import { fetchBlob, type FetchData } from "../host/jam/general.ts";
import { FULL, NONE, OOB, WHAT } from "../host/jam/constants.ts";
import { type DataCapAccess, kernelRegistry, Protocol } from "./host.ts";

/** What a {@link JarServiceState} starts with. */
export interface JarServiceOptions {
  /** Initial storage: (key, value) pairs. */
  storage?: Iterable<readonly [Uint8Array, Uint8Array]>;
  /** Blobs FETCH returns (modes 0, 1, 14, 15: `constants`, `entropy`, `accumulateInputs`). */
  fetch?: FetchData;
  /** Most bytes (keys plus values) storage may hold; a STORAGE_W past it answers FULL (default 64 MiB). */
  maxStorageBytes?: number;
}

/**
 * A service's state as the protocol calls see it: storage, fetchable blobs, the OUTPUT hash
 * and the storage saved by the last CHECKPOINT.
 *
 * @example
 * ```ts
 * import { JarServiceState } from "./protocol.ts";
 * const state = new JarServiceState({ storage: [[new Uint8Array([1]), new Uint8Array([42])]] });
 * console.log(state.get(new Uint8Array([1])), state.size); // Uint8Array(1) [ 42 ] 1
 * ```
 */
export class JarServiceState {
  /** Blobs FETCH returns. */
  readonly fetch: FetchData;
  /** The 32-byte hash given to OUTPUT, if any. */
  output: Uint8Array | undefined;
  /** Storage as it was at the last CHECKPOINT (undefined before the first). */
  checkpoint: [Uint8Array, Uint8Array][] | undefined;
  /** Most bytes (keys plus values) storage may hold. */
  readonly maxStorageBytes: number;
  private readonly storage = new Map<string, Uint8Array>();
  private bytes = 0;

  /** A state with the given storage and fetchable blobs. */
  constructor(options: JarServiceOptions = {}) {
    this.fetch = options.fetch ?? {};
    this.maxStorageBytes = options.maxStorageBytes ?? 64 << 20;
    for (const [key, value] of options.storage ?? []) this.set(key, value);
  }

  /** The value stored under `key`. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.storage.get(bytesToHex(key));
  }

  /**
   * Store `value` under `key` (an empty value deletes the key). False, changing nothing, if
   * storage would then hold more than {@link maxStorageBytes}.
   */
  set(key: Uint8Array, value: Uint8Array): boolean {
    const k = bytesToHex(key);
    const old = this.storage.get(k);
    const bytes = this.bytes - (old ? key.length + old.length : 0) + (value.length ? key.length + value.length : 0);
    if (bytes > this.maxStorageBytes && bytes > this.bytes) return false;
    if (value.length === 0) this.storage.delete(k);
    else this.storage.set(k, value.slice());
    this.bytes = bytes;
    return true;
  }

  /** Number of keys. */
  get size(): number {
    return this.storage.size;
  }

  /** Bytes held: keys plus values. */
  get storageBytes(): number {
    return this.bytes;
  }

  /** Every (key, value) pair, keys in insertion order. */
  entries(): [Uint8Array, Uint8Array][] {
    return [...this.storage].map(([k, v]) => [hexToBytes(k), v]);
  }

  /** Save the storage as the checkpoint (CHECKPOINT). */
  saveCheckpoint(): void {
    this.checkpoint = this.entries();
  }
}

/** The active VM's DATA caps, or undefined when the machine is not a kernel VM. */
function capsOf(machine: unknown): DataCapAccess | undefined {
  return (machine as { dataCaps?: DataCapAccess }).dataCaps;
}

/**
 * A registry answering the §9.3 protocol calls from `state`: GAS, FETCH, STORAGE_R,
 * STORAGE_W, CHECKPOINT and OUTPUT (other ids: WHAT). Use it with `runKernelWithHost`.
 *
 * @example
 * ```ts
 * import { JarServiceState, jarProtocolRegistry } from "./protocol.ts";
 * const registry = jarProtocolRegistry(new JarServiceState());
 * console.log([1, 2, 4, 5, 18, 26].map((id) => registry.resolve(id)?.name).join()); // gas,fetch,storage_r,storage_w,checkpoint,output
 * ```
 */
export function jarProtocolRegistry(state: JarServiceState): HostRegistry {
  const registry = kernelRegistry();
  /** Register a call on the kernel machine; `answer` returns φ7 (φ8 becomes 0). */
  const call = (id: number, name: string, answer: (r: (i: number) => bigint, caps: DataCapAccess) => bigint) =>
    registry.register({
      id,
      name,
      gas: 0,
      fn: (ctx) => {
        const m = ctx.machine;
        const caps = capsOf(m);
        m.setRegister(7, caps ? answer((i) => m.getRegister(i), caps) : WHAT);
        m.setRegister(8, 0n);
      },
    });
  const slotOf = (r: (i: number) => bigint) => (r(12) > 255n ? -1 : Number(r(12)));
  const min = (a: bigint, b: bigint) => (a < b ? a : b);

  call(Protocol.fetch, "fetch", (r, caps) => {
    const blob = fetchBlob("accumulate", state.fetch, r(7), r(8), 0n);
    if (!blob) return NONE;
    const n = Number(min(BigInt(blob.length), r(10)));
    return caps.write(slotOf(r), r(9), blob.subarray(0, n)) ? BigInt(blob.length) : OOB;
  });
  call(Protocol.storageRead, "storage_r", (r, caps) => {
    const key = caps.read(slotOf(r), r(7), r(8));
    if (!key) return OOB;
    const value = state.get(key);
    if (!value) return NONE;
    const n = Number(min(BigInt(value.length), r(10)));
    return caps.write(slotOf(r), r(9), value.subarray(0, n)) ? BigInt(value.length) : OOB;
  });
  call(Protocol.storageWrite, "storage_w", (r, caps) => {
    const key = caps.read(slotOf(r), r(7), r(8));
    const value = caps.read(slotOf(r), r(9), r(10));
    if (!key || !value) return OOB;
    const previous = state.get(key);
    if (!state.set(key, value)) return FULL;
    return previous ? BigInt(previous.length) : NONE;
  });
  call(Protocol.checkpoint, "checkpoint", () => {
    state.saveCheckpoint();
    return 0n;
  });
  call(Protocol.output, "output", (r, caps) => {
    const hash = caps.read(slotOf(r), r(7), 32n);
    if (!hash) return OOB;
    state.output = hash;
    return 0n;
  });
  return registry;
}
