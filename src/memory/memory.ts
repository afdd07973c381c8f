/**
 * The PVM's 32-bit paged address space, backed by one `WebAssembly.Memory` so the
 * interpreter and the recompiler share the same bytes (design/recompiler.md §4.1).
 *
 * Layout of the Wasm memory:
 * - guest address `g` lives at Wasm address `(g + rotation) mod 2^32`; the rotation is
 *   chosen so that the mapped pages form a compact span starting near Wasm address 0;
 * - a 1 MiB permission map (one byte per Wasm page: bit 0 readable, bit 1 writable)
 *   followed by a 64 KiB context area sits right after the span, in guest-unmapped space.
 *   It moves (a 1 MiB copy) if the guest ever maps pages over it.
 *
 * @module
 */

import { LimitError } from "../limits.ts";
import type { MemoryPool } from "./pool.ts";

/** Bytes per PVM page (Z_P). */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;
/** Number of pages in the 32-bit address space. */
export const PAGE_COUNT = 1 << 20;
/** Addresses below this always panic (spec §8.1). */
export const LOW_PANIC_LIMIT = 0x10000;

/** Per-page access: inaccessible, read-only, or read-write. */
export type PageAccess = "none" | "read" | "write";

/** Permission-map byte values. */
export const PERM_NONE = 0;
/** Readable page. */
export const PERM_READ = 1;
/** Writable (and readable) page. */
export const PERM_WRITE = 3;

const WASM_PAGE = 65536;
const MAP_BYTES = PAGE_COUNT; // one byte per 4 KiB page
/** Size of the context area that follows the permission map (reserved for the recompiler). */
export const CONTEXT_BYTES = 65536;
const CONTROL_BYTES = MAP_BYTES + CONTEXT_BYTES;
const MAX_WASM_PAGES = 65536;

const permOf = (access: PageAccess) => access === "write" ? PERM_WRITE : access === "read" ? PERM_READ : PERM_NONE;

/** A region to map at creation. */
export interface MemoryRegion {
  /** Guest start address (rounded down to a page). */
  address: number;
  /** Length in bytes (rounded up to whole pages). */
  length: number;
  /** Access of the pages. */
  access: PageAccess;
  /** Initial contents written at `address` (ignoring access rights). */
  data?: Uint8Array;
}

/**
 * Thrown by host-side accessors (`read`, `write`) when the range is not accessible.
 * Guest accesses never throw: they become panic or page-fault exits.
 *
 * @example
 * ```ts
 * import { Memory, MemoryAccessError } from "./memory.ts";
 * const mem = Memory.create([]);
 * try { mem.read(0x20000, 4); } catch (e) { console.log(e instanceof MemoryAccessError); } // true
 * ```
 */
export class MemoryAccessError extends Error {
  /** Create the error for the lowest inaccessible `address`. */
  constructor(
    /** The lowest inaccessible guest address of the range. */
    readonly address: number,
    /** True if a write was refused. */
    readonly write: boolean,
  ) {
    super(`guest memory at 0x${address.toString(16)} is not ${write ? "writable" : "readable"}`);
    this.name = "MemoryAccessError";
  }
}

/**
 * The guest address space.
 *
 * @example
 * ```ts
 * import { Memory } from "./memory.ts";
 * const mem = Memory.create([{ address: 0x20000, length: 4096, access: "write" }]);
 * mem.write(0x20000, new Uint8Array([1, 2, 3]));
 * console.log(mem.read(0x20001, 2)); // Uint8Array [ 2, 3 ]
 * ```
 */
export class Memory {
  /** The backing Wasm memory. */
  readonly wasm: WebAssembly.Memory;
  /** Wasm address = (guest address + rotation) mod 2^32. */
  readonly rotation: number;
  /** Wasm offset of the permission map (indexed by Wasm page). */
  permBase: number;
  /** Byte view of the Wasm memory; re-created whenever the memory grows. */
  u8: Uint8Array;
  /** DataView of the Wasm memory; re-created whenever the memory grows. */
  view: DataView;
  /** Wasm bytes in use by guest pages (the permission map starts at or after this). */
  private span: number;
  /** Number of accessible pages. */
  pageCount = 0;
  /** Most pages that may be accessible at once (the `maxMemoryPages` limit). */
  maxPages: number = PAGE_COUNT;
  /**
   * Guest accesses failing below this address panic instead of faulting: the GP's 64 KiB
   * guard zone ({@link LOW_PANIC_LIMIT}); 0 for the capability kernel, where address 0 is
   * ordinary memory.
   */
  panicBelow: number = LOW_PANIC_LIMIT;

  private constructor(rotation: number, span: number, pool?: MemoryPool) {
    this.rotation = rotation >>> 0;
    this.span = span;
    const pages = Math.ceil((span + CONTROL_BYTES) / WASM_PAGE);
    if (pages > MAX_WASM_PAGES) throw new RangeError("guest memory span exceeds 4 GiB");
    this.wasm = pool?.take(pages * WASM_PAGE) ?? new WebAssembly.Memory({ initial: pages, maximum: MAX_WASM_PAGES });
    this.permBase = span;
    this.u8 = new Uint8Array(this.wasm.buffer);
    this.view = new DataView(this.wasm.buffer);
  }

  /**
   * Create an address space with the given regions mapped (everything else inaccessible).
   * The rotation puts the end of the largest unmapped gap at Wasm address 0, so a
   * standard JAM layout (stack and arguments high, data and heap low) needs a Wasm
   * memory only as large as what it maps.
   */
  static create(regions: readonly MemoryRegion[], options: { maxPages?: number; pool?: MemoryPool } = {}): Memory {
    const { start, span } = compactRotation(regions);
    if (options.maxPages !== undefined && span > options.maxPages) {
      // The span is at least the number of pages mapped; check exactly before allocating.
      const pages = new Set<number>();
      for (const r of regions) forEachPage(r.address, r.length, (p) => pages.add(p));
      if (pages.size > options.maxPages) throw new LimitError("maxMemoryPages", pages.size, options.maxPages);
    }
    const memory = new Memory(-start * PAGE_SIZE, span * PAGE_SIZE, options.pool);
    memory.maxPages = options.maxPages ?? PAGE_COUNT;
    for (const region of regions) {
      memory.map(region.address, region.length, region.access);
      if (region.data) memory.write(region.address, region.data, { ignoreAccess: true });
    }
    return memory;
  }

  /** Wasm address of a guest address. */
  wasmAddress(guest: number): number {
    return (guest + this.rotation) >>> 0;
  }

  /** Access of the page holding guest address `address`. */
  access(address: number): PageAccess {
    const p = this.u8[this.permBase + (this.wasmAddress(address) >>> PAGE_SHIFT)];
    return p === PERM_WRITE ? "write" : p === PERM_READ ? "read" : "none";
  }

  /**
   * Set the access of every page overlapping [address, address + length). Pages that
   * become inaccessible are zeroed, so a page that becomes accessible always reads zero
   * (inaccessible pages hold zeros; nothing is written to map them).
   */
  map(address: number, length: number, access: PageAccess): void {
    const perm = permOf(access);
    if (perm !== PERM_NONE && this.maxPages < PAGE_COUNT) {
      let added = 0;
      forEachPage(address, length, (page) => {
        if (this.access(page * PAGE_SIZE) === "none") added++;
      });
      if (this.pageCount + added > this.maxPages) {
        throw new LimitError("maxMemoryPages", this.pageCount + added, this.maxPages);
      }
    }
    forEachPage(address, length, (page) => {
      const wasmPage = ((page * PAGE_SIZE + this.rotation) >>> 0) >>> PAGE_SHIFT;
      if (perm !== PERM_NONE) this.ensureBacked(wasmPage);
      const slot = this.permBase + wasmPage;
      const before = wasmPage * PAGE_SIZE < this.u8.length ? this.u8[slot] : PERM_NONE;
      // Every inaccessible page holds zeros: memories start zeroed (new, or from the pool,
      // which takes them zeroed), nothing writes an inaccessible page, and a page is zeroed
      // here when it becomes inaccessible (and in `release`, and where the control area
      // moved). So mapping a page needs no zeroing, and a program declaring gigabytes of
      // data does not touch (and so commit) them until it uses them.
      if (before !== PERM_NONE && perm === PERM_NONE) {
        this.u8.fill(0, wasmPage * PAGE_SIZE, (wasmPage + 1) * PAGE_SIZE);
      }
      this.pageCount += (perm !== PERM_NONE ? 1 : 0) - (before !== PERM_NONE ? 1 : 0);
      if (slot < this.u8.length) this.u8[slot] = perm;
    });
  }

  /**
   * Check an access of `length` bytes at `address` (wrapping mod 2^32). Returns -1 if
   * every byte is accessible, else the lowest inaccessible guest address (spec §8.1).
   */
  check(address: number, length: number, write: boolean): number {
    const need = write ? PERM_WRITE : PERM_READ;
    let lowest = -1;
    // Walk page by page; a range is at most 2^32 bytes so this terminates.
    let offset = 0;
    while (offset < length) {
      const guest = (address + offset) >>> 0;
      const inPage = PAGE_SIZE - (guest & (PAGE_SIZE - 1));
      const perm = this.u8[this.permBase + (this.wasmAddress(guest) >>> PAGE_SHIFT)];
      if ((perm & need) !== need) {
        if (lowest < 0 || guest < lowest) lowest = guest;
      }
      offset += inPage;
    }
    return lowest;
  }

  /** Read `length` bytes at guest `address` (a copy). Throws MemoryAccessError unless readable. */
  read(address: number, length: number, options: { ignoreAccess?: boolean } = {}): Uint8Array {
    checkLength(length);
    if (!options.ignoreAccess) {
      const bad = this.check(address, length, false);
      if (bad >= 0) throw new MemoryAccessError(bad, false);
    }
    const out = new Uint8Array(length);
    this.copy(address, length, (wasm, offset, n) => out.set(this.u8.subarray(wasm, wasm + n), offset));
    return out;
  }

  /**
   * Write bytes at guest `address`. Throws MemoryAccessError unless every byte is
   * writable (nothing is written then). `ignoreAccess` writes read-only pages too
   * (initialisation, hosts); inaccessible pages are still refused.
   */
  write(address: number, data: Uint8Array, options: { ignoreAccess?: boolean } = {}): void {
    const bad = this.check(address, data.length, !options.ignoreAccess);
    if (bad >= 0) throw new MemoryAccessError(bad, !options.ignoreAccess);
    this.copy(address, data.length, (wasm, offset, n) => this.u8.set(data.subarray(offset, offset + n), wasm));
  }

  /**
   * Give the backing memory to `pool` for reuse, zeroing only what was used: the pages
   * that were mapped, the permission map and the context area. This memory must not be
   * used afterwards.
   */
  release(pool: MemoryPool): void {
    const u8 = this.u8;
    if (u8.length === 0) return;
    const wasmPages = Math.floor(u8.length / PAGE_SIZE); // not >>>: a 4 GiB memory has 2^20 pages
    for (let w = 0; w < wasmPages && w < PAGE_COUNT; w++) {
      if (u8[this.permBase + w] !== PERM_NONE) u8.fill(0, w * PAGE_SIZE, (w + 1) * PAGE_SIZE);
    }
    u8.fill(0, this.permBase, this.permBase + CONTROL_BYTES);
    this.u8 = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
    this.pageCount = 0;
    pool.give(this.wasm);
  }

  /** Guest page numbers of every accessible page, ascending. */
  mappedPages(): number[] {
    const pages: number[] = [];
    const firstWasmPage = 0;
    const wasmPages = Math.floor(this.u8.length / PAGE_SIZE); // not >>>: a 4 GiB memory has 2^20 pages
    for (let w = firstWasmPage; w < wasmPages; w++) {
      if (this.u8[this.permBase + w] !== PERM_NONE) {
        pages.push(((w * PAGE_SIZE - this.rotation) >>> 0) >>> PAGE_SHIFT);
      }
    }
    return pages.sort((a, b) => a - b);
  }

  /** Visit the Wasm chunks (split at the 2^32 wrap) of a guest range. */
  private copy(address: number, length: number, visit: (wasm: number, offset: number, n: number) => void) {
    let offset = 0;
    while (offset < length) {
      const wasm = this.wasmAddress(address + offset);
      const n = Math.min(length - offset, 2 ** 32 - wasm);
      visit(wasm, offset, n);
      offset += n;
    }
  }

  /** Make sure Wasm page `wasmPage` (4 KiB) is inside the memory and not under the control area. */
  private ensureBacked(wasmPage: number): void {
    const address = wasmPage * PAGE_SIZE;
    const end = address + PAGE_SIZE;
    if (end > this.span) this.span = end;
    if (end > this.permBase && address < this.permBase + CONTROL_BYTES) this.relocateControl(wasmPage);
    if (end > this.u8.length) this.growTo(end);
  }

  /** Grow the Wasm memory to at least `bytes`. */
  private growTo(bytes: number): void {
    const needPages = Math.ceil(bytes / WASM_PAGE);
    const havePages = this.u8.length / WASM_PAGE;
    if (needPages <= havePages) return;
    this.wasm.grow(needPages - havePages);
    this.u8 = new Uint8Array(this.wasm.buffer);
    this.view = new DataView(this.wasm.buffer);
  }

  /** Move the permission map and context area out of the way of guest page `wasmPage`. */
  private relocateControl(wasmPage: number): void {
    // Leave head-room after the span so a growing heap does not move the map every page.
    const slack = Math.max(MAP_BYTES, Math.floor(this.span / 4));
    let target = Math.ceil((this.span + slack) / WASM_PAGE) * WASM_PAGE;
    if (target + CONTROL_BYTES > 2 ** 32) target = Math.ceil(this.span / PAGE_SIZE) * PAGE_SIZE;
    if (target + CONTROL_BYTES > 2 ** 32) target = this.findFreeControlHole(wasmPage);
    this.growTo(target + CONTROL_BYTES);
    const old = this.permBase;
    this.u8.copyWithin(target, old, old + CONTROL_BYTES);
    // The old control bytes become ordinary guest bytes: zero what the new area does not cover.
    const lo = old < target ? old : Math.max(old, target + CONTROL_BYTES);
    const hi = old < target ? Math.min(old + CONTROL_BYTES, target) : old + CONTROL_BYTES;
    if (hi > lo) this.u8.fill(0, lo, hi);
    this.permBase = target;
  }

  /** Find an unmapped run of Wasm pages for the control area when the span reaches the top. */
  private findFreeControlHole(reserve: number): number {
    const pagesNeeded = CONTROL_BYTES / PAGE_SIZE;
    let run = 0;
    for (let w = 0; w < PAGE_COUNT; w++) {
      const inOld = w * PAGE_SIZE >= this.permBase && w * PAGE_SIZE < this.permBase + CONTROL_BYTES;
      const free = w !== reserve && !inOld &&
        (w * PAGE_SIZE >= this.u8.length || this.u8[this.permBase + w] === PERM_NONE);
      run = free ? run + 1 : 0;
      if (run === pagesNeeded) return (w - pagesNeeded + 1) * PAGE_SIZE;
    }
    throw new RangeError("guest address space is full: no room for the permission map");
  }
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 2 ** 32) {
    throw new RangeError(`invalid length ${length}`);
  }
}

/** Call `visit` with every page number overlapping [address, address + length), wrapping mod 2^32. */
function forEachPage(address: number, length: number, visit: (page: number) => void): void {
  checkLength(length);
  if (length === 0) return;
  const first = (address >>> 0) >>> PAGE_SHIFT;
  const last = ((address >>> 0) + length - 1) / PAGE_SIZE;
  const count = Math.min(PAGE_COUNT, Math.floor(last) - first + 1);
  for (let i = 0; i < count; i++) visit((first + i) % PAGE_COUNT);
}

/**
 * Choose the rotation: the first mapped page after the largest circular gap of unmapped
 * pages becomes Wasm page 0, so the mapped pages occupy Wasm pages [0, span).
 */
function compactRotation(regions: readonly MemoryRegion[]): { start: number; span: number } {
  // Page intervals [first, end), split where they wrap past the top of the address space.
  const intervals: [number, number][] = [];
  for (const r of regions) {
    checkLength(r.length);
    if (r.length === 0) continue;
    const first = (r.address >>> 0) >>> PAGE_SHIFT;
    const end = Math.min(first + PAGE_COUNT, Math.floor(((r.address >>> 0) + r.length - 1) / PAGE_SIZE) + 1);
    if (end <= PAGE_COUNT) intervals.push([first, end]);
    else intervals.push([first, PAGE_COUNT], [0, end - PAGE_COUNT]);
  }
  if (intervals.length === 0) return { start: 0, span: 0 };
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of intervals) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  // The gap before each merged interval (the first one's gap wraps around from the last).
  let bestGap = -1;
  let bestStart = 0;
  for (let i = 0; i < merged.length; i++) {
    const previousEnd = i === 0 ? merged[merged.length - 1][1] - PAGE_COUNT : merged[i - 1][1];
    const gap = merged[i][0] - previousEnd;
    if (gap > bestGap) {
      bestGap = gap;
      bestStart = merged[i][0];
    }
  }
  return { start: bestStart, span: PAGE_COUNT - bestGap };
}
