/**
 * PVM → WebAssembly translation.
 *
 * Every region (a run of consecutive compiled blocks) becomes one Wasm function of
 * type `(block: i32, gas: i64, r0..r12: i64) → status: i32`. Inside a region, a loop
 * around a `br_table` over nested blocks dispatches to the region's blocks; fall-through
 * into the next block costs nothing. Jumps to other regions and dynamic jumps leave by
 * `return_call`, so the Wasm stack never grows. Registers and gas live in locals and are
 * written to the VM context only when the code exits to the host.
 *
 * @module
 */
import type { DecodedProgram } from "../interpreter/predecode.ts";
import { ECALL_EXIT_ARG } from "../interpreter/interpreter.ts";
import { Op, OPCODE_BY_CODE } from "../isa/opcodes.ts";
import { analyse, type CompiledBlock, type ProgramLayout } from "./analysis.ts";
import { CONTEXT_OFFSET, CTX, ExitCode } from "./layout.ts";
import { Code, ModuleBuilder, T as WASM_TYPES, W as WASM_OPS } from "./wasm/mod.ts";

// Plain module-local copies: property reads on these stay cheap under any module loader
// (transpilers may turn imported bindings into getters).
const W = { ...WASM_OPS };
const T = { ...WASM_TYPES };

/** The result of translation: module bytes plus the tables the driver needs. */
export interface Translation {
  /** The Wasm module. */
  readonly bytes: Uint8Array;
  /** pc → [table slot of its region, block index], for every compiled entry point. */
  readonly entries: Map<number, readonly [number, number]>;
  /** Number of compiled blocks and regions. */
  readonly blockCount: number;
  readonly regionCount: number;
}

/** Options for {@link translate}. */
export interface TranslateOptions {
  /** Rotation of the guest memory (Wasm address = guest + rotation, mod 2^32). */
  rotation: number;
  /** Charge gas (default true). Turning it off is for measuring metering overhead only. */
  meterGas?: boolean;
  /**
   * Per-block gas (the 0.8 pipeline models): the cost of the block starting at each pc,
   * charged in advance; omitted for the per-instruction model (one unit per instruction).
   */
  blockCost?: Int32Array;
}

// Fixed local indices of a region function.
const L_BLOCK = 0;
const L_GAS = 1;
const reg = (r: number) => 2 + r;
const L_ADDR = 15; // i32: guest address
const L_WASM = 16; // i32: Wasm address / scratch
const L_STATUS = 17; // i32
const L_PC = 18; // i32
const L_ARG = 19; // i32
const L_REFUND = 20; // i64: gas to give back at a memory fault

const REGION_PARAMS = [T.i32, T.i64, ...new Array(13).fill(T.i64)];

/**
 * Translate a decoded program into a Wasm module.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { translate } from "./translate.ts";
 * const t = translate(predecode(parseBlob(new Uint8Array([0, 0, 1, 0, 1]))), { rotation: 0 });
 * console.log(WebAssembly.validate(t.bytes), t.regionCount); // true 1
 * ```
 */
export function translate(program: DecodedProgram, options: TranslateOptions): Translation {
  const layout = analyse(program);
  const m = new ModuleBuilder();
  const tRegion = m.type(REGION_PARAMS, [T.i32]);
  const tEnter = m.type([T.i32, T.i32], [T.i32]);
  const tSlow = m.type([T.i32, T.i32, T.i64], [T.i32]);
  const tSbrk = m.type([T.i64], [T.i64]);
  const tBinary = m.type([T.i64, T.i64], [T.i64]);
  const tUnary = m.type([T.i64], [T.i64]);

  const fSlow = m.importFunction("env", "slow", tSlow);
  const fSbrk = m.importFunction("env", "sbrk", tSbrk);
  m.importMemory("env", "memory", 0, 65536);
  const gPerm = m.importGlobal("env", "perm", T.i32, true);

  const fMulhu = m.addFunction(tBinary, mulhuBody());
  const fMulhs = m.addFunction(tBinary, mulSignedBody(fMulhu, true));
  const fMulhsu = m.addFunction(tBinary, mulSignedBody(fMulhu, false));
  const fBswap = m.addFunction(tUnary, bswapBody());

  const regionCount = layout.regionStart.length - 1;
  // Function indices are assigned in order: regions first, then jump-table stubs, then enter.
  const firstRegion = fBswap + 1;
  const regionFunc = (r: number) => firstRegion + r;

  const ctx: EmitContext = {
    program,
    layout,
    rotation: options.rotation >>> 0,
    meter: options.meterGas !== false,
    blockCost: options.blockCost,
    gPerm,
    fSlow,
    fSbrk,
    fMulhu,
    fMulhs,
    fMulhsu,
    fBswap,
    regionFunc,
    tRegion,
    stubBase: regionCount,
    code: new Code(REGION_PARAMS.length, 1 << 20),
  };
  for (let r = 0; r < regionCount; r++) {
    const index = m.addFunction(tRegion, regionBody(ctx, r));
    if (index !== regionFunc(r)) throw new Error("internal error: region function index mismatch");
  }

  // Jump-table stubs: one function per distinct target, one table slot per entry.
  const stubSlots: number[] = [];
  const stubByTarget = new Map<number, number>();
  const materialised = program.jumpTargets.length;
  for (let e = 0; e < materialised; e++) {
    const target = program.jumpTargets[e];
    let f = stubByTarget.get(target);
    if (f === undefined) {
      f = m.addFunction(tRegion, stubBody(ctx, target < 0 ? undefined : layout.blockAt.get(target)));
      stubByTarget.set(target, f);
    }
    stubSlots.push(f);
  }
  const fEnter = m.addFunction(tEnter, enterBody(ctx));
  const slots = regionCount + stubSlots.length;
  m.addTable(T.funcref, slots, slots);
  m.addElements(0, 0, [...Array.from({ length: regionCount }, (_, r) => regionFunc(r)), ...stubSlots]);
  m.exportFunction("enter", fEnter);

  const entries = entryPoints(program, layout, options.blockCost !== undefined);
  return { bytes: m.build(), entries, blockCount: layout.blocks.length, regionCount };
}

/**
 * Where compiled code may be entered from outside: pc → [table slot of its region, block
 * index]. Every compiled block, except, per block (`perBlock`), a block after an ecalli: it
 * charges nothing (its basic block is paid for), and a run starting there with the block
 * unpaid must charge the whole block, which the interpreter does.
 *
 * @example
 * ```ts
 * import { parseBlob } from "../program/blob.ts";
 * import { predecode } from "../interpreter/predecode.ts";
 * import { analyse } from "./analysis.ts";
 * import { entryPoints } from "./translate.ts";
 * // ecalli 1 ; trap: two compiled blocks, the second one the resume point after the ecalli
 * const p = predecode(parseBlob(new Uint8Array([0, 0, 3, 10, 1, 0, 0b101])));
 * console.log([...entryPoints(p, analyse(p), false).keys()], [...entryPoints(p, analyse(p), true).keys()]);
 * // [ 0, 2 ] [ 0 ]
 * ```
 */
export function entryPoints(
  program: DecodedProgram,
  layout: ProgramLayout,
  perBlock: boolean,
): Map<number, readonly [number, number]> {
  const entries = new Map<number, readonly [number, number]>();
  for (const block of layout.blocks) {
    if (perBlock && !program.blockStart[block.start]) continue;
    entries.set(block.start, [block.region, block.index]);
  }
  return entries;
}

interface EmitContext {
  readonly program: DecodedProgram;
  readonly layout: ProgramLayout;
  readonly rotation: number;
  readonly meter: boolean;
  readonly blockCost: Int32Array | undefined;
  readonly gPerm: number;
  readonly fSlow: number;
  readonly fSbrk: number;
  readonly fMulhu: number;
  readonly fMulhs: number;
  readonly fMulhsu: number;
  readonly fBswap: number;
  readonly regionFunc: (r: number) => number;
  readonly tRegion: number;
  readonly stubBase: number;
  /** One body buffer, reused for every region (finish() copies the bytes out). */
  readonly code: Code;
}

/** Push block index, gas and the registers, as a region call expects. */
function pushRegionArgs(c: Code, blockIndex: number | undefined): void {
  if (blockIndex === undefined) c.localGet(L_BLOCK);
  else c.i32Const(blockIndex);
  c.localGet(L_GAS);
  for (let r = 0; r < 13; r++) c.localGet(reg(r));
}

/** The body of one region function. */
function regionBody(ctx: EmitContext, region: number): Uint8Array {
  const { layout } = ctx;
  const first = layout.regionStart[region];
  const count = layout.regionStart[region + 1] - first;
  const c = ctx.code;
  c.reset(REGION_PARAMS.length);
  c.local(T.i32); // L_ADDR
  c.local(T.i32); // L_WASM
  c.local(T.i32); // L_STATUS
  c.local(T.i32); // L_PC
  c.local(T.i32); // L_ARG
  c.local(T.i64); // L_REFUND

  c.block(); // $exit
  c.block(); // $memoryExit: shared tail of every refused memory access
  c.loop(); // $dispatch
  for (let i = count - 1; i >= 0; i--) c.block();
  c.localGet(L_BLOCK);
  c.brTable(Array.from({ length: count }, (_, i) => i), count - 1);
  for (let i = 0; i < count; i++) {
    c.end(); // closes the Wasm block whose end is where block i's code starts
    const e = new BlockEmitter(ctx, c, layout.blocks[first + i], count);
    e.emit();
  }
  // The last block never falls through (its successor lies in another region or is a trap).
  c.unreachable();
  c.end(); // $dispatch
  c.end(); // $memoryExit
  // L_ARG holds the slow path's answer (status in the low bits, fault page above), L_PC the
  // access's pc and L_REFUND the gas paid for instructions that will not run.
  if (ctx.meter) {
    c.localGet(L_GAS);
    c.localGet(L_REFUND);
    c.op(W.i64_add);
    c.localSet(L_GAS);
  }
  c.localGet(L_ARG);
  c.i32Const(7);
  c.op(W.i32_and);
  c.localSet(L_STATUS);
  c.localGet(L_ARG);
  c.i32Const(-4096);
  c.op(W.i32_and);
  c.localSet(L_ARG);
  c.end(); // $exit
  // Spill the state to the context and return the status.
  const base = CONTEXT_OFFSET;
  c.globalGet(ctx.gPerm);
  c.localGet(L_GAS);
  c.store(W.i64_store, base + CTX.gas, 3);
  for (let r = 0; r < 13; r++) {
    c.globalGet(ctx.gPerm);
    c.localGet(reg(r));
    c.store(W.i64_store, base + CTX.regs + 8 * r, 3);
  }
  c.globalGet(ctx.gPerm);
  c.localGet(L_PC);
  c.store(W.i32_store, base + CTX.pc, 2);
  c.globalGet(ctx.gPerm);
  c.localGet(L_ARG);
  c.store(W.i32_store, base + CTX.arg, 2);
  c.localGet(L_STATUS);
  return c.finish();
}

/** Emits the code of one compiled block inside its region function. */
class BlockEmitter {
  /** Extra Wasm nesting (if/else, an inlined loop) opened inside this block's code. */
  private extra = 0;
  /** pc of the instruction being translated. */
  private pc = 0;
  private readonly p: DecodedProgram;

  constructor(
    private readonly ctx: EmitContext,
    private readonly c: Code,
    private readonly block: CompiledBlock,
    private readonly regionSize: number,
    /** Set when this block is emitted as part of a loop inlined at the head's position. */
    private readonly inline?: InlinedLoop,
  ) {
    this.p = ctx.program;
    if (inline) this.extra = 1; // inside the loop
  }

  /** Index of the block whose position in the region the code is emitted at. */
  private get position(): number {
    return this.inline ? this.inline.head.index : this.block.index;
  }

  /** Branch depth of the region's dispatch loop from here. */
  private get dispatchDepth(): number {
    return this.regionSize - 1 - this.position + this.extra;
  }

  /** Branch depth of the region's exit block from here. */
  private get exitDepth(): number {
    return this.dispatchDepth + 2;
  }

  /** Branch depth of the region's shared memory-exit tail from here. */
  private get memoryExitDepth(): number {
    return this.dispatchDepth + 1;
  }

  /**
   * Gas charged on entering this block: its instruction count (per instruction), or its
   * simulated cost if it starts a basic block (per block; a block starting after an
   * ecalli is part of a block that is already paid for).
   */
  private get charge(): number {
    const { block, ctx } = this;
    if (!ctx.blockCost) return block.length;
    return this.p.blockStart[block.start] ? ctx.blockCost[block.start] : 0;
  }

  /** Gas to give back when leaving at the k-th instruction (0-based): only per instruction. */
  private refundAt(k: number): number {
    return this.ctx.blockCost ? 0 : this.block.length - 1 - k;
  }

  emit(): void {
    const { c, block } = this;
    if (!this.inline) {
      const loop = loopChain(this.ctx, block);
      if (loop) return this.emitInlinedLoop(loop);
    }
    const charge = this.charge;
    const unroll = this.inline ? 1 : this.selfLoopUnroll();
    if (unroll > 1) this.emitUnrolledLoop(unroll);
    if (this.ctx.meter && charge > 0) {
      // Not enough gas for the block. Per instruction: the interpreter finds the exact
      // instruction; per block: out of gas right here, with gas unchanged.
      c.localGet(L_GAS);
      c.i64Const(charge);
      c.op(W.i64_lt_s);
      this.openIf();
      this.exit(this.ctx.blockCost ? ExitCode.oog : ExitCode.interpret, block.start, 0);
      this.closeIf();
      c.localGet(L_GAS);
      c.i64Const(charge);
      c.op(W.i64_sub);
      c.localSet(L_GAS);
    }
    for (let k = 0, pc = block.start; k < block.length; k++, pc = this.p.next[pc]) {
      this.instruction(pc, this.refundAt(k));
    }
  }

  /**
   * A loop of several consecutive blocks (this one first) that branches back to its start:
   * its blocks' code is emitted again inside a Wasm `loop` at this block's position, so the
   * back edge is a plain `br` instead of a trip through the region's dispatch table. Each
   * copy charges and checks gas as its block does; every other exit leaves as usual.
   */
  private emitInlinedLoop(chain: readonly CompiledBlock[]): void {
    const c = this.c;
    c.loop();
    chain.forEach((block, i) => {
      new BlockEmitter(this.ctx, c, block, this.regionSize, { head: this.block, next: chain[i + 1] }).emit();
    });
    c.end();
  }

  /**
   * How many iterations of this block to run per gas check, if it is a small loop that
   * branches back to its own start (1 = no unrolling). Charging several iterations at
   * once keeps metering cheap in tight loops; the per-iteration path below stays for
   * when gas runs low, so out-of-gas is still found exactly (by the interpreter).
   */
  private selfLoopUnroll(): number {
    const { p, block } = this;
    if (block.length > MAX_UNROLLED_BODY) return 1;
    const last = lastInstruction(p, block);
    const o = p.op[last];
    const loops = (o === Op.jump || o === Op.load_imm_jump || isConditionalBranch(o)) && p.target[last] === block.start;
    return loops ? Math.max(1, Math.min(MAX_UNROLL, Math.floor(UNROLLED_INSTRUCTIONS / block.length))) : 1;
  }

  /**
   * The unrolled fast path of a self-loop: if gas covers `unroll` iterations, charge them
   * at once and run the copies; an iteration that leaves the loop refunds the iterations
   * it did not run. Falls through to the per-iteration code when gas is short.
   */
  private emitUnrolledLoop(unroll: number): void {
    const { c, p, block } = this;
    const cost = block.length;
    const perIteration = this.charge;
    const charge = unroll * perIteration;
    c.block(); // $short: gas does not cover `unroll` iterations
    this.extra++;
    c.loop(); // $fast
    this.extra++;
    if (this.ctx.meter) {
      c.localGet(L_GAS);
      c.i64Const(charge);
      c.op(W.i64_lt_s);
      c.brIf(1);
      c.localGet(L_GAS);
      c.i64Const(charge);
      c.op(W.i64_sub);
      c.localSet(L_GAS);
    }
    for (let copy = 1; copy <= unroll; copy++) {
      let pc = block.start;
      for (let k = 0; k < cost - 1; k++, pc = p.next[pc]) {
        // An exit inside copy `copy` keeps that iteration's charge (per block) or the
        // instructions run so far (per instruction), and refunds the rest.
        this.instruction(pc, (unroll - copy) * perIteration + this.refundAt(k));
      }
      // The terminator: staying in the loop continues with the next copy (or the loop head).
      const o = p.op[pc];
      const last = copy === unroll;
      if (o === Op.jump || o === Op.load_imm_jump) {
        if (o === Op.load_imm_jump) {
          this.immX(pc);
          this.setReg(p.ra[pc]);
        }
        if (last) c.br(0);
        continue;
      }
      this.pushBranchCondition(pc, o);
      if (last) {
        c.brIf(0);
      } else {
        c.op(W.i32_eqz);
        this.openIf();
      }
      // Leaving the loop after this copy: refund the copies not run, continue after the loop.
      const refund = (unroll - copy) * perIteration;
      if (refund > 0 && this.ctx.meter) {
        c.localGet(L_GAS);
        c.i64Const(refund);
        c.op(W.i64_add);
        c.localSet(L_GAS);
      }
      this.fallTo(p.next[pc]);
      if (!last) this.closeIf();
    }
    c.end(); // $fast
    this.extra--;
    c.end(); // $short
    this.extra--;
  }

  private openIf(type: number = T.void): void {
    this.c.if(type);
    this.extra++;
  }

  private closeIf(): void {
    this.c.end();
    this.extra--;
  }

  /** Leave the region with `status` at `pc`, refunding gas paid for instructions not run. */
  private exit(status: number, pc: number, refund: number, arg?: number): void {
    const c = this.c;
    if (refund > 0 && this.ctx.meter) {
      c.localGet(L_GAS);
      c.i64Const(refund);
      c.op(W.i64_add);
      c.localSet(L_GAS);
    }
    c.i32Const(status);
    c.localSet(L_STATUS);
    c.i32Const(pc);
    c.localSet(L_PC);
    if (arg !== undefined) {
      c.i32Const(arg | 0);
      c.localSet(L_ARG);
    }
    c.br(this.exitDepth);
  }

  /** Continue at block start `target` (a static jump or branch), or panic at `from` if invalid. */
  private jumpTo(target: number, from: number): void {
    const tb = target >= 0 ? this.ctx.layout.blockAt.get(target) : undefined;
    if (!tb) return this.exit(ExitCode.panic, from, 0);
    if (this.inline && tb === this.inline.head) return this.c.br(this.extra - 1); // the inlined loop's back edge
    this.goto(tb);
  }

  /** Continue at compiled block `tb`. */
  private goto(tb: CompiledBlock): void {
    const c = this.c;
    if (tb.region === this.block.region) {
      c.i32Const(tb.index);
      c.localSet(L_BLOCK);
      c.br(this.dispatchDepth);
    } else {
      pushRegionArgs(c, tb.index);
      c.returnCall(this.ctx.regionFunc(tb.region));
    }
  }

  /** Continue at `pc` by falling through (end of a block, or a branch not taken). */
  private fallTo(pc: number): void {
    const tb = this.ctx.layout.blockAt.get(pc);
    if (!tb) {
      // Not a valid instruction start (or past the end): the interpreter runs the trap there.
      return this.exit(ExitCode.interpret, pc, 0);
    }
    const natural = this.inline
      ? tb === this.inline.next && this.extra === 1 // the next inlined block follows right here
      : tb.region === this.block.region && tb.index === this.block.index + 1 && this.extra === 0;
    if (!natural) this.goto(tb);
  }

  private getReg(r2: number): void {
    this.c.localGet(reg(r2 >> 1));
  }

  private setReg(r2: number): void {
    this.c.localSet(reg(r2 >> 1));
  }

  /** Push the 64-bit immediate X of the instruction at pc. */
  private immX(pc: number): void {
    const p = this.p;
    const x = p.x[pc], xh = p.xh[pc];
    // Sign-extended 32-bit immediates (all but load_imm_64) need no BigInt.
    this.c.i64Const(xh === x >> 31 ? x : (BigInt(xh) << 32n) | BigInt(x >>> 0));
  }

  private instruction(pc: number, refund: number): void {
    const { c, p } = this;
    this.pc = pc;
    const o = p.op[pc];
    const a = p.ra[pc], b = p.rb[pc], d = p.rd[pc];
    const x = p.x[pc];
    switch (o) {
      case 0: // trap (and every invalid position)
        return this.exit(ExitCode.panic, pc, refund);
      case 1: // fallthrough
        return this.fallTo(p.next[pc]);
      case 2: // unlikely (0.8 profiles): a hint, no effect; it ends the block in javm
        return p.cost[pc] === 1 ? this.fallTo(p.next[pc]) : undefined;
      case 3: // ecall (javm): a host exit like ecalli, with the ecall marker as argument
        return this.exit(ExitCode.host, pc, refund, ECALL_EXIT_ARG);
      case 10: // ecalli: always the last instruction of its compiled block
        return this.exit(ExitCode.host, pc, refund, x);
      case 20: // load_imm_64
      case 51: // load_imm
        this.immX(pc);
        return this.setReg(a);
      case 40: // jump
        return this.jumpTo(p.target[pc], pc);
      case 80: // load_imm_jump
        this.immX(pc);
        this.setReg(a);
        return this.jumpTo(p.target[pc], pc);
      case 50: // jump_ind
        this.getReg(a);
        c.op(W.i32_wrap_i64);
        c.i32Const(x);
        c.op(W.i32_add);
        return this.dynamicJump(pc);
      case 180: // load_imm_jump_ind: the target uses rB before rA is written
        this.getReg(b);
        c.op(W.i32_wrap_i64);
        c.i32Const(p.y[pc]);
        c.op(W.i32_add);
        c.localSet(L_ADDR);
        this.immX(pc);
        this.setReg(a);
        c.localGet(L_ADDR);
        return this.dynamicJump(pc);
      case 100: // move_reg
        this.getReg(a);
        return this.setReg(d);
      case 101: // sbrk
        this.getReg(a);
        c.call(this.ctx.fSbrk);
        return this.setReg(d);
      case 240: // memset (PolkaVM): the interpreter runs it and the rest of its block (already paid for per block)
        return this.exit(ExitCode.interpret, pc, refund + (this.ctx.blockCost ? 0 : 1));
      case 241: // mul_upper_s_s_32: high word of s32 × s32, sign-extended
      case 242: // mul_upper_u_u_32: of u32 × u32
      case 243: // mul_upper_s_u_32: of s32 × u32
        this.getReg(a);
        if (o === 242) c.i64Const(0xffffffff), c.op(W.i64_and);
        else c.op(W.i64_extend32_s);
        this.getReg(b);
        if (o === 241) c.op(W.i64_extend32_s);
        else c.i64Const(0xffffffff), c.op(W.i64_and);
        c.op(W.i64_mul);
        c.i64Const(32);
        c.op(o === 242 ? W.i64_shr_u : W.i64_shr_s);
        c.op(W.i64_extend32_s);
        return this.setReg(d);
      case 244: // reverse_bytes_32: bswap of the low word, sign-extended
        this.getReg(a);
        c.call(this.ctx.fBswap);
        c.i64Const(32);
        c.op(W.i64_shr_s);
        return this.setReg(d);
    }
    if (isConditionalBranch(o)) return this.branch(pc, o);
    if ((o >= 30 && o <= 33) || (o >= 70 && o <= 73)) return this.storeImmediate(pc, o, refund);
    if ((o >= 52 && o <= 58) || (o >= 124 && o <= 130)) return this.load(pc, o, refund);
    if ((o >= 59 && o <= 62) || (o >= 120 && o <= 123)) return this.storeRegister(pc, o, refund);
    if (o >= 102 && o <= 111) return this.unary(o, a, d);
    if (o >= 131 && o <= 161) return this.withImmediate(pc, o, a, b);
    if (o >= 190 && o <= 230) return this.threeRegisters(o, a, b, d);
    throw new Error(`internal error: no translation for opcode ${o} (${OPCODE_BY_CODE[o]?.name})`);
  }

  /** Address on the stack (i32): halt, panic, or tail-call the jump-table stub. */
  private dynamicJump(pc: number): void {
    const { c, p, ctx } = this;
    c.localSet(L_ADDR);
    c.localGet(L_ADDR);
    c.i32Const(0xffff0000 | 0);
    c.op(W.i32_eq);
    this.openIf();
    this.exit(ExitCode.halt, pc, 0);
    this.closeIf();
    // index = rotr(addr - 2, 1): odd addresses and 0 become ≥ 2^31, failing the bound check.
    c.localGet(L_ADDR);
    c.i32Const(2);
    c.op(W.i32_sub);
    c.i32Const(1);
    c.op(W.i32_rotr);
    c.localTee(L_WASM);
    c.i32Const(Math.min(p.jumpTableCount, 0x7fffffff));
    c.op(W.i32_ge_u);
    this.openIf();
    this.exit(ExitCode.panic, pc, 0);
    this.closeIf();
    if (p.jumpTargets.length < p.jumpTableCount) {
      // A zero-width table: every entry is offset 0.
      return this.jumpTo(p.blockStart[0] ? 0 : -1, pc);
    }
    // Invalid-entry stubs report the panic at the pc stored here.
    c.globalGet(ctx.gPerm);
    c.i32Const(pc);
    c.store(W.i32_store, CONTEXT_OFFSET + CTX.pc, 2);
    pushRegionArgs(c, 0);
    c.localGet(L_WASM);
    c.i32Const(ctx.stubBase);
    c.op(W.i32_add);
    c.returnCallIndirect(ctx.tRegion, 0);
  }

  private branch(pc: number, o: number): void {
    const p = this.p;
    this.pushBranchCondition(pc, o);
    this.openIf();
    this.jumpTo(p.target[pc], pc);
    this.closeIf();
    this.fallTo(p.next[pc]);
  }

  /** Push the i32 condition of the branch at pc (opcode o): non-zero when taken. */
  private pushBranchCondition(pc: number, o: number): void {
    const { c, p } = this;
    const withImmediate = o < 100;
    this.getReg(p.ra[pc]);
    if (withImmediate) this.immX(pc);
    else this.getReg(p.rb[pc]);
    const kind = withImmediate ? o - 81 : [0, 1, 2, 6, 4, 8][o - 170];
    // 0 eq, 1 ne, 2 lt_u, 3 le_u, 4 ge_u, 5 gt_u, 6 lt_s, 7 le_s, 8 ge_s, 9 gt_s
    c.op(
      [
        W.i64_eq,
        W.i64_ne,
        W.i64_lt_u,
        W.i64_le_u,
        W.i64_ge_u,
        W.i64_gt_u,
        W.i64_lt_s,
        W.i64_le_s,
        W.i64_ge_s,
        W.i64_gt_s,
      ][kind],
    );
  }

  /** Push the guest address of the current access: X, or (rBase + X) mod 2^32. */
  private pushAddress(base: number, pc: number): void {
    const c = this.c;
    if (base >= 0) {
      this.getReg(base);
      c.op(W.i32_wrap_i64);
      c.i32Const(this.p.x[pc]);
      c.op(W.i32_add);
    } else c.i32Const(this.p.x[pc]);
  }

  /** Push the value of the current store: the immediate Y, or register `source`. */
  private pushValue(source: number, pc: number): void {
    if (source >= 0) this.getReg(source);
    else this.c.i64Const(this.p.y[pc]);
  }

  /**
   * A memory access of `n` bytes at X or rBase + X (`base` ≥ 0), with its permission check.
   * Stores write register `source` (or the immediate Y when `source` < 0); loads write `dest`.
   */
  private access(
    pc: number,
    refund: number,
    n: number,
    write: boolean,
    signed: boolean,
    base: number,
    source: number,
    dest: number,
  ): void {
    const { c, ctx } = this;
    this.pushAddress(base, pc);
    c.localTee(L_ADDR);
    c.i32Const(ctx.rotation | 0);
    c.op(W.i32_add);
    c.localTee(L_WASM);
    c.i32Const(12);
    c.op(W.i32_shr_u);
    c.globalGet(ctx.gPerm);
    c.op(W.i32_add);
    c.load(W.i32_load8_u, 0, 0);
    c.i32Const(write ? 2 : 1);
    c.op(W.i32_and);
    c.op(W.i32_eqz);
    if (n > 1) {
      c.localGet(L_WASM);
      c.i32Const(4095);
      c.op(W.i32_and);
      c.i32Const(4096 - n);
      c.op(W.i32_gt_u);
      c.op(W.i32_or);
    }
    this.openIf();
    // Slow path: the host checks exactly and performs the access if allowed.
    c.localGet(L_ADDR);
    c.i32Const(n | (write ? 16 : 0) | (signed ? 32 : 0));
    if (write) this.pushValue(source, pc);
    else c.i64Const(0);
    c.call(ctx.fSlow);
    c.localTee(L_ARG);
    this.openIf();
    c.i32Const(pc);
    c.localSet(L_PC);
    // L_REFUND starts at 0 and is set only on the way out: nothing to do for a zero refund
    // (always the case when block costs are charged in advance).
    if (ctx.meter && refund !== 0) {
      c.i64Const(refund);
      c.localSet(L_REFUND);
    }
    c.br(this.memoryExitDepth);
    this.closeIf();
    if (!write) {
      c.globalGet(ctx.gPerm);
      c.load(W.i64_load, CONTEXT_OFFSET + CTX.scratch, 3);
      this.setReg(dest);
    }
    c.else();
    c.localGet(L_WASM);
    if (write) {
      this.pushValue(source, pc);
      c.store(n === 1 ? W.i64_store8 : n === 2 ? W.i64_store16 : n === 4 ? W.i64_store32 : W.i64_store, 0, 0);
    } else {
      const op = n === 1
        ? (signed ? W.i64_load8_s : W.i64_load8_u)
        : n === 2
        ? (signed ? W.i64_load16_s : W.i64_load16_u)
        : n === 4
        ? (signed ? W.i64_load32_s : W.i64_load32_u)
        : W.i64_load;
      c.load(op, 0, 0);
      this.setReg(dest);
    }
    this.closeIf();
  }

  private storeImmediate(pc: number, o: number, refund: number): void {
    const k = o < 70 ? o - 30 : o - 70;
    this.access(pc, refund, 1 << k, true, false, o < 70 ? -1 : this.p.ra[pc], -1, 0);
  }

  private load(pc: number, o: number, refund: number): void {
    const k = o < 100 ? o - 52 : o - 124;
    const n = k < 2 ? 1 : k < 4 ? 2 : k < 6 ? 4 : 8;
    const signed = (k & 1) === 1 && k < 6;
    this.access(pc, refund, n, false, signed, o < 100 ? -1 : this.p.rb[pc], -1, this.p.ra[pc]);
  }

  private storeRegister(pc: number, o: number, refund: number): void {
    const k = o < 100 ? o - 59 : o - 120;
    this.access(pc, refund, 1 << k, true, false, o < 100 ? -1 : this.p.rb[pc], this.p.ra[pc], 0);
  }

  /** count/leading/trailing zero bits, sign/zero extension, byte reversal: rD ← f(rA). */
  private unary(o: number, a: number, d: number): void {
    const c = this.c;
    this.getReg(a);
    switch (o) {
      case 102:
        c.op(W.i64_popcnt);
        break;
      case 104:
        c.op(W.i64_clz);
        break;
      case 106:
        c.op(W.i64_ctz);
        break;
      case 103:
      case 105:
      case 107:
        c.op(W.i32_wrap_i64);
        c.op(o === 103 ? W.i32_popcnt : o === 105 ? W.i32_clz : W.i32_ctz);
        c.op(W.i64_extend_i32_u);
        break;
      case 108:
        c.op(W.i64_extend8_s);
        break;
      case 109:
        c.op(W.i64_extend16_s);
        break;
      case 110:
        c.i64Const(0xffff);
        c.op(W.i64_and);
        break;
      default: // 111 reverse_bytes
        c.call(this.ctx.fBswap);
    }
    this.setReg(d);
  }

  /** Push an operand of the current instruction: rA, rB or the immediate X. */
  private operand(which: number, pc: number): void {
    const p = this.p;
    if (which === A) this.getReg(p.ra[pc]);
    else if (which === B) this.getReg(p.rb[pc]);
    else this.immX(pc);
  }

  /** An entry of {@link SIMPLE}: `first op second`, then the result adjustment. */
  private simple(pc: number, form: SimpleForm): void {
    const c = this.c;
    const [first, second, op, post] = form;
    this.operand(first, pc);
    if (post === OP32) c.op(W.i32_wrap_i64);
    this.operand(second, pc);
    if (post === OP32) c.op(W.i32_wrap_i64);
    c.op(op);
    if (post === EXT32) c.op(W.i64_extend32_s);
    else if (post === BOOL) c.op(W.i64_extend_i32_u);
    else if (post === OP32) c.op(W.i64_extend_i32_s);
  }

  /** Two registers + immediate: rA ← f(rB, X). */
  private withImmediate(pc: number, o: number, a: number, b: number): void {
    const c = this.c;
    const form = SIMPLE.get(o);
    if (form) this.simple(pc, form);
    else {
      // cmov_iz_imm / cmov_nz_imm: rA ← (rB = 0) = iz ? X : rA
      this.immX(pc);
      this.getReg(a);
      this.getReg(b);
      c.op(W.i64_eqz);
      if (o === Op.cmov_nz_imm) c.op(W.i32_eqz);
      c.op(W.select);
    }
    this.setReg(a);
  }

  /** Three registers: rD ← f(rA, rB). */
  private threeRegisters(o: number, a: number, b: number, d: number): void {
    const c = this.c;
    const form = SIMPLE.get(o);
    if (form) {
      this.simple(this.pc, form);
      return this.setReg(d);
    }
    switch (o) {
      case 193: // div_u_32: divisor 0 → 2^64 − 1
        this.getReg(b), c.op(W.i32_wrap_i64), c.op(W.i32_eqz);
        this.openIf(T.i64);
        c.i64Const(-1);
        c.else();
        this.simple(this.pc, [A, B, W.i32_div_u, OP32]);
        this.closeIf();
        break;
      case 194: // div_s_32: divisor 0 → 2^64 − 1; MIN / −1 → MIN (sign-extended)
        this.getReg(b), c.op(W.i32_wrap_i64), c.op(W.i32_eqz);
        this.openIf(T.i64);
        c.i64Const(-1);
        c.else();
        this.getReg(a), c.op(W.i32_wrap_i64), c.i32Const(-0x80000000), c.op(W.i32_eq);
        this.getReg(b), c.op(W.i32_wrap_i64), c.i32Const(-1), c.op(W.i32_eq);
        c.op(W.i32_and);
        c.if(T.i64);
        this.getReg(a), c.op(W.i64_extend32_s);
        c.else();
        this.simple(this.pc, [A, B, W.i32_div_s, OP32]);
        c.end();
        this.closeIf();
        break;
      case 195: // rem_u_32: divisor 0 → sx32(a)
      case 196: // rem_s_32: divisor 0 → sx32(a); MIN rem −1 is 0 in Wasm too
        this.getReg(b), c.op(W.i32_wrap_i64), c.op(W.i32_eqz);
        this.openIf(T.i64);
        this.getReg(a), c.op(W.i64_extend32_s);
        c.else();
        this.simple(this.pc, [A, B, o === 195 ? W.i32_rem_u : W.i32_rem_s, OP32]);
        this.closeIf();
        break;
      case 203: // div_u_64
      case 204: // div_s_64
        this.getReg(b), c.op(W.i64_eqz);
        this.openIf(T.i64);
        c.i64Const(-1);
        c.else();
        if (o === 203) this.getReg(a), this.getReg(b), c.op(W.i64_div_u);
        else {
          this.getReg(a), c.i64Const(-(1n << 63n)), c.op(W.i64_eq);
          this.getReg(b), c.i64Const(-1), c.op(W.i64_eq);
          c.op(W.i32_and);
          c.if(T.i64);
          this.getReg(a);
          c.else();
          this.getReg(a), this.getReg(b), c.op(W.i64_div_s);
          c.end();
        }
        this.closeIf();
        break;
      case 205: // rem_u_64
      case 206: // rem_s_64 (MIN rem −1 is 0 in Wasm too)
        this.getReg(b), c.op(W.i64_eqz);
        this.openIf(T.i64);
        this.getReg(a);
        c.else();
        this.getReg(a), this.getReg(b), c.op(o === 205 ? W.i64_rem_u : W.i64_rem_s);
        this.closeIf();
        break;
      case 213:
        this.getReg(a), this.getReg(b), c.call(this.ctx.fMulhs);
        break;
      case 214:
        this.getReg(a), this.getReg(b), c.call(this.ctx.fMulhu);
        break;
      case 215:
        this.getReg(a), this.getReg(b), c.call(this.ctx.fMulhsu);
        break;
      case 218: // cmov_iz: rD ← b = 0 ? a : d
      case 219: // cmov_nz
        this.getReg(a), this.getReg(d), this.getReg(b), c.op(W.i64_eqz);
        if (o === 219) c.op(W.i32_eqz);
        c.op(W.select);
        break;
      case 224: // and_inv
        this.getReg(a), this.getReg(b), c.i64Const(-1), c.op(W.i64_xor), c.op(W.i64_and);
        break;
      case 225: // or_inv
        this.getReg(a), this.getReg(b), c.i64Const(-1), c.op(W.i64_xor), c.op(W.i64_or);
        break;
      case 226: // xnor
        this.getReg(a), this.getReg(b), c.op(W.i64_xor), c.i64Const(-1), c.op(W.i64_xor);
        break;
      default: { // 227 max, 228 max_u, 229 min, 230 min_u
        const cmp = o === 227 ? W.i64_gt_s : o === 228 ? W.i64_gt_u : o === 229 ? W.i64_lt_s : W.i64_lt_u;
        this.getReg(a), this.getReg(b), this.getReg(a), this.getReg(b), c.op(cmp), c.op(W.select);
      }
    }
    this.setReg(d);
  }
}

/** Conditional branches: `branch_*_imm` (81..90) and `branch_*` (170..175). */
const isConditionalBranch = (o: number) => (o >= 81 && o <= 90) || (o >= 170 && o <= 175);

/** pc of a block's last instruction. */
function lastInstruction(p: DecodedProgram, block: CompiledBlock): number {
  let last = block.start;
  for (let k = 1; k < block.length; k++) last = p.next[last];
  return last;
}

/** A loop inlined at its head's position (see `BlockEmitter.emitInlinedLoop`). */
interface InlinedLoop {
  /** The loop's first block, where its code sits and where the back edge goes. */
  readonly head: CompiledBlock;
  /** The block inlined right after this one (undefined for the last). */
  readonly next: CompiledBlock | undefined;
}

/** Longest loop (blocks, instructions) inlined at its head. */
const MAX_INLINED_LOOP_BLOCKS = 4;
const MAX_INLINED_LOOP_INSTRUCTIONS = 24;

/**
 * The blocks of a small loop starting at `head`: consecutive blocks of one region, each but
 * the last ending in a fall-through or a conditional branch that falls through into the
 * next, the last ending in a jump or branch back to `head`. Undefined if there is no such
 * loop of two or more blocks (one-block loops are unrolled instead).
 */
function loopChain(ctx: EmitContext, head: CompiledBlock): CompiledBlock[] | undefined {
  const { program: p, layout } = ctx;
  const chain: CompiledBlock[] = [];
  let instructions = 0;
  for (let k = 0; k < MAX_INLINED_LOOP_BLOCKS; k++) {
    const block = layout.blocks[layout.regionStart[head.region] + head.index + k];
    if (!block || block.region !== head.region) return undefined;
    chain.push(block);
    instructions += block.length;
    if (instructions > MAX_INLINED_LOOP_INSTRUCTIONS) return undefined;
    const last = lastInstruction(p, block);
    const o = p.op[last];
    const branch = isConditionalBranch(o);
    if ((branch || o === Op.jump) && p.target[last] === head.start) return k > 0 ? chain : undefined;
    if (!branch && o !== Op.fallthrough) return undefined;
    if (p.next[last] !== layout.blocks[layout.regionStart[head.region] + head.index + k + 1]?.start) return undefined;
  }
  return undefined;
}

/** Self-loops with longer bodies are not unrolled. */
const MAX_UNROLLED_BODY = 24;
/** Most copies of an unrolled loop body. */
const MAX_UNROLL = 8;
/** Aim for about this many instructions per gas check in unrolled loops. */
const UNROLLED_INSTRUCTIONS = 48;

// Operands and result adjustments of the table-driven binary operations.
const A = 0, B = 1, X = 2;
const NONE = 0, EXT32 = 1, BOOL = 2, OP32 = 3;
/** [first operand, second operand, Wasm opcode, adjustment]: OP32 runs the Wasm op on the low words and sign-extends. */
type SimpleForm = readonly [number, number, number, number];

/** Every PVM operation that is one Wasm operator on two operands. */
const SIMPLE: ReadonlyMap<number, SimpleForm> = new Map<number, SimpleForm>([
  [Op.add_imm_32, [B, X, W.i64_add, EXT32]],
  [Op.and_imm, [B, X, W.i64_and, NONE]],
  [Op.xor_imm, [B, X, W.i64_xor, NONE]],
  [Op.or_imm, [B, X, W.i64_or, NONE]],
  [Op.mul_imm_32, [B, X, W.i64_mul, EXT32]],
  [Op.set_lt_u_imm, [B, X, W.i64_lt_u, BOOL]],
  [Op.set_lt_s_imm, [B, X, W.i64_lt_s, BOOL]],
  [Op.shlo_l_imm_32, [B, X, W.i32_shl, OP32]],
  [Op.shlo_r_imm_32, [B, X, W.i32_shr_u, OP32]],
  [Op.shar_r_imm_32, [B, X, W.i32_shr_s, OP32]],
  [Op.neg_add_imm_32, [X, B, W.i64_sub, EXT32]],
  [Op.set_gt_u_imm, [B, X, W.i64_gt_u, BOOL]],
  [Op.set_gt_s_imm, [B, X, W.i64_gt_s, BOOL]],
  [Op.shlo_l_imm_alt_32, [X, B, W.i32_shl, OP32]],
  [Op.shlo_r_imm_alt_32, [X, B, W.i32_shr_u, OP32]],
  [Op.shar_r_imm_alt_32, [X, B, W.i32_shr_s, OP32]],
  [Op.add_imm_64, [B, X, W.i64_add, NONE]],
  [Op.mul_imm_64, [B, X, W.i64_mul, NONE]],
  [Op.shlo_l_imm_64, [B, X, W.i64_shl, NONE]],
  [Op.shlo_r_imm_64, [B, X, W.i64_shr_u, NONE]],
  [Op.shar_r_imm_64, [B, X, W.i64_shr_s, NONE]],
  [Op.neg_add_imm_64, [X, B, W.i64_sub, NONE]],
  [Op.shlo_l_imm_alt_64, [X, B, W.i64_shl, NONE]],
  [Op.shlo_r_imm_alt_64, [X, B, W.i64_shr_u, NONE]],
  [Op.shar_r_imm_alt_64, [X, B, W.i64_shr_s, NONE]],
  [Op.rot_r_64_imm, [B, X, W.i64_rotr, NONE]],
  [Op.rot_r_64_imm_alt, [X, B, W.i64_rotr, NONE]],
  [Op.rot_r_32_imm, [B, X, W.i32_rotr, OP32]],
  [Op.rot_r_32_imm_alt, [X, B, W.i32_rotr, OP32]],
  [Op.add_32, [A, B, W.i64_add, EXT32]],
  [Op.sub_32, [A, B, W.i64_sub, EXT32]],
  [Op.mul_32, [A, B, W.i64_mul, EXT32]],
  [Op.shlo_l_32, [A, B, W.i32_shl, OP32]],
  [Op.shlo_r_32, [A, B, W.i32_shr_u, OP32]],
  [Op.shar_r_32, [A, B, W.i32_shr_s, OP32]],
  [Op.add_64, [A, B, W.i64_add, NONE]],
  [Op.sub_64, [A, B, W.i64_sub, NONE]],
  [Op.mul_64, [A, B, W.i64_mul, NONE]],
  [Op.shlo_l_64, [A, B, W.i64_shl, NONE]],
  [Op.shlo_r_64, [A, B, W.i64_shr_u, NONE]],
  [Op.shar_r_64, [A, B, W.i64_shr_s, NONE]],
  [Op.and, [A, B, W.i64_and, NONE]],
  [Op.xor, [A, B, W.i64_xor, NONE]],
  [Op.or, [A, B, W.i64_or, NONE]],
  [Op.set_lt_u, [A, B, W.i64_lt_u, BOOL]],
  [Op.set_lt_s, [A, B, W.i64_lt_s, BOOL]],
  [Op.rot_l_64, [A, B, W.i64_rotl, NONE]],
  [Op.rot_l_32, [A, B, W.i32_rotl, OP32]],
  [Op.rot_r_64, [A, B, W.i64_rotr, NONE]],
  [Op.rot_r_32, [A, B, W.i32_rotr, OP32]],
]);

/** A jump-table stub: continue at the target block, or report a panic at the stored pc. */
function stubBody(ctx: EmitContext, target: CompiledBlock | undefined): Uint8Array {
  const c = new Code(REGION_PARAMS.length);
  if (target) {
    c.i32Const(target.index);
    for (let i = 1; i < REGION_PARAMS.length; i++) c.localGet(i);
    c.returnCall(ctx.regionFunc(target.region));
    return c.finish();
  }
  // Spill gas and registers; ctx.pc already holds the jump's pc.
  c.globalGet(ctx.gPerm);
  c.localGet(L_GAS);
  c.store(W.i64_store, CONTEXT_OFFSET + CTX.gas, 3);
  for (let r = 0; r < 13; r++) {
    c.globalGet(ctx.gPerm);
    c.localGet(reg(r));
    c.store(W.i64_store, CONTEXT_OFFSET + CTX.regs + 8 * r, 3);
  }
  c.i32Const(ExitCode.panic);
  return c.finish();
}

/** `enter(slot, block)`: load gas and registers from the context and tail-call the region. */
function enterBody(ctx: EmitContext): Uint8Array {
  const c = new Code(2);
  c.localGet(1);
  c.globalGet(ctx.gPerm);
  c.load(W.i64_load, CONTEXT_OFFSET + CTX.gas, 3);
  for (let r = 0; r < 13; r++) {
    c.globalGet(ctx.gPerm);
    c.load(W.i64_load, CONTEXT_OFFSET + CTX.regs + 8 * r, 3);
  }
  c.localGet(0);
  c.returnCallIndirect(ctx.tRegion, 0);
  return c.finish();
}

/** High 64 bits of the unsigned 128-bit product, from four 32×32 products. */
function mulhuBody(): Uint8Array {
  const c = new Code(2);
  const lo = (i: number) => (c.localGet(i), c.i64Const(0xffffffff), c.op(W.i64_and));
  const hi = (i: number) => (c.localGet(i), c.i64Const(32), c.op(W.i64_shr_u));
  const lh = c.local(T.i64), hl = c.local(T.i64);
  lo(0), hi(1), c.op(W.i64_mul), c.localSet(lh);
  hi(0), lo(1), c.op(W.i64_mul), c.localSet(hl);
  // hh + (lh >> 32) + (hl >> 32) + (((ll >> 32) + (lh & M) + (hl & M)) >> 32)
  hi(0), hi(1), c.op(W.i64_mul);
  c.localGet(lh), c.i64Const(32), c.op(W.i64_shr_u), c.op(W.i64_add);
  c.localGet(hl), c.i64Const(32), c.op(W.i64_shr_u), c.op(W.i64_add);
  lo(0), lo(1), c.op(W.i64_mul), c.i64Const(32), c.op(W.i64_shr_u);
  c.localGet(lh), c.i64Const(0xffffffff), c.op(W.i64_and), c.op(W.i64_add);
  c.localGet(hl), c.i64Const(0xffffffff), c.op(W.i64_and), c.op(W.i64_add);
  c.i64Const(32), c.op(W.i64_shr_u), c.op(W.i64_add);
  return c.finish();
}

/** Signed×signed (or signed×unsigned) high product from the unsigned one. */
function mulSignedBody(fMulhu: number, bothSigned: boolean): Uint8Array {
  const c = new Code(2);
  c.localGet(0), c.localGet(1), c.call(fMulhu);
  c.localGet(0), c.i64Const(63), c.op(W.i64_shr_s), c.localGet(1), c.op(W.i64_and), c.op(W.i64_sub);
  if (bothSigned) {
    c.localGet(1), c.i64Const(63), c.op(W.i64_shr_s), c.localGet(0), c.op(W.i64_and), c.op(W.i64_sub);
  }
  return c.finish();
}

/** Byte-swap an i64 with shifts and masks. */
function bswapBody(): Uint8Array {
  const c = new Code(1);
  const swap = (mask: bigint, shift: number) => {
    c.localGet(0), c.i64Const(shift), c.op(W.i64_shr_u), c.i64Const(mask), c.op(W.i64_and);
    c.localGet(0), c.i64Const(mask), c.op(W.i64_and), c.i64Const(shift), c.op(W.i64_shl);
    c.op(W.i64_or), c.localSet(0);
  };
  swap(0x00ff00ff00ff00ffn, 8);
  swap(0x0000ffff0000ffffn, 16);
  c.localGet(0), c.i64Const(32), c.op(W.i64_rotl);
  return c.finish();
}
