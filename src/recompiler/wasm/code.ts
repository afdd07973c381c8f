/**
 * Builder for one WebAssembly function body: local declarations plus the instruction
 * stream, written straight into a growable byte buffer.
 *
 * @module
 */

import { ByteWriter } from "./encoder.ts";
import { isBlockTypeCode, PREFIX_FC, T as TYPES, W as OPS, WFC as OPS_FC } from "./opcodes.ts";

// Module-local copies: reads stay plain property loads under any module loader
// (some transpilers turn imported bindings into getter calls, which dominated emit time).
const W = { ...OPS };
const T = { ...TYPES };
const WFC = { ...OPS_FC };

const scratch = new DataView(new ArrayBuffer(8));

/**
 * One function body under construction. Parameters occupy local indices `0 … paramCount−1`;
 * `local(type)` declares the next local after them. Instructions are appended with `op`
 * plus raw immediates, or with the helpers (`localGet`, `i64Const`, `block`, `load`, …),
 * which write the opcode and its immediates together. Nothing is validated beyond the
 * range of the immediates: the engine (or wabt in tests) validates the finished module.
 *
 * `finish()` returns the body in the form the code section stores it (without the size
 * prefix): the grouped local declarations, the instructions, and the closing `end`, which
 * `finish()` appends itself — do not emit the function's final `end` yourself.
 *
 * @example
 * ```ts
 * import { Code } from "./code.ts";
 * import { T, W } from "./opcodes.ts";
 * // (func (param i32) (result i32) (local i64) local.get 0 i32.const 1 i32.add)
 * const c = new Code(1);
 * const tmp = c.local(T.i64);
 * c.localGet(0);
 * c.i32Const(1);
 * c.op(W.i32_add);
 * console.log(tmp, c.finish()); // 1 Uint8Array(9) [ 1, 1, 126, 32, 0, 65, 1, 106, 11 ]
 * ```
 */
export class Code {
  private readonly w: ByteWriter;
  private params: number;
  private readonly localTypes: number[] = [];

  /** Start a body for a function with `paramCount` parameters (default 0). */
  constructor(paramCount = 0, capacity = 1024) {
    this.params = paramCount;
    this.w = new ByteWriter(capacity);
  }

  /** Start over with an empty body for a function with `paramCount` parameters, keeping the buffer. */
  reset(paramCount = 0): void {
    this.params = paramCount;
    this.localTypes.length = 0;
    this.w.reset();
  }

  /** Number of parameters. */
  get paramCount(): number {
    return this.params;
  }

  /** Number of parameters plus declared locals (the next local's index). */
  get localCount(): number {
    return this.params + this.localTypes.length;
  }

  /** Bytes of instructions written so far (without the local declarations and final `end`). */
  get length(): number {
    return this.w.length;
  }

  /** Declare a new local of value type `type` (a `T` code); returns its local index. */
  local(type: number): number {
    if (type === T.void || !isBlockTypeCode(type)) throw new RangeError(`not a value type: ${type}`);
    this.localTypes.push(type);
    return this.params + this.localTypes.length - 1;
  }

  /** Declare `count` consecutive locals of `type`; returns the index of the first. */
  locals(type: number, count: number): number {
    if (type === T.void || !isBlockTypeCode(type)) throw new RangeError(`not a value type: ${type}`);
    const first = this.params + this.localTypes.length;
    for (let i = 0; i < count; i++) this.localTypes.push(type);
    return first;
  }

  // ---- raw output ----

  /** Append one opcode byte (a `W` value); its immediates follow via `u32`/`s32`/`s64`/`byte`. */
  op(byte: number): void {
    this.w.byte(byte);
  }

  /** Append a 0xFC-prefixed instruction's prefix and sub-opcode (a `WFC` value), without immediates. */
  opFC(sub: number): void {
    this.w.opU32(PREFIX_FC, sub);
  }

  /** Append a raw byte immediate. */
  byte(b: number): void {
    this.w.byte(b);
  }

  /** Append an unsigned LEB128 immediate (indices, depths, memarg fields). */
  u32(n: number): void {
    this.w.u32(n);
  }

  /** Append a signed LEB128 int32 immediate. */
  s32(n: number): void {
    this.w.s32(n);
  }

  /** Append a signed LEB128 int64 immediate. */
  s64(v: bigint | number): void {
    this.w.s64(v);
  }

  // ---- variables ----

  /** `local.get i`. */
  localGet(i: number): void {
    this.w.opU32(W.local_get, i);
  }

  /** `local.set i`. */
  localSet(i: number): void {
    this.w.opU32(W.local_set, i);
  }

  /** `local.tee i`. */
  localTee(i: number): void {
    this.w.opU32(W.local_tee, i);
  }

  /** `global.get i`. */
  globalGet(i: number): void {
    this.w.opU32(W.global_get, i);
  }

  /** `global.set i`. */
  globalSet(i: number): void {
    this.w.opU32(W.global_set, i);
  }

  // ---- constants ----

  /** `i32.const n`, `n` in [−2^31, 2^32) (values ≥ 2^31 as two's complement). */
  i32Const(n: number): void {
    this.w.opS32(W.i32_const, n);
  }

  /** `i64.const v`: a safe-integer number or a bigint in [−2^63, 2^64) (≥ 2^63 as two's complement). */
  i64Const(v: bigint | number): void {
    this.w.opS64(W.i64_const, v);
  }

  /**
   * `i64.const` of the value whose low and high 32-bit words are `lo` and `hi` (each taken
   * modulo 2^32): the split-register form, without building a BigInt.
   */
  i64ConstWords(lo: number, hi: number): void {
    this.w.byte(W.i64_const);
    this.w.s64Words(lo, hi);
  }

  /** `f32.const x` (rounded to single precision). */
  f32Const(x: number): void {
    this.w.byte(W.f32_const);
    scratch.setFloat32(0, x, true);
    for (let i = 0; i < 4; i++) this.w.byte(scratch.getUint8(i));
  }

  /** `f64.const x`. */
  f64Const(x: number): void {
    this.w.byte(W.f64_const);
    scratch.setFloat64(0, x, true);
    for (let i = 0; i < 8; i++) this.w.byte(scratch.getUint8(i));
  }

  // ---- control ----

  /** A block-opening opcode and its block type: a `T` code as one byte, or a type index (multi-value) as LEB128. */
  private open(op: number, type: number): void {
    if (isBlockTypeCode(type)) {
      this.w.byte(op);
      this.w.byte(type);
    } else if (Number.isInteger(type) && type >= 0 && type <= 0x7fffffff) {
      this.w.opS32(op, type);
    } else {
      throw new RangeError(`bad block type ${type}`);
    }
  }

  /**
   * `block type`: `type` is `T.void` (default), a value type (`T.i32`, …) for one result,
   * or a type index from `ModuleBuilder.type()` for block parameters / several results.
   */
  block(type: number = T.void): void {
    this.open(W.block, type);
  }

  /** `loop type` (block type as for `block`). */
  loop(type: number = T.void): void {
    this.open(W.loop, type);
  }

  /** `if type` (block type as for `block`). */
  if(type: number = T.void): void {
    this.open(W.if, type);
  }

  /** `else`. */
  else(): void {
    this.w.byte(W.else);
  }

  /** `end` of a `block`/`loop`/`if` (the function's own final `end` is added by `finish()`). */
  end(): void {
    this.w.byte(W.end);
  }

  /** `br depth` (0 = innermost enclosing label). */
  br(depth: number): void {
    this.w.opU32(W.br, depth);
  }

  /** `br_if depth`. */
  brIf(depth: number): void {
    this.w.opU32(W.br_if, depth);
  }

  /** `br_table depths… defaultDepth`. */
  brTable(depths: readonly number[], defaultDepth: number): void {
    const w = this.w;
    w.byte(W.br_table);
    w.u32(depths.length);
    for (let i = 0; i < depths.length; i++) w.u32(depths[i]);
    w.u32(defaultDepth);
  }

  /** `return`. */
  return(): void {
    this.w.byte(W.return);
  }

  /** `unreachable`. */
  unreachable(): void {
    this.w.byte(W.unreachable);
  }

  /** `nop`. */
  nop(): void {
    this.w.byte(W.nop);
  }

  /** `call funcIndex`. */
  call(funcIndex: number): void {
    this.w.opU32(W.call, funcIndex);
  }

  /** `call_indirect typeIndex tableIndex` (the callee's table slot index is on the stack). */
  callIndirect(typeIndex: number, tableIndex = 0): void {
    this.w.opU32U32(W.call_indirect, typeIndex, tableIndex);
  }

  /** `return_call funcIndex` (tail call). */
  returnCall(funcIndex: number): void {
    this.w.opU32(W.return_call, funcIndex);
  }

  /** `return_call_indirect typeIndex tableIndex` (tail call through a table). */
  returnCallIndirect(typeIndex: number, tableIndex = 0): void {
    this.w.opU32U32(W.return_call_indirect, typeIndex, tableIndex);
  }

  // ---- parametric ----

  /** `drop`. */
  drop(): void {
    this.w.byte(W.drop);
  }

  /** `select` (untyped: numeric operands). */
  select(): void {
    this.w.byte(W.select);
  }

  /** Typed `select` (0x1C) with one result type (needed for reference-typed operands). */
  selectTyped(type: number): void {
    this.w.byte(W.select_t);
    this.w.byte(1);
    this.w.byte(type);
  }

  // ---- memory ----

  /**
   * A load (`W.i32_load`, `W.i64_load8_u`, …) with its memarg: `alignLog2` (alignment hint,
   * log2 bytes, at most the access's natural alignment) then the constant `offset`.
   */
  load(opcode: number, offset = 0, alignLog2 = 0): void {
    this.w.opU32U32(opcode, alignLog2, offset);
  }

  /** A store (`W.i32_store`, `W.i64_store32`, …) with its memarg, as for `load`. */
  store(opcode: number, offset = 0, alignLog2 = 0): void {
    this.w.opU32U32(opcode, alignLog2, offset);
  }

  /** `memory.size` (memory 0). */
  memorySize(): void {
    this.w.byte(W.memory_size);
    this.w.byte(0);
  }

  /** `memory.grow` (memory 0). */
  memoryGrow(): void {
    this.w.byte(W.memory_grow);
    this.w.byte(0);
  }

  /** `memory.copy` within memory 0 (operands: destination, source, length). */
  memoryCopy(): void {
    this.opFC(WFC.memory_copy);
    this.w.byte(0);
    this.w.byte(0);
  }

  /** `memory.fill` of memory 0 (operands: destination, byte value, length). */
  memoryFill(): void {
    this.opFC(WFC.memory_fill);
    this.w.byte(0);
  }

  /** `memory.init dataIndex` into memory 0 (operands: destination, source offset, length). */
  memoryInit(dataIndex: number): void {
    this.opFC(WFC.memory_init);
    this.w.u32(dataIndex);
    this.w.byte(0);
  }

  /** `data.drop dataIndex`. */
  dataDrop(dataIndex: number): void {
    this.opFC(WFC.data_drop);
    this.w.u32(dataIndex);
  }

  // ---- references and tables ----

  /** `ref.null heapType` (`T.funcref` or `T.externref`). */
  refNull(heapType: number = T.funcref): void {
    this.w.byte(W.ref_null);
    this.w.byte(heapType);
  }

  /** `ref.is_null`. */
  refIsNull(): void {
    this.w.byte(W.ref_is_null);
  }

  /** `ref.func funcIndex` (the function must be declared: `ModuleBuilder.declareFunctions`, an element segment or an export). */
  refFunc(funcIndex: number): void {
    this.w.opU32(W.ref_func, funcIndex);
  }

  /** `table.get tableIndex`. */
  tableGet(tableIndex = 0): void {
    this.w.opU32(W.table_get, tableIndex);
  }

  /** `table.set tableIndex`. */
  tableSet(tableIndex = 0): void {
    this.w.opU32(W.table_set, tableIndex);
  }

  /** `table.size tableIndex`. */
  tableSize(tableIndex = 0): void {
    this.opFC(WFC.table_size);
    this.w.u32(tableIndex);
  }

  /** `table.grow tableIndex` (operands: initial value, delta; result: old size or −1). */
  tableGrow(tableIndex = 0): void {
    this.opFC(WFC.table_grow);
    this.w.u32(tableIndex);
  }

  /** `table.fill tableIndex` (operands: start, value, length). */
  tableFill(tableIndex = 0): void {
    this.opFC(WFC.table_fill);
    this.w.u32(tableIndex);
  }

  /** `table.copy dstTable srcTable` (operands: destination, source, length). */
  tableCopy(dstTable = 0, srcTable = 0): void {
    this.opFC(WFC.table_copy);
    this.w.u32(dstTable);
    this.w.u32(srcTable);
  }

  /** `table.init elemIndex tableIndex` (operands: destination, source offset, length). */
  tableInit(elemIndex: number, tableIndex = 0): void {
    this.opFC(WFC.table_init);
    this.w.u32(elemIndex);
    this.w.u32(tableIndex);
  }

  /** `elem.drop elemIndex`. */
  elemDrop(elemIndex: number): void {
    this.opFC(WFC.elem_drop);
    this.w.u32(elemIndex);
  }

  // ---- output ----

  /**
   * The finished body as the code section stores it (without its size prefix): the local
   * declarations, grouped into runs of consecutive locals of the same type, then the
   * instructions, then the function's final `end` (appended here, not by the caller).
   * Does not change the builder, so more code may follow and `finish()` be called again.
   */
  finish(): Uint8Array<ArrayBuffer> {
    const types = this.localTypes;
    const head = new ByteWriter(16);
    let groups = 0;
    for (let i = 0; i < types.length;) {
      let j = i + 1;
      while (j < types.length && types[j] === types[i]) j++;
      groups++;
      i = j;
    }
    head.u32(groups);
    for (let i = 0; i < types.length;) {
      let j = i + 1;
      while (j < types.length && types[j] === types[i]) j++;
      head.u32(j - i);
      head.byte(types[i]);
      i = j;
    }
    const body = this.w.view();
    const out = new Uint8Array(head.length + body.length + 1);
    out.set(head.view(), 0);
    out.set(body, head.length);
    out[out.length - 1] = W.end;
    return out;
  }
}
