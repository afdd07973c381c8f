/**
 * Builder for a whole WebAssembly module: types, imports, functions, tables, memory,
 * globals, exports, start function, element and data segments, assembled by `build()`
 * into the binary format with its sections in the order the spec requires.
 *
 * @module
 */

import { ByteWriter, sizeU32 } from "./encoder.ts";
import { isBlockTypeCode, T, W } from "./opcodes.ts";

/** External kinds, as written in imports and exports. */
const KIND_FUNC = 0, KIND_TABLE = 1, KIND_MEMORY = 2, KIND_GLOBAL = 3;

/** Section ids. */
const SEC = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  datacount: 12,
} as const;

interface Limits {
  min: number;
  max?: number;
}
interface TableDef extends Limits {
  elemType: number;
}
interface GlobalDef {
  type: number;
  mutable: boolean;
  init: bigint | number;
}
type ImportDesc =
  | { kind: typeof KIND_FUNC; typeIndex: number }
  | { kind: typeof KIND_TABLE; table: TableDef }
  | { kind: typeof KIND_MEMORY; limits: Limits }
  | { kind: typeof KIND_GLOBAL; type: number; mutable: boolean };
interface ImportDef {
  module: string;
  name: string;
  desc: ImportDesc;
}
type ElementDef =
  | { mode: "active"; table: number; offset: number; funcs: readonly number[] }
  | { mode: "passive" | "declarative"; funcs: readonly number[] };
type DataDef = { offset: number; bytes: Uint8Array } | { offset: null; bytes: Uint8Array };

const VALUE_TYPES: ReadonlySet<number> = new Set([T.i32, T.i64, T.f32, T.f64, T.v128, T.funcref, T.externref]);
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Collects the parts of a module and writes them out with `build()`. Indices follow the
 * spec's index spaces: imported functions (globals, tables) come first, so all imports of a
 * kind must be declared before the first definition of that kind.
 *
 * Type indices returned by `type()` never coincide with a single-byte block type code
 * (64, 111, 112, 123–127): when the type section reaches one of those indices a filler
 * `[] → []` type is put there instead. A type index can therefore be passed to
 * `Code.block/loop/if` directly, unambiguously.
 *
 * @example
 * ```ts
 * import { Code, ModuleBuilder, T, W } from "./mod.ts";
 * const mb = new ModuleBuilder();
 * const add = new Code(2);
 * add.localGet(0);
 * add.localGet(1);
 * add.op(W.i64_add);
 * const f = mb.addFunction(mb.type([T.i64, T.i64], [T.i64]), add.finish());
 * mb.exportFunction("add", f);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mb.build()));
 * console.log((exports.add as (a: bigint, b: bigint) => bigint)(2n ** 63n - 1n, 1n)); // -9223372036854775808n
 * ```
 */
export class ModuleBuilder {
  private readonly types: { params: readonly number[]; results: readonly number[] }[] = [];
  private readonly typeIndex = new Map<string, number>();
  private readonly imports: ImportDef[] = [];
  private funcImports = 0;
  private tableImports = 0;
  private globalImports = 0;
  private memoryImported = false;
  private readonly functions: { typeIndex: number; body: Uint8Array }[] = [];
  private readonly tables: TableDef[] = [];
  private memory: Limits | undefined;
  private readonly globals: GlobalDef[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];
  private readonly exportNames = new Set<string>();
  private start: number | undefined;
  private readonly elements: ElementDef[] = [];
  private readonly data: DataDef[] = [];
  private readonly functionNames = new Map<number, string>();

  // ---- types ----

  /**
   * Index of the function type `params → results` (value type codes from `T`), adding it
   * on first use. Equal signatures share one index.
   */
  type(params: readonly number[], results: readonly number[]): number {
    for (const t of params) checkValueType(t);
    for (const t of results) checkValueType(t);
    const key = params.join(",") + ">" + results.join(",");
    const known = this.typeIndex.get(key);
    if (known !== undefined) return known;
    // Fillers are never handed out (not even for `[] → []`): their indices are the ambiguous ones.
    while (isBlockTypeCode(this.types.length)) this.types.push({ params: [], results: [] });
    const index = this.types.length;
    this.types.push({ params: params.slice(), results: results.slice() });
    this.typeIndex.set(key, index);
    return index;
  }

  /** Number of entries in the type section so far (including fillers). */
  get typeCount(): number {
    return this.types.length;
  }

  /** Number of functions so far, imported and defined: the index the next `addFunction` returns. */
  get functionCount(): number {
    return this.funcImports + this.functions.length;
  }

  // ---- imports ----

  /** Import a function of type `typeIndex`; returns its function index. Call before any `addFunction`. */
  importFunction(module: string, name: string, typeIndex: number): number {
    if (this.functions.length > 0) throw new Error("importFunction after addFunction");
    this.checkType(typeIndex);
    this.imports.push({ module, name, desc: { kind: KIND_FUNC, typeIndex } });
    return this.funcImports++;
  }

  /** Import the (only) memory, memory 0, with limits in 64 KiB pages. */
  importMemory(module: string, name: string, minPages: number, maxPages?: number): void {
    if (this.memoryImported || this.memory) throw new Error("the module already has a memory");
    this.memoryImported = true;
    this.imports.push({ module, name, desc: { kind: KIND_MEMORY, limits: limits(minPages, maxPages) } });
  }

  /** Import a global of value type `type`; returns its global index. Call before any `addGlobal`. */
  importGlobal(module: string, name: string, type: number, mutable: boolean): number {
    if (this.globals.length > 0) throw new Error("importGlobal after addGlobal");
    checkValueType(type);
    this.imports.push({ module, name, desc: { kind: KIND_GLOBAL, type, mutable } });
    return this.globalImports++;
  }

  /** Import a table of `elemType` (`T.funcref` or `T.externref`); returns its table index. Call before any `addTable`. */
  importTable(module: string, name: string, elemType: number, min: number, max?: number): number {
    if (this.tables.length > 0) throw new Error("importTable after addTable");
    checkRefType(elemType);
    this.imports.push({ module, name, desc: { kind: KIND_TABLE, table: { elemType, ...limits(min, max) } } });
    return this.tableImports++;
  }

  // ---- definitions ----

  /** Define a function of type `typeIndex` with a body from `Code.finish()`; returns its function index. */
  addFunction(typeIndex: number, body: Uint8Array): number {
    this.checkType(typeIndex);
    this.functions.push({ typeIndex, body });
    return this.funcImports + this.functions.length - 1;
  }

  /** Define a table of `elemType` with `min` (and optionally `max`) entries; returns its table index. */
  addTable(elemType: number = T.funcref, min: number, max?: number): number {
    checkRefType(elemType);
    this.tables.push({ elemType, ...limits(min, max) });
    return this.tableImports + this.tables.length - 1;
  }

  /** Define the (only) memory, memory 0, with limits in 64 KiB pages. */
  addMemory(minPages: number, maxPages?: number): void {
    if (this.memoryImported || this.memory) throw new Error("the module already has a memory");
    this.memory = limits(minPages, maxPages);
  }

  /**
   * Define a global with a constant initial value; returns its global index. `init` is an
   * integer for `T.i32` (bigint or number) and `T.i64` (as for `Code.i64Const`), a number
   * for `T.f32`/`T.f64`; reference-typed globals always start as `ref.null`.
   */
  addGlobal(type: number, mutable: boolean, init: bigint | number): number {
    checkValueType(type);
    if (type === T.v128) throw new Error("v128 globals are not supported");
    this.globals.push({ type, mutable, init });
    return this.globalImports + this.globals.length - 1;
  }

  // ---- exports and start ----

  /** Export function `index` as `name`. */
  exportFunction(name: string, index: number): void {
    this.addExport(name, KIND_FUNC, index);
  }

  /** Export global `index` as `name`. */
  exportGlobal(name: string, index: number): void {
    this.addExport(name, KIND_GLOBAL, index);
  }

  /** Export memory `index` (always 0) as `name`. */
  exportMemory(name: string, index = 0): void {
    this.addExport(name, KIND_MEMORY, index);
  }

  /** Export table `index` as `name`. */
  exportTable(name: string, index: number): void {
    this.addExport(name, KIND_TABLE, index);
  }

  /** Record an export, refusing duplicate names. */
  private addExport(name: string, kind: number, index: number): void {
    if (this.exportNames.has(name)) throw new Error(`duplicate export name ${JSON.stringify(name)}`);
    this.exportNames.add(name);
    this.exports.push({ name, kind, index });
  }

  /** Run function `funcIndex` (type `[] → []`) when the module is instantiated. */
  setStart(funcIndex: number): void {
    this.start = funcIndex;
  }

  /** Name function `index` in the custom "name" section (shown by disassemblers and stack traces). */
  setFunctionName(index: number, name: string): void {
    this.functionNames.set(index, name);
  }

  // ---- segments ----

  /** Active element segment: put `funcIndices` into funcref table `tableIndex` from slot `offset`. Returns the segment index. */
  addElements(tableIndex: number, offset: number, funcIndices: readonly number[]): number {
    this.elements.push({ mode: "active", table: tableIndex, offset, funcs: funcIndices.slice() });
    return this.elements.length - 1;
  }

  /** Passive element segment (for `table.init`). Returns the segment index. */
  addPassiveElements(funcIndices: readonly number[]): number {
    this.elements.push({ mode: "passive", funcs: funcIndices.slice() });
    return this.elements.length - 1;
  }

  /** Declarative element segment: lets code use `ref.func` on `funcIndices`. Returns the segment index. */
  declareFunctions(funcIndices: readonly number[]): number {
    this.elements.push({ mode: "declarative", funcs: funcIndices.slice() });
    return this.elements.length - 1;
  }

  /** Active data segment: copy `bytes` into memory 0 at `offset` on instantiation. Returns the data index. */
  addData(offset: number, bytes: Uint8Array): number {
    if (!Number.isInteger(offset) || offset < 0 || offset >= 2 ** 32) throw new RangeError(`bad data offset ${offset}`);
    this.data.push({ offset, bytes });
    return this.data.length - 1;
  }

  /** Passive data segment (for `memory.init`). Returns the data index. */
  addPassiveData(bytes: Uint8Array): number {
    this.data.push({ offset: null, bytes });
    return this.data.length - 1;
  }

  // ---- output ----

  /**
   * The complete module: header and the sections in spec order (type, import, function,
   * table, memory, global, export, start, element, data count, code, data, then the custom
   * "name" section if any function was named). Empty sections are left out; the data count
   * section is written whenever there are data segments, so `memory.init`/`data.drop` validate.
   */
  build(): Uint8Array<ArrayBuffer> {
    this.checkIndices();
    const codeSize = this.functions.reduce((n, f) => n + sizeU32(f.body.length) + f.body.length, 0);
    const out = new ByteWriter(codeSize + 4096);
    const s = new ByteWriter(1024);
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number) => {
      if (s.length === 0) return;
      out.byte(id);
      out.u32(s.length);
      out.bytes(s.view());
      s.reset();
    };

    if (this.types.length > 0) {
      s.u32(this.types.length);
      for (const t of this.types) {
        s.byte(0x60);
        s.u32(t.params.length);
        s.bytes(t.params);
        s.u32(t.results.length);
        s.bytes(t.results);
      }
    }
    section(SEC.type);

    if (this.imports.length > 0) {
      s.u32(this.imports.length);
      for (const im of this.imports) {
        s.name(im.module);
        s.name(im.name);
        const d = im.desc;
        s.byte(d.kind);
        if (d.kind === KIND_FUNC) s.u32(d.typeIndex);
        else if (d.kind === KIND_TABLE) writeTable(s, d.table);
        else if (d.kind === KIND_MEMORY) writeLimits(s, d.limits);
        else {
          s.byte(d.type);
          s.byte(d.mutable ? 1 : 0);
        }
      }
    }
    section(SEC.import);

    if (this.functions.length > 0) {
      s.u32(this.functions.length);
      for (const f of this.functions) s.u32(f.typeIndex);
    }
    section(SEC.function);

    if (this.tables.length > 0) {
      s.u32(this.tables.length);
      for (const t of this.tables) writeTable(s, t);
    }
    section(SEC.table);

    if (this.memory) {
      s.u32(1);
      writeLimits(s, this.memory);
    }
    section(SEC.memory);

    if (this.globals.length > 0) {
      s.u32(this.globals.length);
      for (const g of this.globals) {
        s.byte(g.type);
        s.byte(g.mutable ? 1 : 0);
        writeConstant(s, g.type, g.init);
        s.byte(W.end);
      }
    }
    section(SEC.global);

    if (this.exports.length > 0) {
      s.u32(this.exports.length);
      for (const e of this.exports) {
        s.name(e.name);
        s.byte(e.kind);
        s.u32(e.index);
      }
    }
    section(SEC.export);

    if (this.start !== undefined) s.u32(this.start);
    section(SEC.start);

    if (this.elements.length > 0) {
      s.u32(this.elements.length);
      for (const e of this.elements) writeElement(s, e);
    }
    section(SEC.element);

    if (this.data.length > 0) s.u32(this.data.length);
    section(SEC.datacount);

    if (this.functions.length > 0) {
      out.byte(SEC.code);
      out.u32(sizeU32(this.functions.length) + codeSize);
      out.u32(this.functions.length);
      for (const f of this.functions) {
        out.u32(f.body.length);
        out.bytes(f.body);
      }
    }

    if (this.data.length > 0) {
      s.u32(this.data.length);
      for (const d of this.data) {
        if (d.offset === null) {
          s.byte(1);
        } else {
          s.byte(0);
          s.byte(W.i32_const);
          s.s32(d.offset);
          s.byte(W.end);
        }
        s.u32(d.bytes.length);
        s.bytes(d.bytes);
      }
    }
    section(SEC.data);

    if (this.functionNames.size > 0) {
      s.name("name");
      const sub = new ByteWriter(256);
      const named = [...this.functionNames].sort((a, b) => a[0] - b[0]);
      sub.u32(named.length);
      for (const [index, name] of named) {
        sub.u32(index);
        sub.name(name);
      }
      s.byte(1); // function names subsection
      s.u32(sub.length);
      s.bytes(sub.view());
    }
    section(SEC.custom);

    return out.finish();
  }

  /** Throw unless `typeIndex` names a type already in the type section. */
  private checkType(typeIndex: number): void {
    if (!(Number.isInteger(typeIndex) && typeIndex >= 0 && typeIndex < this.types.length)) {
      throw new RangeError(`unknown type index ${typeIndex}`);
    }
  }

  /** Catch dangling indices with a readable message before the engine reports them. */
  private checkIndices(): void {
    const funcs = this.funcImports + this.functions.length;
    const tables = this.tableImports + this.tables.length;
    const globals = this.globalImports + this.globals.length;
    const memories = this.memoryImported || this.memory ? 1 : 0;
    const inRange = (what: string, index: number, count: number) => {
      if (!(Number.isInteger(index) && index >= 0 && index < count)) {
        throw new RangeError(`${what} index ${index} out of range (${count} defined)`);
      }
    };
    const counts = [funcs, tables, memories, globals];
    const kinds = ["function", "table", "memory", "global"];
    for (const e of this.exports) inRange(`exported ${kinds[e.kind]}`, e.index, counts[e.kind]);
    if (this.start !== undefined) inRange("start function", this.start, funcs);
    for (const e of this.elements) {
      if (e.mode === "active") inRange("element table", e.table, tables);
      for (const f of e.funcs) inRange("element function", f, funcs);
    }
    if (this.data.some((d) => d.offset !== null) && memories === 0) throw new Error("data segment without a memory");
  }
}

function checkValueType(t: number): void {
  if (!VALUE_TYPES.has(t)) throw new RangeError(`not a value type: 0x${t.toString(16)}`);
}

function checkRefType(t: number): void {
  if (t !== T.funcref && t !== T.externref) throw new RangeError(`not a reference type: 0x${t.toString(16)}`);
}

function limits(min: number, max?: number): Limits {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n < 2 ** 32;
  if (!ok(min) || (max !== undefined && (!ok(max) || max < min))) throw new RangeError(`bad limits ${min}..${max}`);
  return max === undefined ? { min } : { min, max };
}

function writeLimits(s: ByteWriter, l: Limits): void {
  if (l.max === undefined) {
    s.byte(0);
    s.u32(l.min);
  } else {
    s.byte(1);
    s.u32(l.min);
    s.u32(l.max);
  }
}

function writeTable(s: ByteWriter, t: TableDef): void {
  s.byte(t.elemType);
  writeLimits(s, t);
}

/** A constant expression's instruction (without the closing `end`) for a global of `type`. */
function writeConstant(s: ByteWriter, type: number, init: bigint | number): void {
  switch (type) {
    case T.i32:
      s.byte(W.i32_const);
      s.s32(typeof init === "bigint" ? Number(BigInt.asIntN(32, init)) : init);
      return;
    case T.i64:
      s.byte(W.i64_const);
      s.s64(init);
      return;
    case T.f32:
      s.byte(W.f32_const);
      scratch.setFloat32(0, Number(init), true);
      for (let i = 0; i < 4; i++) s.byte(scratch.getUint8(i));
      return;
    case T.f64:
      s.byte(W.f64_const);
      scratch.setFloat64(0, Number(init), true);
      for (let i = 0; i < 8; i++) s.byte(scratch.getUint8(i));
      return;
    default: // reference types
      s.byte(W.ref_null);
      s.byte(type);
  }
}

function writeElement(s: ByteWriter, e: ElementDef): void {
  if (e.mode === "active") {
    if (e.table === 0) {
      s.byte(0); // active, table 0, funcref, function indices
    } else {
      s.byte(2); // active, explicit table, element kind, function indices
      s.u32(e.table);
    }
    s.byte(W.i32_const);
    s.s32(e.offset);
    s.byte(W.end);
    if (e.table !== 0) s.byte(0); // element kind: funcref
  } else {
    s.byte(e.mode === "passive" ? 1 : 3);
    s.byte(0); // element kind: funcref
  }
  s.u32(e.funcs.length);
  for (const f of e.funcs) s.u32(f);
}
