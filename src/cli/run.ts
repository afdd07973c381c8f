/**
 * `pvmkit run FILE`: load a program, run it to an exit, and report the exit, gas and
 * the registers that changed.
 *
 * @module
 */
import type { Backend, Exit, Instance, InstantiateOptions, Module } from "../engine.ts";
import { MemoryAccessError } from "../memory/memory.ts";
import {
  flag,
  type MapSpec,
  parseBounded,
  parseCommandArgs,
  parseMap,
  parseRegisters,
  readBytes,
  singleOperand,
  stringList,
  stringOption,
  UsageError,
  writeBytes,
} from "./_args.ts";
import { bytesToHex, type CliIo, decimal64, hex32, hex64, style, toJson } from "./_output.ts";
import { loadModule, parseBackend, parseFormat, parseGasModel, parseIsa, parseStandardArgs } from "./_load.ts";
import { assembleFile } from "./asm.ts";
import { namesJar, runJarCommand } from "./jar.ts";
import { loadCryptoFunctions } from "./_crypto.ts";
import { type HostFunctionSpec, HostRegistry, runWithHost } from "../host/host.ts";
import { combineObservers, type HostCallObserver, hostCallTracer } from "../host/observe.ts";
import { Jip6Recorder } from "../trace/jip6_writer.ts";
import { EXIT_LIMIT, LIMIT_OPTIONS, limitsHelp, parseLimits } from "./_limits.ts";

/** Gas given to a run when `--gas` is absent. */
export const DEFAULT_GAS = 10_000_000n;

/** The value a skipped host call leaves in r7: WHAT, 2^64 - 2 ("unknown host call"). */
export const WHAT = (1n << 64n) - 2n;

/** At most this many output bytes are read from a standard program's result area. */
const MAX_OUTPUT = 1 << 20;

/** Help text for `pvmkit run`. */
export const RUN_HELP = `Usage: pvmkit run [options] FILE

Run a PVM program until it halts, panics, faults, runs out of gas or makes a host
call, then report the exit, the gas used and every register that changed.

FILE is a program blob (generic, SPI or SPI with metadata; detected automatically)
or PVM assembly source ending in .pvmasm, which is assembled first.

A JAR v2 blob (magic "JAR\\x02", e.g. FILE.jar) runs through the capability kernel
instead: see \`pvmkit run FILE.jar --help\`.

Options:
  --format F          force the container format: auto (default), generic, spi, spi-metadata
  --gas N             starting gas (default 10_000_000); accepts 1_000_000, 0x..., 1e6
  --pc N              starting program counter (default 0)
  --args HEX|@FILE    argument bytes for an SPI program, as hex or a file's contents
  --regs N=V,...      set registers before the run, e.g. --regs 7=30,8=0x10
  --reg N=V           set one register (repeatable); later settings win
  --map ADDR:LEN:rw   map zeroed memory for a generic program; ACCESS is r or rw;
                      ADDR and LEN are multiples of 4096 (repeatable)
  --host-calls MODE   stop (default): end the run at the first host call (ecalli) and
                      report it; skip: answer every host call with r7 = WHAT
                      (2^64 - 2), charge no extra gas, and carry on
  --crypto            with --host-calls skip: answer pvmkit's crypto extension (ids
                      0x10000-0x10004: blake2b_256, keccak_256, sha2_256,
                      ed25519_verify, secp256k1_ecrecover) instead of skipping them
  --trace-host        with --host-calls skip: print every host call to stderr (id, pc,
                      r7..r12, r7 and r8 after it, gas before and after)
  --record-trace FILE with --host-calls skip, for a standard program: write a JIP-6
                      trace of the run to FILE (pvmkit replay FILE replays it)
  --backend B         interpreter (default), recompiler (PVM code compiled to
                      WebAssembly) or auto (interpret first, compile once the run is
                      long); every backend gives the same exit, gas and registers
  --gas-model M       per-instruction (default: GP 0.7.2, 1 gas per instruction),
                      pipeline (GP 0.8 draft: each basic block's simulated cost is
                      charged in advance on entering it; out of gas leaves the gas
                      unchanged) or pipeline-vectors (pipeline with the quirks of the
                      gas-model draft vectors). See pvmkit gas for the block costs
  --isa I             opcode numbering: 0.7.2 (default), 0.8-draft or gas-vectors
${limitsHelp(22)}
  --json              print one JSON object (64-bit numbers as decimal strings)
  -h, --help          show this help

Exit status: 0 on halt or when stopped at a host call, 1 on panic, page fault or
out of gas, 2 on a usage or input error (including a malformed program), 4 when a
resource limit (--timeout, --max-memory) stopped the run.
`;

/** What a run produced, as reported. */
interface RunReport {
  /** The exit that ended the run. */
  exit: Exit;
  /** Detected or forced format. */
  format: string;
  /** Starting gas. */
  gasStart: bigint;
  /** Registers before the run. */
  initial: bigint[];
  /** Registers after the run. */
  final: bigint[];
  /** Host calls answered with WHAT under `--host-calls skip`. */
  hostCallsSkipped: number;
  /** For a standard program that halted: the bytes at [r7, r7 + r8), if readable. */
  output: Uint8Array | undefined;
  /** The backend asked for. */
  backend: Backend;
  /** Where the run ended: the backend itself, or for `auto` the tier it had reached. */
  tier: "interpreter" | "recompiler";
  /** The gas model. */
  gasModel: string;
  /** The ISA profile. */
  isa: string;
}

/** `pvmkit run`. Returns the exit code. */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  if (namesJar(argv)) return runJarCommand(argv, io); // JAR v2: through the capability kernel
  const args = parseCommandArgs(argv, {
    format: { type: "string" },
    gas: { type: "string" },
    pc: { type: "string" },
    args: { type: "string" },
    regs: { type: "string", multiple: true },
    reg: { type: "string", multiple: true },
    map: { type: "string", multiple: true },
    "host-calls": { type: "string" },
    "trace-host": { type: "boolean" },
    "record-trace": { type: "string" },
    crypto: { type: "boolean" },
    backend: { type: "string" },
    "gas-model": { type: "string" },
    isa: { type: "string" },
    json: { type: "boolean" },
    ...LIMIT_OPTIONS,
  });
  if (flag(args, "help")) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const file = singleOperand(args, "program FILE");
  const format = parseFormat(stringOption(args, "format")) ?? "auto";
  const gasText = stringOption(args, "gas");
  const gas = gasText === undefined ? DEFAULT_GAS : parseBounded(gasText, "--gas", 0n, (1n << 63n) - 1n);
  const pcText = stringOption(args, "pc");
  const pc = pcText === undefined ? 0 : Number(parseBounded(pcText, "--pc", 0n, 0xffffffffn));
  const argBytes = parseStandardArgs(stringOption(args, "args"));
  const registers = parseRegisters([...stringList(args, "regs"), ...stringList(args, "reg")]);
  const maps: MapSpec[] = stringList(args, "map").map(parseMap);
  const hostMode = stringOption(args, "host-calls") ?? "stop";
  if (hostMode !== "stop" && hostMode !== "skip") {
    throw new UsageError(`--host-calls must be stop or skip, not "${hostMode}"`);
  }
  const backend = parseBackend(stringOption(args, "backend"));
  const gasModel = parseGasModel(stringOption(args, "gas-model"));
  const isa = parseIsa(stringOption(args, "isa"));
  const traceHost = flag(args, "trace-host");
  const recordTrace = stringOption(args, "record-trace");
  const crypto = flag(args, "crypto");
  const limits = parseLimits(args);
  if ((traceHost || recordTrace !== undefined || crypto) && hostMode !== "skip") {
    const which = traceHost ? "--trace-host" : recordTrace !== undefined ? "--record-trace" : "--crypto";
    throw new UsageError(`${which} needs --host-calls skip (host calls are answered only then)`);
  }

  const module = await loadModule(file, format, { isa, gasModel });
  if (recordTrace !== undefined && !module.standard) {
    throw new UsageError("--record-trace needs a standard (SPI) program: a JIP-6 trace starts from the SPI layout");
  }
  const vm = module.instantiate({
    ...runOptions(module, { pc, args: argBytes, registers, maps }),
    gas,
    backend,
    limits,
  });
  const recorder = recordTrace === undefined
    ? undefined
    : new Jip6Recorder(programBytes(file), { metadata: module.format === "spi-metadata" });
  const tracer = traceHost ? hostCallTracer((line) => io.stderr(line + "\n")) : undefined;
  recorder?.onStart(vm, pc);
  const cryptoFunctions = crypto ? await loadCryptoFunctions() : [];
  const report = execute(vm, module, gas, hostMode === "skip", combineObservers(recorder, tracer), cryptoFunctions);
  if (recorder && recordTrace !== undefined) {
    if (report.exit.kind !== "limit") recorder.onEnd(vm, report.exit);
    writeBytes(recordTrace, recorder.text());
  }
  io.stdout(flag(args, "json") ? toJson(reportJson(report)) + "\n" : formatReport(report, io));
  if (report.exit.kind === "limit") return EXIT_LIMIT;
  return report.exit.kind === "halt" || report.exit.kind === "host" ? 0 : 1;
}

/** What `run` and `compile` take from the command line to set up a machine. */
export interface MachineSetup {
  /** Starting pc. */
  pc?: number;
  /** Argument bytes (SPI programs only). */
  args?: Uint8Array;
  /** Register overrides. */
  registers?: ReadonlyMap<number, bigint>;
  /** Memory maps (generic programs only). */
  maps: readonly MapSpec[];
}

/**
 * Check that the memory options fit the program's format and turn them into
 * {@link Module.instantiate} options (without gas and backend).
 */
export function runOptions(module: Module, setup: MachineSetup): InstantiateOptions {
  if (module.standard && setup.maps.length > 0) {
    throw new UsageError("--map applies to generic programs only: an SPI program has its own memory layout");
  }
  if (!module.standard && setup.args && setup.args.length > 0) {
    throw new UsageError("--args applies to SPI programs only: this is a generic program (use --map and --regs)");
  }
  const regs: (bigint | undefined)[] = new Array(13).fill(undefined);
  for (const [i, v] of setup.registers ?? []) regs[i] = v;
  return {
    pc: setup.pc,
    args: module.standard ? setup.args : undefined,
    registers: regs,
    memory: module.standard ? undefined : setup.maps,
  };
}

/** The bytes of the program file (assembled first for `.pvmasm`), for a trace's `program` line. */
function programBytes(path: string): Uint8Array {
  return path.toLowerCase().endsWith(".pvmasm") ? assembleFile(path) : readBytes(path);
}

function execute(
  vm: Instance,
  module: Module,
  gasStart: bigint,
  skipHostCalls: boolean,
  observer: HostCallObserver,
  extraFunctions: readonly HostFunctionSpec[],
): RunReport {
  const initial = vm.registers;
  let hostCallsSkipped = 0;
  // Skipping: an id the registry lacks (every id, or with --crypto all but the extension's)
  // answers WHAT at no extra gas.
  const skipping = new HostRegistry();
  skipping.unknownGas = 0n;
  for (const spec of extraFunctions) skipping.register(spec);
  const exit: Exit = skipHostCalls
    ? runWithHost(vm, skipping, { observer, onCall: (e) => e.name === undefined && hostCallsSkipped++ })
    : vm.run();
  const final = vm.registers;
  let output: Uint8Array | undefined;
  if (module.standard && exit.kind === "halt") {
    const address = final[7], length = final[8];
    if (length <= BigInt(MAX_OUTPUT) && address + length <= 1n << 32n) {
      try {
        output = vm.memory.read(Number(address), Number(length));
      } catch (error) {
        if (!(error instanceof MemoryAccessError)) throw error;
      }
    }
  }
  return {
    exit,
    format: module.format,
    gasStart,
    initial,
    final,
    hostCallsSkipped,
    output,
    backend: vm.backend,
    tier: vm.tier,
    gasModel: module.gasModel.name,
    isa: module.isa.name,
  };
}

function changedRegisters(report: RunReport): number[] {
  return report.final.flatMap((v, i) => (v !== report.initial[i] ? [i] : []));
}

/** The `--json` object for a report. */
function reportJson(report: RunReport): Record<string, unknown> {
  const { exit } = report;
  const out: Record<string, unknown> = {
    exit: exit.kind,
    pc: exit.pc,
    gasUsed: report.gasStart - exit.gas,
    gasLeft: exit.gas,
    format: report.format,
    backend: report.backend,
    tier: report.tier,
    gasModel: report.gasModel,
    isa: report.isa,
  };
  if (exit.kind === "fault") out.address = exit.address;
  if (exit.kind === "host") out.hostCall = exit.call;
  out.hostCallsSkipped = report.hostCallsSkipped;
  out.registers = report.final;
  out.changed = Object.fromEntries(changedRegisters(report).map((i) => [`r${i}`, report.final[i]]));
  if (report.output) out.output = bytesToHex(report.output);
  return out;
}

/** What the text report adds to an exit kind. */
const EXIT_NOTES: Partial<Record<Exit["kind"], string>> = {
  oog: " (out of gas)",
  limit: " (--timeout: stopped at a block boundary before the program finished)",
};

/** Human-readable report. */
function formatReport(report: RunReport, io: CliIo): string {
  const s = style(io);
  const { exit } = report;
  const kindColour = exit.kind === "halt" ? s.green : exit.kind === "host" ? s.yellow : s.red;
  const label = (name: string) => s.dim(name.padEnd(11));
  const lines = [
    `${label("exit")}${s.bold(kindColour(exit.kind))}${EXIT_NOTES[exit.kind] ?? ""}`,
    `${label("pc")}${exit.pc}`,
  ];
  if (exit.kind === "fault") lines.push(`${label("address")}${hex32(exit.address)} (${exit.address})`);
  if (exit.kind === "host") lines.push(`${label("host call")}${exit.call}`);
  lines.push(`${label("gas used")}${report.gasStart - exit.gas}`, `${label("gas left")}${exit.gas}`);
  const tierNote = report.backend === "auto" ? ` (ended on the ${report.tier})` : "";
  lines.push(`${label("backend")}${report.backend}${tierNote}`);
  if (report.gasModel !== "per-instruction" || report.isa !== "0.7.2") {
    lines.push(`${label("gas model")}${report.gasModel} (isa ${report.isa})`);
  }
  if (report.hostCallsSkipped > 0) lines.push(`${label("skipped")}${report.hostCallsSkipped} host call(s), r7 = WHAT`);
  if (report.output) {
    const shown = report.output.subarray(0, 64);
    const more = report.output.length > 64 ? `… (${report.output.length} bytes)` : "";
    lines.push(`${label("output")}${report.output.length === 0 ? "(empty)" : bytesToHex(shown) + more}`);
  }
  const changed = changedRegisters(report);
  if (changed.length === 0) {
    lines.push(`${label("registers")}none changed`);
  } else {
    lines.push(s.dim("changed registers:"));
    for (const i of changed) {
      const v = report.final[i];
      lines.push(`  ${`r${i}`.padEnd(4)}${hex64(v)}  ${decimal64(v)}`);
    }
  }
  return lines.join("\n") + "\n";
}
