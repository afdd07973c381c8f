/**
 * Watching host calls in detail: the one hook behind host-call tracing (`--trace-host`)
 * and JIP-6 trace recording (`--record-trace`).
 *
 * A {@link HostCallObserver} given to {@link runWithHost} (or to an invocation) hears of
 * every host call as it happens: the machine as the host found it, every guest read and
 * write the host function made, every register it set, and the summary when it returns.
 * While an observer listens, host functions work on an {@link observeMachine} view of the
 * machine; {@link underlyingMachine} gets the real one back.
 *
 * @module
 */
import type { Exit } from "../engine.ts";
import type { GuestMemory, HostCallEvent, HostMachine } from "./host.ts";

/** The machine at a host call, before anything is charged. */
export interface HostCallStart {
  /** The `ecalli` id. */
  readonly id: number;
  /** pc of the `ecalli`. */
  readonly pc: number;
  /** Gas after the `ecalli`'s own charge, before the host function's. */
  readonly gas: bigint;
  /** All 13 registers. */
  readonly registers: readonly bigint[];
}

/**
 * Listener for host calls. Every method is optional; each is called synchronously, in
 * this order per call: `onEnter`, then the reads, writes and register sets as the
 * function makes them, then `onCall`.
 *
 * @example
 * ```ts
 * import { HostRegistry, runWithHost } from "./host.ts";
 * import type { HostCallObserver } from "./observe.ts";
 * import { Module } from "../engine.ts";
 * // ecalli 0 ; trap
 * const vm = Module.load(new Uint8Array([0, 0, 3, 10, 0, 0, 0b101])).instantiate({ gas: 100n });
 * const registry = new HostRegistry().register({ id: 0, name: "gas", fn: (c) => c.machine.setRegister(7, c.machine.gas) });
 * const seen: string[] = [];
 * const observer: HostCallObserver = {
 *   onEnter: (call) => seen.push(`enter ${call.id} gas=${call.gas}`),
 *   onSetRegister: (index, value) => seen.push(`r${index}=${value}`),
 *   onCall: (event) => seen.push(`done gas=${event.gasAfter}`),
 * };
 * runWithHost(vm, registry, { observer });
 * console.log(seen); // [ "enter 0 gas=99", "r7=89", "done gas=89" ]
 * ```
 */
export interface HostCallObserver {
  /** A host call begins. */
  onEnter?(call: HostCallStart): void;
  /** The host read `data` from guest memory at `address` (a copy; only reads that succeeded). */
  onMemoryRead?(address: number, data: Uint8Array): void;
  /** The host wrote `data` to guest memory at `address` (a copy). */
  onMemoryWrite?(address: number, data: Uint8Array): void;
  /** The host set register `index` (the value as stored, a u64). */
  onSetRegister?(index: number, value: bigint): void;
  /** The host call returned (the same event as `onCall` of {@link runWithHost}'s options). */
  onCall?(event: HostCallEvent): void;
}

const UNDERLYING = Symbol("pvmkit.underlyingMachine");

/** A machine seen through an observer; it remembers the machine it wraps. */
interface ObservedMachine extends HostMachine {
  readonly [UNDERLYING]: HostMachine;
}

/**
 * A view of `machine` that reports the host's reads, writes and register sets to
 * `observer`; everything else goes straight to the machine.
 *
 * @example
 * ```ts
 * import { observeMachine } from "./observe.ts";
 * import { Module } from "../engine.ts";
 * const vm = Module.load(new Uint8Array([0, 0, 1, 0, 1])).instantiate({ gas: 5n, memory: [{ address: 0x20000, length: 4096, access: "write" }] });
 * const writes: string[] = [];
 * const view = observeMachine(vm, { onMemoryWrite: (a, d) => writes.push(`${a.toString(16)}:${d}`) });
 * view.memory.write(0x20000, new Uint8Array([1, 2]));
 * console.log(writes, vm.memory.read(0x20000, 2)); // [ "20000:1,2" ] Uint8Array(2) [ 1, 2 ]
 * ```
 */
export function observeMachine(machine: HostMachine, observer: HostCallObserver): HostMachine {
  const inner = machine.memory;
  const memory: GuestMemory = {
    check: (address, length, write) => inner.check(address, length, write),
    read(address, length) {
      const data = inner.read(address, length);
      observer.onMemoryRead?.(address, data.slice());
      return data;
    },
    write(address, data) {
      inner.write(address, data);
      observer.onMemoryWrite?.(address, data.slice());
    },
  };
  const view: ObservedMachine = {
    [UNDERLYING]: machine,
    memory,
    getRegister: (index) => machine.getRegister(index),
    setRegister(index, value) {
      machine.setRegister(index, value);
      observer.onSetRegister?.(index, machine.getRegister(index));
    },
    get gas() {
      return machine.gas;
    },
    set gas(value: bigint) {
      machine.gas = value;
    },
  };
  return view;
}

/**
 * The machine behind an {@link observeMachine} view (or the machine itself): host
 * functions that need the real {@link Instance} (its backend, ISA) look through the view.
 *
 * @example
 * ```ts
 * import { observeMachine, underlyingMachine } from "./observe.ts";
 * import { Instance, Module } from "../engine.ts";
 * const vm = Module.load(new Uint8Array([0, 0, 1, 0, 1])).instantiate({ gas: 5n });
 * const view = observeMachine(vm, {});
 * console.log(view instanceof Instance, underlyingMachine(view) === vm, underlyingMachine(vm) === vm); // false true true
 * ```
 */
export function underlyingMachine(machine: HostMachine): HostMachine {
  let m = machine;
  while (UNDERLYING in m) m = (m as ObservedMachine)[UNDERLYING];
  return m;
}

/**
 * A {@link HostCallObserver} that also hears when a whole run starts and ends (the
 * invocations call these; a JIP-6 recorder needs them for its `start` and final lines).
 *
 * @example
 * ```ts
 * import type { RunObserver } from "./observe.ts";
 * const observer: RunObserver = { onStart: (_vm, pc) => console.log("start at", pc) };
 * console.log(typeof observer.onStart); // function
 * ```
 */
export interface RunObserver extends HostCallObserver {
  /** The machine is set up (registers, memory, gas) and about to run from `pc`. */
  onStart?(machine: HostMachine, pc: number): void;
  /** The run ended with `exit`; the machine still holds its final registers and memory. */
  onEnd?(machine: HostMachine, exit: Exit): void;
}

/**
 * One observer that forwards everything to each of `observers` in order.
 *
 * @example
 * ```ts
 * import { combineObservers } from "./observe.ts";
 * const seen: string[] = [];
 * const both = combineObservers({ onSetRegister: (i) => seen.push(`a${i}`) }, undefined, { onSetRegister: (i) => seen.push(`b${i}`) });
 * both.onSetRegister?.(7, 1n);
 * console.log(seen); // [ "a7", "b7" ]
 * ```
 */
export function combineObservers(...observers: (RunObserver | undefined)[]): RunObserver {
  const list = observers.filter((o): o is RunObserver => o !== undefined);
  return {
    onStart: (machine, pc) => list.forEach((o) => o.onStart?.(machine, pc)),
    onEnter: (call) => list.forEach((o) => o.onEnter?.(call)),
    onMemoryRead: (address, data) => list.forEach((o) => o.onMemoryRead?.(address, data)),
    onMemoryWrite: (address, data) => list.forEach((o) => o.onMemoryWrite?.(address, data)),
    onSetRegister: (index, value) => list.forEach((o) => o.onSetRegister?.(index, value)),
    onCall: (event) => list.forEach((o) => o.onCall?.(event)),
    onEnd: (machine, exit) => list.forEach((o) => o.onEnd?.(machine, exit)),
  };
}

const hexValue = (v: bigint) => `0x${v.toString(16)}`;

/**
 * One line describing a host call: its number in the run, name and id, pc, r7..r12 at
 * the call, r7 and r8 after it, the gas before the host's charge and after the call, and
 * how it ended when it stopped the run.
 *
 * @example
 * ```ts
 * import { formatHostCall } from "./observe.ts";
 * const line = formatHostCall(1, { id: 0, name: "gas", pc: 4, args: [1n, 0n, 0n, 0n, 0n, 0n], result: [89n, 0n], outcome: "continue", gasBefore: 99n, gasAfter: 89n });
 * console.log(line); // host #1 gas (0) pc=4 r7=0x1 r8=0x0 r9=0x0 r10=0x0 r11=0x0 r12=0x0 -> r7=0x59 r8=0x0 gas 99 -> 89
 * ```
 */
export function formatHostCall(n: number, event: HostCallEvent): string {
  const name = event.name ?? "unknown";
  const args = event.args.map((v, i) => `r${i + 7}=${hexValue(v)}`).join(" ");
  const result = `r7=${hexValue(event.result[0])} r8=${hexValue(event.result[1])}`;
  const end = event.outcome === "continue" ? "" : ` [${event.outcome}]`;
  return `host #${n} ${name} (${event.id}) pc=${event.pc} ${args} -> ${result} gas ${event.gasBefore} -> ${event.gasAfter}${end}`;
}

/**
 * An observer that writes one {@link formatHostCall} line per host call to `write`
 * (what `pvmkit … --trace-host` prints to stderr).
 *
 * @example
 * ```ts
 * import { hostCallTracer } from "./observe.ts";
 * import { HostRegistry, runWithHost } from "./host.ts";
 * import { Module } from "../engine.ts";
 * // ecalli 9 ; trap
 * const vm = Module.load(new Uint8Array([0, 0, 3, 10, 9, 0, 0b101])).instantiate({ gas: 100n });
 * runWithHost(vm, new HostRegistry(), { observer: hostCallTracer(console.log) });
 * // host #1 unknown (9) pc=0 r7=0x0 r8=0x0 r9=0x0 r10=0x0 r11=0x0 r12=0x0 -> r7=0xfffffffffffffffe r8=0x0 gas 99 -> 89
 * ```
 */
export function hostCallTracer(write: (line: string) => void): HostCallObserver {
  let count = 0;
  return { onCall: (event) => write(formatHostCall(++count, event)) };
}
