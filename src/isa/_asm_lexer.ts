/**
 * The assembler's lexer: splits one source line into tokens (words, directives,
 * numbers, strings, hex strings, punctuation), dropping the comment.
 *
 * @module
 */
import { AssemblyError } from "./_asm_error.ts";

/** One token of a source line. */
export interface Token {
  /** `word`: a name or mnemonic; `directive`: `.name`; `bytes`: a string or `hex"…"` literal. */
  readonly kind: "word" | "directive" | "number" | "bytes" | "punct";
  /** The token's source text. */
  readonly text: string;
  /** 1-based column of its first character. */
  readonly col: number;
  /** Value of a `number`. */
  readonly value?: bigint;
  /** Contents of a `bytes` literal. */
  readonly bytes?: Uint8Array;
}

const [SPACE, TAB, CR, SEMICOLON, HASH, SLASH, COMMA, COLON, MINUS, QUOTE, DOT] = Array.from(
  ' \t\r;#/,:-".',
  (ch) => ch.charCodeAt(0),
);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordChar = (c: number) => isWordStart(c) || isDigit(c) || c === DOT;
const NUMBER_RE = /^-?(0x[0-9a-f][0-9a-f_]*|0b[01][01_]*|0o[0-7][0-7_]*|[0-9][0-9_]*)$/i;
const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, "0": 0, "\\": 92, '"': 34, "'": 39 };
const utf8 = new TextEncoder();

/**
 * Tokenize one line. Comments start with `;`, `#` or `//` outside a string.
 *
 * @throws {AssemblyError} on an unexpected character, a malformed number, or a bad string.
 *
 * @example
 * ```ts
 * import { tokenize } from "./_asm_lexer.ts";
 * const tokens = tokenize("loop: add_imm_64 r7, r7, -1 ; count down", 1, "x.pvmasm");
 * console.log(tokens.map((t) => t.text).join(" ")); // loop : add_imm_64 r7 , r7 , -1
 * ```
 */
export function tokenize(line: string, lineNo: number, fileName: string): Token[] {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR) {
      i++;
    } else if (c === SEMICOLON || c === HASH || (c === SLASH && line.charCodeAt(i + 1) === SLASH)) {
      break;
    } else if (c === COMMA || c === COLON) {
      tokens.push({ kind: "punct", text: line[i], col: i + 1 });
      i++;
    } else if (isDigit(c) || (c === MINUS && isDigit(line.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isWordChar(line.charCodeAt(j)) && line.charCodeAt(j) !== DOT) j++;
      const text = line.slice(i, j);
      if (!NUMBER_RE.test(text)) fail(`malformed number "${text}"`, fileName, lineNo, i);
      const negative = c === MINUS;
      const digits = negative ? text.slice(1) : text;
      const magnitude = BigInt(digits.includes("_") ? digits.replaceAll("_", "") : digits);
      tokens.push({ kind: "number", text, col: i + 1, value: negative ? -magnitude : magnitude });
      i = j;
    } else if (c === MINUS) {
      tokens.push({ kind: "punct", text: "-", col: i + 1 });
      i++;
    } else if (c === QUOTE) {
      const [bytes, end] = readString(line, i, fileName, lineNo);
      tokens.push({ kind: "bytes", text: line.slice(i, end), col: i + 1, bytes });
      i = end;
    } else if (isWordStart(c) || (c === DOT && isWordStart(line.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isWordChar(line.charCodeAt(j))) j++;
      const text = line.slice(i, j);
      if (text === "hex" && line.charCodeAt(j) === QUOTE) {
        const [bytes, end] = readHex(line, j, fileName, lineNo);
        tokens.push({ kind: "bytes", text: line.slice(i, end), col: i + 1, bytes });
        i = end;
      } else {
        tokens.push({ kind: c === DOT ? "directive" : "word", text, col: i + 1 });
        i = j;
      }
    } else {
      fail(`unexpected character "${String.fromCodePoint(line.codePointAt(i)!)}"`, fileName, lineNo, i);
    }
  }
  return tokens;
}

function fail(reason: string, fileName: string, lineNo: number, index: number): never {
  throw new AssemblyError(reason, fileName, lineNo, index + 1);
}

/** A `"…"` literal starting at `start`: its UTF-8 bytes and the index after the closing quote. */
function readString(line: string, start: number, fileName: string, lineNo: number): [Uint8Array, number] {
  const stop = (reason: string, at: number) => fail(reason, fileName, lineNo, at);
  const out: number[] = [];
  let i = start + 1;
  for (;;) {
    if (i >= line.length) stop("unterminated string", start);
    const c = line[i];
    if (c === '"') return [new Uint8Array(out), i + 1];
    if (c !== "\\") {
      const cp = line.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(...utf8.encode(ch));
      i += ch.length;
      continue;
    }
    const e = line[i + 1] ?? "";
    if (e === "x") {
      const hex = line.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) stop('"\\x" must be followed by two hex digits', i);
      out.push(parseInt(hex, 16));
      i += 4;
    } else if (e in ESCAPES) {
      out.push(ESCAPES[e]);
      i += 2;
    } else {
      stop(`unknown escape "\\${e}" (known: \\n \\r \\t \\0 \\\\ \\" \\' \\xHH)`, i);
    }
  }
}

/** A `hex"…"` literal whose quote is at `quote`: hex digit pairs, spaces and `_` allowed between them. */
function readHex(line: string, quote: number, fileName: string, lineNo: number): [Uint8Array, number] {
  const end = line.indexOf('"', quote + 1);
  if (end < 0) fail("unterminated hex string", fileName, lineNo, quote - 3);
  const out = new Uint8Array((end - quote - 1) >> 1);
  let count = 0;
  let high = -1;
  for (let i = quote + 1; i < end; i++) {
    const c = line.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
    if (digit < 0) {
      if (c === SPACE || c === TAB || c === 95) continue;
      fail(`"${line[i]}" is not a hex digit`, fileName, lineNo, i);
    }
    if (high < 0) high = digit;
    else (out[count++] = (high << 4) | digit, high = -1);
  }
  if (high >= 0) fail("hex string has an odd number of digits", fileName, lineNo, quote - 3);
  return [out.subarray(0, count), end + 1];
}
