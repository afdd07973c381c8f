/**
 * `pvmkit asm FILE`: assemble PVM assembly source into program bytes.
 *
 * @module
 */
import { assemble, AssemblyError } from "../isa/assembler.ts";
import {
  flag,
  InputError,
  parseCommandArgs,
  readText,
  singleOperand,
  stringOption,
  UsageError,
  writeBytes,
} from "./_args.ts";
import type { CliIo } from "./_output.ts";

/** Help text for `pvmkit asm`. */
export const ASM_HELP = `Usage: pvmkit asm [options] FILE.pvmasm

Assemble PVM assembly source into a program blob (a generic blob, or an SPI program
when the source uses SPI directives).

Options:
  -o, --output OUT  where to write the bytes; "-" writes them to standard output.
                    Default: FILE with its extension replaced by .pvm
                    (fib.pvmasm -> fib.pvm). The input file is never overwritten.
  -h, --help        show this help

On success a line "wrote N bytes to OUT" goes to standard error, so nothing is
written silently. An assembly error is printed as FILE:LINE:COLUMN: message.

Exit status: 0 on success, 2 on a usage, input or assembly error.
`;

/** Default output path: the input's extension replaced by `.pvm` (or `.pvm` appended). */
export function defaultAsmOutput(input: string): string {
  const slash = Math.max(input.lastIndexOf("/"), input.lastIndexOf("\\"));
  const dot = input.lastIndexOf(".");
  return (dot > slash + 1 ? input.slice(0, dot) : input) + ".pvm";
}

/** Assemble the source in `path`, turning an {@link AssemblyError} into a one-line {@link InputError}. */
export function assembleFile(path: string): Uint8Array {
  const source = readText(path);
  try {
    return assemble(source, { fileName: path });
  } catch (error) {
    if (error instanceof AssemblyError) {
      throw new InputError(`${error.fileName}:${error.line}:${error.column}: ${error.reason}`);
    }
    throw error;
  }
}

/** `pvmkit asm`. Returns the exit code. */
export function asmCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { output: { type: "string", short: "o" } });
  if (flag(args, "help")) {
    io.stdout(ASM_HELP);
    return Promise.resolve(0);
  }
  const path = singleOperand(args, "source FILE");
  const output = stringOption(args, "output") ?? defaultAsmOutput(path);
  if (output === path) throw new UsageError(`refusing to overwrite the input ${path}; give another file with -o`);
  const bytes = assembleFile(path);
  if (output === "-") {
    io.stdoutBytes(bytes);
  } else {
    writeBytes(output, bytes);
    io.stderr(`wrote ${bytes.length} bytes to ${output}\n`);
  }
  return Promise.resolve(0);
}
