// Resource limits: each one triggers its documented outcome, a deadline stops runs at
// block boundaries without changing the result, and a hostile allocator cannot push RSS
// past its page budget plus a constant.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { assemble, type Exit, LimitError, Module, Runtime } from "../mod.ts";
import { readBytes, sharedPath } from "./_shared.ts";

const handmade = sharedPath("programs", "handmade");

/** Grows the heap 64 KiB at a time (touching every page) until sbrk refuses. */
const ALLOCATOR = `
        load_imm r1, 65536
        fallthrough
grow:   sbrk r2, r1                  ; r2 = old heap end, or 0 when refused
        branch_eq_imm r2, 0, done
        load_imm r3, 16
        fallthrough
touch:  store_imm_ind_u8 r2, 0, 1    ; write one byte on each new page
        add_imm_64 r2, r2, 4096
        add_imm_64 r3, r3, -1
        branch_ne_imm r3, 0, touch
        add_imm_64 r4, r4, 1         ; count successful grows
        jump grow
done:   trap
`;

function rss(): number {
  return process.memoryUsage().rss;
}

describe("limits", () => {
  const tiny = new Uint8Array([0, 0, 3, 51, 7, 42, 0b001]); // load_imm r7, 42

  it("maxCodeBytes refuses a larger program at load", () => {
    assert.throws(
      () => Module.load(tiny, { limits: { maxCodeBytes: 2 } }),
      (e: unknown) => e instanceof LimitError && e.limit === "maxCodeBytes" && e.requested === 3,
    );
    assert.equal(Module.load(tiny, { limits: { maxCodeBytes: 3 } }).blob.code.length, 3);
  });

  it("maxGas refuses more gas at instantiation and through the setter", () => {
    const mod = Module.load(tiny, { limits: { maxGas: 100n } });
    assert.throws(() => mod.instantiate({ gas: 101n }), LimitError);
    const vm = mod.instantiate({ gas: 100n });
    assert.throws(() => (vm.gas = 1000n), LimitError);
  });

  it("maxMemoryPages refuses an initial layout that maps more", () => {
    const mod = Module.load(tiny);
    assert.throws(
      () =>
        mod.instantiate({
          limits: { maxMemoryPages: 3 },
          memory: [{ address: 0x20000, length: 4 * 4096, access: "write" }],
        }),
      (e: unknown) => e instanceof LimitError && e.limit === "maxMemoryPages" && e.requested === 4,
    );
  });

  for (const backend of ["interpreter", "recompiler"] as const) {
    it(`maxMemoryPages makes a guest sbrk fail once the budget is used (${backend})`, () => {
      const mod = Module.load(assemble(ALLOCATOR));
      const vm = mod.instantiate({ gas: 10_000_000n, backend, limits: { maxMemoryPages: 100 } });
      const exit = vm.run();
      assert.equal(exit.kind, "panic");
      // 16 pages per grow: 6 grows fit in 100 pages, the 7th (112) is refused.
      assert.equal(vm.getRegister(4), 6n);
      assert.ok(vm.memory.pageCount <= 100);
    });
  }

  it("a hostile allocator stays within its page budget in RSS (+ a constant)", () => {
    const budgetPages = 8192; // 32 MiB
    const before = rss();
    const vm = Module.load(assemble(ALLOCATOR)).instantiate({
      gas: 100_000_000n,
      backend: "recompiler",
      limits: { maxMemoryPages: budgetPages },
    });
    assert.equal(vm.run().kind, "panic");
    const grown = rss() - before;
    // The budget, plus 64 MiB for the permission map, compiled code and the runtime's own heap.
    const constant = 64 << 20;
    assert.ok(grown <= budgetPages * 4096 + constant, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    assert.equal(vm.getRegister(4), BigInt(Math.floor(budgetPages / 16)));
  });

  it("maxWasmBytes: the recompiler refuses, auto stays on the interpreter", () => {
    const bytes = assemble(ALLOCATOR);
    const limits = { maxWasmBytes: 100, maxMemoryPages: 64 };
    const strict = Module.load(bytes).instantiate({ gas: 1_000_000n, backend: "recompiler", limits });
    assert.throws(() => strict.run(), (e: unknown) => e instanceof LimitError && e.limit === "maxWasmBytes");
    const auto = Module.load(bytes).instantiate({ gas: 1_000_000n, backend: "auto", limits });
    assert.equal(auto.run().kind, "panic");
    assert.equal(auto.tier, "interpreter");
  });

  it("maxLiveInstances counts instances until they are disposed", () => {
    const rt = new Runtime({ limits: { maxLiveInstances: 2 } });
    const mod = rt.load(tiny);
    const a = rt.instantiate(mod);
    rt.instantiate(mod);
    assert.throws(() => rt.instantiate(mod), (e: unknown) => e instanceof LimitError && e.limit === "maxLiveInstances");
    a.dispose();
    a.dispose(); // harmless twice
    assert.equal(rt.stats.liveInstances, 1);
    rt.instantiate(mod);
    assert.throws(() => a.run(), TypeError);
  });

  it("the runtime's program cache is content-addressed and bounded", () => {
    const rt = new Runtime({ cacheBytes: 1 << 20 });
    const first = rt.load(tiny);
    assert.equal(rt.load(new Uint8Array(tiny)), first, "same bytes, same module");
    assert.notEqual(rt.load(tiny, { gasModel: "pipeline" }), first, "options are part of the key");
    assert.equal(rt.stats.hits, 1);
    const small = new Runtime({ cacheBytes: 0 });
    assert.notEqual(small.load(tiny), small.load(tiny), "a zero budget caches nothing");
  });

  for (const backend of ["interpreter", "recompiler", "auto"] as const) {
    it(`a deadline stops at block boundaries and resuming gives the exact result (${backend})`, {
      skip: !handmade,
    }, () => {
      const bytes = readBytes(join(handmade!, "xorshift-n5555555.pvm")); // 50,000,001 instructions
      const vm = Module.load(bytes).instantiate({ gas: 60_000_000n, backend, limits: { deadlineMs: 1 } });
      let exit: Exit = vm.run();
      let stops = 0;
      while (exit.kind === "limit") {
        stops++;
        exit = vm.run();
      }
      assert.ok(stops > 0, "the deadline was hit");
      assert.deepEqual(exit, { kind: "halt", pc: 59, gas: 60_000_000n - 50_000_001n });
      assert.equal(vm.getRegister(10), 0xce63ee949baa17b2n);
    });
  }
});
