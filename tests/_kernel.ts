/**
 * Test helpers for the capability kernel: assemble PVM source (opcode-table numbering, so
 * `ecall` and `unlikely` are available) into a JAR code sub-blob, build a blob, run it on
 * both backends and require identical outcomes.
 */
import assert from "node:assert/strict";
import { assemble } from "../src/isa/assembler.ts";
import { parseBlob } from "../src/program/blob.ts";
import { encodeJar, encodeJarCode, type JarCapSpec } from "../src/program/jar.ts";
import { Kernel, type KernelExit, type KernelOptions } from "../src/kernel/kernel.ts";

/** Assemble source into a JAR code sub-blob. */
export function jarCode(source: string): Uint8Array {
  const blob = parseBlob(assemble(source));
  return encodeJarCode({ code: blob.code, bitmask: blob.bitmask, jumpTable: Array.from(blob.jumpTable.toArray()) });
}

/** A blob: root code at slot 64, optional child code at slot 32 (inside the CREATE bitmask range). */
export function jarOf(
  root: string,
  options: { child?: string; memoryPages?: number; caps?: JarCapSpec[] } = {},
): Uint8Array {
  const caps: JarCapSpec[] = [{ slot: 64, kind: "code", bytes: jarCode(root) }];
  if (options.child) caps.push({ slot: 32, kind: "code", bytes: jarCode(options.child) });
  caps.push(...(options.caps ?? []));
  return encodeJar({ memoryPages: options.memoryPages ?? 0, invokeSlot: 64, caps });
}

/** Run on both backends (and with swapping forced); exits, gas used and VM counts must agree. Returns the interpreter's run. */
export function runBoth(
  blob: Uint8Array,
  options: Omit<KernelOptions, "backend"> = { gas: 1_000_000n },
): { exit: KernelExit; kernel: Kernel } {
  // The third run keeps one VM memory resident, so every switch between VMs with memory swaps.
  const variants = [{ backend: "interpreter" }, { backend: "recompiler" }, {
    backend: "recompiler",
    maxResidentMemories: 1,
  }] as const;
  const runs = variants.map((variant) => {
    const kernel = Kernel.create(blob, { ...options, ...variant });
    return { exit: kernel.run(), kernel };
  });
  for (const run of runs.slice(1)) {
    assert.deepEqual(run.exit, runs[0].exit, "recompiler (or swapping) vs interpreter");
    assert.equal(run.kernel.gasUsed, runs[0].kernel.gasUsed);
    assert.equal(run.kernel.vmsCreated, runs[0].kernel.vmsCreated);
    run.kernel.dispose();
  }
  return runs[0];
}

/** WHAT as the halt value. */
export { KERNEL_WHAT as WHAT } from "../src/kernel/caps.ts";
