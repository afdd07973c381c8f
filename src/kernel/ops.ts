/**
 * The `ecall` management operations (capability-kernel.md §7.4): φ11 = operation,
 * φ12 = subject reference (high 32 bits) and object reference (low 32 bits). Every failure
 * sets φ7 = WHAT and execution continues; nothing can name a cap or a page outside the
 * caller's table and the tables of VMs it holds HANDLEs to (idle or faulted ones).
 *
 * @module
 */
import { copyCap, isCopyable } from "./caps.ts";
import type { Kernel, KernelExit } from "./kernel.ts";
import type { KernelVm } from "./vm.ts";
import { newData } from "./pages.ts";
import { PAGE_COUNT } from "../memory/memory.ts";

/** Operation numbers of `ecall`. */
export const EcallOp = {
  call: 0x00,
  map: 0x02,
  unmap: 0x03,
  split: 0x04,
  drop: 0x05,
  move: 0x06,
  copy: 0x07,
  downgrade: 0x0a,
  setMaxGas: 0x0b,
  resume: 0x0d,
} as const;

/** Pages in the 32-bit address space. */

/** Perform the `ecall` of the active VM `vm` (its fee already paid). */
export function managementOp(k: Kernel, vm: KernelVm): KernelExit | undefined {
  const op = vm.reg(11);
  const subjectRef = Number(vm.reg(12) >> 32n);
  const objectRef = vm.reg32(12);
  const subject = k.resolve(vm, subjectRef);
  if (!subject) return k.what(vm, `ecall ${op}: subject ${subjectRef} does not resolve`);
  const owner = subject.vm, slot = subject.slot;
  const cap = owner.caps.get(slot);
  const name = `ecall ${op} on slot ${slot} of vm ${owner.index}`;
  switch (Number(op > 0xffn ? 0xffn : op)) {
    case EcallOp.call: {
      if (owner === vm) return k.callSlot(vm, slot, objectRef);
      if (cap?.kind === "protocol") return k.protocolCall(vm, cap.id);
      return k.what(vm, `${name}: a remote CALL reaches only protocol caps`);
    }
    case EcallOp.map: {
      if (cap?.kind !== "data") return k.what(vm, `${name}: MAP needs a DATA cap`);
      const base = vm.reg(7), first = vm.reg(8), count = vm.reg(9), accessCode = vm.reg(10);
      const d = cap.data;
      if (accessCode > 1n) return k.what(vm, `${name}: access ${accessCode}`);
      const access = accessCode === 1n ? "rw" : "ro";
      if (first + count > BigInt(d.pageCount)) return k.what(vm, `${name}: pages past the cap`);
      if (base + BigInt(d.pageCount) > BigInt(PAGE_COUNT)) return k.what(vm, `${name}: past 4 GiB`);
      if (d.basePage !== undefined && (BigInt(d.basePage) !== base || d.access !== access)) {
        return k.what(vm, `${name}: base/access differ from the first MAP`);
      }
      const b = Number(base), f = Number(first), n = Number(count);
      for (let p = f; p < f + n; p++) {
        if (!d.mapped[p] && owner.anyMapped(b + p, 1)) {
          return k.what(vm, `${name}: page 0x${(b + p).toString(16)} is mapped`);
        }
      }
      d.basePage = b;
      d.access = access;
      owner.mapData(d, f, n);
      if (k.trace) k.log(vm, `${name}: map pages ${f}..${f + n} at 0x${(b * 4096).toString(16)} ${access}`);
      return undefined;
    }
    case EcallOp.unmap: {
      if (cap?.kind !== "data") return k.what(vm, `${name}: UNMAP needs a DATA cap`);
      const first = vm.reg(7), count = vm.reg(8);
      const d = cap.data;
      if (d.basePage !== undefined && first < BigInt(d.pageCount)) {
        const n = Math.min(Number(count > BigInt(d.pageCount) ? BigInt(d.pageCount) : count), d.pageCount);
        owner.unmapData(d, Number(first), n);
      }
      if (k.trace) k.log(vm, `${name}: unmap from page ${first}, ${count} pages`);
      return undefined;
    }
    case EcallOp.split: {
      if (cap?.kind !== "data") return k.what(vm, `${name}: SPLIT needs a DATA cap`);
      const d = cap.data;
      const at = vm.reg(7);
      if (d.mappedCount > 0) return k.what(vm, `${name}: SPLIT needs an unmapped cap`);
      if (at === 0n || at >= BigInt(d.pageCount)) return k.what(vm, `${name}: split point ${at}`);
      const dest = k.resolve(vm, objectRef);
      if (!dest || dest.vm.caps.has(dest.slot) || (dest.vm === owner && dest.slot === slot)) {
        return k.what(vm, `${name}: destination unusable`);
      }
      const cut = Number(at);
      owner.caps.set(slot, { kind: "data", data: newData(d.backing, cut) });
      dest.vm.caps.set(dest.slot, { kind: "data", data: newData(d.backing + cut, d.pageCount - cut) });
      if (k.trace) k.log(vm, `${name}: split at ${cut} → slot ${dest.slot} of vm ${dest.vm.index}`);
      return undefined;
    }
    case EcallOp.drop: {
      if (!cap) return undefined; // dropping an empty slot is a no-op
      if (cap.kind === "handle") {
        const target = cap.vm;
        if (target.alive && (target.state === "running" || target.state === "waiting")) {
          return k.what(vm, `${name}: vm ${target.index} is on the call stack`);
        }
        k.dropCap(owner, slot);
        if (target.alive) k.destroyVm(target);
      } else k.dropCap(owner, slot);
      if (k.trace) k.log(vm, `${name}: drop ${cap.kind}`);
      return undefined;
    }
    case EcallOp.move: {
      if (!cap) return k.what(vm, `${name}: MOVE of an empty slot`);
      const dest = k.resolve(vm, objectRef);
      if (!dest) return k.what(vm, `${name}: destination does not resolve`);
      if (dest.vm === owner && dest.slot === slot) return undefined;
      if (dest.vm.caps.has(dest.slot)) return k.what(vm, `${name}: destination occupied`);
      owner.caps.delete(slot);
      if (cap.kind === "data" && dest.vm !== owner) {
        owner.unmapData(cap.data, 0, cap.data.pageCount);
        cap.data.basePage = undefined; // §14.17: the receiver chooses where to map it
        cap.data.access = undefined;
      }
      dest.vm.caps.set(dest.slot, cap);
      if (k.trace) k.log(vm, `${name}: move ${cap.kind} → slot ${dest.slot} of vm ${dest.vm.index}`);
      return undefined;
    }
    case EcallOp.copy: {
      if (!cap || !isCopyable(cap)) return k.what(vm, `${name}: COPY needs a copyable cap`);
      const dest = k.resolve(vm, objectRef);
      if (!dest || dest.vm.caps.has(dest.slot)) return k.what(vm, `${name}: destination unusable`);
      dest.vm.caps.set(dest.slot, copyCap(cap));
      if (k.trace) k.log(vm, `${name}: copy ${cap.kind} → slot ${dest.slot} of vm ${dest.vm.index}`);
      return undefined;
    }
    case EcallOp.downgrade: {
      if (cap?.kind !== "handle") return k.what(vm, `${name}: DOWNGRADE needs a HANDLE`);
      const dest = k.resolve(vm, objectRef);
      if (!dest || dest.vm.caps.has(dest.slot)) return k.what(vm, `${name}: destination unusable`);
      dest.vm.caps.set(dest.slot, Object.freeze({ kind: "callable", vm: cap.vm, maxGas: cap.maxGas }));
      if (k.trace) k.log(vm, `${name}: downgrade → slot ${dest.slot} of vm ${dest.vm.index}`);
      return undefined;
    }
    case EcallOp.setMaxGas: {
      if (cap?.kind !== "handle") return k.what(vm, `${name}: SET_MAX_GAS needs a HANDLE`);
      cap.maxGas = vm.reg(7);
      if (k.trace) k.log(vm, `${name}: max gas ${cap.maxGas}`);
      return undefined;
    }
    case EcallOp.resume: {
      if (subjectRef > 0xff) return k.what(vm, `${name}: RESUME needs a local HANDLE`);
      if (cap?.kind !== "handle") return k.what(vm, `${name}: RESUME needs a HANDLE`);
      return k.callVm(vm, cap.vm, cap.maxGas, 0, false);
    }
    default:
      return k.what(vm, `ecall ${op}: no such operation`);
  }
}
