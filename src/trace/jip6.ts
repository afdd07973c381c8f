/**
 * JIP-6 execution traces: parse them and replay them against pvmkit.
 *
 * A JIP-6 trace records one run of a program that made host calls, without the host.
 * It is a text log with one record per line:
 *
 * | line | meaning |
 * |---|---|
 * | `program 0x…` | the program (a standard program with metadata, GP 0.7 service code) |
 * | `memwrite 0xADDR len=N <- 0x…` | before `start`: initial memory (the SPI arguments); after an `ecalli`: bytes the host wrote |
 * | `start pc=P gas=G r07=0x…` | where execution starts, with the non-zero registers |
 * | `ecalli=I pc=P gas=G r00=0x…` | a host call: its index, the `ecalli`'s pc, the gas left and the non-zero registers |
 * | `memread 0xADDR len=N -> 0x…` | bytes the host read from guest memory (checked) |
 * | `setreg rNN <- 0x…` / `setgas <- G` | the host's response (applied) |
 * | `HALT pc=P gas=G r…` (or `PANIC`, `PANIC=A`, `FAULT=A`, `OOG`) | how the run ended |
 *
 * Each line may carry a log prefix (such as `TRACE [  ecalli] `); lines that are not
 * trace records are ignored.
 *
 * Conventions, established from the anan-as traces of `jam-bootstrap-service` (all 12
 * replay exactly under these rules):
 *
 * - **gas** on an `ecalli` line is the gas left *after* the `ecalli` instruction's own
 *   1 gas was charged and *before* the host function's cost (the GP's gas′ at the host
 *   exit). The host's charge shows up only in `setgas` (e.g. `gas=19999962` then
 *   `setgas <- 19999952` for a 10-gas call). This is exactly what pvmkit reports in a
 *   `host` exit.
 * - **pc** on an `ecalli` line is the pc of the `ecalli` itself; execution resumes after it.
 * - The final line's **pc** is the pc of the instruction that ended the run (for `HALT`,
 *   the `jump_ind` to 0xFFFF0000), not the GP's 0, and its gas is what was left after
 *   that instruction's 1 gas. Registers listed there are checked like an `ecalli`'s.
 * - Registers not listed on a line are 0.
 * - `sbrk` costs 1 gas like any instruction (anan-as replays these traces with its
 *   optional extra sbrk gas off).
 *
 * @module
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import { type Exit, type InstantiateOptions, Module, type ProgramFormat } from "../engine.ts";
import type { GasModelName } from "../gas/model.ts";
import { ProgramError } from "../program/errors.ts";
import { ARGS_BASE } from "../program/spi.ts";
import type { MemoryRegion } from "../memory/memory.ts";

/**
 * A trace that cannot be parsed: a recognised record is malformed, or records come in an
 * impossible order. `line` is the 1-based line number in the input (0 if the problem is
 * the input as a whole, such as a missing `program` line).
 *
 * @example
 * ```ts
 * import { parseTrace, TraceError } from "./jip6.ts";
 * try {
 *   parseTrace("program 0x00\nstart pc=zero gas=1");
 * } catch (e) {
 *   console.log(e instanceof TraceError, (e as TraceError).line); // true 2
 * }
 * ```
 */
export class TraceError extends Error {
  /** 1-based line number of the offending line (0: the trace as a whole). */
  readonly line: number;
  /** The reason, without the line prefix. */
  readonly reason: string;

  /** Create the error for `reason` at trace line `line` (0: the trace as a whole). */
  constructor(reason: string, line: number) {
    super(line > 0 ? `trace line ${line}: ${reason}` : `trace: ${reason}`);
    this.name = "TraceError";
    this.reason = reason;
    this.line = line;
  }
}

/**
 * Bytes at a guest address, from a `memwrite` or `memread` line.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const t = parseTrace("program 0x00\nmemwrite 0xfeff0000 len=2 <- 0x0102\nstart pc=0 gas=1\nHALT pc=0 gas=0");
 * const w = t.initialMemWrites[0];
 * console.log(w.line, w.address.toString(16), w.data); // 2 feff0000 Uint8Array(2) [ 1, 2 ]
 * ```
 */
export interface TraceMemory {
  /** 1-based line number. */
  readonly line: number;
  /** Guest address. */
  readonly address: number;
  /** The bytes (their length is the line's `len`). */
  readonly data: Uint8Array;
}

/**
 * A `setreg` line.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const t = parseTrace("program 0x00\nstart pc=0 gas=9\necalli=1 pc=0 gas=8\nsetreg r07 <- 0x2a\nHALT pc=0 gas=0");
 * console.log(t.hostCalls[0].setRegisters); // [ { line: 4, index: 7, value: 42n } ]
 * ```
 */
export interface TraceSetRegister {
  /** 1-based line number. */
  readonly line: number;
  /** Register index, 0..12. */
  readonly index: number;
  /** New value (u64). */
  readonly value: bigint;
}

/**
 * The `start` line.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const t = parseTrace("program 0x00\nstart pc=5 gas=1000 r07=0xfeff0000\nHALT pc=0 gas=0");
 * console.log(t.start.pc, t.start.gas, t.start.registers[7].toString(16), t.start.registers[8]); // 5 1000n feff0000 0n
 * ```
 */
export interface TraceStart {
  /** 1-based line number. */
  readonly line: number;
  /** Initial pc. */
  readonly pc: number;
  /** Initial gas. */
  readonly gas: bigint;
  /** All 13 registers (those not listed are 0). */
  readonly registers: readonly bigint[];
}

/**
 * One host call: the `ecalli` line and the host's reads and response that follow it.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * const call = parseTrace(text).hostCalls[0];
 * console.log(call.index, call.pc, call.gas, call.setRegisters.length, call.setGas); // 7 0 99n 1 89n
 * ```
 */
export interface TraceHostCall {
  /** 1-based line number of the `ecalli` line. */
  readonly line: number;
  /** The host-call index (the `ecalli` immediate, as an unsigned 32-bit number). */
  readonly index: number;
  /** pc of the `ecalli` instruction. */
  readonly pc: number;
  /** Gas left after the `ecalli`'s own 1 gas, before the host function's cost. */
  readonly gas: bigint;
  /** All 13 registers at the call (those not listed are 0). */
  readonly registers: readonly bigint[];
  /** Guest memory the host read: checked against the guest. */
  readonly memReads: readonly TraceMemory[];
  /** Guest memory the host wrote: applied. */
  readonly memWrites: readonly TraceMemory[];
  /** Registers the host set: applied (after the writes). */
  readonly setRegisters: readonly TraceSetRegister[];
  /** Gas after the host function, if the trace gives it: applied last. */
  readonly setGas?: bigint;
  /** Line number of the `setgas` line, if any. */
  readonly setGasLine?: number;
}

/**
 * How a traced run ended.
 *
 * @example
 * ```ts
 * import { parseTrace, type TraceStatus } from "./jip6.ts";
 * const status: TraceStatus = parseTrace("program 0x00\nstart pc=0 gas=0\nOOG pc=0 gas=0").termination.status;
 * console.log(status); // OOG
 * ```
 */
export type TraceStatus = "HALT" | "PANIC" | "FAULT" | "OOG";

/**
 * The final line.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const end = parseTrace("program 0x00\nstart pc=0 gas=9\nPANIC=0x21000 pc=3 gas=7").termination;
 * console.log(end.status, end.address?.toString(16), end.pc, end.gas, end.hasRegisters); // FAULT 21000 3 7n false
 * ```
 */
export interface TraceTermination {
  /** 1-based line number. */
  readonly line: number;
  /** `HALT`, `PANIC`, `FAULT` or `OOG`. A `PANIC=A` line with A ≠ 0 is a page fault at A, so it is `FAULT`. */
  readonly status: TraceStatus;
  /** For `FAULT`: the page-fault address. */
  readonly address?: number;
  /** pc of the instruction that ended the run. */
  readonly pc: number;
  /** Gas left. */
  readonly gas: bigint;
  /** All 13 registers (those not listed are 0). */
  readonly registers: readonly bigint[];
  /** False if the line listed no registers at all (older traces); they are then not checked. */
  readonly hasRegisters: boolean;
}

/**
 * A parsed JIP-6 trace.
 *
 * @example
 * ```ts
 * import { parseTrace, type Trace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * const trace: Trace = parseTrace(text);
 * console.log(trace.program.length, trace.hostCalls.length, trace.termination.status); // 8 1 HALT
 * ```
 */
export interface Trace {
  /** The program bytes of the `program` line. */
  readonly program: Uint8Array;
  /** 1-based line number of the `program` line. */
  readonly programLine: number;
  /** Memory written before the run started (the SPI arguments). */
  readonly initialMemWrites: readonly TraceMemory[];
  /** The `start` line. */
  readonly start: TraceStart;
  /** Host calls in order. */
  readonly hostCalls: readonly TraceHostCall[];
  /** The final line. */
  readonly termination: TraceTermination;
}

const REGISTER_COUNT = 13;

// A record starts at the beginning of the line or after whitespace or `]` (log prefixes),
// and is recognised by its keyword plus the first bit of its syntax, so ordinary log
// lines that merely contain a word like "start" are not mistaken for records.
const RECORD =
  /(?:^|[\s\]])((?:program|memwrite|memread)\s+0x|start\s+pc=|ecalli=|setreg\s+r|setgas\s+<-|(?:HALT|OOG|PANIC|FAULT)(?:\s+pc=|=))/;

/**
 * Parse a JIP-6 trace. Trace records may carry a log prefix (such as `TRACE [  ecalli] `),
 * and lines that are not trace records are ignored.
 *
 * @throws {TraceError} naming the line of a malformed record, a record out of order, or a
 *   missing `program`, `start` or final line.
 *
 * @example
 * ```ts
 * import { parseTrace } from "./jip6.ts";
 * const trace = parseTrace([
 *   "program 0x00",
 *   "start pc=0 gas=100 r07=0x2a",
 *   "LOG some unrelated output",
 *   "TRACE [  ecalli] ecalli=3 pc=0 gas=99 r07=0x2a",
 *   "setreg r07 <- 0x1",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r07=0x1",
 * ].join("\n"));
 * console.log(trace.hostCalls.length, trace.hostCalls[0].index, trace.termination.status); // 1 3 HALT
 * ```
 */
export function parseTrace(text: string): Trace {
  let program: Uint8Array | undefined;
  let programLine = 0;
  let start: TraceStart | undefined;
  let termination: TraceTermination | undefined;
  const initialMemWrites: TraceMemory[] = [];
  const hostCalls: TraceHostCall[] = [];
  let current: MutableHostCall | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const match = RECORD.exec(lines[i]);
    if (!match) continue;
    const record = lines[i].slice(match.index + match[0].length - match[1].length).trim();
    const keyword = /^[A-Za-z]+/.exec(record)![0];
    if (termination) throw new TraceError(`"${keyword}" record after the final status line ${termination.line}`, n);
    switch (keyword) {
      case "program": {
        if (program) throw new TraceError("a second program line", n);
        const m = /^program\s+(0x[0-9a-fA-F]*)$/.exec(record);
        if (!m) throw new TraceError(`malformed program line (expected "program 0x<hex>")`, n);
        program = parseHex(m[1], n);
        programLine = n;
        break;
      }
      case "memwrite":
      case "memread": {
        const arrow = keyword === "memwrite" ? "<-" : "->";
        const m = new RegExp(`^${keyword}\\s+(0x[0-9a-fA-F]+)\\s+len=(\\d+)\\s+${arrow}\\s+(0x[0-9a-fA-F]*)$`).exec(
          record,
        );
        if (!m) {
          throw new TraceError(
            `malformed ${keyword} line (expected "${keyword} 0x<address> len=<n> ${arrow} 0x<hex>")`,
            n,
          );
        }
        const address = parseNumber(m[1], n, "address", 2 ** 32);
        const data = parseHex(m[3], n);
        const length = parseNumber(m[2], n, "len", 2 ** 32 + 1);
        if (data.length !== length) {
          throw new TraceError(`${keyword} says len=${length} but has ${data.length} bytes`, n);
        }
        if (address + length > 2 ** 32) {
          throw new TraceError(`${keyword} runs past the end of the 32-bit address space`, n);
        }
        const chunk = { line: n, address, data };
        if (keyword === "memread") {
          if (!current) throw new TraceError("memread before any ecalli line", n);
          current.memReads.push(chunk);
        } else if (current) current.memWrites.push(chunk);
        else initialMemWrites.push(chunk);
        break;
      }
      case "start": {
        if (!program) throw new TraceError("start line before the program line", n);
        if (start) throw new TraceError("a second start line", n);
        const m = /^start\s+pc=(\d+)\s+gas=(\d+)((?:\s+.*)?)$/.exec(record);
        if (!m) throw new TraceError(`malformed start line (expected "start pc=<n> gas=<n> [rNN=<value>…]")`, n);
        start = {
          line: n,
          pc: parseNumber(m[1], n, "pc", 2 ** 32),
          gas: parseGas(m[2], n),
          registers: parseRegisters(m[3], n).registers,
        };
        break;
      }
      case "ecalli": {
        if (!start) throw new TraceError("ecalli line before the start line", n);
        const m = /^ecalli=(\d+)\s+pc=(\d+)\s+gas=(-?\d+)((?:\s+.*)?)$/.exec(record);
        if (!m) throw new TraceError(`malformed ecalli line (expected "ecalli=<n> pc=<n> gas=<n> [rNN=<value>…]")`, n);
        current = {
          line: n,
          index: parseNumber(m[1], n, "ecalli index", 2 ** 32),
          pc: parseNumber(m[2], n, "pc", 2 ** 32),
          gas: parseGas(m[3], n),
          registers: parseRegisters(m[4], n).registers,
          memReads: [],
          memWrites: [],
          setRegisters: [],
        };
        hostCalls.push(current);
        break;
      }
      case "setreg": {
        if (!current) throw new TraceError("setreg before any ecalli line", n);
        const m = /^setreg\s+r(\d{1,2})\s+<-\s+(0x[0-9a-fA-F]+|\d+)$/.exec(record);
        if (!m) throw new TraceError(`malformed setreg line (expected "setreg rNN <- 0x<value>")`, n);
        const index = Number(m[1]);
        if (index >= REGISTER_COUNT) throw new TraceError(`register r${m[1]} does not exist (r0..r12)`, n);
        current.setRegisters.push({ line: n, index, value: parseU64(m[2], n) });
        break;
      }
      case "setgas": {
        if (!current) throw new TraceError("setgas before any ecalli line", n);
        if (current.setGas !== undefined) {
          throw new TraceError(`a second setgas for the ecalli on line ${current.line}`, n);
        }
        const m = /^setgas\s+<-\s+(-?\d+)$/.exec(record);
        if (!m) throw new TraceError(`malformed setgas line (expected "setgas <- <n>")`, n);
        current.setGas = parseGas(m[1], n);
        current.setGasLine = n;
        break;
      }
      default: { // HALT, PANIC, FAULT, OOG
        if (!start) throw new TraceError(`${keyword} line before the start line`, n);
        const m = /^(HALT|PANIC|FAULT|OOG)(?:=(0x[0-9a-fA-F]+|\d+))?\s+pc=(\d+)\s+gas=(-?\d+)((?:\s+.*)?)$/.exec(
          record,
        );
        if (!m) {
          throw new TraceError(
            `malformed ${keyword} line (expected "${keyword}[=<arg>] pc=<n> gas=<n> [rNN=<value>…]")`,
            n,
          );
        }
        let status = m[1] as TraceStatus;
        let address: number | undefined;
        if (m[2] !== undefined) {
          if (status === "HALT" || status === "OOG") throw new TraceError(`${status} takes no argument`, n);
          address = parseNumber(m[2], n, "fault address", 2 ** 32);
          // anan-as writes a page fault as PANIC=<address>; a plain panic has no argument (or 0).
          if (status === "PANIC" && address !== 0) status = "FAULT";
          if (status === "PANIC") address = undefined;
        } else if (status === "FAULT") throw new TraceError("FAULT needs its address (FAULT=0x<address>)", n);
        const regs = parseRegisters(m[5], n);
        termination = {
          line: n,
          status,
          address,
          pc: parseNumber(m[3], n, "pc", 2 ** 32),
          gas: parseGas(m[4], n),
          registers: regs.registers,
          hasRegisters: regs.listed,
        };
        current = undefined;
      }
    }
  }
  if (!program) throw new TraceError("no program line", 0);
  if (!start) throw new TraceError("no start line", 0);
  if (!termination) throw new TraceError(`no final HALT/PANIC/FAULT/OOG line (the trace has ${lines.length} lines)`, 0);
  return { program, programLine, initialMemWrites, start, hostCalls, termination };
}

type MutableHostCall =
  & {
    -readonly [K in keyof TraceHostCall]: TraceHostCall[K];
  }
  & { memReads: TraceMemory[]; memWrites: TraceMemory[]; setRegisters: TraceSetRegister[] };

function parseHex(token: string, line: number): Uint8Array {
  const digits = token.slice(2);
  if (digits.length % 2 !== 0) throw new TraceError(`hex data ${abbreviate(token)} has an odd number of digits`, line);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(2 * i, 2), 16);
  return out;
}

function parseNumber(token: string, line: number, what: string, limit: number): number {
  const value = token.startsWith("0x") ? parseInt(token.slice(2), 16) : Number(token);
  if (!Number.isSafeInteger(value) || value >= limit) throw new TraceError(`${what} ${token} is out of range`, line);
  return value;
}

function parseGas(token: string, line: number): bigint {
  const value = BigInt(token);
  if (value < -(1n << 63n) || value >= 1n << 63n) {
    throw new TraceError(`gas ${token} is not a signed 64-bit value`, line);
  }
  return value;
}

function parseU64(token: string, line: number): bigint {
  const value = BigInt(token);
  if (value >= 1n << 64n) throw new TraceError(`value ${token} does not fit in 64 bits`, line);
  return value;
}

/** Parse ` r00=0x… r07=0x…` (unlisted registers are 0). */
function parseRegisters(text: string, line: number): { registers: bigint[]; listed: boolean } {
  const registers = new Array<bigint>(REGISTER_COUNT).fill(0n);
  const seen = new Set<number>();
  for (const token of text.trim().split(/\s+/)) {
    if (token === "") continue;
    const m = /^r(\d{1,2})=(0x[0-9a-fA-F]+|\d+)$/.exec(token);
    if (!m) throw new TraceError(`malformed register "${abbreviate(token)}" (expected rNN=0x<value>)`, line);
    const index = Number(m[1]);
    if (index >= REGISTER_COUNT) throw new TraceError(`register r${m[1]} does not exist (r0..r12)`, line);
    if (seen.has(index)) throw new TraceError(`register r${index} is listed twice`, line);
    seen.add(index);
    registers[index] = parseU64(m[2], line);
  }
  return { registers, listed: seen.size > 0 };
}

function abbreviate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

// ---------------------------------------------------------------------------------------
// Replay

/**
 * What {@link replayTrace} needs from a machine. pvmkit's `Instance` satisfies it; a
 * future recompiler backend only has to provide the same surface.
 *
 * @example
 * ```ts
 * import { Module } from "../engine.ts";
 * import type { ReplayInstance } from "./jip6.ts";
 * const vm: ReplayInstance = Module.load(new Uint8Array([0, 0, 1, 0, 1])).instantiate({ gas: 5n });
 * console.log(vm.run(), vm.gas); // { kind: "panic", pc: 0, gas: 4n } 4n
 * ```
 */
export interface ReplayInstance {
  /** Run until an exit; after a `host` exit the next run resumes after the `ecalli`. */
  run(): Exit;
  /** Register value as u64. */
  getRegister(index: number): bigint;
  /** Set a register. */
  setRegister(index: number, value: bigint): void;
  /** Gas left (settable between runs). */
  gas: bigint;
  /** Guest memory, accessed with the host's rights (`write` refuses non-writable pages unless `ignoreAccess`). */
  readonly memory: {
    read(address: number, length: number): Uint8Array;
    write(address: number, data: Uint8Array, options?: { ignoreAccess?: boolean }): void;
  };
}

/**
 * Creates a machine for a loaded module (the backend plug-in point of {@link replayTrace}).
 *
 * @example
 * ```ts
 * import { parseTrace, type ReplayBackend, replayTrace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * let runs = 0;
 * const counting: ReplayBackend = (module, options) => {
 *   const vm = module.instantiate(options);
 *   return {
 *     run: () => (runs++, vm.run()),
 *     getRegister: (i) => vm.getRegister(i),
 *     setRegister: (i, v) => vm.setRegister(i, v),
 *     get gas() { return vm.gas; },
 *     set gas(g) { vm.gas = g; },
 *     memory: vm.memory,
 *   };
 * };
 * console.log(replayTrace(parseTrace(text), { format: "generic", instantiate: counting }).ok, runs); // true 2
 * ```
 */
export type ReplayBackend = (module: Module, options: InstantiateOptions) => ReplayInstance;

/**
 * Options for {@link replayTrace}.
 *
 * @example
 * ```ts
 * import { parseTrace, type ReplayOptions, replayTrace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * const options: ReplayOptions = { format: "generic", isa: "0.7.2" };
 * console.log(replayTrace(parseTrace(text), options).ok); // true
 * ```
 */
export interface ReplayOptions {
  /**
   * Container format of the `program` line. Default: standard program with metadata
   * (`spi-metadata`), falling back to `auto` if the bytes are not that.
   */
  format?: ProgramFormat;
  /** ISA profile name (default `0.7.2`). */
  isa?: string;
  /** Gas model (default `per-instruction`), as for `Module.load`. */
  gasModel?: GasModelName;
  /**
   * Backend: creates the machine from the loaded module and its initial state.
   * Default: pvmkit's interpreter (`module.instantiate(options)`).
   */
  instantiate?: ReplayBackend;
}

/**
 * The first difference between the replay and the trace.
 *
 * @example
 * ```ts
 * import { parseTrace, replayTrace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * const m = replayTrace(parseTrace(text.replace("setreg r07 <- 0x2a", "setreg r07 <- 0x2b")), { format: "generic" }).mismatch!;
 * console.log(m.step, m.line, m.field, m.expected, m.actual); // 2 6 r7 0x2a 0x2b
 * ```
 */
export interface ReplayMismatch {
  /**
   * Which exit of the run differs, 1-based: host call k is step k (the k-th `ecalli`
   * line), and the final status is step `hostCalls.length + 1`. Step 0 is the set-up
   * (loading the program and the initial memory).
   */
  readonly step: number;
  /** 1-based trace line of the expected value (0 if none). */
  readonly line: number;
  /**
   * What differs: `status` (exit kind), `ecalli` (host-call index), `pc`, `gas`,
   * `r0`..`r12`, `fault address`, `memread`, `memwrite`, `program`.
   */
  readonly field: string;
  /** The trace's value, printed (decimal for pc and gas, hex for registers and bytes). */
  readonly expected: string;
  /** The replay's value, printed the same way. */
  readonly actual: string;
  /** A one-line explanation naming the step, line, field and both values. */
  readonly message: string;
}

/**
 * Result of {@link replayTrace}.
 *
 * @example
 * ```ts
 * import { parseTrace, type ReplayResult, replayTrace } from "./jip6.ts";
 * const text = [
 *   "program 0x0000040a07320005", // generic blob: ecalli 7 ; jump_ind r0
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n");
 * const result: ReplayResult = replayTrace(parseTrace(text), { format: "generic" });
 * console.log(result.ok, result.steps, result.exit?.kind); // true 1 halt
 * ```
 */
export interface ReplayResult {
  /** True if every host call and the final status matched. */
  readonly ok: boolean;
  /** Host calls replayed completely (checked and answered). */
  readonly steps: number;
  /** The first difference, when `ok` is false. */
  readonly mismatch?: ReplayMismatch;
  /** The replay's final exit (absent if it stopped at a host call or in set-up). */
  readonly exit?: Exit;
}

/**
 * Replay a trace: load its program, apply the initial memory, start at its pc, gas and
 * registers, and run. At every host exit check the host-call index, pc, gas, all 13
 * registers and each `memread` against the guest, then apply the host's `memwrite`s,
 * `setreg`s and `setgas` and resume. At the end check the status, pc, gas, fault address
 * and (if listed) registers. Stops at the first difference.
 *
 * For a standard program the arguments are the initial `memwrite` bytes in
 * [0xFEFF0000, 0xFEFF0000 + r8) (r7 and r8 from the `start` line); any other initial
 * `memwrite` is written over the standard layout. For a generic program each initial
 * `memwrite` maps its pages writable. Host `memwrite`s need writable guest memory and
 * `memread`s readable memory, as the host functions themselves do.
 *
 * After an `OOG` the GP reports gas −1 while traces print unsigned gas, so the final gas
 * of an `OOG` is compared after clamping both sides at 0.
 *
 * A run that a host call ended (the host panicked it, or it ran out of gas paying for the
 * call) is written with its final line at that `ecalli`'s pc and the gas the call left:
 * when the last host call is followed by such a `HALT`, `PANIC` or `OOG` line, the replay
 * checks it without resuming the guest.
 *
 * @throws {ProgramError} never: an unloadable program is reported as a `program` mismatch.
 *
 * @example
 * ```ts
 * import { parseTrace, replayTrace } from "./jip6.ts";
 * // Generic blob: ecalli 7 ; jump_ind r0 (r0 = 0xFFFF0000: halt)
 * const trace = parseTrace([
 *   "program 0x0000040a07320005",
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=99 r00=0xffff0000",
 *   "setreg r07 <- 0x2a",
 *   "setgas <- 89",
 *   "HALT pc=2 gas=88 r00=0xffff0000 r07=0x2a",
 * ].join("\n"));
 * console.log(replayTrace(trace, { format: "generic" })); // { ok: true, steps: 1, exit: { kind: "halt", pc: 2, gas: 88n } }
 * const bad = parseTrace([
 *   "program 0x0000040a07320005",
 *   "start pc=0 gas=100 r00=0xffff0000",
 *   "ecalli=7 pc=0 gas=98 r00=0xffff0000",
 *   "HALT pc=2 gas=97 r00=0xffff0000",
 * ].join("\n"));
 * console.log(replayTrace(bad, { format: "generic" }).mismatch?.message);
 * // ecalli #1 (trace line 3): gas expected 98, got 99
 * ```
 */
export function replayTrace(trace: Trace, options: ReplayOptions = {}): ReplayResult {
  const failure = (step: number, line: number, field: string, expected: string, actual: string, detail = "") => {
    const where = step === 0
      ? "set-up"
      : step <= trace.hostCalls.length
      ? `ecalli #${step}`
      : `final status (after ${trace.hostCalls.length} host calls)`;
    const message = `${where} (trace line ${line}): ${field} expected ${expected}, got ${actual}${
      detail ? `; ${detail}` : ""
    }`;
    return { step, line, field, expected, actual, message };
  };

  // ---- load ----
  let module: Module;
  try {
    module = loadProgram(trace.program, options);
  } catch (error) {
    if (!(error instanceof ProgramError) && !(error instanceof RangeError)) throw error;
    return {
      ok: false,
      steps: 0,
      mismatch: failure(0, trace.programLine, "program", "a loadable program", "an error", (error as Error).message),
    };
  }

  // ---- initial state ----
  const start = trace.start;
  const init: InstantiateOptions = { pc: start.pc, gas: start.gas, registers: start.registers };
  const postWrites: TraceMemory[] = [];
  if (module.standard) {
    const argLength = Number(start.registers[8]);
    const argsAt = start.registers[7] === BigInt(ARGS_BASE) && argLength <= 1 << 24;
    const args = new Uint8Array(argsAt ? argLength : 0);
    for (const w of trace.initialMemWrites) {
      const inArgs = argsAt && w.address >= ARGS_BASE && w.address + w.data.length <= ARGS_BASE + argLength;
      if (inArgs) args.set(w.data, w.address - ARGS_BASE);
      else postWrites.push(w);
    }
    init.args = args;
  } else {
    init.memory = trace.initialMemWrites.map((w): MemoryRegion => ({
      address: w.address,
      length: w.data.length,
      access: "write",
      data: w.data,
    }));
  }
  const vm = (options.instantiate ?? ((m, o) => m.instantiate(o)))(module, init);
  for (const w of postWrites) {
    try {
      vm.memory.write(w.address, w.data, { ignoreAccess: true });
    } catch (error) {
      return {
        ok: false,
        steps: 0,
        mismatch: failure(0, w.line, "memwrite", "mapped memory", "unmapped memory", (error as Error).message),
      };
    }
  }

  // ---- run ----
  let steps = 0;
  let hostEnded: Exit | undefined;
  for (;;) {
    const exit = hostEnded ?? vm.run();
    const step = steps + 1;
    const expected = trace.hostCalls[steps];
    if (exit.kind !== "host" || !expected) {
      const t = trace.termination;
      const fail = (line: number, field: string, e: string, a: string, detail = ""): ReplayResult => ({
        ok: false,
        steps,
        exit,
        mismatch: failure(step, line, field, e, a, detail),
      });
      if (expected) {
        return fail(
          expected.line,
          "status",
          `ecalli=${expected.index}`,
          describeExit(exit),
          `the run ended at pc ${exit.pc}`,
        );
      }
      const actualStatus = exitStatus(exit);
      if (actualStatus !== t.status) {
        return fail(t.line, "status", t.status, describeExit(exit), `the run stopped at pc ${exit.pc}`);
      }
      if (exit.pc !== t.pc) return fail(t.line, "pc", String(t.pc), String(exit.pc));
      const clamp = (g: bigint) => (t.status === "OOG" && g < 0n ? 0n : g);
      if (clamp(exit.gas) !== clamp(t.gas)) return fail(t.line, "gas", String(t.gas), String(exit.gas));
      if (exit.kind === "fault" && exit.address !== t.address) {
        return fail(t.line, "fault address", hex(t.address ?? 0), hex(exit.address));
      }
      if (t.hasRegisters) {
        for (let i = 0; i < REGISTER_COUNT; i++) {
          const actual = vm.getRegister(i);
          if (actual !== t.registers[i]) return fail(t.line, `r${i}`, hex(t.registers[i]), hex(actual));
        }
      }
      return { ok: true, steps, exit };
    }

    // A host call: check it.
    const fail = (line: number, field: string, e: string, a: string, detail = ""): ReplayResult => ({
      ok: false,
      steps,
      mismatch: failure(step, line, field, e, a, detail),
    });
    const line = expected.line;
    if (exit.call !== expected.index) return fail(line, "ecalli", String(expected.index), String(exit.call));
    if (exit.pc !== expected.pc) return fail(line, "pc", String(expected.pc), String(exit.pc));
    if (exit.gas !== expected.gas) return fail(line, "gas", String(expected.gas), String(exit.gas));
    for (let i = 0; i < REGISTER_COUNT; i++) {
      const actual = vm.getRegister(i);
      if (actual !== expected.registers[i]) return fail(line, `r${i}`, hex(expected.registers[i]), hex(actual));
    }
    for (const read of expected.memReads) {
      let actual: Uint8Array;
      try {
        actual = vm.memory.read(read.address, read.data.length);
      } catch (error) {
        return fail(read.line, "memread", "readable memory", "inaccessible memory", (error as Error).message);
      }
      const at = firstDifference(read.data, actual);
      if (at >= 0) {
        const window = (b: Uint8Array) => hexBytes(b.subarray(at, at + 32)) + (b.length > at + 32 ? "…" : "");
        return fail(
          read.line,
          "memread",
          window(read.data),
          window(actual),
          `first difference at 0x${(read.address + at).toString(16)} (byte ${at} of ${read.data.length} read at 0x${
            read.address.toString(16)
          })`,
        );
      }
    }
    // The host's response.
    for (const write of expected.memWrites) {
      try {
        vm.memory.write(write.address, write.data);
      } catch (error) {
        return fail(write.line, "memwrite", "writable memory", "memory that is not writable", (error as Error).message);
      }
    }
    for (const set of expected.setRegisters) vm.setRegister(set.index, set.value);
    if (expected.setGas !== undefined) vm.gas = expected.setGas;
    steps++;
    if (steps === trace.hostCalls.length) hostEnded = endedInHostCall(trace, expected, vm.gas);
  }
}

/**
 * The exit of a run the last host call ended (a host panic, or out of gas paying for the
 * call), or undefined if the guest resumes after it: the final line is a PANIC, OOG or
 * HALT at that `ecalli`'s pc with the gas the call left (an `ecalli` itself never ends a
 * run there otherwise, and running on from it costs gas).
 */
function endedInHostCall(trace: Trace, last: TraceHostCall, gas: bigint): Exit | undefined {
  const t = trace.termination;
  if (t.pc !== last.pc || t.status === "FAULT") return undefined;
  const clamp = (g: bigint) => (t.status === "OOG" && g < 0n ? 0n : g);
  if (clamp(gas) !== clamp(t.gas)) return undefined;
  const kind = t.status === "HALT" ? "halt" : t.status === "OOG" ? "oog" : "panic";
  return { kind, pc: t.pc, gas };
}

function loadProgram(bytes: Uint8Array, options: ReplayOptions): Module {
  const { isa, gasModel } = options;
  if (options.format) return Module.load(bytes, { format: options.format, isa, gasModel });
  try {
    return Module.load(bytes, { format: "spi-metadata", isa, gasModel });
  } catch (error) {
    if (!(error instanceof ProgramError)) throw error;
    return Module.load(bytes, { format: "auto", isa, gasModel });
  }
}

function exitStatus(exit: Exit): TraceStatus | "HOST" {
  switch (exit.kind) {
    case "halt":
      return "HALT";
    case "panic":
      return "PANIC";
    case "fault":
      return "FAULT";
    case "oog":
      return "OOG";
    default:
      return "HOST";
  }
}

function describeExit(exit: Exit): string {
  if (exit.kind === "host") return `ecalli=${exit.call}`;
  if (exit.kind === "fault") return `FAULT=${hex(exit.address)}`;
  return exitStatus(exit);
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

function hexBytes(bytes: Uint8Array): string {
  return "0x" + bytesToHex(bytes);
}
