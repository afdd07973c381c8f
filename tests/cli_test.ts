import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { captureIo, main } from "../src/cli/main.ts";
import { parseInteger, parseMap, parseRegisters, UsageError } from "../src/cli/_args.ts";
import { wantColor } from "../src/cli/_output.ts";
import { Module } from "../src/engine.ts";
import { ProgramError } from "../src/program/errors.ts";
import { VERSION } from "../src/version.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { dir, file } = tempFiles("pvmkit-cli-");

// Hand-assembled generic blobs: [jump table length, entry size, code length, code..., bitmask].
// load_imm r7, 5 (51 07 05) ; add_imm_64 r8, r7, 10 (149 0x78 0a) ; jump_ind r0, 0 (50 00).
// Opcodes start at 0, 3 and 6 → bitmask 0b01001001. With r0 = 0xffff0000 the jump halts.
const ADD = file("add.pvm", [0, 0, 8, 51, 0x07, 5, 149, 0x78, 10, 50, 0x00, 0b01001001]);
// trap
const TRAP = file("trap.pvm", [0, 0, 1, 0, 0b1]);
// ecalli 3 ; jump_ind r0, 0
const HOST = file("host.pvm", [0, 0, 4, 10, 3, 50, 0x00, 0b0101]);
// load_u8 r7, [0x20000] (52 07 00 00 02): faults unless that page is mapped; then runs off the end.
const LOAD = file("load.pvm", [0, 0, 5, 52, 0x07, 0x00, 0x00, 0x02, 0b00001]);
// SPI with empty data/heap/stack around the blob `jump_ind r0, 0`; r0 is the halt address.
const SPI = file("halt.spi", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 2, 50, 0x00, 0b01]);
const HALT_REG = "0=0xffff0000";

describe("pvmkit run", () => {
  it("reports halt, gas and the changed registers in text", async () => {
    const r = await cli("run", ADD, "--regs", HALT_REG);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.match(r.out, /^exit +halt$/m);
    assert.match(r.out, /^pc +6$/m);
    assert.match(r.out, /^gas used +3$/m);
    assert.match(r.out, /^gas left +9999997$/m);
    assert.match(r.out, /^ +r7 +0x0000000000000005 +5$/m);
    assert.match(r.out, /^ +r8 +0x000000000000000f +15$/m);
    assert.doesNotMatch(r.out, /r0 /, "a register set on the command line counts as initial");
    assert.ok(!r.out.includes("\x1b["), "no colour when not asked");
  });

  it("prints one JSON object with --json", async () => {
    const r = await cli("run", ADD, "--reg", HALT_REG, "--gas", "1_000", "--json");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim().split("\n").length, 1);
    const json = JSON.parse(r.out);
    assert.equal(json.exit, "halt");
    assert.equal(json.pc, 6);
    assert.equal(json.gasUsed, "3");
    assert.equal(json.gasLeft, "997");
    assert.equal(json.format, "generic");
    assert.deepEqual(json.changed, { r7: "5", r8: "15" });
    assert.deepEqual(json.registers, ["4294901760", "0", "0", "0", "0", "0", "0", "5", "15", "0", "0", "0", "0"]);
  });

  it("exits 1 on panic", async () => {
    const r = await cli("run", TRAP, "--json");
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.out).exit, "panic");
  });

  it("exits 1 when out of gas", async () => {
    const r = await cli("run", ADD, "--regs", HALT_REG, "--gas", "2");
    assert.equal(r.code, 1);
    assert.match(r.out, /^exit +oog/m);
  });

  it("exits 1 on a page fault and reports the address", async () => {
    const r = await cli("run", LOAD);
    assert.equal(r.code, 1);
    assert.match(r.out, /^exit +fault$/m);
    assert.match(r.out, /^address +0x00020000 \(131072\)$/m);
    assert.equal(JSON.parse((await cli("run", LOAD, "--json")).out).address, 131072);
  });

  it("maps memory for a generic program with --map", async () => {
    const r = await cli("run", LOAD, "--map", "0x20000:4096:r", "--json");
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out);
    assert.equal(json.exit, "panic", "the read succeeds; then the code runs off its end");
    assert.equal(json.pc, 5);
  });

  it("stops at a host call by default, exit 0", async () => {
    const r = await cli("run", HOST, "--regs", HALT_REG);
    assert.equal(r.code, 0);
    assert.match(r.out, /^exit +host$/m);
    assert.match(r.out, /^host call +3$/m);
    assert.equal(JSON.parse((await cli("run", HOST, "--json")).out).hostCall, 3);
  });

  it("answers host calls with WHAT under --host-calls skip", async () => {
    const r = await cli("run", HOST, "--regs", HALT_REG, "--host-calls", "skip", "--json");
    assert.equal(r.code, 0);
    const json = JSON.parse(r.out);
    assert.equal(json.exit, "halt");
    assert.equal(json.hostCallsSkipped, 1);
    assert.deepEqual(json.changed, { r7: ((1n << 64n) - 2n).toString() });
    const text = await cli("run", HOST, "--regs", HALT_REG, "--host-calls", "skip");
    assert.match(text.out, /r7 +0xfffffffffffffffe +18446744073709551614 \(-2\)/);
  });

  it("runs an SPI program with --args and shows its output", async () => {
    const r = await cli("run", SPI, "--args", "0xdeadbeef");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^output +deadbeef$/m);
    const argFile = file("args.bin", [1, 2, 3]);
    const json = JSON.parse((await cli("run", SPI, "--args", `@${argFile}`, "--json")).out);
    assert.equal(json.format, "spi");
    assert.equal(json.output, "010203");
    assert.equal(json.registers[8], "3");
  });

  it("honours --format and --pc", async () => {
    const r = await cli("run", ADD, "--format", "generic", "--pc", "6", "--regs", HALT_REG, "--json");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).changed, {});
    const forced = await cli("run", ADD, "--format", "spi");
    assert.equal(forced.code, 2);
    assert.match(forced.err, /^pvmkit run: .*add\.pvm: at byte \d+: /);
  });

  it("uses colour only when the io asks for it", async () => {
    const io = captureIo({ color: true });
    assert.equal(await main(["run", ADD, "--regs", HALT_REG], io), 0);
    assert.ok(io.out().includes("\x1b["));
    assert.equal(wantColor(true, {}), true);
    assert.equal(wantColor(true, { NO_COLOR: "1" }), false);
    assert.equal(wantColor(true, { NO_COLOR: "" }), true);
    assert.equal(wantColor(false, {}), false);
    assert.equal(wantColor(undefined, {}), false);
  });
});

// A JIP-6 trace of the generic blob `ecalli 7 ; jump_ind r0` whose host answers r7 = 0x2a and charges 10 gas.
const TRACE_LINES = [
  "program 0x0000040a07320005",
  "start pc=0 gas=100 r00=0xffff0000",
  "ecalli=7 pc=0 gas=99 r00=0xffff0000",
  "setreg r07 <- 0x2a",
  "setgas <- 89",
  "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
];
const GOOD_TRACE = file("good.trace", TRACE_LINES.join("\n") + "\n");
const BAD_TRACE = file("bad.trace", TRACE_LINES.join("\n").replace("ecalli=7 pc=0 gas=99", "ecalli=7 pc=0 gas=98"));

describe("pvmkit replay", () => {
  it("prints OK with the number of host calls, exit 0", async () => {
    const r = await cli("replay", GOOD_TRACE);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^OK: 1 host call\(s\) replayed; ended with halt at pc 2, gas left 88$/m);
    const json = JSON.parse((await cli("replay", GOOD_TRACE, "--format", "generic", "--json")).out);
    assert.equal(json.ok, true);
    assert.equal(json.steps, 1);
    assert.equal(json.exit.gas, "88");
  });

  it("prints the first mismatch, exit 1", async () => {
    const r = await cli("replay", BAD_TRACE);
    assert.equal(r.code, 1);
    assert.match(r.out, /^MISMATCH in .*bad\.trace: ecalli #1 \(trace line 3\): gas expected 98, got 99$/m);
    const json = JSON.parse((await cli("replay", BAD_TRACE, "--json")).out);
    assert.equal(json.ok, false);
    assert.deepEqual(
      [json.mismatch.step, json.mismatch.line, json.mismatch.field, json.mismatch.expected, json.mismatch.actual],
      [1, 3, "gas", "98", "99"],
    );
  });

  it("a malformed trace is an input error, exit 2", async () => {
    const r = await cli("replay", file("broken.trace", "program 0x00\nstart pc=zero gas=1\n"));
    assert.equal(r.code, 2);
    assert.match(r.err, /^pvmkit replay: .*broken\.trace: trace line 2: /);
    assert.equal(r.err.trim().split("\n").length, 1);
    assert.equal((await cli("replay")).code, 2);
    assert.equal((await cli("replay", join(dir, "missing.trace"))).code, 2);
    assert.equal((await cli("replay", GOOD_TRACE, "--format", "elf")).code, 2);
  });
});

// The same program as assembly; by hand: load_imm r7, 42 = 51 07 2a; jump_ind r0, 0 = 50 00;
// opcodes at 0 and 3 → bitmask 0b01001.
const SOURCE = "; answer\n        load_imm r7, 42\n        jump_ind r0, 0   ; halts with r0 = 0xffff0000\n";
const SOURCE_BYTES = [0, 0, 5, 51, 7, 42, 50, 0, 0b01001];

describe("pvmkit asm", () => {
  it("writes FILE.pvm by default and says so on stderr", async () => {
    const src = file("answer.pvmasm", SOURCE);
    const r = await cli("asm", src);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "");
    const out = join(dir, "answer.pvm");
    assert.equal(r.err, `wrote 9 bytes to ${out}\n`);
    assert.deepEqual([...readFileSync(out)], SOURCE_BYTES);
  });

  it("-o OUT and -o - (bytes to stdout)", async () => {
    const src = file("answer2.pvmasm", SOURCE);
    const out = join(dir, "elsewhere.bin");
    assert.equal((await cli("asm", src, "-o", out)).code, 0);
    assert.deepEqual([...readFileSync(out)], SOURCE_BYTES);
    const io = captureIo();
    assert.equal(await main(["asm", src, "--output", "-"], io), 0);
    assert.deepEqual([...io.outBytes()], SOURCE_BYTES);
    assert.equal(io.err(), "");
  });

  it("an assembly error is FILE:LINE:COL: message, exit 2", async () => {
    const src = file("broken.pvmasm", "        load_imm r7, 1\n        frobnicate r1\n");
    const r = await cli("asm", src);
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.match(r.err, /^pvmkit asm: .*broken\.pvmasm:2:\d+: \S.*\n$/);
    assert.equal(r.err.split("\n").length, 2, "one line");
  });

  it("refuses to overwrite its input, and reports a missing file", async () => {
    const src = file("same.pvm", SOURCE);
    const r = await cli("asm", src);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to overwrite/);
    assert.equal(readFileSync(src, "utf8"), SOURCE);
    assert.equal((await cli("asm", join(dir, "none.pvmasm"))).code, 2);
    assert.equal((await cli("asm")).code, 2);
  });

  it("run assembles a .pvmasm file first", async () => {
    const r = await cli("run", file("answer3.pvmasm", SOURCE), "--regs", HALT_REG, "--json");
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.exit, "halt");
    assert.deepEqual(json.changed, { r7: "42" });
    assert.equal(json.gasUsed, "2");
    const bad = await cli("run", file("broken2.pvmasm", "load_imm r7\n"));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^pvmkit run: .*broken2\.pvmasm:1:\d+: /);
  });
});

describe("pvmkit disasm", () => {
  it("prints the listing", async () => {
    const r = await cli("disasm", file("answer.bin", SOURCE_BYTES));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\s*load_imm r7, 42$/m);
    assert.match(r.out, /^\s*jump_ind r0, 0$/m);
    assert.ok(r.out.endsWith("\n"));
  });

  it("-o OUT writes the listing, which assembles back to the same bytes", async () => {
    const out = join(dir, "listing.pvmasm");
    const r = await cli("disasm", ADD, "-o", out);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "");
    const back = join(dir, "roundtrip.pvm");
    assert.equal((await cli("asm", out, "-o", back)).code, 0);
    assert.deepEqual([...readFileSync(back)], [...readFileSync(ADD)]);
  });

  it("--format and malformed input", async () => {
    assert.equal((await cli("disasm", ADD, "--format", "generic")).code, 0);
    const r = await cli("disasm", ADD, "--format", "spi");
    assert.equal(r.code, 2);
    assert.match(r.err, /^pvmkit disasm: .*add\.pvm: at byte \d+: /);
    assert.equal((await cli("disasm", ADD, "--format", "elf")).code, 2);
    assert.equal((await cli("disasm", join(dir, "none.pvm"))).code, 2);
  });
});

describe("pvmkit usage and input errors (exit 2)", () => {
  const oneLine = (err: string) => {
    assert.doesNotMatch(err, /^\s+at /m, "no stack trace");
  };

  it("unknown flag", async () => {
    const r = await cli("run", ADD, "--frobnicate");
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.match(r.err, /^pvmkit run: unknown option --frobnicate\n/);
    assert.match(r.err, /pvmkit run --help/);
  });

  it("unknown command and unknown top-level option", async () => {
    assert.equal((await cli("frob")).code, 2);
    const r = await cli("--frob");
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --frob/);
  });

  it("missing file", async () => {
    const r = await cli("run", join(dir, "nope.pvm"));
    assert.equal(r.code, 2);
    assert.match(r.err, /^pvmkit run: cannot read .*nope\.pvm: no such file or directory\n$/);
  });

  it("missing operand and too many operands", async () => {
    assert.match((await cli("run")).err, /missing program FILE/);
    assert.equal((await cli("run")).code, 2);
    assert.equal((await cli("run", ADD, ADD)).code, 2);
  });

  it("malformed blob reports the ProgramError message", async () => {
    const bad = [0, 0, 9, 0];
    let expected = "";
    try {
      Module.load(new Uint8Array(bad));
    } catch (error) {
      assert.ok(error instanceof ProgramError);
      expected = error.message;
    }
    assert.notEqual(expected, "");
    const r = await cli("run", file("bad.pvm", bad));
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(expected), r.err);
    assert.equal(r.err.trim().split("\n").length, 1);
    oneLine(r.err);
  });

  it("bad option values", async () => {
    for (
      const argv of [
        ["--gas", "lots"],
        ["--gas", "-5"],
        ["--pc", "0x1_0000_0000"],
        ["--regs", "13=1"],
        ["--regs", "7"],
        ["--reg", "7=0x1_0000_0000_0000_0000"],
        ["--map", "0x1000:10:rw"],
        ["--map", "0x1000:4096:x"],
        ["--args", "abc"],
        ["--args", "00"],
        ["--format", "elf"],
        ["--host-calls", "ignore"],
        ["--gas"],
        ["--json=yes"],
      ]
    ) {
      const r = await cli("run", ADD, ...argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
      oneLine(r.err);
      assert.equal(r.out, "");
    }
  });

  it("--map is refused for an SPI program", async () => {
    const r = await cli("run", SPI, "--map", "0x10000:4096:rw");
    assert.equal(r.code, 2);
    assert.match(r.err, /--map applies to generic programs only/);
  });
});

describe("pvmkit help and version", () => {
  it("--help, -h and help list the commands", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const r = await cli(...argv);
      assert.equal(r.code, 0);
      assert.match(r.out, /^Usage: pvmkit COMMAND/m);
      assert.match(r.out, /^ {2}run /m);
    }
  });

  it("no arguments prints help to stderr and exits 2", async () => {
    const r = await cli();
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.match(r.err, /Usage: pvmkit COMMAND/);
  });

  it("help for each command, in both spellings", async () => {
    const commands = (await cli("--help")).out.match(/^ {2}([a-z]+) /gm)!.map((s) => s.trim()).filter((c) =>
      c !== "help"
    );
    assert.ok(commands.includes("run"));
    assert.deepEqual(commands, [
      "run",
      "disasm",
      "asm",
      "replay",
      "compile",
      "gas",
      "refine",
      "accumulate",
      "authorize",
      "inspect",
      "call",
    ]);
    for (const command of commands) {
      const a = await cli("help", command);
      const b = await cli(command, "--help");
      const c = await cli(command, "-h");
      assert.equal(a.code, 0);
      assert.equal(b.code, 0);
      assert.equal(c.code, 0);
      assert.match(a.out, new RegExp(`^Usage: pvmkit ${command} `));
      assert.equal(a.out, b.out);
      assert.equal(a.out, c.out);
    }
    const run = await cli("help", "run");
    for (
      const option of [
        "--format",
        "--gas",
        "--pc",
        "--args",
        "--regs",
        "--reg",
        "--map",
        "--host-calls",
        "--backend",
        "--json",
      ]
    ) {
      assert.ok(run.out.includes(option), option);
    }
  });

  it("help for an unknown command exits 2", async () => {
    assert.equal((await cli("help", "frob")).code, 2);
  });

  it("--version prints VERSION", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await cli(flag);
      assert.equal(r.code, 0);
      assert.equal(r.out, `pvmkit ${VERSION}\n`);
    }
  });

  it("VERSION matches package.json and deno.json", () => {
    const read = (name: string) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), "utf8")).version;
    assert.equal(VERSION, read("package.json"));
    assert.equal(VERSION, read("deno.json"));
  });
});

describe("CLI argument syntax", () => {
  it("integers", () => {
    assert.equal(parseInteger("10000000", "n"), 10_000_000n);
    assert.equal(parseInteger("1_000_000", "n"), 1_000_000n);
    assert.equal(parseInteger("1e6", "n"), 1_000_000n);
    assert.equal(parseInteger("2.5e3", "n"), 2500n);
    assert.equal(parseInteger("0xff_ff", "n"), 0xffffn);
    assert.equal(parseInteger("0b101", "n"), 5n);
    assert.equal(parseInteger("-3", "n", true), -3n);
    for (const bad of ["", "_1", "1_", "1__0", "1.5", "2.55e1", "0x", "1e", "ten", "-3"]) {
      assert.throws(() => parseInteger(bad, "n"), UsageError, bad);
    }
  });

  it("registers", () => {
    assert.deepEqual(
      [...parseRegisters(["7=30,8=0x10", "r9=-1", "7=31"])],
      [[7, 31n], [8, 16n], [9, (1n << 64n) - 1n]],
    );
  });

  it("memory maps", () => {
    assert.deepEqual(parseMap("0x10000:0x2000:rw"), { address: 0x10000, length: 0x2000, access: "write" });
    assert.deepEqual(parseMap("4096:4096:r"), { address: 4096, length: 4096, access: "read" });
    assert.throws(() => parseMap("0xfffff000:0x2000:r"), UsageError);
  });
});
