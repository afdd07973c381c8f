// The JIP-6 recorder (src/trace/jip6_writer.ts).
//
// - Real traces: jam-bootstrap-service's accumulate run with pvmkit's own host functions on
//   the state each anan-as trace shows (tests/_trace_setup.ts), recorded: the recording must
//   be byte for byte the anan-as trace file (same lines, order, hex and gas formatting).
// - Hand-made runs for the cases those traces lack: a page fault (PANIC=<address>), a host
//   call that changes no gas (no setgas), an empty host write (no line), and a register set
//   twice (its last value once); each recording replays on both backends.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Backend, Module } from "../src/engine.ts";
import { HostRegistry } from "../src/host/host.ts";
import { JAM_HOST_IDS, WHAT } from "../src/host/jam/constants.ts";
import { accumulate, invokeStandard, refine } from "../src/host/jam/invocations.ts";
import { parseTrace, replayTrace } from "../src/trace/jip6.ts";
import { Jip6Recorder } from "../src/trace/jip6_writer.ts";
import { asm, I, spi } from "./_programs.ts";
import { listFiles, sharedPath } from "./_shared.ts";
import { setupFrom } from "./_trace_setup.ts";

const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const traceDir = sharedPath("programs", "anan-as-traces");

function replaysOnBoth(text: string) {
  const trace = parseTrace(text);
  for (const backend of BACKENDS) {
    const r = replayTrace(trace, { instantiate: (m, o) => m.instantiate({ ...o, backend }) });
    assert.ok(r.ok, `${backend}: ${r.mismatch?.message}`);
  }
}

describe("recording jam-bootstrap-service's accumulate reproduces the anan-as traces byte for byte", {
  skip: traceDir ? false : "shared traces absent",
}, () => {
  const files = traceDir ? listFiles(traceDir, ".log") : [];
  for (const file of files) {
    // every trace on the interpreter, two of them also on the recompiler (time)
    const backends: Backend[] = file === "trace-001.log" || file === "trace-003.log" ? BACKENDS : ["interpreter"];
    for (const backend of backends) {
      it(`${file} (${backend})`, () => {
        const original = readFileSync(join(traceDir!, file), "utf8");
        const trace = parseTrace(original);
        const recorder = new Jip6Recorder(trace.program);
        const result = accumulate({
          code: Module.load(trace.program, { format: "spi-metadata" }),
          gas: trace.start.gas,
          ...setupFrom(trace),
          backend,
          // anan-as's recorder answered log with WHAT for 10 gas, reading target and message
          log: { gas: 10n, result: WHAT, sink: () => {} },
          observer: recorder,
        });
        assert.equal(result.status, "halt");
        assert.ok(recorder.complete);
        const got = recorder.text();
        if (got !== original) {
          const a = original.split("\n"), b = got.split("\n");
          const at = a.findIndex((line, i) => line !== b[i]);
          assert.fail(
            `line ${at + 1} differs:\n  trace:    ${a[at]?.slice(0, 160)}\n  recorded: ${b[at]?.slice(0, 160)}`,
          );
        }
      });
    }
  }
});

describe("recording a refine that drives inner machines (jamduna blake2b_parent)", {
  skip: sharedPath("programs", "jamduna") ? false : "shared jamduna programs absent",
}, () => {
  it("the parent's machine/poke/invoke/peek/expunge calls are recorded; the trace replays on both backends", () => {
    const code = new Uint8Array(readFileSync(join(sharedPath("programs", "jamduna")!, "blake2b_parent.pvm")));
    const recorder = new Jip6Recorder(code, { metadata: false });
    const result = refine({
      code,
      metadata: false,
      argumentLayout: "0.7.0",
      gas: 1_000_000_000n,
      core: 0,
      itemIndex: 0,
      serviceId: 0,
      payload: new Uint8Array(0),
      backend: "recompiler",
      observer: recorder,
    });
    assert.equal(result.status, "halt");
    const trace = parseTrace(recorder.text());
    const ids = new Set(trace.hostCalls.map((c) => c.index));
    for (const name of ["machine", "invoke", "expunge"] as const) assert.ok(ids.has(JAM_HOST_IDS[name]), name);
    // every invoke wrote its 112-byte record back to the parent's memory
    const invokes = trace.hostCalls.filter((c) => c.index === JAM_HOST_IDS.invoke);
    assert.ok(invokes.every((c) => c.memWrites.some((w) => w.data.length === 112)));
    assert.equal(trace.termination.gas, 1_000_000_000n - result.gasUsed);
    replaysOnBoth(recorder.text());
  });
});

// Standard program, no data; stack 4096. pc 0 onwards as given.
const program = (...code: number[][]) => spi({ stack: 4096, blob: asm(...code).bytes, metadata: [] });

describe("Jip6Recorder: cases the public traces lack", () => {
  it("a page fault ends as PANIC=<address> (decimal), which replays as a fault", () => {
    // load_u64 r1, [0x20000] (nothing mapped there in this layout) → fault at 0x20000
    const code = program(I.regImm(58, 1, 0x20000));
    const recorder = new Jip6Recorder(code);
    const r = invokeStandard(code, 0, 100n, new Uint8Array(0), new HostRegistry(), { observer: recorder });
    assert.equal(r.exit?.kind, "fault");
    const last = recorder.text().trim().split("\n").at(-1)!;
    assert.equal(last, `PANIC=${0x20000} pc=0 gas=99 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000`);
    const parsed = parseTrace(recorder.text());
    assert.deepEqual([parsed.termination.status, parsed.termination.address], ["FAULT", 0x20000]);
    assert.deepEqual(parsed.initialMemWrites, [], "no argument bytes: no initial memwrite");
    replaysOnBoth(recorder.text());
  });

  it("no setgas for a free call, no line for an empty write, a register set twice once with its last value", () => {
    // ecalli 1 ; jump_ind r0
    const code = program(I.ecalli(1), I.jumpInd(0));
    const registry = new HostRegistry().register({
      id: 1,
      name: "free",
      gas: 0n,
      fn: (c) => {
        c.machine.memory.write(0xfeff0000, new Uint8Array(0));
        c.machine.setRegister(9, 5n);
        c.machine.setRegister(8, 1n);
        c.machine.setRegister(9, 6n);
      },
    });
    const recorder = new Jip6Recorder(code);
    invokeStandard(code, 0, 50n, new Uint8Array([0xab]), registry, { observer: recorder });
    const lines = recorder.text().trim().split("\n");
    assert.deepEqual(lines.slice(1), [
      "memwrite 0xfeff0000 len=1 <- 0xab",
      "start pc=0 gas=50 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x1",
      "ecalli=1 pc=0 gas=49 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x1",
      "setreg r08 <- 0x1",
      "setreg r09 <- 0x6",
      "HALT pc=2 gas=48 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x1 r09=0x6",
    ]);
    replaysOnBoth(recorder.text());
  });

  it("host reads and writes are listed by address after the ecalli, reads first", () => {
    // RW data: 16 bytes at 0x20000 (with no RO data the RW zone starts there)
    const code = spi({
      rw: new Array(16).fill(0),
      stack: 4096,
      blob: asm(I.ecalli(2), I.jumpInd(0)).bytes,
      metadata: [],
    });
    const registry = new HostRegistry().register({
      id: 2,
      name: "copy",
      fn: (c) => {
        const m = c.machine.memory;
        m.write(0x20008, m.read(0xfeff0000, 2));
        m.write(0x20000, new Uint8Array([9]));
        m.read(0x20001, 1);
      },
    });
    const recorder = new Jip6Recorder(code);
    invokeStandard(code, 0, 50n, new Uint8Array([1, 2]), registry, { observer: recorder });
    const lines = recorder.text().trim().split("\n");
    assert.deepEqual(lines.slice(4, 8), [
      "memread 0x00020001 len=1 -> 0x00",
      "memread 0xfeff0000 len=2 -> 0x0102",
      "memwrite 0x00020000 len=1 <- 0x09",
      "memwrite 0x00020008 len=2 <- 0x0102",
    ]);
    assert.equal(lines[8], "setgas <- 39");
    replaysOnBoth(recorder.text());
  });

  it("records one run only", () => {
    const code = program(I.jumpInd(0));
    const recorder = new Jip6Recorder(code);
    invokeStandard(code, 0, 5n, new Uint8Array(0), new HostRegistry(), { observer: recorder });
    assert.throws(() => invokeStandard(code, 0, 5n, new Uint8Array(0), new HostRegistry(), { observer: recorder }));
  });
});
