// `pvmkit gas` (block costs, summary, --json, --explain) and the --gas-model / --isa
// options of run, compile and replay. Programs are hand-encoded in the 0.8-draft
// numbering; costs are worked out by hand from spec §14.4 (see gas_model_test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { asm, I } from "./_programs.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { dir, file } = tempFiles("pvmkit-cli-gas-");

// 0 fallthrough | 1 load_imm r7, 1 · 4 unlikely (2) · 5 trap
// Blocks: 0 costs 2 (fallthrough, latency 2); 1 costs 40 (three independent entries).
const TWO_BLOCKS = file("two-blocks.pvm", asm(I.fallthrough(), I.loadImm(7, 1), [2], I.trap()).bytes);
// 0 load_u64 r1, [0x20000] · 5 branch_eq_imm r1, 0, →11 | 11 trap
// Block 0: the load (latency 25) starts in cycle 1, result 26; the branch (fall-through
// is trap: latency 1) starts in 26, result 27, finishes 28, retires 29 → 26. Block 11: 2.
const LOAD_BRANCH = file(
  "load-branch.pvm",
  asm([58, 1, 0, 0, 2], I.regImmOffset(81, 1, 0, 6), I.trap()).bytes,
);
const V08 = ["--isa", "0.8-draft"];

describe("pvmkit gas", () => {
  it("lists each block's pc, cost, instruction count and first instruction, then a summary", async () => {
    const r = await cli("gas", TWO_BLOCKS, ...V08);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    const lines = r.out.split("\n");
    assert.match(lines[0], /^pc +cost +instrs +first$/);
    assert.match(lines[1], /^ 0 +2 +1 +fallthrough$/);
    assert.match(lines[2], /^ 1 +40 +3 +load_imm$/);
    assert.match(r.out, /^blocks +2$/m);
    assert.match(r.out, /^total +42$/m);
    assert.match(r.out, /^mean +21\.00$/m);
    assert.match(r.out, /^max +40 \(block at pc 1\)$/m);
    assert.match(r.out, /^model +pipeline$/m, "pipeline is this command's default");
    assert.match(r.out, /^isa +0\.8-draft$/m);
    assert.match(r.out, /^computed +\d+\.\d ms$/m);
  });

  it("--gas-model per-instruction counts instructions", async () => {
    const r = await cli("gas", TWO_BLOCKS, ...V08, "--gas-model", "per-instruction");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ 0 +1 +1 +fallthrough$/m);
    assert.match(r.out, /^ 1 +3 +3 +load_imm$/m);
    assert.match(r.out, /^model +per-instruction$/m);
  });

  it("without --isa the 0.7.2 numbering applies: byte 2 is no instruction there", async () => {
    const r = await cli("gas", TWO_BLOCKS);
    assert.equal(r.code, 0, r.err);
    // load_imm, then the undefined byte 2 acts as trap and ends the block: max(1, 2) = 2.
    assert.match(r.out, /^ 1 +2 +2 +load_imm$/m);
    assert.match(r.out, /^isa +0\.7\.2$/m);
  });

  it("pipeline-vectors lists the implicit trap block past the end", async () => {
    const path = file("falls-off.pvm", asm(I.loadImm(7, 1), I.fallthrough()).bytes);
    const vectors = await cli("gas", path, ...V08, "--gas-model", "pipeline-vectors");
    assert.equal(vectors.code, 0, vectors.err);
    assert.match(vectors.out, /^ 4 +2 +1 +trap \(implicit, past the end of the code\)$/m);
    assert.match(vectors.out, /^blocks +2$/m);
    const pipeline = await cli("gas", path, ...V08);
    assert.doesNotMatch(pipeline.out, /implicit/);
    assert.match(pipeline.out, /^blocks +1$/m);
  });

  it("prints one JSON object with --json", async () => {
    const r = await cli("gas", TWO_BLOCKS, ...V08, "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.blockList, [
      { pc: 0, cost: 2, instructions: 1, first: "fallthrough" },
      { pc: 1, cost: 40, instructions: 3, first: "load_imm" },
    ]);
    assert.equal(j.blocks, 2);
    assert.equal(j.totalCost, 42);
    assert.equal(j.meanCost, 21);
    assert.equal(j.maxCost, 40);
    assert.equal(j.maxCostPc, 1);
    assert.equal(j.gasModel, "pipeline");
    assert.equal(j.isa, "0.8-draft");
    assert.equal(j.format, "generic");
    assert.equal(typeof j.milliseconds, "number");
  });

  it("--explain draws a block's timeline with a legend and the cost", async () => {
    const r = await cli("gas", LOAD_BRANCH, ...V08, "--explain", "0");
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /not a block start/);
    assert.match(r.out, /^The block at pc 0: 2 instructions, gas model pipeline, isa 0\.8-draft$/m);
    // load: decoded in 0, executing 1..25, result in 26, finished 27, retired 28.
    const load = "D" + "e".repeat(25) + "--R.";
    // branch: waits 1..25 for r1, executes in 26, done by 27, retires 29 (the last).
    const branch = "D" + "=".repeat(25) + "e--R";
    assert.match(r.out, new RegExp(`^ +0  load_u64 r1, 131072 +${load}$`, "m"));
    assert.match(r.out, new RegExp(`^ +5  branch_eq_imm r1, 0, @11 +${branch}$`, "m"));
    assert.match(r.out, /cycle {2}012345678901234567890123456789$/m);
    assert.match(r.out, /^ +1 {9}2$/m, "a tens ruler line");
    assert.match(r.out, /D decoded/);
    assert.match(r.out, /= waiting for inputs or units/);
    assert.match(r.out, /e executing/);
    assert.match(r.out, /- finished, waiting to retire/);
    assert.match(r.out, /R retired/);
    assert.match(r.out, /\. idle/);
    assert.match(r.out, /cycle 29: cost = max\(29 - 3, 1\) = 26$/m);
  });

  it("--explain at a pc inside a block explains the block that contains it", async () => {
    const r = await cli("gas", LOAD_BRANCH, ...V08, "--explain", "5");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pc 5 is not a block start: it is instruction 2 of 2 of the block at pc 0\.$/m);
    assert.match(r.out, /^> +5 {2}branch_eq_imm/m, "the instruction asked about is marked");
    assert.match(r.out, /cost = max\(29 - 3, 1\) = 26$/m);
    const operands = await cli("gas", LOAD_BRANCH, ...V08, "--explain", "2");
    assert.equal(operands.code, 0, operands.err);
    assert.match(operands.out, /inside the operands of instruction 1 of 2 \(at pc 0\) of the block at pc 0/);
    assert.match(operands.out, /^> +0 {2}load_u64/m);
  });

  it("--explain --json gives the timeline as data", async () => {
    const r = await cli("gas", LOAD_BRANCH, ...V08, "--explain", "11", "--json");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      pc: 11,
      block: 11,
      cost: 2,
      cycles: 5,
      gasModel: "pipeline",
      isa: "0.8-draft",
      instructions: [{ pc: 11, text: "trap", decodedAt: 0, startedAt: 1, resultAt: 3, retiredAt: 5 }],
    });
  });

  it("--explain without a pipeline model lists the block at 1 gas per instruction", async () => {
    const r = await cli("gas", TWO_BLOCKS, ...V08, "--gas-model", "per-instruction", "--explain", "1");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /cost = 3: the per-instruction model charges 1 per instruction/);
  });

  it("a bad --explain pc is a usage error, exit 2", async () => {
    const past = await cli("gas", LOAD_BRANCH, ...V08, "--explain", "12");
    assert.equal(past.code, 2);
    assert.match(past.err, /^pvmkit gas: --explain: pc 12 is past the end of the code \(12 bytes/);
    const text = await cli("gas", LOAD_BRANCH, "--explain", "start");
    assert.equal(text.code, 2);
    assert.match(text.err, /--explain: "start" is not a non-negative integer/);
    // Code whose first byte is no instruction has no block before pc 1.
    const noBlock = file("no-block.pvm", new Uint8Array([0, 0, 2, 0xff, 0, 0b11]));
    const r = await cli("gas", noBlock, "--explain", "1");
    assert.equal(r.code, 2);
    assert.match(r.err, /no block contains it/);
  });

  it("an unknown gas model or ISA is a usage error, exit 2", async () => {
    const model = await cli("gas", TWO_BLOCKS, "--gas-model", "pipelined");
    assert.equal(model.code, 2);
    assert.equal(model.out, "");
    assert.match(
      model.err,
      /^pvmkit gas: --gas-model must be per-instruction, pipeline, pipeline-vectors, .* or [\w-]+, not "pipelined"$/m,
    );
    assert.match(model.err, /Run 'pvmkit gas --help' for usage/);
    const isa = await cli("gas", TWO_BLOCKS, "--isa", "0.8");
    assert.equal(isa.code, 2);
    assert.match(isa.err, /--isa must be 0\.7\.2, 0\.8-draft, gas-vectors, .*javm.*, not "0\.8"/);
  });

  it("a missing file or a malformed program is an input error, exit 2", async () => {
    const missing = await cli("gas", join(dir, "nope.pvm"));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read .*nope\.pvm: no such file or directory/);
    const bad = await cli("gas", file("bad.pvm", new Uint8Array([0, 0, 9, 1])));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^pvmkit gas: .*bad\.pvm: /);
  });

  it("is listed in the top-level help, and its help names the default model", async () => {
    const top = await cli("--help");
    assert.match(top.out, /^ {2}gas +list every basic block's gas cost/m);
    const help = await cli("help", "gas");
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: pvmkit gas \[options\] FILE$/m);
    assert.match(help.out, /pipeline \(the default here/);
    assert.match(help.out, /--explain PC/);
    assert.equal((await cli("gas", "--help")).out, help.out);
  });

  it("assembly sources are numbered for --isa: mnemonics keep their meaning", async () => {
    const source = file("renumber.pvmasm", "count_set_bits_64 r1, r2\nunlikely\ntrap\n");
    const r = await cli("gas", source, ...V08);
    assert.equal(r.code, 0, r.err);
    // One block of three independent entries: max(1, 40, 2).
    assert.match(r.out, /^ 0 +40 +3 +count_set_bits_64$/m);
    const sbrk = await cli("gas", file("sbrk.pvmasm", "sbrk r1, r2\ntrap\n"), ...V08);
    assert.equal(sbrk.code, 2);
    assert.match(sbrk.err, /sbrk \(code offset 0\) does not exist in ISA 0\.8-draft/);
  });
});

describe("--gas-model and --isa on run, compile and replay", () => {
  it("run charges per block under pipeline and reports the model", async () => {
    const r = await cli("run", TWO_BLOCKS, ...V08, "--gas-model", "pipeline", "--gas", "100");
    assert.equal(r.code, 1, "trap panics");
    assert.match(r.out, /^exit +panic$/m);
    assert.match(r.out, /^gas used +42$/m); // blocks of 2 and 40
    assert.match(r.out, /^gas model +pipeline \(isa 0\.8-draft\)$/m);
    const json = JSON.parse((await cli("run", TWO_BLOCKS, ...V08, "--gas-model", "pipeline", "--json")).out);
    assert.equal(json.gasModel, "pipeline");
    assert.equal(json.isa, "0.8-draft");
    assert.equal(json.gasUsed, "42");
    for (const backend of ["interpreter", "recompiler"]) {
      const oog = await cli("run", TWO_BLOCKS, ...V08, "--gas-model", "pipeline", "--gas", "41", "--backend", backend);
      assert.match(oog.out, /^exit +oog/m);
      assert.match(oog.out, /^pc +1$/m);
      assert.match(oog.out, /^gas left +39$/m, "unchanged by the block it could not pay for");
    }
  });

  it("run defaults to per-instruction and 0.7.2, and says nothing about them", async () => {
    const r = await cli("run", TWO_BLOCKS);
    // fallthrough, load_imm, then byte 2 (undefined in 0.7.2) traps: 1 gas each.
    assert.match(r.out, /^gas used +3$/m);
    assert.match(r.out, /^pc +4$/m);
    assert.doesNotMatch(r.out, /gas model/);
  });

  it("run rejects unknown names with exit 2", async () => {
    const model = await cli("run", TWO_BLOCKS, "--gas-model", "blocks");
    assert.equal(model.code, 2);
    assert.match(model.err, /^pvmkit run: --gas-model must be/);
    const isa = await cli("run", TWO_BLOCKS, "--isa", "0.9");
    assert.equal(isa.code, 2);
    assert.match(isa.err, /^pvmkit run: --isa must be/);
  });

  it("compile takes both and reports them", async () => {
    const r = await cli("compile", TWO_BLOCKS, ...V08, "--gas-model", "pipeline", "-o", join(dir, "two.wasm"));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^gas +pipeline model, isa 0\.8-draft \(block costs computed in \d+\.\d ms\)$/m);
    const bad = await cli("compile", TWO_BLOCKS, "--gas-model", "x", "-o", join(dir, "x.wasm"));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--gas-model must be/);
    const badIsa = await cli("compile", TWO_BLOCKS, "--isa", "x", "-o", join(dir, "x.wasm"));
    assert.equal(badIsa.code, 2);
  });

  it("replay passes the model to the program: a trace recorded per block matches only under it", async () => {
    // Generic blob: ecalli 7 ; jump_ind r0, 0. One block: ecalli's 4 slots fill cycle 0,
    // jump_ind decodes in 1; ecalli (latency 100) starts in 1 and retires last, in 103 → 100.
    // After the host call jump_ind runs on the block's charge: the halt keeps gas 900.
    const trace = file(
      "per-block.trace",
      [
        "program 0x0000040a07320005",
        "start pc=0 gas=1000 r00=0xffff0000",
        "ecalli=7 pc=0 gas=900 r00=0xffff0000",
        "setreg r07 <- 0x2a",
        "HALT pc=2 gas=900 r00=0xffff0000 r07=0x2a",
      ].join("\n") + "\n",
    );
    for (const backend of ["interpreter", "recompiler"]) {
      const ok = await cli("replay", trace, "--format", "generic", "--gas-model", "pipeline", "--backend", backend);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /^OK: 1 host call\(s\) replayed; ended with halt at pc 2, gas left 900/);
    }
    const json = JSON.parse(
      (await cli("replay", trace, "--format", "generic", "--gas-model", "pipeline", "--json")).out,
    );
    assert.equal(json.ok, true);
    assert.equal(json.gasModel, "pipeline");
    const perInstruction = await cli("replay", trace, "--format", "generic");
    assert.equal(perInstruction.code, 1, "1 gas per instruction does not give 900");
    assert.match(perInstruction.out, /^MISMATCH/);
    const bad = await cli("replay", trace, "--gas-model", "nope");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^pvmkit replay: --gas-model must be/);
    const badIsa = await cli("replay", trace, "--isa", "nope");
    assert.equal(badIsa.code, 2);
  });
});
