// Every cap operation's success and error paths, and each §14 choice of
// capability-kernel.md, on hand-assembled programs run on both backends (identical
// outcomes required). Expected values come from the spec's rules, not from our output:
// destination slots, statuses, WHAT, fee differences (1500 per page, 10 per call).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jarOf, runBoth, WHAT } from "./_kernel.ts";
import { Kernel, KernelError } from "../src/kernel/kernel.ts";
import { kernelRegistry, runKernelWithHost } from "../src/kernel/host.ts";

const HUH = (1n << 64n) - 9n, LOW = (1n << 64n) - 8n;
/** φ12 = subject << 32 | object. */
const refs = (subject: number, object: number) => `load_imm_64 r12, ${(BigInt(subject) << 32n) | BigInt(object)}`;
/** RETYPE `pages` from UNTYPED (slot 254) into slot `dest` via ecall op 0. */
const retype = (pages: number, dest: number) => `load_imm r7, ${pages}\nload_imm r11, 0\n${refs(254, dest)}\necall`;
/** MAP the DATA cap in `slot` at `basePage`, cap pages [first, first+count), access 0/1. */
const map = (slot: number, basePage: number, first: number, count: number, access: number) =>
  `load_imm r7, ${basePage}\nload_imm r8, ${first}\nload_imm r9, ${count}\nload_imm r10, ${access}\nload_imm r11, 2\n${
    refs(slot, 0)
  }\necall`;
const op = (code: number, subject: number, object = 0) => `load_imm r11, ${code}\n${refs(subject, object)}\necall`;
const REPLY = "ecalli 0";

function halt(source: string, options: Parameters<typeof jarOf>[1] = {}, gas = 1_000_000n) {
  const { exit, kernel } = runBoth(jarOf(source, { memoryPages: 64, ...options }), { gas });
  return { exit, kernel, value: exit.kind === "halt" ? exit.value : undefined };
}

describe("RETYPE (UNTYPED)", () => {
  it("carves pages into an unmapped DATA cap at the destination; φ7 = destination slot", () => {
    const { value, kernel } = halt(`${retype(2, 70)}\n${REPLY}`);
    assert.equal(value, 70n);
    const cap = kernel.vm(0)!.caps.get(70);
    assert.equal(cap?.kind, "data");
    assert.equal(cap?.kind === "data" && cap.data.pageCount, 2);
    assert.equal(cap?.kind === "data" && cap.data.mappedCount, 0);
  });
  it("costs 1500 per page on top of the fees", () => {
    const one = halt(`${retype(1, 70)}\n${REPLY}`).kernel.gasUsed;
    const three = halt(`${retype(3, 70)}\n${REPLY}`).kernel.gasUsed;
    assert.equal(three - one, 3000n);
  });
  it("UNTYPED exhausted → WHAT; occupied destination → WHAT", () => {
    assert.equal(halt(`${retype(65, 70)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${retype(1, 64)}\n${REPLY}`).value, WHAT); // slot 64 holds the code
  });
  it("insufficient gas for the page fee is out of gas (§14.2)", () => {
    const { exit } = halt(`${retype(60, 70)}\n${REPLY}`, {}, 50_000n);
    assert.deepEqual(exit, { kind: "oog", gas: 0n });
  });
});

describe("MAP / UNMAP", () => {
  const store = "load_imm r1, 0x10000\nstore_imm_ind_u32 r1, 8, 1234\nload_ind_u32 r7, r1, 8";
  it("mapped RW pages are memory: store then load", () => {
    assert.equal(halt(`${retype(2, 70)}\n${map(70, 0x10, 0, 2, 1)}\n${store}\n${REPLY}`).value, 1234n);
  });
  it("a write to an RO mapping faults at the page base; UNMAP makes the page fault (§14.9)", () => {
    assert.deepEqual(halt(`${retype(1, 70)}\n${map(70, 0x10, 0, 1, 0)}\n${store}\n${REPLY}`).exit.kind, "fault");
    const unmap = `load_imm r7, 0\nload_imm r8, 1\n${op(3, 70)}`;
    const { exit } = halt(`${retype(1, 70)}\n${map(70, 0x10, 0, 1, 1)}\n${unmap}\n${store}\n${REPLY}`);
    assert.equal(exit.kind === "fault" && exit.address, 0x10000);
  });
  it("contents survive UNMAP and a second MAP at the same base", () => {
    const src = `${retype(1, 70)}\n${map(70, 0x10, 0, 1, 1)}\nload_imm r1, 0x10000\nstore_imm_ind_u32 r1, 8, 77\n` +
      `load_imm r7, 0\nload_imm r8, 1\n${op(3, 70)}\n${map(70, 0x10, 0, 1, 1)}\nload_ind_u32 r7, r1, 8\n${REPLY}`;
    assert.equal(halt(src).value, 77n);
  });
  it("errors: not DATA, pages past the cap, access 2, a different base after the first MAP, overlap", () => {
    assert.equal(halt(`${map(64, 0x10, 0, 1, 1)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${retype(1, 70)}\n${map(70, 0x10, 0, 2, 1)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${retype(1, 70)}\n${map(70, 0x10, 0, 1, 2)}\n${REPLY}`).value, WHAT);
    assert.equal(
      halt(`${retype(2, 70)}\n${map(70, 0x10, 0, 1, 1)}\n${map(70, 0x20, 1, 1, 1)}\n${REPLY}`).value,
      WHAT,
    );
    assert.equal(
      halt(`${retype(1, 70)}\n${retype(1, 71)}\n${map(70, 0x10, 0, 1, 1)}\n${map(71, 0x10, 0, 1, 1)}\n${REPLY}`).value,
      WHAT,
    );
  });
  it("a page near 4 GiB maps without a 4 GiB memory", () => {
    const src = `${retype(1, 70)}\n${map(70, 0xfffff, 0, 1, 1)}\nload_imm r1, 0xfffff000\n` +
      `store_imm_ind_u32 r1, 0, 5\nload_ind_u32 r7, r1, 0\n${REPLY}`;
    const { value, kernel } = halt(src);
    assert.equal(value, 5n);
    assert.ok(kernel.vm(0)!.memory!.u8.length < 64 << 20);
  });
});

describe("SPLIT / DROP / MOVE / COPY", () => {
  it("SPLIT: subject keeps [0,k), object gets [k,n); errors: mapped, k = 0, k = n, occupied", () => {
    const { value, kernel } = halt(`${retype(3, 70)}\nload_imm r7, 1\n${op(4, 70, 71)}\n${REPLY}`);
    assert.equal(value, 1n); // φ7 untouched
    const pages = [70, 71].map((s) => {
      const c = kernel.vm(0)!.caps.get(s);
      return c?.kind === "data" ? c.data.pageCount : -1;
    });
    assert.deepEqual(pages, [1, 2]);
    assert.equal(
      halt(`${retype(3, 70)}\n${map(70, 0x10, 0, 1, 1)}\nload_imm r7, 1\n${op(4, 70, 71)}\n${REPLY}`).value,
      WHAT,
    );
    assert.equal(halt(`${retype(3, 70)}\nload_imm r7, 0\n${op(4, 70, 71)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${retype(3, 70)}\nload_imm r7, 3\n${op(4, 70, 71)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${retype(3, 70)}\nload_imm r7, 1\n${op(4, 70, 64)}\n${REPLY}`).value, WHAT);
  });
  it("DROP empties the slot (an empty slot is a no-op); a dropped mapping faults", () => {
    const { kernel, value } = halt(`load_imm r7, 9\n${op(5, 99)}\n${op(5, 5)}\n${REPLY}`);
    assert.equal(value, 9n);
    assert.equal(kernel.vm(0)!.caps.has(5), false);
    const { exit } = halt(
      `${retype(1, 70)}\n${map(70, 0x10, 0, 1, 1)}\n${
        op(5, 70)
      }\nload_imm r1, 0x10000\nload_ind_u8 r7, r1, 0\n${REPLY}`,
    );
    assert.equal(exit.kind, "fault");
  });
  it("MOVE: into an empty slot; errors: empty source, occupied destination; same slot is a no-op", () => {
    const { kernel } = halt(`${op(6, 5, 80)}\n${REPLY}`);
    assert.deepEqual([kernel.vm(0)!.caps.has(5), kernel.vm(0)!.caps.get(80)?.kind], [false, "protocol"]);
    assert.equal(halt(`${op(6, 99, 80)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`${op(6, 5, 6)}\n${REPLY}`).value, WHAT);
    assert.equal(halt(`load_imm r7, 3\n${op(6, 5, 5)}\n${REPLY}`).value, 3n);
  });
  it("COPY: copyable caps (protocol, CODE, UNTYPED) copy; DATA does not", () => {
    const { kernel } = halt(`${op(7, 64, 90)}\n${op(7, 254, 91)}\n${op(7, 2, 92)}\n${REPLY}`);
    assert.deepEqual([90, 91, 92].map((s) => kernel.vm(0)!.caps.get(s)?.kind), ["code", "untyped", "protocol"]);
    assert.equal(halt(`${retype(1, 70)}\n${op(7, 70, 71)}\n${REPLY}`).value, WHAT);
  });
  it("removed and unknown operations (GRANT, REVOKE, DIRTY, 0x99) → WHAT", () => {
    for (const code of [8, 9, 12, 0x99]) assert.equal(halt(`${op(code, 5, 80)}\n${REPLY}`).value, WHAT);
  });
});

// The child: replies φ7 + 1 (after a first run: trap with φ7 = 7 if φ8 = 1, panic if φ8 = 2,
// loop forever if φ8 = 3, load from an unmapped page if φ8 = 4).
const CHILD = `
        branch_eq_imm r8, 1, trap_it
        branch_eq_imm r8, 2, panic_it
        branch_eq_imm r8, 3, spin
        branch_eq_imm r8, 4, fault_it
        add_imm_64 r7, r7, 1
        ecalli 0
trap_it: load_imm r7, 7
        trap
spin:   jump spin
fault_it: load_imm r1, 0x5000
        load_ind_u8 r7, r1, 0
        ecalli 0
panic_it: sbrk r1, r1`;
/** CREATE a child from CODE slot 32 (bitmask: none) into slot 80. */
const CREATE = `load_imm r7, 0\nload_imm r12, 80\necalli 32`;
/** CALL the HANDLE in slot 80 with φ7 = a, φ8 = b. */
const call = (a: number, b: number, slot = 80) =>
  `load_imm r7, ${a}\nload_imm r8, ${b}\nload_imm r12, 0\necalli ${slot}`;

describe("CREATE / CALL / REPLY and child faults", () => {
  it("CREATE returns the destination slot; CALL runs the child; REPLY gives φ7, φ8 = 0", () => {
    const { value, kernel } = halt(`${CREATE}\n${call(41, 0)}\nadd_64 r7, r7, r8\n${REPLY}`, { child: CHILD });
    assert.equal(value, 42n);
    assert.equal(kernel.vmsCreated, 2);
  });
  it("child trap → status 1 with its φ7; panic → 2 / HUH; fault → 4 / page base", () => {
    const status = (b: number) => halt(`${CREATE}\n${call(0, b)}\nmove_reg r7, r8\n${REPLY}`, { child: CHILD }).value;
    const value = (b: number) => halt(`${CREATE}\n${call(0, b)}\n${REPLY}`, { child: CHILD }).value;
    assert.deepEqual([status(1), value(1)], [1n, 7n]);
    assert.deepEqual([status(2), value(2)], [2n, HUH]);
    assert.deepEqual([status(4), value(4)], [4n, 0x5000n]);
  });
  it("SET_MAX_GAS bounds the child; its OOG → status 3 / LOW and it returns 0 gas (§14.8, §14.19)", () => {
    const setMax = `load_imm r7, 5000\n${op(0x0b, 80)}`;
    const { value, kernel } = halt(`${CREATE}\n${setMax}\n${call(0, 3)}\nmove_reg r7, r8\n${REPLY}`, { child: CHILD });
    assert.equal(value, 3n);
    assert.equal(kernel.gasUsed > 5000n && kernel.gasUsed < 6000n, true, `${kernel.gasUsed}`);
    assert.equal(kernel.vm(1)!.machine.gas, 0);
    assert.equal(kernel.vm(1)!.state, "faulted");
    assert.equal(halt(`${CREATE}\n${setMax}\n${call(0, 3)}\n${REPLY}`, { child: CHILD }).value, LOW);
  });
  it("CALL of a faulted child → WHAT; RESUME re-runs it (trap again → status 1)", () => {
    const src = `${CREATE}\n${call(0, 1)}\nload_imm r8, 99\n${call(0, 0)}\n${op(0x0d, 80)}\nmove_reg r7, r8\n${REPLY}`;
    assert.equal(halt(src, { child: CHILD }).value, 1n);
    const again = `${CREATE}\n${call(0, 1)}\n${call(0, 0)}\n${REPLY}`;
    assert.equal(halt(again, { child: CHILD }).value, WHAT);
  });
  it("RESUME: only a local HANDLE of a faulted VM", () => {
    assert.equal(halt(`${CREATE}\n${op(0x0d, 80)}\n${REPLY}`, { child: CHILD }).value, WHAT); // idle
    assert.equal(halt(`${op(0x0d, 5)}\n${REPLY}`).value, WHAT); // protocol cap
  });
  it("a child is a coroutine: the second CALL continues after its REPLY", () => {
    const child = "add_imm_64 r7, r7, 1\necalli 0\nadd_imm_64 r7, r7, 100\necalli 0";
    assert.equal(halt(`${CREATE}\n${call(1, 0)}\n${call(1, 0)}\n${REPLY}`, { child }).value, 101n);
  });
  it("DOWNGRADE makes a CALLABLE that calls the same VM; DROP of the HANDLE destroys it (stale → WHAT)", () => {
    const src = `${CREATE}\n${op(0x0a, 80, 81)}\n${call(1, 0, 81)}\n${REPLY}`;
    assert.equal(halt(src, { child: CHILD }).value, 2n);
    const dropped = `${CREATE}\n${op(0x0a, 80, 81)}\n${op(5, 80)}\n${call(1, 0, 81)}\n${REPLY}`;
    const { value, kernel } = halt(dropped, { child: CHILD });
    assert.equal(value, WHAT);
    assert.equal(kernel.liveVms, 1);
  });
  it("CREATE copies the bitmask's caps; a non-copyable cap under the bitmask fails it (§14.11)", () => {
    const src = `load_imm_64 r7, ${2 ** 5 + 2 ** 32}\nload_imm r12, 80\necalli 32\n${REPLY}`;
    const { kernel } = halt(src, { child: CHILD });
    assert.deepEqual([...kernel.vm(1)!.caps.keys()].sort((a, b) => a - b), [5, 32]);
    const bad = `${retype(1, 40)}\nload_imm_64 r7, ${2 ** 40 + 2 ** 32}\nload_imm r12, 80\necalli 32\n${REPLY}`;
    assert.equal(halt(bad, { child: CHILD }).value, WHAT);
  });
  it("an IPC DATA cap travels to the child's slot 0 unmapped and comes back mapped", () => {
    const child = `${map(0, 0x10, 0, 1, 1)}\nload_imm r1, 0x10000\nload_ind_u32 r7, r1, 0\nadd_imm_64 r7, r7, 1\n` +
      `store_ind_u32 r7, r1, 0\nload_imm r7, 0\nload_imm r8, 1\n${op(3, 0)}\necalli 0`;
    const src = `${retype(1, 70)}\n${map(70, 0x10, 0, 1, 1)}\nload_imm r1, 0x10000\nstore_imm_ind_u32 r1, 0, 41\n` +
      `${CREATE}\nload_imm r12, 70\necalli 80\nload_imm r1, 0x10000\nload_ind_u32 r7, r1, 0\n${REPLY}`;
    assert.equal(halt(src, { child }).value, 42n);
  });
  it("MOVE of DATA into a child's table clears its base (§14.17): the child maps it anywhere", () => {
    const child = `${map(5, 0x30, 0, 1, 1)}\nload_imm r1, 0x30000\nload_ind_u32 r7, r1, 0\necalli 0`;
    const src = `${retype(1, 70)}\n${map(70, 0x10, 0, 1, 1)}\nload_imm r1, 0x10000\nstore_imm_ind_u32 r1, 0, 8\n` +
      `${CREATE}\nload_imm r11, 6\n${refs(70, 80 * 256 + 5)}\necall\n${call(0, 0)}\n${REPLY}`;
    assert.equal(halt(src, { child }).value, 8n);
  });
  it("references through a HANDLE of a running VM do not resolve; a remote CALL of a HANDLE → WHAT (§14.16)", () => {
    const remote = `${CREATE}\n${op(0x07, 64, 80 * 256 + 90)}\nload_imm r11, 0\n${
      refs(80 * 256 + 90, 0)
    }\necall\n${REPLY}`;
    assert.equal(halt(remote, { child: CHILD }).value, WHAT);
  });
});

describe("§14 choices", () => {
  it("1: ecalli above 127 panics the VM", () => {
    assert.equal(halt(`ecalli 128\n${REPLY}`).exit.kind, "panic");
  });
  it("2: a fee that cannot be paid is out of gas, gas 0", () => {
    // one block: load_imm (1) + ecalli (100, 4 slots) costs 98, then the fee of 10
    const { exit } = halt(`load_imm r7, 1\necalli 5\n${REPLY}`, {}, 100n);
    assert.deepEqual(exit, { kind: "oog", gas: 0n });
  });
  it("3/4: jumps to a position that starts no gas block panic", () => {
    assert.equal(halt(`load_imm r7, 1\nmid: load_imm r7, 2\njump mid\n`).exit.kind, "panic");
  });
  it("5: an invalid opcode mid-block panics when reached; its (1 cycle, 1 slot) entry still counts in the block", () => {
    // block [load_imm, invalid 4, ecalli]: slots 1, 2, then ecalli decodes in cycle 0 → done 100 → 97
    const { exit } = halt(`load_imm r7, 1\n.raw 0x04\necalli 0`, {}, 1000n);
    assert.deepEqual(exit, { kind: "panic", gas: 1000n - 97n });
  });
  it("6: ecall ends its gas block (the next block is charged on its own)", () => {
    const a = halt(`${op(5, 99)}\n${REPLY}`).kernel.gasUsed;
    const b = halt(`${op(5, 99)}\nfallthrough\n${REPLY}`).kernel.gasUsed;
    assert.equal(b - a, 1n); // a block of one fallthrough: 2 cycles → cost 1
  });
  it("7: unlikely costs 40 cycles and ends its block", () => {
    const a = halt(`unlikely\n${REPLY}`).kernel.gasUsed;
    assert.equal(a, 37n + 97n + 10n); // [unlikely] 40 − 3, [ecalli] 100 − 3, fee
  });
  it("10: CALL on a DATA cap → WHAT", () => {
    assert.equal(halt(`${retype(1, 70)}\nload_imm r12, 0\necalli 70\n${REPLY}`).value, WHAT);
  });
  it("12: GAS answers φ7 = gas left and leaves φ8 alone", () => {
    const kernel = Kernel.create(jarOf(`load_imm r8, 77\necalli 1\nadd_64 r7, r7, r8\n${REPLY}`), { gas: 10_000n });
    const exit = runKernelWithHost(kernel, kernelRegistry());
    // block [load_imm, ecalli]: 1 slot used when ecalli decodes (cycle 0), done 100 → 97; fee 10
    assert.deepEqual(exit.kind === "halt" && exit.value, 10_000n - 97n - 10n + 77n);
  });
  it("13: with empty args φ8 is the slot-0 cap's base; φ9 = 0", () => {
    const caps = [{ slot: 0, kind: "data" as const, basePage: 7, pageCount: 1, access: "rw" as const }];
    assert.equal(halt(`move_reg r7, r8\n${REPLY}`, { caps }).value, 7n * 4096n);
    const args = new Uint8Array([5, 6]);
    const { exit } = runBoth(jarOf(`load_ind_u8 r7, r8, 1\nadd_64 r7, r7, r9\n${REPLY}`, { memoryPages: 1, caps }), {
      gas: 10_000n,
      args,
    });
    assert.equal(exit.kind === "halt" && exit.value, 8n);
  });
});

describe("VM memories: residency bound", () => {
  it("ten children with a mapped page each keep at most 3 memories resident; contents survive swapping", () => {
    // Child: map its slot-5 DATA cap at 0x10000, store φ7 there, reply φ7 + 1; when called
    // again, reply what it stored (read back after being swapped out in between).
    const child = `move_reg r6, r7\n${map(5, 0x10, 0, 1, 1)}\nload_imm r1, 0x10000\nstore_ind_u64 r6, r1, 0\n` +
      `add_imm_64 r7, r6, 1\necalli 0\nload_imm r1, 0x10000\nload_ind_u64 r7, r1, 0\necalli 0`;
    const lines = ["load_imm r6, 0"];
    for (let i = 0; i < 10; i++) {
      lines.push(retype(1, 70), `load_imm r7, 0\nload_imm r12, ${100 + i}\necalli 32`);
      lines.push(`load_imm r11, 6\n${refs(70, (100 + i) * 256 + 5)}\necall`);
      lines.push(call(i, 0, 100 + i), "add_64 r6, r6, r7");
    }
    for (let i = 0; i < 10; i++) lines.push(call(0, 0, 100 + i), "add_64 r6, r6, r7");
    lines.push("move_reg r7, r6", REPLY);
    const blob = jarOf(lines.join("\n"), { child, memoryPages: 64 });
    for (const backend of ["interpreter", "recompiler"] as const) {
      const kernel = Kernel.create(blob, { gas: 10_000_000n, backend, maxResidentMemories: 3 });
      const exit = kernel.run();
      assert.deepEqual(exit.kind === "halt" && exit.value, 55n + 45n);
      assert.ok(kernel.residency.size <= 3, `${kernel.residency.size} resident`);
      kernel.dispose();
    }
  });
});

describe("invocation limits", () => {
  it("memory_pages above the limit, gas below the init page fee, arguments longer than the slot-0 cap: KernelError", () => {
    const big = jarOf(REPLY, { memoryPages: (1 << 16) + 1 });
    assert.throws(
      () => Kernel.create(big, { gas: 1000n }),
      (e: unknown) => e instanceof KernelError && /exceeds the limit/.test(e.message),
    );
    assert.equal(Kernel.create(big, { gas: 1000n, maxMemoryPages: 1 << 20 }).run().kind, "halt");
    const caps = [{ slot: 0, kind: "data" as const, basePage: 0, pageCount: 2, access: "rw" as const }];
    const paged = jarOf(REPLY, { memoryPages: 2, caps });
    assert.throws(
      () => Kernel.create(paged, { gas: 2999n }),
      (e: unknown) => e instanceof KernelError && /init page fee 3000/.test(e.message),
    );
    assert.throws(() => Kernel.create(paged, { gas: 9999n, args: new Uint8Array(8193) }), KernelError);
    assert.throws(() => Kernel.create(paged, { gas: 2n ** 53n }), RangeError);
  });
});
