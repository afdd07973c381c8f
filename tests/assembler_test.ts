import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assemble, AssemblyError } from "../src/isa/assembler.ts";
import { disassemble } from "../src/isa/disassembler.ts";
import { OPCODES } from "../src/isa/opcodes.ts";
import { OPERAND_ROLES } from "../src/isa/_asm_encode.ts";
import { parseBlob } from "../src/program/blob.ts";
import { readFileSync } from "node:fs";

const bytes = (source: string) => Array.from(assemble(source));
/** A generic blob with no jump table around `code` (≤ 127 bytes) whose opcode positions are `starts`. */
function blob(code: number[], starts: number[]): number[] {
  const mask = new Array(Math.ceil(code.length / 8)).fill(0);
  for (const s of starts) mask[s >> 3] |= 1 << (s & 7);
  return [0, 0, code.length, ...code, ...mask];
}
/** Lines of a listing without comments, blank lines and the header. */
const body = (text: string) =>
  text.split("\n").map((l) => l.replace(/\s*;.*$/, "")).filter((l) => l.trim() !== "" && !l.startsWith(".format"));

describe("assembler: hand-written programs", () => {
  it("assembles a single trap", () => {
    assert.deepEqual(bytes("trap"), [0, 0, 1, 0, 1]);
  });

  it("assembles the fibonacci loop from the module documentation", () => {
    const source = `
; fibonacci: r7 = F(r7), then return to the address in r0
        load_imm r8, 0            ; F(0)
        load_imm r9, 1            ; F(1)
        fallthrough               ; a jump target must start a basic block
loop:   branch_eq_imm r7, 0, done
        add_64 r10, r8, r9        ; r10 = r8 + r9
        move_reg r8, r9
        move_reg r9, r10
        add_imm_64 r7, r7, -1
        jump loop
done:   move_reg r7, r8
        jump_ind r0, 0
`;
    const code = [51, 8, 51, 9, 1, 1, 81, 7, 15, 200, 0x98, 10, 100, 0x98, 100, 0xa9, 149, 0x77, 0xff, 40, 0xf3];
    code.push(100, 0x87, 50, 0);
    assert.deepEqual(bytes(source), blob(code, [0, 2, 5, 6, 9, 12, 14, 16, 19, 21, 23]));
  });

  it("assembles a xorshift loop with a 64-bit seed", () => {
    const source = `
        load_imm_64 r8, 88172645463325252   # seed
        load_imm r7, 1000
        fallthrough
loop:   shlo_l_imm_64 r9, r8, 13            // r9 = r8 << 13
        xor r8, r8, r9
        shlo_r_imm_64 r9, r8, 7
        xor r8, r8, r9
        add_imm_64 r7, r7, -1
        branch_ne_imm r7, 0, loop
        trap
`;
    const code = [20, 8, 0x44, 0x7a, 0xbf, 0xcb, 0x8d, 0x40, 0x39, 0x01, 51, 7, 0xe8, 0x03, 1];
    code.push(151, 0x89, 13, 211, 0x98, 8, 152, 0x89, 7, 211, 0x98, 8, 149, 0x77, 0xff, 82, 7, 0xf1, 0);
    assert.deepEqual(bytes(source), blob(code, [0, 10, 14, 15, 18, 21, 24, 27, 30, 33]));
  });

  it("encodes every operand class with minimal immediates", () => {
    assert.deepEqual(bytes("ecalli 100"), blob([10, 100], [0]));
    assert.deepEqual(bytes("load_imm_64 r8, 0x0102030405060708"), blob([20, 8, 8, 7, 6, 5, 4, 3, 2, 1], [0]));
    assert.deepEqual(bytes("store_imm_u32 0x20000, 7"), blob([32, 3, 0, 0, 2, 7], [0]));
    assert.deepEqual(bytes("store_imm_ind_u8 r1, 8, 255"), blob([70, 0x11, 8, 0xff, 0], [0]));
    assert.deepEqual(bytes("load_imm_jump_ind r0, r5, 1, 0"), blob([180, 0x50, 1, 1], [0]));
    assert.deepEqual(bytes("sbrk r1, r2"), blob([101, 0x21], [0]));
    assert.deepEqual(bytes("store_ind_u16 r3, r1, -2"), blob([121, 0x13, 0xfe], [0]));
    assert.deepEqual(bytes("self: load_imm_jump r1, 5, self"), blob([80, 0x11, 5], [0]));
    assert.deepEqual(bytes("cmov_nz r12, r11, r10"), blob([219, 0xab, 12], [0]));
  });

  it("takes 32-bit immediates as sign-extended patterns and honours explicit widths", () => {
    assert.deepEqual(bytes("load_imm r0, 0xffff0000"), blob([51, 0, 0, 0, 0xff], [0]));
    assert.deepEqual(bytes("load_imm r0, -0x10000"), blob([51, 0, 0, 0, 0xff], [0]));
    assert.deepEqual(bytes("load_imm r0, 0xffff0000:4"), blob([51, 0, 0, 0, 0xff, 0xff], [0]));
    for (const v of ["-1", "0xffffffff", "0xffffffffffffffff", "-0b1", "-0o1"]) {
      assert.deepEqual(bytes(`load_imm r1, ${v}`), blob([51, 1, 0xff], [0]), v);
    }
    assert.deepEqual(bytes("load_imm r2, 0"), blob([51, 2], [0]));
    assert.deepEqual(bytes("load_imm r2, 0:1"), blob([51, 2, 0], [0]));
    assert.deepEqual(bytes("load_imm r3, 128"), blob([51, 3, 0x80, 0], [0]));
    assert.deepEqual(bytes("load_imm r3, 1_000_000"), blob([51, 3, 0x40, 0x42, 0x0f], [0]));
    assert.deepEqual(bytes("load_imm_64 r4, -1"), blob([20, 4, 255, 255, 255, 255, 255, 255, 255, 255], [0]));
  });

  it("relaxes branch offsets forwards and backwards", () => {
    const pad = `.byte hex"${"00".repeat(200)}"`;
    const forward = bytes(`jump far\n${pad}\nfar: trap`);
    assert.deepEqual(forward.slice(0, 8), [0, 0, 0x80, 204, 40, 203, 0, 0]);
    assert.deepEqual(forward.slice(-26), [1, ...new Array(24).fill(0), 0b1000]);
    const backward = bytes(`back: trap\n${pad}\njump back`);
    assert.deepEqual(backward.slice(2, 4), [0x80, 204]);
    assert.deepEqual(backward.slice(205, 208), [40, 0x37, 0xff]);
    assert.deepEqual(bytes("trap\njump 0"), blob([0, 40, 0xff], [0, 1]));
    assert.deepEqual(bytes("jump end:4\nend:"), blob([40, 5, 0, 0, 0], [0]));
  });

  it("builds jump tables with labels, numbers and an explicit entry size", () => {
    assert.deepEqual(bytes(".jump_table a, b\na: trap\nb: fallthrough"), [2, 1, 2, 0, 1, 0, 1, 3]);
    assert.deepEqual(bytes(".jump_table_entry_size 2\n.jump_table a\n.jump_table b\na: trap\nb: fallthrough"), [
      2,
      2,
      2,
      0,
      0,
      1,
      0,
      0,
      1,
      3,
    ]);
    assert.deepEqual(bytes(".jump_table 300\ntrap"), [1, 2, 1, 0x2c, 1, 0, 1]);
    assert.deepEqual(bytes(".jump_table_entry_size 0\n.jump_table 0, 0"), [2, 0, 0]);
  });

  it("writes SPI programs with data, heap pages, stack size and metadata", () => {
    const spi = bytes(`.format spi\n.ro_data "hi"\n.rw_data u32 7\n.heap_pages 2\n.stack_size 0x1000\ntrap`);
    assert.deepEqual(spi, [2, 0, 0, 4, 0, 0, 2, 0, 0, 0x10, 0, 104, 105, 7, 0, 0, 0, 5, 0, 0, 0, 0, 0, 1, 0, 1]);
    const inferred = bytes(`.metadata "ab"\ntrap`);
    assert.deepEqual(inferred, [2, 97, 98, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 1, 0, 1]);
    assert.deepEqual(bytes(".format spi-metadata\ntrap").slice(0, 2), [0, 0]);
    assert.deepEqual(bytes(".stack_size 16\ntrap").slice(0, 11), [0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0]);
  });

  it("reads byte lists: numbers, typed numbers, strings, escapes and hex", () => {
    const spi = assemble(`.ro_data u16 0x1234, u8 5 "A\\n" hex"ff 00", -1, u64 -2\n.ro_data "\\x7f\\t\\0é"`);
    assert.deepEqual(Array.from(spi.subarray(11, 11 + 21)), [
      0x34,
      0x12,
      5,
      65,
      10,
      0xff,
      0,
      0xff,
      0xfe,
      ...new Array(7).fill(0xff),
      0x7f,
      9,
      0,
      0xc3,
      0xa9,
    ]);
  });

  it("emits .raw and .byte as they are, marking only .raw as an instruction start", () => {
    assert.deepEqual(bytes(".byte 1, 2\n.raw 0x33 0xf7 1\ntrap"), blob([1, 2, 0x33, 0xf7, 1, 0], [2, 5]));
  });

  it("supports constants, several labels per line and all comment styles", () => {
    const source = `.equ N, 1000   ; a constant\n.equ M N\na: b: load_imm r7, N # count\n// only a comment\njump b\n`;
    assert.deepEqual(bytes(source), blob([51, 7, 0xe8, 3, 40, 0xfc], [0, 4]));
    assert.deepEqual(bytes(".equ T, 0\ntrap\njump T"), blob([0, 40, 0xff], [0, 1]));
    assert.deepEqual(bytes(".equ M, 7\nload_imm r1, M:2"), blob([51, 1, 7, 0], [0]));
    assert.deepEqual(bytes(""), [0, 0, 0]);
  });
});

describe("docs/assembly.md", () => {
  const doc = readFileSync(new URL("../docs/assembly.md", import.meta.url), "utf8");
  const blocks = [...doc.matchAll(/```pvmasm\n([\s\S]*?)```/g)].map((m) => m[1]);
  it("has the four examples", () => assert.equal(blocks.length, 4));
  blocks.forEach((source, i) => {
    it(`example ${i + 1} assembles and round-trips`, () => {
      const program = assemble(source, { fileName: `docs/assembly.md example ${i + 1}` });
      assert.deepEqual(assemble(disassemble(program)), program);
    });
  });
});

describe("disassembler: listings", () => {
  it("prints a readable listing with labels, in the assembler's syntax", () => {
    const program = [0, 0, 10, 51, 7, 10, 1, 149, 0x77, 0xff, 82, 7, 0xfd, 0b10011001, 0];
    assert.deepEqual(body(disassemble(new Uint8Array(program))), [
      "    load_imm r7, 10",
      "    fallthrough",
      "L4:",
      "    add_imm_64 r7, r7, -1",
      "    branch_ne_imm r7, 0, L4",
    ]);
  });

  it("keeps non-canonical encodings with widths, .byte and .raw lines", () => {
    // leading byte; reg nibble 15 in a high nibble the class ignores; undefined opcode;
    // jump with ignored bytes; move_reg whose register byte is the next opcode; a gap over 24;
    // store_imm_u8 with length field 5; a 2-byte zero; unlikely; register nibbles 13 and 15.
    const units: [number[], boolean][] = [
      [[0xaa], false],
      [[51, 0xf7, 1], true],
      [[4], true],
      [[40, 5, 0, 0, 0, 0, 9], true],
      [[100], true],
      [[0, ...new Array(30).fill(0)], true],
      [[30, 0x0d, 1, 2, 3, 4, 5], true],
      [[51, 7, 0, 0], true],
      [[2], true],
      [[200, 0xfd, 3], true],
      [[218, 0x21, 0x33], true],
    ];
    const code = units.flatMap(([b]) => b);
    const starts: number[] = [];
    let at = 0;
    for (const [b, op] of units) (op && starts.push(at), at += b.length);
    const mask = new Array(Math.ceil(code.length / 8)).fill(0);
    for (const s of starts) mask[s >> 3] |= 1 << (s & 7);
    const table = [1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const program = new Uint8Array([2, 8, code.length, ...table, ...code, ...mask]);
    const text = disassemble(program);
    assert.deepEqual(body(text), [
      ".jump_table L1, 0xffffffffffffffff",
      "    .byte 0xaa",
      "L1:",
      "    .raw 0x33, 0xf7, 0x01",
      "    .raw 0x04",
      "    jump 10:4",
      "    .byte 0x00, 0x09",
      "    .raw 0x64",
      "    trap",
      `    .byte hex"${"00".repeat(30)}"`,
      "    .raw 0x1e, 0x0d, 0x01, 0x02, 0x03, 0x04, 0x05",
      "    load_imm r7, 0:2",
      "    unlikely",
      "    .raw 0xc8, 0xfd, 0x03",
      "    .raw 0xda, 0x21, 0x33",
    ]);
    assert.match(text, /\.raw 0x33, 0xf7, 0x01 {2}; = load_imm r7, 1 \(non-canonical encoding\)/);
    assert.match(text, /\.raw 0x04 {2}; undefined opcode 4: traps/);
    assert.match(text, /\.raw 0x64 {2}; = move_reg r0, r0 \(operands run past its bytes\)/);
    assert.match(text, /unlikely {2}; not in ISA 0\.7\.2/);
    assert.deepEqual(assemble(text), program);
  });

  it("gives an offset an explicit width when relaxation alone would shrink the layout", () => {
    // jump +128 in 2 bytes over 125 one-byte instructions: with a 1-byte offset it would be +127.
    const code = [40, 128, 0, ...new Array(125).fill(1), 0];
    const starts = [0, ...Array.from({ length: 126 }, (_, i) => i + 3)];
    const mask = new Array(17).fill(0);
    for (const s of starts) mask[s >> 3] |= 1 << (s & 7);
    const program = new Uint8Array([0, 0, 0x80, 129, ...code, ...mask]);
    const text = disassemble(program);
    assert.match(text, /^ {4}jump L128:2$/m);
    assert.deepEqual(assemble(text), program);
  });

  it("reads SPI containers and prints their sections", () => {
    const program = assemble(
      `.metadata "my-service 1.0"\n.ro_data hex"0102"\n.rw_data "text"\n.heap_pages 3\n.stack_size 0x2000\ntrap`,
    );
    const text = disassemble(program);
    assert.match(text, /^\.format spi-metadata$/m);
    assert.match(text, /^\.metadata "my-service 1\.0"$/m);
    assert.match(text, /^\.ro_data hex"0102"$/m);
    assert.match(text, /^\.rw_data "text"$/m);
    assert.match(text, /^\.heap_pages 3$/m);
    assert.match(text, /^\.stack_size 8192$/m);
    assert.deepEqual(assemble(text), program);
    assert.deepEqual(assemble(disassemble(program, { format: "spi-metadata" })), program);
    assert.throws(() => disassemble(program, { format: "generic" }), /ProgramError|at byte/);
    assert.throws(() => disassemble(new Uint8Array([1, 2, 3])), /not a program in any format/);
  });
});

describe("every mnemonic of the opcode table", () => {
  const sample: Record<string, string> = {
    rd: "r3",
    ra: "r1",
    rb: "r2",
    x: "-5",
    y: "300",
    x64: "0x123456789abcdef0",
    target: "end",
  };
  for (const info of OPCODES) {
    it(info.name, () => {
      const operands = OPERAND_ROLES[info.operands].map((role) => sample[role]);
      const line = operands.length ? `${info.name} ${operands.join(", ")}` : info.name;
      const program = assemble(`${line}\nend: trap`);
      const end = parseBlob(program).code.length - 1;
      const text = disassemble(program);
      const label = OPERAND_ROLES[info.operands].includes("target") ? [`L${end}:`] : [];
      assert.deepEqual(body(text), [`    ${line.replace(/\bend\b/, `L${end}`)}`, ...label, "    trap"]);
      assert.deepEqual(assemble(text), program);
      assert.equal(parseBlob(program).code[0], info.code);
    });
  }
});

describe("AssemblyError", () => {
  const cases: [string, string, number, number, RegExp][] = [
    ["unknown mnemonic", "  ad_64 r1, r2, r3", 1, 3, /unknown mnemonic "ad_64" \(did you mean "add_64"\?\)/],
    ["unknown mnemonic, nothing close", "frobnicate", 1, 1, /^unknown mnemonic "frobnicate"$/],
    ["unknown directive", ".frob 1", 1, 1, /unknown directive "\.frob"/],
    ["too few operands", "add_64 r1, r2", 1, 14, /^add_64 takes 3 operands \(rD, rA, rB\), got 2$/],
    ["too many operands", "trap r1", 1, 6, /^trap takes no operands, got 1$/],
    ["immediate for a register", "add_64 r1, r2, 5", 1, 16, /expected a register \(r0\.\.r12\), got "5"/],
    ["no such register", "move_reg r13, r1", 1, 10, /there is no register r13/],
    ["register for an immediate", "load_imm r1, r2", 1, 14, /expected an immediate, got register r2/],
    ["register for a target", "jump r1", 1, 6, /expected a label or code offset, got register r1/],
    ["unknown name as immediate", "load_imm r1, foo", 1, 14, /"foo" is not a number or a constant/],
    ["string as immediate", 'load_imm r1, "a"', 1, 14, /expected an immediate, got/],
    ["junk after a register", "move_reg r1 r2, r3", 1, 13, /unexpected "r2" after register r1/],
    ["missing operand", "add_64 r1, , r2", 1, 12, /missing operand before ","/],
    ["trailing comma", "add_64 r1, r2, r3,", 1, 19, /missing operand after ","/],
    ["undefined label", "trap\n  jump nowhere", 2, 8, /undefined label "nowhere"/],
    ["undefined label in the jump table", ".jump_table nowhere", 1, 13, /undefined label "nowhere"/],
    ["duplicate label", "a: trap\n a: trap", 2, 2, /duplicate name "a" \(first defined at line 1:1\)/],
    ["label named like a register", "r1: trap", 1, 1, /"r1" is a register name/],
    ["constant used as a label before it is defined", "jump X\n.equ X, 5", 1, 6, /"X" is a constant, not a label/],
    ["32-bit immediate out of range", "load_imm r1, 0x100000000", 1, 14, /immediate 0x100000000 is out of range/],
    ["negative immediate out of range", "load_imm r1, -0x80000001", 1, 14, /out of range/],
    ["64-bit immediate out of range", "load_imm_64 r1, 0x10000000000000000", 1, 17, /does not fit in 64 bits/],
    ["width over 4", "load_imm r1, 5:5", 1, 16, /width 5 is not 0\.\.4 bytes/],
    ["width missing", "load_imm r1, 5:", 1, 15, /expected a byte width/],
    ["junk after a width", "load_imm r1, 5:1 2", 1, 18, /unexpected "2"/],
    ["junk instead of a width", "load_imm r1, 5 6", 1, 16, /unexpected "6"/],
    [
      "value too wide for its width",
      "load_imm r1, 255:1",
      1,
      18,
      /does not fit in 1 byte\(s\) \(1 byte\(s\) holding 255/,
    ],
    ["width on a 64-bit immediate", "load_imm_64 r1, 5:8", 1, 18, /always encodes its immediate in 8 bytes/],
    [
      "offset too wide for its width",
      `jump far:1\n.byte hex"${"00".repeat(200)}"\nfar: trap`,
      1,
      6,
      /offset not encodable: far is 202 bytes away, which does not fit in 1 byte/,
    ],
    ["offset beyond 32 bits", "jump 0x90000000", 1, 6, /offset not encodable: .* does not fit in a 32-bit offset/],
    ["target far outside the code", "jump 0x200000000", 1, 6, /too far outside the code/],
    [
      "jump-table entry too wide",
      ".jump_table_entry_size 1\n.jump_table 300",
      2,
      13,
      /entry 300 \(300\) does not fit in 1 byte/,
    ],
    ["negative jump-table entry", ".jump_table -1", 1, 13, /jump-table entry -1 is negative/],
    ["jump-table entry with a width", ".jump_table a:2\na:", 1, 14, /set with \.jump_table_entry_size/],
    ["register in the jump table", ".jump_table r1", 1, 13, /got register r1/],
    ["empty jump table", ".jump_table", 1, 1, /needs at least one entry/],
    ["byte out of range", ".byte 256", 1, 7, /256 does not fit in a byte/],
    ["typed value out of range", ".ro_data u16 65536", 1, 14, /65536 does not fit in u16/],
    ["empty .raw", ".raw", 1, 1, /\.raw needs at least one byte/],
    ["unterminated string", '.ro_data "abc', 1, 10, /unterminated string/],
    ["unknown escape", '.ro_data "a\\q"', 1, 12, /unknown escape "\\q"/],
    ["bad \\x escape", '.ro_data "\\x4"', 1, 11, /"\\x" must be followed by two hex digits/],
    ["non-hex digit", '.ro_data hex"0g"', 1, 15, /"g" is not a hex digit/],
    ["odd hex digits", '.ro_data hex"abc"', 1, 10, /odd number of digits/],
    ["unterminated hex string", '.ro_data hex"ab', 1, 10, /unterminated hex string/],
    ["unexpected character", "trap @", 1, 6, /unexpected character "@"/],
    ["malformed number", "load_imm r1, 12abc", 1, 14, /malformed number "12abc"/],
    ["not a statement", "a: 5", 1, 4, /expected a label, an instruction or a directive, got "5"/],
    ["unknown format", ".format elf", 1, 9, /unknown format "elf"/],
    ["format conflicts with format", ".format spi\n.format generic", 2, 1, /conflicts with \.format spi at line 1/],
    [
      "SPI directive in a generic program",
      ".format generic\n.ro_data 1",
      2,
      1,
      /\.ro_data cannot be used in a generic program/,
    ],
    ["metadata in a plain SPI program", ".format spi\n.metadata 1", 2, 1, /\.metadata cannot be used in a spi program/],
    ["generic format after SPI data", ".rw_data 1\n.format generic", 2, 1, /conflicts with \.rw_data at line 1/],
    ["spi format after metadata", ".metadata 1\n.format spi", 2, 1, /conflicts with \.metadata at line 1/],
    ["duplicate setting", ".heap_pages 1\n.heap_pages 2", 2, 1, /duplicate \.heap_pages \(first at line 1\)/],
    ["setting out of range", ".heap_pages 65536", 1, 13, /heap page count 65536 is out of range \(0\.\.65535\)/],
    ["stack size out of range", ".stack_size 0x1000000", 1, 13, /stack size 0x1000000 is out of range/],
    ["setting without a value", ".stack_size", 1, 12, /expected stack size/],
    ["setting with junk", ".stack_size 1 2", 1, 15, /unexpected "2"/],
    ["entry size out of range", ".jump_table_entry_size 256", 1, 24, /out of range \(0\.\.255\)/],
    [".equ without a name", ".equ 5", 1, 6, /expected a constant name after \.equ/],
    [".equ without a value", ".equ N,", 1, 8, /expected a value for N/],
    [".equ with junk", ".equ N, 1 2", 1, 11, /unexpected "2"/],
    [".equ naming a register", ".equ r2, 1", 1, 6, /"r2" is a register name/],
    [".equ clashing with a label", "N: trap\n.equ N, 1", 2, 6, /duplicate name "N"/],
  ];
  for (const [name, source, line, column, message] of cases) {
    it(name, () => {
      assert.throws(
        () => assemble(source, { fileName: "test.pvmasm" }),
        (error: unknown) => {
          assert.ok(error instanceof AssemblyError, `not an AssemblyError: ${error}`);
          assert.match(error.reason, message);
          assert.deepEqual([error.line, error.column], [line, column], error.message);
          assert.equal(error.message, `test.pvmasm:${line}:${column}: ${error.reason}`);
          assert.equal(error.fileName, "test.pvmasm");
          return true;
        },
      );
    });
  }

  it("read-only data longer than 2^24-1 bytes", () => {
    const source = `.ro_data hex"${"00".repeat(0x800000)}"\n.ro_data hex"${"00".repeat(0x800000)}"`;
    assert.throws(() => assemble(source), /<source>:2:1: read-only data is now 16777216 bytes/);
  });

  it("names the file <source> by default", () => {
    assert.throws(() => assemble("nop"), { message: /^<source>:1:1: unknown mnemonic "nop"/ });
  });
});
