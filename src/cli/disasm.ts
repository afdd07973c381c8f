/**
 * `pvmkit disasm FILE`: print a program's disassembly.
 *
 * @module
 */
import { disassemble } from "../isa/disassembler.ts";
import { ISA_PROFILES } from "../isa/opcodes.ts";
import { ProgramError } from "../program/errors.ts";
import { isJar, parseJar } from "../program/jar.ts";
import { disassembleJarCode } from "./jar.ts";
import { ISA_NAMES, parseFormat, parseIsa } from "./_load.ts";
import { flag, InputError, parseCommandArgs, readBytes, singleOperand, stringOption, writeBytes } from "./_args.ts";
import type { CliIo } from "./_output.ts";

/** Help text for `pvmkit disasm`. */
export const DISASM_HELP = `Usage: pvmkit disasm [options] FILE

Disassemble a PVM program blob (generic, SPI or SPI with metadata; detected
automatically) into readable assembly. A JAR v2 blob (magic "JAR\\x02") is listed one
CODE cap after another, decoded with the javm ISA profile.

Options:
  --format F    force the container format: auto (default), generic, spi, spi-metadata
  --isa I       decode opcodes as ISA profile I does (${ISA_NAMES.join(", ")});
                default: every opcode of the table (javm for JAR blobs). Opcodes the
                profile numbers differently are listed as .raw, so the listing still
                assembles to the same bytes
  -o, --output OUT
                write the listing to OUT instead of standard output
  -h, --help    show this help

Exit status: 0 on success, 2 on a usage or input error (including a malformed program).
`;

/** `pvmkit disasm`. Returns the exit code. */
export function disasmCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    format: { type: "string" },
    isa: { type: "string" },
    output: { type: "string", short: "o" },
  });
  if (flag(args, "help")) {
    io.stdout(DISASM_HELP);
    return Promise.resolve(0);
  }
  const path = singleOperand(args, "program FILE");
  const format = parseFormat(stringOption(args, "format")) ?? "auto";
  const isaName = parseIsa(stringOption(args, "isa"));
  const isa = isaName === undefined ? undefined : ISA_PROFILES.get(isaName);
  const output = stringOption(args, "output");
  const bytes = readBytes(path);
  let listing: string;
  try {
    if (format === "auto" && isJar(bytes)) {
      listing = disassembleJarCode(parseJar(bytes), isa)
        .map((l) => `; CODE cap in slot ${l.slot}\n${l.disassembly}`)
        .join("\n");
    } else listing = disassemble(bytes, { format, isa });
  } catch (error) {
    if (error instanceof ProgramError) {
      const hint = path.toLowerCase().endsWith(".pvmasm") ? " (this looks like assembly source: try pvmkit asm)" : "";
      throw new InputError(`${path}: ${error.message}${hint}`);
    }
    throw error;
  }
  if (!listing.endsWith("\n")) listing += "\n";
  if (output === undefined || output === "-") io.stdout(listing);
  else writeBytes(output, listing);
  return Promise.resolve(0);
}
