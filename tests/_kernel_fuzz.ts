/**
 * Kernel fuzzing: random programs made of random cap operations (ecall with random ops
 * and references, ecalli on random slots, RETYPE/CREATE/CALL/REPLY, loads and stores),
 * run on both backends, then checked for escapes: identical outcomes on both backends, no
 * negative gas, every VM's address space exactly the mapped pages of the DATA caps in its
 * own table, no DATA cap in two tables, allocation within memory_pages.
 * Also wraps upstream's fuzz-seed format into JAR blobs.
 */
import assert from "node:assert/strict";
import { encodeJar, encodeJarCode } from "../src/program/jar.ts";
import { Kernel, type KernelExit } from "../src/kernel/kernel.ts";
import { runKernelWithHost } from "../src/kernel/host.ts";
import { jarProtocolRegistry, JarServiceState } from "../src/kernel/protocol.ts";
import { jarOf } from "./_kernel.ts";
import type { DataObject } from "../src/kernel/pages.ts";

/** xorshift32 PRNG. */
export function rng(seed: number): (n: number) => number {
  let s = (seed >>> 0) || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/**
 * Upstream's pvm_differential seed format: byte 0 → heap pages (b0 mod 4) + 1, the rest is
 * code, instruction starts at every byte whose low bit is set (byte 0 forced); wrapped in
 * the transpiler's standard layout (1-page stack at 0, heap, 1-page args cap at slot 0).
 * `everyByte`: pvm_execute's format (every byte an instruction start).
 */
export function wrapSeed(seed: Uint8Array, everyByte = false): Uint8Array {
  const heap = ((seed[0] ?? 0) % 4) + 1;
  const code = seed.subarray(1);
  const bitmask = new Uint8Array(Math.ceil(code.length / 8));
  for (let i = 0; i < code.length; i++) if (everyByte || i === 0 || (code[i] & 1)) bitmask[i >> 3] |= 1 << (i & 7);
  return encodeJar({
    memoryPages: 1 + heap + 4,
    invokeSlot: 64,
    caps: [
      { slot: 64, kind: "code", bytes: encodeJarCode({ code, bitmask }) },
      { slot: 65, kind: "data", basePage: 0, pageCount: 1, access: "rw" },
      { slot: 68, kind: "data", basePage: 1, pageCount: heap, access: "rw" },
      { slot: 0, kind: "data", basePage: 1 + heap, pageCount: 1, access: "rw" },
    ],
  });
}

/** A random program of cap operations. */
export function randomProgram(next: (n: number) => number): string {
  const lines: string[] = [];
  const slot = () => [0, 1, 5, 32, 40, 64, 65, 70, 71, 80, 81, 254, next(256)][next(13)];
  const ref = () => (next(4) === 0 ? (slot() << 8) | slot() : slot());
  const operand = () =>
    next(3)
      ? BigInt([0, 1, 3, 32, 100][next(5)])
      : [4090n, 4096n, 8191n, 1n << 32n, 1n << 63n, (1n << 64n) - 1n][next(6)];
  for (let i = 0, n = 4 + next(14); i < n; i++) {
    switch (next(10)) {
      case 0:
        lines.push(
          `load_imm r7, ${next(4)}`,
          `load_imm r11, 0`,
          `load_imm_64 r12, ${(254n << 32n) | BigInt(ref())}`,
          "ecall",
        );
        break;
      case 1: // MAP somewhere
        lines.push(
          `load_imm r7, ${[0, 1, 16, 0xfffff, next(1 << 20)][next(5)]}`,
          `load_imm r8, ${next(3)}`,
          `load_imm r9, ${next(3)}`,
          `load_imm r10, ${next(3)}`,
          "load_imm r11, 2",
          `load_imm_64 r12, ${BigInt(ref()) << 32n}`,
          "ecall",
        );
        break;
      case 2: // any op
        lines.push(
          `load_imm r7, ${next(5)}`,
          `load_imm r8, ${next(5)}`,
          `load_imm r11, ${next(15)}`,
          `load_imm_64 r12, ${(BigInt(ref()) << 32n) | BigInt(ref())}`,
          "ecall",
        );
        break;
      case 3: // CREATE from the CODE caps
        lines.push(
          `load_imm_64 r7, ${next(2) ? 2 ** 32 + 1 : 2 ** 32}`,
          `load_imm r12, ${[80, 81, ref()][next(3)]}`,
          "ecalli 32",
        );
        break;
      case 4: // CALL a VM, maybe with an IPC cap
        lines.push(
          `load_imm r7, ${next(9)}`,
          `load_imm r12, ${[0, 70, 71, 65][next(4)]}`,
          `ecalli ${[80, 81, slot() & 127][next(3)]}`,
        );
        break;
      case 5: // memory
        lines.push(
          `load_imm r1, ${[0, 0x10000, 0x1000, 0xfffff000][next(4)]}`,
          `store_imm_ind_u32 r1, 0, ${next(100)}`,
        );
        break;
      case 6:
        lines.push(`load_imm r1, ${[0, 0x10000, 0x1000][next(3)]}`, "load_ind_u32 r7, r1, 0");
        break;
      case 7:
        lines.push(`ecalli ${next(3) ? next(128) : next(256)}`);
        break;
      case 8: // a protocol call with random operands (§9.3 ABI: offsets into the DATA cap in slot φ12)
        lines.push(
          `load_imm_64 r7, ${next(2) ? operand() : BigInt([0, 1, 14, 15][next(4)])}`,
          `load_imm_64 r8, ${operand()}`,
          `load_imm_64 r9, ${operand()}`,
          `load_imm_64 r10, ${operand()}`,
          `load_imm_64 r12, ${[0, 65, 70, 64, 300][next(5)]}`,
          `ecalli ${[1, 2, 4, 5, 18, 26, 7][next(7)]}`,
        );
        break;
      default:
        lines.push("ecalli 0");
    }
  }
  lines.push("ecalli 0");
  return lines.join("\n");
}

/** A blob: root and child both random, UNTYPED of 8 pages, a stack and an args cap. */
export function randomJar(next: (n: number) => number): Uint8Array {
  return jarOf(randomProgram(next), {
    child: randomProgram(next),
    memoryPages: 8,
    caps: [
      { slot: 65, kind: "data", basePage: 0, pageCount: 1, access: "rw" },
      { slot: 0, kind: "data", basePage: 2, pageCount: 1, access: "rw" },
    ],
  });
}

/** The escape checks on a finished kernel. */
export function checkInvariants(kernel: Kernel, exit: KernelExit): void {
  assert.ok(exit.gas >= 0n, "negative gas");
  const owners = new Map<DataObject, number>();
  for (let i = 0; i < kernel.vmsCreated; i++) {
    const vm = kernel.vm(i);
    if (!vm) continue;
    kernel.residency.touch(vm); // a swapped-out VM is checked after swapping back in
    assert.ok(vm.machine.gas >= 0, `vm ${i}: negative gas`);
    const expected = new Set<number>();
    for (const [slot, cap] of vm.caps) {
      if (cap.kind !== "data") continue;
      assert.ok(!owners.has(cap.data), `DATA cap in vm ${owners.get(cap.data)} and vm ${i} (slot ${slot})`);
      owners.set(cap.data, i);
      for (let p = 0; p < cap.data.pageCount; p++) if (cap.data.mapped[p]) expected.add(cap.data.basePage! + p);
    }
    const actual = vm.memory ? vm.memory.mappedPages() : [];
    assert.deepEqual(actual, [...expected].sort((a, b) => a - b), `vm ${i}: address space ≠ its mapped DATA caps`);
  }
  assert.ok(kernel.untyped.offset <= kernel.untyped.total, "UNTYPED overdrawn");
  assert.ok(kernel.store.size <= kernel.untyped.total, "more stored pages than the pool");
}

/**
 * Run one random kernel case on both backends (protocol calls answered by
 * jarProtocolRegistry over a fresh state); returns the exit kind.
 */
export function fuzzOne(seed: number, gas = 200_000n): string {
  const blob = randomJar(rng(seed));
  const variants = [{ backend: "interpreter" }, { backend: "recompiler", maxResidentMemories: 1 }] as const;
  const runs = variants.map((variant) => {
    const kernel = Kernel.create(blob, { gas, ...variant });
    const state = new JarServiceState({
      storage: [[new Uint8Array(0), new Uint8Array([1, 2, 3])]],
      fetch: {
        constants: new Uint8Array(40).fill(7),
        entropy: new Uint8Array(32),
        accumulateInputs: [new Uint8Array(5000)],
      },
      maxStorageBytes: 20_000,
    });
    const result = runKernelWithHost(kernel, jarProtocolRegistry(state));
    checkInvariants(kernel, result);
    assert.ok(state.storageBytes <= state.maxStorageBytes, "storage over its limit");
    const summary = {
      exit: result,
      gasUsed: kernel.gasUsed,
      vms: kernel.vmsCreated,
      storage: state.entries(),
      output: state.output,
    };
    kernel.dispose();
    return summary;
  });
  assert.deepEqual(runs[1], runs[0], `seed ${seed}: backends differ`);
  return runs[0].exit.kind;
}
