/**
 * Argument parsing shared by the commands: a strict wrapper around `node:util`
 * `parseArgs`, number and register syntax, memory maps, hex arguments, file I/O —
 * and the two error classes that mean "exit 2 with a one-line message".
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";

/** The command line was wrong (unknown flag, bad value, missing operand). Exit code 2; a help hint follows. */
export class UsageError extends Error {
  /** A usage error; `message` is one line, without the program name. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An input could not be used (missing file, unreadable data). Exit code 2. */
export class InputError extends Error {
  /** An input error; `message` is one line, usually starting with the file name. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** Option specs in `node:util` `parseArgs` form. */
export type OptionSpecs = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

/** Parsed options and positionals. */
export interface ParsedArgs {
  /** Option values by long name; repeatable options are arrays. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Operands in order. */
  positionals: string[];
}

/**
 * Parse `argv` strictly against `options` (plus `--help`/`-h`), turning parse failures
 * into {@link UsageError}s with short messages.
 */
export function parseCommandArgs(argv: string[], options: OptionSpecs): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const text = String(e.message ?? error);
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']*)'/.exec(text)?.[1] ?? text;
      throw new UsageError(`unknown option ${flag}`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" || e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new UsageError(text.replace(/^Option /, "option ").split(". ")[0]);
    }
    throw error;
  }
}

/** The last value of a string option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v.length === 0 ? undefined : String(v[v.length - 1]);
  return typeof v === "string" ? v : undefined;
}

/** All values of a repeatable string option. */
export function stringList(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined || typeof v === "boolean") return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Whether a boolean flag was given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** Exactly one positional operand, or a {@link UsageError} naming what was expected. */
export function singleOperand(args: ParsedArgs, what: string): string {
  if (args.positionals.length === 0) throw new UsageError(`missing ${what}`);
  if (args.positionals.length > 1) {
    throw new UsageError(`expected one ${what}, got ${args.positionals.length}: ${args.positionals.join(" ")}`);
  }
  return args.positionals[0];
}

/**
 * Parse an integer: decimal, `0x` hex, `0b` binary or `0o` octal, with optional `_`
 * separators, a leading `-` when `allowNegative`, and `MeN` exponent form (`1e6`,
 * `2.5e3` when the result is whole).
 *
 * @throws {UsageError} naming `what` when the text is not such an integer.
 */
export function parseInteger(text: string, what: string, allowNegative = false): bigint {
  const raw = text.trim();
  const negative = raw.startsWith("-");
  const body = (negative ? raw.slice(1) : raw).toLowerCase();
  const bad = () => new UsageError(`${what}: "${text}" is not ${allowNegative ? "an" : "a non-negative"} integer`);
  if (negative && !allowNegative) throw bad();
  if (body === "" || body.startsWith("_") || body.endsWith("_") || body.includes("__")) throw bad();
  const clean = body.replaceAll("_", "");
  let value: bigint;
  if (/^0x[0-9a-f]+$/.test(clean) || /^0b[01]+$/.test(clean) || /^0o[0-7]+$/.test(clean) || /^[0-9]+$/.test(clean)) {
    value = BigInt(clean);
  } else {
    const m = /^([0-9]+)(?:\.([0-9]+))?e\+?([0-9]+)$/.exec(clean);
    if (!m) throw bad();
    const fraction = m[2] ?? "";
    const exponent = Number(m[3]) - fraction.length;
    if (exponent < 0) {
      if (!/^0*$/.test(fraction.slice(fraction.length + exponent))) throw bad();
      value = BigInt(m[1] + fraction.slice(0, fraction.length + exponent));
    } else {
      value = BigInt(m[1] + fraction) * 10n ** BigInt(exponent);
    }
  }
  return negative ? -value : value;
}

/** Parse an integer that must lie in `[min, max]`. */
export function parseBounded(text: string, what: string, min: bigint, max: bigint): bigint {
  const v = parseInteger(text, what, min < 0n);
  if (v < min || v > max) throw new UsageError(`${what}: ${text} is out of range (${min}..${max})`);
  return v;
}

/**
 * Register assignments: each item is `comma,separated` list of `N=VALUE` (or `rN=VALUE`)
 * with N in 0..12 and VALUE a 64-bit integer (negative values wrap).
 */
export function parseRegisters(items: readonly string[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const item of items) {
    for (const part of item.split(",")) {
      if (part.trim() === "") continue;
      const m = /^\s*r?(\d+)\s*=\s*(.+?)\s*$/i.exec(part);
      if (!m) throw new UsageError(`register assignment "${part}" is not of the form N=VALUE (e.g. 7=30)`);
      const index = Number(m[1]);
      if (index > 12) throw new UsageError(`register r${index} does not exist (r0..r12)`);
      out.set(index, BigInt.asUintN(64, parseBounded(m[2], `register r${index}`, -(1n << 63n), (1n << 64n) - 1n)));
    }
  }
  return out;
}

/** A memory region given on the command line. */
export interface MapSpec {
  /** Start address (page aligned). */
  address: number;
  /** Length in bytes (whole pages). */
  length: number;
  /** Page access. */
  access: "read" | "write";
}

/** Parse `ADDR:LEN:ACCESS` with ACCESS `r`/`ro`/`read` or `rw`/`w`/`write`; address and length page aligned. */
export function parseMap(text: string): MapSpec {
  const parts = text.split(":");
  if (parts.length !== 3) throw new UsageError(`--map "${text}" is not of the form ADDR:LEN:rw or ADDR:LEN:r`);
  const address = Number(parseBounded(parts[0], "--map address", 0n, 0xffffffffn));
  const length = Number(parseBounded(parts[1], "--map length", 1n, 0x100000000n));
  const accessText = parts[2].trim().toLowerCase();
  const access = ["r", "ro", "read"].includes(accessText)
    ? "read"
    : ["rw", "w", "write"].includes(accessText)
    ? "write"
    : undefined;
  if (!access) throw new UsageError(`--map "${text}": access must be r or rw, not "${parts[2]}"`);
  if (address % 4096 !== 0 || length % 4096 !== 0) {
    throw new UsageError(`--map "${text}": address and length must be multiples of the 4096-byte page size`);
  }
  if (address + length > 2 ** 32) throw new UsageError(`--map "${text}": runs past the 4 GiB address space`);
  return { address, length, access };
}

/** Bytes from hex text: optional `0x`, whitespace and `_` ignored, an even number of digits. */
export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, "").replace(/[\s_]/g, "");
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new UsageError(`${what}: "${text}" is not hex`);
  if (clean.length % 2 !== 0) throw new UsageError(`${what}: odd number of hex digits (${clean.length})`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes from `HEX`, or from a file's raw contents with `@PATH`. */
export function parseBytesArgument(text: string, what: string): Uint8Array {
  return text.startsWith("@") ? readBytes(text.slice(1)) : parseHex(text, what);
}

function describeFsError(error: unknown, path: string, verb: string): InputError {
  const code = (error as { code?: string }).code;
  const reason = code === "ENOENT"
    ? "no such file or directory"
    : code === "EISDIR"
    ? "is a directory"
    : code === "EACCES" || code === "EPERM"
    ? "permission denied"
    : code === "ENOTDIR"
    ? "a parent is not a directory"
    : String((error as Error).message ?? error).split("\n")[0];
  return new InputError(`cannot ${verb} ${path}: ${reason}`);
}

/** Read a whole file, or throw an {@link InputError} with a short reason. */
export function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw describeFsError(error, path, "read");
  }
}

/** Read a whole file as UTF-8 text. */
export function readText(path: string): string {
  return new TextDecoder().decode(readBytes(path));
}

/** Write a whole file, or throw an {@link InputError}. */
export function writeBytes(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (error) {
    throw describeFsError(error, path, "write");
  }
}
