/**
 * One VM of the kernel (capability-kernel.md §6): registers, pc, gas, lifecycle state, its
 * 256-slot cap table, and its address space — exactly the mapped pages of the DATA caps in
 * its own table. A VM without mapped pages has no memory of its own (it shares the
 * kernel's empty one), so thousands of short-lived VMs cost a few hundred bytes each.
 *
 * @module
 */
import type { MachineState } from "../interpreter/interpreter.ts";
import { Memory, type MemoryRegion } from "../memory/memory.ts";
import type { Residency } from "./residency.ts";
import type { Cap } from "./caps.ts";
import type { CodeImage } from "./code.ts";
import { type DataObject, KERNEL_PAGE } from "./pages.ts";

/** Lifecycle states (§6.1). */
export type VmState = "idle" | "running" | "waiting" | "faulted" | "halted";

/** Wasm bytes a VM memory may grow past its mapped span before it is re-laid out. */
const RELAYOUT_SLACK = 16 << 20;

/** A VM. */
export class KernelVm {
  /** Registers (as 32-bit word pairs), pc, gas (a safe integer) and the block-paid flag. */
  readonly machine: MachineState = { regs: new Int32Array(26), pc: 0, gas: 0, heap: 0, exitArg: 0, charged: false };
  /** Lifecycle state. */
  state: VmState = "idle";
  /** False once destroyed (DROP of its HANDLE): stale references resolve to nothing. */
  alive = true;
  /** The cap table: slot → cap. */
  readonly caps: Map<number, Cap> = new Map();
  /** Own address space, created on the first MAP (replaced when re-laid out; absent while swapped out). */
  memory: Memory | undefined;
  /** Gas spent in the interpreter (the `auto` backend's tier-up measure). */
  interpretedGas = 0;
  /** True while the mapped pages live in the page store (see Residency). */
  private swapped = false;

  /** A new idle VM with zero registers, pc 0 and no gas. */
  constructor(
    /** Arena index. */
    readonly index: number,
    /** The CODE this VM runs. */
    readonly code: CodeImage,
    /** The kernel's residency manager. */
    private readonly residency: Residency,
  ) {}

  /** Register i as an unsigned 64-bit value. */
  reg(i: number): bigint {
    const r = this.machine.regs;
    return (BigInt(r[2 * i + 1] >>> 0) << 32n) | BigInt(r[2 * i] >>> 0);
  }

  /** Set register i (taken mod 2^64). */
  setReg(i: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.machine.regs[2 * i] = Number(v & 0xffffffffn) | 0;
    this.machine.regs[2 * i + 1] = Number(v >> 32n) | 0;
  }

  /** Low 32 bits of register i, unsigned. */
  reg32(i: number): number {
    return this.machine.regs[2 * i] >>> 0;
  }

  /** True if any of the address-space pages [page, page + count) is mapped in this VM. */
  anyMapped(page: number, count: number): boolean {
    this.residency.touch(this);
    const m = this.memory;
    if (!m) return false;
    for (let p = page; p < page + count; p++) if (m.access(p * KERNEL_PAGE) !== "none") return true;
    return false;
  }

  /** Map pages [first, first + count) of a DATA cap held by this VM (base and access already fixed). */
  mapData(data: DataObject, first: number, count: number): void {
    this.residency.touch(this);
    const pages: number[] = [];
    for (let p = first; p < first + count; p++) if (!data.mapped[p]) pages.push(data.basePage! + p);
    if (pages.length === 0) return;
    this.ensureRoom(pages);
    const memory = this.memory!;
    const store = this.residency.store;
    const access = data.access === "rw" ? "write" : "read";
    for (let p = first; p < first + count; p++) {
      if (data.mapped[p]) continue;
      const address = (data.basePage! + p) * KERNEL_PAGE;
      memory.map(address, KERNEL_PAGE, access);
      const bytes = store.get(data.backing + p);
      if (bytes) memory.write(address, bytes, { ignoreAccess: true });
      data.mapped[p] = 1;
      data.mappedCount++;
    }
    this.residency.touch(this);
  }

  /** Unmap pages [first, first + count) of a DATA cap (clipped), saving their bytes in the store. */
  unmapData(data: DataObject, first: number, count: number): void {
    this.residency.touch(this);
    const memory = this.memory;
    const end = Math.min(first + count, data.pageCount);
    for (let p = first; p < end; p++) {
      if (!data.mapped[p]) continue;
      const address = (data.basePage! + p) * KERNEL_PAGE;
      if (memory) {
        this.residency.store.set(data.backing + p, memory.read(address, KERNEL_PAGE, { ignoreAccess: true }));
        memory.map(address, KERNEL_PAGE, "none");
      }
      data.mapped[p] = 0;
      data.mappedCount--;
    }
  }

  /** @internal Save the mapped pages to the store and give the memory back (see Residency). */
  swapOut(): void {
    const memory = this.memory;
    if (!memory) return;
    for (const cap of this.caps.values()) {
      if (cap.kind !== "data" || cap.data.mappedCount === 0) continue;
      const d = cap.data;
      for (let p = 0; p < d.pageCount; p++) {
        if (d.mapped[p]) {
          this.residency.store.set(
            d.backing + p,
            memory.read((d.basePage! + p) * KERNEL_PAGE, KERNEL_PAGE, { ignoreAccess: true }),
          );
        }
      }
      this.swapped = true;
    }
    memory.release(this.residency.pool);
    this.memory = undefined;
  }

  /** @internal Rebuild the address space of a swapped-out VM from its DATA caps and the store. */
  swapIn(): void {
    if (!this.swapped) return;
    this.swapped = false;
    const mapped: { page: number; data: DataObject; p: number }[] = [];
    for (const cap of this.caps.values()) {
      if (cap.kind !== "data") continue;
      const d = cap.data;
      for (let p = 0; p < d.pageCount; p++) if (d.mapped[p]) mapped.push({ page: d.basePage! + p, data: d, p });
    }
    if (mapped.length === 0) return;
    this.ensureRoom(mapped.map((m) => m.page));
    const memory = this.memory!;
    for (const { page, data, p } of mapped) {
      memory.map(page * KERNEL_PAGE, KERNEL_PAGE, data.access === "rw" ? "write" : "read");
      const bytes = this.residency.store.get(data.backing + p);
      if (bytes) memory.write(page * KERNEL_PAGE, bytes, { ignoreAccess: true });
    }
  }

  /**
   * Make sure the memory exists and can hold `pages` without growing far past its span (a
   * page mapped near 4 GiB would otherwise grow the Wasm memory to 4 GiB): if needed, lay the
   * memory out again around everything mapped, which only changes the Wasm rotation.
   */
  private ensureRoom(pages: readonly number[]): void {
    const pool = this.residency.pool;
    const old = this.memory;
    if (old) {
      let far = 0;
      for (const p of pages) far = Math.max(far, ((p * KERNEL_PAGE + old.rotation) >>> 0) + KERNEL_PAGE);
      if (far <= old.u8.length + RELAYOUT_SLACK) return;
    }
    const mapped = old ? old.mappedPages() : [];
    const regions: MemoryRegion[] = [...mapped, ...pages].map((p) => ({
      address: p * KERNEL_PAGE,
      length: KERNEL_PAGE,
      access: "none",
    }));
    const fresh = Memory.create(regions, { pool });
    fresh.panicBelow = 0;
    if (old) {
      for (const p of mapped) {
        const address = p * KERNEL_PAGE;
        fresh.map(address, KERNEL_PAGE, old.access(address));
        fresh.write(address, old.read(address, KERNEL_PAGE, { ignoreAccess: true }), { ignoreAccess: true });
      }
      old.release(pool);
    }
    this.memory = fresh;
  }

  /** Give the memory back to the pool (the VM is destroyed or the invocation is over). */
  release(): void {
    this.memory?.release(this.residency.pool);
    this.memory = undefined;
    this.swapped = false;
    this.residency.forget(this);
  }
}
