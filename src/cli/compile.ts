/**
 * `pvmkit compile FILE`: write the WebAssembly module the recompiler emits for a
 * program, or (with `--wat`) its text form, and report sizes and compile time.
 *
 * @module
 */
import {
  flag,
  InputError,
  type MapSpec,
  parseCommandArgs,
  parseMap,
  singleOperand,
  stringList,
  stringOption,
  UsageError,
  writeBytes,
} from "./_args.ts";
import { loadModule, parseFormat, parseGasModel, parseIsa, parseStandardArgs } from "./_load.ts";
import { type CliIo, hex32 } from "./_output.ts";
import { runOptions } from "./run.ts";
import { EMITTED_WASM_FEATURES } from "../recompiler/wasm/opcodes.ts";

/** Help text for `pvmkit compile`. */
export const COMPILE_HELP = `Usage: pvmkit compile [options] FILE

Compile a PVM program to the WebAssembly module the recompiler backend runs, and
write it out. Sizes, the number of compiled blocks and regions (one Wasm function
per region) and the compile time go to standard error.

FILE is a program blob (generic, SPI or SPI with metadata; detected automatically)
or PVM assembly source ending in .pvmasm, which is assembled first.

The code depends on where guest memory sits inside the Wasm memory, which depends
on the program's memory layout: give the same --args (SPI) or --map (generic) as
you would to pvmkit run to get exactly the module a run would use.

Options:
  -o, --output OUT    where to write; "-" writes to standard output. Default: FILE
                      with its extension replaced by .wasm (or .wat with --wat)
  --wat               write the text format instead of the binary; needs the
                      optional wabt package (npm install wabt)
  --format F          force the container format: auto (default), generic, spi, spi-metadata
  --args HEX|@FILE    argument bytes of an SPI program, as for pvmkit run
  --map ADDR:LEN:rw   memory of a generic program, as for pvmkit run (repeatable)
  --gas-model M       the gas model compiled in: per-instruction (default),
                      pipeline or pipeline-vectors, as for pvmkit run
  --isa I             opcode numbering: 0.7.2 (default), 0.8-draft or gas-vectors
  -h, --help          show this help

Exit status: 0 on success, 2 on a usage or input error (including a malformed
program, or --wat without wabt installed).
`;

/** Default output path: the input's extension replaced by `extension` (or appended). */
export function defaultCompileOutput(input: string, extension: ".wasm" | ".wat"): string {
  const slash = Math.max(input.lastIndexOf("/"), input.lastIndexOf("\\"));
  const dot = input.lastIndexOf(".");
  return (dot > slash + 1 ? input.slice(0, dot) : input) + extension;
}

/** `pvmkit compile`. Returns the exit code. */
export async function compileCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    output: { type: "string", short: "o" },
    wat: { type: "boolean" },
    format: { type: "string" },
    args: { type: "string" },
    map: { type: "string", multiple: true },
    "gas-model": { type: "string" },
    isa: { type: "string" },
  });
  if (flag(args, "help")) {
    io.stdout(COMPILE_HELP);
    return 0;
  }
  const file = singleOperand(args, "program FILE");
  const format = parseFormat(stringOption(args, "format")) ?? "auto";
  const argBytes = parseStandardArgs(stringOption(args, "args"));
  const maps: MapSpec[] = stringList(args, "map").map(parseMap);
  const gasModel = parseGasModel(stringOption(args, "gas-model"));
  const isa = parseIsa(stringOption(args, "isa"));
  const wat = flag(args, "wat");
  const output = stringOption(args, "output") ?? defaultCompileOutput(file, wat ? ".wat" : ".wasm");
  if (output === file) throw new UsageError(`refusing to overwrite the input ${file}; give another file with -o`);
  // Load wabt before the work, so a missing package fails fast.
  const toText = wat ? await loadWatPrinter() : undefined;

  const module = await loadModule(file, format, { isa, gasModel });
  // The rotation a run would use: instantiate with run's options (this only maps memory).
  const { rotation } = module.instantiate(runOptions(module, { args: argBytes, maps })).memory;
  // Block costs first (per-block models only), so the compile time below is the compiler's.
  const costsStarted = performance.now();
  if (module.gasModel.perBlock) void module.gas;
  const costMilliseconds = performance.now() - costsStarted;
  const started = performance.now();
  const compiled = module.compiled(rotation);
  const milliseconds = performance.now() - started;

  const codeSize = module.blob.code.length;
  const wasmSize = compiled.bytes.length;
  const regions = new Set([...compiled.entries.values()].map(([region]) => region)).size;
  const ratio = codeSize === 0 ? "∞ ×" : `${(wasmSize / codeSize).toFixed(1)}×`;
  const what = toText ? toText(compiled.bytes) : compiled.bytes;
  if (output === "-") {
    if (typeof what === "string") io.stdout(what);
    else io.stdoutBytes(what);
  } else {
    writeBytes(output, what);
  }
  const label = (name: string) => name.padEnd(10);
  const lines = [
    `${label("code")}${codeSize} bytes of PVM code`,
    `${label("wasm")}${wasmSize} bytes (${ratio} the code)`,
    `${label("blocks")}${compiled.entries.size} in ${regions} region(s), one Wasm function per region`,
    `${label("compiled")}${milliseconds.toFixed(1)} ms, for guest memory rotation ${hex32(rotation)}`,
    `${label("gas")}${module.gasModel.name} model, isa ${module.isa.name}` +
    (module.gasModel.perBlock ? ` (block costs computed in ${costMilliseconds.toFixed(1)} ms)` : ""),
  ];
  if (output !== "-") lines.push(`${label("wrote")}${output}${toText ? " (text format)" : ""}`);
  io.stderr(lines.join("\n") + "\n");
  return 0;
}

/** The part of wabt's API used here. */
interface Wabt {
  readWasm(bytes: Uint8Array, options: Record<string, boolean>): {
    generateNames(): void;
    applyNames(): void;
    toText(options: { foldExprs: boolean; inlineExport: boolean }): string;
    destroy(): void;
  };
}

/**
 * A Wasm-to-text printer from the optional `wabt` package (or another package with its
 * API, named by `specifier`). It is imported only here and only when asked for, by a
 * specifier that bundlers and type checkers leave alone, so neither the library nor the
 * rest of the CLI depends on it.
 *
 * @throws {InputError} when the package cannot be loaded.
 */
export async function loadWatPrinter(specifier = "wabt"): Promise<(bytes: Uint8Array) => string> {
  let wabt: Wabt;
  try {
    const imported = await import(specifier) as { default: () => Promise<Wabt> };
    wabt = await imported.default();
  } catch (error) {
    const reason = String((error as Error)?.message ?? error).split("\n")[0];
    throw new InputError(
      `--wat needs the optional "${specifier}" package, which could not be loaded (${reason}); ` +
        `install it with "npm install ${specifier}", or leave out --wat to write the binary module`,
    );
  }
  return (bytes) => {
    const m = wabt.readWasm(bytes, { readDebugNames: true, ...EMITTED_WASM_FEATURES });
    try {
      m.generateNames();
      m.applyNames();
      return m.toText({ foldExprs: false, inlineExport: false });
    } finally {
      m.destroy();
    }
  };
}
