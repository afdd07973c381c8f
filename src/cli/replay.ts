/**
 * `pvmkit replay TRACE`: replay a JIP-6 trace on the interpreter (or another backend)
 * and report whether every host call and the final state match.
 *
 * @module
 */
import { parseTrace, replayTrace, type Trace, TraceError } from "../trace/jip6.ts";
import { flag, InputError, parseCommandArgs, readText, singleOperand, stringOption } from "./_args.ts";
import { type CliIo, style, toJson } from "./_output.ts";
import { parseFormat, parseGasModel, parseIsa } from "./_load.ts";
import { parseBackend } from "./_load.ts";

/** Help text for `pvmkit replay`. */
export const REPLAY_HELP = `Usage: pvmkit replay [options] TRACE

Replay a JIP-6 execution trace: load its program, start it as the trace says, and
at every host call check the call index, pc, gas, registers and the memory the host
read, then apply what the host wrote and continue. Finally check how the run ended.
Prints OK with the number of host calls replayed, or the first mismatch.

Options:
  --format F   container format of the trace's program: spi-metadata (default, with a
               fallback to auto-detection), auto, generic or spi
  --backend B  run the program on interpreter (default), recompiler or auto; a
               correct backend replays every trace exactly like the interpreter
  --gas-model M
               per-instruction (default, GP 0.7.2), pipeline (GP 0.8 draft: block
               costs charged in advance) or pipeline-vectors; must be the model the
               trace was recorded under, or the gas will not match
  --isa I      opcode numbering: 0.7.2 (default), 0.8-draft or gas-vectors
  --json       print one JSON object
  -h, --help   show this help

Exit status: 0 when the replay matches, 1 on a mismatch, 2 on a usage or input
error (including a malformed trace).
`;

/** `pvmkit replay`. Returns the exit code. */
export function replayCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    format: { type: "string" },
    backend: { type: "string" },
    "gas-model": { type: "string" },
    isa: { type: "string" },
    json: { type: "boolean" },
  });
  if (flag(args, "help")) {
    io.stdout(REPLAY_HELP);
    return Promise.resolve(0);
  }
  const path = singleOperand(args, "TRACE file");
  const format = parseFormat(stringOption(args, "format"));
  const backend = parseBackend(stringOption(args, "backend"));
  const gasModel = parseGasModel(stringOption(args, "gas-model"));
  const isa = parseIsa(stringOption(args, "isa"));
  const text = readText(path);
  let trace: Trace;
  try {
    trace = parseTrace(text);
  } catch (error) {
    if (error instanceof TraceError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
  const result = replayTrace(trace, {
    ...(format === undefined ? {} : { format }),
    gasModel,
    ...(isa === undefined ? {} : { isa }),
    instantiate: (m, o) => m.instantiate({ ...o, backend }),
  });
  const hostCalls = trace.hostCalls.length;
  if (flag(args, "json")) {
    io.stdout(
      toJson({
        ok: result.ok,
        backend,
        gasModel,
        hostCalls,
        steps: result.steps,
        exit: result.exit,
        mismatch: result.mismatch,
      }) + "\n",
    );
    return Promise.resolve(result.ok ? 0 : 1);
  }
  const s = style(io);
  if (result.ok) {
    const exit = result.exit;
    const end = exit ? `; ended with ${exit.kind} at pc ${exit.pc}, gas left ${exit.gas}` : "";
    const on = backend === "interpreter" ? "" : ` (backend: ${backend})`;
    io.stdout(`${s.bold(s.green("OK"))}: ${result.steps} host call(s) replayed${end}${on}\n`);
    return Promise.resolve(0);
  }
  const m = result.mismatch;
  if (!m) throw new Error("replayTrace reported failure without a mismatch");
  io.stdout(
    `${s.bold(s.red("MISMATCH"))} in ${path}: ${m.message}\n` +
      `${result.steps} of ${hostCalls} host call(s) matched before it.\n`,
  );
  return Promise.resolve(1);
}
