/**
 * `pvmkit call FILE.polkavm EXPORT [ARGS…]`: call an export of a PolkaVM program with
 * arguments and print what it returns; imports answer with constants given on the
 * command line.
 *
 * @module
 */
import { Module } from "../engine.ts";
import { PolkaVmCallError, type PolkaVmImport, PolkaVmInstance } from "../host/polkavm.ts";
import { ProgramError } from "../program/errors.ts";
import {
  flag,
  InputError,
  parseCommandArgs,
  parseInteger,
  readBytes,
  stringList,
  stringOption,
  UsageError,
} from "./_args.ts";
import { type CliIo, toJson } from "./_output.ts";
import { EXIT_LIMIT, LIMIT_OPTIONS, limitsHelp, parseLimits } from "./_limits.ts";
import { parseBackend } from "./_load.ts";

/** Gas a call gets by default: seconds of guest work, so a guest that never returns still ends. */
const DEFAULT_GAS = 10_000_000_000n;

/** Help text for `pvmkit call`. */
export const CALL_HELP = `Usage: pvmkit call [options] FILE.polkavm EXPORT [ARG…]

Call the export EXPORT of a PolkaVM program the way PolkaVM does (fresh registers,
arguments in A0–A5 and T0–T2, memory laid out from the file) and print A0 (and A1)
when it returns. Each ARG is an integer (decimal, 0x…, negative allowed) and takes one
register; on the 32-bit ISA pass a 64-bit value as two arguments, low word first.

Options:
  --import NAME=V   answer every call of import NAME with V in A0 (repeatable);
                    a call of any other import fails the call
  --gas N           gas for the call (default 10^10; the container carries no gas)
  --page-size N     page size of the memory layout (default 4096)
  --backend B       interpreter, recompiler or auto (default)
${limitsHelp(20)}
  --json            one JSON object instead of text
  -h, --help        show this help

Exit status: 0 the export returned, 1 the guest trapped, faulted, ran out of gas or
called an import with no answer, 2 usage or input error, 3 internal error, 4 a
resource limit (--timeout, --max-memory) stopped the call.
`;

/** `pvmkit call`. Returns the exit code. */
export function callCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    import: { type: "string", multiple: true },
    gas: { type: "string" },
    "page-size": { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
    ...LIMIT_OPTIONS,
  });
  if (flag(args, "help")) {
    io.stdout(CALL_HELP);
    return Promise.resolve(0);
  }
  const [path, exportName, ...operands] = args.positionals;
  if (path === undefined) throw new UsageError("missing program FILE");
  if (exportName === undefined) throw new UsageError("missing EXPORT name");
  const values = operands.map((text) => parseInteger(text, `argument "${text}"`, true));
  const imports: Record<string, PolkaVmImport> = {};
  for (const item of stringList(args, "import")) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--import expects NAME=VALUE, not "${item}"`);
    const value = parseInteger(item.slice(eq + 1), `--import ${item.slice(0, eq)}`, true);
    imports[item.slice(0, eq)] = () => value;
  }
  const backend = parseBackend(stringOption(args, "backend"), "auto");
  const gasText = stringOption(args, "gas");
  const gas = gasText === undefined ? DEFAULT_GAS : parseInteger(gasText, "--gas");
  const pageText = stringOption(args, "page-size");
  const pageSize = pageText === undefined ? undefined : Number(parseInteger(pageText, "--page-size"));
  const limits = parseLimits(args);
  let module: Module;
  try {
    module = Module.load(readBytes(path), { format: "polkavm" });
  } catch (error) {
    if (error instanceof ProgramError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
  const program = module.polkavm!;
  if (!program.exports.some((e) => e.name === exportName)) {
    throw new InputError(
      `${path} has no export "${exportName}" (exports: ${program.exports.map((e) => e.name).join(", ")})`,
    );
  }
  if (values.length > 9) throw new UsageError(`${values.length} arguments (at most 9)`);
  let vm: PolkaVmInstance;
  try {
    vm = PolkaVmInstance.create(module, { imports, backend, pageSize, limits });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  try {
    vm.call(exportName, values, { gas });
  } catch (error) {
    if (!(error instanceof PolkaVmCallError)) throw error;
    const message = error.exit?.kind === "limit"
      ? `call to "${exportName}" stopped by --timeout (${limits.deadlineMs} ms) at pc ${error.exit.pc}`
      : error.message;
    if (flag(args, "json")) io.stdout(toJson({ ok: false, error: message, exit: error.exit }) + "\n");
    else io.stderr(`pvmkit call: ${message}\n`);
    return Promise.resolve(error.exit?.kind === "limit" ? EXIT_LIMIT : 1);
  }
  const [a0, a1] = vm.result();
  if (flag(args, "json")) io.stdout(toJson({ ok: true, a0, a1 }) + "\n");
  else io.stdout(`${exportName} returned A0 = ${a0} (0x${a0.toString(16)}), A1 = ${a1}\n`);
  return Promise.resolve(0);
}
