/**
 * The `pvmkit` command line: dispatch to a command, top-level help and version, and
 * the mapping from errors to exit codes.
 *
 * Exit codes: 0 success (halt; a host call when stopping at host calls; replay match),
 * 1 the guest failed (panic, page fault, out of gas) or a replay mismatched,
 * 2 usage or input error (one line on stderr), 3 internal error (a stack trace and a
 * note that it is a bug).
 *
 * @module
 */
import process from "node:process";
import { ProgramError } from "../program/errors.ts";
import { LimitError } from "../limits.ts";
import { describeLimit, EXIT_LIMIT } from "./_limits.ts";
import { VERSION } from "../version.ts";
import { InputError, UsageError } from "./_args.ts";
import { type CliIo, processIo } from "./_output.ts";
import { ACCUMULATE_HELP, accumulateCommand } from "./accumulate.ts";
import { ASM_HELP, asmCommand } from "./asm.ts";
import { AUTHORIZE_HELP, authorizeCommand } from "./authorize.ts";
import { COMPILE_HELP, compileCommand } from "./compile.ts";
import { DISASM_HELP, disasmCommand } from "./disasm.ts";
import { GAS_HELP, gasCommand } from "./gas.ts";
import { REFINE_HELP, refineCommand } from "./refine.ts";
import { REPLAY_HELP, replayCommand } from "./replay.ts";
import { RUN_HELP, runCommand } from "./run.ts";
import { INSPECT_HELP, inspectCommand } from "./inspect.ts";
import { CALL_HELP, callCommand } from "./call.ts";
import { fileWasmStore, WASM_CACHE_ENV } from "./_wasm_cache.ts";
import { setWasmStore } from "../recompiler/runtime.ts";

export type { CapturedIo, CliIo } from "./_output.ts";
export { captureIo } from "./_output.ts";

/** Exit code for success. */
export const EXIT_OK = 0;
/** Exit code when the guest panicked, faulted or ran out of gas, or a replay mismatched. */
export const EXIT_FAILURE = 1;
/** Exit code for a usage or input error. */
export const EXIT_USAGE = 2;
/** Exit code for an internal error (a bug in pvmkit). */
export const EXIT_INTERNAL = 3;
/** Exit code when a resource limit (--timeout, --max-memory, --max-machines) stopped the run. */
export { EXIT_LIMIT } from "./_limits.ts";

/** One subcommand. */
interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { name: "run", summary: "run a program and report its exit, gas and registers", help: RUN_HELP, run: runCommand },
  { name: "disasm", summary: "disassemble a program blob into assembly", help: DISASM_HELP, run: disasmCommand },
  { name: "asm", summary: "assemble .pvmasm source into a program blob", help: ASM_HELP, run: asmCommand },
  {
    name: "replay",
    summary: "replay a JIP-6 trace and report the first mismatch",
    help: REPLAY_HELP,
    run: replayCommand,
  },
  {
    name: "compile",
    summary: "compile a program to the WebAssembly module the recompiler runs",
    help: COMPILE_HELP,
    run: compileCommand,
  },
  {
    name: "gas",
    summary: "list every basic block's gas cost; --explain draws a block's pipeline timeline",
    help: GAS_HELP,
    run: gasCommand,
  },
  {
    name: "refine",
    summary: "run a service's refine with the JAM Refine host functions",
    help: REFINE_HELP,
    run: refineCommand,
  },
  {
    name: "accumulate",
    summary: "run a service's accumulate on a JSON state (saved back)",
    help: ACCUMULATE_HELP,
    run: accumulateCommand,
  },
  {
    name: "authorize",
    summary: "run an authorizer's is-authorized",
    help: AUTHORIZE_HELP,
    run: authorizeCommand,
  },
  {
    name: "inspect",
    summary: "show a .polkavm program (sections, imports, exports) or a JAR blob (manifest, caps)",
    help: INSPECT_HELP,
    run: inspectCommand,
  },
  {
    name: "call",
    summary: "call an export of a .polkavm program with arguments",
    help: CALL_HELP,
    run: callCommand,
  },
];

/** Top-level help text. */
export function topHelp(): string {
  const width = Math.max(4, ...COMMANDS.map((c) => c.name.length)) + 2;
  return `pvmkit ${VERSION} — a runtime for JAM's PVM (Polkadot Virtual Machine)

Usage: pvmkit COMMAND [options] [operands]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}
  ${"help".padEnd(width)}show help for a command: pvmkit help COMMAND

Options:
  -h, --help     show this help (or a command's, after the command)
  -V, --version  print the version

Environment:
  PVMKIT_WASM_CACHE=DIR  keep the Wasm the recompiler emits in DIR and reuse it
  NO_COLOR               no colours even on a terminal

Exit status: 0 success, 1 guest panic/fault/out of gas or replay mismatch,
2 usage or input error, 3 internal error, 4 stopped by a resource limit
(--timeout, --max-memory, --max-machines).
`;
}

/**
 * Run the CLI with `argv` (the arguments after the program name) and return the exit
 * code. Nothing is thrown and the process is not touched: all output goes to `io`
 * (by default the process's stdout and stderr).
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const cacheDir = process.env[WASM_CACHE_ENV];
  setWasmStore(cacheDir ? fileWasmStore(cacheDir) : undefined);
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(topHelp());
    return EXIT_USAGE;
  }
  if (first === "-h" || first === "--help") {
    io.stdout(topHelp());
    return EXIT_OK;
  }
  if (first === "-V" || first === "--version" || first === "version") {
    io.stdout(`pvmkit ${VERSION}\n`);
    return EXIT_OK;
  }
  if (first === "help") {
    if (rest.length === 0) {
      io.stdout(topHelp());
      return EXIT_OK;
    }
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (!command || rest.length > 1) return usageError(io, undefined, `no help for "${rest.join(" ")}"`);
    io.stdout(command.help);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith("-") ? `unknown option ${first}` : `unknown command "${first}"`;
    return usageError(io, undefined, what);
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, command.name, error.message);
    if (error instanceof LimitError) {
      io.stderr(`pvmkit ${command.name}: ${describeLimit(error)}\n`);
      return EXIT_LIMIT;
    }
    if (error instanceof InputError || error instanceof ProgramError) {
      io.stderr(`pvmkit ${command.name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    io.stderr(
      `pvmkit ${command.name}: internal error — this is a bug in pvmkit ${VERSION}; please report it ` +
        `with the command line and input.\n${detail}\n`,
    );
    return EXIT_INTERNAL;
  }
}

function usageError(io: CliIo, command: string | undefined, message: string): number {
  const prefix = command ? `pvmkit ${command}` : "pvmkit";
  const hint = command ? `pvmkit ${command} --help` : "pvmkit --help";
  io.stderr(`${prefix}: ${message}\nRun '${hint}' for usage.\n`);
  return EXIT_USAGE;
}

/**
 * Entry point for the executable: run {@link main} on `process.argv` and set the
 * process exit code. A closed stdout pipe (`pvmkit disasm x | head`) ends quietly.
 */
export async function runFromProcess(): Promise<void> {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
