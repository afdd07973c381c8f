/**
 * The Refine-only JAM host functions of GP v0.7.2 (spec §13.3, §13.4):
 * `historical_lookup` (6), `export` (7) and the inner machines `machine` (8), `peek` (9),
 * `poke` (10), `pages` (11), `invoke` (12) and `expunge` (13).
 *
 * A {@link RefineContext} holds what these functions share during one Refine invocation:
 * the exported segments and the inner machines. An inner machine is a pvmkit
 * {@link Instance} of a generic blob with no pages mapped at first; it runs on the same
 * backend as the outer machine (or the context's `backend`) with plain Ψ, so its host
 * calls come back to the caller of `invoke` as HOST exits.
 *
 * @module
 */
import { type Backend, Instance, type LoadOptions, Module } from "../../engine.ts";
import { LimitError, type Limits } from "../../limits.ts";
import { PAGE_SIZE } from "../../memory/memory.ts";
import { ProgramError } from "../../program/errors.ts";
import {
  CONTINUE,
  guestReadable,
  guestWritable,
  type HostFunctionSpec,
  type HostMachine,
  type HostOutcome,
  PANIC,
  readGuest,
} from "../host.ts";
import { underlyingMachine } from "../observe.ts";
import { FULL, HUH, JAM_HOST_IDS, OK, OOB, WHO } from "./constants.ts";
import { copyOut, reg as r, serviceOf, U32 } from "./_guest.ts";
import type { JamHostEnv } from "./general.ts";
import type { ServiceState } from "./state.ts";

/**
 * Size of an exported segment, W_G (GP v0.7.2): `export` zero-pads to it.
 *
 * @example
 * ```ts
 * import { SEGMENT_SIZE } from "./refine.ts";
 * console.log(SEGMENT_SIZE); // 4104
 * ```
 */
export const SEGMENT_SIZE = 4104;

/**
 * Most segments a work package may export, W_X (GP v0.7.2).
 *
 * @example
 * ```ts
 * import { MAX_EXPORTS } from "./refine.ts";
 * console.log(MAX_EXPORTS); // 3072
 * ```
 */
export const MAX_EXPORTS = 3072;

/**
 * What `invoke` puts in r7 for each way an inner machine stops (spec §13.2).
 *
 * @example
 * ```ts
 * import { INNER_EXIT } from "./refine.ts";
 * console.log(INNER_EXIT.halt, INNER_EXIT.host, INNER_EXIT.oog); // 0n 3n 4n
 * ```
 */
export const INNER_EXIT: Readonly<{ halt: bigint; panic: bigint; fault: bigint; host: bigint; oog: bigint }> = Object
  .freeze({ halt: 0n, panic: 1n, fault: 2n, host: 3n, oog: 4n });

/** The size of `invoke`'s record: E₈(gas) ++ 13 × E₈(register). */
const RECORD_BYTES = 112;
const PAGES = 1n << 20n;
const MAX_GAS = (1n << 63n) - 1n;
const FIRST_PAGE = 16n;

/** One inner machine: its program, its state (memory, registers) and its stored pc. */
export interface InnerMachine {
  /** The loaded blob. */
  readonly module: Module;
  /** Registers and memory (its gas and pc are set by each `invoke`). */
  readonly instance: Instance;
  /** The stored pc (a u64, as `machine` received it or `invoke` left it). */
  pc: bigint;
}

/** Options of a {@link RefineContext}. */
export interface RefineContextOptions {
  /** Backend of inner machines (default: the outer machine's, else `auto`). */
  backend?: Backend;
  /** Load options of inner blobs (default: the outer module's ISA and gas model). */
  load?: Omit<LoadOptions, "format">;
  /**
   * Limits of the inner machines (default: the outer machine's limits). `maxMemoryPages`,
   * `maxGas` and `deadlineMs` apply to each inner machine, `maxCodeBytes` to each blob
   * given to `machine`, and `maxLiveInstances` caps how many inner machines exist at once.
   * Exceeding one throws {@link LimitError} out of the host call (and so out of the
   * invocation): GP has no result code for it, and the embedder asked for a hard stop.
   */
  innerLimits?: Limits;
  /** ς: the index the first export of this work item gets (default 0). */
  exportOffset?: number;
  /** W_X (default {@link MAX_EXPORTS}). */
  maxExports?: number;
  /**
   * The stored inner pc after a halt or panic: `zero` (default) is the GP's letter (Ψ
   * returns pc 0); `instruction` keeps the pc of the halting or panicking instruction,
   * as pvmkit's exits and the public vectors report it.
   */
  innerHaltPc?: "zero" | "instruction";
  /**
   * Λ for `historical_lookup`: the preimage of `hash` in `service` as of the lookup
   * anchor, or undefined. Default: {@link historicalPreimage} on the env's state at
   * {@link lookupAnchorSlot} (or any stored preimage if no slot is given).
   */
  historicalLookup?: (service: number, hash: Uint8Array) => Uint8Array | undefined;
  /** The lookup-anchor timeslot used by the default {@link historicalLookup}. */
  lookupAnchorSlot?: number;
}

/**
 * I(l, t): whether a preimage with request slots `slots` is available at timeslot `t`
 * ([] never; [x] from x; [x, y] from x until before y; [x, y, z] also again from z).
 *
 * @example
 * ```ts
 * import { availableAt } from "./refine.ts";
 * console.log(availableAt([5], 5), availableAt([5, 9], 9), availableAt([5, 9, 12], 13), availableAt([], 1)); // true false true false
 * ```
 */
export function availableAt(slots: readonly number[], t: number): boolean {
  switch (slots.length) {
    case 1:
      return slots[0] <= t;
    case 2:
      return slots[0] <= t && t < slots[1];
    case 3:
      return (slots[0] <= t && t < slots[1]) || slots[2] <= t;
    default:
      return false;
  }
}

/**
 * Λ(a, t, h): the preimage of `hash` in `service` if it is stored and, when `slot` is
 * given, its request shows it available at that slot.
 *
 * @example
 * ```ts
 * import { historicalPreimage } from "./refine.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * const state = new InMemoryServiceState();
 * state.setInfo(1, InMemoryServiceState.emptyInfo());
 * const hash = new Uint8Array(32).fill(7);
 * state.setPreimage(1, hash, new Uint8Array([1, 2]));
 * state.setRequest(1, hash, 2, [10]);
 * console.log(historicalPreimage(state, 1, hash, 12), historicalPreimage(state, 1, hash, 9)); // Uint8Array(2) [ 1, 2 ] undefined
 * ```
 */
export function historicalPreimage(
  state: ServiceState,
  service: number,
  hash: Uint8Array,
  slot?: number,
): Uint8Array | undefined {
  const blob = state.preimage(service, hash);
  if (!blob || slot === undefined) return blob;
  const slots = state.request(service, hash, blob.length);
  return slots && availableAt(slots, slot) ? blob : undefined;
}

/**
 * What the Refine functions share during one invocation: the exported segments and the
 * inner machines. Call {@link dispose} when done (the `refine` entry point does).
 *
 * @example
 * ```ts
 * import { RefineContext } from "./refine.ts";
 * const refine = new RefineContext({ exportOffset: 3 });
 * console.log(refine.exports.length, refine.machineIds()); // 0 []
 * refine.dispose();
 * ```
 */
export class RefineContext {
  /** Exported segments, each {@link SEGMENT_SIZE} bytes, in order. */
  readonly exports: Uint8Array[] = [];
  /** The options given. */
  readonly options: RefineContextOptions;
  private readonly machines = new Map<number, InnerMachine>();

  /** A context with no exports and no machines. */
  constructor(options: RefineContextOptions = {}) {
    this.options = options;
  }

  /** How many inner machines are live. */
  get machineCount(): number {
    return this.machines.size;
  }

  /** Ids of the live inner machines, ascending. */
  machineIds(): number[] {
    return [...this.machines.keys()].sort((a, b) => a - b);
  }

  /** The inner machine with id `n`, or undefined. */
  machine(n: bigint | number): InnerMachine | undefined {
    const id = BigInt(n);
    return id >= 0n && id < U32 ? this.machines.get(Number(id)) : undefined;
  }

  /** Add a machine under the smallest free id; returns the id. */
  add(machine: InnerMachine): number {
    let id = 0;
    while (this.machines.has(id)) id++;
    this.machines.set(id, machine);
    return id;
  }

  /** Remove machine `n` (disposing its instance); returns it, or undefined if unknown. */
  remove(n: bigint | number): InnerMachine | undefined {
    const m = this.machine(n);
    if (m) {
      this.machines.delete(Number(n));
      m.instance.dispose();
    }
    return m;
  }

  /** Dispose every inner machine. */
  dispose(): void {
    for (const id of this.machineIds()) this.remove(id);
  }
}

/**
 * `historical_lookup` (6): r7 = service (2^64 − 1: self), r8 = hash ptr, r9 = out,
 * r10 = offset, r11 = length. r7 ← the preimage's length as of the lookup anchor, or NONE.
 * Panics if the hash is unreadable or the output unwritable.
 *
 * @example
 * ```ts
 * import { historicalLookupFunction, RefineContext } from "./refine.ts";
 * console.log(historicalLookupFunction({ context: "refine", self: 0 }, new RefineContext()).id); // 6
 * ```
 */
export function historicalLookupFunction(env: JamHostEnv, refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.historical_lookup,
    name: "historical_lookup",
    fn: (c) => {
      const m = c.machine;
      const hash = readGuest(m.memory, r(m, 8), 32n);
      if (!(hash instanceof Uint8Array)) return hash;
      const service = serviceOf(r(m, 7), env.self);
      const lookup = refine.options.historicalLookup ??
        ((s: number, h: Uint8Array) =>
          env.state ? historicalPreimage(env.state, s, h, refine.options.lookupAnchorSlot) : undefined);
      const v = service === undefined ? undefined : lookup(service, hash);
      return copyOut(m, v, r(m, 9), r(m, 10), r(m, 11));
    },
  };
}

/**
 * `export` (7): r7 = ptr, r8 = length (capped at {@link SEGMENT_SIZE}). Appends the bytes
 * zero-padded to a segment; r7 ← its index (export offset + count before), or FULL once
 * that reaches W_X. Panics if the bytes are unreadable.
 *
 * @example
 * ```ts
 * import { exportFunction, RefineContext } from "./refine.ts";
 * console.log(exportFunction(new RefineContext()).name); // export
 * ```
 */
export function exportFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.export,
    name: "export",
    fn: (c) => {
      const m = c.machine;
      const length = r(m, 8) < BigInt(SEGMENT_SIZE) ? r(m, 8) : BigInt(SEGMENT_SIZE);
      const data = readGuest(m.memory, r(m, 7), length);
      if (!(data instanceof Uint8Array)) return data;
      const index = (refine.options.exportOffset ?? 0) + refine.exports.length;
      if (index >= (refine.options.maxExports ?? MAX_EXPORTS)) {
        m.setRegister(7, FULL);
        return CONTINUE;
      }
      const segment = new Uint8Array(SEGMENT_SIZE);
      segment.set(data);
      refine.exports.push(segment);
      m.setRegister(7, BigInt(index));
      return CONTINUE;
    },
  };
}

/** The load options and backend an inner machine gets on this outer machine. */
function innerSetup(
  outer: HostMachine,
  refine: RefineContext,
): { load: LoadOptions; backend: Backend; limits: Limits } {
  const o = refine.options;
  const real = underlyingMachine(outer); // through a tracing view, if any
  const instance = real instanceof Instance ? real : undefined;
  const limits = o.innerLimits ?? instance?.limits ?? {};
  const load: LoadOptions = {
    isa: o.load?.isa ?? instance?.module.isa.name,
    gasModel: o.load?.gasModel ?? instance?.module.gasModel.name,
    limits: o.load?.limits ?? limits,
  };
  return { load, backend: o.backend ?? instance?.backend ?? "auto", limits };
}

/**
 * `machine` (8): r7 = blob ptr, r8 = blob length, r9 = initial pc. Creates an inner
 * machine with every page inaccessible; r7 ← the smallest free id, or HUH if the blob
 * fails `deblob` (only that is checked). Panics if the blob is unreadable.
 *
 * @example
 * ```ts
 * import { machineFunction, RefineContext } from "./refine.ts";
 * console.log(machineFunction(new RefineContext()).id); // 8
 * ```
 */
export function machineFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.machine,
    name: "machine",
    fn: (c) => {
      const m = c.machine;
      const blob = readGuest(m.memory, r(m, 7), r(m, 8));
      if (!(blob instanceof Uint8Array)) return blob;
      const { load, backend, limits } = innerSetup(m, refine);
      const live = refine.machineCount;
      if (limits.maxLiveInstances !== undefined && live >= limits.maxLiveInstances) {
        throw new LimitError("maxLiveInstances", live + 1, limits.maxLiveInstances);
      }
      let module: Module;
      try {
        module = Module.load(blob, { ...load, format: "generic" });
      } catch (error) {
        if (!(error instanceof ProgramError)) throw error;
        m.setRegister(7, HUH);
        return CONTINUE;
      }
      const instance = module.instantiate({ memory: [], gas: 0n, backend, limits });
      m.setRegister(7, BigInt(refine.add({ module, instance, pc: r(m, 9) })));
      return CONTINUE;
    },
  };
}

/**
 * `peek` (9): r7 = machine, r8 = outer destination, r9 = inner source, r10 = length.
 * Panic if the outer range is not writable, then WHO, then OOB if the inner range is not
 * readable; else copies and r7 ← OK.
 *
 * @example
 * ```ts
 * import { peekFunction, RefineContext } from "./refine.ts";
 * console.log(peekFunction(new RefineContext()).id); // 9
 * ```
 */
export function peekFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.peek,
    name: "peek",
    fn: (c) => {
      const m = c.machine;
      const [n, out, src, z] = [r(m, 7), r(m, 8), r(m, 9), r(m, 10)];
      if (!guestWritable(m.memory, out, z)) return PANIC;
      const inner = refine.machine(n);
      if (!inner) return result(m, WHO);
      if (!guestReadable(inner.instance.memory, src, z)) return result(m, OOB);
      if (z > 0n) m.memory.write(Number(out), inner.instance.memory.read(Number(src), Number(z)));
      return result(m, OK);
    },
  };
}

/**
 * `poke` (10): r7 = machine, r8 = outer source, r9 = inner destination, r10 = length.
 * Panic if the outer range is not readable, then WHO, then OOB if the inner range is not
 * writable; else copies and r7 ← OK.
 *
 * @example
 * ```ts
 * import { pokeFunction, RefineContext } from "./refine.ts";
 * console.log(pokeFunction(new RefineContext()).id); // 10
 * ```
 */
export function pokeFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.poke,
    name: "poke",
    fn: (c) => {
      const m = c.machine;
      const [n, src, dest, z] = [r(m, 7), r(m, 8), r(m, 9), r(m, 10)];
      if (!guestReadable(m.memory, src, z)) return PANIC;
      const inner = refine.machine(n);
      if (!inner) return result(m, WHO);
      if (!guestWritable(inner.instance.memory, dest, z)) return result(m, OOB);
      if (z > 0n) inner.instance.memory.write(Number(dest), m.memory.read(Number(src), Number(z)));
      return result(m, OK);
    },
  };
}

/**
 * `pages` (11): r7 = machine, r8 = first page p, r9 = page count c, r10 = mode:
 * 0 inaccessible, 1 read, 2 write (these three zero the pages), 3 read and 4 write
 * keeping the contents (every page must already be accessible). WHO if the machine is
 * unknown; HUH if mode > 4, p < 16 or p + c ≥ 2^20, or mode 3/4 meets an inaccessible
 * page; else r7 ← OK.
 *
 * @example
 * ```ts
 * import { pagesFunction, RefineContext } from "./refine.ts";
 * console.log(pagesFunction(new RefineContext()).id); // 11
 * ```
 */
export function pagesFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.pages,
    name: "pages",
    fn: (c) => {
      const m = c.machine;
      const [n, p, count, mode] = [r(m, 7), r(m, 8), r(m, 9), r(m, 10)];
      const inner = refine.machine(n);
      if (!inner) return result(m, WHO);
      if (mode > 4n || p < FIRST_PAGE || p + count >= PAGES) return result(m, HUH);
      const memory = inner.instance.memory;
      const first = Number(p);
      const pages = Number(count);
      const [address, length] = [first * PAGE_SIZE, pages * PAGE_SIZE];
      if (mode >= 3n && memory.check(address, length, false) >= 0) return result(m, HUH);
      const access = mode === 0n ? "none" : mode === 1n || mode === 3n ? "read" : "write";
      if (pages > 0) {
        memory.map(address, length, access); // first: a LimitError leaves the pages as they were
        if (mode === 1n || mode === 2n) {
          // Zeroed: unmapping zeroes the pages that were accessible (the rest are zero already).
          memory.map(address, length, "none");
          memory.map(address, length, access);
        }
      }
      return result(m, OK);
    },
  };
}

/**
 * `invoke` (12): r7 = machine, r8 = pointer to a 112-byte record E₈(gas) ++ 13 × E₈(reg).
 * Panics (nothing run or written) unless the record is writable; WHO if the machine is
 * unknown. Otherwise runs the inner machine with plain Ψ from its stored pc with the
 * record's gas and registers, writes the gas left (clamped at 0) and registers back, and
 * stores its pc: past the `ecalli` after a host exit, else Ψ's pc. r7 ← HALT 0, PANIC 1,
 * FAULT 2 (r8 ← the address), HOST 3 (r8 ← the host-call id) or OOG 4.
 *
 * @example
 * ```ts
 * import { invokeFunction, RefineContext } from "./refine.ts";
 * console.log(invokeFunction(new RefineContext()).id); // 12
 * ```
 */
export function invokeFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.invoke,
    name: "invoke",
    fn: (c) => {
      const m = c.machine;
      const at = r(m, 8);
      if (!guestWritable(m.memory, at, BigInt(RECORD_BYTES))) return PANIC;
      const inner = refine.machine(r(m, 7));
      if (!inner) return result(m, WHO);
      const record = m.memory.read(Number(at), RECORD_BYTES);
      const view = new DataView(record.buffer, record.byteOffset, RECORD_BYTES);
      const gas = view.getBigUint64(0, true);
      const vm = inner.instance;
      for (let i = 0; i < 13; i++) vm.setRegister(i, view.getBigUint64(8 + 8 * i, true));
      const given = gas > MAX_GAS ? MAX_GAS : gas;
      vm.gas = given;
      // A pc past 2^32 is past the code like any other: it traps there.
      const outOfRange = inner.pc >= U32;
      vm.pc = outOfRange ? 2 ** 32 - 1 : Number(inner.pc);
      const started = Date.now();
      const exit = vm.run();
      if (exit.kind === "limit") {
        // The inner machine ran past its wall-clock budget: a hard stop, like the outer's.
        throw new LimitError("deadlineMs", Date.now() - started, vm.limits.deadlineMs ?? 0);
      }
      const left = gas - (given - vm.gas);
      view.setBigUint64(0, left > 0n ? left : 0n, true);
      for (let i = 0; i < 13; i++) view.setBigUint64(8 + 8 * i, vm.getRegister(i), true);
      m.memory.write(Number(at), record);
      const stay = outOfRange ? inner.pc : BigInt(exit.pc);
      switch (exit.kind) {
        case "host":
          inner.pc = BigInt(vm.pc);
          m.setRegister(8, BigInt(exit.call));
          return result(m, INNER_EXIT.host);
        case "fault":
          inner.pc = stay;
          m.setRegister(8, BigInt(exit.address));
          return result(m, INNER_EXIT.fault);
        case "oog":
          inner.pc = stay;
          return result(m, INNER_EXIT.oog);
        default:
          inner.pc = refine.options.innerHaltPc === "instruction" ? stay : 0n;
          return result(m, exit.kind === "halt" ? INNER_EXIT.halt : INNER_EXIT.panic);
      }
    },
  };
}

/**
 * `expunge` (13): r7 = machine. r7 ← its stored pc and the machine is removed; WHO if
 * unknown.
 *
 * @example
 * ```ts
 * import { expungeFunction, RefineContext } from "./refine.ts";
 * console.log(expungeFunction(new RefineContext()).id); // 13
 * ```
 */
export function expungeFunction(refine: RefineContext): HostFunctionSpec {
  return {
    id: JAM_HOST_IDS.expunge,
    name: "expunge",
    fn: (c) => {
      const m = c.machine;
      const inner = refine.remove(r(m, 7));
      return result(m, inner ? inner.pc : WHO);
    },
  };
}

/** Set r7 and continue. */
function result(m: HostMachine, value: bigint): HostOutcome {
  m.setRegister(7, value);
  return CONTINUE;
}
