// Every malformed-program path (spec §3 generic blob, §12 standard program, GP 0.7 metadata
// prefix) must throw a ProgramError whose offset is the input byte where the problem is:
// the byte that is missing, the start of the field that is wrong or runs past the end.
// Offsets are counted by hand from the layouts in the spec.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module, type ProgramFormat } from "../src/engine.ts";
import { ProgramError } from "../src/program/errors.ts";

function expectError(bytes: number[], format: ProgramFormat, offset: number, reason: RegExp): void {
  assert.throws(
    () => Module.load(new Uint8Array(bytes), { format }),
    (error: unknown) => {
      assert.ok(error instanceof ProgramError, `expected a ProgramError, got ${error}`);
      assert.equal(error.offset, offset, `offset (${error.message})`);
      assert.match(error.reason, reason);
      assert.ok(error.message.startsWith(`at byte ${offset}: `), error.message);
      return true;
    },
  );
}

const SPI_HEADER = (o: number, w: number, z: number, s: number) => [
  o & 255,
  (o >> 8) & 255,
  o >> 16,
  w & 255,
  (w >> 8) & 255,
  w >> 16,
  z & 255,
  z >> 8,
  s & 255,
  (s >> 8) & 255,
  s >> 16,
];
/** A valid 5-byte generic blob: no jump table, code = [trap], bitmask 1. */
const TRAP_BLOB = [0, 0, 1, 0, 1];

describe("program errors", () => {
  it("sanity: the well-formed pieces used below load", () => {
    Module.load(new Uint8Array(TRAP_BLOB), { format: "generic" });
    Module.load(new Uint8Array([...SPI_HEADER(0, 0, 0, 0), 5, 0, 0, 0, ...TRAP_BLOB]), { format: "spi" });
    Module.load(new Uint8Array([2, 0x41, 0x42, ...SPI_HEADER(0, 0, 0, 0), 5, 0, 0, 0, ...TRAP_BLOB]), {
      format: "spi-metadata",
    });
    Module.load(new Uint8Array([0, 0, 0]), { format: "generic" }); // empty code, empty bitmask
  });

  describe("generic blob: truncated input", () => {
    it("empty input: |j| missing at 0", () => expectError([], "generic", 0, /jump table length/));
    it("z missing at 1", () => expectError([0], "generic", 1, /entry size/));
    it("|c| missing at 2", () => expectError([0, 0], "generic", 2, /code length/));
    it("a 2-byte varint cut after its first byte: missing byte at 1", () => {
      expectError([0x81], "generic", 1, /jump table length/);
    });
    it("a 3-byte |c| with only 1 of its 2 tail bytes: tail starts at 3", () => {
      expectError([0, 0, 0xc0, 0x01], "generic", 3, /code length/);
    });
  });

  describe("generic blob: varints", () => {
    it("too large for a length (2^53 in the 9-byte form) at 0", () => {
      expectError([0xff, 0, 0, 0, 0, 0, 0, 0x20, 0], "generic", 0, /too large/);
    });
    it("too large as |c| (2^56) at 2", () => {
      expectError([0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x01], "generic", 2, /too large/);
    });
    it("5 in two bytes (0x80 0x05) is not the shortest form, at 0", () => {
      expectError([0x80, 0x05, 0, 0], "generic", 0, /shortest/);
    });
    it("0 in two bytes, at 0", () => expectError([0x80, 0x00, 0, 0], "generic", 0, /shortest/));
    it("128 in three bytes (0xc0 0x80 0x00) as |c|, at 2", () => {
      expectError([0, 0, 0xc0, 0x80, 0x00], "generic", 2, /shortest/);
    });
    it("1 in the 9-byte form, at 0", () => {
      expectError([0xff, 1, 0, 0, 0, 0, 0, 0, 0], "generic", 0, /shortest/);
    });
  });

  describe("generic blob: lengths past the end", () => {
    it("jump table of 2 × 4 bytes with 3 left: at 3, where the table starts", () => {
      expectError([2, 4, 1, 0, 0, 0], "generic", 3, /jump table/);
    });
    it("code length 10 with 2 bytes left: at 3, where the code starts", () => {
      expectError([0, 0, 10, 0, 0], "generic", 3, /code length/);
    });
    it("code length 5 after a 1-entry 1-byte table: at 4", () => {
      expectError([1, 1, 5, 0, 0, 0], "generic", 4, /code length/);
    });
  });

  describe("generic blob: bitmask", () => {
    it("missing bitmask for 3 code bytes: at 6", () => expectError([0, 0, 3, 0, 0, 0], "generic", 6, /bitmask/));
    it("two bitmask bytes for 3 code bytes: at 6", () => {
      expectError([0, 0, 3, 0, 0, 0, 1, 0], "generic", 6, /bitmask/);
    });
    it("a bitmask byte for empty code: at 3", () => expectError([0, 0, 0, 1], "generic", 3, /bitmask/));
    it("non-zero padding bit 3 for 3 code bytes: at 6, the last bitmask byte", () => {
      expectError([0, 0, 3, 0, 0, 0, 0b1001], "generic", 6, /padding/);
    });
    it("non-zero padding in the second bitmask byte of 9 code bytes: at 13", () => {
      expectError([0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02], "generic", 13, /padding/);
    });
  });

  describe("standard program (SPI)", () => {
    it("header cut inside |w|: at 3", () => expectError([0, 0, 0, 0, 0], "spi", 3, /read-write data length/));
    it("header cut before s: at 8", () => expectError([0, 0, 0, 0, 0, 0, 0, 0, 0], "spi", 8, /stack/));
    it("RO data of 4 bytes with 3 left: at 11", () => {
      expectError([...SPI_HEADER(4, 0, 0, 0), 1, 2, 3], "spi", 11, /read-only/);
    });
    it("RW data of 4 bytes with 3 left, after 1 RO byte: at 12", () => {
      expectError([...SPI_HEADER(1, 4, 0, 0), 0xaa, 1, 2, 3], "spi", 12, /read-write/);
    });
    it("code length field cut after 2 bytes: at 11", () => {
      expectError([...SPI_HEADER(0, 0, 0, 0), 5, 0], "spi", 11, /code blob length/);
    });
    it("code length 6 with 5 bytes left: at 15", () => {
      expectError([...SPI_HEADER(0, 0, 0, 0), 6, 0, 0, 0, ...TRAP_BLOB], "spi", 15, /code blob length/);
    });
    it("code length 4 with 5 bytes left (trailing byte): at 15", () => {
      expectError([...SPI_HEADER(0, 0, 0, 0), 4, 0, 0, 0, ...TRAP_BLOB], "spi", 15, /code blob length/);
    });
    it("an error inside the generic blob is reported at its offset in the whole input: 15 + 4", () => {
      expectError([...SPI_HEADER(0, 0, 0, 0), 5, 0, 0, 0, 0, 0, 1, 0, 0b11], "spi", 19, /padding/);
    });
    it("the layout limit 2^32 cannot be exceeded by any encodable header", () => {
      // Largest fields: |o| = |w| = s = 2^24 − 1, z = 2^16 − 1. The §12 bound is
      // 5·2^16 + Z(2^24 − 1) + Z(2^24 − 1 + 65535·4096) + Z(2^24 − 1) + 2^24
      // = 327 680 + 16 777 216 + 285 212 672 + 16 777 216 + 16 777 216 = 335 872 000 < 2^32.
      const bound = 5 * 65536 + 2 ** 24 + Math.ceil((2 ** 24 - 1 + 65535 * 4096) / 65536) * 65536 + 2 ** 24 + 2 ** 24;
      assert.equal(bound, 335_872_000);
      // So the header passes the layout check and the next problem is the missing RO data.
      expectError(SPI_HEADER(2 ** 24 - 1, 2 ** 24 - 1, 65535, 2 ** 24 - 1), "spi", 11, /read-only/);
    });
  });

  describe("standard program with metadata", () => {
    it("empty input: metadata length missing at 0", () => expectError([], "spi-metadata", 0, /metadata length/));
    it("metadata of 5 bytes with 2 left: at 1", () => expectError([5, 1, 2], "spi-metadata", 1, /metadata/));
    it("metadata length not in shortest form: at 0", () => {
      expectError(
        [0x80, 0x01, 0x41, ...SPI_HEADER(0, 0, 0, 0), 5, 0, 0, 0, ...TRAP_BLOB],
        "spi-metadata",
        0,
        /shortest/,
      );
    });
    it("SPI errors are shifted by the 3-byte metadata prefix: RO past the end at 3 + 11", () => {
      expectError([2, 0x41, 0x42, ...SPI_HEADER(4, 0, 0, 0), 1], "spi-metadata", 14, /read-only/);
    });
    it("a blob error behind metadata: 3 + 15 + 4", () => {
      expectError(
        [2, 0x41, 0x42, ...SPI_HEADER(0, 0, 0, 0), 5, 0, 0, 0, 0, 0, 1, 0, 0b11],
        "spi-metadata",
        22,
        /padding/,
      );
    });
  });

  describe("format detection", () => {
    it("a truncated PolkaVM container (magic PVM\\0) is a .polkavm error at 0", () => {
      expectError([0x50, 0x56, 0x4d, 0x00, 0x01, 0x00], "auto", 0, /\.polkavm header/);
    });
    it("input valid in no format reports the furthest offset of the three attempts", () => {
      // generic: bitmask missing at 6; SPI: z cut at 6 (o = 0x030000, w = 0x100 read from
      // bytes 0..5); SPI with metadata (|m| = 0): w cut at 4. The furthest is 6.
      expectError([0, 0, 3, 0, 1, 0], "auto", 6, /generic blob.*SPI.*metadata/);
    });
  });
});
