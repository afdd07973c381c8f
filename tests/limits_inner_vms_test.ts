// Limits reach the inner machines of Refine (machine/pages/invoke): a hostile service that
// keeps creating inner VMs, mapping and touching their pages cannot push RSS past the
// configured budget plus a stated constant; each inherited limit (live machines, pages,
// gas, code size, deadline) stops it with a LimitError, and an accumulate stopped by a
// limit leaves the state at its last checkpoint.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { assemble, type Backend, LimitError, Module } from "../mod.ts";
import type { HostCallEvent } from "../src/host/host.ts";
import { refine } from "../src/host/jam/invocations.ts";
import type { Limits } from "../src/limits.ts";

const PAGES = 1024; // each inner machine maps and touches 4 MiB
const REC = 0x30000; // the invoke record: SPI read-write data at 2·Z_Z + Z(|ro|)

/** A child that writes one byte on each of its PAGES pages, then loops or traps. */
function childProgram(end: "trap" | "spin"): Uint8Array {
  return assemble(`
.format generic
        load_imm r2, 0x10000
        load_imm r3, ${PAGES}
        fallthrough
touch:  store_imm_ind_u8 r2, 0, 1
        add_imm_64 r2, r2, 4096
        add_imm_64 r3, r3, -1
        branch_ne_imm r3, 0, touch
        ${end === "trap" ? "trap" : "fallthrough\nspin:   jump spin"}
`);
}

/** The hostile service: forever { machine; pages(16, PAGES, write); invoke with `gas` }. */
function hostileService(child: Uint8Array, innerGas: bigint): Uint8Array {
  const hex = [...child].map((b) => b.toString(16).padStart(2, "0")).join("");
  return assemble(`
.format spi
.ro_data hex"${hex}"
.rw_data hex"${"00".repeat(112)}"
loop:   load_imm r7, 0x10000
        load_imm r8, ${child.length}
        load_imm r9, 0
        ecalli 8                  ; machine → r7 = id
        move_reg r12, r7
        load_imm r8, 16
        load_imm r9, ${PAGES}
        load_imm r10, 2
        ecalli 11                 ; pages: writable, zeroed
        load_imm_64 r2, ${innerGas}
        store_u64 r2, ${REC}      ; the record's gas
        move_reg r7, r12
        load_imm r8, ${REC}
        ecalli 12                 ; invoke
        jump loop
`);
}

function runHostile(backend: Backend, limits: Limits, gas: bigint, child = childProgram("trap"), innerGas = 100_000n) {
  const calls: HostCallEvent[] = [];
  const run = () =>
    refine({
      code: hostileService(child, innerGas),
      metadata: false,
      gas,
      core: 0,
      itemIndex: 0,
      serviceId: 0,
      payload: new Uint8Array(0),
      backend,
      limits,
      onCall: (event) => calls.push(event),
    });
  const created = () => calls.filter((c) => c.name === "machine" && c.result[0] < 1n << 32n).length;
  return { run, calls, created };
}

const rss = () => process.memoryUsage().rss;

for (const backend of ["interpreter", "recompiler"] as const) {
  describe(`limits of inner machines (${backend})`, () => {
    it("without a cap on live machines the service keeps creating them (control)", () => {
      // A round costs the outer machine 45 gas: 15 instructions + 3 host calls × 10 (the inner
      // machines' gas comes from the record, not from the outer's). 600 gas = 13 rounds + 15:
      // the 14th machine call (at 13 × 45 + 4 + 10 = 599) still succeeds.
      const h = runHostile(backend, { maxMemoryPages: PAGES }, 600n);
      const result = h.run();
      assert.equal(result.status, "oog");
      assert.equal(h.created(), 14);
    });

    it("maxLiveInstances stops the 9th inner machine with a LimitError; RSS stays within budget + constant", () => {
      const limits = { maxMemoryPages: PAGES, maxLiveInstances: 8 };
      const before = rss();
      const h = runHostile(backend, limits, 1_000_000_000n);
      assert.throws(
        h.run,
        (e: unknown) => e instanceof LimitError && e.limit === "maxLiveInstances" && e.requested === 9,
      );
      assert.equal(h.created(), 8);
      // Every inner machine really mapped and touched its pages.
      const invokes = h.calls.filter((c) => c.name === "invoke");
      assert.equal(invokes.length, 8);
      for (const call of invokes) assert.equal(call.result[0], 1n); // PANIC: the child's trap
      const grown = rss() - before;
      // Budget: 9 machines (8 inner + the outer) × PAGES pages; constant: 64 MiB for the
      // permission maps, compiled code, the memory pool and the runtime's heap.
      const budget = 9 * PAGES * 4096;
      const constant = 64 << 20;
      assert.ok(grown <= budget + constant, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    });

    it("maxMemoryPages applies to each inner machine: pages past it throw", () => {
      const h = runHostile(backend, { maxMemoryPages: PAGES - 1 }, 1_000_000n);
      assert.throws(h.run, (e: unknown) => e instanceof LimitError && e.limit === "maxMemoryPages");
      assert.equal(h.created(), 1);
    });

    it("maxGas applies to the gas an invoke hands an inner machine", () => {
      const h = runHostile(backend, { maxGas: 50_000n }, 40_000n, childProgram("trap"), 50_001n);
      assert.throws(h.run, (e: unknown) => e instanceof LimitError && e.limit === "maxGas" && e.requested === 50_001n);
    });

    it("maxCodeBytes applies to an inner blob", () => {
      // The outer program is loaded by the invocation (maxCodeBytes is a load-time limit); the
      // inner blob is loaded under the inherited limits.
      const child = childProgram("trap");
      const codeBytes = Module.load(child).blob.code.length;
      const h = runHostile(backend, { maxCodeBytes: codeBytes - 1 }, 100_000n, child);
      assert.throws(
        h.run,
        (e: unknown) => e instanceof LimitError && e.limit === "maxCodeBytes" && e.requested === codeBytes,
      );
      assert.equal(runHostile(backend, { maxCodeBytes: codeBytes }, 2_000n, child).run().status, "oog");
    });

    it("deadlineMs stops an inner machine that spins with a huge gas budget", () => {
      const started = Date.now();
      // 2^62 gas: compiled code burns a bare `jump` loop at billions of iterations a second
      // (2^31 gas took V8 under 100 ms), so only a budget no machine gets through in time
      // makes the deadline, not the gas, end the spin.
      const h = runHostile(backend, { deadlineMs: 100 }, 1_000_000n, childProgram("spin"), 1n << 62n);
      assert.throws(h.run, (e: unknown) => e instanceof LimitError && e.limit === "deadlineMs");
      assert.equal(h.created(), 1, "the first inner machine's spin is what the deadline stopped");
      assert.ok(Date.now() - started < 20_000);
    });
  });
}
