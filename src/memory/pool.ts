/**
 * A pool of released Wasm memories. Creating a memory and first-touching its pages costs
 * time (and on JSC counts against a process-wide budget of 3× RAM), so a disposed
 * instance's memory is zeroed — only the pages it had mapped, plus the permission map —
 * and kept for the next instance that fits in it.
 *
 * @module
 */

/**
 * Released memories, all bytes zero, ready for reuse.
 *
 * @example
 * ```ts
 * import { MemoryPool } from "./pool.ts";
 * const pool = new MemoryPool(2);
 * pool.give(new WebAssembly.Memory({ initial: 20, maximum: 65536 }));
 * console.log(pool.size, pool.take(10 * 65536) !== undefined, pool.size); // 1 true 0
 * ```
 */
export class MemoryPool {
  private readonly free: WebAssembly.Memory[] = [];

  /**
   * A pool keeping at most `capacity` memories (older ones are left to the GC), none larger
   * than `maxBytes`: a huge memory handed to every later small instance costs far more
   * (zeroing, and on JSC its share of the 3×RAM budget) than allocating a fitting one.
   */
  constructor(readonly capacity: number = 8, readonly maxBytes: number = 64 << 20) {}

  /** Memories waiting for reuse. */
  get size(): number {
    return this.free.length;
  }

  /** A zeroed memory of at least `bytes`, or undefined. Prefers the smallest that fits. */
  take(bytes: number): WebAssembly.Memory | undefined {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i].buffer.byteLength;
      if (size >= bytes && (best < 0 || size < this.free[best].buffer.byteLength)) best = i;
    }
    return best < 0 ? undefined : this.free.splice(best, 1)[0];
  }

  /** Return a memory whose bytes are all zero. */
  give(memory: WebAssembly.Memory): void {
    if (memory.buffer.byteLength > this.maxBytes) return;
    this.free.push(memory);
    if (this.free.length > this.capacity) this.free.shift();
  }
}

/** The pool instances use unless told otherwise. */
export const DEFAULT_MEMORY_POOL: MemoryPool = new MemoryPool();
