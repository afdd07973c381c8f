/**
 * Host access to the bytes of a DATA cap by (slot, offset) in the active VM's table
 * (capability-kernel.md §8 "host-visible extras", the operand form of the §9.3 protocol
 * ABI). A cap's page lives in the VM's address space while mapped and in the page store
 * otherwise; these helpers read and write either, ignoring the mapping's access (the host
 * acts on the cap, not through the guest's view of it).
 *
 * @module
 */
import type { Kernel } from "./kernel.ts";
import { type DataObject, KERNEL_PAGE } from "./pages.ts";
import type { KernelVm } from "./vm.ts";

/** The DATA object in `slot` of `vm`, if the slot holds a DATA cap and [offset, offset + length) lies inside it. */
function dataRange(vm: KernelVm, slot: number, offset: bigint, length: bigint): DataObject | undefined {
  if (!Number.isInteger(slot) || slot < 0 || slot > 255) return undefined;
  const cap = vm.caps.get(slot);
  if (cap?.kind !== "data") return undefined;
  if (offset < 0n || length < 0n || offset + length > BigInt(cap.data.pageCount * KERNEL_PAGE)) return undefined;
  return cap.data;
}

/**
 * Read `length` bytes at `offset` of the DATA cap in `slot` of `vm`; undefined if the slot
 * holds no DATA cap or the range does not fit in it.
 */
export function readCapBytes(
  kernel: Kernel,
  vm: KernelVm,
  slot: number,
  offset: bigint,
  length: bigint,
): Uint8Array | undefined {
  const data = dataRange(vm, slot, offset, length);
  if (!data) return undefined;
  kernel.residency.touch(vm);
  const out = new Uint8Array(Number(length));
  let done = 0;
  while (done < out.length) {
    const at = Number(offset) + done;
    const page = Math.floor(at / KERNEL_PAGE), within = at % KERNEL_PAGE;
    const n = Math.min(KERNEL_PAGE - within, out.length - done);
    if (data.mapped[page]) {
      const address = (data.basePage! + page) * KERNEL_PAGE + within;
      out.set(vm.memory!.read(address, n, { ignoreAccess: true }), done);
    } else {
      const stored = kernel.store.get(data.backing + page);
      if (stored) out.set(stored.subarray(within, within + n), done);
    }
    done += n;
  }
  return out;
}

/**
 * Write `bytes` at `offset` of the DATA cap in `slot` of `vm`; false (nothing written) if the
 * slot holds no DATA cap or the range does not fit in it.
 */
export function writeCapBytes(kernel: Kernel, vm: KernelVm, slot: number, offset: bigint, bytes: Uint8Array): boolean {
  const data = dataRange(vm, slot, offset, BigInt(bytes.length));
  if (!data) return false;
  kernel.residency.touch(vm);
  let done = 0;
  while (done < bytes.length) {
    const at = Number(offset) + done;
    const page = Math.floor(at / KERNEL_PAGE), within = at % KERNEL_PAGE;
    const n = Math.min(KERNEL_PAGE - within, bytes.length - done);
    const part = bytes.subarray(done, done + n);
    if (data.mapped[page]) {
      vm.memory!.write((data.basePage! + page) * KERNEL_PAGE + within, part, { ignoreAccess: true });
    } else {
      const stored = kernel.store.get(data.backing + page);
      const copy = stored ? stored.slice() : new Uint8Array(KERNEL_PAGE);
      copy.set(part, within);
      kernel.store.set(data.backing + page, copy);
    }
    done += n;
  }
  return true;
}
