/**
 * The GP invocations (spec §11): Ψ_M over a standard program with JAM host functions, and
 * the entry points built on it: {@link accumulate} (pc 5), {@link isAuthorized} (pc 0) and
 * {@link refine} (pc 0).
 *
 * @module
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { type Backend, type Exit, Module } from "../../engine.ts";
import { LimitError, type Limits } from "../../limits.ts";
import { concatBytes } from "../../program/blob.ts";
import { ProgramError } from "../../program/errors.ts";
import { encodeVarint } from "../../program/reader.ts";
import { type HostCallEvent, type HostRegistry, runWithHost } from "../host.ts";
import type { RunObserver } from "../observe.ts";
import { type HostPolicy, jamRegistry } from "./contexts.ts";
import type { FetchData, JamHostEnv, LogOptions } from "./general.ts";
import { RefineContext, type RefineContextOptions } from "./refine.ts";
import { initialNextFreeId } from "./accumulate_services.ts";
import { FULL_PARAMS, type ProtocolParams } from "./params.ts";
import type { ServiceState, StateSnapshot } from "./state.ts";

/** How an invocation ended (Ψ_M's output; a page fault counts as panic). */
export type InvocationStatus = "halt" | "panic" | "oog";

/** What an invocation returns. */
export interface InvocationResult {
  /** halt, panic or oog. */
  readonly status: InvocationStatus;
  /** On halt: the bytes at [r7, r7 + r8) if all readable, else empty. Undefined otherwise. */
  readonly output: Uint8Array | undefined;
  /** Gas used: the gas given − max(gas left, 0). */
  readonly gasUsed: bigint;
  /** The final exit (undefined if the code could not be loaded). */
  readonly exit: Exit | undefined;
}

/** Options shared by every invocation. */
export interface InvokeOptions extends HostPolicy {
  /** Execution backend (default `auto`). */
  backend?: Backend;
  /** Called after every host call. */
  onCall?: (event: HostCallEvent) => void;
  /** `log` behaviour. */
  log?: LogOptions;
  /** Hears the run start and end and every host call in detail (tracing, JIP-6 recording). */
  observer?: RunObserver;
  /**
   * Resource limits of the invoked machine, merged over the module's (see {@link Limits});
   * inner machines inherit them unless `innerLimits` is given. A limit exceeded during the
   * invocation throws {@link LimitError}; `deadlineMs` bounds each stretch of guest
   * execution between host calls (and each inner `invoke`).
   */
  limits?: Limits;
}

/**
 * Ψ_M: load a standard program (`code` is `E(↕metadata) ++ blob` unless `metadata` is
 * false, or a loaded {@link Module}), run it from `pc` with `args` and host functions from
 * `registry`, and apply the output rule. Code that fails to load is a panic using no gas.
 *
 * @example
 * ```ts
 * import { invokeStandard } from "./invocations.ts";
 * import { HostRegistry } from "../host.ts";
 * // metadata "", no data, stack 0; code: jump_ind r0 (halt)
 * const code = new Uint8Array([0, 0,0,0, 0,0,0, 0,0, 0,0,0, 6,0,0,0, 0,0,2,50,0,1]);
 * const r = invokeStandard(code, 0, 100n, new Uint8Array([9]), new HostRegistry());
 * console.log(r.status, r.output, r.gasUsed); // halt Uint8Array(1) [ 9 ] 1n
 * ```
 */
export function invokeStandard(
  code: Uint8Array | Module,
  pc: number,
  gas: bigint,
  args: Uint8Array,
  registry: HostRegistry,
  options: {
    backend?: Backend;
    onCall?: (event: HostCallEvent) => void;
    metadata?: boolean;
    limits?: Limits;
    observer?: RunObserver;
  } = {},
): InvocationResult {
  let module: Module;
  try {
    module = code instanceof Module
      ? code
      : Module.load(code, { format: options.metadata === false ? "spi" : "spi-metadata" });
  } catch (error) {
    if (error instanceof ProgramError) return { status: "panic", output: undefined, gasUsed: 0n, exit: undefined };
    throw error;
  }
  if (!module.standard) throw new TypeError("an invocation needs a standard program (SPI)");
  if (args.length > 1 << 24) return { status: "panic", output: undefined, gasUsed: 0n, exit: undefined };
  const vm = module.instantiate({ gas, pc, args, backend: options.backend, limits: options.limits });
  const started = Date.now();
  try {
    options.observer?.onStart?.(vm, pc);
    const exit = runWithHost(vm, registry, { onCall: options.onCall, observer: options.observer });
    if (exit.kind === "limit") throw new LimitError("deadlineMs", Date.now() - started, vm.limits.deadlineMs ?? 0);
    options.observer?.onEnd?.(vm, exit);
    const left = vm.gas > 0n ? vm.gas : 0n;
    const gasUsed = gas - left;
    if (exit.kind === "oog") return { status: "oog", output: undefined, gasUsed, exit };
    if (exit.kind !== "halt") return { status: "panic", output: undefined, gasUsed, exit };
    const ptr = vm.getRegister(7);
    const length = vm.getRegister(8);
    const readable = length === 0n ||
      (ptr + length <= 1n << 32n && vm.memory.check(Number(ptr), Number(length), false) < 0);
    const output = readable && length > 0n ? vm.memory.read(Number(ptr), Number(length)) : new Uint8Array(0);
    return { status: "halt", output, gasUsed, exit };
  } finally {
    vm.dispose();
  }
}

const concat = (...parts: Uint8Array[]) => concatBytes(parts);

/** Inputs of {@link accumulate}. */
export interface AccumulateOptions extends InvokeOptions {
  /** The service code: `E(↕metadata) ++ blob` as stored on chain, or a loaded module. */
  code: Uint8Array | Module;
  /** Gas given. */
  gas: bigint;
  /** The current timeslot. */
  timeslot: number;
  /** The accumulating service. */
  serviceId: number;
  /** Number of accumulate inputs (defaults to `fetch.accumulateInputs.length`). */
  inputCount?: number;
  /** The state; on panic or OOG it is rolled back to the last checkpoint (or the start). */
  state: ServiceState;
  /** Blobs for `fetch` (kinds 0, 1, 14, 15). */
  fetch?: FetchData;
  /** Protocol constants of the accumulate functions (default: the full chain's). */
  params?: ProtocolParams;
  /**
   * The id `new` hands out first (default: {@link initialNextFreeId} from the service id,
   * `fetch.entropy` or 32 zero bytes, and the timeslot).
   */
  nextFreeId?: number;
  /**
   * The total amount of the deferred transfers among the inputs: credited to the
   * service's balance before it runs (and kept whatever the outcome). Default 0.
   */
  incoming?: bigint;
}

/** What {@link accumulate} returns. */
export interface AccumulateResult extends InvocationResult {
  /** True if the state was rolled back to the exceptional (checkpointed) state. */
  readonly rolledBack: boolean;
  /**
   * The accumulation's output hash: a 32-byte halt output, else the last `yield` (of the
   * regular state on halt, of the checkpointed one otherwise), else undefined. The state
   * holds it too, with the pending transfers and provisions.
   */
  readonly yielded: Uint8Array | undefined;
}

/**
 * Ψ_A: run a service's accumulate at pc 5 with arguments E(timeslot, service id, input
 * count) and the accumulate host functions. On halt the state keeps every change; on
 * panic or OOG it returns to the last `checkpoint` (or to where it started), and so it
 * does before a {@link LimitError} (a resource limit exceeded) leaves this function.
 *
 * @example
 * ```ts
 * import { accumulate } from "./invocations.ts";
 * import { InMemoryServiceState } from "./state.ts";
 * // metadata "", no data; code: 5 × fallthrough, then at pc 5: ecalli 0 (gas) ; jump_ind r0
 * const code = new Uint8Array([0, 0,0,0, 0,0,0, 0,0, 0,0,0, 14,0,0,0, 0,0,9,1,1,1,1,1,10,0,50,0,0b10111111,0]);
 * const state = new InMemoryServiceState();
 * const r = accumulate({ code, gas: 1000n, timeslot: 6, serviceId: 0, inputCount: 3, state });
 * console.log(r.status, r.gasUsed, r.output); // halt 12n Uint8Array(0) []
 * ```
 */
export function accumulate(options: AccumulateOptions): AccumulateResult {
  const state = options.state;
  const params = options.params ?? FULL_PARAMS;
  const entropy = options.fetch?.entropy ?? new Uint8Array(32);
  const self = state.info(options.serviceId);
  if (options.incoming) {
    if (!self) throw new RangeError(`accumulate: service ${options.serviceId} has no account to credit`);
    state.setInfo(options.serviceId, { ...self, balance: self.balance + options.incoming });
  }
  state.beginAccumulation(
    options.nextFreeId ?? initialNextFreeId(state, options.serviceId, entropy, options.timeslot, params),
  );
  let exceptional: StateSnapshot = state.snapshot();
  const env: JamHostEnv = {
    context: "accumulate",
    self: options.serviceId,
    state,
    fetch: options.fetch,
    log: options.log,
    onCheckpoint: () => (exceptional = state.snapshot()),
    timeslot: options.timeslot,
    params,
  };
  const count = options.inputCount ?? options.fetch?.accumulateInputs?.length ?? 0;
  const args = concat(encodeVarint(options.timeslot), encodeVarint(options.serviceId), encodeVarint(count));
  let result: InvocationResult;
  try {
    result = invokeStandard(options.code, 5, options.gas, args, jamRegistry(env, options), options);
  } catch (error) {
    // A limit (or any failure) mid-run: nothing half-done stays in the state.
    state.rollback(exceptional);
    throw error;
  }
  const rolledBack = result.status !== "halt";
  if (rolledBack) state.rollback(exceptional);
  else if (result.output?.length === 32) state.setYielded(result.output);
  return { ...result, rolledBack, yielded: state.yielded() };
}

/** Inputs of {@link isAuthorized}. */
export interface IsAuthorizedOptions extends InvokeOptions {
  /** The authorizer code (`E(↕metadata) ++ blob`, or a loaded module). */
  code: Uint8Array | Module;
  /** Gas given (G_I). */
  gas: bigint;
  /** The core index. */
  core: number;
  /** Blobs for `fetch` (kinds 0 and 7–13). */
  fetch?: FetchData;
}

/**
 * Ψ_I: run an authorizer at pc 0 with the argument E₂(core) and only `gas`, `fetch` and
 * `log` available.
 *
 * @example
 * ```ts
 * import { isAuthorized } from "./invocations.ts";
 * // metadata "", no data; code: jump_ind r0 (halt): the output is the 2 argument bytes
 * const code = new Uint8Array([0, 0,0,0, 0,0,0, 0,0, 0,0,0, 6,0,0,0, 0,0,2,50,0,1]);
 * console.log(isAuthorized({ code, gas: 10n, core: 258 }).output); // Uint8Array(2) [ 2, 1 ]
 * ```
 */
export function isAuthorized(options: IsAuthorizedOptions): InvocationResult {
  const env: JamHostEnv = { context: "is-authorized", self: 0, fetch: options.fetch, log: options.log };
  const args = new Uint8Array([options.core & 0xff, (options.core >> 8) & 0xff]);
  return invokeStandard(options.code, 0, options.gas, args, jamRegistry(env, options), options);
}

/** Inputs of {@link refine}. */
export interface RefineOptions extends InvokeOptions, RefineContextOptions {
  /** The service code (`E(↕metadata) ++ blob` unless `metadata` is false, or a loaded module). */
  code: Uint8Array | Module;
  /** False for code without the metadata prefix (GP 0.6 era builds); default true. */
  metadata?: boolean;
  /** The work item's refine gas limit. */
  gas: bigint;
  /** The core index. */
  core: number;
  /** Index of the work item in its package (also fetch's current item, unless given there). */
  itemIndex: number;
  /** The work item's service. */
  serviceId: number;
  /** The work item's payload. */
  payload: Uint8Array;
  /**
   * The 32-byte work-package hash passed in the arguments (default: BLAKE2b-256 of
   * `fetch.workPackage`, or of the empty blob if that is not given).
   */
  packageHash?: Uint8Array;
  /**
   * The argument layout: `0.7.1` (default) is E(core, item, service, ↕payload, hash);
   * `0.7.0` is the layout before GP 0.7.1 added the core index, E(item, service,
   * ↕payload, hash), which services built for GP 0.6.x/0.7.0 (such as jamduna's) decode.
   */
  argumentLayout?: "0.7.1" | "0.7.0";
  /** State for `historical_lookup` (its preimages, and requests when `lookupAnchorSlot` is given). */
  state?: ServiceState;
  /** Blobs for `fetch` (kinds 0–13). */
  fetch?: FetchData;
}

/** What {@link refine} returns. */
export interface RefineResult extends InvocationResult {
  /** The exported segments, each W_G = 4104 bytes (whatever the status). */
  readonly exports: readonly Uint8Array[];
}

/**
 * Ψ_R: run a service's refine at pc 0 with arguments E(core, item index, service id,
 * ↕payload, package hash) and the Refine host functions (inner machines included; they
 * are disposed at the end).
 *
 * @example
 * ```ts
 * import { refine } from "./invocations.ts";
 * // metadata "", no data; code: jump_ind r0 (halt): the output is the argument blob
 * const code = new Uint8Array([0, 0,0,0, 0,0,0, 0,0, 0,0,0, 6,0,0,0, 0,0,2,50,0,1]);
 * const r = refine({ code, gas: 10n, core: 1, itemIndex: 2, serviceId: 3, payload: new Uint8Array([9]), packageHash: new Uint8Array(32) });
 * console.log(r.status, r.output?.slice(0, 5), r.output?.length, r.exports.length); // halt Uint8Array(5) [ 1, 2, 3, 1, 9 ] 37 0
 * ```
 */
export function refine(options: RefineOptions): RefineResult {
  const fetch: FetchData = { ...options.fetch, currentItem: options.fetch?.currentItem ?? options.itemIndex };
  const env: JamHostEnv = {
    context: "refine",
    self: options.serviceId,
    state: options.state,
    fetch,
    log: options.log,
  };
  const hash = options.packageHash ?? blake2b(options.fetch?.workPackage ?? new Uint8Array(0), { dkLen: 32 });
  if (hash.length !== 32) throw new RangeError(`the package hash must be 32 bytes, not ${hash.length}`);
  const args = concat(
    options.argumentLayout === "0.7.0" ? new Uint8Array(0) : encodeVarint(options.core),
    encodeVarint(options.itemIndex),
    encodeVarint(options.serviceId),
    encodeVarint(options.payload.length),
    options.payload,
    hash,
  );
  const context = new RefineContext(options);
  try {
    const result = invokeStandard(options.code, 0, options.gas, args, jamRegistry(env, options, context), options);
    return { ...result, exports: context.exports };
  } finally {
    context.dispose();
  }
}
