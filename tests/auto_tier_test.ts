// The auto backend switches from the interpreter to compiled code mid-run, at a block
// boundary, without changing any result: checked on every W3F vector and every anan-as
// trace with a tiny tier-up threshold, so the switch happens inside the program.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Module } from "../mod.ts";
import { parseTrace, replayTrace } from "../src/trace/jip6.ts";
import { big, listFiles, readJsonExact, sharedPath } from "./_shared.ts";

const vectors = sharedPath("vectors", "pvm", "w3f-v0.4", "programs");
const traces = sharedPath("programs", "anan-as-traces");

interface Vector {
  "initial-regs": unknown[];
  "initial-pc": number;
  "initial-page-map": { address: number; length: number; "is-writable": boolean }[];
  "initial-memory": { address: number; contents: number[] }[];
  "initial-gas": unknown;
  program: number[];
}

describe("auto backend switches tiers without changing results", () => {
  it("on every W3F vector (switching after 3 instructions)", { skip: vectors ? false : "vectors absent" }, () => {
    let switched = 0;
    for (const file of listFiles(vectors!, ".json")) {
      const v = readJsonExact(join(vectors!, file)) as Vector;
      const run = (backend: "interpreter" | "recompiler" | "auto") => {
        const vm = Module.load(new Uint8Array(v.program), { format: "generic" }).instantiate({
          gas: big(v["initial-gas"]),
          pc: v["initial-pc"],
          registers: v["initial-regs"].map(big),
          memory: v["initial-page-map"].map((p) => ({
            address: p.address,
            length: p.length,
            access: p["is-writable"] ? "write" as const : "read" as const,
          })),
          backend,
          tierUpAfter: 3,
        });
        for (const c of v["initial-memory"]) {
          vm.memory.write(c.address, new Uint8Array(c.contents), { ignoreAccess: true });
        }
        const exit = vm.run();
        if (backend === "auto" && vm.tier === "recompiler") switched++;
        const pages = vm.memory.mappedPages().map((p) => Array.from(vm.memory.read(p * 4096, 4096)).join(","));
        return { exit, registers: vm.registers, pages };
      };
      const expected = run("interpreter");
      assert.deepEqual(run("auto"), expected, file);
      assert.deepEqual(run("recompiler"), expected, file);
    }
    assert.ok(switched > 100, `auto switched to compiled code in ${switched} vectors`);
  });

  it("on every anan-as trace (switching after 1,000 instructions)", { skip: traces ? false : "traces absent" }, () => {
    for (const file of listFiles(traces!, ".log")) {
      const trace = parseTrace(readFileSync(join(traces!, file), "utf8"));
      let tier = "";
      const result = replayTrace(trace, {
        instantiate: (m, o) => {
          const vm = m.instantiate({ ...o, backend: "auto", tierUpAfter: 1000 });
          return new Proxy(vm, {
            get(target, key) {
              tier = target.tier;
              const value = Reflect.get(target, key, target);
              return typeof value === "function" ? value.bind(target) : value;
            },
          });
        },
      });
      assert.equal(result.mismatch, undefined, `${file}: ${result.mismatch?.message}`);
      assert.equal(result.ok, true);
      assert.equal(tier, "recompiler", `${file} ended on compiled code`);
    }
  });
});
