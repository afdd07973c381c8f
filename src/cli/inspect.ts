/**
 * `pvmkit inspect FILE.polkavm`: list a PolkaVM program's sections, memory sizes, imports
 * and exports.
 *
 * @module
 */
import { ProgramError } from "../program/errors.ts";
import { parsePolkaVm, type PolkaVmProgram } from "../program/polkavm.ts";
import { flag, InputError, parseCommandArgs, readBytes, singleOperand } from "./_args.ts";
import { type CliIo, toJson } from "./_output.ts";
import { isJar } from "../program/jar.ts";
import { inspectJar } from "./jar.ts";

/** Help text for `pvmkit inspect`. */
export const INSPECT_HELP = `Usage: pvmkit inspect [options] FILE.polkavm|FILE.jar

Show what a PolkaVM program (.polkavm container) holds: its ISA (32- or 64-bit), every
section with its offset and length (debug sections included), the memory sizes, the
imports (ecalli N calls import N) and the exports (name and pc). For a JAR v2 blob
(capability kernel): the header, every manifest entry, and the disassembly of each CODE cap.
The format is detected from the file's magic; anything else is an error.

Options:
  --json        one JSON object instead of text
  -h, --help    show this help

Exit status: 0 on success, 2 on a usage or input error (including a malformed file).
`;

/** `pvmkit inspect`. Returns the exit code. */
export function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: "boolean" } });
  if (flag(args, "help")) {
    io.stdout(INSPECT_HELP);
    return Promise.resolve(0);
  }
  const path = singleOperand(args, "program FILE");
  const bytes = readBytes(path);
  if (isJar(bytes)) return inspectJar(path, flag(args, "json"), io);
  let program: PolkaVmProgram;
  try {
    program = parsePolkaVm(bytes);
  } catch (error) {
    if (error instanceof ProgramError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
  const summary = {
    version: program.version,
    isa: program.isa.name,
    bits: program.bits,
    sections: program.sections.map((s) => ({ id: s.id, name: s.name, offset: s.offset, length: s.length })),
    memory: { roDataSize: program.roDataSize, rwDataSize: program.rwDataSize, stackSize: program.stackSize },
    code: {
      bytes: program.blob.code.length,
      jumpTable: program.blob.jumpTable.count,
      jumpTableEntrySize: program.blob.jumpTable.entrySize,
    },
    imports: program.imports.map((name, index) => ({ index, name })),
    exports: program.exports,
  };
  if (flag(args, "json")) {
    io.stdout(toJson(summary) + "\n");
    return Promise.resolve(0);
  }
  const lines = [
    `${path}: .polkavm, ISA byte ${program.version} (${program.bits}-bit, profile ${program.isa.name})`,
    `code: ${summary.code.bytes} bytes, jump table ${summary.code.jumpTable} × ${summary.code.jumpTableEntrySize} bytes`,
    `memory: ro data ${program.roDataSize} bytes (${program.roData.length} in the file), ` +
    `rw data ${program.rwDataSize} bytes (${program.rwData.length} in the file), stack ${program.stackSize} bytes`,
    `sections:`,
    ...program.sections.map((s) =>
      `  ${String(s.id).padStart(3)}  ${s.name.padEnd(26)} offset ${s.offset}, ${s.length} bytes`
    ),
    `imports (${program.imports.length}):`,
    ...program.imports.flatMap((name, i) => (name === "" ? [] : [`  ${String(i).padStart(4)}  ${name}`])),
    ...(program.imports.some((name) => name === "")
      ? [`  (${program.imports.filter((n) => n === "").length} unnamed, index-pinned)`]
      : []),
    `exports (${program.exports.length}):`,
    ...program.exports.map((e) => `  ${e.name} @ pc ${e.pc}`),
  ];
  io.stdout(lines.join("\n") + "\n");
  return Promise.resolve(0);
}
