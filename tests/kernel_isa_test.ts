// The javm ISA profile on the command line (spec §11: `unlikely` = 2, `ecall` = 3, no
// `sbrk` = 101): `--isa javm` is accepted, `pvmkit disasm` lists the CODE caps of a JAR
// blob with it, `pvmkit inspect FILE.jar` too, and a listing decoded with any profile still
// assembles back to the same bytes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../src/isa/assembler.ts";
import { disassemble } from "../src/isa/disassembler.ts";
import { ISA_JAVM, ISA_PROFILES } from "../src/isa/opcodes.ts";
import { encodeJar, encodeJarCode } from "../src/program/jar.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { dir } = tempFiles("pvmkit-javm-isa-");

// Hand-encoded: ecall (3) | sbrk r1, r1 (101, 0x11) | unlikely (2) | ecalli 0 (10).
const CODE = [3, 101, 0x11, 2, 10];
const STARTS = 0b11011; // offsets 0, 1, 3, 4
const generic = new Uint8Array([0, 0, CODE.length, ...CODE, STARTS]);
const jar = encodeJar({
  memoryPages: 0,
  invokeSlot: 64,
  caps: [{
    slot: 64,
    kind: "code",
    bytes: encodeJarCode({ code: new Uint8Array(CODE), bitmask: new Uint8Array([STARTS]) }),
  }],
});
const instructions = (text: string) =>
  text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith(";") && !l.startsWith("."));

describe("ISA profile javm", () => {
  it("is one of ISA_PROFILES", () => {
    assert.equal(ISA_PROFILES.get("javm"), ISA_JAVM);
  });
  it("disassembler: ecall and unlikely are instructions, sbrk (101) is an undefined opcode", () => {
    const text = disassemble(generic, { isa: ISA_JAVM });
    assert.deepEqual(instructions(text), ["ecall", "unlikely", "ecalli 0"]);
    assert.match(text, /\.raw 0x65, 0x11 {2}; undefined opcode 101: traps/);
    assert.match(text, /ISA javm/);
    // Without a profile the table decodes 101 as sbrk and flags ecall as outside v0.7.2.
    const table = disassemble(generic);
    assert.match(table, /sbrk r1, r1/);
    assert.match(table, /ecall {2}; not in ISA 0\.7\.2/);
  });
  it("a listing decoded with any profile assembles back to the same bytes", () => {
    for (const profile of ISA_PROFILES.values()) {
      assert.deepEqual(assemble(disassemble(generic, { isa: profile })), generic, profile.name);
    }
    // 0.8-draft numbers count_set_bits_64 101: listed raw, named in the comment
    assert.match(
      disassemble(generic, { isa: ISA_PROFILES.get("0.8-draft")! }),
      /= count_set_bits_64 r1, r1 \(opcode byte 101 in ISA 0\.8-draft\)/,
    );
  });
});

describe("pvmkit disasm / inspect with javm", () => {
  const jarPath = join(dir, "code.jar");
  writeFileSync(jarPath, jar);
  const binPath = join(dir, "code.bin");
  writeFileSync(binPath, generic);
  it("disasm FILE.jar lists each CODE cap decoded with javm", async () => {
    const { code, out } = await cli("disasm", jarPath);
    assert.equal(code, 0);
    assert.match(out, /; CODE cap in slot 64/);
    assert.match(out, /^\s+ecall$/m);
    assert.match(out, /undefined opcode 101: traps/);
  });
  it("disasm --isa javm on a generic blob; an unknown --isa is a usage error", async () => {
    const { code, out } = await cli("disasm", "--isa", "javm", binPath);
    assert.equal(code, 0);
    assert.match(out, /^\s+unlikely$/m);
    assert.match(out, /undefined opcode 101/);
    const bad = await cli("disasm", "--isa", "risc-v", binPath);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--isa must be .*javm/);
    assert.match((await cli("disasm", "--help")).out, /--isa I/);
  });
  it("inspect FILE.jar disassembles with javm (no 'not in ISA 0.7.2' notes, sbrk undefined)", async () => {
    const { code, out } = await cli("inspect", jarPath);
    assert.equal(code, 0);
    assert.match(out, /^\s+ecall$/m);
    assert.doesNotMatch(out, /not in ISA 0\.7\.2/);
    assert.match(out, /undefined opcode 101/);
  });
  it("run --isa javm is accepted for assembly sources", async () => {
    const src = join(dir, "ret.pvmasm");
    writeFileSync(src, "load_imm r7, 3\ntrap\n");
    const { code, err } = await cli("run", "--isa", "javm", src);
    assert.doesNotMatch(err, /--isa must be/);
    assert.equal(code, 1); // trap → panic
  });
});
