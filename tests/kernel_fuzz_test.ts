// A seeded slice of the kernel fuzzer (scripts/kernel-fuzz.ts) and upstream's fuzz seeds:
// nothing crashes the host or hangs, both backends agree, and no program reaches a page
// or a cap outside what it was granted (see checkInvariants).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kernel } from "../src/kernel/kernel.ts";
import { ProgramError } from "../src/program/errors.ts";
import { checkInvariants, fuzzOne, wrapSeed } from "./_kernel_fuzz.ts";
import { sharedPath } from "./_shared.ts";

describe("kernel fuzzing", () => {
  it("150 random cap-operation programs: no escape, backends agree", () => {
    const kinds = new Map<string, number>();
    for (let seed = 1; seed <= 150; seed++) {
      const kind = fuzzOne(seed * 7919);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    assert.ok(kinds.size >= 2, `only ${[...kinds.keys()]}`);
  });
  const dir = sharedPath("vectors", "javm", "fuzz-seeds");
  it("upstream fuzz seeds run to a defined end on both backends", { skip: !dir }, () => {
    for (const target of ["pvm_differential", "pvm_execute"]) {
      for (const name of readdirSync(join(dir!, target))) {
        const seed = new Uint8Array(readFileSync(join(dir!, target, name)));
        const blob = wrapSeed(seed, target === "pvm_execute");
        const gas = target === "pvm_execute" ? 10_000n : 50_000n;
        const exits = (["interpreter", "recompiler"] as const).map((backend) => {
          let kernel: Kernel;
          try {
            kernel = Kernel.create(blob, { gas, backend });
          } catch (e) {
            assert.ok(e instanceof ProgramError, `${target}/${name}: ${e}`);
            return "invalid";
          }
          let exit = kernel.run();
          while (exit.kind === "protocol") (kernel.resume(0n), exit = kernel.run());
          checkInvariants(kernel, exit);
          kernel.dispose();
          return JSON.stringify(exit, (_, v) => typeof v === "bigint" ? String(v) : v);
        });
        assert.equal(exits[1], exits[0], `${target}/${name}`);
      }
    }
  });
});
