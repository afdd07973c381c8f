/**
 * The public API: load a program into a {@link Module}, instantiate it as an
 * {@link Instance}, run it to an {@link Exit}, inspect and change its state between
 * runs, resume after host calls, or step instruction by instruction.
 *
 * @module
 */
import { ISA_PROFILES, ISA_V072, type IsaProfile, Op } from "./isa/opcodes.ts";
import { interpret, type MachineState, Status } from "./interpreter/interpreter.ts";
import { type DecodedProgram, predecode } from "./interpreter/predecode.ts";
export type { DecodedProgram };
import { Memory, type MemoryRegion } from "./memory/memory.ts";
import { DEFAULT_MEMORY_POOL } from "./memory/pool.ts";
import { parseBlob, type ProgramBlob } from "./program/blob.ts";
import { ProgramError } from "./program/errors.ts";
import { HALT_ADDRESS, parseStandardProgram, standardLayout, type StandardProgram } from "./program/spi.ts";
import { isPolkaVm, parsePolkaVm, type PolkaVmLayout, polkaVmLayout, type PolkaVmProgram } from "./program/polkavm.ts";
import { ExitCode } from "./recompiler/layout.ts";
import { LimitError, type Limits, validateLimits } from "./limits.ts";
import { GAS_MODELS, type GasModel, type GasModelName, type GasSchedule, gasSchedule } from "./gas/model.ts";
import {
  compile,
  type CompiledCode,
  CompiledMachine,
  compileInBackground,
  type CompileOptions,
} from "./recompiler/runtime.ts";

/**
 * Execution backends: the reference interpreter, PVM code recompiled to WebAssembly, or
 * `auto`: interpret first and switch to compiled code (at a block boundary) once a run
 * has executed {@link AUTO_TIER_INSTRUCTIONS} instructions. All give identical results.
 */
export type Backend = "interpreter" | "recompiler" | "auto";

/**
 * Instructions an `auto` instance interprets before compiling. Emitting and compiling a
 * 100 KB service takes about 30–60 ms, the time the interpreter needs for 2–5 M
 * instructions, so shorter runs never pay for compilation.
 */
export const AUTO_TIER_INSTRUCTIONS = 2_000_000;

/**
 * Once `auto` instances of a module have interpreted this many instructions in total, new
 * instances of it start on compiled code: a program run over and over (a service invoked
 * per block, a request handler) pays for compilation once and then runs at Wasm speed.
 */
export const AUTO_HOT_MODULE_INSTRUCTIONS = 4_000_000;

/**
 * Instructions an `auto` instance of a hot module interprets before switching: about
 * 0.2–0.5 ms of interpretation, the cost of instantiating compiled code and its memory, so
 * tiny runs (a request handler answering in a few thousand instructions) stay cheap.
 */
export const AUTO_HOT_TIER_INSTRUCTIONS = 50_000;

/** Instructions (or gas, in compiled code) between deadline checks. */
const SLICE = 4_000_000;
const now = () => performance.now();

/**
 * Program container formats. `auto` takes a file starting with `PVM\0` as `polkavm`, and
 * otherwise tries generic, then SPI, then SPI with metadata.
 */
export type ProgramFormat = "auto" | "generic" | "spi" | "spi-metadata" | "polkavm";

/** Options for {@link Module.load}. */
export interface LoadOptions {
  /** Container format (default `auto`). */
  format?: ProgramFormat;
  /** ISA profile name (default `0.7.2`). */
  isa?: string;
  /** Resource limits checked at load (`maxCodeBytes`) and inherited by instances. */
  limits?: Limits;
  /**
   * Gas model (default `per-instruction`, Gray Paper v0.7.2): `pipeline` charges each
   * block's simulated cost in advance (GP 0.8 draft); `pipeline-vectors` adds the quirks of
   * the gas-model draft vectors.
   */
  gasModel?: GasModelName;
}

/** Why a run stopped. `pc` is the instruction that caused the exit; `gas` is what is left. */
export type Exit =
  | { kind: "halt"; pc: number; gas: bigint }
  | { kind: "panic"; pc: number; gas: bigint }
  | { kind: "oog"; pc: number; gas: bigint }
  | { kind: "fault"; pc: number; gas: bigint; address: number }
  | { kind: "host"; pc: number; gas: bigint; call: number }
  /** A resource limit stopped the run at a block boundary; `run()` again resumes exactly. */
  | { kind: "limit"; limit: "deadline"; pc: number; gas: bigint };

/** Options for {@link Module.instantiate}. */
export interface InstantiateOptions {
  /** Resource limits for this instance (see {@link Limits}). */
  limits?: Limits;
  /** Starting gas (default 0). */
  gas?: bigint | number;
  /** Starting pc (default 0). */
  pc?: number;
  /** Argument blob, for standard programs (default empty). */
  args?: Uint8Array;
  /** Register values; entries given here override the initial registers. */
  registers?: readonly (bigint | number | undefined)[];
  /** Memory regions to map, for generic programs (standard programs use the §12 layout). */
  memory?: readonly MemoryRegion[];
  /** Execution backend (default `auto`). All give bit-identical results. */
  backend?: Backend;
  /** For `auto`: instructions to interpret before switching to compiled code (default {@link AUTO_TIER_INSTRUCTIONS}). */
  tierUpAfter?: number;
  /**
   * Debug only, never the default: compiled code charges no gas (results then differ
   * from the PVM's). Exists to measure the cost of metering.
   */
  unmeteredForBenchmarks?: boolean;
  /** Initial `sbrk` heap pointer (default: standard layout's heap end, or the end of the highest mapped low region). */
  heapStart?: number;
  /** `.polkavm` programs: the page size of the memory layout (default 4096; PolkaVM's DOOM host uses 16384). */
  pageSize?: number;
}

/** Gas above this is held as a BigInt reserve and fed to the interpreter in chunks. */
const GAS_CHUNK = 2 ** 52;
const U64 = (1n << 64n) - 1n;
/** Canonical opcode of PolkaVM's memset (the recompiler leaves it to the interpreter). */
const MEMSET = Op.memset;

/**
 * A loaded, validated and pre-decoded program. Immutable; instantiate it any number of times.
 *
 * @example
 * ```ts
 * import { Module } from "./engine.ts";
 * // load_imm r7, 42 ; then run off the end (implicit trap)
 * const mod = Module.load(new Uint8Array([0, 0, 3, 51, 7, 42, 0b001]));
 * const vm = mod.instantiate({ gas: 100n });
 * console.log(vm.run(), vm.getRegister(7)); // { kind: "panic", pc: 3, gas: 98n } 42n
 * ```
 */
export class Module {
  /** The detected or given format. */
  readonly format: Exclude<ProgramFormat, "auto">;
  /** The generic blob (jump table, code, bitmask). */
  readonly blob: ProgramBlob;
  /** The standard-program wrapper, for SPI formats. */
  readonly standard: StandardProgram | undefined;
  /** The PolkaVM container (imports, exports, memory sizes), for the `polkavm` format. */
  readonly polkavm: PolkaVmProgram | undefined;
  /** The ISA profile the code is decoded with. */
  readonly isa: IsaProfile;
  /** Pre-decoded form used by the interpreter (internal layout; may change between versions). */
  readonly decoded: DecodedProgram;
  /** The gas model. */
  readonly gasModel: GasModel;
  /** Limits given at load; instances inherit them. */
  limits: Limits = {};
  /** Instructions `auto` instances of this module have interpreted (its hotness). */
  interpreted = 0;
  /** @internal A background compile was started. */
  precompiling = false;
  private schedule: GasSchedule | undefined;

  private constructor(
    format: Exclude<ProgramFormat, "auto">,
    blob: ProgramBlob,
    standard: StandardProgram | undefined,
    isa: IsaProfile,
    gasModel: GasModel,
    polkavm?: PolkaVmProgram,
  ) {
    this.format = format;
    this.blob = blob;
    this.standard = standard;
    this.polkavm = polkavm;
    this.isa = isa;
    this.gasModel = gasModel;
    this.decoded = predecode(blob, isa);
  }

  /** What each block costs under the module's gas model (computed once, on first use). */
  get gas(): GasSchedule {
    return this.schedule ??= gasSchedule(this.blob, this.decoded, this.isa, this.gasModel);
  }

  /**
   * Parse and validate a program.
   *
   * @throws {ProgramError} on malformed input (the offset and reason are in the message).
   * @throws {RangeError} on an unknown ISA profile name.
   */
  static load(bytes: Uint8Array, options: LoadOptions = {}): Module {
    const limits = options.limits ?? {};
    validateLimits(limits);
    const module = Module.parse(bytes, options);
    const size = module.blob.code.length;
    if (limits.maxCodeBytes !== undefined && size > limits.maxCodeBytes) {
      throw new LimitError("maxCodeBytes", size, limits.maxCodeBytes);
    }
    module.limits = limits;
    return module;
  }

  /** Parse without limits (format detection recurses through here). */
  private static parse(bytes: Uint8Array, options: LoadOptions): Module {
    const isa = ISA_PROFILES.get(options.isa ?? ISA_V072.name);
    if (!isa) {
      throw new RangeError(`unknown ISA profile "${options.isa}" (known: ${[...ISA_PROFILES.keys()].join(", ")})`);
    }
    const gasModel = GAS_MODELS.get(options.gasModel ?? "per-instruction");
    if (!gasModel) {
      throw new RangeError(`unknown gas model "${options.gasModel}" (known: ${[...GAS_MODELS.keys()].join(", ")})`);
    }
    const format = options.format === "auto" || options.format === undefined
      ? (isPolkaVm(bytes) ? "polkavm" : "auto")
      : options.format;
    if (format === "polkavm") {
      // The container names its own ISA; an explicit `isa` option overrides it.
      const program = parsePolkaVm(bytes);
      const profile = options.isa === undefined ? program.isa : isa;
      return new Module(format, program.blob, undefined, profile, gasModel, program);
    }
    if (format === "generic") return new Module(format, parseBlob(bytes), undefined, isa, gasModel);
    if (format === "spi" || format === "spi-metadata") {
      const standard = parseStandardProgram(bytes, { metadata: format === "spi-metadata" });
      return new Module(format, standard.blob, standard, isa, gasModel);
    }
    const failures: ProgramError[] = [];
    for (const candidate of ["generic", "spi", "spi-metadata"] as const) {
      try {
        return Module.parse(bytes, { format: candidate, isa: isa.name, gasModel: gasModel.name });
      } catch (error) {
        if (!(error instanceof ProgramError)) throw error;
        failures.push(error);
      }
    }
    const [generic, spi, meta] = failures;
    const furthest = failures.reduce((a, b) => (b.offset > a.offset ? b : a));
    throw new ProgramError(
      `not a valid program in any format: as a generic blob ${generic.message}; as SPI ${spi.message}; ` +
        `as SPI with metadata ${meta.message}`,
      furthest.offset,
    );
  }

  /** Create a machine for this program. */
  instantiate(options: InstantiateOptions = {}): Instance {
    const registers = new Array<bigint>(13).fill(0n);
    let regions: readonly MemoryRegion[] = options.memory ?? [];
    let heap = options.heapStart;
    if (this.standard) {
      if (options.memory) {
        throw new TypeError("memory regions cannot be given for a standard program: it has its own layout");
      }
      const layout = standardLayout(this.standard, options.args ?? new Uint8Array(0));
      regions = layout.regions;
      layout.registers.forEach((v, i) => (registers[i] = v));
      heap ??= layout.heapStart;
    } else if (options.args && options.args.length > 0) {
      throw new TypeError("arguments can only be given to a standard (SPI) program");
    }
    let polkavmLayout: PolkaVmLayout | undefined;
    if (this.polkavm) {
      if (options.memory) {
        throw new TypeError("memory regions cannot be given for a .polkavm program: it has its own layout");
      }
      if (options.args && options.args.length > 0) {
        throw new TypeError("a .polkavm program takes arguments in registers");
      }
      polkavmLayout = polkaVmLayout(this.polkavm, { pageSize: options.pageSize });
      regions = polkavmLayout.regions;
      registers[0] = BigInt(HALT_ADDRESS);
      registers[1] = BigInt(polkavmLayout.stackTop);
      heap ??= polkavmLayout.heapBase;
    }
    heap ??= defaultHeapStart(regions);
    options.registers?.forEach((v, i) => {
      if (v !== undefined) registers[i] = toU64(v, `register ${i}`);
    });
    const backend = options.backend ?? "auto";
    const limits = { ...this.limits, ...options.limits };
    validateLimits(limits);
    const gas = toGas(options.gas ?? 0n);
    if (limits.maxGas !== undefined && gas > limits.maxGas) throw new LimitError("maxGas", gas, limits.maxGas);
    if (backend !== "interpreter" && backend !== "recompiler" && backend !== "auto") {
      throw new RangeError(`unknown backend "${backend}" (interpreter, recompiler or auto)`);
    }
    const instance = new Instance(
      this,
      Memory.create(regions, { maxPages: limits.maxMemoryPages, pool: DEFAULT_MEMORY_POOL }),
      registers,
      options.pc ?? 0,
      gas,
      heap,
      backend,
      limits,
    );
    if (polkavmLayout) {
      instance.usePolkaVmConventions(this.polkavm!.bits === 32, polkavmLayout.heapLimit, polkavmLayout.pageSize);
    }
    if (options.unmeteredForBenchmarks) instance.meterGas = false;
    if (options.tierUpAfter !== undefined) instance.tierUpAfter(options.tierUpAfter);
    return instance;
  }

  /**
   * The program compiled to WebAssembly for a guest memory with the given rotation
   * (cached in-process by a hash of the code and the options).
   */
  compiled(rotation: number, options: { meterGas?: boolean } = {}): CompiledCode {
    return compile(this.decoded, this.blob, this.compileOptions(rotation, options.meterGas));
  }

  /**
   * Start compiling in the background (emit in a later task, `WebAssembly.compile`), so
   * a later {@link compiled} call, or a later `auto` instance, finds the module ready.
   */
  precompile(rotation: number): Promise<CompiledCode> {
    return compileInBackground(this.decoded, this.blob, this.compileOptions(rotation, true));
  }

  /** What shapes the emitted code (and so the cache key). */
  private compileOptions(rotation: number, meterGas: boolean | undefined): CompileOptions {
    const perBlock = this.gasModel.perBlock;
    return {
      rotation,
      meterGas,
      costModel: `${this.isa.name}/${this.gasModel.name}`,
      blockCost: perBlock ? this.gas.blockCost : undefined,
    };
  }
}

/**
 * A running machine: registers, memory, pc and gas.
 *
 * After a `host` exit the pc already points past the `ecalli`; the host may change
 * registers, memory and gas and then call {@link run} again to resume.
 *
 * @example
 * ```ts
 * import { Module } from "./engine.ts";
 * // ecalli 3 ; load_imm r7, 1 ; trap
 * const vm = Module.load(new Uint8Array([0, 0, 6, 10, 3, 51, 7, 1, 0, 0b100101])).instantiate({ gas: 1000n });
 * const exit = vm.run();
 * if (exit.kind === "host") vm.setRegister(8, 99n);
 * console.log(exit.kind, vm.run().kind, vm.getRegister(8)); // host panic 99n
 * ```
 */
export class Instance {
  /** The program. */
  readonly module: Module;
  /** Guest memory. */
  readonly memory: Memory;
  private readonly state: MachineState;
  /** Gas beyond what the interpreter holds as a number. */
  private gasReserve = 0n;
  /** The execution backend. */
  readonly backend: Backend;
  private machine: CompiledMachine | undefined;
  /** Instructions an `auto` instance may still interpret before it compiles. */
  private tierBudget = AUTO_TIER_INSTRUCTIONS;
  /** @internal Debug only: compiled code without gas metering. */
  meterGas = true;
  /** The resource limits in force. */
  readonly limits: Limits;
  private disposed = false;
  private disposeListeners: (() => void)[] = [];

  /** @internal Use {@link Module.instantiate}. */
  constructor(
    module: Module,
    memory: Memory,
    registers: readonly bigint[],
    pc: number,
    gas: bigint,
    heap: number,
    backend: Backend = "auto",
    limits: Limits = {},
  ) {
    this.module = module;
    this.backend = backend;
    this.limits = limits;
    // A hot module's instances switch to its (already compiled) code almost at once; a
    // short run still finishes in the interpreter, which beats setting up compiled code.
    if (backend === "auto" && module.interpreted >= AUTO_HOT_MODULE_INSTRUCTIONS) {
      this.tierBudget = AUTO_HOT_TIER_INSTRUCTIONS;
    }
    this.memory = memory;
    this.state = { regs: new Int32Array(26), pc, gas: 0, heap, exitArg: 0 };
    registers.forEach((v, i) => this.setRegister(i, v));
    this.gas = gas;
    this.pc = pc;
  }

  /** Program counter: where the next run starts. */
  get pc(): number {
    return this.state.pc;
  }
  set pc(value: number) {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) throw new RangeError(`invalid pc ${value}`);
    this.state.pc = value;
  }

  /** Gas left (negative only after an out-of-gas exit, per the GP). */
  get gas(): bigint {
    return BigInt(this.state.gas) + this.gasReserve;
  }
  set gas(value: bigint) {
    const g = BigInt(value);
    if (this.limits?.maxGas !== undefined && g > this.limits.maxGas) {
      throw new LimitError("maxGas", g, this.limits.maxGas);
    }
    this.setGas(g);
  }

  /** Set gas without the maxGas check (internal bookkeeping of gas the machine already had). */
  private setGas(g: bigint): void {
    if (g < -(1n << 63n) || g >= 1n << 63n) throw new RangeError(`gas ${g} is outside the signed 64-bit range`);
    if (g > BigInt(GAS_CHUNK)) {
      this.state.gas = GAS_CHUNK;
      this.gasReserve = g - BigInt(GAS_CHUNK);
    } else {
      this.state.gas = Number(g);
      this.gasReserve = 0n;
    }
  }

  /**
   * @internal PolkaVM programs: 32-bit registers (sign-extended) if `isa32`, and `sbrk` returning
   * the new heap end, growing up to `heapLimit` in pages of `pageSize`.
   */
  usePolkaVmConventions(isa32: boolean, heapLimit: number, pageSize: number): void {
    this.state.isa32 = isa32;
    this.state.polkavmHeap = { limit: heapLimit, pageSize };
  }

  /** The current `sbrk` heap pointer. */
  get heapPointer(): number {
    return this.state.heap;
  }

  /** Register `index` (0..12) as an unsigned 64-bit value. */
  getRegister(index: number): bigint {
    checkRegister(index);
    const lo = this.state.regs[2 * index] >>> 0;
    const hi = this.state.regs[2 * index + 1] >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Set register `index` (0..12); negative values are taken mod 2^64. */
  setRegister(index: number, value: bigint | number): void {
    checkRegister(index);
    const v = toU64(value, `register ${index}`);
    this.state.regs[2 * index] = Number(v & 0xffffffffn) | 0;
    this.state.regs[2 * index + 1] = Number(v >> 32n) | 0;
  }

  /** All 13 registers. */
  get registers(): bigint[] {
    return Array.from({ length: 13 }, (_, i) => this.getRegister(i));
  }
  set registers(values: readonly (bigint | number)[]) {
    if (values.length !== 13) throw new RangeError(`expected 13 registers, got ${values.length}`);
    values.forEach((v, i) => this.setRegister(i, v));
  }

  /** Run until the machine exits. */
  run(): Exit {
    if (this.disposed) throw new TypeError("this instance has been disposed");
    const deadline = this.limits.deadlineMs === undefined ? Infinity : now() + this.limits.deadlineMs;
    for (;;) {
      if (this.tier === "recompiler") {
        const exit = this.runCompiled(deadline);
        if (exit) return exit;
        this.tierBudget = Infinity; // compiling was refused (maxWasmBytes): interpret from here on
        continue;
      }
      // Interpret in slices so a deadline is noticed at block boundaries; `auto` switches
      // to compiled code (also at a block boundary) once its tier budget is spent.
      const slice = Math.min(
        this.backend === "auto" ? this.tierBudget : Infinity,
        deadline < Infinity ? SLICE : Infinity,
      );
      const before = this.gas;
      const exit = this.execute(slice);
      if (this.backend === "auto") {
        const ran = Math.max(1, Number(before - this.gas));
        this.tierBudget -= ran;
        this.module.interpreted += ran;
        // Halfway to hot: compile in the background for the instances that come later.
        if (!this.module.precompiling && this.module.interpreted >= AUTO_HOT_MODULE_INSTRUCTIONS / 2) {
          this.module.precompiling = true;
          this.module.precompile(this.memory.rotation).catch(() => {
            this.module.precompiling = false; // a later synchronous compile reports the problem
          });
        }
      }
      if (exit) return exit;
      if (now() > deadline) return this.limitExit();
    }
  }

  /**
   * Compile and instantiate this instance's compiled code asynchronously, so the first
   * {@link run} on the recompiler finds it ready. Optional, except in browsers for large
   * programs: they refuse to compile or instantiate Wasm over 8 MB synchronously on the main
   * thread. Does nothing on the interpreter backend.
   *
   * @throws {LimitError} if the code exceeds `maxWasmBytes` (a `recompiler` instance).
   */
  async prepare(): Promise<void> {
    if (this.backend === "interpreter" || this.machine || !this.meterGas) return;
    const code = await this.module.precompile(this.memory.rotation);
    if (this.limits.maxWasmBytes !== undefined && code.bytes.length > this.limits.maxWasmBytes) {
      if (this.backend === "auto") return;
      throw new LimitError("maxWasmBytes", code.bytes.length, this.limits.maxWasmBytes);
    }
    this.machine ??= await CompiledMachine.create(code, this.memory, this.state);
  }

  /**
   * Release the instance: it cannot run again, and a {@link Runtime} counts it as no
   * longer live. Calling it twice is harmless.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.machine = undefined;
    this.memory.release(DEFAULT_MEMORY_POOL);
    for (const listener of this.disposeListeners.splice(0)) listener();
  }

  /** @internal Called once when the instance is disposed (used by Runtime). */
  onDispose(listener: () => void): void {
    if (this.disposed) listener();
    else this.disposeListeners.push(listener);
  }

  /** The exit for a run stopped by its deadline. */
  private limitExit(): Exit {
    return { kind: "limit", limit: "deadline", pc: this.state.pc, gas: this.gas };
  }

  /** @internal Set the `auto` tier-up threshold (see InstantiateOptions.tierUpAfter). */
  tierUpAfter(instructions: number): void {
    if (!(instructions >= 0)) throw new RangeError(`invalid tierUpAfter ${instructions}`);
    if (this.backend === "auto") this.tierBudget = instructions;
  }

  /** The backend the next run starts on (`auto` instances move from interpreter to recompiler). */
  get tier(): "interpreter" | "recompiler" {
    return this.backend === "interpreter" || (this.backend === "auto" && this.tierBudget > 0)
      ? "interpreter"
      : "recompiler";
  }

  /**
   * Execute exactly one instruction. Returns the exit if that instruction exited
   * (or could not be paid for), else undefined.
   */
  step(): Exit | undefined {
    return this.execute(1);
  }

  /** Run with an instruction budget; undefined when the budget ran out first. */
  private execute(budget: number): Exit | undefined {
    const state = this.state;
    for (;;) {
      const status = interpret(this.module.decoded, this.memory, state, budget, this.module.gas);
      if (status === Status.paused) return undefined;
      if (status === Status.oog && this.gasReserve > 0n) {
        // The number part ran dry; refill from the reserve and carry on exactly.
        const refill = this.gasReserve > BigInt(GAS_CHUNK) ? BigInt(GAS_CHUNK) : this.gasReserve;
        this.gasReserve -= refill;
        state.gas = Math.max(state.gas, 0) + Number(refill);
        continue;
      }
      return this.exitFor(status);
    }
  }

  /**
   * Run on the recompiler: compiled code from every block start; the interpreter bridges
   * positions compiled code cannot start at (mid-block resumes) and finds the exact
   * instruction when a block cannot be paid for in full.
   */
  private runCompiled(deadline: number): Exit | undefined {
    const state = this.state;
    const decoded = this.module.decoded;
    if (!this.machine) {
      let code: CompiledCode;
      try {
        code = this.module.compiled(this.memory.rotation, { meterGas: this.meterGas });
        if (this.limits.maxWasmBytes !== undefined && code.bytes.length > this.limits.maxWasmBytes) {
          throw new LimitError("maxWasmBytes", code.bytes.length, this.limits.maxWasmBytes);
        }
      } catch (error) {
        if (error instanceof LimitError && this.backend === "auto") return undefined;
        throw error;
      }
      this.machine = new CompiledMachine(code, this.memory, state);
    }
    for (;;) {
      // A block already paid for (resuming after a fault) must not be charged again:
      // the interpreter finishes it.
      if (!state.charged && this.machine.canEnter(state.pc)) {
        // With a deadline, hand compiled code one slice of gas at a time: running short of
        // it stops at a block start with the state exact, where the clock is checked.
        const total = this.gas;
        const given = deadline < Infinity && total > BigInt(SLICE) ? BigInt(SLICE) : total;
        const withheld = total - given;
        const { status, gas } = this.machine.enter(given);
        this.setGas(gas + withheld);
        // Also paid for: a block left mid-way for the interpreter to run a PolkaVM memset.
        state.charged = status === ExitCode.host || status === ExitCode.fault ||
          (status === ExitCode.interpret && decoded.op[state.pc] === MEMSET);
        if (withheld > 0n && (status === ExitCode.interpret || status === ExitCode.oog)) {
          if (now() > deadline) return this.limitExit();
          if (gas !== given) continue; // progress was made; next slice
          // A block costlier than a slice: the interpreter pays for it below.
        } else if (status !== ExitCode.interpret) return this.exitFor(status);
      }
      // Interpret to the end of the current block, then try compiled code again.
      const pc = state.pc;
      const exit = this.execute(pc >= 0 && pc < decoded.codeLength ? decoded.cost[pc] : 1);
      if (exit) return exit;
      if (now() > deadline) return this.limitExit();
    }
  }

  /** Build the Exit for a status; after a host call, move the pc past the ecalli. */
  private exitFor(status: number): Exit {
    const state = this.state;
    const gas = this.gas;
    switch (status) {
      case Status.oog:
        return { kind: "oog", pc: state.pc, gas };
      case Status.halt:
        return { kind: "halt", pc: state.pc, gas };
      case Status.panic:
        return { kind: "panic", pc: state.pc, gas };
      case Status.fault:
        return { kind: "fault", pc: state.pc, gas, address: state.exitArg };
      case Status.host: {
        const pc = state.pc;
        const decoded = this.module.decoded;
        state.pc = pc < decoded.codeLength ? decoded.next[pc] : pc;
        return { kind: "host", pc, gas, call: state.exitArg };
      }
      default:
        throw new Error(`internal error: unknown exit status ${status}`);
    }
  }
}

function checkRegister(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 12) {
    throw new RangeError(`register index ${index} is not in 0..12`);
  }
}

function toU64(value: bigint | number, what: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`${what}: ${value} is not a safe integer`);
  }
  const v = BigInt(value);
  if (v < -(1n << 63n) || v > U64) throw new RangeError(`${what}: ${v} does not fit in 64 bits`);
  return BigInt.asUintN(64, v);
}

function toGas(value: bigint | number): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`gas ${value} is not a safe integer`);
  }
  return BigInt(value);
}

/** Heap start for generic programs: the end of the highest mapped region in the lower half of the space. */
function defaultHeapStart(regions: readonly MemoryRegion[]): number {
  let end = 0x10000;
  for (const r of regions) {
    const regionEnd = Math.ceil((r.address + r.length) / 4096) * 4096;
    if (r.address < 2 ** 31 && regionEnd > end) end = regionEnd;
  }
  return end;
}
