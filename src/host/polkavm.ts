/**
 * Calling a `.polkavm` program the way PolkaVM does: look an export up by name, start it
 * with fresh registers (RA = the return-to-host address, SP = the stack top, arguments in
 * A0–A5, T0–T2), service each `ecalli N` with the host function bound to import N's name,
 * and return what the guest leaves in A0 (and A1). Memory persists between calls.
 *
 * @module
 */
import type { Backend, Exit, Instance, Module } from "../engine.ts";
import type { Limits } from "../limits.ts";
import type { Memory } from "../memory/memory.ts";

/** Registers that carry arguments, in order: A0–A5, then T0–T2. */
const ARGUMENT_REGISTERS = [7, 8, 9, 10, 11, 12, 2, 3, 4] as const;
/** Gas a call gets unless told otherwise: the container has no gas, so effectively unlimited. */
const DEFAULT_CALL_GAS = 1n << 62n;

/** What a host function sees of the guest while servicing an import. */
export interface PolkaVmImportContext {
  /** The machine (registers, memory; the pc is already past the `ecalli`). */
  readonly instance: Instance;
  /** Guest memory. */
  readonly memory: Memory;
  /** Import index (the `ecalli` immediate). */
  readonly index: number;
  /** Argument `i` (A0, A1, …, T2) as an unsigned number: the low 32 bits on the 32-bit ISA. */
  u32(i: number): number;
  /** Argument `i` as an unsigned register value (zero-extended from 32 bits on the 32-bit ISA). */
  arg(i: number): bigint;
}

/**
 * A host function for an import. Its return value goes to A0 (on the 32-bit ISA a value
 * wider than 32 bits goes to A0 and A1, low word first); `undefined` leaves A0 as it is.
 * Throwing aborts the call.
 */
export type PolkaVmImport = (context: PolkaVmImportContext) => number | bigint | void;

/** Options for {@link PolkaVmInstance.create}. */
export interface PolkaVmInstanceOptions {
  /** Host functions by import name. */
  imports?: Readonly<Record<string, PolkaVmImport>>;
  /** Services imports that have no function by name (such as index-pinned, name-less imports). */
  fallback?: PolkaVmImport;
  /** Execution backend (default `auto`). */
  backend?: Backend;
  /** Page size of the memory layout (default 4096). */
  pageSize?: number;
  /**
   * Resource limits of the instance (see {@link Limits}): `deadlineMs` bounds each stretch of
   * guest execution between host calls, so a guest that never returns cannot hang the host
   * (calls get practically unlimited gas by default; a `limit` exit fails the call).
   */
  limits?: Limits;
}

/** A call stopped without returning: the guest trapped, faulted, ran out of gas, or a host function failed. */
export class PolkaVmCallError extends Error {
  /** Create the error for export `exportName` stopped by `exit`. */
  constructor(
    /** The export being called. */
    readonly exportName: string,
    /** The exit that ended the call (undefined when a host function threw). */
    readonly exit: Exit | undefined,
    reason: string,
  ) {
    super(`call to "${exportName}" failed: ${reason}`);
    this.name = "PolkaVmCallError";
  }
}

/**
 * An instance of a `.polkavm` program with its imports bound: call exports by name.
 *
 * @example
 * ```ts
 * import { Module, PolkaVmInstance } from "../../mod.ts";
 * // A 32-bit program exporting add3(a, b) = a + b + third(), where third() is an import:
 * //   add_32 r7, r7, r8 ; move_reg r5, r7 ; ecalli 0 ; add_32 r7, r7, r5 ; jump_ind r0, 0
 * const bytes = new Uint8Array([
 *   80, 86, 77, 0, 1, 53, 0, 0, 0, 0, 0, 0, 0, // "PVM\0", 32-bit ISA, file length
 *   4, 10, 1, 0, 0, 0, 0, 116, 104, 105, 114, 100, // imports: "third"
 *   5, 7, 1, 0, 4, 97, 100, 100, 51, // exports: "add3" at pc 0
 *   6, 16, 0, 0, 11, 190, 135, 7, 100, 117, 10, 190, 87, 7, 50, 0, 105, 2, // code
 *   0,
 * ]);
 * const vm = PolkaVmInstance.create(Module.load(bytes), { imports: { third: () => 100 } });
 * console.log(vm.call("add3", [1, 2])); // 103n
 * ```
 */
export class PolkaVmInstance {
  /** The underlying machine. */
  readonly instance: Instance;
  /** Export name → pc. */
  private readonly exports: ReadonlyMap<string, number>;
  /** Host function per import index (undefined: none bound, the fallback is used). */
  private readonly handlers: readonly (PolkaVmImport | undefined)[];
  private readonly fallback: PolkaVmImport | undefined;
  private readonly bits: 32 | 64;
  private readonly imports: readonly string[];
  /** r0 (the return-to-host address) and r1 (the stack top) as the layout set them. */
  private readonly entryRegisters: readonly [bigint, bigint];

  private constructor(instance: Instance, options: PolkaVmInstanceOptions) {
    const program = instance.module.polkavm;
    if (!program) throw new TypeError("not a .polkavm program");
    this.instance = instance;
    this.bits = program.bits;
    this.imports = program.imports;
    this.entryRegisters = [instance.getRegister(0), instance.getRegister(1)];
    this.exports = new Map(program.exports.map((e) => [e.name, e.pc]));
    const given = options.imports ?? {};
    this.handlers = program.imports.map((
      name,
    ) => (name !== "" && Object.hasOwn(given, name) ? given[name] : undefined));
    this.fallback = options.fallback;
  }

  /**
   * Instantiate a `.polkavm` module and bind its imports by name.
   *
   * @throws {TypeError} if the module is not a `.polkavm` program, or a function is given for
   * a name the program does not import.
   */
  static create(module: Module, options: PolkaVmInstanceOptions = {}): PolkaVmInstance {
    const program = module.polkavm;
    if (!program) throw new TypeError(`not a .polkavm program (format ${module.format})`);
    for (const name of Object.keys(options.imports ?? {})) {
      if (!program.imports.includes(name)) {
        throw new TypeError(
          `the program has no import named "${name}" (imports: ${program.imports.filter(Boolean).join(", ")})`,
        );
      }
    }
    const instance = module.instantiate({
      backend: options.backend,
      pageSize: options.pageSize,
      limits: options.limits,
    });
    return new PolkaVmInstance(instance, options);
  }

  /** Export names, in file order. */
  get exportNames(): string[] {
    return [...this.exports.keys()];
  }

  /**
   * Call export `name`. Each argument takes one register (A0, A1, …, T2; at most 9); on the
   * 32-bit ISA pass a 64-bit value as two arguments, low word first. Returns A0 as an
   * unsigned value (its low 32 bits on the 32-bit ISA); {@link result} has A0 and A1.
   *
   * @throws {RangeError} for an unknown export or too many arguments.
   * @throws {PolkaVmCallError} if the guest traps, faults or runs out of gas, calls an
   * import no host function services, or a host function throws.
   */
  call(name: string, args: readonly (number | bigint)[] = [], options: { gas?: bigint } = {}): bigint {
    const pc = this.exports.get(name);
    if (pc === undefined) throw new RangeError(`no export named "${name}" (exports: ${this.exportNames.join(", ")})`);
    if (args.length > ARGUMENT_REGISTERS.length) {
      throw new RangeError(`${args.length} arguments (at most ${ARGUMENT_REGISTERS.length})`);
    }
    const vm = this.instance;
    for (let r = 0; r < 13; r++) vm.setRegister(r, 0);
    vm.setRegister(0, this.entryRegisters[0]);
    vm.setRegister(1, this.entryRegisters[1]);
    args.forEach((value, i) => this.setArgument(ARGUMENT_REGISTERS[i], value));
    vm.pc = pc;
    vm.gas = options.gas ?? DEFAULT_CALL_GAS;
    for (;;) {
      const exit = vm.run();
      if (exit.kind === "halt") return this.result()[0];
      if (exit.kind !== "host") {
        const where = exit.kind === "fault" ? ` at address 0x${exit.address.toString(16)}` : "";
        throw new PolkaVmCallError(name, exit, `${exit.kind}${where} at pc ${exit.pc}`);
      }
      this.service(name, exit);
    }
  }

  /** A0 and A1 after the last call, unsigned (zero-extended from 32 bits on the 32-bit ISA). */
  result(): [bigint, bigint] {
    return [this.read(7), this.read(8)];
  }

  /** A register as the host sees it: zero-extended from 32 bits on the 32-bit ISA. */
  private read(register: number): bigint {
    const value = this.instance.getRegister(register);
    return this.bits === 32 ? value & 0xffffffffn : value;
  }

  /** Set a register as the ISA holds it: sign-extended from bit 31 on the 32-bit ISA. */
  private setArgument(register: number, value: number | bigint): void {
    const v = BigInt(value);
    this.instance.setRegister(register, this.bits === 32 ? BigInt.asIntN(32, v) : BigInt.asUintN(64, v));
  }

  /** Answer the `ecalli` of `exit` with the import's host function (or the fallback). */
  private service(name: string, exit: Extract<Exit, { kind: "host" }>): void {
    const index = exit.call;
    const handler = index < this.handlers.length ? this.handlers[index] ?? this.fallback : this.fallback;
    if (!handler) {
      const what = index < this.imports.length ? `import ${index} ("${this.imports[index]}")` : `import ${index}`;
      throw new PolkaVmCallError(name, exit, `${what} has no host function (ecalli at pc ${exit.pc})`);
    }
    const vm = this.instance;
    const context: PolkaVmImportContext = {
      instance: vm,
      memory: vm.memory,
      index,
      u32: (i) => Number(vm.getRegister(ARGUMENT_REGISTERS[i]) & 0xffffffffn),
      arg: (i) => this.read(ARGUMENT_REGISTERS[i]),
    };
    let value: number | bigint | void;
    try {
      value = handler(context);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PolkaVmCallError(name, exit, `host function for import ${index} failed: ${reason}`);
    }
    if (value === undefined) return;
    const v = BigInt(value);
    if (this.bits === 32 && (v >= 1n << 32n || v < -(1n << 31n))) {
      this.setArgument(7, BigInt.asUintN(32, v));
      this.setArgument(8, BigInt.asUintN(32, v >> 32n));
    } else this.setArgument(7, v);
  }
}
