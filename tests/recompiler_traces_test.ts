// The 12 anan-as traces (real bootstrap-service accumulate runs) replayed on the
// recompiler: every host call's pc, gas and registers, every memread, and the final
// state must match exactly, as they do on the interpreter.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTrace, replayTrace } from "../src/trace/jip6.ts";
import { listFiles, sharedPath } from "./_shared.ts";

const traceDir = sharedPath("programs", "anan-as-traces");

describe("anan-as traces on the recompiler", { skip: traceDir ? false : "shared traces absent" }, () => {
  const files = traceDir ? listFiles(traceDir, ".log") : [];
  it("has the 12 traces", () => assert.equal(files.length, 12));
  for (const file of files) {
    it(`${file} replays exactly`, () => {
      const trace = parseTrace(readFileSync(join(traceDir!, file), "utf8"));
      const result = replayTrace(trace, { instantiate: (m, o) => m.instantiate({ ...o, backend: "recompiler" }) });
      assert.equal(result.mismatch, undefined, result.mismatch?.message);
      assert.equal(result.ok, true);
      assert.equal(result.steps, trace.hostCalls.length);
      assert.equal(result.exit?.kind, "halt");
      assert.equal(result.exit?.gas, trace.termination.gas);
    });
  }
});
