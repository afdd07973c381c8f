/**
 * The differential fuzzer's shared core: a seeded, reproducible generator of valid random
 * PVM programs (with memory maps, registers, start pc, gas and host-call answers), the
 * runner that checks each one on both backends through `crossCheck`, a greedy minimiser,
 * and a printer for failing cases. Used by `scripts/fuzz.ts` and `tests/fuzz_slice_test.ts`.
 *
 * Programs are kept as lists of {@link FuzzInstruction} records whose static targets and
 * jump-table entries name instructions rather than byte offsets, so the minimiser can
 * delete or replace instructions and re-encode without breaking the control flow.
 *
 * @example
 * ```ts
 * import { generateCase, runCase } from "./_fuzz.ts";
 * const result = runCase(generateCase(1));
 * console.log(result.ok); // true
 * ```
 */
import { type Exit, type Instance, type LoadOptions, Module } from "../src/engine.ts";
import type { MemoryRegion, PageAccess } from "../src/memory/memory.ts";
import { ISA_V072, OPCODE_BY_CODE, OPCODE_BY_NAME, type OpcodeInfo, OPCODES } from "../src/isa/opcodes.ts";
import { crossCheck, type CrossCheckDifference, type HostExit, hostValue } from "../src/recompiler/crosscheck.ts";
import { varint } from "./_programs.ts";

// ---------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------

/** A small fast seeded PRNG (sfc32, seeded through SplitMix32). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** Uniform in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }

  /** A uniform element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A uniform 64-bit unsigned integer. */
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  /** Index chosen with the given weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.u32() / 2 ** 32 * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

// ---------------------------------------------------------------------------------------
// Program representation and encoding
// ---------------------------------------------------------------------------------------

/**
 * One instruction. Which fields are encoded depends on the operand class of `op` in the
 * opcode table (undefined opcodes encode as the bare byte followed by `pad`).
 */
export interface FuzzInstruction {
  /** The raw opcode byte. */
  op: number;
  /** Register field rA (a nibble 0..15; 13–15 mean r12). For class I it is the source. */
  a: number;
  /** Register field rB (nibble). */
  b: number;
  /** Destination: a nibble for class I, the whole third byte (0..255) for class M. */
  d: number;
  /** Immediate X and its encoded length in bytes (0..4; always 8 for load_imm_64). */
  x: bigint;
  xLen: number;
  /** Immediate Y and its encoded length. */
  y: bigint;
  yLen: number;
  /** Static target: index of the target instruction (the code length if it equals the count). */
  to?: number;
  /** Raw pc-relative offset, used when `to` is undefined. */
  off: number;
  /** Bytes the offset is encoded in (0..4). */
  offLen: number;
  /** Bits or'ed into length bytes and unused nibbles (0 for a canonical encoding). */
  junk: number;
  /** Bytes after the operands whose bitmask bit is clear (a gap). */
  pad: number[];
  /** Operand bytes dropped from the end (a truncated instruction). */
  cut: number;
}

/** A static reference: an instruction index (`to`) or a raw value. */
export interface FuzzRef {
  to?: number;
  raw: number;
}

/** A program: instructions and a jump table. */
export interface FuzzProgram {
  code: FuzzInstruction[];
  table: FuzzRef[];
  /** Jump-table entry size in bytes (0..4). */
  entrySize: number;
}

/** What the host does at a host call, besides r7 ← hostValue(index). */
export interface FuzzHostPolicy {
  /** Gas to set at call i (taken mod length); null leaves gas alone. */
  gas: (bigint | null)[];
  /** A write attempted at every call (bytes derived from the call index); refused writes are ignored. */
  write?: { address: number; length: number };
  /** A page the host maps (or remaps, or unmaps) at its first call. */
  map?: { address: number; access: PageAccess };
}

/** A complete test case: program, initial state, gas values to run with, host policy. */
export interface FuzzCase {
  /** The seed it was generated from (for reports). */
  seed: number;
  program: FuzzProgram;
  memory: MemoryRegion[];
  /** 13 initial register values. */
  registers: bigint[];
  /** Start pc. */
  start: FuzzRef;
  /** Initial sbrk heap pointer (default: the engine's choice, the end of the highest low region). */
  heapStart?: number;
  /**
   * Gas model and ISA profile to load the program with (default: per-instruction, 0.7.2).
   * The code is generated for v0.7.2; another profile reads some bytes as other instructions.
   */
  load: Pick<LoadOptions, "gasModel" | "isa">;
  /** Gas values; when absent, chosen by {@link runCase} from the seed and a trial run. */
  gas?: bigint[];
  host: FuzzHostPolicy;
}

/** An encoded program: the blob and the pc of every instruction (plus the code length at the end). */
export interface Encoded {
  bytes: Uint8Array;
  pcs: number[];
}

const canonical = ISA_V072.canonical;

/** The opcode-table row of a raw byte in the v0.7.2 profile (undefined if the byte is not an opcode). */
export function infoOf(op: number): OpcodeInfo | undefined {
  const c = canonical[op];
  return c < 0 ? undefined : OPCODE_BY_CODE[c];
}

/** Little-endian bytes of v (taken mod 2^(8n)). */
function pushLe(out: number[], value: bigint | number, n: number): void {
  if (typeof value === "number" && n <= 4) {
    for (let i = 0; i < n; i++) out.push((value >>> (8 * i)) & 0xff);
    return;
  }
  let v = BigInt.asUintN(8 * n, BigInt(value));
  for (let i = 0; i < n; i++, v >>= 8n) out.push(Number(v & 0xffn));
}

function pushImm(out: number[], value: bigint, n: number): void {
  if (n <= 4) pushLe(out, Number(BigInt.asIntN(32, value)), n);
  else pushLe(out, value, n);
}

const nib = (lo: number, hi: number) => (lo & 15) | ((hi & 15) << 4);

/** Encode one instruction at `pc`; `targetPc` is where its static target lies. */
function encodeInstruction(ins: FuzzInstruction, pc: number, targetPc: number | undefined, out: number[]): void {
  const start = out.length;
  out.push(ins.op);
  const off = targetPc === undefined ? ins.off : targetPc - pc;
  const cls = infoOf(ins.op)?.operands ?? "none";
  switch (cls) {
    case "none":
      break;
    case "imm":
      pushImm(out, ins.x, ins.xLen);
      break;
    case "reg_imm64":
      out.push(nib(ins.a, ins.junk >> 4));
      pushLe(out, ins.x, 8);
      break;
    case "imm_imm":
      out.push((ins.xLen & 7) | (ins.junk & 0xf8));
      pushImm(out, ins.x, ins.xLen);
      pushImm(out, ins.y, ins.yLen);
      break;
    case "offset":
      pushLe(out, off, ins.offLen);
      break;
    case "reg_imm":
      out.push(nib(ins.a, ins.junk >> 4));
      pushImm(out, ins.x, ins.xLen);
      break;
    case "reg_imm_imm":
      out.push(nib(ins.a, (ins.xLen & 7) | (ins.junk & 8)));
      pushImm(out, ins.x, ins.xLen);
      pushImm(out, ins.y, ins.yLen);
      break;
    case "reg_imm_offset":
      out.push(nib(ins.a, (ins.xLen & 7) | (ins.junk & 8)));
      pushImm(out, ins.x, ins.xLen);
      pushLe(out, off, ins.offLen);
      break;
    case "reg_reg":
      out.push(nib(ins.d, ins.a));
      break;
    case "reg_reg_imm":
      out.push(nib(ins.a, ins.b));
      pushImm(out, ins.x, ins.xLen);
      break;
    case "reg_reg_offset":
      out.push(nib(ins.a, ins.b));
      pushLe(out, off, ins.offLen);
      break;
    case "reg_reg_imm_imm":
      out.push(nib(ins.a, ins.b), (ins.xLen & 7) | (ins.junk & 0xf8));
      pushImm(out, ins.x, ins.xLen);
      pushImm(out, ins.y, ins.yLen);
      break;
    case "reg_reg_reg":
      out.push(nib(ins.a, ins.b), ins.d & 0xff);
      break;
  }
  if (ins.cut > 0) out.length = Math.max(start + 1, out.length - ins.cut);
  for (const p of ins.pad) out.push(p);
}

/** Byte length of an instruction (independent of where it is placed). */
function instructionLength(ins: FuzzInstruction): number {
  const scratch: number[] = [];
  encodeInstruction(ins, 0, 0, scratch);
  return scratch.length;
}

/** Encode a program as a generic blob (spec §3). */
export function encodeProgram(program: FuzzProgram): Encoded {
  const { code } = program;
  const pcs: number[] = [];
  let pc = 0;
  for (const ins of code) {
    pcs.push(pc);
    pc += instructionLength(ins);
  }
  pcs.push(pc);
  const body: number[] = [];
  for (let i = 0; i < code.length; i++) {
    const ins = code[i];
    encodeInstruction(ins, pcs[i], ins.to === undefined ? undefined : pcs[Math.min(ins.to, code.length)], body);
  }
  const n = body.length;
  const mask = new Array<number>(Math.ceil(n / 8)).fill(0);
  for (let i = 0; i < code.length; i++) mask[pcs[i] >> 3] |= 1 << (pcs[i] & 7);
  const out: number[] = [...varint(program.table.length), program.entrySize, ...varint(n)];
  for (const entry of program.table) {
    pushLe(out, refValue(entry, pcs), program.entrySize);
  }
  for (const b of body) out.push(b);
  for (const b of mask) out.push(b);
  return { bytes: new Uint8Array(out), pcs };
}

function refValue(ref: FuzzRef, pcs: number[]): number {
  return ref.to === undefined ? ref.raw : pcs[Math.min(ref.to, pcs.length - 1)];
}

// ---------------------------------------------------------------------------------------
// Value generators
// ---------------------------------------------------------------------------------------

const U64_SPECIAL: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  7n,
  31n,
  32n,
  63n,
  64n,
  0x7fn,
  0x80n,
  0xffn,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0xffff0000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0x8000000000000001n,
  0xffffffff80000000n,
  0xffffffff7fffffffn,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
];

/** A random immediate of 0..4 bytes, biased towards boundary values; returns the sign-extended value. */
function randomImmediate(rng: Rng, len = rng.weighted([2, 4, 3, 2, 5])): { value: bigint; len: number } {
  if (len === 0) return { value: 0n, len };
  const bits = 8 * len;
  let raw: bigint;
  switch (rng.int(8)) {
    case 0:
      raw = 0n;
      break;
    case 1:
      raw = (1n << BigInt(bits)) - 1n; // all ones: -1
      break;
    case 2:
      raw = 1n << BigInt(bits - 1); // the most negative
      break;
    case 3:
      raw = (1n << BigInt(bits - 1)) - 1n; // the most positive
      break;
    case 4:
      raw = BigInt(rng.range(1, 70));
      break;
    case 5:
      raw = BigInt.asUintN(bits, BigInt(-rng.range(1, 70)));
      break;
    default:
      raw = BigInt(rng.u32()) & ((1n << BigInt(bits)) - 1n);
  }
  return { value: BigInt.asIntN(bits, raw), len };
}

/** The shortest length (0..4) whose sign extension gives back the 32-bit value v. */
function shortestLength(v: number): number {
  const s = v | 0;
  if (s === 0) return 0;
  if (s >= -0x80 && s < 0x80) return 1;
  if (s >= -0x8000 && s < 0x8000) return 2;
  if (s >= -0x800000 && s < 0x800000) return 3;
  return 4;
}

// ---------------------------------------------------------------------------------------
// Instruction classes, from the opcode table
// ---------------------------------------------------------------------------------------

const byName = (name: string) => OPCODE_BY_NAME.get(name)!.code;
const defined = OPCODES.filter((o) => ISA_V072.raw[o.code] >= 0);
const isMemory = (o: OpcodeInfo) => /^(load|store)_/.test(o.name) && o.name !== "load_imm" && o.name !== "load_imm_64";
/** Non-terminator, non-memory instructions that compute on registers. */
const ARITH = defined.filter((o) =>
  !o.terminator && !isMemory(o) && o.operands !== "none" && o.name !== "ecalli" && o.name !== "sbrk"
);
const LOADS_STORES = defined.filter(isMemory);
const BRANCH_IMM = defined.filter((o) => o.operands === "reg_imm_offset" && o.name !== "load_imm_jump");
const BRANCH_REG = defined.filter((o) => o.operands === "reg_reg_offset");
const DIVISIONS = [
  "div_u_32",
  "div_s_32",
  "rem_u_32",
  "rem_s_32",
  "div_u_64",
  "div_s_64",
  "rem_u_64",
  "rem_s_64",
].map(byName);
/** Bytes that are not opcodes in v0.7.2 (they decode as trap). */
const UNDEFINED_BYTES = Array.from({ length: 256 }, (_, i) => i).filter((i) => canonical[i] < 0);

const OP = {
  trap: byName("trap"),
  fallthrough: byName("fallthrough"),
  ecalli: byName("ecalli"),
  loadImm64: byName("load_imm_64"),
  jump: byName("jump"),
  jumpInd: byName("jump_ind"),
  loadImm: byName("load_imm"),
  loadImmJump: byName("load_imm_jump"),
  loadImmJumpInd: byName("load_imm_jump_ind"),
  addImm64: byName("add_imm_64"),
  branchNeImm: byName("branch_ne_imm"),
  branchGtUImm: byName("branch_gt_u_imm"),
  branchGtSImm: byName("branch_gt_s_imm"),
  sbrk: byName("sbrk"),
};

/** A blank instruction with opcode `op`. */
export function instruction(op: number, fields: Partial<FuzzInstruction> = {}): FuzzInstruction {
  return {
    op,
    a: 0,
    b: 0,
    d: 0,
    x: 0n,
    xLen: 0,
    y: 0n,
    yLen: 0,
    off: 0,
    offLen: 4,
    junk: 0,
    pad: [],
    cut: 0,
    ...fields,
  };
}

// ---------------------------------------------------------------------------------------
// Case generation
// ---------------------------------------------------------------------------------------

interface GenContext {
  rng: Rng;
  /** Addresses worth touching (page edges of the map, wrap-around, low memory). */
  addresses: number[];
  /** Addresses 8 bytes clear of any page edge in readable and in writable pages. */
  readable: number[];
  writable: number[];
  /** Instructions of the block being built. */
  out: FuzzInstruction[];
  /** Fix-ups: instruction → block index (its target is that block's first instruction). */
  toBlock: Map<FuzzInstruction, number>;
  /** Fix-ups: instruction → (block index, instruction offset inside it) for a mid-block target. */
  toInside: Map<FuzzInstruction, [number, number]>;
  blockCount: number;
  tableSize: number;
  /** Block index → the register counted down by loops back to it (set just before the block). */
  loopCounters: Map<number, number>;
}

function randomRegister(rng: Rng): number {
  return rng.chance(0.06) ? rng.range(13, 15) : rng.int(13);
}

function registerValue(rng: Rng, addresses: number[]): bigint {
  switch (rng.weighted([3, 4, 2, 1])) {
    case 0: {
      const a = BigInt(rng.pick(addresses));
      return rng.chance(0.15) ? a | (BigInt(rng.u32()) << 32n) : a;
    }
    case 1:
      return rng.pick(U64_SPECIAL);
    case 2:
      return BigInt.asUintN(64, BigInt(rng.range(-20, 300)));
    default:
      return rng.u64();
  }
}

/**
 * Memory map: a low cluster near 0x10000 and often a high cluster below 2^32. Nothing in
 * between: a page in the middle would make the guest's Wasm memory gigabytes long, and
 * slow every later instance that reuses it from the engine's memory pool.
 */
function randomMemory(rng: Rng): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  const accesses: PageAccess[] = ["write", "write", "read", "none"];
  const cluster = (firstPage: number, pages: number) => {
    let p = firstPage;
    while (p < firstPage + pages) {
      const run = rng.range(1, 3);
      const access = rng.pick(accesses);
      const length = Math.min(run, firstPage + pages - p) * 4096 - (rng.chance(0.2) ? rng.range(1, 4095) : 0);
      const region: MemoryRegion = { address: p * 4096, length, access };
      if (access !== "none" && rng.chance(0.5)) {
        const data = new Uint8Array(rng.range(1, 64));
        for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
        region.data = data;
      }
      regions.push(region);
      p += run;
    }
  };
  if (rng.chance(0.9)) cluster(0x10 + (rng.chance(0.5) ? 0 : rng.range(1, 40)), rng.range(1, 6));
  if (rng.chance(0.5)) {
    const pages = rng.range(1, 4);
    cluster(0x100000 - pages - (rng.chance(0.7) ? 0 : rng.range(1, 8)), pages);
  }
  // Shuffle, so that overlapping or adjacent regions are given in any order.
  for (let i = regions.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [regions[i], regions[j]] = [regions[j], regions[i]];
  }
  return regions;
}

/** A page in or right next to one of the regions (below 0x10000 too, next to the low cluster). */
function nearbyPage(rng: Rng, memory: MemoryRegion[]): number {
  if (memory.length === 0) return 0x20000;
  const r = rng.pick(memory);
  const page = (r.address >>> 12) + rng.range(-2, Math.ceil(r.length / 4096) + 1);
  return (Math.max(0, Math.min(0xfffff, page)) * 4096) >>> 0;
}

/** Addresses inside pages of the given access (away from the page edges). */
function safeAddresses(rng: Rng, memory: MemoryRegion[], write: boolean): number[] {
  const out: number[] = [];
  for (const r of memory) {
    if (r.access === "none" || (write && r.access !== "write")) continue;
    const pages = Math.ceil(r.length / 4096);
    for (let i = 0; i < 3; i++) out.push((r.address + 4096 * rng.int(pages) + rng.range(0, 4088)) >>> 0);
  }
  // A later region may have taken some of these pages away; keep those that are still good.
  return out.filter((a) => {
    let ok = false;
    for (const r of memory) {
      if (a >= r.address && a < r.address + Math.ceil(r.length / 4096) * 4096) {
        ok = r.access === "write" || (!write && r.access === "read");
      }
    }
    return ok;
  });
}

function interestingAddresses(rng: Rng, memory: MemoryRegion[]): number[] {
  const out = [0, 1, 0xfff8, 0xfffc, 0xffff, 0x10000 - 3, 0x10000, 0xfffffff8, 0xfffffffc, 0xffffffff, 0xffff0000];
  for (const r of memory) {
    const start = r.address >>> 0;
    const end = (start + Math.ceil(r.length / 4096) * 4096) >>> 0;
    for (const edge of [start, end]) {
      out.push(edge);
      for (const k of [1, 2, 3, 4, 7, 8]) out.push((edge - k) >>> 0);
      out.push((edge + rng.range(0, 4095)) >>> 0);
    }
  }
  for (let i = 0; i < 3; i++) out.push(rng.u32());
  return out;
}

/** Add a load_imm (or load_imm_64, with random high bits) that puts `value` (mod 2^32) in register r. */
function setRegister32(g: GenContext, r: number, value: number): void {
  const { rng } = g;
  if (rng.chance(0.15)) {
    const high = rng.chance(0.5) ? BigInt(rng.u32()) : 0xffffffffn;
    g.out.push(instruction(OP.loadImm64, { a: r, x: (high << 32n) | BigInt(value >>> 0), xLen: 8 }));
  } else {
    const v = BigInt(value | 0);
    g.out.push(instruction(OP.loadImm, { a: r, x: v, xLen: rng.chance(0.8) ? shortestLength(value) : 4 }));
  }
}

/** A random computational instruction. */
function arithmetic(g: GenContext): void {
  const { rng } = g;
  const info = rng.pick(ARITH);
  const ins = instruction(info.code, { a: randomRegister(rng), b: randomRegister(rng), d: randomRegister(rng) });
  if (info.operands === "reg_imm64") {
    ins.x = rng.chance(0.5) ? rng.pick(U64_SPECIAL) : rng.u64();
    ins.xLen = 8;
    if (rng.chance(0.05)) ins.junk = rng.int(256);
  } else if (info.operands === "reg_imm" || info.operands === "reg_reg_imm") {
    const imm = randomImmediate(rng);
    ins.x = imm.value;
    ins.xLen = imm.len;
  } else if (info.operands === "reg_reg_reg" && rng.chance(0.05)) {
    ins.d = rng.range(13, 255);
  }
  if (rng.chance(0.03)) ins.pad = Array.from({ length: rng.range(1, 6) }, () => rng.int(256));
  else if (rng.chance(0.02)) ins.cut = rng.range(1, 3);
  g.out.push(ins);
}

/** A load or store at an interesting address (with the base register set up most of the time). */
function memoryAccess(g: GenContext): void {
  const { rng } = g;
  const info = rng.pick(LOADS_STORES);
  const write = info.name.startsWith("store");
  const safe = write ? g.writable : g.readable;
  const address = safe.length > 0 && rng.chance(0.6) ? rng.pick(safe) : rng.pick(g.addresses);
  const ins = instruction(info.code, { a: randomRegister(rng), b: randomRegister(rng) });
  const value = randomImmediate(rng);
  switch (info.operands) {
    case "reg_imm": // absolute load/store: X is the address
      ins.x = BigInt(address | 0);
      ins.xLen = rng.chance(0.9) ? shortestLength(address) : 4;
      break;
    case "imm_imm": // store_imm: X address, Y value
      ins.x = BigInt(address | 0);
      ins.xLen = shortestLength(address);
      ins.y = value.value;
      ins.yLen = value.len;
      break;
    case "reg_imm_imm": // store_imm_ind: [rA + X] ← Y
    case "reg_reg_imm": { // [rB + X]
      const base = info.operands === "reg_imm_imm" ? ins.a : ins.b;
      const offset = randomImmediate(rng, rng.weighted([3, 4, 3, 1, 2]));
      ins.x = offset.value;
      ins.xLen = offset.len;
      if (info.operands === "reg_imm_imm") {
        ins.y = value.value;
        ins.yLen = value.len;
      }
      if (rng.chance(0.85)) setRegister32(g, base, (address - Number(offset.value)) >>> 0);
      break;
    }
  }
  g.out.push(ins);
}

function division(g: GenContext): void {
  const { rng } = g;
  const ra = randomRegister(rng), rb = randomRegister(rng);
  const dividend = rng.pick([0x8000000000000000n, 0xffffffff80000000n, 0x80000000n, 0n, 1n, 0xffffffffffffffffn]);
  const divisor = rng.pick([0n, 0xffffffffffffffffn, 0xffffffffn, 0x100000000n, 1n, 2n]);
  if (rng.chance(0.8)) g.out.push(instruction(OP.loadImm64, { a: ra, x: dividend, xLen: 8 }));
  if (rng.chance(0.8)) g.out.push(instruction(OP.loadImm64, { a: rb, x: divisor, xLen: 8 }));
  g.out.push(instruction(rng.pick(DIVISIONS), { a: ra, b: rb, d: randomRegister(rng) }));
}

function hostCall(g: GenContext): void {
  const imm = randomImmediate(g.rng);
  g.out.push(instruction(OP.ecalli, { x: imm.value, xLen: imm.len }));
}

function heapGrowth(g: GenContext): void {
  const { rng } = g;
  const rs = randomRegister(rng);
  // The size is always set right before: an sbrk of a random register could map gigabytes.
  const size = rng.pick([0n, 1n, 7n, 4095n, 4096n, 4097n, 8192n, 0x10000n, 0xffffffffn, 0x100000000n, -1n]);
  g.out.push(instruction(OP.loadImm64, { a: rs, x: BigInt.asUintN(64, size), xLen: 8 }));
  g.out.push(instruction(OP.sbrk, { d: randomRegister(rng), a: rs }));
}

function invalidOpcode(g: GenContext): void {
  const { rng } = g;
  g.out.push(instruction(rng.pick(UNDEFINED_BYTES), { pad: Array.from({ length: rng.int(3) }, () => rng.int(256)) }));
}

/** A long gap (more than 24 bytes with clear bitmask bits) after an instruction: skip is capped. */
function longGap(g: GenContext): void {
  const { rng } = g;
  const pad = Array.from({ length: rng.range(23, 30) }, () => rng.pick([0, 1, 51, rng.int(256)]));
  g.out.push(instruction(OP.loadImm, { a: randomRegister(rng), pad }));
}

/** Body instruction kinds and their weights. */
const BODY: readonly [(g: GenContext) => void, number][] = [
  [arithmetic, 30],
  [memoryAccess, 22],
  [division, 4],
  [hostCall, 4],
  [heapGrowth, 2],
  [invalidOpcode, 0.6],
  [longGap, 0.4],
];
const BODY_WEIGHTS = BODY.map(([, w]) => w);

/** A target for a static jump: another block (usually), an instruction inside one, or raw junk. */
function staticTarget(g: GenContext, ins: FuzzInstruction, current: number): void {
  const { rng } = g;
  const r = rng.int(100);
  if (r < 84) {
    // Mostly forward, so programs tend to terminate.
    const forward = current + 1 < g.blockCount && rng.chance(0.8);
    g.toBlock.set(ins, forward ? rng.range(current + 1, g.blockCount - 1) : rng.int(current + 1));
  } else if (r < 92) {
    g.toInside.set(ins, [rng.int(g.blockCount), rng.range(1, 3)]);
  } else {
    ins.off = rng.pick([0, 1, -1, 2, 3, 0x7fffffff, -0x80000000, rng.range(-100, 100), 1 << 20]);
    ins.offLen = rng.pick([1, 2, 4, 4]);
  }
}

/** A jump_ind or load_imm_jump_ind with its target address register set up. */
function dynamicJump(g: GenContext): void {
  const { rng } = g;
  const n = g.tableSize;
  const target = rng.pick([
    0xffff0000,
    0xffff0000,
    0,
    1,
    3,
    2 * (n + 1),
    2 * (n + 1) + 1,
    0xfffffffe,
    0x80000000,
    rng.u32(),
    ...(n > 0 ? Array.from({ length: 6 }, () => 2 * (rng.int(n) + 1)) : []),
  ]);
  const withLoad = rng.chance(0.35);
  const ra = randomRegister(rng), rb = randomRegister(rng);
  if (withLoad) {
    const x = randomImmediate(rng), y = randomImmediate(rng);
    if (rng.chance(0.85)) setRegister32(g, rb, (target - Number(y.value)) >>> 0);
    const a = rng.chance(0.2) ? rb : ra;
    g.out.push(instruction(OP.loadImmJumpInd, { a, b: rb, x: x.value, xLen: x.len, y: y.value, yLen: y.len }));
  } else {
    const x = randomImmediate(rng);
    if (rng.chance(0.85)) setRegister32(g, ra, (target - Number(x.value)) >>> 0);
    g.out.push(instruction(OP.jumpInd, { a: ra, x: x.value, xLen: x.len }));
  }
}

/** The terminator of block `index` (which starts at instruction `blockFirst` of `out`). */
function terminator(g: GenContext, index: number): void {
  const { rng } = g;
  const last = index === g.blockCount - 1;
  if (last) {
    switch (rng.int(5)) {
      case 0:
        return; // run off the end of the code
      case 1:
        g.out.push(instruction(OP.trap));
        return;
      case 2:
        g.out.push(instruction(OP.fallthrough));
        return;
      default:
        g.out.push(instruction(OP.jumpInd, { a: 0 }));
        return;
    }
  }
  switch (rng.weighted([8, 9, 14, 10, 4, 12, 10, 2])) {
    case 0:
      g.out.push(instruction(OP.fallthrough));
      return;
    case 1: {
      const ins = instruction(OP.jump);
      staticTarget(g, ins, index);
      g.out.push(ins);
      return;
    }
    case 2: {
      const info = rng.pick(BRANCH_IMM);
      const imm = randomImmediate(rng);
      const ins = instruction(info.code, { a: randomRegister(rng), x: imm.value, xLen: imm.len });
      staticTarget(g, ins, index);
      g.out.push(ins);
      return;
    }
    case 3: {
      const info = rng.pick(BRANCH_REG);
      const ins = instruction(info.code, { a: randomRegister(rng), b: randomRegister(rng) });
      staticTarget(g, ins, index);
      g.out.push(ins);
      return;
    }
    case 4: {
      const imm = randomImmediate(rng);
      const ins = instruction(OP.loadImmJump, { a: randomRegister(rng), x: imm.value, xLen: imm.len });
      staticTarget(g, ins, index);
      g.out.push(ins);
      return;
    }
    case 5: {
      // A bounded loop back to this block (a self-loop, which the recompiler may unroll) or
      // an earlier one: count a register down to zero.
      const head = rng.chance(0.5) ? index : rng.int(index + 1);
      const rc = g.loopCounters.get(head) ?? randomRegister(rng);
      g.out.push(instruction(OP.addImm64, { a: rc, b: rc, x: -1n, xLen: 1 }));
      const op = rng.pick([OP.branchNeImm, OP.branchGtUImm, OP.branchGtSImm]);
      const ins = instruction(op, { a: rc });
      g.toBlock.set(ins, head);
      g.out.push(ins);
      return;
    }
    case 6:
      dynamicJump(g);
      return;
    default:
      g.out.push(instruction(OP.trap));
  }
}

/** Generate the case for a seed (deterministic). */
export function generateCase(seed: number): FuzzCase {
  const rng = new Rng(seed);
  const memory = randomMemory(rng);
  const addresses = interestingAddresses(rng, memory);
  // Now and then enough blocks to need several recompiler regions (192 blocks each).
  const blockCount = rng.chance(0.02) ? rng.range(150, 300) : rng.range(1, 10);
  const tableSize = rng.weighted([3, 2, 2, 2, 1, 1, 1]);
  const g: GenContext = {
    rng,
    addresses,
    readable: safeAddresses(rng, memory, false),
    writable: safeAddresses(rng, memory, true),
    out: [],
    toBlock: new Map(),
    toInside: new Map(),
    blockCount,
    tableSize,
    loopCounters: new Map(),
  };
  const blockFirst: number[] = [];
  for (let b = 0; b < blockCount; b++) {
    blockFirst.push(g.out.length);
    const body = rng.weighted([1, 3, 3, 3, 2, 2, 1, 1, 1]);
    for (let i = 0; i < body; i++) BODY[rng.weighted(BODY_WEIGHTS)][0](g);
    // Before a block that may become a loop head, give a counter a small value.
    if (rng.chance(0.3)) {
      const rc = randomRegister(rng);
      g.loopCounters.set(b + 1, rc);
      g.out.push(instruction(OP.loadImm, { a: rc, x: BigInt(rng.range(1, 6)), xLen: 1 }));
    }
    terminator(g, b);
  }
  blockFirst.push(g.out.length);
  for (const [ins, block] of g.toBlock) ins.to = blockFirst[block];
  for (const [ins, [block, k]] of g.toInside) ins.to = Math.min(blockFirst[block] + k, g.out.length);

  const refTo = (): FuzzRef => {
    const r = rng.int(10);
    if (r < 7) return { to: blockFirst[rng.int(blockCount)], raw: 0 };
    if (r < 8) return { to: rng.int(g.out.length + 1), raw: 0 };
    return { raw: rng.pick([1, 0xffff, 0x7fffffff, rng.int(300)]) };
  };
  const table = Array.from({ length: tableSize }, refTo);
  const program: FuzzProgram = { code: g.out, table, entrySize: rng.pick([0, 1, 1, 2, 2, 3, 4, 4, 4]) };
  if (program.entrySize === 0 && rng.chance(0.7)) program.entrySize = 2;

  const registers = Array.from({ length: 13 }, () => registerValue(rng, addresses));
  if (rng.chance(0.7)) registers[0] = 0xffff0000n;
  const start: FuzzRef = rng.chance(0.9)
    ? { to: 0, raw: 0 }
    : rng.chance(0.6)
    ? { to: rng.int(g.out.length + 1), raw: 0 }
    : { raw: rng.pick([1, 2, 3, 0xffff, 0x7fffffff, 0xfffffffe]) };
  // Never start at an sbrk, past the instruction that sets its size.
  if (start.to !== undefined && g.out[start.to]?.op === OP.sbrk) start.to--;
  const host: FuzzHostPolicy = { gas: [null] };
  if (rng.chance(0.4)) {
    host.gas = Array.from(
      { length: rng.range(1, 4) },
      // Small values only: a host handing out unbounded gas could keep a looping program alive.
      () => rng.chance(0.4) ? null : BigInt(rng.pick([0, 1, 2, 3, rng.range(0, 20), rng.range(0, 200), 1000, -2])),
    );
  }
  if (rng.chance(0.3)) host.write = { address: rng.pick(addresses), length: rng.pick([1, 4, 8, 16]) };
  if (rng.chance(0.15)) {
    host.map = { address: nearbyPage(rng, memory), access: rng.pick(["read", "write", "none"] as const) };
  }
  let heapStart: number | undefined;
  if (rng.chance(0.1)) {
    heapStart = rng.pick([
      0x10000,
      0x20000 - rng.range(0, 5000),
      0xfffff000,
      0xffffffff,
      nearbyPage(rng, memory) + rng.range(0, 4095),
    ]);
  }
  const load: FuzzCase["load"] = {};
  const model = rng.int(100);
  if (model < 20) load.gasModel = "pipeline";
  else if (model < 30) load.gasModel = "pipeline-vectors";
  // Other numberings read some bytes as other instructions; the PolkaVM profiles read
  // mul_upper_* and reverse_bytes as their 32-bit variants (polkavm-32) and 2 as memset.
  if (rng.chance(0.12)) load.isa = rng.pick(["0.8-draft", "gas-vectors", "polkavm-32", "polkavm-64"]);
  return { seed, program, memory, registers, start, heapStart, host, load };
}

// ---------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------

/** A failing run: the gas it started with and the first difference. */
export interface FuzzFailure {
  ok: false;
  gas: bigint;
  difference: CrossCheckDifference;
}

/** The outcome of {@link runCase}. */
export type FuzzResult = { ok: true; runs: number } | FuzzFailure;

/** Most host calls answered per run. */
const MAX_HOST_CALLS = 12;
/** Gas of the trial run that measures how long the program runs. */
const TRIAL_GAS = 4000n;

/** The host-call handler of a policy. */
export function hostHandler(policy: FuzzHostPolicy): (vm: Instance, exit: HostExit, index: number) => void {
  return (vm, _exit, index) => {
    const value = hostValue(index);
    vm.setRegister(7, value);
    const gas = policy.gas[index % policy.gas.length];
    if (gas !== null) vm.gas = gas;
    if (policy.write) {
      const bytes = new Uint8Array(policy.write.length);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Number((value >> BigInt(8 * (i & 7))) & 0xffn) ^ i;
      try {
        vm.memory.write(policy.write.address, bytes);
      } catch {
        // A write to memory the guest cannot write is refused; the host ignores that.
      }
    }
    if (policy.map && index === 0) vm.memory.map(policy.map.address, 4096, policy.map.access);
  };
}

/** Instantiation options of a case (without gas), for an encoded program. */
export function caseOptions(c: FuzzCase, encoded: Encoded): {
  pc: number;
  registers: bigint[];
  memory: MemoryRegion[];
  heapStart?: number;
} {
  const options = { pc: refValue(c.start, encoded.pcs) >>> 0, registers: c.registers, memory: c.memory };
  return c.heapStart === undefined ? options : { ...options, heapStart: c.heapStart };
}

/**
 * Run a case on both backends; stops at the first difference. Without explicit gas values
 * it first runs with a fixed trial gas, then with a value of 0–2, two random values up to
 * one more than the instructions the trial executed before its first exit (so out of gas
 * lands at any position of the blocks it runs through), and, if the trial finished, a
 * value above 2^52 (the engine's number/BigInt boundary).
 */
export function runCase(c: FuzzCase): FuzzResult {
  const encoded = encodeProgram(c.program);
  const module = Module.load(encoded.bytes, { format: "generic", ...c.load });
  const options = caseOptions(c, encoded);
  const onHost = hostHandler(c.host);
  const check = (gas: bigint, onExit?: (exit: Exit, step: number) => void): FuzzFailure | undefined => {
    const result = crossCheck(module, { ...options, gas }, { maxHostCalls: MAX_HOST_CALLS, onHost, onExit });
    return result.ok ? undefined : { ok: false, gas, difference: result.difference };
  };
  if (c.gas) {
    for (const gas of c.gas) {
      const failure = check(gas);
      if (failure) return failure;
    }
    return { ok: true, runs: c.gas.length };
  }
  let first: Exit | undefined, last: Exit | undefined;
  const trial = check(TRIAL_GAS, (exit) => {
    first ??= exit;
    last = exit;
  });
  if (trial) return trial;
  const rng = new Rng(c.seed ^ 0x5a5a5a5a);
  const executed = Number(TRIAL_GAS - (first!.kind === "oog" ? TRIAL_GAS : first!.gas));
  const gasValues = [BigInt(rng.int(3))];
  for (let i = 0; i < 2; i++) gasValues.push(BigInt(rng.range(1, Math.max(1, executed + 1))));
  if (last!.kind !== "oog" && last!.kind !== "host") gasValues.push(2n ** 53n + BigInt(rng.u32()));
  for (const gas of gasValues) {
    const failure = check(gas);
    if (failure) return failure;
  }
  return { ok: true, runs: gasValues.length + 1 };
}

// ---------------------------------------------------------------------------------------
// Minimising
// ---------------------------------------------------------------------------------------

function cloneCase(c: FuzzCase): FuzzCase {
  return {
    seed: c.seed,
    program: {
      code: c.program.code.map((i) => ({ ...i, pad: [...i.pad] })),
      table: c.program.table.map((e) => ({ ...e })),
      entrySize: c.program.entrySize,
    },
    memory: c.memory.map((r) => ({ ...r })),
    registers: [...c.registers],
    start: { ...c.start },
    gas: c.gas ? [...c.gas] : undefined,
    heapStart: c.heapStart,
    load: { ...c.load },
    host: {
      gas: [...c.host.gas],
      write: c.host.write ? { ...c.host.write } : undefined,
      map: c.host.map ? { ...c.host.map } : undefined,
    },
  };
}

/** Remove instruction i, re-pointing references to it at its successor. */
function deleteInstruction(c: FuzzCase, i: number): void {
  const fix = (to: number | undefined) => (to === undefined || to <= i ? to : to - 1);
  c.program.code.splice(i, 1);
  for (const ins of c.program.code) ins.to = fix(ins.to);
  for (const e of c.program.table) e.to = fix(e.to);
  c.start.to = fix(c.start.to);
}

/** True if the case, run on the interpreter with the trial gas, ends in halt, panic or fault. */
function finishes(c: FuzzCase): boolean {
  const encoded = encodeProgram(c.program);
  const vm = Module.load(encoded.bytes, { format: "generic", ...c.load })
    .instantiate({ ...caseOptions(c, encoded), gas: TRIAL_GAS });
  const onHost = hostHandler(c.host);
  for (let calls = 0;; calls++) {
    const exit = vm.run();
    if (exit.kind !== "host") return exit.kind !== "oog";
    if (calls >= MAX_HOST_CALLS) return false;
    onHost(vm, exit, calls);
  }
}

/** True if every sbrk's size is set by the instruction before it (to a value below 2^17 or 2^32 and above). */
function sbrkSizesBounded(c: FuzzCase): boolean {
  const code = c.program.code;
  for (let i = 0; i < code.length; i++) {
    if (code[i].op !== OP.sbrk) continue;
    const before = code[i - 1];
    if (
      before?.op !== OP.loadImm64 || Math.min(12, before.a & 15) !== Math.min(12, code[i].a & 15) ||
      before.pad.length > 0
    ) return false;
    const size = BigInt.asUintN(64, before.x);
    if (size > 0x20000n && size < 0xffff0000n) return false;
    if (c.start.to === i) return false;
  }
  return true;
}

/**
 * Does the case still fail? An exception counts as "no" (candidates must stay runnable),
 * and so does an sbrk whose size is no longer set right before it (it could map gigabytes).
 */
function fails(c: FuzzCase): FuzzFailure | undefined {
  if (!sbrkSizesBounded(c)) return undefined;
  try {
    // A gas above the trial's is only safe for a program that stops within the trial gas:
    // a candidate that loops forever would never return.
    if (c.gas?.some((g) => g > TRIAL_GAS) && !finishes(c)) return undefined;
    const r = runCase(c);
    return r.ok ? undefined : r;
  } catch {
    return undefined;
  }
}

/**
 * Greedily shrink a failing case while it keeps failing: pin the failing gas value, then
 * repeatedly try deleting instructions, replacing them with fallthrough or trap, dropping
 * gaps and junk bits, shrinking immediates, and simplifying the table, memory, registers,
 * start pc, host policy and gas. `budget` bounds the number of candidate runs.
 */
export function minimise(
  original: FuzzCase,
  failure: FuzzFailure,
  budget = 4000,
): { case: FuzzCase; failure: FuzzFailure } {
  let best = cloneCase(original);
  best.gas = [failure.gas];
  let bestFailure = fails(best) ?? failure;
  let tries = 0;
  const attempt = (mutate: (c: FuzzCase) => boolean | void): boolean => {
    if (tries >= budget) return false;
    const candidate = cloneCase(best);
    if (mutate(candidate) === false) return false;
    tries++;
    const f = fails(candidate);
    if (!f) return false;
    best = candidate;
    bestFailure = f;
    return true;
  };
  for (let progress = true; progress && tries < budget;) {
    progress = false;
    for (let i = best.program.code.length - 1; i >= 0; i--) {
      if (i >= best.program.code.length) continue;
      if (attempt((c) => deleteInstruction(c, i))) {
        progress = true;
        continue;
      }
      const op = best.program.code[i].op;
      if (op !== OP.fallthrough && attempt((c) => void (c.program.code[i] = instruction(OP.fallthrough)))) {
        progress = true;
        continue;
      }
      if (op !== OP.trap && attempt((c) => void (c.program.code[i] = instruction(OP.trap)))) progress = true;
    }
    for (let i = 0; i < best.program.code.length; i++) {
      const ins = best.program.code[i];
      if (ins.pad.length > 0 && attempt((c) => void (c.program.code[i].pad = []))) progress = true;
      if (ins.junk !== 0 && attempt((c) => void (c.program.code[i].junk = 0))) progress = true;
      if (ins.cut !== 0 && attempt((c) => void (c.program.code[i].cut = 0))) progress = true;
      for (const field of ["x", "y"] as const) {
        const lenField = field === "x" ? "xLen" : "yLen";
        for (;;) {
          const cur = best.program.code[i];
          const v = cur[field];
          if (v === 0n) break;
          const smaller = v / 2n;
          const ok = attempt((c) => {
            const t = c.program.code[i];
            t[field] = smaller;
            if (t[lenField] !== 8) t[lenField] = shortestLength(Number(BigInt.asIntN(32, smaller)));
          });
          if (!ok) {
            if (v !== 0n && attempt((c) => void (c.program.code[i][field] = 0n))) progress = true;
            break;
          }
          progress = true;
        }
      }
    }
    while (best.program.table.length > 0 && attempt((c) => void c.program.table.pop())) progress = true;
    for (let i = best.memory.length - 1; i >= 0; i--) {
      if (attempt((c) => void c.memory.splice(i, 1))) progress = true;
      else if (best.memory[i].data && attempt((c) => void delete c.memory[i].data)) progress = true;
    }
    for (let r = 0; r < 13; r++) {
      if (best.registers[r] === 0n) continue;
      if (attempt((c) => void (c.registers[r] = 0n))) progress = true;
      else {
        while (best.registers[r] > 1n && attempt((c) => void (c.registers[r] /= 2n))) progress = true;
      }
    }
    if (best.host.write && attempt((c) => void (c.host.write = undefined))) progress = true;
    if (best.host.map && attempt((c) => void (c.host.map = undefined))) progress = true;
    if (best.heapStart !== undefined && attempt((c) => void (c.heapStart = undefined))) progress = true;
    if (best.load.gasModel && attempt((c) => void delete c.load.gasModel)) progress = true;
    if (best.load.isa && attempt((c) => void delete c.load.isa)) progress = true;
    if (best.host.gas.some((g) => g !== null) && attempt((c) => void (c.host.gas = [null]))) progress = true;
    for (const smaller of [0n, 1n, 2n]) {
      if (smaller < best.gas![0] && attempt((c) => void (c.gas = [smaller]))) progress = true;
    }
    while (best.gas![0] > 2n && attempt((c) => void (c.gas = [c.gas![0] / 2n]))) progress = true;
    for (let i = 0; i < 64 && best.gas![0] > 0n && attempt((c) => void (c.gas = [c.gas![0] - 1n])); i++) {
      progress = true;
    }
  }
  return { case: best, failure: bestFailure };
}

// ---------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------

const hex = (v: number | bigint) => "0x" + v.toString(16);

/** The blob as a hex string. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One line per instruction: pc, encoded bytes, opcode name and fields (used when no disassembler is at hand). */
export function listInstructions(program: FuzzProgram): string {
  const { pcs } = encodeProgram(program);
  const lines: string[] = [];
  program.code.forEach((ins, i) => {
    const bytes: number[] = [];
    encodeInstruction(
      ins,
      pcs[i],
      ins.to === undefined ? undefined : pcs[Math.min(ins.to, program.code.length)],
      bytes,
    );
    const name = infoOf(ins.op)?.name ?? `invalid(${ins.op})`;
    const target = ins.to === undefined ? "" : ` → pc ${pcs[Math.min(ins.to, program.code.length)]}`;
    lines.push(`  ${String(pcs[i]).padStart(5)}: ${name.padEnd(20)} ${toHex(new Uint8Array(bytes))}${target}`);
  });
  return lines.join("\n");
}

/** A readable description of a case's initial state. */
export function describeCase(c: FuzzCase): string {
  const encoded = encodeProgram(c.program);
  const o = caseOptions(c, encoded);
  const lines = [
    `seed: ${c.seed}`,
    `blob (${encoded.bytes.length} bytes): ${toHex(encoded.bytes)}`,
    `jump table (entry size ${c.program.entrySize}): [${
      c.program.table.map((e) => refValue(e, encoded.pcs)).join(", ")
    }]`,
    `start pc: ${o.pc}`,
    `registers: ${o.registers.map((r, i) => `r${i}=${hex(r)}`).join(" ")}`,
    `memory: ${
      c.memory.map((r) =>
        `{ address: ${hex(r.address)}, length: ${hex(r.length)}, access: ${r.access}${
          r.data ? `, data: ${toHex(r.data)}` : ""
        } }`
      ).join(", ") || "(none)"
    }`,
    `host: r7 = hostValue(call index); gas = [${c.host.gas.map((g) => (g === null ? "-" : String(g))).join(", ")}]` +
    (c.host.write ? `; write ${c.host.write.length} bytes at ${hex(c.host.write.address)}` : "") +
    (c.host.map ? `; at the first call map ${hex(c.host.map.address)} ${c.host.map.access}` : ""),
    `heap start: ${c.heapStart === undefined ? "default" : hex(c.heapStart)}`,
    `load: gas model ${c.load.gasModel ?? "per-instruction"}, ISA ${c.load.isa ?? "0.7.2"}`,
  ];
  if (c.gas) lines.push(`gas: ${c.gas.join(", ")}`);
  return lines.join("\n");
}

/** A readable description of a difference. */
export function describeFailure(f: FuzzFailure): string {
  const d = f.difference;
  return `with gas ${f.gas}, at exit #${d.step}, ${d.field}: interpreter ${String(d.interpreter)}, recompiler ${
    String(d.recompiler)
  }`;
}
