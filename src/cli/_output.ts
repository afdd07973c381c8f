/**
 * Where the CLI writes, and how it styles what it writes. Every command gets a
 * {@link CliIo}; the real one wraps the process streams, tests pass a capturing one.
 *
 * @module
 */
import process from "node:process";
import { concatBytes } from "../program/blob.ts";

/** The streams and terminal facts a command needs. */
export interface CliIo {
  /** Write text to standard output. */
  stdout(text: string): void;
  /** Write raw bytes to standard output (used for `-o -`). */
  stdoutBytes(bytes: Uint8Array): void;
  /** Write text to standard error. */
  stderr(text: string): void;
  /** Whether to use ANSI colours (stdout is a TTY and NO_COLOR is unset or empty). */
  color: boolean;
}

/**
 * Colours only when stdout is a terminal and `NO_COLOR` is unset or empty
 * (https://no-color.org).
 */
export function wantColor(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return isTTY === true && !env.NO_COLOR;
}

/** The process's own streams. */
export function processIo(): CliIo {
  const env = process.env as Record<string, string | undefined>;
  return {
    stdout: (text) => void process.stdout.write(text),
    stdoutBytes: (bytes) => void process.stdout.write(bytes),
    stderr: (text) => void process.stderr.write(text),
    color: wantColor(process.stdout.isTTY, env),
  };
}

/** A {@link CliIo} that records what is written, for tests and embedding. */
export interface CapturedIo extends CliIo {
  /** Everything written to stdout so far, as text. */
  readonly out: () => string;
  /** Everything written to stderr so far. */
  readonly err: () => string;
  /** Everything written to stdout so far, as bytes (text is UTF-8 encoded). */
  readonly outBytes: () => Uint8Array;
}

/** Make a capturing {@link CliIo}; colour is off unless asked for. */
export function captureIo(options: { color?: boolean } = {}): CapturedIo {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const encoder = new TextEncoder();
  const joined = () => concatBytes(out);
  return {
    stdout: (text) => void out.push(encoder.encode(text)),
    stdoutBytes: (bytes) => void out.push(bytes.slice()),
    stderr: (text) => void err.push(text),
    color: options.color ?? false,
    out: () => new TextDecoder().decode(joined()),
    err: () => err.join(""),
    outBytes: joined,
  };
}

/** ANSI styling that turns into the identity when colour is off. */
export interface Style {
  /** Bold. */
  bold(text: string): string;
  /** Dimmed (labels). */
  dim(text: string): string;
  /** Red (failures). */
  red(text: string): string;
  /** Green (success). */
  green(text: string): string;
  /** Yellow (host calls). */
  yellow(text: string): string;
}

/** The styling functions for an {@link CliIo}. */
export function style(io: CliIo): Style {
  const wrap = (open: number, close: number) => (text: string) =>
    io.color ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) };
}

/** `0x` and 16 hex digits. */
export function hex64(value: bigint): string {
  return "0x" + BigInt.asUintN(64, value).toString(16).padStart(16, "0");
}

/** `0x` and 8 hex digits. */
export function hex32(value: number): string {
  return "0x" + (value >>> 0).toString(16).padStart(8, "0");
}

/** Unsigned decimal, with the signed reading in parentheses when the top bit is set. */
export function decimal64(value: bigint): string {
  const u = BigInt.asUintN(64, value);
  const s = BigInt.asIntN(64, value);
  return s < 0n ? `${u} (${s})` : `${u}`;
}

/** Lowercase hex of bytes, no prefix (@noble/hashes' encoder). */
export { bytesToHex } from "@noble/hashes/utils.js";

/** Compact one-line JSON with BigInts as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
}
