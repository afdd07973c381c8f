// The JAR v2 container (capability-kernel.md §2): the two upstream blobs decode exactly as
// derived/decoded-blobs.json records them; every validation rule of §2.5 (and each
// stricter choice of ours) gives a ProgramError at the offset of the offending byte,
// counted by hand from the §2.1/§2.2 layouts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeJar, encodeJarCode, isJar, type JarCapSpec, parseJar, parseJarCode } from "../src/program/jar.ts";
import { ProgramError } from "../src/program/errors.ts";
import { sharedPath } from "./_shared.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The code sub-blob of one trap. */
const TRAP = encodeJarCode({ code: new Uint8Array([0]), bitmask: new Uint8Array([1]) });

function expectError(bytes: Uint8Array, offset: number, reason: RegExp): void {
  assert.throws(() => parseJar(bytes), (error: unknown) => {
    assert.ok(error instanceof ProgramError, `expected a ProgramError, got ${error}`);
    assert.match(error.reason, reason);
    assert.equal(error.offset, offset, `offset (${error.message})`);
    return true;
  });
}

const jar = (caps: JarCapSpec[], memoryPages = 64, invokeSlot = 64) => encodeJar({ memoryPages, invokeSlot, caps });
const code64: JarCapSpec = { slot: 64, kind: "code", bytes: TRAP };

describe("JAR v2: upstream blobs", () => {
  const dir = sharedPath("vectors", "javm");
  it("decode exactly as decoded-blobs.json records", { skip: !dir }, () => {
    const expected = JSON.parse(readFileSync(join(dir!, "derived", "decoded-blobs.json"), "utf8")) as {
      blobs: {
        file: string;
        size: number;
        header: { memory_pages: number; cap_count: number; invoke_cap: number };
        manifest: {
          cap_index: number;
          cap_type: string;
          base_page: number;
          page_count: number;
          init_access: string;
          data_offset: number;
          data_len: number;
        }[];
        data_section_len: number;
        code_sub_blob: {
          jump_len: number;
          entry_size: number;
          code_len: number;
          code_hex: string;
          instruction_starts: number[];
        };
      }[];
    };
    assert.equal(expected.blobs.length, 2);
    for (const blob of expected.blobs) {
      const bytes = new Uint8Array(readFileSync(join(dir!, blob.file)));
      assert.equal(bytes.length, blob.size);
      assert.ok(isJar(bytes));
      const parsed = parseJar(bytes);
      assert.equal(parsed.memoryPages, blob.header.memory_pages);
      assert.equal(parsed.caps.length, blob.header.cap_count);
      assert.equal(parsed.invokeSlot, blob.header.invoke_cap);
      assert.equal(bytes.length - parsed.dataStart, blob.data_section_len);
      parsed.caps.forEach((cap, i) => {
        const m = blob.manifest[i];
        assert.deepEqual(
          [
            cap.slot,
            cap.kind.toUpperCase(),
            cap.basePage,
            cap.pageCount,
            cap.access.toUpperCase(),
            cap.dataOffset,
            cap.dataLength,
          ],
          [m.cap_index, m.cap_type, m.base_page, m.page_count, m.init_access, m.data_offset, m.data_len],
        );
      });
      const code = parsed.caps.find((c) => c.kind === "code")!.code!;
      const sub = blob.code_sub_blob;
      assert.equal(code.jumpTable.count, sub.jump_len);
      assert.equal(code.jumpTable.entrySize, sub.entry_size);
      assert.equal(code.code.length, sub.code_len);
      assert.equal(hex(code.code), sub.code_hex);
      const starts = [...Array(code.code.length).keys()].filter((i) => (code.bitmask[i >> 3] >> (i & 7)) & 1);
      assert.deepEqual(starts, sub.instruction_starts);
    }
  });

  it("fib_recur.jar: one CODE cap at slot 32, no memory", { skip: !dir }, () => {
    const parsed = parseJar(new Uint8Array(readFileSync(join(dir!, "derived", "fib_recur.jar"))));
    assert.equal(parsed.memoryPages, 0);
    assert.equal(parsed.invokeSlot, 32);
    assert.deepEqual(parsed.caps.map((c) => [c.slot, c.kind]), [[32, "code"]]);
  });
});

describe("JAR v2: validation (§2.5 and our stricter choices)", () => {
  it("round-trips encodeJar / parseJar", () => {
    const parsed = parseJar(
      jar([code64, { slot: 65, kind: "data", basePage: 2, pageCount: 3, access: "rw", bytes: new Uint8Array([9, 8]) }]),
    );
    assert.deepEqual(parsed.caps.map((c) => [c.slot, c.kind, c.basePage, c.pageCount, c.access, hex(c.bytes)]), [
      [64, "code", 0, 0, "ro", hex(TRAP)],
      [65, "data", 2, 3, "rw", "0908"],
    ]);
  });
  it("short header and wrong magic", () => {
    expectError(new Uint8Array([0x4a, 0x41, 0x52, 2, 0, 0, 0, 0, 0]), 9, /shorter than its 10-byte header/);
    const bad = jar([code64]);
    bad[3] = 1;
    expectError(bad, 0, /magic/);
  });
  it("truncated manifest names the count byte, and hints at the 14-byte successor layout", () => {
    const bytes = jar([code64]).subarray(0, 10 + 18);
    expectError(bytes, 8, /manifest of 1 entries needs 29 bytes/);
    expectError(bytes, 8, /14-byte entries/);
  });
  it("cap type and access must be 0 or 1 (access checked for CODE too)", () => {
    const t = jar([code64]);
    t[11] = 2;
    expectError(t, 11, /cap type 2/);
    const a = jar([code64]);
    a[20] = 7;
    expectError(a, 20, /access 7/);
  });
  it("data ranges must lie in the data section", () => {
    const bytes = jar([code64]);
    bytes[10 + 15] = TRAP.length + 1; // data_len one past the end
    expectError(bytes, 10 + 11, /run past the 11-byte data section/);
  });
  it("CODE sub-blob: short header, entry size, table/code/bitmask past the end", () => {
    expectError(jar([{ slot: 64, kind: "code", bytes: new Uint8Array(8) }]), 29, /shorter than its 9-byte header/);
    expectError(jar([{ slot: 64, kind: "code" }]), 29, /0 bytes is shorter/);
    const size0 = TRAP.slice();
    size0[4] = 0;
    expectError(jar([{ slot: 64, kind: "code", bytes: size0 }]), 29 + 4, /entry size 0/);
    const size5 = TRAP.slice();
    size5[4] = 5;
    expectError(jar([{ slot: 64, kind: "code", bytes: size5 }]), 29 + 4, /entry size 5/);
    const table = TRAP.slice();
    table[0] = 3; // 3 one-byte entries, only 2 bytes follow the header
    expectError(jar([{ slot: 64, kind: "code", bytes: table }]), 29, /jump table of 3 × 1 bytes/);
    const code = TRAP.slice();
    code[5] = 0xff; // code_len 255
    expectError(jar([{ slot: 64, kind: "code", bytes: code }]), 29 + 5, /code length 255/);
    expectError(jar([{ slot: 64, kind: "code", bytes: TRAP.subarray(0, 10) }]), 29 + 10, /bitmask of 1 bytes/);
  });
  it("the invoke slot must hold a CODE cap (an empty manifest fails too)", () => {
    expectError(jar([], 0, 64), 9, /invoke slot 64 does not hold a CODE cap/);
    expectError(jar([code64, { slot: 65, kind: "data", pageCount: 1 }], 1, 65), 9, /invoke slot 65/);
  });
  it("stricter: DATA init data longer than the cap", () => {
    expectError(
      jar([code64, { slot: 65, kind: "data", pageCount: 1, bytes: new Uint8Array(4097) }], 4),
      29 + 15,
      /4097 bytes of initial data do not fit in 1 page/,
    );
  });
  it("stricter: DATA caps overlapping in the address space", () => {
    const caps: JarCapSpec[] = [code64, { slot: 65, kind: "data", basePage: 0, pageCount: 4 }, {
      slot: 66,
      kind: "data",
      basePage: 3,
      pageCount: 1,
    }];
    expectError(jar(caps), 48 + 2, /overlap the DATA cap of slot 65/);
  });
  it("stricter: mappings past 4 GiB, zero-page DATA caps", () => {
    expectError(jar([code64, { slot: 65, kind: "data", basePage: 0xfffff, pageCount: 2 }]), 29 + 2, /pass the 4 GiB/);
    expectError(jar([code64, { slot: 65, kind: "data", basePage: 0, pageCount: 0 }]), 29 + 6, /DATA cap of 0 pages/);
  });
  it("stricter: duplicate slots, protocol slots 1..28, the UNTYPED slot 254", () => {
    expectError(jar([code64, { slot: 64, kind: "data", pageCount: 1 }]), 29, /slot 64 is already used/);
    expectError(jar([code64, { slot: 1, kind: "data", pageCount: 1 }]), 29, /slot 1 is reserved for a protocol cap/);
    expectError(jar([code64, { slot: 28, kind: "code", bytes: TRAP }]), 29, /slot 28 is reserved/);
    expectError(jar([code64, { slot: 254, kind: "data", pageCount: 1 }]), 29, /reserved for UNTYPED/);
  });
  it("kernel-level rules checked at parse: at most 5 CODE caps, DATA pages within memory_pages", () => {
    const codes: JarCapSpec[] = [64, 65, 66, 67, 68, 69].map((slot) => ({ slot, kind: "code", bytes: TRAP }));
    expectError(jar(codes), 10 + 19 * 5 + 1, /more than 5 CODE caps/);
    assert.equal(parseJar(jar(codes.slice(0, 5))).caps.length, 5);
    expectError(
      jar([code64, { slot: 65, kind: "data", pageCount: 3 }], 2),
      29 + 6,
      /need 3 pages, more than memory_pages = 2/,
    );
  });
  it("parseJarCode ignores bytes after the bitmask and clears bitmask padding", () => {
    const blob = parseJarCode(new Uint8Array([...TRAP.subarray(0, 10), 0xff, 0xaa, 0xbb]));
    assert.deepEqual([...blob.bitmask], [1]);
  });
});

describe("JAR v2: fuzz seeds and random bytes never escape as anything but ProgramError", () => {
  it("every truncation and single-byte corruption of a real blob parses or throws ProgramError", () => {
    const base = jar([code64, {
      slot: 65,
      kind: "data",
      basePage: 0,
      pageCount: 2,
      access: "rw",
      bytes: new Uint8Array([1, 2, 3]),
    }, {
      slot: 0,
      kind: "data",
      basePage: 4,
      pageCount: 1,
      access: "rw",
    }]);
    let errors = 0;
    const tryParse = (b: Uint8Array) => {
      try {
        parseJar(b);
      } catch (e) {
        assert.ok(e instanceof ProgramError, String(e));
        assert.ok(e.offset >= 0 && e.offset <= b.length, `offset ${e.offset} outside ${b.length}`);
        errors++;
      }
    };
    for (let n = 0; n < base.length; n++) tryParse(base.subarray(0, n));
    for (let i = 0; i < base.length; i++) {
      for (const v of [0, 1, 2, 0x7f, 0x80, 0xff]) {
        const b = base.slice();
        b[i] = v;
        tryParse(b);
      }
    }
    assert.ok(errors > base.length, `only ${errors} errors`);
  });
});
