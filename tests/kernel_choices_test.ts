// The §14 choices of capability-kernel.md that kernel_ops_test.ts leaves out — items 4,
// 8, 9, 15 and 18 — on both backends (runBoth requires identical outcomes). Expected values
// follow from the spec's rules: gas-block starts (§10.2), block costs (§10.3: a lone
// ecalli costs 100 − 3 = 97, a lone jump 15 − 3 = 12, load_imm ×2 + jump_ind 22 − 3 = 19),
// the fees (§10.1), fault addresses (§12) and the init sequence (§3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jarOf, runBoth } from "./_kernel.ts";
import { Kernel, KernelError } from "../src/kernel/kernel.ts";
import type { JarCapSpec } from "../src/program/jar.ts";

const LOW = (1n << 64n) - 8n;
const GAS = 1_000_000n;
const run = (source: string, options: Parameters<typeof jarOf>[1] = {}, gas = GAS) =>
  runBoth(jarOf(source, { memoryPages: 64, ...options }), { gas });

describe("§14 item 4: dynamic jumps reach only gas-block starts", () => {
  // Jump-table entries (address 2(i+1)): 2 → `good` (after jump_ind: a gas-block start),
  // 4 → `mid` (a static branch target inside a block: [R]'s interpreter accepts it),
  // 6 → `inner` (an instruction start inside a block, no branch targets it: [R]'s JIT accepts it).
  const program = (address: number) => `
        .jump_table good, mid, inner
        load_imm r7, 5
        load_imm r1, ${address}
        jump_ind r1, 0
good:   load_imm r7, 6
        branch_eq_imm r7, 9, mid
        load_imm r7, 7
inner:  add_imm_64 r7, r7, 10
mid:    add_imm_64 r7, r7, 1
        ecalli 0`;
  it("a jump-table entry at a gas-block start runs on", () => {
    const { exit } = run(program(2));
    assert.equal(exit.kind === "halt" && exit.value, 7n + 10n + 1n); // r7 = 6, branch not taken, 7, +10, +1
  });
  it("an entry at a static branch target that starts no gas block panics (after paying the jump_ind block)", () => {
    assert.deepEqual(run(program(4)).exit, { kind: "panic", gas: GAS - 19n });
  });
  it("an entry at an instruction start inside a block panics", () => {
    assert.deepEqual(run(program(6)).exit, { kind: "panic", gas: GAS - 19n });
  });
  it("an address past the table, odd, or zero panics", () => {
    for (const address of [8, 3, 0]) assert.deepEqual(run(program(address)).exit, { kind: "panic", gas: GAS - 19n });
  });
});

describe("§14 item 8: no gas is left after out-of-gas", () => {
  it("root: a loop of 12-gas blocks with 1,005 gas (83 × 12 + 9) ends with 0 gas, all 1,005 used", () => {
    const { exit, kernel } = run("spin: jump spin", {}, 1005n);
    assert.deepEqual(exit, { kind: "oog", gas: 0n });
    assert.equal(kernel.gasUsed, 1005n);
  });
  it("child: its unpaid balance is not returned (a 6 gas larger ceiling costs the caller exactly 6 more)", () => {
    // The child spins in 12-gas blocks until its ceiling runs out; whatever it could not
    // spend would come back if OOG kept it, and 6 more gas changes that remainder mod 12.
    const child = "spin: jump spin";
    const parent = (ceiling: number) =>
      `load_imm r7, 0\nload_imm r12, 80\necalli 32\nload_imm r7, ${ceiling}\nload_imm r11, 11\n` +
      `load_imm_64 r12, ${80n << 32n}\necall\nload_imm r12, 0\necalli 80\nmove_reg r9, r7\nmove_reg r7, r8\necalli 0`;
    const a = run(parent(5000), { child });
    const b = run(parent(5006), { child });
    assert.equal(a.exit.kind === "halt" && a.exit.value, 3n); // status 3: out of gas
    assert.equal(a.kernel.vm(0)!.reg(9), LOW);
    assert.equal(b.kernel.gasUsed - a.kernel.gasUsed, 6n);
    assert.equal(a.kernel.vm(1)!.machine.gas, 0);
  });
});

describe("§14 item 9: a page fault reports the base of the first faulting page", () => {
  const rw = (slot: number, basePage: number): JarCapSpec => ({
    slot,
    kind: "data",
    basePage,
    pageCount: 1,
    access: "rw",
  });
  const ro = (slot: number, basePage: number): JarCapSpec => ({
    slot,
    kind: "data",
    basePage,
    pageCount: 1,
    access: "ro",
  });
  const fault = (source: string, caps: JarCapSpec[]) => {
    const { exit } = run(`${source}\necalli 0`, { caps });
    assert.equal(exit.kind, "fault");
    return exit.kind === "fault" ? exit.address : -1;
  };
  it("a load straddling a mapped page into an unmapped one: the next page's base (not a rounded down, not a)", () => {
    assert.equal(fault("load_imm r1, 0x10ffe\nload_ind_u32 r7, r1, 0", [rw(65, 0x10)]), 0x11000);
  });
  it("a load straddling an unmapped page into a mapped one: the unmapped page's base", () => {
    assert.equal(fault("load_imm r1, 0xfffe\nload_ind_u32 r7, r1, 0", [rw(65, 0x10)]), 0xf000);
  });
  it("an unaligned load in an unmapped page: that page's base", () => {
    assert.equal(fault("load_imm r1, 0x20123\nload_ind_u32 r7, r1, 0", [rw(65, 0x10)]), 0x20000);
  });
  it("stores: RW into RO faults at the RO page; RO first faults at the RO page; nothing is written", () => {
    assert.equal(fault("load_imm r1, 0x10ffc\nstore_imm_ind_u64 r1, 0, -1", [rw(65, 0x10), ro(66, 0x11)]), 0x11000);
    assert.equal(fault("load_imm r1, 0x10ffc\nstore_imm_ind_u64 r1, 0, -1", [ro(65, 0x10), rw(66, 0x11)]), 0x10000);
    for (const backend of ["interpreter", "recompiler"] as const) {
      const blob = jarOf("load_imm r1, 0x10ffc\nstore_imm_ind_u64 r1, 0, -1\necalli 0", {
        memoryPages: 64,
        caps: [rw(65, 0x10), ro(66, 0x11)],
      });
      const kernel = Kernel.create(blob, { gas: GAS, backend });
      assert.equal(kernel.run().kind, "fault");
      const bytes = kernel.vm(0)!.memory!.read(0x10ffc, 8, { ignoreAccess: true });
      assert.deepEqual([...bytes], [0, 0, 0, 0, 0, 0, 0, 0], backend);
      kernel.dispose();
    }
  });
  it("a child's fault: the caller gets status 4 and the first faulting page's base in φ7", () => {
    // The child loads across the end of its mapped page (0x10ffe, 4 bytes) → 0x11000.
    const child = `load_imm r7, 0x10\nload_imm r8, 0\nload_imm r9, 1\nload_imm r10, 1\nload_imm r11, 2\n` +
      `load_imm_64 r12, ${5n << 32n}\necall\nload_imm r1, 0x10ffe\nload_ind_u32 r7, r1, 0\necalli 0`;
    // Root: RETYPE 1 page into slot 70 (ecall op 0 on UNTYPED), CREATE into slot 80, MOVE
    // the DATA cap to the child's slot 5 (object reference 80 << 8 | 5), CALL the child.
    const root = `load_imm r7, 1\nload_imm r11, 0\nload_imm_64 r12, ${(254n << 32n) | 70n}\necall\n` +
      `load_imm r7, 0\nload_imm r12, 80\necalli 32\n` +
      `load_imm r11, 6\nload_imm_64 r12, ${(70n << 32n) | (80n << 8n) | 5n}\necall\nload_imm r12, 0\necalli 80\n` +
      `move_reg r9, r7\nmove_reg r7, r8\necalli 0`;
    const { exit, kernel } = run(root, { child });
    assert.equal(exit.kind === "halt" && exit.value, 4n);
    assert.equal(kernel.vm(0)!.reg(9), 0x11000n);
  });
});

describe("§14 item 15: the init page fee", () => {
  const caps: JarCapSpec[] = [
    { slot: 65, kind: "data", basePage: 0, pageCount: 2, access: "rw" },
    { slot: 66, kind: "data", basePage: 4, pageCount: 3, access: "ro" },
  ];
  // CODE caps cost nothing; the 64-page pool's unallocated pages cost nothing.
  const blob = jarOf("ecalli 0", { memoryPages: 64, caps, child: "trap" });
  it("1500 per DATA page is taken before execution and excluded from gas used (§2.6: 107 of execution)", () => {
    const { exit, kernel } = runBoth(blob, { gas: 5 * 1500 + 1000 });
    assert.equal(kernel.initFee, 7500n);
    assert.deepEqual(exit, { kind: "halt", value: 0n, gas: 1000n - 97n - 10n });
    assert.equal(kernel.gasUsed, 107n);
  });
  it("gas equal to the fee starts the invocation with 0 gas (out of gas at the first block); one less cannot start", () => {
    const { exit, kernel } = runBoth(blob, { gas: 7500n });
    assert.deepEqual(exit, { kind: "oog", gas: 0n });
    assert.equal(kernel.gasUsed, 0n);
    assert.throws(() => Kernel.create(blob, { gas: 7499n }), KernelError);
  });
  it("a blob without DATA caps pays no fee", () => {
    const { kernel } = runBoth(jarOf("ecalli 0", { memoryPages: 64 }), { gas: 200n });
    assert.equal(kernel.initFee, 0n);
  });
});

describe("§14 item 18: VM 0 is Running", () => {
  it("from the start, Waiting while its child runs, Running again after the child replies", () => {
    // The child calls protocol cap 2 (copied by the CREATE bitmask) so the host sees it running.
    const child = "ecalli 2\necalli 0";
    const root = `load_imm r7, 4\nload_imm r12, 80\necalli 32\nload_imm r12, 0\necalli 80\necalli 2\necalli 0`;
    for (const backend of ["interpreter", "recompiler"] as const) {
      const kernel = Kernel.create(jarOf(root, { child, memoryPages: 1 }), { gas: GAS, backend });
      const root0 = kernel.vm(0)!;
      assert.equal(root0.state, "running", "before run");
      let exit = kernel.run();
      assert.deepEqual([exit.kind, kernel.active.index, root0.state], ["protocol", 1, "waiting"], backend);
      assert.equal(kernel.vm(1)!.state, "running");
      kernel.resume(0n, 0n);
      exit = kernel.run();
      assert.deepEqual([exit.kind, kernel.active.index, root0.state], ["protocol", 0, "running"], backend);
      assert.equal(kernel.vm(1)!.state, "idle");
      kernel.resume(0n, 0n);
      assert.equal(kernel.run().kind, "halt");
      kernel.dispose();
    }
  });
});
