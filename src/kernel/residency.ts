/**
 * Which VMs keep a Wasm memory. Every VM with mapped pages needs an address space, and
 * each Wasm memory costs over 1 MiB (its permission map), so at most `limit` stay resident;
 * the least recently used others are swapped out — their mapped pages saved to the page
 * store, their memory returned to the pool — and swapped back in when next touched. A
 * hostile program mapping one page in each of 65,535 VMs therefore holds `limit` memories,
 * not 65,535.
 *
 * @module
 */
import type { MemoryPool } from "../memory/pool.ts";
import type { PageStore } from "./pages.ts";
import type { KernelVm } from "./vm.ts";

/** Default number of resident VM memories. */
export const DEFAULT_RESIDENT_MEMORIES = 32;

/** The residency manager of one kernel. */
export class Residency {
  private readonly lru = new Map<KernelVm, true>();

  /** Keep at most `limit` (≥ 1) memories resident. */
  constructor(
    /** Where swapped-out pages go. */
    readonly store: PageStore,
    /** Where memories come from and return to. */
    readonly pool: MemoryPool,
    /** Most resident memories. */
    readonly limit: number = DEFAULT_RESIDENT_MEMORIES,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`invalid resident-memory limit ${limit}`);
  }

  /** Make `vm`'s address space present (swapping it in if needed) and most recently used. */
  touch(vm: KernelVm): void {
    vm.swapIn();
    if (!vm.memory) return;
    this.lru.delete(vm);
    this.lru.set(vm, true);
    for (const victim of this.lru.keys()) {
      if (this.lru.size <= this.limit) break;
      if (victim === vm) continue;
      this.lru.delete(victim);
      victim.swapOut();
    }
  }

  /** Forget a VM whose memory was released. */
  forget(vm: KernelVm): void {
    this.lru.delete(vm);
  }

  /** Resident memories now. */
  get size(): number {
    return this.lru.size;
  }
}
