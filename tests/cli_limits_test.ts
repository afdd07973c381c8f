// The CLI's resource limits: --timeout and --max-memory on run, call and the invocations,
// --max-machines on refine. Each stops a hostile program with exit status 4 and a message
// naming the flag; bad values are usage errors (exit 2); without the flags the same
// programs behave as before.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { assemble } from "../src/isa/assembler.ts";
import { encodePolkaVm } from "../src/program/polkavm.ts";
import { runCli, tempFiles } from "./_cli.ts";

const { file } = tempFiles("pvmkit-cli-limits-");

/** A generic program that spins forever (one `jump` to itself). */
const spin = file("spin.pvmasm", ".format generic\nspin: jump spin\n");

/** An SPI program that traps at once, with `pages` pages of zeroed heap in its layout. */
function bigHeap(pages: number): string {
  return file(`heap-${pages}.pvmasm`, `.format spi\n.heap_pages ${pages}\n        trap\n`);
}

/** A refine service (SPI) that spins forever without a host call. */
const spinningService = file("spinning.pvm", assemble(".format spi\nloop:   jump loop\n"));

/** A refine service creating inner machines forever: machine, then loop (each costs gas only). */
function machineFactory(): string {
  const child = assemble(".format generic\n        trap\n");
  const hex = [...child].map((b) => b.toString(16).padStart(2, "0")).join("");
  return file(
    "factory.pvm",
    assemble(`
.format spi
.ro_data hex"${hex}"
loop:   load_imm r7, 0x10000
        load_imm r8, ${child.length}
        load_imm r9, 0
        ecalli 8                  ; machine → r7 = id
        jump loop
`),
  );
}

/** A 64-bit PolkaVM container whose export `spin` never returns. */
const polkavmSpin = file(
  "spin.polkavm",
  encodePolkaVm({ exports: [{ name: "spin", pc: 0 }], code: assemble("spin: jump spin") }),
);

describe("CLI resource limits", () => {
  it("run --timeout stops a spinning program at a block boundary: exit status 4", async () => {
    const started = Date.now();
    const r = await runCli("run", spin, "--gas", "1e18", "--timeout", "200ms", "--backend", "recompiler");
    assert.equal(r.code, 4, r.err);
    assert.match(r.out, /exit\s+limit \(--timeout/);
    assert.ok(Date.now() - started < 20_000);
    const json = await runCli("run", spin, "--gas", "1e18", "--timeout", "0.1s", "--json");
    assert.equal(json.code, 4);
    const report = JSON.parse(json.out);
    assert.equal(report.exit, "limit");
    assert.ok(BigInt(report.gasUsed) > 0n, "the program ran until stopped");
  });

  it("run without --timeout runs the same program to its gas limit (control)", async () => {
    const r = await runCli("run", spin, "--gas", "100000", "--json");
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.out).exit, "oog");
  });

  it("run --max-memory refuses a program whose memory is larger, before running it", async () => {
    const program = bigHeap(300); // 300 pages of heap, plus stack and arguments
    const limited = await runCli("run", program, "--max-memory", "1MiB");
    assert.equal(limited.code, 4);
    assert.match(limited.err, /^pvmkit run: stopped by --max-memory: the program needs \d+ pages .* the limit is 256/);
    assert.equal(limited.out, "");
    const roomy = await runCli("run", program, "--max-memory", "4MiB", "--json");
    assert.equal(roomy.code, 1, roomy.err); // it traps: it ran
    assert.equal(JSON.parse(roomy.out).exit, "panic");
  });

  it("refine --max-machines stops a service that keeps creating inner machines", async () => {
    const factory = machineFactory();
    const limited = await runCli("refine", factory, "--max-machines", "3", "--gas", "1e6", "--quiet");
    assert.equal(limited.code, 4, limited.out + limited.err);
    assert.match(limited.err, /stopped by --max-machines: the service asked for inner machine number 4 \(limit 3\)/);
    // Without the flag it runs until its gas is gone, creating machine after machine.
    const unlimited = await runCli("refine", factory, "--gas", "2000", "--quiet", "--json");
    assert.equal(unlimited.code, 1, unlimited.err);
    const report = JSON.parse(unlimited.out);
    assert.equal(report.status, "oog");
    assert.ok(report.hostCalls > 3, `${report.hostCalls} machine calls`);
  });

  it("refine --timeout stops a service that spins on a huge gas budget", async () => {
    const started = Date.now();
    const r = await runCli("refine", spinningService, "--gas", "1e18", "--timeout", "200ms", "--backend", "auto");
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.err, /^pvmkit refine: stopped by --timeout: the run took \d+ ms \(limit 200 ms\)/);
    assert.ok(Date.now() - started < 20_000);
  });

  it("accumulate --timeout leaves the state file as it was", async () => {
    // Five one-byte instructions, so the spin sits at accumulate's entry, pc 5.
    const service = file(
      "spinning-accumulate.pvm",
      assemble(".format spi\n" + "        fallthrough\n".repeat(5) + "loop:   jump loop\n"),
    );
    const state = file("state.json", '{ "services": { "7": { "storage": { "0x6b6579": "0x76616c7565" } } } }\n');
    const before = readFileSync(state, "utf8");
    const r = await runCli(
      "accumulate",
      service,
      "--service",
      "7",
      "--state",
      state,
      "--gas",
      "1e18",
      "--timeout",
      "150ms",
    );
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.err, /stopped by --timeout/);
    assert.equal(readFileSync(state, "utf8"), before);
  });

  it("accumulate --max-memory refuses a service larger than the limit, before it runs", async () => {
    const r = await runCli("accumulate", machineFactory(), "--max-memory", "4KiB", "--quiet");
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.err, /^pvmkit accumulate: stopped by --max-memory: the program needs \d+ pages/);
  });

  it("call --timeout ends an export that never returns", async () => {
    const r = await runCli("call", polkavmSpin, "spin", "--timeout", "100ms");
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /^pvmkit call: call to "spin" stopped by --timeout \(100 ms\) at pc 0/);
  });

  it("bad limit values are usage errors", async () => {
    for (
      const [args, message] of [
        [["--timeout", "soon"], /--timeout: "soon" is not a duration/],
        [["--timeout", "0"], /--timeout: "0" is not a duration/],
        [["--max-memory", "100"], /--max-memory: "100" is not a size from 4KiB/],
        [["--max-memory", "5000"], /not a whole number of 4 KiB pages/],
        [["--max-memory", "8GiB"], /is not a size from 4KiB to 4GiB/],
      ] as const
    ) {
      const r = await runCli("run", spin, ...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, message);
    }
    const machines = await runCli("accumulate", machineFactory(), "--max-machines", "2");
    assert.equal(machines.code, 2);
    assert.match(machines.err, /unknown option --max-machines/);
  });

  it("the help of each command documents its limit flags", async () => {
    for (const command of ["run", "call", "refine", "accumulate", "authorize"]) {
      const help = (await runCli(command, "--help")).out;
      assert.match(help, /--timeout T/, command);
      assert.match(help, /--max-memory SIZE/, command);
      assert.equal(/--max-machines N/.test(help), command === "refine", command);
      assert.match(help, /4 .*(limit|--timeout)/s, command);
    }
  });
});
