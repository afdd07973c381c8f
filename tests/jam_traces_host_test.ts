// Acceptance: the 12 anan-as traces of jam-bootstrap-service's accumulate, run with OUR
// JAM host functions (not replayed). The state is pre-populated from what the trace shows
// the host handing over: the fetched blobs (kind 0 constants, kind 14 inputs), the service
// info, and the storage values (or, for keys first met by `write`, the previous length).
// Every ecalli must match the trace in id, pc, gas before and after, and r7; the run must
// end with the trace's HALT pc and gas. The recorder answered `log` with WHAT for 10 gas,
// so log is configured that way here.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { type Backend, Module } from "../src/engine.ts";
import type { HostCallEvent } from "../src/host/host.ts";
import { WHAT } from "../src/host/jam/constants.ts";
import { accumulate } from "../src/host/jam/invocations.ts";
import { parseTrace } from "../src/trace/jip6.ts";
import { listFiles, sharedPath } from "./_shared.ts";
import { resultOf, setupFrom } from "./_trace_setup.ts";

const traceDir = sharedPath("programs", "anan-as-traces");
const BACKENDS: Backend[] = ["interpreter", "recompiler"];

describe("anan-as traces: bootstrap-service accumulate with pvmkit's JAM host functions", {
  skip: traceDir ? false : "shared traces absent",
}, () => {
  const files = traceDir ? listFiles(traceDir, ".log") : [];
  it("has the 12 traces", () => assert.equal(files.length, 12));
  for (const file of files) {
    for (const backend of BACKENDS) {
      it(`${file} (${backend}): every ecalli and the final state match`, () => {
        const trace = parseTrace(readFileSync(join(traceDir!, file), "utf8"));
        const setup = setupFrom(trace);
        const events: HostCallEvent[] = [];
        const result = accumulate({
          code: Module.load(trace.program, { format: "spi-metadata" }),
          gas: trace.start.gas,
          ...setup,
          backend,
          log: { gas: 10n, result: WHAT },
          onCall: (e) => events.push(e),
        });
        const n = Math.min(events.length, trace.hostCalls.length);
        for (let i = 0; i < n; i++) {
          const want = trace.hostCalls[i];
          const got = events[i];
          const where = `ecalli #${i + 1} (trace line ${want.line})`;
          assert.equal(got.id, want.index, `${where}: id`);
          assert.equal(got.pc, want.pc, `${where}: pc`);
          assert.equal(got.gasBefore, want.gas, `${where}: gas before`);
          if (want.setGas !== undefined) assert.equal(got.gasAfter, want.setGas, `${where}: gas after`);
          const r7 = resultOf(want);
          if (r7 !== undefined) assert.equal(got.result[0], r7, `${where}: r7`);
        }
        assert.equal(events.length, trace.hostCalls.length, "number of host calls");
        assert.equal(trace.termination.status, "HALT");
        assert.equal(result.status, "halt");
        assert.equal(result.exit?.pc, trace.termination.pc);
        assert.equal(result.exit?.gas, trace.termination.gas);
        assert.equal(result.gasUsed, trace.start.gas - trace.termination.gas);
        assert.deepEqual(result.output, new Uint8Array(0));
        assert.equal(result.rolledBack, false);
      });
    }
  }
});
