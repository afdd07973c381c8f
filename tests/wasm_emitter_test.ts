// The hand-written Wasm emitter (src/recompiler/wasm): LEB128 against hand-computed bytes,
// instruction encodings against wabt's assembler, and whole modules that are validated by
// wabt and by the engine (compiling = validating) and then run with hand-checked results.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ByteWriter,
  Code,
  encodeS32,
  encodeS64,
  encodeU32,
  isBlockTypeCode,
  ModuleBuilder,
  sizeU32,
  T,
  W,
  WFC,
} from "../src/recompiler/wasm/mod.ts";
import { toWat, validateWasm, wabtSkipReason, watToWasm } from "./_wabt.ts";

const skipWabt = wabtSkipReason ?? false;

/** Compile (which validates) and, where wabt loads, validate with wabt too. */
function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  if (!wabtSkipReason) validateWasm(bytes);
  return new WebAssembly.Module(bytes);
}

function instantiate(bytes: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports = {}): Record<string, unknown> {
  return new WebAssembly.Instance(compile(bytes), imports).exports as Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;
const fn = (exports: Record<string, unknown>, name: string) => exports[name] as Fn;

/** Read an unsigned LEB128 at `p`; returns [value, next position]. */
function readU32(b: Uint8Array, p: number): [number, number] {
  let v = 0, shift = 0;
  for (;;) {
    const x = b[p++];
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if (x < 0x80) return [v, p];
  }
}

/** The function bodies (as `Code.finish()` returns them) in a module's code section. */
function functionBodies(bytes: Uint8Array): Uint8Array[] {
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    const [size, start] = readU32(bytes, p);
    if (id === 10) {
      let [count, q] = readU32(bytes, start);
      const out: Uint8Array[] = [];
      while (count-- > 0) {
        const [len, at] = readU32(bytes, q);
        out.push(bytes.slice(at, at + len));
        q = at + len;
      }
      return out;
    }
    p = start + size;
  }
  return [];
}

/** Section ids of a module, in order. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let p = 8;
  while (p < bytes.length) {
    ids.push(bytes[p++]);
    const [size, start] = readU32(bytes, p);
    p = start + size;
  }
  return ids;
}

const bytes = (...a: number[]) => new Uint8Array(a);

describe("LEB128", () => {
  it("unsigned", () => {
    assert.deepEqual(encodeU32(0), bytes(0x00));
    assert.deepEqual(encodeU32(127), bytes(0x7f));
    assert.deepEqual(encodeU32(128), bytes(0x80, 0x01));
    assert.deepEqual(encodeU32(300), bytes(0xac, 0x02));
    assert.deepEqual(encodeU32(16383), bytes(0xff, 0x7f));
    assert.deepEqual(encodeU32(16384), bytes(0x80, 0x80, 0x01));
    assert.deepEqual(encodeU32(624485), bytes(0xe5, 0x8e, 0x26));
    assert.deepEqual(encodeU32(2 ** 31), bytes(0x80, 0x80, 0x80, 0x80, 0x08));
    assert.deepEqual(encodeU32(2 ** 32 - 1), bytes(0xff, 0xff, 0xff, 0xff, 0x0f));
    for (const n of [0, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1]) {
      assert.equal(sizeU32(n), encodeU32(n).length, String(n));
    }
  });

  it("unsigned out of range throws", () => {
    for (const n of [-1, 2 ** 32, 1.5, NaN, Infinity]) assert.throws(() => encodeU32(n), RangeError, String(n));
  });

  it("signed 32", () => {
    assert.deepEqual(encodeS32(0), bytes(0x00));
    assert.deepEqual(encodeS32(63), bytes(0x3f));
    assert.deepEqual(encodeS32(64), bytes(0xc0, 0x00));
    assert.deepEqual(encodeS32(127), bytes(0xff, 0x00));
    assert.deepEqual(encodeS32(128), bytes(0x80, 0x01));
    assert.deepEqual(encodeS32(624485), bytes(0xe5, 0x8e, 0x26));
    assert.deepEqual(encodeS32(-1), bytes(0x7f));
    assert.deepEqual(encodeS32(-64), bytes(0x40));
    assert.deepEqual(encodeS32(-65), bytes(0xbf, 0x7f));
    assert.deepEqual(encodeS32(-128), bytes(0x80, 0x7f));
    assert.deepEqual(encodeS32(-123456), bytes(0xc0, 0xbb, 0x78));
    assert.deepEqual(encodeS32(2 ** 31 - 1), bytes(0xff, 0xff, 0xff, 0xff, 0x07));
    assert.deepEqual(encodeS32(-(2 ** 31)), bytes(0x80, 0x80, 0x80, 0x80, 0x78));
    // Unsigned spellings of int32 values are their two's complement.
    assert.deepEqual(encodeS32(0xffffffff), bytes(0x7f));
    assert.deepEqual(encodeS32(0x80000000), bytes(0x80, 0x80, 0x80, 0x80, 0x78));
    for (const n of [2 ** 32, -(2 ** 31) - 1, 0.5, NaN]) assert.throws(() => encodeS32(n), RangeError, String(n));
  });

  it("signed 64", () => {
    assert.deepEqual(encodeS64(0), bytes(0x00));
    assert.deepEqual(encodeS64(0n), bytes(0x00));
    assert.deepEqual(encodeS64(127), bytes(0xff, 0x00));
    assert.deepEqual(encodeS64(128n), bytes(0x80, 0x01));
    assert.deepEqual(encodeS64(624485), bytes(0xe5, 0x8e, 0x26));
    assert.deepEqual(encodeS64(-1), bytes(0x7f));
    assert.deepEqual(encodeS64(-1n), bytes(0x7f));
    assert.deepEqual(encodeS64(-64n), bytes(0x40));
    assert.deepEqual(encodeS64(-65), bytes(0xbf, 0x7f));
    assert.deepEqual(encodeS64(-123456n), bytes(0xc0, 0xbb, 0x78));
    assert.deepEqual(encodeS64(2 ** 31 - 1), bytes(0xff, 0xff, 0xff, 0xff, 0x07));
    assert.deepEqual(encodeS64(-(2 ** 31)), bytes(0x80, 0x80, 0x80, 0x80, 0x78));
    // Unlike s32, 2^31 and 2^32 − 1 are positive int64 values.
    assert.deepEqual(encodeS64(2 ** 31), bytes(0x80, 0x80, 0x80, 0x80, 0x08));
    assert.deepEqual(encodeS64(0xffffffffn), bytes(0xff, 0xff, 0xff, 0xff, 0x0f));
    // 2^35: bit 35 sits at bit 0 of the sixth group, so five 0x80 then 0x01.
    assert.deepEqual(encodeS64(2 ** 35), bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    assert.deepEqual(encodeS64(-(2 ** 35)), bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x7f));
    // Largest safe integers take the float path; the bigint path must agree.
    const maxSafe = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert.deepEqual(encodeS64(2 ** 53 - 1), bytes(...maxSafe));
    assert.deepEqual(encodeS64(2n ** 53n - 1n), bytes(...maxSafe));
    const minSafe = [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x70];
    assert.deepEqual(encodeS64(-(2 ** 53) + 1), bytes(...minSafe));
    assert.deepEqual(encodeS64(-(2n ** 53n) + 1n), bytes(...minSafe));
    // 63 one bits need nine full groups and a tenth byte for the sign.
    const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    assert.deepEqual(encodeS64(2n ** 63n - 1n), bytes(...max));
    const min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
    assert.deepEqual(encodeS64(-(2n ** 63n)), bytes(...min));
    assert.deepEqual(encodeS64(2n ** 63n), bytes(...min));
    assert.deepEqual(encodeS64(2n ** 64n - 1n), bytes(0x7f));
    assert.deepEqual(encodeS64(2n ** 64n - 123456n), bytes(0xc0, 0xbb, 0x78));
  });

  it("signed 64 out of range throws", () => {
    for (const v of [2n ** 64n, -(2n ** 63n) - 1n, 2 ** 53, -(2 ** 60), 1.5, NaN]) {
      assert.throws(() => encodeS64(v), RangeError, String(v));
    }
  });

  it("matches a BigInt reference decoder on random values", () => {
    let x = 0x243f6a8885a308d3n;
    for (let i = 0; i < 2000; i++) {
      x ^= BigInt.asUintN(64, x << 13n);
      x ^= x >> 7n;
      x ^= BigInt.asUintN(64, x << 17n);
      const v = BigInt.asIntN(64, x) >> BigInt(i % 64);
      const enc = encodeS64(v);
      let acc = 0n, shift = 0n, j = 0;
      for (;; j++) {
        acc |= BigInt(enc[j] & 0x7f) << shift;
        shift += 7n;
        if (enc[j] < 0x80) break;
      }
      assert.equal(j, enc.length - 1);
      if (enc[j] & 0x40) acc -= 1n << shift;
      assert.equal(acc, v);
      // The shortest form: dropping the last byte would lose the value or its sign.
      if (enc.length > 1) {
        const last = enc[j], prev = enc[j - 1] & 0x7f;
        assert.ok(!((last === 0x00 && !(prev & 0x40)) || (last === 0x7f && prev & 0x40)), `${v} not minimal`);
      }
      const words = new ByteWriter(16);
      words.s64Words(Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
      assert.deepEqual(words.finish(), enc, `s64Words ${v}`);
      if (v >= -(2n ** 31n) && v < 2n ** 31n) assert.deepEqual(encodeS32(Number(v)), enc);
      if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) assert.deepEqual(encodeS64(Number(v)), enc);
    }
  });
});

describe("ByteWriter", () => {
  it("grows by doubling and keeps every byte", () => {
    const w = new ByteWriter(16);
    for (let i = 0; i < 100_000; i++) w.byte(i & 0xff);
    w.bytes([1, 2, 3]);
    w.bytes(new Uint8Array(70_000).fill(9));
    w.u32(2 ** 32 - 1);
    assert.equal(w.length, 170_008);
    const out = w.finish();
    assert.equal(out.length, 170_008);
    assert.equal(out[99_999], 99_999 & 0xff);
    assert.deepEqual([...out.subarray(100_000, 100_003)], [1, 2, 3]);
    assert.equal(out[170_002], 9);
    assert.deepEqual([...out.subarray(170_003)], [0xff, 0xff, 0xff, 0xff, 0x0f]);
    w.reset();
    assert.equal(w.length, 0);
    w.s32(-1);
    assert.deepEqual(w.finish(), bytes(0x7f));
    assert.equal(out[0], 0, "finish() returned a copy that reset() does not touch");
  });

  it("writes names as UTF-8 with their byte length", () => {
    const w = new ByteWriter();
    w.name("");
    w.name("env");
    w.name("é€");
    assert.deepEqual(w.finish(), bytes(0, 3, 0x65, 0x6e, 0x76, 5, 0xc3, 0xa9, 0xe2, 0x82, 0xac));
    const long = "x".repeat(200);
    const v = new ByteWriter(16);
    v.name(long);
    assert.deepEqual([...v.finish().subarray(0, 2)], [0xc8, 0x01]);
    assert.equal(v.length, 202);
  });
});

describe("opcode tables", () => {
  it("W covers 0x00–0xC4 without duplicates", () => {
    const values = Object.values(W) as number[];
    assert.equal(new Set(values).size, values.length);
    assert.equal(values.filter((v) => v >= 0x45 && v <= 0xc4).length, 0xc4 - 0x45 + 1, "numeric ops are dense");
    assert.equal(W.i64_store32, 0x3e);
    assert.equal(W.i64_extend32_s, 0xc4);
    assert.equal(W.i32_wrap_i64, 0xa7);
    assert.equal(W.i64_rotl, 0x89);
    assert.deepEqual([WFC.memory_copy, WFC.memory_fill, WFC.i64_trunc_sat_f64_u], [10, 11, 7]);
  });

  it("block type codes are exactly the T codes", () => {
    for (let n = 0; n < 256; n++) {
      assert.equal(isBlockTypeCode(n), (Object.values(T) as number[]).includes(n), String(n));
    }
  });
});

describe("instruction encodings agree with wabt's assembler", { skip: skipWabt }, () => {
  // Every case is assembled by wabt inside this module and emitted by Code after the same
  // prologue (`unreachable`, so any operand types validate); the function bodies must match.
  const prelude = `(module
    (type (func (param i32 i32) (result i32 i32)))
    (type (func (param i64)))
    (memory 1) (table 2 funcref) (table 1 funcref)
    (global (mut i64) (i64.const 0))
    (elem declare func 0) (elem func 0)
    (data "x")
    (func (param i32 i64) (local f32) unreachable\n`;
  const cases: [string, (c: Code) => void][] = [];
  const add = (text: string, emit: (c: Code) => void) => cases.push([text, emit]);

  const immediate = new Set([
    "block",
    "loop",
    "if",
    "else",
    "end",
    "br",
    "br_if",
    "br_table",
    "call",
    "call_indirect",
    "return_call",
    "return_call_indirect",
    "select_t",
    "memory_size",
    "memory_grow",
    "ref_null",
    "ref_func",
  ]);
  const specName = (key: string) => key.replace(/^(i32|i64|f32|f64|local|global|memory|table|ref|data|elem)_/, "$1.");
  for (const [key, code] of Object.entries(W)) {
    if (immediate.has(key) || /^(local|global|table)_|const$|load|store/.test(key)) continue;
    add(specName(key), (c) => c.op(code));
  }
  for (const [key, code] of Object.entries(W)) {
    if (!/load|store/.test(key)) continue;
    const bits = /(8|16|32)_?[su]?$/.exec(key)?.[1] ?? key.slice(1, 3);
    const align = Math.log2(Number(bits) / 8);
    add(
      `${specName(key)} offset=300`,
      (c) => (key.includes("load") ? c.load(code, 300, align) : c.store(code, 300, align)),
    );
  }
  for (let sub = 0; sub <= 7; sub++) {
    const key = Object.entries(WFC).find(([, v]) => v === sub)![0];
    add(specName(key), (c) => c.opFC(sub));
  }
  add("i32.load offset=8 align=1", (c) => c.load(W.i32_load, 8, 0));
  add("i64.load offset=65536", (c) => c.load(W.i64_load, 65536, 3));
  add("i64.store32 offset=4294967295 align=2", (c) => c.store(W.i64_store32, 2 ** 32 - 1, 1));
  add("block end", (c) => (c.block(), c.end()));
  add("block (result i64) unreachable end", (c) => (c.block(T.i64), c.unreachable(), c.end()));
  add("loop (result i32) unreachable end", (c) => (c.loop(T.i32), c.unreachable(), c.end()));
  add("block (type 0) unreachable end", (c) => (c.block(0), c.unreachable(), c.end()));
  add("loop (type 0) unreachable end", (c) => (c.loop(0), c.unreachable(), c.end()));
  add(
    "if (result i32) i32.const 1 else i32.const 2 end",
    (c) => (c.if(T.i32), c.i32Const(1), c.else(), c.i32Const(2), c.end()),
  );
  add("br 0", (c) => c.br(0));
  add("br_if 0", (c) => c.brIf(0));
  add(
    "block block block i32.const 3 br_table 0 1 2 1 0 end end end",
    (c) => (c.block(), c.block(), c.block(), c.i32Const(3), c.brTable([0, 1, 2, 1], 0), c.end(), c.end(), c.end()),
  );
  add("call 0", (c) => c.call(0));
  add("return_call 0", (c) => c.returnCall(0));
  add("call_indirect (type 0)", (c) => c.callIndirect(0));
  add("call_indirect 1 (type 0)", (c) => c.callIndirect(0, 1));
  add("return_call_indirect (type 1)", (c) => c.returnCallIndirect(1));
  add("return_call_indirect 1 (type 1)", (c) => c.returnCallIndirect(1, 1));
  add("select (result i64)", (c) => c.selectTyped(T.i64));
  add("select (result funcref)", (c) => c.selectTyped(T.funcref));
  add("local.get 1", (c) => c.localGet(1));
  add("local.set 2", (c) => c.localSet(2));
  add("local.tee 0", (c) => c.localTee(0));
  add("global.get 0", (c) => c.globalGet(0));
  add("global.set 0", (c) => c.globalSet(0));
  add("i32.const 0", (c) => c.i32Const(0));
  add("i32.const -1", (c) => c.i32Const(-1));
  add("i32.const 0xffffffff", (c) => c.i32Const(0xffffffff));
  add("i32.const 0x80000000", (c) => c.i32Const(-0x80000000));
  add("i32.const 1000000", (c) => c.i32Const(1_000_000));
  add("i64.const 0", (c) => c.i64Const(0n));
  add("i64.const -9223372036854775808", (c) => c.i64Const(-(2n ** 63n)));
  add("i64.const 0x7fffffffffffffff", (c) => c.i64Const(2n ** 63n - 1n));
  add("i64.const 0xffffffffffffffff", (c) => c.i64Const(2n ** 64n - 1n));
  add("i64.const 0xfedcba9876543210", (c) => c.i64Const(0xfedcba9876543210n));
  add("i64.const 0xfedcba9876543210", (c) => c.i64ConstWords(0x76543210, 0xfedcba98));
  add("i64.const -2", (c) => c.i64ConstWords(-2, -1));
  add("i64.const 0x80000000", (c) => c.i64ConstWords(0x80000000, 0));
  add("i64.const 1234567890123", (c) => c.i64Const(1234567890123));
  add("i64.const -1234567890123", (c) => c.i64Const(-1234567890123));
  add("i64.const 4294967295", (c) => c.i64Const(4294967295));
  add("f32.const 1.5", (c) => c.f32Const(1.5));
  add("f32.const -0.1", (c) => c.f32Const(-0.1));
  add("f64.const -0.1", (c) => c.f64Const(-0.1));
  add("f64.const inf", (c) => c.f64Const(Infinity));
  add("memory.size", (c) => c.memorySize());
  add("memory.grow", (c) => c.memoryGrow());
  add("memory.copy", (c) => c.memoryCopy());
  add("memory.fill", (c) => c.memoryFill());
  add("memory.init 0", (c) => c.memoryInit(0));
  add("data.drop 0", (c) => c.dataDrop(0));
  add("table.get 1", (c) => c.tableGet(1));
  add("table.set 0", (c) => c.tableSet(0));
  add("table.size 1", (c) => c.tableSize(1));
  add("table.grow 0", (c) => c.tableGrow(0));
  add("table.fill 1", (c) => c.tableFill(1));
  add("table.copy 1 0", (c) => c.tableCopy(1, 0));
  add("table.init 0 1", (c) => c.tableInit(1, 0));
  add("table.init 1 0", (c) => c.tableInit(0, 1));
  add("elem.drop 1", (c) => c.elemDrop(1));
  add("ref.null func", (c) => c.refNull(T.funcref));
  add("ref.null extern", (c) => c.refNull(T.externref));
  add("ref.func 0", (c) => c.refFunc(0));
  add("nop", (c) => c.nop());
  add("drop", (c) => c.drop());
  add("return", (c) => c.return());

  it(`${cases.length} cases, including every W and WFC opcode`, () => {
    const seen = new Set<string>();
    for (const [text, emit] of cases) {
      const c = new Code(2);
      c.local(T.f32);
      c.unreachable();
      emit(c);
      c.unreachable();
      const body = c.finish();
      const expected = functionBodies(watToWasm(`${prelude}${text}\nunreachable))`))[0];
      assert.deepEqual(body, expected, text);
      for (const token of text.split(/[\s()]+/)) seen.add(token);
    }
    const names = [...Object.keys(W), ...Object.keys(WFC)].map((k) => (k === "select_t" ? "select" : specName(k)));
    assert.deepEqual(names.filter((name) => !seen.has(name)), []);
  });
});

describe("Code", () => {
  it("numbers locals after the parameters and groups runs of one type", () => {
    const c = new Code(3);
    assert.equal(c.local(T.i64), 3);
    assert.equal(c.local(T.i64), 4);
    assert.equal(c.local(T.i32), 5);
    assert.equal(c.locals(T.i64, 200), 6);
    assert.equal(c.local(T.i64), 206);
    assert.equal(c.localCount, 207);
    c.localGet(206);
    // 3 groups: 2 × i64, 1 × i32, 201 × i64; then local.get 206 and the final end.
    assert.deepEqual(c.finish(), bytes(3, 2, T.i64, 1, T.i32, 0xc9, 0x01, T.i64, W.local_get, 0xce, 0x01, W.end));
    assert.deepEqual(c.finish(), c.finish(), "finish() is repeatable");
    c.reset(1);
    assert.equal(c.local(T.f64), 1);
    assert.deepEqual(c.finish(), bytes(1, 1, T.f64, W.end));
    assert.deepEqual(new Code().finish(), bytes(0, W.end));
  });

  it("rejects malformed block types and immediates", () => {
    const c = new Code();
    assert.throws(() => c.local(T.void), RangeError);
    assert.throws(() => c.locals(0x42, 2), RangeError);
    assert.throws(() => c.block(-1), RangeError);
    assert.throws(() => c.loop(1.5), RangeError);
    assert.throws(() => c.br(-1), RangeError);
    assert.throws(() => c.i32Const(2 ** 32), RangeError);
    assert.throws(() => c.i64Const(2n ** 64n), RangeError);
    const d = new Code();
    d.block(128); // a type index beyond one LEB byte
    assert.deepEqual(d.finish(), bytes(0, W.block, 0x80, 0x01, W.end));
  });
});

describe("ModuleBuilder", () => {
  it("deduplicates types and never hands out an index that reads as a value type", () => {
    const mb = new ModuleBuilder();
    const indices: number[] = [];
    for (let n = 0; n < 140; n++) {
      const params = Array.from({ length: 1 + (n % 7) }, (_, i) => (i < n % 3 ? T.i64 : T.i32));
      indices.push(mb.type(params, n < 70 ? [T.i32] : [T.i64, T.i32, ...Array(n % 5).fill(T.f64)]));
    }
    for (const i of indices) assert.ok(!isBlockTypeCode(i), String(i));
    assert.equal(mb.type([T.i32], [T.i32]), mb.type([T.i32], [T.i32]));
    assert.notEqual(mb.type([T.i32], [T.i64]), mb.type([T.i64], [T.i32]));
    const empty = mb.type([], []);
    assert.ok(!isBlockTypeCode(empty));
    assert.equal(mb.type([], []), empty);
    assert.throws(() => mb.type([0x42], []), RangeError);
    assert.throws(() => mb.addFunction(10_000, new Code().finish()), RangeError);
  });

  it("puts sections in spec order and leaves empty ones out", () => {
    const mb = new ModuleBuilder();
    const v = mb.type([], []);
    mb.importFunction("env", "f", v);
    mb.importMemory("env", "mem", 1);
    const f = mb.addFunction(v, new Code().finish());
    mb.addTable(T.funcref, 1);
    mb.addGlobal(T.i32, false, 7);
    mb.exportFunction("f", f);
    mb.setStart(f);
    mb.addElements(0, 0, [f]);
    mb.addData(0, bytes(1));
    mb.setFunctionName(f, "main");
    const wasm = mb.build();
    assert.deepEqual([...wasm.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    assert.deepEqual(sectionIds(wasm), [1, 2, 3, 4, 6, 7, 8, 9, 12, 10, 11, 0]);
    compile(wasm);
    assert.deepEqual(sectionIds(new ModuleBuilder().build()), []);
    const memOnly = new ModuleBuilder();
    memOnly.addMemory(1, 1);
    assert.deepEqual(sectionIds(memOnly.build()), [5]);
  });

  it("refuses misuse with clear errors", () => {
    const mb = new ModuleBuilder();
    const v = mb.type([], []);
    mb.addFunction(v, new Code().finish());
    mb.addGlobal(T.i32, true, 0);
    mb.addTable(T.funcref, 1);
    mb.addMemory(1);
    assert.throws(() => mb.importFunction("env", "f", v), /importFunction after addFunction/);
    assert.throws(() => mb.importGlobal("env", "g", T.i32, false), /importGlobal after addGlobal/);
    assert.throws(() => mb.importTable("env", "t", T.funcref, 1), /importTable after addTable/);
    assert.throws(() => mb.importMemory("env", "m", 1), /already has a memory/);
    assert.throws(() => mb.addTable(T.i32, 1), RangeError);
    assert.throws(() => mb.addMemory(1), /already has a memory/);
    mb.exportFunction("f", 0);
    assert.throws(() => mb.exportGlobal("f", 0), /duplicate export/);
    mb.exportFunction("g", 1);
    assert.throws(() => mb.build(), /exported function index 1 out of range/);
  });
});

describe("modules run with the expected results", () => {
  it("imports memory, a table, functions and globals; copies, fills and starts", () => {
    const mb = new ModuleBuilder();
    const vI32 = mb.type([T.i32], []);
    const log = mb.importFunction("env", "log", vI32);
    mb.importMemory("env", "mem", 1, 2);
    const tbl = mb.importTable("env", "tbl", T.funcref, 3);
    const base = mb.importGlobal("env", "base", T.i32, false);
    const counter = mb.importGlobal("env", "counter", T.i64, true);
    const started = mb.addGlobal(T.i32, true, 0);
    const minusOne = mb.addGlobal(T.i32, false, 0xffffffff);
    const wide = mb.addGlobal(T.i64, false, 2n ** 64n - 2n);
    const half = mb.addGlobal(T.f64, false, 1.5);
    const tenth = mb.addGlobal(T.f32, false, 0.1);
    const nothing = mb.addGlobal(T.externref, false, 0);

    // copyFill(dst, src, len) → memory.size: copy len bytes, fill 4 bytes of 0xAB after them, log(len).
    const cf = new Code(3);
    cf.localGet(0);
    cf.localGet(1);
    cf.localGet(2);
    cf.memoryCopy();
    cf.localGet(0);
    cf.localGet(2);
    cf.op(W.i32_add);
    cf.i32Const(0xab);
    cf.i32Const(4);
    cf.memoryFill();
    cf.localGet(2);
    cf.call(log);
    cf.memorySize();
    const copyFill = mb.addFunction(mb.type([T.i32, T.i32, T.i32], [T.i32]), cf.finish());

    // bump() → counter += zero-extended base; returns the new counter.
    const b = new Code();
    b.globalGet(counter);
    b.globalGet(base);
    b.op(W.i64_extend_i32_u);
    b.op(W.i64_add);
    b.globalSet(counter);
    b.globalGet(counter);
    const bump = mb.addFunction(mb.type([], [T.i64]), b.finish());

    // peek(addr) → i64.load32_u at addr + 4 (offset immediate) + loads/stores of other widths.
    const p = new Code(1);
    p.localGet(0);
    p.load(W.i64_load32_u, 4, 2);
    p.localGet(0);
    p.load(W.i32_load8_s, 0);
    p.op(W.i64_extend_i32_s);
    p.op(W.i64_add);
    const peek = mb.addFunction(mb.type([T.i32], [T.i64]), p.finish());

    // grow() → memory.grow 1 then table.size of the imported table.
    const g = new Code();
    g.i32Const(1);
    g.memoryGrow();
    g.drop();
    g.tableSize(tbl);
    const grow = mb.addFunction(mb.type([], [T.i32]), g.finish());

    const s = new Code();
    s.i32Const(42);
    s.globalSet(started);
    const start = mb.addFunction(mb.type([], []), s.finish());
    mb.setStart(start);

    mb.addData(16, bytes(1, 2, 3, 4, 5, 6, 7, 8));
    mb.exportFunction("copyFill", copyFill);
    mb.exportFunction("bump", bump);
    mb.exportFunction("peek", peek);
    mb.exportFunction("grow", grow);
    mb.exportGlobal("started", started);
    mb.exportGlobal("minusOne", minusOne);
    mb.exportGlobal("wide", wide);
    mb.exportGlobal("half", half);
    mb.exportGlobal("tenth", tenth);
    mb.exportGlobal("nothing", nothing);
    mb.exportMemory("memory");
    mb.exportTable("table", tbl);

    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    const table = new WebAssembly.Table({ element: "anyfunc", initial: 3 });
    const logged: number[] = [];
    const counterGlobal = new WebAssembly.Global({ value: "i64", mutable: true }, 5n);
    const ex = instantiate(mb.build(), {
      env: {
        log: (n: number) => logged.push(n),
        mem: memory,
        tbl: table,
        base: new WebAssembly.Global({ value: "i32", mutable: false }, -1),
        counter: counterGlobal,
      },
    });
    const view = new Uint8Array(memory.buffer);
    assert.deepEqual([...view.subarray(16, 24)], [1, 2, 3, 4, 5, 6, 7, 8], "data segment");
    assert.equal(fn(ex, "copyFill")(100, 16, 8), 1);
    assert.deepEqual([...view.subarray(100, 112)], [1, 2, 3, 4, 5, 6, 7, 8, 0xab, 0xab, 0xab, 0xab]);
    assert.deepEqual(logged, [8]);
    assert.equal(fn(ex, "bump")(), 5n + 0xffffffffn);
    assert.equal(counterGlobal.value, 5n + 0xffffffffn);
    // peek(100): u32 at 104 = 0x08070605, plus sign-extended byte at 100 (1).
    assert.equal(fn(ex, "peek")(100), 0x08070605n + 1n);
    view[108] = 0x80;
    assert.equal(fn(ex, "peek")(108), 0n - 128n, "bytes 112.. are zero");
    assert.equal(fn(ex, "grow")(), 3);
    assert.equal(memory.buffer.byteLength, 2 * 65536);
    assert.equal((ex.started as WebAssembly.Global).value, 42, "start function ran");
    assert.equal((ex.minusOne as WebAssembly.Global).value, -1);
    assert.equal((ex.wide as WebAssembly.Global).value, -2n);
    assert.equal((ex.half as WebAssembly.Global).value, 1.5);
    assert.equal((ex.tenth as WebAssembly.Global).value, Math.fround(0.1));
    assert.equal((ex.nothing as WebAssembly.Global).value, null);
    assert.equal(ex.memory, memory);
    assert.equal(ex.table, table);
  });

  it("tables, elements, call_indirect, ref.func and tail calls", () => {
    const mb = new ModuleBuilder();
    const unary = mb.type([T.i32], [T.i32]);
    const pair64 = mb.type([T.i64, T.i64], [T.i64]);
    const t0 = mb.addTable(T.funcref, 4);
    const t1 = mb.addTable(T.funcref, 1, 1);
    const unaryFn = (emit: (c: Code) => void) => {
      const c = new Code(1);
      emit(c);
      return mb.addFunction(unary, c.finish());
    };
    const square = unaryFn((c) => (c.localGet(0), c.localGet(0), c.op(W.i32_mul)));
    const double = unaryFn((c) => (c.localGet(0), c.i32Const(1), c.op(W.i32_shl)));
    const inc = unaryFn((c) => (c.localGet(0), c.i32Const(1), c.op(W.i32_add)));
    const triple = unaryFn((c) => (c.localGet(0), c.i32Const(3), c.op(W.i32_mul)));

    // fact(n, acc) = n == 0 ? acc : fact(n - 1, acc * n), by return_call.
    const fact = mb.functionCount;
    const f = new Code(2);
    f.localGet(0);
    f.op(W.i64_eqz);
    f.if();
    f.localGet(1);
    f.return();
    f.end();
    f.localGet(0);
    f.i64Const(1);
    f.op(W.i64_sub);
    f.localGet(1);
    f.localGet(0);
    f.op(W.i64_mul);
    f.returnCall(fact);
    assert.equal(mb.addFunction(pair64, f.finish()), fact);

    // factIndirect: the same through return_call_indirect on table 1, slot 0 (itself).
    const fi = new Code(2);
    fi.localGet(0);
    fi.op(W.i64_eqz);
    fi.if(T.i64);
    fi.localGet(1);
    fi.else();
    fi.localGet(0);
    fi.i64Const(1);
    fi.op(W.i64_sub);
    fi.localGet(1);
    fi.localGet(0);
    fi.op(W.i64_mul);
    fi.i32Const(0);
    fi.returnCallIndirect(pair64, t1);
    fi.end();
    const factIndirect = mb.addFunction(pair64, fi.finish());

    // countdown(n, acc): a million tail calls deep, far beyond any call stack.
    const countdown = mb.functionCount;
    const cd = new Code(2);
    cd.localGet(0);
    cd.op(W.i64_eqz);
    cd.if();
    cd.localGet(1);
    cd.return();
    cd.end();
    cd.localGet(0);
    cd.i64Const(-1);
    cd.op(W.i64_add);
    cd.localGet(1);
    cd.i64Const(3);
    cd.op(W.i64_add);
    cd.returnCall(countdown);
    mb.addFunction(pair64, cd.finish());

    // dispatch(i, x) = table0[i](x)
    const d = new Code(2);
    d.localGet(1);
    d.localGet(0);
    d.callIndirect(unary, t0);
    const dispatch = mb.addFunction(mb.type([T.i32, T.i32], [T.i32]), d.finish());

    // setSlot(i): table0[i] = ref.func triple; returns ref.is_null(table0[i + 1])
    const s = new Code(1);
    s.localGet(0);
    s.refFunc(triple);
    s.tableSet(t0);
    s.localGet(0);
    s.i32Const(1);
    s.op(W.i32_add);
    s.tableGet(t0);
    s.refIsNull();
    const setSlot = mb.addFunction(unary, s.finish());

    // growBy(n) = table.grow t0 (null, n); returns the new table.size
    const g = new Code(1);
    g.refNull(T.funcref);
    g.localGet(0);
    g.tableGrow(t0);
    g.drop();
    g.tableSize(t0);
    const growBy = mb.addFunction(unary, g.finish());

    mb.addElements(t0, 1, [square, double, inc]);
    mb.addElements(t1, 0, [factIndirect]);
    mb.declareFunctions([triple]);
    for (const [name, index] of Object.entries({ fact, factIndirect, countdown, dispatch, setSlot, growBy })) {
      mb.exportFunction(name, index);
      mb.setFunctionName(index, name);
    }
    mb.exportTable("t0", t0);
    const wasm = mb.build();
    const ex = instantiate(wasm);

    assert.equal(fn(ex, "fact")(20n, 1n), 2432902008176640000n);
    assert.equal(fn(ex, "fact")(25n, 1n), BigInt.asIntN(64, 15511210043330985984000000n));
    assert.equal(fn(ex, "factIndirect")(20n, 1n), 2432902008176640000n);
    assert.equal(fn(ex, "countdown")(1_000_000n, 0n), 3_000_000n);
    assert.equal(fn(ex, "dispatch")(1, 7), 49);
    assert.equal(fn(ex, "dispatch")(2, 7), 14);
    assert.equal(fn(ex, "dispatch")(3, 7), 8);
    assert.throws(() => fn(ex, "dispatch")(0, 7), WebAssembly.RuntimeError, "null slot");
    assert.throws(() => fn(ex, "dispatch")(4, 7), WebAssembly.RuntimeError, "out of bounds");
    assert.equal(fn(ex, "setSlot")(0), 0, "slot 1 holds square");
    assert.equal(fn(ex, "dispatch")(0, 7), 21);
    const t = ex.t0 as WebAssembly.Table;
    assert.equal(t.length, 4);
    assert.equal((t.get(1) as Fn)(5), 25);
    assert.equal(fn(ex, "growBy")(2), 6);
    assert.equal(fn(ex, "setSlot")(4), 1, "grown slot 5 is null");
    if (!wabtSkipReason) {
      const text = toWat(wasm);
      assert.match(text, /return_call \$fact\)/);
      assert.match(text, /return_call_indirect \(type \$t1\)/);
      assert.match(text, /\(elem \$e0 \(i32\.const 1\) func \$f0 \$f1 \$f2\)/);
      assert.match(text, /\(elem \$e1 \(table \$T1\) \(i32\.const 0\) func \$factIndirect\)/);
      assert.match(text, /\(elem \$e2 declare func \$f3\)/);
    }
  });

  it("multi-value, i64 across the JS boundary, sign extension, br_table, loops, select", () => {
    const mb = new ModuleBuilder();
    // Push the type index of the multi-value block beyond one LEB byte.
    for (let n = 0; n < 130; n++) mb.type(Array(n % 9).fill(T.f32), Array(Math.floor(n / 9)).fill(T.f64));
    const pair = mb.type([T.i32, T.i32], [T.i32, T.i32]);
    assert.ok(pair > 127);

    // sumDiff(a, b) → (a + b, a − b) through a block that takes and returns two values.
    const sd = new Code(2);
    const x = sd.local(T.i32), y = sd.local(T.i32);
    sd.localGet(0);
    sd.localGet(1);
    sd.block(pair);
    sd.localSet(y);
    sd.localSet(x);
    sd.localGet(x);
    sd.localGet(y);
    sd.op(W.i32_add);
    sd.localGet(x);
    sd.localGet(y);
    sd.op(W.i32_sub);
    sd.end();
    const sumDiff = mb.addFunction(pair, sd.finish());

    // xorshift(x): x ^= x << 13; x ^= x >>> 7; x ^= x << 17
    const xs = new Code(1);
    for (const [shift, op] of [[13, W.i64_shl], [7, W.i64_shr_u], [17, W.i64_shl]]) {
      xs.localGet(0);
      xs.localGet(0);
      xs.i64Const(shift);
      xs.op(op);
      xs.op(W.i64_xor);
      xs.localSet(0);
    }
    xs.localGet(0);
    const xorshift = mb.addFunction(mb.type([T.i64], [T.i64]), xs.finish());

    // ext(x: i64) → (extend8_s(i32), extend16_s(i32), extend8_s, extend16_s, extend32_s) as 5 results.
    const e = new Code(1);
    e.localGet(0);
    e.op(W.i32_wrap_i64);
    e.op(W.i32_extend8_s);
    e.localGet(0);
    e.op(W.i32_wrap_i64);
    e.op(W.i32_extend16_s);
    for (const op of [W.i64_extend8_s, W.i64_extend16_s, W.i64_extend32_s]) {
      e.localGet(0);
      e.op(op);
    }
    const ext = mb.addFunction(mb.type([T.i64], [T.i32, T.i32, T.i64, T.i64, T.i64]), e.finish());

    // classify(i) = [10, 20, 30][i] ?? 99 by br_table.
    const cl = new Code(1);
    cl.block();
    cl.block();
    cl.block();
    cl.block();
    cl.localGet(0);
    cl.brTable([0, 1, 2], 3);
    cl.end();
    cl.i32Const(10);
    cl.return();
    cl.end();
    cl.i32Const(20);
    cl.return();
    cl.end();
    cl.i32Const(30);
    cl.return();
    cl.end();
    cl.i32Const(99);
    const classify = mb.addFunction(mb.type([T.i32], [T.i32]), cl.finish());

    // sum(n) = 1 + 2 + … + n in i64 by a loop with br_if.
    const su = new Code(1);
    const acc = su.local(T.i64);
    su.block();
    su.localGet(0);
    su.op(W.i64_eqz);
    su.brIf(0);
    su.loop();
    su.localGet(acc);
    su.localGet(0);
    su.op(W.i64_add);
    su.localSet(acc);
    su.localGet(0);
    su.i64Const(1);
    su.op(W.i64_sub);
    su.localTee(0);
    su.op(W.i64_eqz);
    su.op(W.i32_eqz);
    su.brIf(0);
    su.end();
    su.end();
    su.localGet(acc);
    const sum = mb.addFunction(mb.type([T.i64], [T.i64]), su.finish());

    // maxS(a, b) = signed max by select; maxU64 by typed select.
    const mx = new Code(2);
    mx.localGet(0);
    mx.localGet(1);
    mx.localGet(0);
    mx.localGet(1);
    mx.op(W.i32_gt_s);
    mx.select();
    const maxS = mb.addFunction(mb.type([T.i32, T.i32], [T.i32]), mx.finish());
    const mu = new Code(2);
    mu.localGet(0);
    mu.localGet(1);
    mu.localGet(0);
    mu.localGet(1);
    mu.op(W.i64_gt_u);
    mu.selectTyped(T.i64);
    const maxU64 = mb.addFunction(mb.type([T.i64, T.i64], [T.i64]), mu.finish());

    // sat(d) = i32.trunc_sat_f64_s d; consts() returns i64 constants of every encoding path.
    const sa = new Code(1);
    sa.localGet(0);
    sa.opFC(WFC.i32_trunc_sat_f64_s);
    const sat = mb.addFunction(mb.type([T.f64], [T.i32]), sa.finish());
    const constValues = [2n ** 63n, 2n ** 64n - 1n, -123456789012345, 0x7fffffff, 2n ** 40n, -5n];
    const k = new Code();
    for (const v of constValues) k.i64Const(v);
    const consts = mb.addFunction(mb.type([], constValues.map(() => T.i64)), k.finish());

    // rot(x, n) = rotl(x, n) ^ rotr(x, n) on i64, and a 32-bit popcnt/clz mix.
    const r = new Code(2);
    r.localGet(0);
    r.localGet(1);
    r.op(W.i64_rotl);
    r.localGet(0);
    r.localGet(1);
    r.op(W.i64_rotr);
    r.op(W.i64_xor);
    const rot = mb.addFunction(mb.type([T.i64, T.i64], [T.i64]), r.finish());

    for (const [name, i] of Object.entries({ sumDiff, xorshift, ext, classify, sum, maxS, maxU64, sat, consts, rot })) {
      mb.exportFunction(name, i);
    }
    const ex = instantiate(mb.build());

    assert.deepEqual(fn(ex, "sumDiff")(7, 10), [17, -3]);
    assert.deepEqual(fn(ex, "sumDiff")(0x7fffffff, -1), [0x7ffffffe, -0x80000000]);

    let s = 0x0123456789abcdefn;
    const step = (v: bigint) => {
      v ^= BigInt.asUintN(64, v << 13n);
      v ^= v >> 7n;
      v ^= BigInt.asUintN(64, v << 17n);
      return v;
    };
    let w = s;
    for (let i = 0; i < 1000; i++) {
      s = step(s);
      w = fn(ex, "xorshift")(w);
      assert.equal(w, BigInt.asIntN(64, s), `step ${i}`);
    }
    assert.equal(fn(ex, "xorshift")(2n ** 64n - 1n), BigInt.asIntN(64, step(2n ** 64n - 1n)), "u64 input wraps");

    assert.deepEqual(fn(ex, "ext")(0x80n), [-128, 128, -128n, 128n, 128n]);
    assert.deepEqual(fn(ex, "ext")(0x1234_8000_8080n), [-128, -32640, -128n, -32640n, -2147450752n]);
    assert.deepEqual(fn(ex, "ext")(0x7f7fn), [127, 0x7f7f, 127n, 0x7f7fn, 0x7f7fn]);

    assert.deepEqual([0, 1, 2, 3, -1, 1000].map((i) => fn(ex, "classify")(i)), [10, 20, 30, 99, 99, 99]);
    assert.equal(fn(ex, "sum")(0n), 0n);
    assert.equal(fn(ex, "sum")(100_000n), 5_000_050_000n);
    assert.equal(fn(ex, "maxS")(-5, 3), 3);
    assert.equal(fn(ex, "maxS")(-5, -9), -5);
    assert.equal(fn(ex, "maxU64")(-1n, 5n), -1n, "2^64 − 1 is the larger unsigned");
    assert.equal(fn(ex, "maxU64")(7n, 5n), 7n);
    assert.equal(fn(ex, "sat")(1e20), 0x7fffffff);
    assert.equal(fn(ex, "sat")(-1e20), -0x80000000);
    assert.equal(fn(ex, "sat")(NaN), 0);
    assert.deepEqual(fn(ex, "consts")(), constValues.map((v) => BigInt.asIntN(64, BigInt(v))));
    const rotRef = (v: bigint, n: bigint) => {
      const u = BigInt.asUintN(64, v), m = n & 63n;
      const l = BigInt.asUintN(64, (u << m) | (u >> ((64n - m) & 63n)));
      const rr = BigInt.asUintN(64, (u >> m) | (u << ((64n - m) & 63n)));
      return BigInt.asIntN(64, l ^ rr);
    };
    for (const [v, n] of [[0x8000000000000001n, 1n], [0x0123456789abcdefn, 12n], [-2n, 63n], [5n, 64n + 3n]]) {
      assert.equal(fn(ex, "rot")(v, n), rotRef(v, n), `rot ${v} ${n}`);
    }
  });

  it("passive data and elements: memory.init, data.drop, table.init, elem.drop", () => {
    const mb = new ModuleBuilder();
    const unary = mb.type([T.i32], [T.i32]);
    mb.addMemory(1, 1);
    mb.addTable(T.funcref, 2);
    const one = new Code(1);
    one.i32Const(1);
    const neg = new Code(1);
    neg.i32Const(0);
    neg.localGet(0);
    neg.op(W.i32_sub);
    const fOne = mb.addFunction(unary, one.finish());
    const fNeg = mb.addFunction(unary, neg.finish());
    mb.addData(0, bytes(9, 9));
    const passive = mb.addPassiveData(new TextEncoder().encode("hello, wasm"));
    const elems = mb.addPassiveElements([fNeg, fOne]);

    // init(dst) copies "wasm" (bytes 7..10 of the passive segment) to dst, then drops it.
    const i = new Code(1);
    i.localGet(0);
    i.i32Const(7);
    i.i32Const(4);
    i.memoryInit(passive);
    i.dataDrop(passive);
    i.i32Const(0);
    const init = mb.addFunction(unary, i.finish());

    // call(x): table.init slots 0..1 from the passive elements, drop them, call slot 0 and 1.
    const c = new Code(1);
    c.i32Const(0);
    c.i32Const(0);
    c.i32Const(2);
    c.tableInit(elems, 0);
    c.elemDrop(elems);
    c.localGet(0);
    c.i32Const(0);
    c.callIndirect(unary);
    c.localGet(0);
    c.i32Const(1);
    c.callIndirect(unary);
    c.op(W.i32_add);
    const call = mb.addFunction(unary, c.finish());

    mb.exportFunction("init", init);
    mb.exportFunction("call", call);
    mb.exportMemory("memory");
    const ex = instantiate(mb.build());
    const view = new Uint8Array((ex.memory as WebAssembly.Memory).buffer);
    assert.deepEqual([...view.subarray(0, 2)], [9, 9]);
    fn(ex, "init")(100);
    assert.equal(new TextDecoder().decode(view.subarray(100, 104)), "wasm");
    assert.throws(() => fn(ex, "init")(200), WebAssembly.RuntimeError, "the segment was dropped");
    assert.equal(fn(ex, "call")(5), -5 + 1);
    assert.throws(() => fn(ex, "call")(5), WebAssembly.RuntimeError, "the element segment was dropped");
  });

  it("a 150k-instruction function builds and compiles", () => {
    const mb = new ModuleBuilder();
    const g = mb.addGlobal(T.i64, true, 0);
    mb.exportGlobal("gas", g);
    const c = new Code(1);
    const regs = c.locals(T.i64, 13);
    for (let n = 0; n < 150_000; n++) {
      const d = regs + (n % 13), a = regs + ((n * 7) % 13);
      c.globalGet(g);
      c.i64Const(1);
      c.op(W.i64_sub);
      c.globalSet(g);
      c.localGet(a);
      c.i64Const(n * 0x10001);
      c.op(W.i64_add);
      c.localSet(d);
    }
    c.localGet(regs + 3);
    const f = mb.addFunction(mb.type([T.i32], [T.i64]), c.finish());
    mb.exportFunction("run", f);
    const wasm = mb.build();
    assert.ok(wasm.length > 2_000_000, String(wasm.length));
    const ex = new WebAssembly.Instance(compile(wasm)).exports;
    const r = (ex.run as Fn)(0);
    assert.equal(typeof r, "bigint");
    assert.equal((ex.gas as WebAssembly.Global).value, -150_000n);
  });
});
