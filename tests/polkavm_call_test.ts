// Calling exports of .polkavm programs: PolkaVM's hello-world example (add_numbers(a, b) =
// a + b + get_third_number(), per shared/spec/polkavm-blob.md §9) through the API and the
// CLI on both backends, and the typed errors of a call that cannot complete.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { LimitError } from "../src/limits.ts";
import { PolkaVmCallError, PolkaVmInstance } from "../src/host/polkavm.ts";
import { encodePolkaVm } from "../src/program/polkavm.ts";
import { assemble } from "../src/isa/assembler.ts";
import { readBytes, sharedPath } from "./_shared.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const helloPath = sharedPath("programs", "polkavm", "example-hello-world.polkavm");
const BACKENDS = ["interpreter", "recompiler"] as const;
const { file } = tempFiles("pvmkit-call-");

describe("polkavm call: hello world", { skip: !helloPath }, () => {
  for (const backend of BACKENDS) {
    it(`add_numbers on the ${backend}, the import serviced each time`, () => {
      const module = Module.load(readBytes(helloPath!));
      let third = 0;
      let calls = 0;
      const vm = PolkaVmInstance.create(module, {
        backend,
        imports: {
          get_third_number: () => {
            calls++;
            return third;
          },
        },
      });
      assert.deepEqual(vm.exportNames, ["add_numbers"]);
      third = 100;
      assert.equal(vm.call("add_numbers", [1, 2]), 103n);
      third = 7;
      assert.equal(vm.call("add_numbers", [40, 2_000_000]), 2_000_047n);
      // 32-bit arithmetic wraps: 0xFFFFFFFF + 5 + 7 = 11 mod 2^32.
      assert.equal(vm.call("add_numbers", [0xffffffff, 5]), 11n);
      // Negative arguments are sign-extended 32-bit values: -10 + 3 + 7 = 0.
      assert.equal(vm.call("add_numbers", [-10, 3]), 0n);
      assert.equal(calls, 4);
    });
  }

  it("pvmkit call prints the sum; exit 1 without the import, 2 for an unknown export", async () => {
    for (const backend of BACKENDS) {
      const r = await cli(
        "call",
        helloPath!,
        "add_numbers",
        "5",
        "6",
        "--import",
        "get_third_number=0x10",
        "--backend",
        backend,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /returned A0 = 27 \(0x1b\)/);
    }
    const json = await cli("call", helloPath!, "add_numbers", "1", "1", "--import", "get_third_number=1", "--json");
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.out).a0, "3");
    const missing = await cli("call", helloPath!, "add_numbers", "1", "2");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /import 0 \("get_third_number"\) has no host function/);
    const unknown = await cli("call", helloPath!, "nope");
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no export "nope"/);
    const badImport = await cli("call", helloPath!, "add_numbers", "--import", "other=1");
    assert.equal(badImport.code, 2);
  });

  it("pvmkit inspect lists sections, imports and exports", async () => {
    const r = await cli("inspect", helloPath!);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /32-bit/);
    assert.match(r.out, /0 {2}get_third_number/);
    assert.match(r.out, /add_numbers @ pc 0/);
    const json = await cli("inspect", "--json", helloPath!);
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.out);
    assert.deepEqual(parsed.sections.map((s: { id: number }) => s.id), [1, 4, 5, 6]);
    assert.equal(parsed.memory.stackSize, 8192);
    const bad = await cli("inspect", "package.json");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not a \.polkavm file|too short/);
  });
});

/** A 32-bit program with exports spin (loops forever), crash (trap), poke (store to A0) and callback. */
function errorProgram(): Uint8Array {
  const code = assemble(`
spin:   jump spin
crash:  trap
poke:   store_ind_u32 r7, r7, 0
        jump_ind r0, 0
callback:
        ecalli 1
        jump_ind r0, 0
`);
  const pcs = { spin: 0, crash: 1, poke: 2, callback: 6 }; // jump (offset 0): 1 byte, trap 1, store 2, jump_ind 2
  return encodePolkaVm({
    stackSize: 4096,
    imports: ["first", "second"],
    exports: Object.entries(pcs).map(([name, pc]) => ({ name, pc })),
    code,
  });
}

describe("polkavm call: errors", () => {
  for (const backend of BACKENDS) {
    it(`typed errors on the ${backend}`, () => {
      const vm = PolkaVmInstance.create(Module.load(errorProgram()), {
        backend,
        imports: {
          second: () => {
            throw new Error("host says no");
          },
        },
      });
      assert.throws(() => vm.call("missing"), RangeError);
      assert.throws(() => vm.call("crash", new Array(10).fill(0)), RangeError);
      assert.throws(() => vm.call("spin", [], { gas: 1000n }), (e: unknown) => {
        assert.ok(e instanceof PolkaVmCallError);
        assert.equal(e.exit?.kind, "oog");
        return true;
      });
      assert.throws(() => vm.call("crash"), (e: unknown) => e instanceof PolkaVmCallError && e.exit?.kind === "panic");
      assert.throws(() => vm.call("poke", [0x20000]), (e: unknown) => {
        assert.ok(e instanceof PolkaVmCallError);
        assert.equal(e.exit?.kind, "fault");
        assert.match(e.message, /fault at address 0x20000/);
        return true;
      });
      // The stack is writable: SP points at its top, 0xFFFE0000.
      assert.equal(vm.call("poke", [0xfffe0000 - 8]), 0xfffe0000n - 8n);
      assert.throws(() => vm.call("callback"), /host function for import 1 failed: host says no/);
    });
  }

  it("refuses host functions for names the program does not import", () => {
    assert.throws(
      () => PolkaVmInstance.create(Module.load(errorProgram()), { imports: { third: () => 0 } }),
      TypeError,
    );
  });

  it("a deadline ends a call that never returns", () => {
    const vm = PolkaVmInstance.create(Module.load(errorProgram()), {
      backend: "recompiler",
      limits: { deadlineMs: 50 },
    });
    assert.throws(() => vm.call("spin"), (e: unknown) => e instanceof PolkaVmCallError && e.exit?.kind === "limit");
  });

  it("pvmkit call: a spinning export runs out of its gas (exit 1)", async () => {
    const r = await cli("call", file("errors.polkavm", errorProgram()), "spin", "--gas", "100000");
    assert.equal(r.code, 1);
    assert.match(r.err, /oog/);
  });

  it("a memory limit refuses a program declaring gigabytes of data, before allocating it", () => {
    const huge = encodePolkaVm({ rwDataSize: 0xf0000000, exports: [{ name: "f", pc: 0 }], code: assemble("trap") });
    const started = performance.now();
    assert.throws(
      () => PolkaVmInstance.create(Module.load(huge), { limits: { maxMemoryPages: 4096 } }),
      (e: unknown) => e instanceof LimitError && e.limit === "maxMemoryPages",
    );
    assert.ok(performance.now() - started < 2000);
  });

  it("a fallback services imports without a function", () => {
    const vm = PolkaVmInstance.create(Module.load(errorProgram()), { fallback: (call) => 1000 + call.index });
    assert.equal(vm.call("callback"), 1001n);
  });
});
