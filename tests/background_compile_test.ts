// Background compilation: a module that gets hot is compiled off the current run, and
// later auto instances start on the compiled code.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assemble, AUTO_HOT_MODULE_INSTRUCTIONS, clearCompiledCache, Module, setWasmStore } from "../mod.ts";

/** Counts r7 down from 100,000 (about 300,000 instructions per run). */
const LOOP = `
        load_imm r7, 100000
        fallthrough
loop:   add_imm_64 r8, r8, 3
        add_imm_64 r7, r7, -1
        branch_ne_imm r7, 0, loop
        trap
`;

describe("background compilation", () => {
  it("precompile() fills the cache that compiled() then uses", async () => {
    const mod = Module.load(assemble(LOOP));
    const rotation = mod.instantiate().memory.rotation;
    const code = await mod.precompile(rotation);
    assert.equal(mod.compiled(rotation), code);
  });

  it("a hot module's later instances switch to compiled code early, with identical results", async () => {
    const mod = Module.load(assemble(LOOP));
    const runOnce = () => {
      const vm = mod.instantiate({ gas: 1_000_000n, backend: "auto" });
      const tier = vm.tier;
      const exit = vm.run();
      return { tier, ended: vm.tier, exit, r8: vm.getRegister(8) };
    };
    const first = runOnce();
    assert.equal(first.tier, "interpreter");
    assert.equal(first.ended, "interpreter", "300,000 instructions stay below the first tier-up");
    let runs = 1;
    while (mod.interpreted < AUTO_HOT_MODULE_INSTRUCTIONS) (runOnce(), runs++);
    assert.ok(mod.precompiling, "a background compile was started halfway to hot");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = runOnce();
    assert.equal(later.ended, "recompiler", `after ${runs} runs the module is hot: it switches early`);
    assert.deepEqual(later.exit, first.exit);
    assert.equal(later.r8, 300000n);
  });

  it("a Wasm store keeps emitted code for the next compile (the CLI's disk cache)", () => {
    const stored = new Map<string, Uint8Array>();
    let reads = 0;
    setWasmStore({ get: (k) => (reads++, stored.get(k)), set: (k, b) => void stored.set(k, b) });
    clearCompiledCache(); // start without in-process modules from the tests above
    try {
      const bytes = assemble(LOOP);
      const run = () => {
        const vm = Module.load(bytes).instantiate({ gas: 1_000_000n, backend: "recompiler" });
        return { exit: vm.run(), r8: vm.getRegister(8) };
      };
      const first = run();
      assert.equal(stored.size, 1);
      clearCompiledCache(); // forget in-process modules: the next compile must use the store
      const second = run();
      assert.deepEqual(second, first);
      assert.ok(reads >= 2);
      assert.equal(stored.size, 1, "nothing emitted again");
    } finally {
      setWasmStore(undefined);
    }
  });
});
