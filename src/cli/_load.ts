/**
 * Reading a program file for the CLI: bytes from disk (or assembled from a `.pvmasm`
 * source), parsed with {@link Module.load}, malformed input turned into a one-line
 * {@link InputError}; and the `--isa` / `--gas-model` options that go with loading.
 *
 * @module
 */
import { type Backend, Module, type ProgramFormat } from "../engine.ts";
import { GAS_MODELS, type GasModelName } from "../gas/model.ts";
import { ISA_PROFILES, ISA_V072, OPCODE_BY_CODE } from "../isa/opcodes.ts";
import { ProgramError } from "../program/errors.ts";
import { InputError, parseBytesArgument, readBytes, UsageError } from "./_args.ts";
import { Z_I } from "../program/spi.ts";
import { assembleFile } from "./asm.ts";

/** How to read a program: container format, ISA profile and gas model. */
export interface CliLoadOptions {
  /** ISA profile name (default `0.7.2`). */
  isa?: string;
  /** Gas model (default `per-instruction`). */
  gasModel?: GasModelName;
}

/** The `--isa` names, for help and error messages. */
export const ISA_NAMES: readonly string[] = [...ISA_PROFILES.keys()];

/** The `--gas-model` names, for help and error messages. */
export const GAS_MODEL_NAMES: readonly GasModelName[] = [...GAS_MODELS.keys()];

const orList = (names: readonly string[]) =>
  names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;

/** The container formats `--format` takes (a `.polkavm` file is always detected). */
export type CliFormat = Exclude<ProgramFormat, "polkavm">;
const CLI_FORMATS: readonly CliFormat[] = ["auto", "generic", "spi", "spi-metadata"];

/** Check a `--format` value (undefined stays undefined: the command's default). */
export function parseFormat(text: string | undefined): CliFormat | undefined {
  if (text !== undefined && !CLI_FORMATS.includes(text as CliFormat)) {
    throw new UsageError(`--format must be ${orList(CLI_FORMATS)}, not "${text}"`);
  }
  return text as CliFormat | undefined;
}

/**
 * Parse `--args` for a standard program: bytes (hex or @file) of at most Z_I, or
 * undefined when absent.
 */
export function parseStandardArgs(text: string | undefined): Uint8Array | undefined {
  const bytes = text === undefined ? undefined : parseBytesArgument(text, "--args");
  if (bytes && bytes.length > Z_I) {
    throw new UsageError(`--args: ${bytes.length} bytes exceed the ${Z_I}-byte argument limit`);
  }
  return bytes;
}

/** The backends `--backend` accepts. */
export const BACKENDS: readonly Backend[] = ["interpreter", "recompiler", "auto"];

/** Parse a `--backend` value (`fallback` when absent: the command's default). */
export function parseBackend(text: string | undefined, fallback: Backend = "interpreter"): Backend {
  if (text === undefined) return fallback;
  if (!(BACKENDS as readonly string[]).includes(text)) {
    throw new UsageError(`--backend must be ${orList(BACKENDS)}, not "${text}"`);
  }
  return text as Backend;
}

/** Check an `--isa` value (undefined stays undefined: the default profile). */
export function parseIsa(text: string | undefined): string | undefined {
  if (text !== undefined && !ISA_PROFILES.has(text)) {
    throw new UsageError(`--isa must be ${orList(ISA_NAMES)}, not "${text}"`);
  }
  return text;
}

/** Check a `--gas-model` value, or return `fallback` when it is absent. */
export function parseGasModel(text: string | undefined, fallback: GasModelName = "per-instruction"): GasModelName {
  if (text === undefined) return fallback;
  if (!GAS_MODELS.has(text as GasModelName)) {
    throw new UsageError(`--gas-model must be ${orList(GAS_MODEL_NAMES)}, not "${text}"`);
  }
  return text as GasModelName;
}

/**
 * Load the program in `path` (format auto-detected unless forced); `.pvmasm` sources are
 * assembled first, with their opcodes numbered for the chosen ISA profile.
 */
export function loadModule(path: string, format: ProgramFormat, options: CliLoadOptions = {}): Promise<Module> {
  const source = path.toLowerCase().endsWith(".pvmasm");
  const bytes = source ? assembleFile(path) : readBytes(path);
  try {
    if (source && options.isa !== undefined && options.isa !== ISA_V072.name) {
      renumber(bytes, format, options.isa, path);
    }
    return Promise.resolve(Module.load(bytes, { format, isa: options.isa, gasModel: options.gasModel }));
  } catch (error) {
    if (error instanceof ProgramError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
}

/**
 * The assembler writes the table's own opcode numbers (those of v0.7.2, plus `unlikely` =
 * 2). Rewrite each instruction's opcode byte, in place, to its number in profile `isa`.
 */
function renumber(bytes: Uint8Array, format: ProgramFormat, isa: string, path: string): void {
  const profile = ISA_PROFILES.get(isa)!;
  const { code, bitmask } = Module.load(bytes, { format }).blob;
  if (code.buffer !== bytes.buffer) throw new Error("internal error: the parsed code is not a view of the bytes");
  for (let pc = 0; pc < code.length; pc++) {
    if (((bitmask[pc >> 3] >> (pc & 7)) & 1) === 0) continue;
    const info = OPCODE_BY_CODE[code[pc]];
    if (!info) continue; // a `.raw` byte that is no opcode: left as written
    const raw = profile.raw[info.code];
    if (raw < 0) throw new InputError(`${path}: ${info.name} (code offset ${pc}) does not exist in ISA ${isa}`);
    code[pc] = raw;
  }
}
