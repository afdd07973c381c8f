/**
 * Running one kernel VM until it exits to the kernel, on the interpreter or on compiled
 * Wasm. Compiled code starts at compiled block entries; the interpreter bridges whatever
 * compiled code cannot start at (a resume in the middle of a block, a block that cannot be
 * paid for). VMs without memory of their own share one compiled instance per CODE cap
 * (bound to the kernel's empty memory), their registers copied in and out around each
 * entry, so creating a VM never instantiates Wasm.
 *
 * @module
 */
import { interpret, type MachineState, Status } from "../interpreter/interpreter.ts";
import type { Memory } from "../memory/memory.ts";
import { ExitCode } from "../recompiler/layout.ts";
import { CompiledMachine } from "../recompiler/runtime.ts";
import type { CodeImage } from "./code.ts";
import type { KernelVm } from "./vm.ts";

/**
 * Kernel backends (all give identical results). `auto` interprets each VM until it has
 * spent {@link KERNEL_AUTO_TIER_GAS} gas in the interpreter, then enters compiled code:
 * the many short runs of small VMs (entering compiled code costs more than they do) stay
 * interpreted, long-running VMs get compiled speed.
 */
export type KernelBackend = "interpreter" | "recompiler" | "auto";

/** Gas a VM spends interpreted under the `auto` backend before its runs use compiled code. */
export const KERNEL_AUTO_TIER_GAS = 200_000;

/** Instructions interpreted at a time under `auto`, between checks of the tier budget. */
const AUTO_SLICE = 50_000;

/** Compiled instances shared by the VMs that have no memory of their own. */
export class SharedMachines {
  private readonly byCode = new Map<CodeImage, { machine: CompiledMachine; state: MachineState }>();
  constructor(
    /** The kernel's empty memory (nothing mapped, ever). */
    readonly empty: Memory,
  ) {}

  /** The shared instance for a CODE cap. */
  get(code: CodeImage): { machine: CompiledMachine; state: MachineState } {
    let entry = this.byCode.get(code);
    if (!entry) {
      const state: MachineState = { regs: new Int32Array(26), pc: 0, gas: 0, heap: 0, exitArg: 0 };
      entry = { machine: new CompiledMachine(code.compiled(this.empty.rotation), this.empty, state), state };
      this.byCode.set(code, entry);
    }
    return entry;
  }
}

/** Compiled code bound to a VM's own memory (a re-laid-out memory is a new key). */
const ownMachines = new WeakMap<Memory, { machine: CompiledMachine; state: MachineState }>();

/**
 * Run `vm` from its pc until it exits; returns the {@link Status} (never `paused`).
 * `vm.machine` then holds the pc of the exiting instruction, the gas left and the exit
 * argument (fault address, or ecalli immediate).
 */
export function runVm(vm: KernelVm, backend: KernelBackend, shared: SharedMachines): number {
  const st = vm.machine;
  const code = vm.code;
  const decoded = code.decoded;
  const memory = vm.memory ?? shared.empty;
  if (backend === "interpreter") return interpret(decoded, memory, st, Infinity, code.gas);
  while (backend === "auto" && vm.interpretedGas < KERNEL_AUTO_TIER_GAS) {
    const before = st.gas;
    const status = interpret(decoded, memory, st, AUTO_SLICE, code.gas);
    vm.interpretedGas += Math.max(1, before - st.gas);
    if (status !== Status.paused) return status;
  }
  let machine: CompiledMachine, scratch: MachineState;
  if (vm.memory) {
    let own = ownMachines.get(vm.memory);
    if (!own) {
      const state: MachineState = { regs: new Int32Array(26), pc: 0, gas: 0, heap: 0, exitArg: 0 };
      own = { machine: new CompiledMachine(code.compiled(vm.memory.rotation), vm.memory, state), state };
      ownMachines.set(vm.memory, own);
    }
    ({ machine, state: scratch } = own);
  } else {
    ({ machine, state: scratch } = shared.get(code));
  }
  for (;;) {
    if (!st.charged && machine.canEnter(st.pc)) {
      scratch.regs.set(st.regs);
      scratch.pc = st.pc;
      const { status, gas } = machine.enter(BigInt(st.gas));
      st.regs.set(scratch.regs);
      st.pc = scratch.pc;
      st.exitArg = scratch.exitArg;
      st.gas = Number(gas);
      if (status !== ExitCode.interpret) {
        st.charged = status === ExitCode.fault;
        return status;
      }
    }
    // Interpret to the end of the current block, then try compiled code again.
    const pc = st.pc;
    const status = interpret(decoded, memory, st, pc >= 0 && pc < decoded.codeLength ? decoded.cost[pc] : 1, code.gas);
    if (status !== Status.paused) return status;
  }
}
