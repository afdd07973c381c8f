// The CLI's on-disk cache of emitted Wasm (PVMKIT_WASM_CACHE): the first recompiled run
// stores the module under its cache key, a later run reuses it with the same result.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { captureIo, main } from "../src/cli/main.ts";
import { clearCompiledCache } from "../src/recompiler/runtime.ts";

describe("PVMKIT_WASM_CACHE", () => {
  it("stores emitted Wasm on disk and reuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvmkit-wasm-cache-"));
    const previous = process.env.PVMKIT_WASM_CACHE;
    process.env.PVMKIT_WASM_CACHE = dir;
    try {
      const run = async () => {
        clearCompiledCache(); // forget in-process modules, so only the disk can help
        const io = captureIo();
        const code = await main(["run", "examples/fibonacci.pvmasm", "--regs", "7=30", "--backend", "recompiler"], io);
        assert.equal(code, 0, io.err());
        return io.out();
      };
      const first = await run();
      assert.match(first, /832040/);
      const files = readdirSync(dir).filter((f) => f.endsWith(".wasm"));
      assert.equal(files.length, 1, "one module stored");
      assert.equal(await run(), first);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".wasm")), files, "reused, not written again");
    } finally {
      if (previous === undefined) delete process.env.PVMKIT_WASM_CACHE;
      else process.env.PVMKIT_WASM_CACHE = previous;
      await main(["--version"], captureIo()); // resets the store from the environment
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
