/**
 * The javm capability kernel (capability-kernel.md): one invocation of a JAR v2 blob. A
 * shared page pool with an UNTYPED bump allocator, VMs with 256-slot cap tables, and the
 * run loop that turns each VM exit into a kernel action: `ecalli` CALLs the cap in a slot
 * (protocol → host, UNTYPED → RETYPE, CODE → CREATE, HANDLE/CALLABLE → run that VM, slot 0
 * → REPLY), `ecall` performs a management op (ops.ts), and traps, panics, out-of-gas and
 * page faults of a child return to its caller as a status.
 *
 * Where upstream contradicts itself this follows the spec's recommendations (§14); see
 * README "Capability kernel" for the list.
 *
 * @module
 */
import { isOpcodePosition } from "../isa/decode.ts";
import { Op } from "../isa/opcodes.ts";
import { Status } from "../interpreter/interpreter.ts";
import { Memory } from "../memory/memory.ts";
import { DEFAULT_MEMORY_POOL, type MemoryPool } from "../memory/pool.ts";
import { type JarProgram, parseJar } from "../program/jar.ts";
import { javmMemoryCycles } from "../gas/javm.ts";
import {
  CALL_FEE,
  type Cap,
  ChildStatus,
  copyCap,
  ECALL_FEE,
  isCopyable,
  KERNEL_HUH,
  KERNEL_LOW,
  KERNEL_WHAT,
  MAX_ECALLI_SLOT,
  MAX_VMS,
  PAGE_FEE,
  PROTOCOL_CAPS,
  UNTYPED_SLOT,
} from "./caps.ts";
import { CodeImage } from "./code.ts";
import { type KernelBackend, runVm, SharedMachines } from "./exec.ts";
import { KERNEL_PAGE, newData, PageStore, UntypedPool } from "./pages.ts";
import { managementOp } from "./ops.ts";
import { KernelVm } from "./vm.ts";
import { Residency } from "./residency.ts";

/** Why an invocation could not start (spec §2.5, §3): a typed, final failure. */
export class KernelError extends Error {
  /** Create the error with its reason. */
  constructor(message: string) {
    super(message);
    this.name = "KernelError";
  }
}

/** Options of {@link Kernel.create}. */
export interface KernelOptions {
  /** Gas limit of the invocation (the init page fee is taken from it first). At most 2^53 − 1. */
  gas: bigint | number;
  /** Argument bytes, written to the slot-0 DATA cap. */
  args?: Uint8Array;
  /** φ7 at entry: 0 refine / is-authorized (default), 1 accumulate; fib_recur takes n here. */
  operation?: bigint | number;
  /** `interpreter` (default), `recompiler`, or `auto` (interpreted until a VM has spent KERNEL_AUTO_TIER_GAS, then compiled). */
  backend?: KernelBackend;
  /**
   * Most pages `memory_pages` may declare (default 65,536 = 256 MiB, the largest pool of
   * the 75-cycle memory tier); the pool is the bound on every page the invocation can hold.
   */
  maxMemoryPages?: number;
  /** VM memories kept resident at once; others are swapped to the page store (default 32). */
  maxResidentMemories?: number;
  /** Called with one line per cap operation (`--trace-caps`). */
  trace?: (line: string) => void;
  /** Pool the VMs' memories come from and return to (default: the engine's). */
  memoryPool?: MemoryPool;
}

/** How a run of the kernel ended (or paused for a protocol call). */
export type KernelExit =
  | { readonly kind: "halt"; readonly value: bigint; readonly gas: bigint }
  | { readonly kind: "panic"; readonly gas: bigint }
  | { readonly kind: "oog"; readonly gas: bigint }
  | { readonly kind: "fault"; readonly address: number; readonly gas: bigint }
  /** A protocol cap was called: answer with {@link Kernel.resume} (registers of {@link Kernel.active}). */
  | { readonly kind: "protocol"; readonly id: number; readonly gas: bigint };

/** A call-stack frame (§6.3). */
interface Frame {
  readonly caller: KernelVm;
  /** The caller's slot the IPC cap came from, if one was passed. */
  readonly ipcSlot: number | undefined;
  /** Where the IPC DATA cap was mapped when passed. */
  readonly ipcMapping: { basePage: number; access: "ro" | "rw" } | undefined;
}

const MAX_GAS = Number.MAX_SAFE_INTEGER;

/**
 * One invocation of a JAR v2 program.
 *
 * @example
 * ```ts
 * import { Kernel } from "./kernel.ts";
 * import { encodeJar, encodeJarCode } from "../program/jar.ts";
 * // load_imm r7, 42 ; ecalli 0 (REPLY)
 * const code = encodeJarCode({ code: new Uint8Array([51, 7, 42, 10, 0]), bitmask: new Uint8Array([0b01001]) });
 * const jar = encodeJar({ memoryPages: 0, invokeSlot: 64, caps: [{ slot: 64, kind: "code", bytes: code }] });
 * const kernel = Kernel.create(jar, { gas: 1000n });
 * console.log(kernel.run(), kernel.gasUsed); // { kind: "halt", value: 42n, gas: 888n } 112n
 * ```
 */
export class Kernel {
  /** The parsed blob. */
  readonly program: JarProgram;
  /** The backend VMs run on. */
  readonly backend: KernelBackend;
  /** Gas taken at init for the DATA caps' pages (1500 per page). */
  readonly initFee: bigint;
  /** Contents of unmapped pool pages. */
  readonly store: PageStore = new PageStore();
  /** The UNTYPED allocator. */
  readonly untyped: UntypedPool;
  /** VMs created so far (including destroyed ones). */
  vmsCreated = 0;
  /** Live VMs. */
  liveVms = 0;
  /** @internal */
  readonly pool: MemoryPool;
  /** @internal Which VM memories are resident. */
  readonly residency: Residency;
  /** @internal */
  readonly trace: ((line: string) => void) | undefined;
  private readonly arena: (KernelVm | undefined)[] = [];
  private readonly freeIndices: number[] = [];
  private readonly stack: Frame[] = [];
  private readonly shared: SharedMachines;
  private readonly gasAfterInit: number;
  private activeVm: KernelVm;
  private finished: KernelExit | undefined;
  private pendingProtocol = false;
  private codeCount = 0;

  private constructor(program: JarProgram, options: KernelOptions) {
    this.program = program;
    this.backend = options.backend ?? "interpreter";
    if (this.backend !== "interpreter" && this.backend !== "recompiler" && this.backend !== "auto") {
      throw new RangeError(`unknown kernel backend "${this.backend}" (interpreter, recompiler or auto)`);
    }
    this.pool = options.memoryPool ?? DEFAULT_MEMORY_POOL;
    this.trace = options.trace;
    const limit = options.maxMemoryPages ?? 1 << 16;
    if (program.memoryPages > limit) {
      throw new KernelError(`memory_pages ${program.memoryPages} exceeds the limit of ${limit} pages`);
    }
    const gas = BigInt(options.gas);
    if (gas < 0n || gas > BigInt(MAX_GAS)) throw new RangeError(`gas ${gas} is not in 0..2^53-1`);
    const tier = javmMemoryCycles(program.memoryPages);
    this.untyped = new UntypedPool(program.memoryPages);
    this.residency = new Residency(this.store, this.pool, options.maxResidentMemories);
    const empty = Memory.create([], { pool: this.pool });
    empty.panicBelow = 0;
    this.shared = new SharedMachines(empty);

    // VM 0's table: protocol caps, then the manifest in order, then UNTYPED.
    const codes = new Map<number, CodeImage>();
    let dataPages = 0;
    for (const entry of program.caps) if (entry.kind === "data") dataPages += entry.pageCount;
    this.initFee = BigInt(dataPages * PAGE_FEE);
    if (gas < this.initFee) throw new KernelError(`gas ${gas} does not cover the init page fee ${this.initFee}`);
    const invoke = program.caps.find((c) => c.slot === program.invokeSlot)!;
    const invokeCode = new CodeImage(this.codeCount++, invoke.code!, tier);
    codes.set(invoke.slot, invokeCode);
    const root = this.newVm(invokeCode)!;
    for (let id = 1; id <= PROTOCOL_CAPS; id++) root.caps.set(id, Object.freeze({ kind: "protocol", id }));
    for (const entry of program.caps) {
      if (entry.kind === "code") {
        const code = codes.get(entry.slot) ?? new CodeImage(this.codeCount++, entry.code!, tier);
        root.caps.set(entry.slot, Object.freeze({ kind: "code", code }));
        continue;
      }
      const backing = this.untyped.retype(entry.pageCount);
      const data = newData(backing, entry.pageCount);
      for (let p = 0; p * KERNEL_PAGE < entry.bytes.length; p++) {
        const page = new Uint8Array(KERNEL_PAGE);
        page.set(entry.bytes.subarray(p * KERNEL_PAGE, (p + 1) * KERNEL_PAGE));
        this.store.set(backing + p, page);
      }
      data.basePage = entry.basePage;
      data.access = entry.access;
      root.caps.set(entry.slot, { kind: "data", data });
      root.mapData(data, 0, entry.pageCount);
    }
    if (program.memoryPages > 0) root.caps.set(UNTYPED_SLOT, Object.freeze({ kind: "untyped", pool: this.untyped }));

    // Registers: φ7 = operation, φ8 = args address (slot-0 cap's base), φ9 = args length.
    const args = options.args ?? new Uint8Array(0);
    const argsCap = program.caps.find((c) => c.slot === 0 && c.kind === "data");
    if (argsCap) {
      if (args.length > argsCap.pageCount * KERNEL_PAGE) {
        throw new KernelError(`${args.length} bytes of arguments do not fit the ${argsCap.pageCount}-page slot-0 cap`);
      }
      this.residency.touch(root);
      root.memory!.write(argsCap.basePage * KERNEL_PAGE, args, { ignoreAccess: true });
      root.setReg(8, BigInt(argsCap.basePage * KERNEL_PAGE));
    }
    root.setReg(9, BigInt(args.length));
    root.setReg(7, BigInt.asUintN(64, BigInt(options.operation ?? 0)));
    this.gasAfterInit = Number(gas - this.initFee);
    root.machine.gas = this.gasAfterInit;
    root.state = "running";
    this.activeVm = root;
  }

  /**
   * Start an invocation of a JAR v2 blob (bytes, or already parsed).
   *
   * @throws {ProgramError} for a malformed blob; {@link KernelError} when the invocation
   * cannot start (gas below the page fee, arguments too long, memory_pages over the limit).
   */
  static create(blob: Uint8Array | JarProgram, options: KernelOptions): Kernel {
    return new Kernel(blob instanceof Uint8Array ? parseJar(blob) : blob, options);
  }

  /** The VM that runs next (or was running when the invocation ended or paused). */
  get active(): KernelVm {
    return this.activeVm;
  }

  /** The VM with an arena index, if alive. */
  vm(index: number): KernelVm | undefined {
    return this.arena[index];
  }

  /** Depth of the call stack (0: the root VM is active). */
  get depth(): number {
    return this.stack.length;
  }

  /** Gas used by execution so far (the init page fee excluded, as the jar1 vectors count it). */
  get gasUsed(): bigint {
    return BigInt(this.gasAfterInit - this.gasLeft());
  }

  /** Gas held by the active VM and the callers on the stack. */
  private gasLeft(): number {
    let gas = this.activeVm.machine.gas;
    for (const frame of this.stack) gas += frame.caller.machine.gas;
    return gas;
  }

  /**
   * Run until the invocation ends or a protocol cap is called. After a `protocol` exit,
   * answer with {@link resume} and call `run` again.
   */
  run(): KernelExit {
    if (this.finished) return this.finished;
    if (this.pendingProtocol) throw new TypeError("a protocol call is pending: call resume() first");
    for (;;) {
      const vm = this.activeVm;
      this.residency.touch(vm);
      const status = runVm(vm, this.backend, this.shared);
      const exit = this.afterExit(vm, status);
      if (exit) return exit;
    }
  }

  /**
   * Answer a pending protocol call: φ7 = r7 and, unless undefined, φ8 = r8 (GAS leaves φ8 as is).
   */
  resume(r7: bigint, r8?: bigint): void {
    if (!this.pendingProtocol) throw new TypeError("no protocol call is pending");
    this.pendingProtocol = false;
    this.activeVm.setReg(7, r7);
    if (r8 !== undefined) this.activeVm.setReg(8, r8);
  }

  /**
   * Stop the active VM after the host refused to continue a protocol call: out of gas, or a
   * panic. A child returns to its caller with that status; the root ends the invocation.
   */
  stopActive(outOfGas: boolean): void {
    const vm = this.activeVm;
    if (vm.machine.gas < 0) vm.machine.gas = 0;
    this.fault(vm, outOfGas ? ChildStatus.oog : ChildStatus.panic, outOfGas ? KERNEL_LOW : KERNEL_HUH);
  }

  /** Release every VM's memory (the kernel cannot run afterwards). */
  dispose(): void {
    for (const vm of this.arena) vm?.release();
    this.shared.empty.release(this.pool);
    this.finished ??= { kind: "panic", gas: 0n };
  }

  // ---- exits ----

  /** Turn a VM's exit into the kernel's action; a KernelExit ends (or pauses) the run. */
  private afterExit(vm: KernelVm, status: number): KernelExit | undefined {
    const st = vm.machine;
    if (status === Status.host) {
      const pc = st.pc;
      const isEcall = vm.code.decoded.op[pc] === Op.ecall;
      const imm = st.exitArg >>> 0;
      st.pc = vm.code.decoded.next[pc];
      st.charged = false; // ecalli and ecall end their gas block
      if (!isEcall && imm > MAX_ECALLI_SLOT) {
        st.pc = pc;
        if (this.trace) this.log(vm, `ecalli ${imm}: immediate above ${MAX_ECALLI_SLOT} → panic`);
        return this.fault(vm, ChildStatus.panic, KERNEL_HUH);
      }
      if (!this.charge(vm, ECALL_FEE)) return this.fault(vm, ChildStatus.oog, KERNEL_LOW);
      if (isEcall) return managementOp(this, vm);
      if (imm === 0) return this.reply(vm);
      return this.callSlot(vm, imm, vm.reg32(12));
    }
    if (status === Status.oog) return this.fault(vm, ChildStatus.oog, KERNEL_LOW);
    if (status === Status.fault) return this.fault(vm, ChildStatus.fault, BigInt(st.exitArg >>> 0));
    // panic (a jump to the GP halt address is an ordinary bad jump here) or trap
    const code = vm.code.blob;
    const pc = st.pc;
    const trap = status === Status.panic && pc < code.code.length && code.code[pc] === Op.trap &&
      isOpcodePosition(code.bitmask, pc);
    return trap ? this.fault(vm, ChildStatus.trap, vm.reg(7)) : this.fault(vm, ChildStatus.panic, KERNEL_HUH);
  }

  /** Take `amount` gas from a VM; false (gas untouched) if it has less. */
  charge(vm: KernelVm, amount: number): boolean {
    if (vm.machine.gas < amount) return false;
    vm.machine.gas -= amount;
    return true;
  }

  /**
   * The active VM stopped abnormally (or an op found it out of gas): a child returns to its
   * caller with a status (§7.5); the root ends the invocation.
   */
  fault(vm: KernelVm, status: number, value: bigint): KernelExit | undefined {
    if (status === ChildStatus.oog) vm.machine.gas = 0;
    const frame = this.stack.pop();
    if (!frame) {
      const gas = BigInt(vm.machine.gas);
      this.finished = status === ChildStatus.oog
        ? { kind: "oog", gas }
        : status === ChildStatus.fault
        ? { kind: "fault", address: Number(value), gas }
        : { kind: "panic", gas };
      if (this.trace) this.log(vm, `root stops: ${this.finished.kind}`);
      return this.finished;
    }
    vm.state = "faulted";
    const caller = frame.caller;
    caller.machine.gas += vm.machine.gas;
    vm.machine.gas = 0;
    caller.setReg(7, value);
    caller.setReg(8, BigInt(status));
    caller.state = "running";
    this.activeVm = caller;
    if (this.trace) this.log(vm, `faults with status ${status} → vm ${caller.index}`);
    return undefined;
  }

  // ---- CALL and REPLY ----

  /** REPLY (`ecalli 0`): return to the caller, or end the invocation with Halt(φ7). */
  private reply(vm: KernelVm): KernelExit | undefined {
    const frame = this.stack.pop();
    if (!frame) {
      this.finished = { kind: "halt", value: vm.reg(7), gas: BigInt(vm.machine.gas) };
      if (this.trace) this.log(vm, `root replies ${vm.reg(7)}: halt`);
      return this.finished;
    }
    const caller = frame.caller;
    vm.state = "idle";
    caller.machine.gas += vm.machine.gas;
    vm.machine.gas = 0;
    const ipc = vm.caps.get(0);
    if (frame.ipcSlot !== undefined && ipc && !caller.caps.has(frame.ipcSlot)) {
      vm.caps.delete(0);
      if (ipc.kind === "data") vm.unmapData(ipc.data, 0, ipc.data.pageCount);
      caller.caps.set(frame.ipcSlot, ipc);
      const m = frame.ipcMapping;
      if (ipc.kind === "data" && m && ipc.data.basePage === m.basePage && ipc.data.access === m.access) {
        if (!caller.anyMapped(m.basePage, ipc.data.pageCount)) {
          caller.mapData(ipc.data, 0, ipc.data.pageCount);
        }
      }
    }
    caller.machine.regs.set(vm.machine.regs.subarray(14, 16), 14); // φ7
    caller.machine.regs[16] = caller.machine.regs[17] = 0; // φ8 = 0: replied
    caller.state = "running";
    this.activeVm = caller;
    if (this.trace) this.log(vm, `replies ${vm.reg(7)} → vm ${caller.index}`);
    return undefined;
  }

  /**
   * CALL the cap in a local slot of `vm` (ecalli, or ecall op 0 with a local subject).
   * `dest` is the destination reference for RETYPE and CREATE.
   */
  callSlot(vm: KernelVm, slot: number, dest: number): KernelExit | undefined {
    const cap = vm.caps.get(slot);
    if (!cap) return this.what(vm, `call slot ${slot}: empty`);
    switch (cap.kind) {
      case "protocol":
        return this.protocolCall(vm, cap.id, slot);
      case "untyped":
        return this.retype(vm, cap.pool, dest);
      case "code":
        return this.create(vm, cap.code, dest);
      case "handle":
      case "callable":
        return this.callVm(vm, cap.vm, cap.maxGas, vm.machine.regs[24] & 0xff, true);
      case "data":
        return this.what(vm, `call slot ${slot}: DATA is not callable`);
    }
  }

  /** A protocol call: through the caller's `slot`, or through a remote reference (ecall op 0). */
  protocolCall(vm: KernelVm, id: number, slot?: number): KernelExit {
    this.pendingProtocol = true;
    if (this.trace) {
      this.log(vm, `${slot === undefined ? "remote protocol" : `call slot ${slot}: protocol`} ${id} → host`);
    }
    return { kind: "protocol", id, gas: BigInt(vm.machine.gas) };
  }

  /** CALL (or RESUME, with `withArgs` false) a VM: the callee runs on the caller's gas. */
  callVm(
    vm: KernelVm,
    target: KernelVm,
    maxGas: bigint | undefined,
    ipcSlot: number,
    withArgs: boolean,
  ): KernelExit | undefined {
    const wanted = withArgs ? "idle" : "faulted";
    if (!target.alive || target.state !== wanted) {
      return this.what(vm, `${withArgs ? "call" : "resume"} vm ${target.index}: not ${wanted}`);
    }
    if (!this.charge(vm, CALL_FEE)) return this.fault(vm, ChildStatus.oog, KERNEL_LOW);
    const available = vm.machine.gas;
    const given = maxGas !== undefined && maxGas < BigInt(available) ? Number(maxGas) : available;
    vm.machine.gas = available - given;
    vm.state = "waiting";
    let passedSlot: number | undefined, mapping: Frame["ipcMapping"];
    if (withArgs && ipcSlot !== 0 && vm.caps.has(ipcSlot)) {
      const ipc = vm.caps.get(ipcSlot)!;
      vm.caps.delete(ipcSlot);
      if (ipc.kind === "data") {
        if (ipc.data.mappedCount > 0) mapping = { basePage: ipc.data.basePage!, access: ipc.data.access! };
        vm.unmapData(ipc.data, 0, ipc.data.pageCount);
      }
      this.dropCap(target, 0);
      target.caps.set(0, ipc);
      passedSlot = ipcSlot;
    }
    this.stack.push({ caller: vm, ipcSlot: passedSlot, ipcMapping: mapping });
    if (withArgs) target.machine.regs.set(vm.machine.regs.subarray(14, 22), 14); // φ7..φ10
    target.machine.gas = given;
    target.state = "running";
    this.activeVm = target;
    if (this.trace) {
      this.log(
        vm,
        `${withArgs ? "call" : "resume"} vm ${target.index} with ${given} gas${
          passedSlot ? `, ipc slot ${passedSlot}` : ""
        }`,
      );
    }
    if (!withArgs) return this.chargeResume(target);
    return undefined;
  }

  /** RESUME re-enters at the saved pc; mid-block, the rest of the block is charged now. */
  private chargeResume(vm: KernelVm): KernelExit | undefined {
    const st = vm.machine;
    st.charged = false;
    if (vm.code.chargesOnEntry(st.pc) || st.pc >= vm.code.decoded.codeLength) return undefined;
    const cost = vm.code.costs.blockCost(st.pc);
    if (!this.charge(vm, cost)) return this.fault(vm, ChildStatus.oog, KERNEL_LOW);
    st.charged = true;
    return undefined;
  }

  // ---- RETYPE and CREATE ----

  /** RETYPE: φ7 pages from UNTYPED into a new DATA cap at the destination. */
  private retype(vm: KernelVm, pool: UntypedPool, dest: number): KernelExit | undefined {
    const pages = vm.reg32(7);
    if (!this.charge(vm, ECALL_FEE + PAGE_FEE * pages)) return this.fault(vm, ChildStatus.oog, KERNEL_LOW);
    const backing = pool.retype(pages);
    if (backing < 0) return this.what(vm, `retype ${pages} pages: UNTYPED exhausted`);
    const target = this.resolve(vm, dest);
    if (!target || target.vm.caps.has(target.slot)) return this.what(vm, `retype: destination ${hex(dest)} unusable`);
    target.vm.caps.set(target.slot, { kind: "data", data: newData(backing, pages) });
    vm.setReg(7, BigInt(target.slot));
    if (this.trace) this.log(vm, `retype ${pages} pages → slot ${target.slot} of vm ${target.vm.index}`);
    return undefined;
  }

  /** CREATE: a new VM running `code`, with copies of the bitmask's caps; its HANDLE to the destination. */
  private create(vm: KernelVm, code: CodeImage, dest: number): KernelExit | undefined {
    // φ7 is the bitmask: bit b (of the low word for b < 32, else the high word) copies slot b.
    const words = [vm.machine.regs[14], vm.machine.regs[15]];
    const copies: [number, Cap][] = [];
    for (const [b, cap] of vm.caps) {
      if (b >= 64 || ((words[b >> 5] >>> (b & 31)) & 1) === 0) continue;
      if (!isCopyable(cap)) return this.what(vm, `create: slot ${b} holds a non-copyable ${cap.kind}`);
      copies.push([b, copyCap(cap)]);
    }
    const target = this.resolve(vm, dest);
    if (!target || target.vm.caps.has(target.slot)) return this.what(vm, `create: destination ${hex(dest)} unusable`);
    const child = this.newVm(code);
    if (!child) return this.what(vm, `create: ${MAX_VMS} VMs already exist`);
    for (const [slot, cap] of copies) child.caps.set(slot, cap);
    target.vm.caps.set(target.slot, { kind: "handle", vm: child, maxGas: undefined });
    vm.setReg(7, BigInt(target.slot));
    if (this.trace) {
      this.log(vm, `create vm ${child.index} (code #${code.id}) → slot ${target.slot} of vm ${target.vm.index}`);
    }
    return undefined;
  }

  /** Allocate an arena slot for a new idle VM (undefined when the arena is full). */
  private newVm(code: CodeImage): KernelVm | undefined {
    if (this.liveVms >= MAX_VMS) return undefined;
    const index = this.freeIndices.pop() ?? this.arena.length;
    const vm = new KernelVm(index, code, this.residency);
    this.arena[index] = vm;
    this.liveVms++;
    this.vmsCreated++;
    return vm;
  }

  /** Destroy a VM (DROP of its HANDLE): its slot is reused, references to it go stale. */
  destroyVm(vm: KernelVm): void {
    vm.alive = false;
    vm.state = "halted";
    vm.release();
    this.arena[vm.index] = undefined;
    this.freeIndices.push(vm.index);
    this.liveVms--;
  }

  /** Empty a slot of `vm`'s table (a DATA cap is unmapped first; pages are not returned). */
  dropCap(vm: KernelVm, slot: number): void {
    const cap = vm.caps.get(slot);
    if (!cap) return;
    if (cap.kind === "data") vm.unmapData(cap.data, 0, cap.data.pageCount);
    vm.caps.delete(slot);
  }

  // ---- references ----

  /**
   * Resolve a 32-bit cap reference from `vm` (§5): hop bytes 3, 2, 1 (highest first; 0 =
   * none) name HANDLE slots, each VM on the way neither running nor waiting for a reply.
   */
  resolve(vm: KernelVm, ref: number): { vm: KernelVm; slot: number } | undefined {
    let at = vm;
    for (const shift of [24, 16, 8]) {
      const hop = (ref >>> shift) & 0xff;
      if (hop === 0) continue;
      const cap = at.caps.get(hop);
      if (!cap || cap.kind !== "handle" || !cap.vm.alive) return undefined;
      if (cap.vm.state === "running" || cap.vm.state === "waiting") return undefined;
      at = cap.vm;
    }
    return { vm: at, slot: ref & 0xff };
  }

  /** Fail an operation: φ7 = WHAT, continue. */
  what(vm: KernelVm, why: string): undefined {
    vm.setReg(7, KERNEL_WHAT);
    if (this.trace) this.log(vm, `${why} → WHAT`);
    return undefined;
  }

  /** @internal Trace one line. */
  log(vm: KernelVm, text: string): void {
    this.trace?.(`vm ${vm.index}: ${text}`);
  }
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
