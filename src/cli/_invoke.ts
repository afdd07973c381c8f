/**
 * What `pvmkit refine`, `accumulate` and `authorize` share: the common flags (gas,
 * backend, format, host-call tracing, trace recording, JSON output, log messages), loading
 * the service code, the state file, and printing the result.
 *
 * @module
 */
import { type Backend, Module } from "../engine.ts";
import { loadCryptoFunctions } from "./_crypto.ts";
import type { HostFunctionSpec } from "../host/host.ts";
import { combineObservers, formatHostCall, type RunObserver } from "../host/observe.ts";
import type { LogEntry, LogOptions } from "../host/jam/general.ts";
import type { InvocationResult } from "../host/jam/invocations.ts";
import { stateFromJson, StateJsonError, stateToJson } from "../host/jam/state_json.ts";
import type { InMemoryServiceState } from "../host/jam/state.ts";
import { WHAT } from "../host/jam/constants.ts";
import { ProgramError } from "../program/errors.ts";
import { Jip6Recorder } from "../trace/jip6_writer.ts";
import {
  flag,
  InputError,
  type OptionSpecs,
  parseBounded,
  parseBytesArgument,
  parseCommandArgs,
  type ParsedArgs,
  readBytes,
  readText,
  singleOperand,
  stringList,
  stringOption,
  UsageError,
  writeBytes,
} from "./_args.ts";
import { bytesToHex, type CliIo, style, toJson } from "./_output.ts";
import { parseBackend } from "./_load.ts";
import { LIMIT_OPTIONS, limitsHelp, parseLimits } from "./_limits.ts";
import type { Limits } from "../limits.ts";

/** Gas given to an invocation when `--gas` is absent. */
export const DEFAULT_INVOCATION_GAS = 10_000_000n;

/** Flags every invocation command takes. */
const COMMON_INVOCATION_OPTIONS: OptionSpecs = {
  gas: { type: "string" },
  backend: { type: "string" },
  format: { type: "string" },
  "trace-host": { type: "boolean" },
  "record-trace": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  crypto: { type: "boolean" },
  ...LIMIT_OPTIONS,
};

/** Help lines for {@link COMMON_INVOCATION_OPTIONS}, and the exit status the invocation commands share. */
export const COMMON_INVOCATION_HELP =
  `  --gas N               gas given (default 10_000_000); accepts 1_000_000, 0x..., 1e6
  --backend B           interpreter (default), recompiler or auto; all give the same result
  --format F            auto (default: SPI with metadata, else plain SPI), spi-metadata or spi
  --trace-host          print every host call to stderr: name and id, pc, r7..r12, r7 and r8
                        after it, gas before the host's charge and after the call
  --record-trace FILE   write a JIP-6 trace of the run to FILE ('pvmkit replay FILE'
                        replays it exactly, without the host)
  --json                print one JSON object (64-bit numbers as decimal strings)
  -q, --quiet           do not print the guest's log messages (JIP-1 log, to stderr)
  --crypto              also offer pvmkit's crypto extension (not GP): blake2b_256,
                        keccak_256, sha2_256, ed25519_verify, secp256k1_ecrecover at
                        ids 0x10000-0x10004 (see the README)
${limitsHelp(24)}
  -h, --help            show this help

Exit status: 0 on halt, 1 on panic or out of gas, 2 on a usage or input error, 4 when
a resource limit stopped the run.`;

/** The common flags, parsed. */
export interface CommonInvocationFlags {
  /** Gas given. */
  gas: bigint;
  /** Backend. */
  backend: Backend;
  /** Forced format, or undefined for auto. */
  format: "spi" | "spi-metadata" | undefined;
  /** Print host calls. */
  traceHost: boolean;
  /** Where to write a JIP-6 trace. */
  recordTrace: string | undefined;
  /** JSON output. */
  json: boolean;
  /** Hide log messages. */
  quiet: boolean;
  /** The crypto extension's host functions, if `--crypto` was given (for a policy's `extra`). */
  extra: HostFunctionSpec[] | undefined;
  /** Resource limits (`--timeout`, `--max-memory`, and for refine `--max-machines`). */
  limits: Limits;
}

/**
 * How every invocation command starts: parse {@link COMMON_INVOCATION_OPTIONS} plus the
 * command's `own` options, answer `--help` with `help` (then undefined), take the one code
 * FILE operand (`operand` names it in errors) and read the common flags.
 */
export async function parseInvocationArgs(
  argv: string[],
  io: CliIo,
  own: OptionSpecs,
  help: string,
  operand: string,
): Promise<{ args: ParsedArgs; file: string; flags: CommonInvocationFlags } | undefined> {
  const args = parseCommandArgs(argv, { ...COMMON_INVOCATION_OPTIONS, ...own });
  if (flag(args, "help")) {
    io.stdout(help);
    return undefined;
  }
  const file = singleOperand(args, operand);
  return { args, file, flags: await commonFlags(args) };
}

/** Parse {@link COMMON_INVOCATION_OPTIONS} (loading the crypto extension if `--crypto` asks for it). */
async function commonFlags(args: ParsedArgs): Promise<CommonInvocationFlags> {
  const gasText = stringOption(args, "gas");
  const format = stringOption(args, "format") ?? "auto";
  if (!["auto", "spi", "spi-metadata"].includes(format)) {
    throw new UsageError(`--format must be auto, spi or spi-metadata, not "${format}"`);
  }
  return {
    gas: gasText === undefined ? DEFAULT_INVOCATION_GAS : parseBounded(gasText, "--gas", 0n, (1n << 63n) - 1n),
    backend: parseBackend(stringOption(args, "backend")),
    format: format === "auto" ? undefined : format as "spi" | "spi-metadata",
    traceHost: flag(args, "trace-host"),
    recordTrace: stringOption(args, "record-trace"),
    json: flag(args, "json"),
    quiet: flag(args, "quiet"),
    extra: flag(args, "crypto") ? await loadCryptoFunctions() : undefined,
    limits: parseLimits(args),
  };
}

/** Service code loaded for an invocation. */
export interface ServiceCode {
  /** The parsed program. */
  module: Module;
  /** Whether the file had the metadata prefix. */
  metadata: boolean;
  /** The file's bytes. */
  bytes: Uint8Array;
}

/**
 * Load service code: a standard program with the metadata prefix (GP 0.7 service code),
 * or without it (older builds such as jamduna's), detected unless `format` is given.
 */
export function loadServiceCode(path: string, format: "spi" | "spi-metadata" | undefined): ServiceCode {
  const bytes = readBytes(path);
  const tries: ("spi-metadata" | "spi")[] = format ? [format] : ["spi-metadata", "spi"];
  let first: ProgramError | undefined;
  for (const f of tries) {
    try {
      return { module: Module.load(bytes, { format: f }), metadata: f === "spi-metadata", bytes };
    } catch (error) {
      if (!(error instanceof ProgramError)) throw error;
      first ??= error;
    }
  }
  const what = format ? `a ${format} program` : "a standard program (SPI, with or without metadata)";
  throw new InputError(`${path}: not ${what}: ${first!.message}`);
}

/** Bytes of a repeatable `HEX|@FILE` option. */
export function bytesList(args: ParsedArgs, name: string): Uint8Array[] {
  return stringList(args, name).map((text) => parseBytesArgument(text, `--${name}`));
}

/** Bytes of an optional `HEX|@FILE` option, checked against `length` if given. */
export function bytesOption(args: ParsedArgs, name: string, length?: number): Uint8Array | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const bytes = parseBytesArgument(text, `--${name}`);
  if (length !== undefined && bytes.length !== length) {
    throw new UsageError(`--${name} must be ${length} bytes, not ${bytes.length}`);
  }
  return bytes;
}

/** An optional u32 option (`fallback` when absent). */
export function u32Option(args: ParsedArgs, name: string, fallback: number): number {
  const text = stringOption(args, name);
  return text === undefined ? fallback : Number(parseBounded(text, `--${name}`, 0n, 0xffffffffn));
}

const LEVELS = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

/**
 * `log` as the CLI answers it: 10 gas and r7 = WHAT (JIP-1 as the public traces record
 * it), messages to stderr unless quiet. The message is read even when quiet, so a
 * recorded trace shows the same reads either way.
 */
function cliLog(io: CliIo, quiet: boolean): LogOptions {
  const sink = (e: LogEntry) => {
    if (quiet) return;
    const level = e.level < 5n ? LEVELS[Number(e.level)] : `LEVEL${e.level}`;
    io.stderr(`log ${level}${e.target ? ` [${e.target}]` : ""} ${e.message}\n`);
  };
  return { gas: 10n, result: WHAT, sink };
}

/** What every invocation command passes to its entry point (`refine`, `accumulate`, `isAuthorized`). */
export interface SharedInvocationOptions {
  code: Module;
  gas: bigint;
  backend: Backend;
  log: LogOptions;
  observer: RunObserver;
  extra: HostFunctionSpec[] | undefined;
  limits: Limits;
}

/**
 * Set up an invocation from the common flags: the entry point's shared options (with the
 * observer for `--trace-host` and `--record-trace`), the recorder if any, and a count of
 * the host calls made.
 */
export function invocationSetup(
  io: CliIo,
  flags: CommonInvocationFlags,
  code: ServiceCode,
): { options: SharedInvocationOptions; recorder: Jip6Recorder | undefined; count: () => number } {
  let calls = 0;
  const recorder = flags.recordTrace === undefined
    ? undefined
    : new Jip6Recorder(code.bytes, { metadata: code.metadata });
  const observer = combineObservers(recorder, {
    onCall: (event) => {
      calls++;
      if (flags.traceHost) io.stderr(formatHostCall(calls, event) + "\n");
    },
  });
  const options = {
    code: code.module,
    gas: flags.gas,
    backend: flags.backend,
    log: cliLog(io, flags.quiet),
    observer,
    extra: flags.extra,
    limits: flags.limits,
  };
  return { options, recorder, count: () => calls };
}

/** Write the recorded trace, if one was asked for (a run that never started has none: say so). */
export function writeRecordedTrace(
  io: CliIo,
  flags: CommonInvocationFlags,
  recorder: Jip6Recorder | undefined,
): void {
  if (flags.recordTrace === undefined || !recorder) return;
  if (!recorder.complete) {
    io.stderr(`no trace written to ${flags.recordTrace}: the program never ran\n`);
    return;
  }
  writeBytes(flags.recordTrace, recorder.text());
}

/** Load a `--state` file (see state_json.ts for the format). */
export function loadStateFile(path: string): InMemoryServiceState {
  let json: unknown;
  try {
    json = JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InputError(`${path}: not JSON: ${error.message}`);
    throw error;
  }
  try {
    return stateFromJson(json);
  } catch (error) {
    if (error instanceof StateJsonError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
}

/** Write a state file. */
export function saveStateFile(path: string, state: InMemoryServiceState): void {
  writeBytes(path, JSON.stringify(stateToJson(state), null, 2) + "\n");
}

/** A result line: label and value. */
export type ReportLine = readonly [label: string, value: string];

/**
 * Print an invocation's result: status, gas used, output, host calls and any lines the
 * command adds; or with `--json` one object with `extra` merged in. Returns the exit code
 * (0 halt, 1 panic or out of gas).
 */
export function printInvocation(
  io: CliIo,
  flags: CommonInvocationFlags,
  result: InvocationResult,
  hostCalls: number,
  lines: readonly ReportLine[],
  extra: Record<string, unknown>,
): number {
  if (flags.json) {
    io.stdout(
      toJson({
        status: result.status,
        gasUsed: result.gasUsed,
        gasLeft: flags.gas - result.gasUsed,
        pc: result.exit?.pc,
        output: result.output ? bytesToHex(result.output) : undefined,
        hostCalls,
        backend: flags.backend,
        ...extra,
      }) + "\n",
    );
  } else {
    const s = style(io);
    const colour = result.status === "halt" ? s.green : s.red;
    const label = (name: string) => s.dim(name.padEnd(11));
    const out: string[] = [
      `${label("status")}${s.bold(colour(result.status))}${result.status === "oog" ? " (out of gas)" : ""}`,
      `${label("gas used")}${result.gasUsed}`,
      `${label("gas left")}${flags.gas - result.gasUsed}`,
    ];
    if (result.exit) out.push(`${label("pc")}${result.exit.pc}`);
    if (result.output) {
      const shown = result.output.subarray(0, 64);
      const more = result.output.length > 64 ? `… (${result.output.length} bytes)` : "";
      out.push(`${label("output")}${result.output.length === 0 ? "(empty)" : "0x" + bytesToHex(shown) + more}`);
    }
    out.push(`${label("host calls")}${hostCalls}`);
    for (const [name, value] of lines) out.push(`${label(name)}${value}`);
    io.stdout(out.join("\n") + "\n");
  }
  return result.status === "halt" ? 0 : 1;
}
