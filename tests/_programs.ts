/**
 * Test helpers: hand-encoding of PVM instructions and program containers, written
 * directly from the spec (§3 generic blob, §5 operand classes, §12 standard program) and
 * independent of pvmkit's own encoders, so tests do not check the code against itself.
 *
 * @example
 * ```ts
 * import { asm, I } from "./_programs.ts";
 * const p = asm(I.loadImm(7, 42), I.trap());
 * console.log(p.pcs, p.bytes); // [ 0, 3 ] Uint8Array [ 0, 0, 4, 51, 7, 42, 0, 9 ]
 * ```
 */

/** One encoded instruction: its bytes (the first is the opcode). */
export type Ins = readonly number[];

/** GP general natural encoding (spec §3), for values below 2^56. */
export function varint(x: number): number[] {
  if (x < 0 || !Number.isSafeInteger(x)) throw new RangeError(`varint ${x}`);
  let l = 0;
  while (l < 7 && x >= 2 ** (7 * (l + 1))) l++;
  if (l === 7 && x >= 2 ** 56) throw new RangeError("varint too large for this helper");
  const high = Math.floor(x / 2 ** (8 * l));
  const out = [((0xff << (8 - l)) & 0xff) | high];
  for (let i = 0; i < l; i++) out.push(Math.floor(x / 2 ** (8 * i)) & 0xff);
  return out;
}

/** `n` little-endian bytes of `value` (a number or bigint, taken mod 2^(8n)). */
export function le(value: number | bigint, n: number): number[] {
  let v = BigInt.asUintN(8 * n, BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < n; i++, v >>= 8n) out.push(Number(v & 0xffn));
  return out;
}

/** The shortest little-endian encoding of a signed immediate that sign-extends back to it (0..4 bytes). */
export function imm(value: number | bigint): number[] {
  const v = BigInt.asIntN(64, BigInt(value));
  for (let n = 0; n <= 4; n++) {
    if (n === 0 ? v === 0n : BigInt.asIntN(8 * n, v) === v) return le(v, n);
  }
  throw new RangeError(`immediate ${value} does not fit in 4 bytes`);
}

const nib = (lo: number, hi: number) => (lo & 15) | ((hi & 15) << 4);

/** Instruction encoders by operand class (spec §5). Registers are 0..12. */
export const I = {
  trap: (): Ins => [0],
  fallthrough: (): Ins => [1],
  /** ecalli with the given immediate bytes (default: shortest encoding of `n`). */
  ecalli: (n: number | bigint, bytes: number[] = imm(n)): Ins => [10, ...bytes],
  loadImm64: (r: number, v: bigint): Ins => [20, r, ...le(v, 8)],
  /** store_imm_u8/16/32/64 (30..33): st(X, Y). */
  storeImm: (op: 30 | 31 | 32 | 33, address: number, value: number | bigint): Ins => {
    const x = imm(address);
    return [op, x.length, ...x, ...imm(value)];
  },
  jump: (offset: number): Ins => [40, ...imm(offset)],
  jumpInd: (r: number, x: number | bigint = 0): Ins => [50, r, ...imm(x)],
  loadImm: (r: number, v: number | bigint): Ins => [51, r, ...imm(v)],
  /** Class F loads and stores (52..62): op rA, address. */
  regImm: (op: number, r: number, x: number | bigint): Ins => [op, r, ...imm(x)],
  /** Class H (80..90): op rA, X, offset relative to this instruction. */
  regImmOffset: (op: number, r: number, x: number | bigint, offset: number): Ins => {
    const xb = imm(x);
    return [op, nib(r, xb.length), ...xb, ...le(offset, 4)];
  },
  /** Class I (100..111): op rD, rA. */
  twoReg: (op: number, rd: number, ra: number): Ins => [op, nib(rd, ra)],
  moveReg: (rd: number, ra: number): Ins => [100, nib(rd, ra)],
  sbrk: (rd: number, ra: number): Ins => [101, nib(rd, ra)],
  /** Class J (120..161): op rA, rB, X. */
  twoRegImm: (op: number, ra: number, rb: number, x: number | bigint): Ins => [op, nib(ra, rb), ...imm(x)],
  storeIndU8: (ra: number, rb: number, x: number | bigint): Ins => [120, nib(ra, rb), ...imm(x)],
  storeIndU64: (ra: number, rb: number, x: number | bigint): Ins => [123, nib(ra, rb), ...imm(x)],
  loadIndU8: (ra: number, rb: number, x: number | bigint): Ins => [124, nib(ra, rb), ...imm(x)],
  loadIndU64: (ra: number, rb: number, x: number | bigint): Ins => [130, nib(ra, rb), ...imm(x)],
  addImm64: (ra: number, rb: number, x: number | bigint): Ins => [149, nib(ra, rb), ...imm(x)],
  cmovIzImm: (ra: number, rb: number, x: number | bigint): Ins => [147, nib(ra, rb), ...imm(x)],
  cmovNzImm: (ra: number, rb: number, x: number | bigint): Ins => [148, nib(ra, rb), ...imm(x)],
  /** Class K (170..175): op rA, rB, offset relative to this instruction. */
  branch: (op: number, ra: number, rb: number, offset: number): Ins => [op, nib(ra, rb), ...le(offset, 4)],
  /** Class M (190..230): rD ← op(rA, rB). */
  threeReg: (op: number, rd: number, ra: number, rb: number): Ins => [op, nib(ra, rb), rd],
  add64: (rd: number, ra: number, rb: number): Ins => [200, nib(ra, rb), rd],
};

/** An assembled generic blob and the pc of each instruction. */
export interface Assembled {
  /** The generic blob bytes (spec §3). */
  bytes: Uint8Array;
  /** pc of each instruction, in order. */
  pcs: number[];
  /** Code length |c|. */
  codeLength: number;
}

/** Assemble instructions into a generic blob (no jump table unless given; entries of 4 bytes). */
export function asm(...instructions: Ins[]): Assembled {
  return asmWithTable([], ...instructions);
}

/** Assemble with a jump table (entry size 4). */
export function asmWithTable(table: number[], ...instructions: Ins[]): Assembled {
  const code: number[] = [];
  const pcs: number[] = [];
  for (const ins of instructions) {
    pcs.push(code.length);
    code.push(...ins);
  }
  const mask = new Array<number>(Math.ceil(code.length / 8)).fill(0);
  for (const pc of pcs) mask[pc >> 3] |= 1 << (pc & 7);
  const z = table.length === 0 ? 0 : 4;
  const bytes = [
    ...varint(table.length),
    z,
    ...varint(code.length),
    ...table.flatMap((t) => le(t, 4)),
    ...code,
    ...mask,
  ];
  return { bytes: new Uint8Array(bytes), pcs, codeLength: code.length };
}

/** Fields of a standard program (spec §12). */
export interface SpiParts {
  ro?: number[];
  rw?: number[];
  heapPages?: number;
  stack?: number;
  /** The generic blob. */
  blob: Uint8Array;
  /** If given, prefix `E(|m|) ++ m` (GP 0.7 service code). */
  metadata?: number[];
}

/** Encode a standard program: E3(|o|) E3(|w|) E2(z) E3(s) o w E4(|c|) c, optionally with metadata. */
export function spi(parts: SpiParts): Uint8Array {
  const ro = parts.ro ?? [];
  const rw = parts.rw ?? [];
  const body = [
    ...le(ro.length, 3),
    ...le(rw.length, 3),
    ...le(parts.heapPages ?? 0, 2),
    ...le(parts.stack ?? 0, 3),
    ...ro,
    ...rw,
    ...le(parts.blob.length, 4),
    ...parts.blob,
  ];
  const prefix = parts.metadata ? [...varint(parts.metadata.length), ...parts.metadata] : [];
  return new Uint8Array([...prefix, ...body]);
}

/** The halt address (spec §7.2): jump_ind to it halts. */
export const HALT = 0xffff0000;
