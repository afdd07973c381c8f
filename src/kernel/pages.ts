/**
 * The invocation's page pool (capability-kernel.md §3–§4.4): `memory_pages` pages carved
 * by one UNTYPED bump allocator into DATA caps. The pool is sparse: a page holds bytes
 * only once something non-zero was written to it while unmapped; while a page is mapped,
 * its bytes live in the address space of the VM that maps it (a page is mapped in at most
 * one VM, so there is never a second copy to keep in step).
 *
 * @module
 */

/** Bytes per page. */
export const KERNEL_PAGE = 4096;

/** Contents of unmapped pages, by pool page index; absent pages are zero. */
export class PageStore {
  private readonly pages = new Map<number, Uint8Array>();

  /** The bytes of pool page `index` (a zero page if never written). */
  get(index: number): Uint8Array | undefined {
    return this.pages.get(index);
  }

  /** Keep `bytes` (one page) as the contents of pool page `index`; all-zero pages are dropped. */
  set(index: number, bytes: Uint8Array): void {
    if (bytes.some((b) => b !== 0)) this.pages.set(index, bytes);
    else this.pages.delete(index);
  }

  /** Pages holding non-zero bytes (for the memory bound). */
  get size(): number {
    return this.pages.size;
  }
}

/** The UNTYPED bump allocator; every copy of the UNTYPED cap shares this object. */
export class UntypedPool {
  /** Pages handed out so far. */
  offset = 0;
  /** A pool of `total` pages, none handed out. */
  constructor(
    /** Pages in the pool (`memory_pages`). */
    readonly total: number,
  ) {}

  /** Carve `n` pages: their first pool index, or -1 if the pool cannot supply them. */
  retype(n: number): number {
    if (!(n >= 0) || this.offset + n > this.total) return -1;
    const first = this.offset;
    this.offset += n;
    return first;
  }
}

/** The state of one DATA cap (move-only: exactly one table holds it). */
export interface DataObject {
  /** First pool page. */
  readonly backing: number;
  /** Pages. */
  readonly pageCount: number;
  /** Address-space page of the cap's page 0, fixed by the first MAP. */
  basePage: number | undefined;
  /** Access, fixed by the first MAP. */
  access: "ro" | "rw" | undefined;
  /** Per page: 1 if mapped. */
  readonly mapped: Uint8Array;
  /** Number of mapped pages. */
  mappedCount: number;
}

/** A fresh, unmapped DATA object over pool pages [backing, backing + pageCount). */
export function newData(backing: number, pageCount: number): DataObject {
  return {
    backing,
    pageCount,
    basePage: undefined,
    access: undefined,
    mapped: new Uint8Array(pageCount),
    mappedCount: 0,
  };
}
