// The §9.3 protocol-call ABI ([R] variant: operands are (DATA-cap slot in φ12, offset)
// pairs) answered by jarProtocolRegistry over a JarServiceState: FETCH, STORAGE_R,
// STORAGE_W, CHECKPOINT, OUTPUT, success and error paths, on both backends (and with one
// resident memory, so the host reads caps of swapped VMs). Expected bytes and lengths are
// written out by hand from the calls' definitions.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jarOf } from "./_kernel.ts";
import { Kernel, type KernelExit } from "../src/kernel/kernel.ts";
import { runKernelWithHost } from "../src/kernel/host.ts";
import { jarProtocolRegistry, type JarServiceOptions, JarServiceState } from "../src/kernel/protocol.ts";
import type { JarCapSpec } from "../src/program/jar.ts";

const NONE = (1n << 64n) - 1n, WHAT = (1n << 64n) - 2n, OOB = (1n << 64n) - 3n, FULL = (1n << 64n) - 5n;
/** The service's memory: the args cap (slot 0), one RW page at 0x10000. */
const ARGS: JarCapSpec = { slot: 0, kind: "data", basePage: 0x10, pageCount: 1, access: "rw" };
const BASE = 0x10000;

interface Run {
  exit: KernelExit;
  kernel: Kernel;
  state: JarServiceState;
  /** Register i of VM 0 at the end. */
  reg: (i: number) => bigint;
  /** Bytes of VM 0's memory. */
  bytes: (address: number, length: number) => number[];
}

/** Run `source` (VM 0; `child` at slot 32) on both backends with a fresh state each; all must agree. */
function service(source: string, options: JarServiceOptions = {}, extra: { child?: string; args?: Uint8Array } = {}) {
  const blob = jarOf(source, { memoryPages: 8, caps: [ARGS], child: extra.child });
  const variants = [{ backend: "interpreter" }, { backend: "recompiler" }, {
    backend: "recompiler",
    maxResidentMemories: 1,
  }] as const;
  const runs: Run[] = variants.map((variant) => {
    const state = new JarServiceState(options);
    const kernel = Kernel.create(blob, { gas: 1_000_000n, args: extra.args, ...variant });
    const exit = runKernelWithHost(kernel, jarProtocolRegistry(state));
    const vm = kernel.vm(0)!;
    kernel.residency.touch(vm);
    return {
      exit,
      kernel,
      state,
      reg: (i) => vm.reg(i),
      bytes: (address, length) => [...vm.memory!.read(address, length, { ignoreAccess: true })],
    };
  });
  for (const run of runs.slice(1)) {
    assert.deepEqual(run.exit, runs[0].exit, "backends agree on the exit");
    assert.deepEqual(run.state.entries(), runs[0].state.entries(), "backends agree on storage");
    assert.deepEqual(run.state.output, runs[0].state.output);
    for (let i = 0; i < 13; i++) assert.equal(run.reg(i), runs[0].reg(i), `φ${i}`);
    run.kernel.dispose();
  }
  assert.equal(runs[0].exit.kind, "halt", JSON.stringify(runs[0].exit, (_, v) => typeof v === "bigint" ? `${v}` : v));
  return runs[0];
}

/** Set registers φ7..φ10 and φ12, then call protocol cap `id`. */
const call = (
  id: number,
  r7: number | bigint,
  r8: number | bigint,
  r9: number | bigint,
  r10: number | bigint,
  r12: number | bigint = 0,
) =>
  `load_imm_64 r7, ${r7}\nload_imm_64 r8, ${r8}\nload_imm_64 r9, ${r9}\nload_imm_64 r10, ${r10}\nload_imm_64 r12, ${r12}\necalli ${id}`;
/** Store bytes at an offset of the args page (r1 = its base). */
const put = (offset: number, bytes: number[]) =>
  [`load_imm r1, ${BASE}`, ...bytes.map((b, i) => `store_imm_ind_u8 r1, ${offset + i}, ${b}`)].join("\n");
/** Keep φ7 and φ8 of the last call in r2+2k, r3+2k … (k = 0..2: r2/r3, r4/r5, r6/r11). */
const keep = (k: number) =>
  [`move_reg r2, r7\nmove_reg r3, r8`, `move_reg r4, r7\nmove_reg r5, r8`, `move_reg r6, r7\nmove_reg r11, r8`][k];
const END = "ecalli 0";

describe("FETCH (2): φ7 mode, φ8 index, φ9 out offset, φ10 max, φ12 slot", () => {
  const fetch = {
    constants: new Uint8Array([0xc0, 0xc1]),
    entropy: new Uint8Array(32).fill(0xee),
    accumulateInputs: [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])],
  };
  it("mode 15 writes input #φ8 at the offset: φ7 = its length, φ8 = 0", () => {
    const r = service(`${call(2, 15, 1, 8, 100)}\n${keep(0)}\n${END}`, { fetch });
    assert.deepEqual([r.reg(2), r.reg(3)], [4n, 0n]);
    assert.deepEqual(r.bytes(BASE + 8, 5), [4, 5, 6, 7, 0]);
  });
  it("truncates to φ10 but answers the full length", () => {
    const r = service(`${put(0, [0xff, 0xff, 0xff])}\n${call(2, 15, 1, 0, 2)}\n${keep(0)}\n${END}`, { fetch });
    assert.equal(r.reg(2), 4n);
    assert.deepEqual(r.bytes(BASE, 3), [4, 5, 0xff]);
  });
  it("mode 14: the count, then the inputs; mode 0: constants; mode 1: entropy", () => {
    const r = service(
      `${call(2, 14, 0, 0, 100)}\n${keep(0)}\n${call(2, 0, 0, 64, 100)}\n${keep(1)}\n${call(2, 1, 0, 128, 100)}\n${
        keep(2)
      }\n${END}`,
      { fetch },
    );
    assert.deepEqual([r.reg(2), r.reg(4), r.reg(6)], [8n, 2n, 32n]);
    assert.deepEqual(r.bytes(BASE, 8), [2, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(r.bytes(BASE + 64, 2), [0xc0, 0xc1]);
    assert.deepEqual(r.bytes(BASE + 128, 32), new Array(32).fill(0xee));
  });
  it("NONE: an index past the inputs, a mode outside accumulate's, a blob the host lacks", () => {
    const r = service(
      `${call(2, 15, 2, 0, 100)}\n${keep(0)}\n${call(2, 7, 0, 0, 100)}\n${keep(1)}\n${call(2, 0, 0, 0, 9)}\n${
        keep(2)
      }\n${END}`,
    );
    assert.deepEqual([r.reg(2), r.reg(3), r.reg(4), r.reg(6)], [NONE, 0n, NONE, NONE]);
  });
  it("OOB, nothing written: output past the cap, a slot without a DATA cap, a slot above 255", () => {
    const r = service(
      `${call(2, 15, 0, 4094, 100)}\n${keep(0)}\n${call(2, 15, 0, 0, 100, 64)}\n${keep(1)}\n${
        call(2, 15, 0, 0, 100, 256)
      }\n${keep(2)}\n${END}`,
      { fetch },
    );
    assert.deepEqual([r.reg(2), r.reg(4), r.reg(6)], [OOB, OOB, OOB]);
    assert.deepEqual(r.bytes(BASE + 4094, 2), [0, 0]);
    assert.deepEqual(r.bytes(BASE, 3), [0, 0, 0]);
  });
});

describe("STORAGE_W (5) / STORAGE_R (4)", () => {
  const KEY = [0x6b, 0x31]; // "k1" at offset 0
  const setup = `${put(0, KEY)}\n${put(16, [9, 8, 7])}`;
  it("write: φ7 = NONE for a new key, the previous length after; read: the value and its length", () => {
    const r = service(
      `${setup}\n${call(5, 0, 2, 16, 3)}\n${keep(0)}\n${call(5, 0, 2, 17, 2)}\n${keep(1)}\n${call(4, 0, 2, 32, 10)}\n${
        keep(2)
      }\n${END}`,
    );
    assert.deepEqual([r.reg(2), r.reg(3), r.reg(4), r.reg(6), r.reg(11)], [NONE, 0n, 3n, 2n, 0n]);
    assert.deepEqual(r.bytes(BASE + 32, 3), [8, 7, 0]);
    assert.deepEqual(r.state.entries(), [[new Uint8Array(KEY), new Uint8Array([8, 7])]]);
  });
  it("read: initial storage, truncated to φ10; an absent key → NONE", () => {
    const storage = [[new Uint8Array(KEY), new Uint8Array([1, 2, 3, 4])]] as const;
    const r = service(`${setup}\n${call(4, 0, 2, 32, 2)}\n${keep(0)}\n${call(4, 0, 1, 32, 2)}\n${keep(1)}\n${END}`, {
      storage,
    });
    assert.deepEqual([r.reg(2), r.reg(4)], [4n, NONE]);
    assert.deepEqual(r.bytes(BASE + 32, 3), [1, 2, 0]);
  });
  it("a value of length 0 deletes: φ7 = the previous length, storage empty", () => {
    const storage = [[new Uint8Array(KEY), new Uint8Array([5, 5])]] as const;
    const r = service(`${setup}\n${call(5, 0, 2, 16, 0)}\n${keep(0)}\n${call(4, 0, 2, 32, 8)}\n${keep(1)}\n${END}`, {
      storage,
    });
    assert.deepEqual([r.reg(2), r.reg(4)], [2n, NONE]);
    assert.equal(r.state.size, 0);
  });
  it("OOB, storage unchanged: key or value past the cap, no DATA cap in the slot, read output past the cap", () => {
    const storage = [[new Uint8Array(KEY), new Uint8Array([5])]] as const;
    const r = service(
      `${setup}\n${call(5, 4095, 2, 16, 3)}\n${keep(0)}\n${call(5, 0, 2, 16, 2n ** 63n)}\n${keep(1)}\n` +
        `${call(5, 0, 2, 16, 3, 65)}\n${keep(2)}\n${call(4, 0, 2, 4096, 8)}\n${END}`,
      { storage },
    );
    assert.deepEqual([r.reg(2), r.reg(4), r.reg(6), r.reg(7)], [OOB, OOB, OOB, OOB]);
    assert.deepEqual(r.state.entries(), [[new Uint8Array(KEY), new Uint8Array([5])]]);
  });
  it("FULL past the storage limit, storage unchanged; a smaller value still fits", () => {
    const r = service(`${setup}\n${call(5, 0, 2, 16, 3)}\n${keep(0)}\n${call(5, 0, 2, 16, 1)}\n${keep(1)}\n${END}`, {
      maxStorageBytes: 4,
    });
    assert.deepEqual([r.reg(2), r.reg(4)], [FULL, NONE]);
    assert.equal(r.state.storageBytes, 3);
  });
  it("operands in a DATA cap that is not mapped (RETYPEd): the host reads and writes its pages", () => {
    // RETYPE 1 page into slot 70; the key "k1" and the read's output both live in it; then
    // MAP it at 0x20000 and load what the host wrote.
    const src = `load_imm r7, 1\nload_imm r11, 0\nload_imm_64 r12, ${(254n << 32n) | 70n}\necall\n` +
      `${call(4, 0, 2, 100, 8, 70)}\n${keep(0)}\n` + // key = two zero bytes
      `load_imm r7, 0x20\nload_imm r8, 0\nload_imm r9, 1\nload_imm r10, 1\nload_imm r11, 2\nload_imm_64 r12, ${
        70n << 32n
      }\necall\n` +
      `load_imm r1, 0x20000\nload_ind_u32 r4, r1, 100\n${END}`;
    const r = service(src, { storage: [[new Uint8Array([0, 0]), new Uint8Array([0xa, 0xb, 0xc])]] });
    assert.deepEqual([r.reg(2), r.reg(4)], [3n, 0x0c0b0an]);
  });
});

describe("CHECKPOINT (18), OUTPUT (26), other ids", () => {
  it("CHECKPOINT: φ7 = 0, φ8 = 0; the saved storage does not follow later writes", () => {
    const r = service(
      `${put(0, [1])}\n${put(8, [2])}\n${call(5, 0, 1, 8, 1)}\nload_imm r8, 9\necalli 18\n${keep(0)}\n` +
        `${put(8, [3])}\n${call(5, 0, 1, 8, 1)}\n${END}`,
    );
    assert.deepEqual([r.reg(2), r.reg(3)], [0n, 0n]);
    assert.deepEqual(r.state.checkpoint, [[new Uint8Array([1]), new Uint8Array([2])]]);
    assert.deepEqual(r.state.get(new Uint8Array([1])), new Uint8Array([3]));
  });
  it("OUTPUT: the 32 bytes at φ7 of slot φ12 become the output hash; past the cap → OOB", () => {
    const hash = Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const r = service(
      `${put(40, hash)}\n${call(26, 40, 0, 0, 0)}\n${keep(0)}\n${call(26, 4065, 0, 0, 0)}\n${keep(1)}\n${END}`,
    );
    assert.deepEqual([r.reg(2), r.reg(3), r.reg(4)], [0n, 0n, OOB]);
    assert.deepEqual(r.state.output, new Uint8Array(hash));
  });
  it("protocol ids without a handler answer WHAT", () => {
    for (const id of [3, 6, 9, 21, 28]) {
      const r = service(`${call(id, 0, 0, 0, 0)}\n${keep(0)}\n${END}`);
      assert.equal(r.reg(2), WHAT, `id ${id}`);
    }
  });
  it("GAS (1) answers the gas left and keeps φ8; the invocation's arguments are still at φ8/φ9", () => {
    const r = service(`load_imm r8, 5\necalli 1\n${keep(0)}\nmove_reg r7, r9\n${END}`, {}, {
      args: new Uint8Array([1, 2]),
    });
    assert.equal(r.reg(3), 5n);
    assert.ok(r.reg(2) > 0n && r.reg(2) < 1_000_000n);
    assert.equal(r.exit.kind === "halt" && r.exit.value, 2n);
  });
});

describe("protocol calls from a child VM", () => {
  it("use the child's own DATA caps (its slot 0 is the IPC cap it was passed)", () => {
    // The root passes a RETYPEd, unmapped 1-page DATA cap (slot 70) as the IPC cap; the child
    // (with protocol cap 5 copied by the CREATE bitmask) writes key [0,0] → value [0,0,0] from
    // its slot 0; the cap comes back to slot 70 on REPLY.
    const child = `${call(5, 0, 2, 2, 3, 0)}\necalli 0`;
    const root = `load_imm r7, 1\nload_imm r11, 0\nload_imm_64 r12, ${(254n << 32n) | 70n}\necall\n` +
      `load_imm r7, ${1 << 5}\nload_imm r12, 80\necalli 32\nload_imm r12, 70\necalli 80\n${keep(0)}\n${END}`;
    const r = service(root, {}, { child });
    assert.equal(r.reg(2), NONE);
    assert.deepEqual(r.state.entries(), [[new Uint8Array([0, 0]), new Uint8Array([0, 0, 0])]]);
    assert.equal(r.kernel.vm(0)!.caps.get(70)?.kind, "data");
  });
});
