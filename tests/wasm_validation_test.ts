// Every module the recompiler emits must validate: checked with wabt (independent of the
// engines) for all W3F vector programs and every real program blob in ../shared.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Module } from "../src/engine.ts";
import { ProgramError } from "../src/program/errors.ts";
import { translate } from "../src/recompiler/translate.ts";
import { listFiles, readBytes, readJsonExact, sharedPath } from "./_shared.ts";
import { validateWasm, wabtSkipReason } from "./_wabt.ts";

const vectors = sharedPath("vectors", "pvm", "w3f-v0.4", "programs");
const programs = sharedPath("programs");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  }).sort();
}

describe("emitted Wasm validates with wabt", { skip: wabtSkipReason }, () => {
  it("for all 307 W3F vector programs", { skip: vectors ? false : "vectors absent" }, () => {
    const files = listFiles(vectors!, ".json");
    assert.equal(files.length, 307);
    for (const file of files) {
      const v = readJsonExact(join(vectors!, file)) as { program: number[] };
      const t = translate(Module.load(new Uint8Array(v.program), { format: "generic" }).decoded, { rotation: 0 });
      assert.doesNotThrow(() => validateWasm(t.bytes), file);
    }
  });

  const blobs = programs ? walk(programs).filter((f) => /\.(pvm|jam)$/.test(f)) : [];
  for (const file of blobs) {
    it(`for ${file.slice(programs!.length + 1)}`, () => {
      let mod: Module;
      try {
        mod = Module.load(readBytes(file));
      } catch (error) {
        // .polkavm containers (some named .jam) and raw code snippets are not our formats.
        assert.ok(error instanceof ProgramError, String(error));
        return;
      }
      const t = translate(mod.decoded, { rotation: 0x1234000 });
      validateWasm(t.bytes);
      assert.ok(WebAssembly.validate(t.bytes as Uint8Array<ArrayBuffer>));
    });
  }
});
