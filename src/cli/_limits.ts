/**
 * Resource limits on the command line: `--timeout`, `--max-memory` and `--max-machines`
 * for the commands that run guest code (run, call, refine, accumulate, authorize), the
 * help lines that document them, and the one-line message for a limit that stopped a run.
 *
 * @module
 */
import type { LimitError, Limits } from "../limits.ts";
import { PAGE_SIZE } from "../memory/memory.ts";
import { type OptionSpecs, parseBounded, type ParsedArgs, stringOption, UsageError } from "./_args.ts";

/** Exit status of a run stopped by a resource limit. */
export const EXIT_LIMIT = 4;

/** The limit flags of every command that runs guest code, in `parseArgs` form. */
export const LIMIT_OPTIONS: OptionSpecs = {
  timeout: { type: "string" },
  "max-memory": { type: "string" },
};

/** `--max-machines`, for refine only: the other invocations cannot create inner machines. */
export const MAX_MACHINES_OPTION: OptionSpecs = { "max-machines": { type: "string" } };

const HELP_ENTRIES: Record<string, [string, string]> = {
  timeout: [
    "--timeout T",
    "stop a run that takes longer than T of wall-clock time between host calls: 250ms, 2s, 1m, " +
    "or milliseconds (exit status 4)",
  ],
  "max-memory": [
    "--max-memory SIZE",
    "most guest memory mapped at once, per machine: 64MiB, 1GiB, 512KiB or bytes, whole 4 KiB pages " +
    "(exit status 4 when the program needs more; a guest sbrk past it gets 0 instead)",
  ],
  "max-machines": [
    "--max-machines N",
    "most inner machines (the machine host call) alive at once (exit status 4 when the service asks " +
    "for more)",
  ],
};

/**
 * Help lines for the limit flags `names` (by default those of {@link LIMIT_OPTIONS}),
 * descriptions starting at `column` and wrapped to 80 characters.
 *
 * @example
 * ```ts
 * import { limitsHelp } from "./_limits.ts";
 * console.log(limitsHelp(22).split("\n")[0]);
 * // --timeout T         stop a run that takes longer than T of wall-clock time
 * ```
 */
export function limitsHelp(column: number, names: readonly string[] = ["timeout", "max-memory"]): string {
  const lines: string[] = [];
  for (const name of names) {
    const [flag, text] = HELP_ENTRIES[name];
    let line = `  ${flag}`.padEnd(column);
    for (const word of text.split(" ")) {
      if (line.length + word.length > 80 && line.trim() !== flag) {
        lines.push(line.trimEnd());
        line = " ".repeat(column);
      }
      line += word + " ";
    }
    lines.push(line.trimEnd());
  }
  return lines.join("\n");
}

/** Which flag sets each limit, for messages. */
const FLAG_OF: Partial<Record<keyof Limits, string>> = {
  deadlineMs: "--timeout",
  maxMemoryPages: "--max-memory",
  maxLiveInstances: "--max-machines",
};

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const TIME_UNITS: Record<string, number> = { "": 1, ms: 1, s: 1000, m: 60_000 };

/**
 * The limits given on the command line (absent flags: no limit).
 *
 * @throws {UsageError} for a malformed or out-of-range value.
 */
export function parseLimits(args: ParsedArgs): Limits {
  const limits: { -readonly [K in keyof Limits]: Limits[K] } = {};
  const timeout = stringOption(args, "timeout");
  if (timeout !== undefined) limits.deadlineMs = parseDuration(timeout);
  const memory = stringOption(args, "max-memory");
  if (memory !== undefined) limits.maxMemoryPages = parseMemorySize(memory);
  const machines = stringOption(args, "max-machines");
  if (machines !== undefined) {
    limits.maxLiveInstances = Number(parseBounded(machines, "--max-machines", 0n, 0xffffffffn));
  }
  return limits;
}

/** `--timeout`: a positive duration in ms, s or m (bare numbers are milliseconds). */
function parseDuration(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * TIME_UNITS[(m[2] ?? "").toLowerCase()] : NaN;
  if (!(ms > 0) || ms > 2 ** 31) {
    throw new UsageError(`--timeout: "${text}" is not a duration such as 250ms, 2s or 1m (at most 24 days)`);
  }
  return ms;
}

/** `--max-memory`: a size in bytes (K/M/G binary units, optional "iB"/"B") as whole pages. */
function parseMemorySize(text: string): number {
  const m = /^\s*([0-9_]+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1].replaceAll("_", "")) * UNITS[m[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < PAGE_SIZE || bytes > 2 ** 32) {
    throw new UsageError(`--max-memory: "${text}" is not a size from 4KiB to 4GiB (such as 64MiB or 1GiB)`);
  }
  if (bytes % PAGE_SIZE !== 0) {
    throw new UsageError(`--max-memory: ${text} is not a whole number of 4 KiB pages`);
  }
  return bytes / PAGE_SIZE;
}

/**
 * One line saying which limit stopped the run, in the command line's terms.
 *
 * @example
 * ```ts
 * import { LimitError } from "../limits.ts";
 * import { describeLimit } from "./_limits.ts";
 * console.log(describeLimit(new LimitError("maxMemoryPages", 300, 256)));
 * // stopped by --max-memory: the program needs 300 pages (1.2 MiB), the limit is 256 (1 MiB)
 * ```
 */
export function describeLimit(error: LimitError): string {
  const flag = FLAG_OF[error.limit] ?? error.limit;
  const { requested, maximum } = error;
  switch (error.limit) {
    case "deadlineMs":
      return `stopped by ${flag}: the run took ${Math.round(Number(requested))} ms (limit ${maximum} ms)`;
    case "maxMemoryPages":
      return `stopped by ${flag}: the program needs ${requested} pages (${mebibytes(requested)}), ` +
        `the limit is ${maximum} (${mebibytes(maximum)})`;
    case "maxLiveInstances":
      return `stopped by ${flag}: the service asked for inner machine number ${requested} (limit ${maximum})`;
    default:
      return `stopped by ${flag}: ${requested} > ${maximum}`;
  }
}

function mebibytes(pages: number | bigint): string {
  const mib = (Number(pages) * PAGE_SIZE) / 2 ** 20;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
