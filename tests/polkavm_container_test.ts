// The .polkavm container: the four sample files parse to the facts listed in
// shared/spec/polkavm-blob.md §9 (found there by an independent parse), their code decodes
// with the ISA the header names, and malformed files give a ProgramError at the byte
// where the problem is (offsets counted by hand from the layout in the spec's §2–§3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { ProgramError } from "../src/program/errors.ts";
import { encodePolkaVm, parsePolkaVm, polkaVmLayout } from "../src/program/polkavm.ts";
import { encodeBlob } from "../src/program/blob.ts";
import { readBytes, sharedPath } from "./_shared.ts";

const doomPath = sharedPath("programs", "polkavm", "doom.polkavm");
const helloPath = sharedPath("programs", "polkavm", "example-hello-world.polkavm");
const quakePath = sharedPath("programs", "polkavm", "quake.polkavm");
const fibPath = sharedPath("programs", "wasm-pvm", "jambrains-fib.jam");

/** Instructions whose opcode the ISA does not define (decoded as trap) among bitmask-marked positions. */
function undefinedOpcodes(module: Module): number {
  const { code, bitmask } = module.blob;
  let bad = 0;
  for (let pc = 0; pc < code.length; pc++) {
    if ((bitmask[pc >> 3] >> (pc & 7)) & 1 && code[pc] !== 0 && module.decoded.op[pc] === 0) bad++;
  }
  return bad;
}

describe("polkavm container: sample files", () => {
  it("doom.polkavm: 32-bit, sections, imports, exports, layout at 16 KiB pages", { skip: !doomPath }, () => {
    const program = parsePolkaVm(readBytes(doomPath!));
    assert.equal(program.version, 1);
    assert.equal(program.bits, 32);
    assert.deepEqual(program.sections.map((s) => [s.id, s.length]), [
      [1, 9],
      [2, 387468],
      [3, 63376],
      [4, 87],
      [5, 49],
      [6, 639144],
    ]);
    assert.equal(program.roDataSize, 387468);
    assert.equal(program.rwDataSize, 17091900);
    assert.equal(program.stackSize, 8192);
    assert.equal(program.rwData.length, 63376);
    assert.deepEqual(program.imports, [
      "ext_output_audio",
      "ext_output_video",
      "ext_rom_read",
      "ext_rom_size",
      "ext_stdout",
    ]);
    assert.deepEqual(program.exports, [
      { pc: 1467, name: "ext_initialize" },
      { pc: 1514, name: "ext_on_keychange" },
      { pc: 339779, name: "ext_tick" },
    ]);
    assert.equal(program.blob.code.length, 541450);
    assert.equal(program.blob.jumpTable.count, 10002);
    assert.equal(program.blob.jumpTable.entrySize, 3);
    const layout = polkaVmLayout(program, { pageSize: 0x4000 });
    assert.equal(layout.rwAddress, 0x80000);
    assert.equal(layout.heapBase, 0x10ccd3c);
    assert.equal(layout.stackAddress, 0xfffdc000);
    assert.equal(layout.stackTop, 0xfffe0000);
    const rw = layout.regions.find((r) => r.access === "write" && r.address === 0x80000)!;
    assert.equal(rw.address + rw.length, 0x10d0000);
    const module = Module.load(readBytes(doomPath!));
    assert.equal(module.format, "polkavm");
    assert.equal(module.isa.name, "polkavm-32");
    assert.equal(undefinedOpcodes(module), 0);
    // §9: 415 mul_upper_* sites, read as their 32-bit variants.
    let variants = 0;
    for (const o of module.decoded.op) if (o >= 241 && o <= 243) variants++;
    assert.equal(variants, 415);
  });

  it("example-hello-world.polkavm", { skip: !helloPath }, () => {
    const program = parsePolkaVm(readBytes(helloPath!));
    assert.equal(program.bits, 32);
    assert.deepEqual(program.sections.map((s) => s.id), [1, 4, 5, 6]);
    assert.deepEqual([program.roDataSize, program.rwDataSize, program.stackSize], [0, 0, 8192]);
    assert.deepEqual(program.imports, ["get_third_number"]);
    assert.deepEqual(program.exports, [{ pc: 0, name: "add_numbers" }]);
    assert.equal(program.blob.code.length, 25);
  });

  it("quake.polkavm: 64-bit, debug sections skipped", { skip: !quakePath }, () => {
    const program = parsePolkaVm(readBytes(quakePath!));
    assert.equal(program.version, 0);
    assert.equal(program.bits, 64);
    assert.deepEqual(program.sections.map((s) => s.id), [1, 2, 3, 4, 5, 6, 128, 129, 130]);
    assert.deepEqual(program.sections.slice(6).map((s) => s.length), [25335, 235854, 8232]);
    assert.deepEqual([program.roDataSize, program.rwDataSize, program.stackSize], [57304, 5621064, 524288]);
    assert.deepEqual(program.imports, [
      "pvm_syscall",
      "pvm_set_palette",
      "pvm_display",
      "pvm_fetch_inputs",
      "pvm_init_audio",
      "pvm_output_audio",
    ]);
    assert.deepEqual(program.exports, [{ pc: 0, name: "_pvm_start" }]);
    assert.equal(program.blob.code.length, 307512);
    assert.equal(program.blob.jumpTable.count, 9076);
    const module = Module.load(readBytes(quakePath!));
    assert.equal(module.isa.name, "polkavm-64");
    assert.equal(undefinedOpcodes(module), 0);
    // Its 64-bit-only opcodes are not in the 32-bit ISA.
    assert.ok(undefinedOpcodes(Module.load(readBytes(quakePath!), { isa: "polkavm-32" })) > 0);
  });

  it("jambrains-fib.jam (a .polkavm despite its name): index-pinned imports", { skip: !fibPath }, () => {
    const program = parsePolkaVm(readBytes(fibPath!));
    assert.equal(program.bits, 64);
    assert.equal(program.imports.length, 101);
    assert.equal(program.imports[1], "_jb_host_fetch_untyped");
    assert.equal(program.imports[100], "_jb_host_log_untyped");
    assert.equal(program.imports.filter((name) => name !== "").length, 2);
    assert.deepEqual(program.exports, [
      { pc: 23465, name: "_jb_entry_accumulate" },
      { pc: 23756, name: "_jb_entry_refine" },
    ]);
    assert.equal(program.blob.code.length, 27092);
    assert.equal(program.blob.jumpTable.count, 283);
    assert.equal(undefinedOpcodes(Module.load(readBytes(fibPath!))), 0);
  });
});

describe("polkavm container: layout", () => {
  it("follows PolkaVM's map for 4 KiB and 64 KiB pages", () => {
    const program = {
      roDataSize: 0x12345,
      rwDataSize: 0x1001,
      stackSize: 0x1001,
      roData: new Uint8Array(3),
      rwData: new Uint8Array(0),
    };
    const small = polkaVmLayout(program);
    // RO at 0x10000, rounded to 64 KiB (0x20000) plus a 64 KiB gap: RW at 0x10000 + 0x20000 + 0x10000.
    assert.equal(small.rwAddress, 0x40000);
    assert.equal(small.heapBase, 0x41001);
    assert.equal(small.stackAddress, 0xfffe0000 - 0x2000);
    assert.deepEqual(small.regions.map((r) => [r.address, r.length, r.access]), [
      [0x10000, 0x13000, "read"],
      [0x40000, 0x2000, "write"],
      [0xfffde000, 0x2000, "write"],
    ]);
    const large = polkaVmLayout(program, { pageSize: 0x10000 });
    assert.deepEqual(large.regions.map((r) => r.length), [0x20000, 0x10000, 0x10000]);
    assert.throws(() => polkaVmLayout(program, { pageSize: 0x3000 }), RangeError);
    assert.throws(() => polkaVmLayout(program, { pageSize: 0x800 }), RangeError);
  });

  it("rejects sizes that do not fit in the address space", () => {
    const huge = {
      roDataSize: 0,
      rwDataSize: 0xffff0000,
      stackSize: 0,
      roData: new Uint8Array(0),
      rwData: new Uint8Array(0),
    };
    assert.throws(() => polkaVmLayout(huge), ProgramError);
  });
});

/** A valid minimal file to break: header, code section [trap], end. Offsets: 13 = id, 14 = length, 15.. = payload. */
const TRAP_CODE = encodeBlob({ code: new Uint8Array([0]), bitmask: new Uint8Array([1]), jumpTable: [] });

function expectError(bytes: Uint8Array, offset: number, reason: RegExp): void {
  assert.throws(() => parsePolkaVm(bytes), (error: unknown) => {
    assert.ok(error instanceof ProgramError, `expected a ProgramError, got ${error}`);
    assert.match(error.reason, reason);
    assert.equal(error.offset, offset, error.message);
    return true;
  });
  // Module.load detects the container and reports the same error.
  assert.throws(() => Module.load(bytes), ProgramError);
}

/** Fix up the length field after editing a file. */
function withLength(bytes: number[]): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setBigUint64(5, BigInt(out.length), true);
  return out;
}

describe("polkavm container: malformed input", () => {
  const good = [...encodePolkaVm({ code: TRAP_CODE })];

  it("the well-formed file parses", () => {
    assert.deepEqual(good.slice(13), [6, 5, 0, 0, 1, 0, 1, 0]);
    assert.equal(parsePolkaVm(new Uint8Array(good)).blob.code.length, 1);
  });

  it("the code section's counts are PolkaVM varints: non-shortest forms parse, as in PolkaVM", () => {
    // jump-table length 0 as 0x80 0x00 and code length 1 as 0x80 0x01
    const longForms = withLength([...good.slice(0, 13), 6, 7, 0x80, 0x00, 0, 0x80, 0x01, 0, 1, 0]);
    const blob = parsePolkaVm(longForms).blob;
    assert.deepEqual([blob.code.length, blob.jumpTable.count, [...blob.bitmask]], [1, 0, [1]]);
  });

  it("header: magic, short input, version, length field", () => {
    expectError(new Uint8Array([0x50, 0x56]), 0, /too short/);
    expectError(withLength([0x50, 0x56, 0x4d, 1, ...good.slice(4)]), 3, /magic/);
    expectError(withLength([...good.slice(0, 4), 7, ...good.slice(5)]), 4, /unsupported ISA version byte 7/);
    expectError(new Uint8Array([...good, 0]), 5, /header says the file is 21 bytes long, but it is 22/);
  });

  it("sections: unknown id, order, truncation, missing code, trailing bytes", () => {
    expectError(withLength([...good.slice(0, 13), 7, 0, ...good.slice(13)]), 13, /unexpected section id 7/);
    // memory config after the code section
    expectError(withLength([...good.slice(0, 20), 1, 3, 0, 0, 0, 0]), 20, /out of order/);
    // code section length runs past the end
    expectError(withLength([...good.slice(0, 14), 40, ...good.slice(15)]), 15, /run past the end/);
    // no code section at all
    expectError(withLength([...good.slice(0, 13), 0]), 13, /no code section/);
    // end of file in the middle
    expectError(withLength([...good.slice(0, 21), 0x80, 2, 1, 1]), 21, /after the end-of-file|unexpected/);
  });

  it("optional sections (id ≥ 128) are skipped, whatever they hold", () => {
    const bytes = withLength([...good.slice(0, 13), 200, 3, 9, 9, 9, ...good.slice(13)]);
    const program = parsePolkaVm(bytes);
    assert.deepEqual(program.sections.map((s) => [s.id, s.offset, s.length]), [[200, 15, 3], [6, 20, 5]]);
  });

  it("memory config, data sizes, imports, exports, jump table", () => {
    const header = good.slice(0, 13);
    const code = good.slice(13, 20);
    // memory config with a trailing byte (payload at 15, three varints, the extra byte at 18)
    expectError(withLength([...header, 1, 4, 0, 0, 0, 0, ...code, 0]), 18, /memory config has trailing bytes/);
    // RO payload (2 bytes) larger than the declared size 1: the RO section's payload is at 20
    expectError(withLength([...header, 1, 3, 1, 0, 0, 2, 2, 7, 7, ...code, 0]), 20, /exceeds the declared size 1/);
    // import count over 1024 (payload at 15)
    expectError(withLength([...header, 4, 2, 0x84, 0x01, ...code, 0]), 15, /1025 imports/);
    // import name offsets out of order: symbols start at 15 + 1 + 8
    expectError(withLength([...header, 4, 11, 2, 2, 0, 0, 0, 0, 0, 0, 0, 65, 66, ...code, 0]), 24, /outside/);
    // export pc past the code (exports payload at 15)
    expectError(withLength([...header, 5, 4, 1, 9, 1, 65, ...code, 0]), 15, /past the code/);
    // jump-table entry size 5: the byte after the count, at 15 + 1
    expectError(withLength([...header, 6, 5, 0, 5, 1, 0, 1, 0]), 16, /entry size 5/);
    // bitmask of the wrong length: the generic-blob parser reports it inside the section
    expectError(withLength([...header, 6, 6, 0, 0, 1, 0, 1, 1, 0]), 19, /bitmask/); // the bitmask starts at 15 + 4
  });
});
