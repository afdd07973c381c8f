// JAM services shipped as .polkavm: jambrains-fib.jam (JamBrains SDK, 64-bit, imports
// pinned to JAM host-call ids) converted to a standard program and run as a service's
// accumulate through the JAM host functions, on both backends. The service fetches the
// protocol constants (kind 0; it insists on the GP's 134-byte blob) and logs the 10th
// Fibonacci number, which is 55; its refine logs a greeting.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parsePolkaVm } from "../src/program/polkavm.ts";
import { polkaVmToStandard } from "../src/program/polkavm_jam.ts";
import { parseStandardProgram } from "../src/program/spi.ts";
import { ProgramError } from "../src/program/errors.ts";
import { accumulate, refine } from "../src/host/jam/invocations.ts";
import { InMemoryServiceState } from "../src/host/jam/state.ts";
import type { LogEntry } from "../src/host/jam/general.ts";
import { readBytes, sharedPath } from "./_shared.ts";

const fibPath = sharedPath("programs", "wasm-pvm", "jambrains-fib.jam");

describe("polkavm JAM services: jambrains-fib", { skip: !fibPath }, () => {
  const program = () => parsePolkaVm(readBytes(fibPath!));

  it("converts to a standard program with entries at pc 0 and 5", () => {
    const p = program();
    const spi = parseStandardProgram(polkaVmToStandard(p, { pc0: "_jb_entry_refine", pc5: "_jb_entry_accumulate" }), {
      metadata: true,
    });
    const view = new DataView(spi.blob.code.buffer, spi.blob.code.byteOffset);
    // jump (40) at 0 to 10 + refine's pc, at 5 to 10 + accumulate's pc (offsets relative to the jump)
    assert.equal(spi.blob.code[0], 40);
    assert.equal(view.getInt32(1, true), 10 + 23756);
    assert.equal(spi.blob.code[5], 40);
    assert.equal(view.getInt32(6, true), 10 + 23465 - 5);
    assert.deepEqual(spi.blob.code.subarray(10), p.blob.code);
    assert.equal(spi.blob.jumpTable.count, p.blob.jumpTable.count);
    for (let i = 0; i < p.blob.jumpTable.count; i++) {
      assert.equal(spi.blob.jumpTable.entry(i), p.blob.jumpTable.entry(i) + 10);
    }
    assert.equal(spi.readOnly.length, 3728);
    assert.equal(spi.stackSize, 131072);
    assert.throws(() => polkaVmToStandard(p, { pc5: "nope" }), ProgramError);
  });

  it("accumulate halts and logs fib(10) = 55, identically on both backends", () => {
    const code = polkaVmToStandard(program(), { pc0: "_jb_entry_refine", pc5: "_jb_entry_accumulate" });
    const runs = (["interpreter", "recompiler"] as const).map((backend) => {
      const logs: LogEntry[] = [];
      const hostCalls: number[] = [];
      const result = accumulate({
        code,
        gas: 10_000_000n,
        timeslot: 1,
        serviceId: 0,
        state: new InMemoryServiceState(),
        backend,
        fetch: { constants: new Uint8Array(134) },
        log: { sink: (entry) => logs.push(entry) },
        onCall: (event) => hostCalls.push(event.id),
      });
      return { result, logs, hostCalls };
    });
    for (const { result, logs, hostCalls } of runs) {
      assert.equal(result.status, "halt");
      assert.ok(
        logs.some((l) => l.message === "10th Fibonacci number: 55"),
        JSON.stringify(logs.map((l) => l.message)),
      );
      assert.ok(hostCalls.includes(1) && hostCalls.includes(100), `fetch and log used: ${hostCalls}`);
    }
    assert.equal(runs[0].result.gasUsed, runs[1].result.gasUsed);
    assert.deepEqual(runs[0].hostCalls, runs[1].hostCalls);
    assert.deepEqual(runs[0].logs, runs[1].logs);
  });

  it("refine halts and logs its greeting, identically on both backends", () => {
    const code = polkaVmToStandard(program(), { pc0: "_jb_entry_refine", pc5: "_jb_entry_accumulate" });
    const runs = (["interpreter", "recompiler"] as const).map((backend) => {
      const logs: string[] = [];
      const result = refine({
        code,
        gas: 10_000_000n,
        core: 0,
        itemIndex: 0,
        serviceId: 0,
        payload: new Uint8Array([1, 2, 3]),
        backend,
        fetch: { constants: new Uint8Array(134) },
        log: { sink: (entry) => logs.push(entry.message) },
      });
      return { result, logs };
    });
    for (const { result, logs } of runs) {
      assert.equal(result.status, "halt");
      assert.ok(logs.includes("Hello World from Refine"), JSON.stringify(logs));
    }
    assert.equal(runs[0].result.gasUsed, runs[1].result.gasUsed);
  });

  it("without the constants it reports the assertion and panics", () => {
    const code = polkaVmToStandard(program(), { pc5: "_jb_entry_accumulate" });
    const logs: string[] = [];
    const result = accumulate({
      code,
      gas: 10_000_000n,
      timeslot: 1,
      serviceId: 0,
      state: new InMemoryServiceState(),
      log: { sink: (entry) => logs.push(entry.message) },
    });
    assert.equal(result.status, "panic");
    assert.ok(logs.some((m) => m.includes("chain_params_len")), JSON.stringify(logs));
  });
});
