/**
 * Capabilities of the javm kernel (capability-kernel.md §4): the six kinds, what each
 * carries, which are copyable, and the constants of the kernel ABI.
 *
 * @module
 */
import type { CodeImage } from "./code.ts";
import type { DataObject, UntypedPool } from "./pages.ts";
import type { KernelVm } from "./vm.ts";

/** WHAT (2^64 − 2): every kernel-level failure. */
export const KERNEL_WHAT = (1n << 64n) - 2n;
/** LOW (2^64 − 8): φ7 of a caller whose child ran out of gas. */
export const KERNEL_LOW = (1n << 64n) - 8n;
/** HUH (2^64 − 9): φ7 of a caller whose child panicked. */
export const KERNEL_HUH = (1n << 64n) - 9n;

/** Fee of every `ecalli` and `ecall`. */
export const ECALL_FEE = 10;
/** Extra fee of a VM CALL and of RESUME. */
export const CALL_FEE = 10;
/** Gas per page carved from UNTYPED (init and RETYPE). */
export const PAGE_FEE = 1500;
/** Most VMs alive in one invocation (u16 arena ids). */
export const MAX_VMS = 65535;
/** Highest `ecalli` immediate that names a slot. */
export const MAX_ECALLI_SLOT = 127;
/** Slots the JAR format reserves: UNTYPED's and the protocol caps' (defined with the format). */
export { PROTOCOL_CAPS, UNTYPED_SLOT } from "../program/jar.ts";

/** A child's status as its caller sees it in φ8. */
export const ChildStatus = { reply: 0, trap: 1, panic: 2, oog: 3, fault: 4 } as const;

/** A capability. DATA and HANDLE caps are unique (move-only); the rest can be copied. */
export type Cap =
  | { readonly kind: "untyped"; readonly pool: UntypedPool }
  | { readonly kind: "data"; readonly data: DataObject }
  | { readonly kind: "code"; readonly code: CodeImage }
  | { readonly kind: "handle"; readonly vm: KernelVm; maxGas: bigint | undefined }
  | { readonly kind: "callable"; readonly vm: KernelVm; readonly maxGas: bigint | undefined }
  | { readonly kind: "protocol"; readonly id: number };

/** Cap kinds by name. */
export type CapKind = Cap["kind"];

/** True if COPY and the CREATE bitmask may duplicate the cap. */
export function isCopyable(cap: Cap): boolean {
  return cap.kind !== "data" && cap.kind !== "handle";
}

/** A copy of a copyable cap (UNTYPED copies share one bump pointer). */
export function copyCap(cap: Cap): Cap {
  return cap.kind === "handle" ? { ...cap } : Object.freeze({ ...cap }) as Cap;
}
