import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../src/isa/assembler.ts";
import { disassemble, type DisassembleOptions } from "../src/isa/disassembler.ts";
import { concatBytes } from "../src/program/blob.ts";
import { ProgramError } from "../src/program/errors.ts";
import { encodeVarint } from "../src/program/reader.ts";
import { listFiles, readBytes, readJsonExact, sharedPath } from "./_shared.ts";

/** Assert that disassembling and reassembling `bytes` gives `bytes` back; returns the listing. */
function roundTrip(bytes: Uint8Array, name: string, format?: DisassembleOptions["format"]): string {
  const text = disassemble(bytes, { format });
  const back = assemble(text, { fileName: name });
  const n = Math.min(back.length, bytes.length);
  let i = 0;
  while (i < n && back[i] === bytes[i]) i++;
  if (i < n || back.length !== bytes.length) {
    assert.fail(`${name}: reassembled ${back.length} bytes differ from the original ${bytes.length} at byte ${i}`);
  }
  return text;
}

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).sort().flatMap((f) => {
    const rel = prefix ? `${prefix}/${f}` : f;
    return statSync(join(dir, rel)).isDirectory() ? walk(dir, rel) : [rel];
  });
}

const vectorDir = sharedPath("vectors", "pvm", "w3f-v0.4", "programs");

describe("round trip: W3F v0.4 vector programs", { skip: vectorDir ? false : "shared vectors absent" }, () => {
  const files = vectorDir ? listFiles(vectorDir, ".json") : [];
  it("has all 307 programs", () => assert.equal(files.length, 307));
  for (const file of files) {
    it(file.replace(/\.json$/, ""), () => {
      const { program } = readJsonExact(join(vectorDir!, file)) as { program: number[] };
      const text = roundTrip(new Uint8Array(program), file, "generic");
      assert.doesNotMatch(text, /\.raw|\.byte|:\d\b/, "vector programs are canonically encoded");
    });
  }
});

/** Blobs that must round-trip (the task's list); other files round-trip if they parse at all. */
const REQUIRED =
  /^(anan-as-traces\/bootstrap-service\.jam|jam\/.*\.jam|jamduna\/.*\.pvm|typeberry\/authorizer\.pvm|pvm-debugger\/.*\.(pvm|jam)|new-gas-cost-model\/.*\.pvm|handmade\/.*\.pvm)$/;
/** Files that are not program blobs in any of our formats (see the programs README). */
const NOT_BLOBS = new Set(["pvm-debugger/step-test.pvm", "wasm-pvm/jambrains-fib.jam"]);
const programDir = sharedPath("programs");

describe("round trip: real program blobs", { skip: programDir ? false : "shared programs absent" }, () => {
  const files = programDir ? walk(programDir).filter((f) => !/\.(polkavm|log|json|md)$/.test(f)) : [];
  it("finds the programs", () => assert.ok(files.filter((f) => REQUIRED.test(f)).length >= 40));
  for (const file of files) {
    if (NOT_BLOBS.has(file)) {
      it(`${file} is not a blob`, () => {
        assert.throws(() => disassemble(readBytes(join(programDir!, file))), ProgramError);
      });
      continue;
    }
    it(file, () => {
      const bytes = readBytes(join(programDir!, file));
      let text: string;
      try {
        text = roundTrip(bytes, file);
      } catch (error) {
        if (error instanceof ProgramError && !REQUIRED.test(file)) return;
        throw error;
      }
      const format = /^\.format (\S+)$/m.exec(text)![1];
      if (file.endsWith(".preimage") || file.startsWith("typeberry/")) assert.equal(format, "spi-metadata");
      if (file.startsWith("jamduna/")) assert.equal(format, "spi");
    });
  }

  it("pvm-debugger/step-test.pvm (raw code bytes) round-trips wrapped in a generic blob", () => {
    const code = readBytes(join(programDir!, "pvm-debugger/step-test.pvm"));
    const mask = new Uint8Array(Math.ceil(code.length / 8));
    mask[0] = 1;
    const text = roundTrip(concatBytes([new Uint8Array([0, 0]), encodeVarint(code.length), code, mask]), "step-test");
    assert.match(text, /^ {4}load_imm r0, 42:4$/m);
  });
});

describe("round trip: random blobs", () => {
  let seed = 12345;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return Math.floor((seed / 0x80000000) * n);
  };
  const common = [0, 1, 2, 10, 20, 30, 40, 50, 51, 70, 80, 81, 100, 120, 149, 170, 180, 200, 230];
  it("reproduces 400 random generic and SPI blobs byte for byte", () => {
    for (let iteration = 0; iteration < 400; iteration++) {
      const length = random(160);
      const code = Uint8Array.from({ length }, () => random(2) ? random(256) : common[random(common.length)]);
      const mask = new Uint8Array(Math.ceil(length / 8));
      const density = random(100);
      for (let i = 0; i < length; i++) if (random(100) < density) mask[i >> 3] |= 1 << (i & 7);
      const count = random(5);
      const entrySize = random(6);
      const table = Uint8Array.from({ length: count * entrySize }, (_, i) => i % entrySize ? 0 : random(length + 2));
      const blob = concatBytes([
        encodeVarint(count),
        new Uint8Array([entrySize]),
        encodeVarint(length),
        table,
        code,
        mask,
      ]);
      roundTrip(blob, `random generic blob ${iteration}`, "generic");
      if (iteration % 4 === 0) {
        const data = Uint8Array.from({ length: random(40) }, () => random(256));
        const header = [data.length, 0, 0, 3, 0, 0, random(3), 0, 0, 16, 0];
        const le4 = [blob.length & 0xff, blob.length >> 8, 0, 0];
        const spi = concatBytes([new Uint8Array(header), data, new Uint8Array([1, 2, 3, ...le4]), blob]);
        roundTrip(spi, `random SPI blob ${iteration}`, "spi");
        roundTrip(
          concatBytes([new Uint8Array([data.length]), data, spi]),
          `random SPI blob ${iteration}`,
          "spi-metadata",
        );
      }
    }
  });
});
