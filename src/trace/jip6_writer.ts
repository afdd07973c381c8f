/**
 * Recording JIP-6 traces: a {@link RunObserver} that writes one run of a standard program
 * with host calls in the text format {@link parseTrace} reads and {@link replayTrace}
 * replays (the format of the anan-as traces; see jip6.ts for the line kinds).
 *
 * Formatting, as in the anan-as and typeberry traces: addresses `0x` and 8 hex digits;
 * register values and `setreg` values `0x` and lowercase hex without padding; register
 * dumps list the non-zero registers as `rNN=` in ascending order; gas in decimal. After
 * each `ecalli` line come the host's reads (by address), its writes (by address), the
 * registers it set (by index, the last value of each), and `setgas` if the gas changed.
 * Empty reads and writes are left out. A plain panic ends as `PANIC=0`, a page fault as
 * `PANIC=<address>`; gas below zero (out of gas in a host call) is written as 0.
 *
 * A run a host call ended (a panic for a bad pointer, or out of gas paying for the call)
 * ends with the final line at that `ecalli`'s pc: {@link replayTrace} then checks it
 * without resuming the guest.
 *
 * @module
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Exit } from "../engine.ts";
import type { HostCallEvent, HostMachine } from "../host/host.ts";
import type { HostCallStart, RunObserver } from "../host/observe.ts";
import { ARGS_BASE, Z_I } from "../program/spi.ts";

/** Most bytes of one `memwrite`/`memread` line the recorder keeps (larger ones are split). */
const MAX_CHUNK = 1 << 20;

/**
 * Record one run as a JIP-6 trace. Give it as the `observer` of an invocation (or call its
 * methods around your own {@link runWithHost} loop), then take {@link text}.
 *
 * @example
 * ```ts
 * import { Jip6Recorder } from "./jip6_writer.ts";
 * import { parseTrace, replayTrace } from "./jip6.ts";
 * import { HostRegistry, invokeStandard } from "../../mod.ts";
 * // metadata "", no data; code: ecalli 0 ; jump_ind r0 (halt)
 * const code = new Uint8Array([0, 0,0,0, 0,0,0, 0,0, 0,0,0, 8,0,0,0, 0,0,4,10,0,50,0,0b0101]);
 * const registry = new HostRegistry().register({ id: 0, name: "gas", fn: (c) => c.machine.setRegister(7, c.machine.gas) });
 * const recorder = new Jip6Recorder(code);
 * invokeStandard(code, 0, 100n, new Uint8Array([7]), registry, { observer: recorder });
 * console.log(recorder.text().split("\n").slice(1, 6));
 * // [ "memwrite 0xfeff0000 len=1 <- 0x07", "start pc=0 gas=100 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x1", "ecalli=0 pc=0 gas=99 r00=0xffff0000 r01=0xfefe0000 r07=0xfeff0000 r08=0x1", "setreg r07 <- 0x59", "setgas <- 89" ]
 * console.log(replayTrace(parseTrace(recorder.text())).ok); // true
 * ```
 */
export class Jip6Recorder implements RunObserver {
  private readonly lines: string[] = [];
  private readonly program: Uint8Array;
  private reads: { address: number; data: Uint8Array }[] = [];
  private writes: { address: number; data: Uint8Array }[] = [];
  private registers = new Map<number, bigint>();
  private started = false;
  private ended = false;

  /**
   * A recorder for a run of `program`: the bytes of the `program` line, a standard
   * program with its metadata prefix. For code without one pass `metadata: false`: an
   * empty metadata is added, so the line is still what JIP-6 readers expect.
   */
  constructor(program: Uint8Array, options: { metadata?: boolean } = {}) {
    if (options.metadata === false) {
      const withEmpty = new Uint8Array(program.length + 1);
      withEmpty.set(program, 1);
      this.program = withEmpty;
    } else this.program = program;
  }

  /** The `program`, initial `memwrite` (the arguments) and `start` lines. */
  onStart(machine: HostMachine, pc: number): void {
    if (this.started) throw new Error("Jip6Recorder: a recorder records one run");
    this.started = true;
    this.lines.push(`program ${bytesHex(this.program)}`);
    const registers = Array.from({ length: 13 }, (_, i) => machine.getRegister(i));
    const length = registers[8];
    if (registers[7] === BigInt(ARGS_BASE) && length > 0n && length <= BigInt(Z_I)) {
      this.memoryLines("memwrite", "<-", ARGS_BASE, machine.memory.read(ARGS_BASE, Number(length)));
    }
    this.lines.push(`start pc=${pc} gas=${gasText(machine.gas)}${registerDump(registers)}`);
  }

  /** The `ecalli` line. */
  onEnter(call: HostCallStart): void {
    this.reads = [];
    this.writes = [];
    this.registers = new Map();
    this.lines.push(`ecalli=${call.id} pc=${call.pc} gas=${gasText(call.gas)}${registerDump(call.registers)}`);
  }

  /** Remembers a host read. */
  onMemoryRead(address: number, data: Uint8Array): void {
    if (data.length > 0) this.reads.push({ address, data });
  }

  /** Remembers a host write. */
  onMemoryWrite(address: number, data: Uint8Array): void {
    if (data.length > 0) this.writes.push({ address, data });
  }

  /** Remembers a register the host set. */
  onSetRegister(index: number, value: bigint): void {
    this.registers.set(index, value);
  }

  /** The host's reads, writes, registers and gas for the call that just returned. */
  onCall(event: HostCallEvent): void {
    const byAddress = (a: { address: number }, b: { address: number }) => a.address - b.address;
    for (const r of [...this.reads].sort(byAddress)) this.memoryLines("memread", "->", r.address, r.data);
    for (const w of [...this.writes].sort(byAddress)) this.memoryLines("memwrite", "<-", w.address, w.data);
    for (const [index, value] of [...this.registers].sort((a, b) => a[0] - b[0])) {
      this.lines.push(`setreg r${pad2(index)} <- 0x${value.toString(16)}`);
    }
    if (event.gasAfter !== event.gasBefore) this.lines.push(`setgas <- ${gasText(event.gasAfter)}`);
  }

  /** The final line. */
  onEnd(machine: HostMachine, exit: Exit): void {
    if (this.ended) throw new Error("Jip6Recorder: the run already ended");
    this.ended = true;
    const registers = Array.from({ length: 13 }, (_, i) => machine.getRegister(i));
    const status = exit.kind === "halt"
      ? "HALT"
      : exit.kind === "oog"
      ? "OOG"
      : exit.kind === "panic"
      ? "PANIC=0"
      : exit.kind === "fault"
      ? `PANIC=${exit.address}`
      : undefined;
    if (status === undefined) throw new TypeError(`Jip6Recorder: a run cannot end with a ${exit.kind} exit`);
    this.lines.push(`${status} pc=${exit.pc} gas=${gasText(exit.gas)}${registerDump(registers)}`);
  }

  /** True once the final line is written. */
  get complete(): boolean {
    return this.ended;
  }

  /** The trace so far, one record per line, ending with a newline. */
  text(): string {
    return this.lines.length === 0 ? "" : this.lines.join("\n") + "\n";
  }

  /** `memwrite`/`memread` lines for `data` at `address` (split into chunks of at most 1 MiB). */
  private memoryLines(kind: string, arrow: string, address: number, data: Uint8Array): void {
    for (let at = 0; at < data.length; at += MAX_CHUNK) {
      const chunk = data.subarray(at, at + MAX_CHUNK);
      this.lines.push(`${kind} ${addressHex(address + at)} len=${chunk.length} ${arrow} ${bytesHex(chunk)}`);
    }
  }
}

const pad2 = (i: number) => i.toString().padStart(2, "0");
const gasText = (gas: bigint) => (gas < 0n ? "0" : gas.toString());
const addressHex = (address: number) => `0x${address.toString(16).padStart(8, "0")}`;

function bytesHex(bytes: Uint8Array): string {
  return "0x" + bytesToHex(bytes);
}

function registerDump(registers: readonly bigint[]): string {
  let s = "";
  for (let i = 0; i < registers.length; i++) {
    if (registers[i] !== 0n) s += ` r${pad2(i)}=0x${registers[i].toString(16)}`;
  }
  return s;
}
