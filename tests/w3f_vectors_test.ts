import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Module } from "../src/engine.ts";
import { big, listFiles, readJsonExact, sharedPath } from "./_shared.ts";

interface Vector {
  name: string;
  "initial-regs": unknown[];
  "initial-pc": number;
  "initial-page-map": { address: number; length: number; "is-writable": boolean }[];
  "initial-memory": { address: number; contents: number[] }[];
  "initial-gas": unknown;
  program: number[];
  "expected-status": "panic" | "halt" | "page-fault";
  "expected-regs": unknown[];
  "expected-pc": number;
  "expected-memory": { address: number; contents: number[] }[];
  "expected-gas": unknown;
  "expected-page-fault-address"?: number;
}

const dir = sharedPath("vectors", "pvm", "w3f-v0.4", "programs");

/** Every non-zero byte of accessible memory, as address → value. */
export function nonZeroBytes(mem: { mappedPages(): number[]; read(a: number, n: number): Uint8Array }) {
  const out = new Map<number, number>();
  for (const page of mem.mappedPages()) {
    const bytes = mem.read(page * 4096, 4096);
    bytes.forEach((b, i) => b !== 0 && out.set(page * 4096 + i, b));
  }
  return out;
}

for (const backend of ["interpreter", "recompiler"] as const) {
  describe(`W3F PVM vectors v0.4 (${backend})`, { skip: dir ? false : "shared vectors absent" }, () => {
    const files = dir ? listFiles(dir, ".json") : [];
    it("has all 307 programs", () => assert.equal(files.length, 307));
    for (const file of files) {
      it(file.replace(/\.json$/, ""), () => {
        const v = readJsonExact(join(dir!, file)) as Vector;
        const mod = Module.load(new Uint8Array(v.program), { format: "generic" });
        const vm = mod.instantiate({
          gas: big(v["initial-gas"]),
          pc: v["initial-pc"],
          registers: v["initial-regs"].map(big),
          backend,
          memory: v["initial-page-map"].map((p) => ({
            address: p.address,
            length: p.length,
            access: p["is-writable"] ? "write" : "read",
          })),
        });
        for (const chunk of v["initial-memory"]) {
          vm.memory.write(chunk.address, new Uint8Array(chunk.contents), { ignoreAccess: true });
        }
        const exit = vm.run();
        const status = exit.kind === "fault" ? "page-fault" : exit.kind;
        assert.equal(status, v["expected-status"], "status");
        assert.equal(exit.pc, v["expected-pc"], "pc");
        assert.deepEqual(vm.registers, v["expected-regs"].map(big), "registers");
        if (exit.kind === "fault") {
          assert.equal(exit.address, v["expected-page-fault-address"], "fault address");
          // The vectors say 9998 (PolkaVM's block pre-charge of the store plus the implicit
          // trap after it). GP main #497 charges the faulting instruction only: 10000 - 1.
          assert.equal(exit.gas, big(v["initial-gas"]) - 1n, "gas (GP #497: the faulting instruction is charged)");
          assert.equal(exit.gas, 9999n);
        } else {
          assert.equal(exit.gas, big(v["expected-gas"]), "gas");
        }
        const expected = new Map<number, number>();
        for (const chunk of v["expected-memory"]) {
          chunk.contents.forEach((b, i) => b !== 0 && expected.set(chunk.address + i, b));
        }
        assert.deepEqual(nonZeroBytes(vm.memory), expected, "memory");
      });
    }
  });
}
