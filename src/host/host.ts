/**
 * Host calls (GP Ψ_H, spec §11 and §13.1): one registry of host functions, and a run loop
 * that answers every `ecalli` from it.
 *
 * - {@link HostRegistry} is the only way to make a function callable: register it by id
 *   and name with a gas cost, then restrict with a deny-list or per-function call budgets.
 *   An id that is not registered, is denied, or has used up its budget never reaches any
 *   implementation: it costs {@link HostRegistry.unknownGas} (10) and sets r7 to WHAT.
 * - {@link runWithHost} runs an instance to its end: on a host exit it charges the
 *   function's gas (out of gas → an `oog` exit at the `ecalli`), calls it, then resumes or
 *   stops as the function says.
 * - {@link readGuest}, {@link writeGuest} and {@link guestWritable} check guest pointer
 *   ranges the GP way: a bad range is a panic outcome, never an exception, and nothing is
 *   written unless the whole range is writable.
 *
 * @module
 */
import type { Exit } from "../engine.ts";
import { type HostCallObserver, observeMachine } from "./observe.ts";

/** WHAT (2^64 − 2): the answer in r7 for an unknown or unavailable host function. */
export const WHAT_RESULT = (1n << 64n) - 2n;

/** What a host function tells the loop to do next. */
export type HostOutcome =
  | { readonly kind: "continue" }
  | { readonly kind: "panic" }
  | { readonly kind: "halt" }
  | { readonly kind: "oog" };

/**
 * Resume the guest after the `ecalli`.
 *
 * @example
 * ```ts
 * import { CONTINUE } from "./host.ts";
 * console.log(CONTINUE.kind); // continue
 * ```
 */
export const CONTINUE: HostOutcome = Object.freeze({ kind: "continue" });
/**
 * Stop the invocation with a panic (bad guest pointer, or the function's own rule).
 *
 * @example
 * ```ts
 * import { PANIC } from "./host.ts";
 * console.log(PANIC.kind); // panic
 * ```
 */
export const PANIC: HostOutcome = Object.freeze({ kind: "panic" });
/**
 * Stop the invocation as halted.
 *
 * @example
 * ```ts
 * import { HALT } from "./host.ts";
 * console.log(HALT.kind); // halt
 * ```
 */
export const HALT: HostOutcome = Object.freeze({ kind: "halt" });
/**
 * Stop the invocation out of gas.
 *
 * @example
 * ```ts
 * import { OOG } from "./host.ts";
 * console.log(OOG.kind); // oog
 * ```
 */
export const OOG: HostOutcome = Object.freeze({ kind: "oog" });

/**
 * Guest memory as host functions see it ({@link Memory} satisfies it).
 *
 * @example
 * ```ts
 * import type { GuestMemory } from "./host.ts";
 * import { Memory } from "../memory/memory.ts";
 * const mem: GuestMemory = Memory.create([{ address: 0x20000, length: 4096, access: "read" }]);
 * console.log(mem.check(0x20000, 8, false), mem.check(0x20000, 8, true)); // -1 131072
 * ```
 */
export interface GuestMemory {
  /** -1 if all of [address, address + length) is readable (or writable), else the lowest bad address. */
  check(address: number, length: number, write: boolean): number;
  /** Read bytes (the range must be readable). */
  read(address: number, length: number): Uint8Array;
  /** Write bytes (the range must be writable). */
  write(address: number, data: Uint8Array): void;
}

/**
 * The machine a host function works on: an {@link Instance}, or anything shaped like one
 * (an inner machine, a test double).
 *
 * @example
 * ```ts
 * import type { HostMachine } from "./host.ts";
 * import { Module } from "../engine.ts";
 * const vm: HostMachine = Module.load(new Uint8Array([0, 0, 1, 0, 1])).instantiate({ gas: 5n });
 * console.log(vm.gas, vm.getRegister(7)); // 5n 0n
 * ```
 */
export interface HostMachine {
  /** Register `index` (0..12), unsigned. */
  getRegister(index: number): bigint;
  /** Set register `index` (0..12). */
  setRegister(index: number, value: bigint): void;
  /** Gas left. */
  gas: bigint;
  /** Guest memory. */
  readonly memory: GuestMemory;
}

/**
 * What a host function receives: the machine, which call this is, and helpers.
 *
 * @example
 * ```ts
 * import { CONTINUE, type HostCallContext } from "./host.ts";
 * // A function that answers r7 + r8 in r7:
 * const add = (ctx: HostCallContext) => {
 *   ctx.machine.setRegister(7, BigInt.asUintN(64, ctx.machine.getRegister(7) + ctx.machine.getRegister(8)));
 *   return CONTINUE;
 * };
 * console.log(typeof add); // function
 * ```
 */
export interface HostCallContext {
  /** The machine (registers, memory, gas after this call's fixed charge). */
  readonly machine: HostMachine;
  /** The host-call id (the `ecalli` immediate). */
  readonly id: number;
  /** The registered name. */
  readonly name: string;
  /** pc of the `ecalli`. */
  readonly pc: number;
  /**
   * Charge gas beyond the fixed cost (such as `transfer`'s gas limit). Returns false,
   * charging nothing, if less than `amount` is left: the function should return {@link OOG}.
   */
  charge(amount: bigint): boolean;
}

/** A host function. Returning nothing means {@link CONTINUE}. */
export type HostFunction = (ctx: HostCallContext) => HostOutcome | void;

/** Gas charged before a host function runs: a constant, or computed from the machine's state. */
export type GasRule = bigint | number | ((machine: HostMachine) => bigint);

/** One registered host function. */
export interface HostFunctionSpec {
  /** The `ecalli` immediate that selects it (0..2^32 − 1). */
  readonly id: number;
  /** Name for logs, deny-lists and budgets (unique in a registry). */
  readonly name: string;
  /** Gas charged before it runs (default 10, the GP v0.7.2 cost of every function). */
  readonly gas?: GasRule;
  /** The implementation. */
  readonly fn: HostFunction;
}

/** Default gas of a host function, and of an unknown or unavailable one (GP v0.7.2). */
export const HOST_CALL_GAS = 10n;

/**
 * The one registration API: the functions a guest may call, by id.
 *
 * @example
 * ```ts
 * import { HostRegistry } from "./host.ts";
 * const registry = new HostRegistry()
 *   .register({ id: 0, name: "gas", fn: (ctx) => ctx.machine.setRegister(7, ctx.machine.gas) })
 *   .register({ id: 7, name: "secret", fn: () => {} })
 *   .deny("secret")
 *   .budget("gas", 2);
 * console.log(registry.resolve(0)?.name, registry.resolve(7), registry.resolve(99)); // gas undefined undefined
 * ```
 */
export class HostRegistry {
  /** Gas charged for an unknown, denied or exhausted id (GP: 10). */
  unknownGas: bigint = HOST_CALL_GAS;
  private readonly byId = new Map<number, HostFunctionSpec>();
  private readonly denied = new Set<string | number>();
  private readonly budgets = new Map<string, number>();
  private readonly used = new Map<string, number>();

  /**
   * Register a function. Throws if the id or name is taken, the id is not a u32, or the
   * gas rule is negative.
   */
  register(spec: HostFunctionSpec): this {
    if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id >= 2 ** 32) {
      throw new RangeError(`host function id ${spec.id} is not a u32`);
    }
    if (this.byId.has(spec.id)) throw new TypeError(`host function id ${spec.id} is already registered`);
    for (const other of this.byId.values()) {
      if (other.name === spec.name) throw new TypeError(`host function name "${spec.name}" is already registered`);
    }
    if (typeof spec.gas !== "function" && spec.gas !== undefined && BigInt(spec.gas) < 0n) {
      throw new RangeError(`host function "${spec.name}": negative gas ${spec.gas}`);
    }
    this.byId.set(spec.id, spec);
    return this;
  }

  /** Deny functions by id or name: calling them then behaves as an unknown id (WHAT, 10 gas). */
  deny(...idsOrNames: (number | string)[]): this {
    for (const x of idsOrNames) this.denied.add(x);
    return this;
  }

  /**
   * Allow at most `calls` calls of a function (by name) per registry; later calls behave
   * as an unknown id. {@link resetBudgets} starts counting again.
   */
  budget(name: string, calls: number): this {
    if (!Number.isInteger(calls) || calls < 0) throw new RangeError(`invalid call budget ${calls}`);
    this.budgets.set(name, calls);
    return this;
  }

  /** Forget the calls counted against budgets. */
  resetBudgets(): this {
    this.used.clear();
    return this;
  }

  /** The registered, allowed spec for an id, or undefined (unknown, denied or out of budget). */
  resolve(id: number): HostFunctionSpec | undefined {
    const spec = this.byId.get(id);
    if (!spec || this.denied.has(id) || this.denied.has(spec.name)) return undefined;
    const limit = this.budgets.get(spec.name);
    if (limit !== undefined && (this.used.get(spec.name) ?? 0) >= limit) return undefined;
    return spec;
  }

  /** Count one call against the function's budget (done by {@link runWithHost}). */
  consume(name: string): void {
    this.used.set(name, (this.used.get(name) ?? 0) + 1);
  }

  /** Registered specs, by ascending id (denied ones included). */
  list(): HostFunctionSpec[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }
}

/** One answered host call, as reported to {@link RunWithHostOptions.onCall}. */
export interface HostCallEvent {
  /** The `ecalli` id. */
  readonly id: number;
  /** The function's name, or undefined if the id was unknown, denied or out of budget. */
  readonly name: string | undefined;
  /** pc of the `ecalli`. */
  readonly pc: number;
  /** r7..r12 at the call. */
  readonly args: readonly bigint[];
  /** r7 and r8 after the call. */
  readonly result: readonly [bigint, bigint];
  /** What the call decided. */
  readonly outcome: HostOutcome["kind"];
  /** Gas at the exit (after the `ecalli`'s own 1), before the host charge. */
  readonly gasBefore: bigint;
  /** Gas after the call. */
  readonly gasAfter: bigint;
}

/** Options for {@link runWithHost}. */
export interface RunWithHostOptions {
  /** Called after every host call (for logging and tracing). */
  onCall?: (event: HostCallEvent) => void;
  /**
   * Hears every host call in detail: the machine at the call, the guest memory the host
   * read and wrote, the registers it set (see {@link HostCallObserver}).
   */
  observer?: HostCallObserver;
}

/** A machine {@link runWithHost} can drive: a {@link HostMachine} that runs to an {@link Exit}. */
export interface RunnableMachine extends HostMachine {
  /** Run until an exit; after a host exit, the next run resumes after the `ecalli`. */
  run(): Exit;
}

/**
 * Ψ_H: run until the machine halts, panics, runs out of gas, faults or hits a limit,
 * answering host calls from the registry. A host function that stops the run makes the
 * exit report the `ecalli`'s pc. A `limit` exit is returned as is; calling again resumes.
 *
 * @example
 * ```ts
 * import { HostRegistry, runWithHost } from "./host.ts";
 * import { Module } from "../engine.ts";
 * // ecalli 0 ; trap
 * const vm = Module.load(new Uint8Array([0, 0, 3, 10, 0, 0, 0b101])).instantiate({ gas: 100n });
 * const registry = new HostRegistry().register({ id: 0, name: "gas", fn: (c) => c.machine.setRegister(7, c.machine.gas) });
 * console.log(runWithHost(vm, registry), vm.getRegister(7)); // { kind: "panic", pc: 2, gas: 88n } 89n
 * ```
 */
export function runWithHost(machine: RunnableMachine, registry: HostRegistry, options: RunWithHostOptions = {}): Exit {
  for (;;) {
    const exit = machine.run();
    if (exit.kind !== "host") return exit;
    const outcome = callHost(machine, registry, exit.pc, exit.call, exit.gas, options.onCall, options.observer);
    if (outcome.kind !== "continue") return { kind: outcome.kind, pc: exit.pc, gas: machine.gas };
  }
}

/**
 * Answer one host call on a machine stopped at a host exit: charge, call, report.
 * Returns the outcome; for `oog` the machine's gas is left negative (gas − cost), per the GP.
 * With an `observer`, the function works on an {@link observeMachine} view, so the
 * observer hears each read, write and register set (WHAT for an unknown id included).
 *
 * @example
 * ```ts
 * import { callHost, HostRegistry } from "./host.ts";
 * import { Module } from "../engine.ts";
 * const vm = Module.load(new Uint8Array([0, 0, 3, 10, 0, 0, 0b101])).instantiate({ gas: 5n });
 * console.log(callHost(vm, new HostRegistry(), 0, 42, vm.gas).kind, vm.gas); // oog -5n
 * ```
 */
export function callHost(
  machine: HostMachine,
  registry: HostRegistry,
  pc: number,
  id: number,
  gasBefore: bigint,
  onCall?: (event: HostCallEvent) => void,
  observer?: HostCallObserver,
): HostOutcome {
  if (observer) {
    const registers = Array.from({ length: 13 }, (_, i) => machine.getRegister(i));
    observer.onEnter?.({ id, pc, gas: gasBefore, registers });
    const report = observer.onCall?.bind(observer);
    const both = onCall && report ? (e: HostCallEvent) => (onCall(e), report(e)) : onCall ?? report;
    return callHost(observeMachine(machine, observer), registry, pc, id, gasBefore, both);
  }
  const args = onCall ? [7, 8, 9, 10, 11, 12].map((i) => machine.getRegister(i)) : [];
  const spec = registry.resolve(id);
  const cost = spec === undefined
    ? registry.unknownGas
    : spec.gas === undefined
    ? HOST_CALL_GAS
    : typeof spec.gas === "function"
    ? spec.gas(machine)
    : BigInt(spec.gas);
  let outcome: HostOutcome;
  if (machine.gas < cost) {
    machine.gas = machine.gas - cost;
    outcome = OOG;
  } else {
    machine.gas = machine.gas - cost;
    if (spec === undefined) {
      machine.setRegister(7, WHAT_RESULT);
      outcome = CONTINUE;
    } else {
      registry.consume(spec.name);
      const ctx: HostCallContext = {
        machine,
        id,
        name: spec.name,
        pc,
        charge(amount: bigint): boolean {
          if (amount < 0n || machine.gas < amount) return false;
          machine.gas = machine.gas - amount;
          return true;
        },
      };
      outcome = spec.fn(ctx) ?? CONTINUE;
    }
  }
  onCall?.({
    id,
    name: spec?.name,
    pc,
    args,
    result: [machine.getRegister(7), machine.getRegister(8)],
    outcome: outcome.kind,
    gasBefore,
    gasAfter: machine.gas,
  });
  return outcome;
}

const U32_LIMIT = 1n << 32n;

/** The range as numbers, or undefined if it does not fit in the 32-bit address space. */
function range(ptr: bigint, length: bigint): [number, number] | undefined {
  if (length < 0n || ptr < 0n || ptr + length > U32_LIMIT) return undefined;
  return [Number(ptr), Number(length)];
}

/**
 * True if [ptr, ptr + length) is writable guest memory (an empty range always is). A range
 * past 2^32 is not.
 *
 * @example
 * ```ts
 * import { guestWritable } from "./host.ts";
 * import { Memory } from "../memory/memory.ts";
 * const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
 * console.log(guestWritable(mem, 0x20ff0n, 16n), guestWritable(mem, 0x20ff0n, 17n), guestWritable(mem, 0n, 0n)); // true false true
 * ```
 */
export function guestWritable(memory: GuestMemory, ptr: bigint, length: bigint): boolean {
  if (length === 0n) return true;
  const r = range(ptr, length);
  return r !== undefined && memory.check(r[0], r[1], true) < 0;
}

/**
 * True if [ptr, ptr + length) is readable guest memory (an empty range always is).
 *
 * @example
 * ```ts
 * import { guestReadable } from "./host.ts";
 * import { Memory } from "../memory/memory.ts";
 * const mem = Memory.create([{ address: 0x20000, length: 4096, access: "read" }]);
 * console.log(guestReadable(mem, 0x20000n, 4096n), guestReadable(mem, 0x1ffffn, 2n)); // true false
 * ```
 */
export function guestReadable(memory: GuestMemory, ptr: bigint, length: bigint): boolean {
  if (length === 0n) return true;
  const r = range(ptr, length);
  return r !== undefined && memory.check(r[0], r[1], false) < 0;
}

/**
 * Read [ptr, ptr + length) from guest memory, or {@link PANIC} if any byte is unreadable.
 *
 * @example
 * ```ts
 * import { readGuest } from "./host.ts";
 * import { Memory } from "../memory/memory.ts";
 * const mem = Memory.create([{ address: 0x20000, length: 4096, access: "read", data: new Uint8Array([7, 8]) }]);
 * console.log(readGuest(mem, 0x20000n, 2n), readGuest(mem, 0xfffffn, 2n)); // Uint8Array(2) [ 7, 8 ] { kind: "panic" }
 * ```
 */
export function readGuest(memory: GuestMemory, ptr: bigint, length: bigint): Uint8Array | HostOutcome {
  if (length === 0n) return new Uint8Array(0);
  if (!guestReadable(memory, ptr, length)) return PANIC;
  return memory.read(Number(ptr), Number(length));
}

/**
 * Write `data` at guest `ptr`: {@link CONTINUE} when written, {@link PANIC} (nothing
 * written) unless the whole range is writable.
 *
 * @example
 * ```ts
 * import { writeGuest } from "./host.ts";
 * import { Memory } from "../memory/memory.ts";
 * const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
 * console.log(writeGuest(mem, 0x20ffen, new Uint8Array([1, 2, 3])).kind, mem.read(0x20ffe, 2)); // panic Uint8Array(2) [ 0, 0 ]
 * ```
 */
export function writeGuest(memory: GuestMemory, ptr: bigint, data: Uint8Array): HostOutcome {
  if (data.length === 0) return CONTINUE;
  if (!guestWritable(memory, ptr, BigInt(data.length))) return PANIC;
  memory.write(Number(ptr), data);
  return CONTINUE;
}
