// `pvmkit accumulate`, `refine` and `authorize` on real service code from the shared
// programs, plus --trace-host and --record-trace (JIP-6) on each.
//
// - accumulate: jam-bootstrap-service with the inputs, constants, service info and storage
//   that anan-as trace-001 shows its host handing over (tests/_trace_setup.ts). Expected:
//   the trace's own figures (HALT gas, every ecalli), and the storage the trace's `write`
//   calls imply. The recorded trace must repeat the original's ecalli, setreg and setgas
//   lines and final line, and replay exactly on both backends.
// - refine: jamduna fib (GP 0.7.0 argument layout) with n = 5: output n(n+1)/2 and five
//   segments, the first being its RW data (read here from the blob's header).
// - authorize: jamduna's null authorizer halts without a host call.
// - a hand-assembled service: write ; checkpoint ; write ; trap must save the state at the
//   checkpoint; a host panic and a host out-of-gas must record traces that replay.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FULL } from "../src/host/jam/constants.ts";
import { parseTrace, type Trace } from "../src/trace/jip6.ts";
import { asm, I, spi } from "./_programs.ts";
import { assemble } from "../src/isa/assembler.ts";
import { sharedPath } from "./_shared.ts";
import { readAt, resultOf, setupFrom } from "./_trace_setup.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { dir, file } = tempFiles("pvmkit-cli-invocations-");
const BACKENDS = ["interpreter", "recompiler"] as const;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

async function replays(tracePath: string) {
  for (const backend of BACKENDS) {
    const r = await cli("replay", "--backend", backend, tracePath);
    assert.equal(r.code, 0, `replay on ${backend}: ${r.out}${r.err}`);
  }
}

const anan = sharedPath("programs", "anan-as-traces");
const jamduna = sharedPath("programs", "jamduna");

describe(
  "pvmkit accumulate: jam-bootstrap-service with trace-001's inputs",
  { skip: !anan && "no shared traces" },
  () => {
    const original = anan
      ? parseTrace(readFileSync(join(anan, "trace-001.log"), "utf8"))
      : undefined as unknown as Trace;
    const setup = anan ? setupFrom(original) : undefined!;
    const initialStorage = () => new Map(setup.storage.map(({ key, value }) => [hex(key), hex(value)]));
    const stateJson = () => ({
      services: {
        [setup.serviceId]: {
          info: {
            codeHash: "0x" + hex(setup.info.codeHash),
            balance: setup.info.balance.toString(),
            minAccumulateGas: setup.info.minAccumulateGas.toString(),
            minMemoGas: setup.info.minMemoGas.toString(),
            gratis: setup.info.gratis.toString(),
            created: setup.info.created,
            lastAccumulation: setup.info.lastAccumulation,
            parent: setup.info.parent,
            items: setup.info.items,
            octets: setup.info.octets.toString(),
          },
          storage: Object.fromEntries([...initialStorage()].map(([k, v]) => ["0x" + k, "0x" + v])),
        },
      },
    });
    // The storage after the run, from the trace's writes: key (memread at r7, r8) ← value
    // (memread at r9, r10) or deleted when r10 = 0; FULL leaves it unchanged.
    const expectedStorage = () => {
      const storage = initialStorage();
      for (const call of original.hostCalls.filter((c) => c.index === 4)) {
        const r = call.registers;
        if (resultOf(call) === FULL) continue;
        const key = hex(readAt(call, r[7], r[8]));
        if (r[10] === 0n) storage.delete(key);
        else storage.set(key, hex(readAt(call, r[9], r[10])));
      }
      return storage;
    };

    for (const backend of BACKENDS) {
      it(`halts with the trace's gas, saves the storage its writes imply, records a replayable trace (${backend})`, async () => {
        const state = file(`bootstrap-${backend}.json`, JSON.stringify(stateJson()));
        const traceOut = join(dir, `bootstrap-${backend}.trace`);
        const r = await cli(
          "accumulate",
          join(anan!, "bootstrap-service.jam"),
          "--backend",
          backend,
          "--gas",
          String(original.start.gas),
          "--timeslot",
          String(setup.timeslot),
          "--service",
          String(setup.serviceId),
          "--input-count",
          String(setup.inputCount),
          "--inputs",
          "@" + file("inputs.bin", setup.fetch.accumulateInputsBlob!),
          "--constants",
          "0x" + hex(setup.fetch.constants!),
          "--state",
          state,
          "--record-trace",
          traceOut,
          "--json",
          "--quiet",
        );
        assert.equal(r.code, 0, r.err);
        assert.equal(r.err, "", "--quiet: no log lines");
        const report = JSON.parse(r.out);
        assert.equal(report.status, "halt");
        assert.equal(report.gasUsed, String(original.start.gas - original.termination.gas));
        assert.equal(report.pc, original.termination.pc);
        assert.equal(report.hostCalls, original.hostCalls.length);
        assert.equal(report.rolledBack, false);

        const saved = JSON.parse(readFileSync(state, "utf8")).services[setup.serviceId];
        const want = expectedStorage();
        assert.deepEqual(
          new Map(Object.entries(saved.storage as Record<string, string>).map(([k, v]) => [k.slice(2), v.slice(2)])),
          want,
        );
        assert.equal(saved.info.items, setup.info.items - initialStorage().size + want.size);

        // The recorded trace repeats the original's ecalli, setreg and setgas lines.
        const recorded = parseTrace(readFileSync(traceOut, "utf8"));
        assert.deepEqual(recorded.program, original.program);
        assert.deepEqual(recorded.initialMemWrites.map((w) => w.data), original.initialMemWrites.map((w) => w.data));
        assert.deepEqual({ ...recorded.start, line: 0 }, { ...original.start, line: 0 });
        assert.equal(recorded.hostCalls.length, original.hostCalls.length);
        recorded.hostCalls.forEach((got, i) => {
          const exp = original.hostCalls[i];
          const where = `ecalli #${i + 1} (original line ${exp.line})`;
          assert.deepEqual(
            [got.index, got.pc, got.gas, got.registers],
            [exp.index, exp.pc, exp.gas, exp.registers],
            where,
          );
          assert.deepEqual(
            got.setRegisters.map((s) => [s.index, s.value]),
            exp.setRegisters.map((s) => [s.index, s.value]),
            where,
          );
          assert.equal(got.setGas, exp.setGas, where);
          // Keys and log text the host read are the same bytes at the same addresses.
          if (exp.index !== 3) {
            assert.deepEqual(
              got.memReads.map((m) => [m.address, hex(m.data)]),
              exp.memReads.map((m) => [m.address, hex(m.data)]),
              where,
            );
          }
        });
        const { line: _a, ...endGot } = recorded.termination;
        const { line: _b, ...endExp } = original.termination;
        assert.deepEqual(endGot, endExp);
        await replays(traceOut);
      });
    }

    it("--trace-host prints one line per host call with name, registers and gas", async () => {
      const state = file("bootstrap-trace-host.json", JSON.stringify(stateJson()));
      const r = await cli(
        "accumulate",
        join(anan!, "bootstrap-service.jam"),
        "--gas",
        String(original.start.gas),
        "--timeslot",
        String(setup.timeslot),
        "--input-count",
        String(setup.inputCount),
        "--inputs",
        "0x" + hex(setup.fetch.accumulateInputsBlob!),
        "--constants",
        "0x" + hex(setup.fetch.constants!),
        "--state",
        state,
        "--no-save",
        "--trace-host",
      );
      assert.equal(r.code, 0, r.err);
      const lines = r.err.split("\n").filter((l) => l.startsWith("host #"));
      assert.equal(lines.length, original.hostCalls.length);
      const first = original.hostCalls[0];
      assert.match(
        lines[0],
        new RegExp(
          `^host #1 fetch \\(1\\) pc=${first.pc} r7=0x0 .* -> r7=0x86 r8=0x0 gas ${first.gas} -> ${first.setGas}$`,
        ),
      );
      assert.ok(lines.some((l) => / log \(100\) .* -> r7=0xfffffffffffffffe /.test(l)), "log answers WHAT");
      assert.ok(r.err.includes("log INFO [boot] "), "log messages go to stderr");
      assert.deepEqual(JSON.parse(readFileSync(state, "utf8")), stateJson(), "--no-save leaves the file alone");
    });
  },
);

describe("pvmkit refine: jamduna fib", { skip: !jamduna && "no shared jamduna programs" }, () => {
  for (const backend of BACKENDS) {
    it(`n = 5 gives 15 and five segments, the first its RW data; the recorded trace replays (${backend})`, async () => {
      const blob = readFileSync(join(jamduna!, "fib.pvm"));
      const ro = blob[0] | (blob[1] << 8) | (blob[2] << 16);
      const rwLength = blob[3] | (blob[4] << 8) | (blob[5] << 16);
      const rw = new Uint8Array(4104);
      rw.set(blob.subarray(11 + ro, 11 + ro + Math.min(rwLength, 4104)));
      const exportsOut = join(dir, `fib-${backend}.segments`);
      const traceOut = join(dir, `fib-${backend}.trace`);
      const r = await cli(
        "refine",
        join(jamduna!, "fib.pvm"),
        "--layout",
        "0.7.0",
        "--payload",
        "05000000",
        "--gas",
        "1e9",
        "--backend",
        backend,
        "--exports",
        exportsOut,
        "--record-trace",
        traceOut,
        "--trace-host",
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^status +halt$/m);
      assert.match(r.out, /^output +0x0f000000$/m);
      assert.match(r.out, /^exports +5 segment\(s\)/m);
      assert.match(r.err, /^log INFO fibN num_segments=5$/m);
      assert.equal(r.err.split("\n").filter((l) => / export \(7\) /.test(l)).length, 5);
      const segments = readFileSync(exportsOut);
      assert.equal(segments.length, 5 * 4104);
      assert.deepEqual(new Uint8Array(segments.subarray(0, 4104)), rw);
      const trace = parseTrace(readFileSync(traceOut, "utf8"));
      assert.equal(trace.program[0], 0, "an empty metadata prefix is added to SPI code without one");
      assert.deepEqual(trace.program.subarray(1), new Uint8Array(blob));
      assert.equal(trace.hostCalls.filter((c) => c.index === 7).length, 5);
      await replays(traceOut);
    });
  }
});

describe("pvmkit authorize: jamduna null authorizer", { skip: !jamduna && "no shared jamduna programs" }, () => {
  for (const backend of BACKENDS) {
    it(`halts without host calls (${backend})`, async () => {
      const r = await cli(
        "authorize",
        join(jamduna!, "null_authorizer.pvm"),
        "--core",
        "3",
        "--backend",
        backend,
        "--json",
      );
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out);
      assert.deepEqual([report.status, report.hostCalls, report.backend], ["halt", 0, backend]);
    });
  }
});

// A service whose accumulate (pc 5) does write(KEY, V1) ; checkpoint ; write(KEY2, V2) ;
// then `end`. RO data at 0x10000: KEY(2) V1(1) KEY2(1) V2(3).
function service(end: "halt" | "trap" | "bad-pointer"): Uint8Array {
  const write = (key: number, keyLen: number, value: number, valueLen: number) => [
    I.loadImm(7, key),
    I.loadImm(8, keyLen),
    I.loadImm(9, value),
    I.loadImm(10, valueLen),
    I.ecalli(4),
  ];
  const body = [
    ...write(0x10000, 2, 0x10002, 1),
    I.ecalli(17),
    ...(end === "bad-pointer" ? write(0x10000, 1, 0x0, 3) : write(0x10003, 1, 0x10004, 3)),
    I.loadImm(7, 0),
    I.loadImm(8, 0),
    end === "trap" ? I.trap() : I.jumpInd(0),
  ];
  const pre = Array.from({ length: 5 }, () => I.fallthrough());
  return spi({ ro: [0xaa, 0xbb, 0x01, 0xcc, 7, 8, 9], stack: 4096, blob: asm(...pre, ...body).bytes, metadata: [] });
}

describe("pvmkit accumulate: state file, checkpoint and exit codes", () => {
  const start = { services: { "3": { info: { balance: "100000" }, storage: { "0x01": "0x02" } } } };
  const run = async (end: "halt" | "trap" | "bad-pointer", ...extra: string[]) => {
    const state = file(`state-${end}.json`, JSON.stringify(start));
    const traceOut = join(dir, `service-${end}.trace`);
    const r = await cli(
      "accumulate",
      file(`service-${end}.pvm`, service(end)),
      "--service",
      "3",
      "--state",
      state,
      "--record-trace",
      traceOut,
      "--json",
      ...extra,
    );
    return { ...r, saved: JSON.parse(readFileSync(state, "utf8")).services["3"], traceOut };
  };
  for (const backend of BACKENDS) {
    it(`halt saves every write (${backend})`, async () => {
      const r = await run("halt", "--backend", backend);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(r.saved.storage, { "0x01": "0x02", "0xaabb": "0x01", "0xcc": "0x070809" });
      assert.deepEqual([r.saved.info.items, r.saved.info.octets], [3, String(36 + 37 + 38)]);
      assert.equal(r.saved.info.balance, "100000");
      await replays(r.traceOut);
    });
    it(`a trap after the checkpoint saves the checkpointed state and exits 1 (${backend})`, async () => {
      const r = await run("trap", "--backend", backend);
      assert.equal(r.code, 1);
      const report = JSON.parse(r.out);
      assert.deepEqual([report.status, report.rolledBack], ["panic", true]);
      assert.deepEqual(r.saved.storage, { "0x01": "0x02", "0xaabb": "0x01" });
      await replays(r.traceOut);
    });
    it(`a host panic (unreadable value) ends at the ecalli; its trace replays without resuming (${backend})`, async () => {
      const r = await run("bad-pointer", "--backend", backend);
      assert.equal(r.code, 1);
      assert.deepEqual(r.saved.storage, { "0x01": "0x02", "0xaabb": "0x01" });
      const trace = parseTrace(readFileSync(r.traceOut, "utf8"));
      const last = trace.hostCalls.at(-1)!;
      assert.deepEqual([last.index, trace.termination.status, trace.termination.pc], [4, "PANIC", last.pc]);
      assert.match(readFileSync(r.traceOut, "utf8"), /\nPANIC=0 pc=\d+ gas=\d+ /);
      await replays(r.traceOut);
    });
    it(`out of gas in a host call: OOG at the ecalli with gas 0; the trace replays (${backend})`, async () => {
      // four load_imm and the ecalli leave 7 gas for the first write's charge of 10.
      const r = await run("halt", "--backend", backend, "--gas", "12");
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.out).status, "oog");
      assert.deepEqual(r.saved.storage, { "0x01": "0x02" });
      const text = readFileSync(r.traceOut, "utf8");
      assert.match(text, /\nsetgas <- 0\nOOG pc=\d+ gas=0 /);
      await replays(r.traceOut);
    });
  }
  it("the service must exist or is created with --balance; --state-out writes elsewhere", async () => {
    const out = join(dir, "fresh.json");
    const r = await cli(
      "accumulate",
      file("fresh.pvm", service("halt")),
      "--service",
      "9",
      "--balance",
      "5000",
      "--state-out",
      out,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^service +9 \(new account\): 2 items, 75 octets$/m);
    const saved = JSON.parse(readFileSync(out, "utf8")).services["9"];
    assert.deepEqual([saved.info.balance, saved.storage], ["5000", { "0xaabb": "0x01", "0xcc": "0x070809" }]);
  });
  it("FULL: a write over the balance's threshold leaves the storage unchanged", async () => {
    // threshold 100 + 10·items + octets: one 37-octet item needs 147
    const r = await cli(
      "accumulate",
      file("full.pvm", service("halt")),
      "--balance",
      "146",
      "--state-out",
      join(dir, "full.json"),
      "--trace-host",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`write \\(4\\) .* -> r7=0x${FULL.toString(16)} `));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "full.json"), "utf8")).services["0"].storage, {});
  });
});

// A service whose accumulate (pc 5) blesses service 3 as manager, delegator and registrar
// (assigners all 0, service 9 always accumulated with 1000 gas), transfers 100 to service 4
// with a 5-gas limit and a zero memo, yields a hash of 0x5a bytes and halts. RO data at
// 0x10000: 341 assigners (E4 each), the always-accumulate entry E4(9) ++ E8(1000), the hash.
function privilegedService(): Uint8Array {
  const always = 0x10000 + 341 * 4;
  const ro = new Uint8Array(341 * 4 + 12 + 32);
  new DataView(ro.buffer).setUint32(341 * 4, 9, true);
  new DataView(ro.buffer).setBigUint64(341 * 4 + 4, 1000n, true);
  ro.fill(0x5a, 341 * 4 + 12);
  return assemble(`
.format spi
.ro_data hex"${hex(ro)}"
${"        fallthrough\n".repeat(5)}
        load_imm r7, 3
        load_imm r8, 0x10000
        load_imm r9, 3
        load_imm r10, 3
        load_imm r11, ${always}
        load_imm r12, 1
        ecalli 14                 ; bless
        load_imm r7, 4
        load_imm r8, 100
        load_imm r9, 5
        load_imm r10, 0x10000
        ecalli 20                 ; transfer
        load_imm r7, ${always + 12}
        ecalli 25                 ; yield
        load_imm r7, 0
        load_imm r8, 0
        jump_ind r0, 0
`);
}

describe("pvmkit accumulate: chain state in the state file, and the accumulation's outputs", () => {
  const key = "0x" + "ab".repeat(336);
  const start = {
    services: { "3": { info: { balance: "100000" } }, "4": { info: { balance: "1" } } },
    privileges: { manager: 1, assigners: [], delegator: 1, registrar: 1, alwaysAccumulate: {} },
    authQueues: { "0": ["0x" + "11".repeat(32)] },
    stagingSet: [key],
  };
  for (const backend of BACKENDS) {
    it(`privileges, auth queues and staging keys survive a run; bless's changes are saved (${backend})`, async () => {
      const state = file(`chain-${backend}.json`, JSON.stringify(start));
      const r = await cli(
        "accumulate",
        file("privileged.pvm", privilegedService()),
        "--service",
        "3",
        "--state",
        state,
      );
      assert.equal(r.code, 0, r.out + r.err);
      const saved = JSON.parse(readFileSync(state, "utf8"));
      assert.deepEqual(saved.privileges, {
        manager: 3,
        assigners: new Array(341).fill(0),
        delegator: 3,
        registrar: 3,
        alwaysAccumulate: { "9": "1000" },
      });
      assert.deepEqual([saved.authQueues, saved.stagingSet], [start.authQueues, start.stagingSet]);
      // 100 left service 3 (its balance is saved); the transfer itself is an output.
      assert.equal(saved.services["3"].info.balance, "99900");
      assert.match(r.out, /^yield +0x(5a){32}$/m);
      assert.match(r.out, /^transfers +1: 100 from 3 to 4 \(gas 5\)$/m);
      assert.match(r.out, /^provided +0 preimage\(s\)$/m);
    });
  }
  it("--json lists the transfers, the yield and the provisions", async () => {
    const r = await cli(
      "accumulate",
      file("privileged-json.pvm", privilegedService()),
      "--service",
      "3",
      "--state",
      file("chain-json.json", JSON.stringify(start)),
      "--no-save",
      "--json",
    );
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.equal(report.yield, "5a".repeat(32));
    assert.deepEqual(report.transfers, [{
      source: 3,
      destination: 4,
      amount: "100",
      gas: "5",
      memo: "00".repeat(128),
    }]);
    assert.deepEqual(report.provisions, []);
  });
  it("a misspelt field in the state file is an input error naming it", async () => {
    const state = file("typo.json", JSON.stringify({ ...start, privilegs: {} }));
    const r = await cli("accumulate", file("privileged-typo.pvm", privilegedService()), "--state", state);
    assert.equal(r.code, 2);
    assert.match(r.err, /privilegs: unknown field/);
  });
});

describe("pvmkit refine/accumulate/authorize: help and errors", () => {
  for (const command of ["refine", "accumulate", "authorize"]) {
    it(`${command} --help exits 0 and lists the common flags`, async () => {
      const r = await cli(command, "--help");
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^Usage: pvmkit ${command} \\[options\\] FILE`));
      for (const f of ["--gas", "--backend", "--trace-host", "--record-trace", "--json"]) {
        assert.ok(r.out.includes(f), f);
      }
    });
    it(`${command}: missing FILE, unknown flag, bad --gas and a non-program exit 2`, async () => {
      assert.equal((await cli(command)).code, 2);
      assert.equal((await cli(command, "x.pvm", "--nope")).code, 2);
      assert.equal((await cli(command, "x.pvm", "--gas", "-1")).code, 2);
      const bad = await cli(command, file("garbage.bin", new Uint8Array([1, 2, 3])));
      assert.equal(bad.code, 2);
      assert.match(bad.err, /not a standard program/);
      assert.equal((await cli(command, join(dir, "missing.pvm"))).code, 2);
    });
  }
  it("a malformed state file exits 2 naming the field", async () => {
    const code = file("ok.pvm", service("halt"));
    const bad = file("bad-state.json", JSON.stringify({ services: { "0": { storage: { "0x01": "0xzz" } } } }));
    const r = await cli("accumulate", code, "--state", bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /services\.0\.storage\.0x01: expected 0x-prefixed hex bytes/);
    const notJson = await cli("accumulate", code, "--state", file("nojson.json", "{"));
    assert.equal(notJson.code, 2);
    assert.match(notJson.err, /not JSON/);
  });
  it("bad flag values exit 2", async () => {
    const code = file("ok2.pvm", service("halt"));
    assert.equal((await cli("refine", code, "--layout", "0.6")).code, 2);
    assert.equal((await cli("refine", code, "--package-hash", "0x01")).code, 2);
    assert.equal((await cli("accumulate", code, "--entropy", "0x01")).code, 2);
    assert.equal((await cli("accumulate", code, "--inputs", "0x00")).code, 2);
    assert.equal((await cli("authorize", code, "--core", "70000")).code, 2);
    assert.equal((await cli("accumulate", code, "--backend", "jit")).code, 2);
    assert.equal((await cli("accumulate", code, "--format", "generic")).code, 2);
  });
});

describe("pvmkit run: --trace-host and --record-trace", () => {
  // SPI with metadata; pc 0: ecalli 5 ; ecalli 6 ; jump_ind r0 (halt)
  const program = file(
    "two-calls.pvm",
    spi({ stack: 4096, blob: asm(I.ecalli(5), I.ecalli(6), I.jumpInd(0)).bytes, metadata: [] }),
  );
  for (const backend of BACKENDS) {
    it(`skipped host calls are traced and recorded; the trace replays (${backend})`, async () => {
      const traceOut = join(dir, `run-${backend}.trace`);
      const r = await cli(
        "run",
        program,
        "--host-calls",
        "skip",
        "--trace-host",
        "--record-trace",
        traceOut,
        "--args",
        "0x0102",
        "--backend",
        backend,
      );
      assert.equal(r.code, 0, r.err);
      const lines = r.err.trim().split("\n");
      assert.equal(lines.length, 2);
      // skip mode: WHAT for no extra gas; gas 10_000_000 − 1 per ecalli
      assert.match(
        lines[0],
        /^host #1 unknown \(5\) pc=0 r7=0xfeff0000 r8=0x2 .* -> r7=0xfffffffffffffffe r8=0x2 gas 9999999 -> 9999999$/,
      );
      assert.match(
        lines[1],
        /^host #2 unknown \(6\) pc=2 r7=0xfffffffffffffffe r8=0x2 .* -> r7=0xfffffffffffffffe r8=0x2 gas 9999998 -> 9999998$/,
      );
      const text = readFileSync(traceOut, "utf8").split("\n");
      assert.deepEqual(text.slice(1, 3), [
        "memwrite 0xfeff0000 len=2 <- 0x0102",
        "start pc=0 gas=10000000 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x2",
      ]);
      assert.equal(text[4], "setreg r07 <- 0xfffffffffffffffe");
      assert.equal(text[5], "ecalli=6 pc=2 gas=9999998 r00=0xffff0000 r01=0xfefe0000 r07=0xfffffffffffffffe r08=0x2");
      assert.equal(text[7], "HALT pc=4 gas=9999997 r00=0xffff0000 r01=0xfefe0000 r07=0xfffffffffffffffe r08=0x2");
      await replays(traceOut);
    });
  }
  it("--trace-host and --record-trace need --host-calls skip; --record-trace a standard program", async () => {
    assert.equal((await cli("run", program, "--trace-host")).code, 2);
    assert.equal((await cli("run", program, "--record-trace", join(dir, "x.trace"))).code, 2);
    const generic = file("generic.pvm", asm(I.ecalli(1), I.jumpInd(0)).bytes);
    const r = await cli("run", generic, "--host-calls", "skip", "--record-trace", join(dir, "y.trace"));
    assert.equal(r.code, 2);
    assert.match(r.err, /standard \(SPI\) program/);
  });
});

describe("--crypto: the crypto extension from the command line", () => {
  // pc 0: r9 = r1 − 32 (stack) ; sha2_256(r7, r8) → r9 ; r7 = r9 ; r8 = 32 ; halt: output = the digest
  const digestOfArgs = file(
    "digest.pvm",
    spi({
      stack: 4096,
      metadata: [],
      blob: asm(I.addImm64(9, 1, -32), I.ecalli(0x10002), I.moveReg(7, 9), I.loadImm(8, 32), I.jumpInd(0)).bytes,
    }),
  );
  it('run --host-calls skip --crypto: SHA-256 of the arguments "abc"', async () => {
    const r = await cli("run", digestOfArgs, "--host-calls", "skip", "--crypto", "--args", "616263", "--json");
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.equal(report.output, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(report.hostCallsSkipped, 0);
    const without = JSON.parse(
      (await cli("run", digestOfArgs, "--host-calls", "skip", "--args", "616263", "--json")).out,
    );
    assert.equal(without.hostCallsSkipped, 1, "without --crypto the call is skipped (WHAT)");
    assert.equal((await cli("run", digestOfArgs, "--crypto")).code, 2, "--crypto needs --host-calls skip");
  });
  for (const backend of BACKENDS) {
    it(`authorize --crypto: the digest of E2(core) (${backend})`, async () => {
      const r = await cli("authorize", digestOfArgs, "--crypto", "--core", "3", "--backend", backend, "--json");
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).output, createHash("sha256").update(new Uint8Array([3, 0])).digest("hex"));
      const off = JSON.parse((await cli("authorize", digestOfArgs, "--core", "3", "--json")).out);
      assert.notEqual(off.output, JSON.parse(r.out).output, "not offered without --crypto");
    });
  }
});
