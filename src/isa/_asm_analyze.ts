/**
 * The disassembler's analysis of a code section: splits it into units (an opcode byte
 * and the argument bytes up to the next bitmask bit), decides for each whether the
 * assembler's canonical encoding reproduces it (and with which explicit widths), picks
 * the branch targets and jump-table entries that get labels, and runs the assembler's
 * branch relaxation to find offsets whose width must be printed to keep the layout.
 *
 * @module
 */
import type { ProgramBlob } from "../program/blob.ts";
import { decodeInstruction, skipTable } from "./decode.ts";
import type { IsaProfile, OpcodeInfo } from "./opcodes.ts";
import { decodedWidths, encode, type Fields, hasTarget, OPERAND_ROLES, signedWidth } from "./_asm_encode.ts";
import { type Branch, relax } from "./_asm_layout.ts";

/** One opcode position and the argument bytes after it, up to the next opcode position. */
export interface Unit {
  /** Code offset of the opcode byte. */
  readonly start: number;
  /** Code offset of the next opcode position (or the code length). */
  readonly end: number;
  /** The instruction; undefined for an undefined opcode. */
  readonly info: OpcodeInfo | undefined;
  /** Decoded operands and the widths the original bytes use. */
  readonly fields: Fields | undefined;
  /** Absolute branch target, for classes with an offset. */
  readonly target: number | undefined;
  /** True if the unit must be printed as `.raw` bytes. */
  readonly raw: boolean;
  /** Bytes the printed instruction produces; the rest of the unit is printed as `.byte`. */
  readonly encodedLength: number;
  /** True if decoding reads operand bytes past the unit (so it is printed raw). */
  readonly overrun: boolean;
  /** Which widths must be printed explicitly. */
  explicitX: boolean;
  explicitY: boolean;
  explicitTarget: boolean;
}

/** The analysed code section. */
export interface CodeListing {
  /** Bytes before the first opcode position. */
  readonly leading: number;
  readonly units: Unit[];
  /** `isLabel[pos]` is 1 if a label is printed at code offset `pos` (0 … code length). */
  readonly isLabel: Uint8Array;
  /** Jump-table entries as code offsets. */
  readonly entries: bigint[];
  /** Code offset → the jump-table indices that point at it. */
  readonly entryIndices: Map<number, number[]>;
}

/**
 * Analyse the code of a blob, decoding opcodes with `profile`.
 *
 * @example
 * ```ts
 * import { analyzeCode } from "./_asm_analyze.ts";
 * import { ISA_V072 } from "./opcodes.ts";
 * import { parseBlob } from "../program/blob.ts";
 * // load_imm r0, 0xffff0000 stored in 4 bytes (3 would do), then trap
 * const blob = parseBlob(new Uint8Array([0, 0, 7, 51, 0, 0, 0, 0xff, 0xff, 0, 0b1000001]));
 * const { units } = analyzeCode(blob, ISA_V072);
 * console.log(units.map((u) => [u.info?.name, u.raw, u.explicitX])); // [ [ "load_imm", false, true ], [ "trap", false, false ] ]
 * ```
 */
export function analyzeCode(blob: ProgramBlob, profile: IsaProfile): CodeListing {
  const { code, bitmask } = blob;
  const n = code.length;
  const skips = skipTable(bitmask, n);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) if ((bitmask[i >> 3] >> (i & 7)) & 1) starts.push(i);
  const unitAt = new Int32Array(n + 1).fill(-1);
  starts.forEach((s, u) => (unitAt[s] = u));
  const units = starts.map((start, u) => analyzeUnit(code, skips, bitmask, start, starts[u + 1] ?? n, profile));

  const isLabel = new Uint8Array(n + 1);
  const labelable = (t: number) => t >= 0 && t <= n && (t === n || unitAt[t] >= 0);
  for (const unit of units) {
    if (unit.target !== undefined && !unit.raw && labelable(unit.target)) isLabel[unit.target] = 1;
  }
  const entries = readEntries(blob);
  const entryIndices = new Map<number, number[]>();
  entries.forEach((e, i) => {
    if (e > BigInt(n) || !labelable(Number(e))) return;
    isLabel[Number(e)] = 1;
    const list = entryIndices.get(Number(e));
    if (list) list.push(i);
    else entryIndices.set(Number(e), [i]);
  });

  const leading = starts[0] ?? n;
  pinWidths(units, unitAt, isLabel, leading, n);
  return { leading, units, isLabel, entries, entryIndices };
}

function readEntries(blob: ProgramBlob): bigint[] {
  const { count, entrySize, bytes } = blob.jumpTable;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    let v = 0n;
    for (let k = entrySize - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[i * entrySize + k]);
    out.push(v);
  }
  return out;
}

function analyzeUnit(
  code: Uint8Array,
  skips: Uint8Array,
  bitmask: Uint8Array,
  start: number,
  end: number,
  profile: IsaProfile,
): Unit {
  const d = decodeInstruction(code, skips, bitmask, start, profile);
  if (!d.valid) return new ListedUnit(start, end, undefined, undefined, undefined, 0);
  const info = d.info;
  const operands = info.operands;
  const w = decodedWidths(
    operands,
    d.length - 1,
    start + 1 < code.length ? code[start + 1] : 0,
    start + 2 < code.length ? code[start + 2] : 0,
  );
  const f: Fields = { ra: 0, rb: 0, rd: 0, x: 0, y: 0, x64: 0n, wx: w.wx, wy: w.wy, wt: w.wt };
  const roles = OPERAND_ROLES[operands];
  for (let k = 0; k < roles.length; k++) {
    switch (roles[k]) {
      case "ra":
        f.ra = d.ra;
        break;
      case "rb":
        f.rb = d.rb;
        break;
      case "rd":
        f.rd = d.rd;
        break;
      case "x":
        f.x = d.x;
        break;
      case "y":
        f.y = d.y;
        break;
      case "x64":
        f.x64 = BigInt.asUintN(64, (BigInt(d.xHi) << 32n) | BigInt(d.x >>> 0));
        break;
    }
  }
  const target = hasTarget(operands) ? d.target : undefined;
  const bytes = encode(info, f, (target ?? start) - start);
  let same = bytes.length <= end - start;
  for (let k = 0; same && k < bytes.length; k++) same = bytes[k] === code[start + k];
  const unit = new ListedUnit(start, end, info, f, target, same ? bytes.length : 0);
  unit.overrun = bytes.length > end - start;
  if (same) {
    unit.explicitX = f.wx !== signedWidth(f.x) && roles.includes("x");
    unit.explicitY = f.wy !== signedWidth(f.y) && roles.includes("y");
    unit.explicitTarget = target !== undefined && f.wt !== signedWidth(target - start);
  }
  return unit;
}

class ListedUnit implements Unit {
  explicitX = false;
  explicitY = false;
  explicitTarget = false;
  overrun = false;
  readonly raw: boolean;
  constructor(
    readonly start: number,
    readonly end: number,
    readonly info: OpcodeInfo | undefined,
    readonly fields: Fields | undefined,
    readonly target: number | undefined,
    readonly encodedLength: number,
  ) {
    this.raw = encodedLength === 0;
  }
}

/**
 * Run the assembler's relaxation over the listing as it would be printed, and give an
 * explicit width to every offset whose relaxed width differs from the original, until
 * the relaxed layout is the original one.
 */
function pinWidths(units: Unit[], unitAt: Int32Array, isLabel: Uint8Array, leading: number, n: number): void {
  const first = leading > 0 ? 1 : 0;
  const itemCount = units.length + first;
  const sizes = new Float64Array(itemCount);
  if (first) sizes[0] = leading;
  let open: { branch: Branch; unit: Unit }[] = [];
  units.forEach((unit, u) => {
    sizes[u + first] = unit.end - unit.start;
    if (unit.raw || unit.target === undefined || unit.explicitTarget) return;
    sizes[u + first] -= unit.fields!.wt;
    const t = unit.target;
    const labeled = t >= 0 && t <= n && isLabel[t] === 1;
    const target = !labeled ? t : t === n ? itemCount : unitAt[t] + first;
    open.push({ unit, branch: { item: u + first, target, targetIsItem: labeled, width: 0, pinned: false } });
  });
  for (;;) {
    relax(sizes, open.map((o) => o.branch));
    const wrong = open.filter((o) => o.branch.width !== o.unit.fields!.wt);
    if (wrong.length === 0) return;
    for (const { unit, branch } of wrong) {
      unit.explicitTarget = true;
      sizes[branch.item] += unit.fields!.wt;
    }
    open = open.filter((o) => !o.unit.explicitTarget);
  }
}
