// The CLI's backend option (run, replay) and `pvmkit compile`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../src/cli/_args.ts";
import { loadWatPrinter } from "../src/cli/compile.ts";
import { Module } from "../src/engine.ts";
import { assemble } from "../src/isa/assembler.ts";
import { validateWasm, wabtSkipReason } from "./_wabt.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { dir, file } = tempFiles("pvmkit-cli-compile-");

const example = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const FIB = example("fibonacci.pvmasm");
const SIEVE = example("sieve.pvmasm");
const HOST_CALLS = example("host-calls.pvmasm");
const XORSHIFT = example("xorshift.pvmasm");

// Generic blobs by hand: [jump table length, entry size, code length, code..., bitmask].
// trap
const TRAP = file("trap.pvm", [0, 0, 1, 0, 0b1]);
// load_u8 r7, [0x20000] (52 07 00 00 02): a page fault unless mapped.
const LOAD = file("load.pvm", [0, 0, 5, 52, 0x07, 0x00, 0x00, 0x02, 0b00001]);
// load_imm r7, 5 ; add_imm_64 r8, r7, 10 ; jump_ind r0, 0
const ADD = file("add.pvm", [0, 0, 8, 51, 0x07, 5, 149, 0x78, 10, 50, 0x00, 0b01001001]);

const BACKENDS = ["interpreter", "recompiler", "auto"] as const;
const withoutBackendLine = (text: string) => text.replace(/^backend +.*\n/m, "");

describe("pvmkit run --backend", () => {
  const cases: [string, string[]][] = [
    ["fibonacci", [FIB, "--regs", "7=30"]],
    ["xorshift", [XORSHIFT]],
    ["sieve", [SIEVE]],
    ["host call, stop", [HOST_CALLS]],
    ["host calls, skip", [HOST_CALLS, "--host-calls", "skip"]],
    ["out of gas", [SIEVE, "--gas", "100_000"]],
    ["page fault", [LOAD]],
    ["panic", [TRAP]],
    ["generic program with --map", [LOAD, "--map", "0x20000:4096:r"]],
    ["starting --pc", [ADD, "--pc", "3", "--regs", "0=0xffff0000,7=1"]],
  ];
  for (const [name, argv] of cases) {
    it(`every backend gives the same report: ${name}`, async () => {
      const text = await Promise.all(BACKENDS.map((b) => cli("run", ...argv, "--backend", b)));
      const json = await Promise.all(BACKENDS.map((b) => cli("run", ...argv, "--backend", b, "--json")));
      BACKENDS.forEach((backend, i) => {
        assert.equal(text[i].code, text[0].code, backend);
        assert.equal(text[i].err, "");
        const tier = backend === "auto" ? "auto \\(ended on the interpreter\\)" : backend;
        assert.match(text[i].out, new RegExp(`^backend +${tier}$`, "m"));
        assert.equal(withoutBackendLine(text[i].out), withoutBackendLine(text[0].out), backend);
        assert.equal(json[i].code, text[0].code);
        const { backend: b, tier: t, ...rest } = JSON.parse(json[i].out);
        const { backend: _b, tier: _t, ...first } = JSON.parse(json[0].out);
        assert.equal(b, backend);
        assert.equal(t, backend === "recompiler" ? "recompiler" : "interpreter");
        assert.deepEqual(rest, first, backend);
      });
    });
  }

  it("the default is the interpreter", async () => {
    const r = await cli("run", FIB, "--regs", "7=10");
    assert.match(r.out, /^backend +interpreter$/m);
    const json = JSON.parse((await cli("run", FIB, "--regs", "7=10", "--json")).out);
    assert.equal(json.backend, "interpreter");
    assert.equal(json.tier, "interpreter");
  });

  it("auto reports that a long run ended on the recompiler", async () => {
    // fib(n) runs 5n + 7 instructions (4 set-up, 5 per step, 3 to finish): for n = 1_000_000
    // well past the 2M-instruction tier budget.
    const argv = ["run", FIB, "--regs", "7=1_000_000", "--gas", "6e6"];
    const auto = await cli(...argv, "--backend", "auto");
    assert.equal(auto.code, 0, auto.err);
    assert.match(auto.out, /^backend +auto \(ended on the recompiler\)$/m);
    const json = JSON.parse((await cli(...argv, "--backend", "auto", "--json")).out);
    assert.equal(json.tier, "recompiler");
    assert.equal(json.gasUsed, String(5 * 1_000_000 + 7));
    const interpreted = await cli(...argv);
    assert.equal(withoutBackendLine(auto.out), withoutBackendLine(interpreted.out));
  });

  it("an unknown backend is a usage error, exit 2", async () => {
    for (const argv of [["--backend", "jit"], ["--backend"], ["--backend", ""]]) {
      const r = await cli("run", FIB, ...argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.equal(r.out, "");
      assert.match(r.err, /^pvmkit run: /);
    }
    assert.match((await cli("run", FIB, "--backend", "jit")).err, /--backend must be interpreter, recompiler or auto/);
  });

  it("is in the help text", async () => {
    const help = (await cli("help", "run")).out;
    assert.match(help, /--backend B/);
    for (const b of BACKENDS) assert.ok(help.includes(b), b);
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
const BAD_TRACE = file("bad.trace", TRACE_LINES.join("\n").replace("r07=0x2a", "r07=0x2b"));

describe("pvmkit replay --backend", () => {
  for (const backend of BACKENDS) {
    it(`replays on the ${backend}`, async () => {
      const r = await cli("replay", GOOD_TRACE, "--backend", backend);
      assert.equal(r.code, 0, r.err);
      const note = backend === "interpreter" ? "" : ` \\(backend: ${backend}\\)`;
      assert.match(
        r.out,
        new RegExp(`^OK: 1 host call\\(s\\) replayed; ended with halt at pc 2, gas left 88${note}$`, "m"),
      );
      const json = JSON.parse((await cli("replay", GOOD_TRACE, "--backend", backend, "--json")).out);
      assert.equal(json.ok, true);
      assert.equal(json.backend, backend);
      const bad = await cli("replay", BAD_TRACE, "--backend", backend, "--json");
      assert.equal(bad.code, 1);
      assert.equal(JSON.parse(bad.out).mismatch.field, "r7");
    });
  }

  it("an unknown backend is a usage error, exit 2", async () => {
    const r = await cli("replay", GOOD_TRACE, "--backend", "jit");
    assert.equal(r.code, 2);
    assert.match(r.err, /--backend must be interpreter, recompiler or auto/);
    assert.match((await cli("help", "replay")).out, /--backend B/);
  });
});

/** The module a run of `path` would use: compiled for the rotation its memory gets. */
function expectedWasm(source: string): Uint8Array {
  const module = Module.load(assemble(readFileSync(source, "utf8")));
  return module.compiled(module.instantiate().memory.rotation).bytes;
}

describe("pvmkit compile", () => {
  it("writes FILE.wasm by default, the module the recompiler runs, and reports sizes on stderr", async () => {
    const src = file("fib.pvmasm", readFileSync(FIB, "utf8"));
    const r = await cli("compile", src);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "");
    const out = join(dir, "fib.wasm");
    const bytes = new Uint8Array(readFileSync(out));
    assert.deepEqual(bytes, expectedWasm(FIB));
    assert.ok(WebAssembly.validate(bytes));
    const code = Module.load(assemble(readFileSync(FIB, "utf8"))).blob.code.length;
    assert.match(r.err, new RegExp(`^code +${code} bytes of PVM code$`, "m"));
    assert.match(
      r.err,
      new RegExp(`^wasm +${bytes.length} bytes \\(${(bytes.length / code).toFixed(1)}× the code\\)$`, "m"),
    );
    assert.match(r.err, /^blocks +\d+ in \d+ region\(s\)/m);
    assert.match(r.err, /^compiled +\d+\.\d ms, for guest memory rotation 0x[0-9a-f]{8}$/m);
    assert.match(r.err, new RegExp(`^wrote +${out.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}$`, "m"));
  });

  for (
    const [name, source] of [["fibonacci", FIB], ["xorshift", XORSHIFT], ["sieve", SIEVE], ["host-calls", HOST_CALLS]]
  ) {
    it(`-o OUT.wasm for ${name}: valid for WebAssembly.validate and wabt`, async () => {
      const out = join(dir, `${name}.out.wasm`);
      const r = await cli("compile", source, "-o", out);
      assert.equal(r.code, 0, r.err);
      const bytes = new Uint8Array(readFileSync(out));
      assert.deepEqual(bytes, expectedWasm(source));
      assert.ok(WebAssembly.validate(bytes), "WebAssembly.validate");
      if (!wabtSkipReason) validateWasm(bytes);
    });
  }

  it("-o - writes the bytes to stdout", async () => {
    const r = await cli("compile", SIEVE, "-o", "-");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.bytes, expectedWasm(SIEVE));
    assert.doesNotMatch(r.err, /^wrote/m);
    assert.match(r.err, /^wasm /m);
  });

  it("compiles a generic program for the memory --map gives it", async () => {
    const plain = await cli("compile", LOAD, "-o", "-");
    const mapped = await cli("compile", LOAD, "-o", "-", "--map", "0x20000:4096:r");
    assert.equal(mapped.code, 0, mapped.err);
    const module = Module.load(new Uint8Array(readFileSync(LOAD)));
    const rotation = module.instantiate({ memory: [{ address: 0x20000, length: 4096, access: "read" }] }).memory
      .rotation;
    assert.deepEqual(mapped.bytes, module.compiled(rotation).bytes);
    assert.deepEqual(plain.bytes, module.compiled(module.instantiate().memory.rotation).bytes);
    assert.ok(WebAssembly.validate(mapped.bytes as Uint8Array<ArrayBuffer>));
  });

  it("--wat prints the text format", { skip: wabtSkipReason }, async () => {
    const r = await cli("compile", FIB, "--wat", "-o", "-");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\(module\b/);
    assert.match(r.out, /\(export "enter"/);
    const src = file("xs.pvmasm", readFileSync(XORSHIFT, "utf8"));
    assert.equal((await cli("compile", src, "--wat")).code, 0);
    assert.match(readFileSync(join(dir, "xs.wat"), "utf8"), /^\(module/);
  });

  it("--wat without wabt says how to get it", async () => {
    await assert.rejects(loadWatPrinter("pvmkit-no-such-package"), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /--wat needs the optional "pvmkit-no-such-package" package/);
      assert.match(error.message, /npm install pvmkit-no-such-package/);
      return true;
    });
  });

  it("errors exit 2 with one line", async () => {
    const bad = file("bad.pvm", [0, 0, 9, 0]);
    const src = file("copy.pvmasm", readFileSync(FIB, "utf8"));
    const cases: [string[], RegExp][] = [
      [[], /missing program FILE/],
      [[FIB, SIEVE], /expected one program FILE/],
      [[join(dir, "missing.pvm")], /cannot read .*missing\.pvm: no such file or directory/],
      [[bad, "-o", join(dir, "bad.wasm")], /bad\.pvm: /],
      [[file("broken.pvmasm", "load_imm r7\n")], /broken\.pvmasm:1:\d+: /],
      [[FIB, "--format", "elf"], /--format must be/],
      [[FIB, "--frobnicate"], /unknown option --frobnicate/],
      [[SIEVE, "--map", "0x20000:4096:rw", "-o", "-"], /--map applies to generic programs only/],
      [[FIB, "--args", "00", "-o", "-"], /--args applies to SPI programs only/],
      [[FIB, "--map", "0x1000:10:rw"], /multiples of the 4096-byte page size/],
      [[src, "-o", src], /refusing to overwrite/],
      [[FIB, "-o", join(dir, "no", "such", "dir.wasm")], /cannot write /],
    ];
    for (const [argv, message] of cases) {
      const r = await cli("compile", ...argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
      assert.equal(r.out, "");
      assert.match(r.err, /^pvmkit compile: /);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /^\s+at /m, "no stack trace");
    }
    assert.equal(existsSync(join(dir, "bad.wasm")), false);
  });

  it("has help, listed at the top level", async () => {
    const top = (await cli("--help")).out;
    assert.match(top, /^ {2}compile +compile a program/m);
    const help = await cli("compile", "--help");
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: pvmkit compile /);
    for (const option of ["-o, --output", "--wat", "--format", "--args", "--map"]) {
      assert.ok(help.out.includes(option), option);
    }
    assert.equal((await cli("help", "compile")).out, help.out);
  });
});
