/**
 * Protocol caps answered through the one permissioned host-call interface
 * ({@link HostRegistry}, {@link callHost}): a protocol call is a host call whose id is the
 * protocol cap's id, made on the active VM (its registers, its gas, its address space).
 * The kernel has already taken its 10-gas fee, so the default registry charges nothing
 * more and answers unknown or denied ids with WHAT.
 *
 * @module
 */
import { callHost, type GuestMemory, type HostMachine, HostRegistry } from "../host/host.ts";
import type { Kernel, KernelExit } from "./kernel.ts";
import { readCapBytes, writeCapBytes } from "./cap_bytes.ts";

/** Protocol ids (capability-kernel.md §4.7) of the calls this runtime answers. */
export const Protocol = { gas: 1, fetch: 2, storageRead: 4, storageWrite: 5, checkpoint: 18, output: 26 } as const;

/** The bytes of the active VM's DATA caps, by (slot, offset) — the operands of the §9.3 protocol ABI. */
export interface DataCapAccess {
  /** `length` bytes at `offset` of the DATA cap in `slot`; undefined if no DATA cap there or the range does not fit. */
  read(slot: number, offset: bigint, length: bigint): Uint8Array | undefined;
  /** Write at `offset` of the DATA cap in `slot`; false (nothing written) if no DATA cap there or it does not fit. */
  write(slot: number, offset: bigint, bytes: Uint8Array): boolean;
}

/** The machine a protocol call's host function receives from {@link runKernelWithHost}. */
export interface KernelHostMachine extends HostMachine {
  /** The active VM's DATA caps. */
  readonly dataCaps: DataCapAccess;
}

const NO_MEMORY: GuestMemory = {
  check: (address, length) => (length === 0 ? -1 : address),
  read: () => {
    throw new RangeError("no memory mapped");
  },
  write: () => {
    throw new RangeError("no memory mapped");
  },
};

/**
 * A registry with the protocol calls the kernel can answer itself: GAS (id 1) sets φ7 to
 * the gas left and leaves φ8 alone (§14 item 12). Other ids are WHAT at no extra cost.
 *
 * @example
 * ```ts
 * import { kernelRegistry } from "./host.ts";
 * console.log(kernelRegistry().resolve(1)?.name, kernelRegistry().unknownGas); // gas 0n
 * ```
 */
export function kernelRegistry(): HostRegistry {
  const registry = new HostRegistry().register({
    id: Protocol.gas,
    name: "gas",
    gas: 0,
    fn: (ctx) => ctx.machine.setRegister(7, ctx.machine.gas),
  });
  registry.unknownGas = 0n;
  return registry;
}

/**
 * Run the kernel to its end, answering protocol calls from `registry` (default
 * {@link kernelRegistry}). A host function's `panic`/`oog` stops the active VM like a
 * panic or out-of-gas of its own; `halt` is treated as a panic (javm has no halt).
 *
 * @example
 * ```ts
 * import { Kernel } from "./kernel.ts";
 * import { runKernelWithHost } from "./host.ts";
 * import { encodeJar, encodeJarCode } from "../program/jar.ts";
 * // ecalli 1 (GAS) ; ecalli 0 (REPLY with the gas left)
 * const code = encodeJarCode({ code: new Uint8Array([10, 1, 10, 0]), bitmask: new Uint8Array([0b0101]) });
 * const kernel = Kernel.create(encodeJar({ memoryPages: 0, invokeSlot: 64, caps: [{ slot: 64, kind: "code", bytes: code }] }), { gas: 1000n });
 * console.log(runKernelWithHost(kernel).kind); // halt
 * ```
 */
export function runKernelWithHost(kernel: Kernel, registry: HostRegistry = kernelRegistry()): KernelExit {
  for (;;) {
    const exit = kernel.run();
    if (exit.kind !== "protocol") return exit;
    const vm = kernel.active;
    kernel.residency.touch(vm);
    let r7 = vm.reg(7), r8 = vm.reg(8);
    const machine: KernelHostMachine = {
      getRegister: (i) => (i === 7 ? r7 : i === 8 ? r8 : vm.reg(i)),
      setRegister: (i, v) => {
        if (i === 7) r7 = v;
        else if (i === 8) r8 = v;
        else vm.setReg(i, v);
      },
      get gas() {
        return BigInt(vm.machine.gas);
      },
      set gas(value: bigint) {
        vm.machine.gas = value < 0n ? -1 : Number(value);
      },
      memory: vm.memory ?? NO_MEMORY,
      dataCaps: {
        read: (slot, offset, length) => readCapBytes(kernel, vm, slot, offset, length),
        write: (slot, offset, bytes) => writeCapBytes(kernel, vm, slot, offset, bytes),
      },
    };
    const outcome = callHost(machine, registry, vm.machine.pc, exit.id, exit.gas);
    kernel.resume(r7, r8);
    if (outcome.kind !== "continue" || vm.machine.gas < 0) {
      kernel.stopActive(outcome.kind === "oog" || vm.machine.gas < 0);
    }
  }
}
