// The kernel's `auto` backend: each VM is interpreted until it has spent
// KERNEL_AUTO_TIER_GAS gas, then runs compiled code. Its results must equal the
// interpreter's on runs that cross the switch (in the middle of a loop, in a child that
// then runs out of gas or is resumed, around protocol calls), and a long run must actually
// switch (the VM's interpreted gas stops near the threshold).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { jarOf } from "./_kernel.ts";
import { sharedPath } from "./_shared.ts";
import { readFileSync } from "node:fs";
import { Kernel, type KernelOptions } from "../src/kernel/kernel.ts";
import { KERNEL_AUTO_TIER_GAS } from "../src/kernel/exec.ts";
import { kernelRegistry, runKernelWithHost } from "../src/kernel/host.ts";

/** Run on the interpreter and on auto; exits, gas used, VM counts and VM 0's registers must agree. */
function compare(blob: Uint8Array, options: Omit<KernelOptions, "backend">, host = false) {
  const runs = (["interpreter", "auto"] as const).map((backend) => {
    const kernel = Kernel.create(blob, { ...options, backend });
    const exit = host ? runKernelWithHost(kernel, kernelRegistry()) : kernel.run();
    return { kernel, exit, regs: Array.from({ length: 13 }, (_, i) => kernel.vm(0)!.reg(i)) };
  });
  const [interpreted, auto] = runs;
  assert.deepEqual(auto.exit, interpreted.exit);
  assert.equal(auto.kernel.gasUsed, interpreted.kernel.gasUsed);
  assert.equal(auto.kernel.vmsCreated, interpreted.kernel.vmsCreated);
  assert.deepEqual(auto.regs, interpreted.regs);
  return { auto: auto.kernel, interpreted: interpreted.kernel, exit: auto.exit };
}

// Sum of (i xor 0x55) for i = N..1: about 9 gas per iteration, so N = 100,000 crosses the
// 200,000-gas threshold in the middle of the loop.
const LOOP = (n: number) =>
  `load_imm r7, 0\nload_imm r8, ${n}\nfallthrough\ntop: xor r9, r8, r10\nadd_64 r7, r7, r9\n` +
  `add_imm_64 r8, r8, -1\nbranch_ne_imm r8, 0, top`;

describe("kernel backend auto", () => {
  it("a long loop in VM 0: same result and gas as the interpreter, and it switches to compiled code", () => {
    const n = 100_000;
    const { auto, exit } = compare(jarOf(`load_imm r10, 0x55\n${LOOP(n)}\necalli 0`), { gas: 10_000_000n });
    let sum = 0n;
    for (let i = n; i >= 1; i--) sum += BigInt(i ^ 0x55);
    assert.equal(exit.kind === "halt" && exit.value, sum);
    assert.ok(auto.gasUsed > 3n * BigInt(KERNEL_AUTO_TIER_GAS), `${auto.gasUsed}`);
    const interpreted = auto.vm(0)!.interpretedGas;
    assert.ok(interpreted >= KERNEL_AUTO_TIER_GAS && interpreted < 2 * KERNEL_AUTO_TIER_GAS, `${interpreted}`);
  });
  it("out of gas in the compiled tier: same exit (gas 0) and gas used", () => {
    compare(jarOf(`load_imm r10, 3\n${LOOP(1_000_000)}\necalli 0`), { gas: 600_001n });
  });
  it("children: a long child that runs out of its SET_MAX_GAS ceiling, is RESUMEd, then replies", () => {
    // The child loops 60,000 times (crossing the threshold), replies its sum; the root
    // first calls it with a 300,000 ceiling (OOG, status 3), lifts the ceiling, RESUMEs it
    // (it continues from where it stopped) and adds status and reply.
    const child = `${LOOP(60_000)}\necalli 0`;
    const root = `load_imm r7, 0\nload_imm r12, 80\necalli 32\n` +
      `load_imm r7, 300000\nload_imm r11, 11\nload_imm_64 r12, ${80n << 32n}\necall\n` +
      `load_imm r12, 0\necalli 80\nmove_reg r6, r8\n` +
      `load_imm_64 r7, ${(1n << 63n)}\nload_imm r11, 11\nload_imm_64 r12, ${80n << 32n}\necall\n` +
      `load_imm r11, 13\nload_imm_64 r12, ${80n << 32n}\necall\nadd_64 r7, r7, r6\necalli 0`;
    const { exit } = compare(jarOf(root, { child, memoryPages: 1 }), { gas: 5_000_000n });
    let sum = 0n;
    for (let i = 60_000; i >= 1; i--) sum += BigInt(i); // r10 = 0 in the child: i xor 0 = i
    assert.equal(exit.kind === "halt" && exit.value, sum + 3n);
  });
  it("protocol calls (GAS) before and after the switch", () => {
    const src = `ecalli 1\nmove_reg r5, r7\nload_imm r10, 1\n${LOOP(50_000)}\necalli 1\nsub_64 r7, r5, r7\necalli 0`;
    compare(jarOf(src), { gas: 10_000_000n }, true);
  });
  const shared = sharedPath("vectors", "javm");
  it("fib_recur.jar n = 14 → 377, with the interpreter's VM count and gas", { skip: !shared }, () => {
    const blob = new Uint8Array(readFileSync(join(shared!, "derived", "fib_recur.jar")));
    const { exit } = compare(blob, { gas: 100_000_000n, operation: 14 });
    assert.equal(exit.kind === "halt" && exit.value, 377n);
  });
});
