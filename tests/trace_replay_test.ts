// JIP-6 trace replay: the 12 anan-as traces of jam-bootstrap-service replay exactly, and
// corrupted copies report the first differing step, line and field. Also parser errors
// and small hand-written traces for the final statuses no real trace has.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parseTrace, replayTrace, TraceError } from "../src/trace/jip6.ts";
import { listFiles, sharedPath } from "./_shared.ts";
import { asm, HALT, I } from "./_programs.ts";

const traceDir = sharedPath("programs", "anan-as-traces");
const ioTrace = sharedPath("programs", "pvm-debugger", "io-trace-output.log");

/** Lines of a trace, and the 1-based numbers of lines starting with a prefix. */
const linesOf = (text: string) => text.split("\n");
const lineNumbers = (lines: string[], prefix: string) => lines.flatMap((l, i) => (l.startsWith(prefix) ? [i + 1] : []));

function hex(bytes: Uint8Array): string {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("JIP-6 trace replay", () => {
  describe("anan-as traces of jam-bootstrap-service", { skip: traceDir ? false : "shared traces absent" }, () => {
    const files = traceDir ? listFiles(traceDir, ".log") : [];
    it("has the 12 traces", () => assert.equal(files.length, 12));
    for (const file of files) {
      it(`${file} replays exactly`, () => {
        const text = readFileSync(join(traceDir!, file), "utf8");
        const ecalliLines = lineNumbers(linesOf(text), "ecalli=").length;
        const trace = parseTrace(text);
        assert.equal(trace.hostCalls.length, ecalliLines);
        const result = replayTrace(trace);
        assert.equal(result.mismatch, undefined, result.mismatch?.message);
        assert.equal(result.ok, true);
        assert.equal(result.steps, ecalliLines, "every host call replayed");
        assert.equal(result.exit?.kind, "halt");
        assert.equal(result.exit?.pc, trace.termination.pc);
        assert.equal(result.exit?.gas, trace.termination.gas);
      });
    }
  });

  describe("corrupted traces report the first mismatch", { skip: traceDir ? false : "shared traces absent" }, () => {
    const text = traceDir ? readFileSync(join(traceDir, "trace-040.log"), "utf8") : "";
    const lines = linesOf(text);
    const ecalli = lineNumbers(lines, "ecalli="); // 1-based line numbers
    const memread = lineNumbers(lines, "memread ");
    const halt = lineNumbers(lines, "HALT ")[0];
    /** Replace line `n` (1-based) using `edit`, then replay. */
    const replayEdited = (n: number, edit: (line: string) => string) => {
      const copy = [...lines];
      const edited = edit(copy[n - 1]);
      assert.notEqual(edited, copy[n - 1], "the edit changed the line");
      copy[n - 1] = edited;
      return replayTrace(parseTrace(copy.join("\n")));
    };
    const field = (line: string, name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(line)![1];

    it("the uncorrupted trace-040 replays (15 host calls)", () => {
      assert.equal(ecalli.length, 15);
      assert.deepEqual(replayTrace(parseTrace(text)).ok, true);
    });

    it("changed gas on the 3rd ecalli", () => {
      const n = ecalli[2];
      const gas = BigInt(field(lines[n - 1], "gas"));
      const r = replayEdited(n, (l) => l.replace(`gas=${gas}`, `gas=${gas + 1n}`));
      assert.equal(r.ok, false);
      assert.equal(r.steps, 2, "two host calls replayed before it");
      const m = r.mismatch!;
      assert.deepEqual(
        { step: m.step, line: m.line, field: m.field, expected: m.expected, actual: m.actual },
        { step: 3, line: n, field: "gas", expected: String(gas + 1n), actual: String(gas) },
      );
      assert.match(m.message, new RegExp(`ecalli #3 \\(trace line ${n}\\): gas expected ${gas + 1n}, got ${gas}`));
    });

    it("changed register r1 on the 2nd ecalli", () => {
      const n = ecalli[1];
      const r1 = field(lines[n - 1], "r01");
      const changed = "0x" + (BigInt(r1) + 8n).toString(16);
      const r = replayEdited(n, (l) => l.replace(`r01=${r1}`, `r01=${changed}`));
      const m = r.mismatch!;
      assert.deepEqual([r.ok, r.steps, m.step, m.line, m.field, m.expected, m.actual], [
        false,
        1,
        2,
        n,
        "r1",
        changed,
        r1,
      ]);
    });

    it("a register the guest does not have set (r12 on the 1st ecalli)", () => {
      const n = ecalli[0];
      const r = replayEdited(n, (l) => `${l} r12=0x1`);
      const m = r.mismatch!;
      assert.deepEqual([r.steps, m.step, m.line, m.field, m.expected, m.actual], [0, 1, n, "r12", "0x1", "0x0"]);
    });

    it("changed host-call index and pc", () => {
      const n = ecalli[4];
      const index = field(lines[n - 1], "ecalli");
      const byIndex = replayEdited(n, (l) => l.replace(`ecalli=${index}`, "ecalli=7")).mismatch!;
      assert.deepEqual([byIndex.step, byIndex.field, byIndex.expected, byIndex.actual], [5, "ecalli", "7", index]);
      const pc = field(lines[n - 1], "pc");
      const byPc = replayEdited(n, (l) => l.replace(`pc=${pc}`, `pc=${Number(pc) + 2}`)).mismatch!;
      assert.deepEqual([byPc.step, byPc.field, byPc.expected, byPc.actual], [5, "pc", String(Number(pc) + 2), pc]);
    });

    it("changed memread byte", () => {
      const n = memread[0];
      // The ecalli this memread belongs to: the last ecalli line before it.
      const step = ecalli.filter((e) => e < n).length;
      const m = /^memread (0x[0-9a-f]+) len=(\d+) -> 0x([0-9a-f]+)$/.exec(lines[n - 1])!;
      const data = m[3];
      const flipped = data.slice(0, 4) + (data[4] === "0" ? "1" : "0") + data.slice(5); // byte 2, high nibble
      const r = replayEdited(n, (l) => l.replace(data, flipped));
      const mm = r.mismatch!;
      assert.deepEqual([r.steps, mm.step, mm.line, mm.field], [step - 1, step, n, "memread"]);
      assert.equal(mm.expected, "0x" + flipped.slice(4, 68));
      assert.equal(mm.actual, "0x" + data.slice(4, 68));
      assert.match(mm.message, new RegExp(`first difference at 0x${(Number(m[1]) + 2).toString(16)}`));
    });

    it("changed setgas shows at the next ecalli's gas", () => {
      const n = lineNumbers(lines, "setgas ")[0];
      const value = BigInt(/setgas <- (\d+)/.exec(lines[n - 1])![1]);
      const r = replayEdited(n, (l) => l.replace(String(value), String(value - 5n)));
      const m = r.mismatch!;
      const nextGas = BigInt(field(lines[ecalli[1] - 1], "gas"));
      assert.deepEqual([r.steps, m.step, m.line, m.field], [1, 2, ecalli[1], "gas"]);
      assert.deepEqual([m.expected, m.actual], [String(nextGas), String(nextGas - 5n)]);
    });

    it("changed final gas, status and register", () => {
      const final = lines[halt - 1];
      const gas = field(final, "gas");
      const byGas = replayEdited(halt, (l) => l.replace(`gas=${gas}`, `gas=${BigInt(gas) - 1n}`));
      assert.equal(byGas.steps, 15);
      assert.deepEqual(
        [byGas.mismatch!.step, byGas.mismatch!.line, byGas.mismatch!.field, byGas.mismatch!.actual],
        [16, halt, "gas", gas],
      );
      assert.match(byGas.mismatch!.message, /final status \(after 15 host calls\)/);
      const byStatus = replayEdited(halt, (l) => l.replace(/^HALT/, "PANIC")).mismatch!;
      assert.deepEqual([byStatus.step, byStatus.field, byStatus.expected, byStatus.actual], [
        16,
        "status",
        "PANIC",
        "HALT",
      ]);
      const byReg = replayEdited(halt, (l) => l.replace("r01=0xfefe0000", "r01=0xfefe0008")).mismatch!;
      assert.deepEqual([byReg.field, byReg.expected, byReg.actual], ["r1", "0xfefe0008", "0xfefe0000"]);
    });

    it("a missing host call is reported where the run makes it", () => {
      // Drop the last ecalli with its response lines: the run then makes a 15th call
      // where the trace expects the final HALT.
      const last = ecalli[14];
      const copy = [...lines.slice(0, last - 1), ...lines.slice(halt - 1)];
      const r = replayTrace(parseTrace(copy.join("\n")));
      const m = r.mismatch!;
      assert.deepEqual([r.steps, m.step, m.field, m.expected], [14, 15, "status", "HALT"]);
      assert.match(m.actual, /^ecalli=\d+$/);
    });
  });

  it("io-trace-output.log: tolerates the log prefix and unrelated lines", { skip: ioTrace ? false : "absent" }, () => {
    const text = readFileSync(ioTrace!, "utf8");
    const ecalliCount = linesOf(text).filter((l) => l.startsWith("TRACE [  ecalli] ecalli=")).length;
    const trace = parseTrace(text);
    assert.equal(trace.hostCalls.length, ecalliCount);
    assert.equal(ecalliCount, 6);
    const r = replayTrace(trace);
    assert.deepEqual([r.ok, r.steps, r.mismatch], [true, 6, undefined]);
  });

  describe("hand-written traces", () => {
    // 0 ecalli 7 · 2 load_u64 r2, [r1] · 4 jump_ind r0 (halt when r0 = 0xFFFF0000)
    const program = asm(I.ecalli(7), I.twoRegImm(130, 2, 1, 0), I.jumpInd(0));
    const header = `program ${hex(program.bytes)}\nstart pc=0 gas=100 r00=0x${HALT.toString(16)}`;
    const hostCall = (gas: number) => `ecalli=7 pc=0 gas=${gas} r00=0xffff0000`;

    it("a page fault is written PANIC=<address> (anan-as) or FAULT=<address>", () => {
      for (const status of ["PANIC", "FAULT"]) {
        const trace = parseTrace(
          `${header}\n${hostCall(99)}\nsetreg r01 <- 0x30000\n${status}=0x30000 pc=2 gas=98 r00=0xffff0000 r01=0x30000`,
        );
        assert.equal(trace.termination.status, "FAULT");
        assert.equal(trace.termination.address, 0x30000);
        assert.deepEqual(replayTrace(trace, { format: "generic" }).ok, true);
        const wrong = parseTrace(`${header}\n${hostCall(99)}\nsetreg r01 <- 0x30000\n${status}=0x31000 pc=2 gas=98`);
        assert.equal(replayTrace(wrong, { format: "generic" }).mismatch?.field, "fault address");
      }
    });

    it("PANIC: a load below 2^16", () => {
      const trace = parseTrace(`${header}\n${hostCall(99)}\nPANIC pc=2 gas=98 r00=0xffff0000`);
      assert.equal(trace.termination.status, "PANIC");
      assert.equal(replayTrace(trace, { format: "generic" }).ok, true);
    });

    it("OOG: gas -1 from the PVM matches gas 0 (or -1) in the trace", () => {
      for (const printed of ["0", "-1"]) {
        const trace = parseTrace(`${header}\n${hostCall(99)}\nsetgas <- 0\nOOG pc=2 gas=${printed} r00=0xffff0000`);
        const r = replayTrace(trace, { format: "generic" });
        assert.equal(r.ok, true, r.mismatch?.message);
        assert.equal(r.exit?.gas, -1n);
      }
    });

    it("host memwrites need writable guest memory", () => {
      const trace = parseTrace(`${header}\n${hostCall(99)}\nmemwrite 0x20000 len=1 <- 0x01\nHALT pc=4 gas=97`);
      const m = replayTrace(trace, { format: "generic" }).mismatch!;
      assert.deepEqual([m.step, m.line, m.field], [1, 4, "memwrite"]);
    });

    it("initial memwrites of a generic program map writable pages", () => {
      const trace = parseTrace(
        `program ${hex(program.bytes)}\nmemwrite 0x20000 len=8 <- 0x2a00000000000000\n` +
          `start pc=0 gas=100 r00=0xffff0000 r01=0x20000\n${hostCall(99)} r01=0x20000\n` +
          `memread 0x20000 len=2 -> 0x2a00\nmemwrite 0x20001 len=1 <- 0x01\n` +
          `HALT pc=4 gas=97 r00=0xffff0000 r01=0x20000 r02=0x12a`,
      );
      const r = replayTrace(trace, { format: "generic" });
      assert.equal(r.ok, true, r.mismatch?.message);
    });

    it("an unloadable program is a set-up mismatch (step 0) on the program line", () => {
      const trace = parseTrace(`LOG prefix line\nprogram 0x000005\nstart pc=0 gas=1\nHALT pc=0 gas=0`);
      const r = replayTrace(trace, { format: "generic" });
      assert.deepEqual([r.ok, r.steps, r.mismatch?.step, r.mismatch?.line, r.mismatch?.field], [
        false,
        0,
        0,
        2,
        "program",
      ]);
      assert.match(r.mismatch!.message, /^set-up \(trace line 2\): program .*at byte 3/);
    });

    it("the backend is pluggable: replayTrace uses options.instantiate", () => {
      const trace = parseTrace(`${header}\n${hostCall(99)}\nsetreg r01 <- 0x30000\nFAULT=0x30000 pc=2 gas=98`);
      let created = 0;
      let runs = 0;
      const r = replayTrace(trace, {
        format: "generic",
        instantiate: (module, options) => {
          created++;
          const vm = module.instantiate(options);
          const run = vm.run.bind(vm);
          vm.run = () => (runs++, run());
          return vm;
        },
      });
      assert.deepEqual([r.ok, created, runs], [true, 1, 2]);
    });
  });

  describe("parse errors name the line", () => {
    const base = ["program 0x00", "start pc=0 gas=10", "ecalli=1 pc=0 gas=9", "HALT pc=0 gas=1"];
    const errorLine = (text: string) => {
      try {
        parseTrace(text);
      } catch (error) {
        assert.ok(error instanceof TraceError, String(error));
        assert.match(error.message, error.line > 0 ? new RegExp(`^trace line ${error.line}: `) : /^trace: /);
        return error.line;
      }
      assert.fail("no TraceError");
    };
    /** `lines` with `line` inserted so that it becomes line `n` (1-based). */
    const insert = (
      lines: string[],
      n: number,
      line: string,
    ) => [...lines.slice(0, n - 1), line, ...lines.slice(n - 1)];
    const withLine = (n: number, line: string) => insert(base, n, line).join("\n");
    const cases: [string, string, number][] = [
      ["odd hex digits in program", "program 0x0\nstart pc=0 gas=1\nHALT pc=0 gas=0", 1],
      ["non-numeric pc", base.join("\n").replace("start pc=0", "start pc=x0"), 2],
      ["memwrite length differs from its data", withLine(4, "memwrite 0x20000 len=3 <- 0x0102"), 4],
      ["memread before any ecalli", withLine(3, "memread 0x20000 len=1 -> 0x01"), 3],
      ["setreg of r13", withLine(4, "setreg r13 <- 0x1"), 4],
      ["setreg without a value", withLine(4, "setreg r07 <- "), 4],
      ["two setgas for one ecalli", insert(insert(base, 4, "setgas <- 5"), 5, "setgas <- 4").join("\n"), 5],
      ["register listed twice", base.join("\n").replace("gas=9", "gas=9 r01=0x1 r01=0x2"), 3],
      ["malformed register", base.join("\n").replace("gas=9", "gas=9 r01:0x1"), 3],
      ["a second start line", withLine(3, "start pc=0 gas=10"), 3],
      ["ecalli before start", "program 0x00\necalli=1 pc=0 gas=9\nstart pc=0 gas=10\nHALT pc=0 gas=1", 2],
      ["HALT with an argument", base.join("\n").replace("HALT pc", "HALT=3 pc"), 4],
      ["FAULT without an address", base.join("\n").replace("HALT pc", "FAULT pc"), 4],
      ["a record after the final line", base.join("\n") + "\nsetgas <- 3", 5],
      ["no program line: the start line comes first", base.slice(1).join("\n"), 1],
      ["no final line", base.slice(0, 3).join("\n"), 0],
      ["empty input", "", 0],
    ];
    for (const [name, text, line] of cases) {
      it(`${name}: line ${line}`, () => assert.equal(errorLine(text), line));
    }

    it("unrelated lines, even ones using the keywords in prose, are ignored", () => {
      const text = [
        "INFO starting the run",
        "> start the engine",
        base[0],
        "program counter is interesting",
        "TRACE [  ecalli] " + base[1],
        "the ecalli index is 1",
        base[2],
        "# HALT reached",
        base[3],
        "ok 1 - done",
      ].join("\n");
      const trace = parseTrace(text);
      assert.deepEqual([trace.start.line, trace.hostCalls[0].line, trace.termination.line], [5, 7, 9]);
    });
  });
});
