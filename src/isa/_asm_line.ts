/**
 * The assembler's per-line parser: a cursor over one line's tokens with the operand
 * readers (registers, immediates with optional widths, targets, byte lists) and
 * the error reporting that points at the offending token.
 *
 * @module
 */
import { AssemblyError } from "./_asm_error.ts";
import type { Token } from "./_asm_lexer.ts";
import { fitsWidth } from "./_asm_encode.ts";
import { concatBytes } from "../program/blob.ts";

/** Looks up an `.equ` constant; undefined if `name` is not one. */
export type ConstantLookup = (name: string) => bigint | undefined;

/** A target operand: a label name or an absolute code offset, with an optional explicit width. */
export interface TargetOperand {
  readonly label?: string;
  readonly offset?: number;
  readonly width?: number;
  readonly token: Token;
}

const TWO_31 = 2n ** 31n;
const TWO_32 = 2n ** 32n;
const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;
const REGISTER_RE = /^r([0-9]+)$/;
const BYTE_TYPES: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/**
 * A cursor over the tokens of one source line.
 *
 * @example
 * ```ts
 * import { LineCursor } from "./_asm_line.ts";
 * import { tokenize } from "./_asm_lexer.ts";
 * const cur = new LineCursor(tokenize("r7, 10:2", 1, "a"), 1, "a", 8, () => undefined);
 * const [reg, imm] = cur.operands();
 * console.log(cur.register(reg), cur.immediate(imm)); // 7 { value: 10, width: 2 }
 * ```
 */
export class LineCursor {
  /** Index of the next token. */
  pos = 0;

  constructor(
    readonly tokens: readonly Token[],
    readonly lineNo: number,
    readonly fileName: string,
    /** Column just past the line's last character (for "missing …" errors). */
    readonly endCol: number,
    readonly constant: ConstantLookup,
  ) {}

  /** Throw an AssemblyError at `token` (or at the end of the line). */
  fail(reason: string, token?: Token): never {
    throw new AssemblyError(reason, this.fileName, this.lineNo, token?.col ?? this.endCol);
  }

  /** The next token, without consuming it. */
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** Consume and return the next token. */
  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  /** True if every token has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  /** Split the remaining tokens at commas; an empty group is an error. */
  operands(): Token[][] {
    if (this.atEnd()) return [];
    const groups: Token[][] = [[]];
    for (const t of this.tokens.slice(this.pos)) {
      if (t.kind === "punct" && t.text === ",") {
        if (groups[groups.length - 1].length === 0) this.fail('missing operand before ","', t);
        groups.push([]);
      } else {
        groups[groups.length - 1].push(t);
      }
    }
    if (groups[groups.length - 1].length === 0) this.fail('missing operand after ","');
    this.pos = this.tokens.length;
    return groups;
  }

  /** A register operand `r0`..`r12`. */
  register(group: readonly Token[]): number {
    const t = group[0];
    const m = t.kind === "word" ? REGISTER_RE.exec(t.text) : null;
    if (!m) this.fail(`expected a register (r0..r12), got "${t.text}"`, t);
    const n = Number(m[1]);
    if (n > 12) this.fail(`there is no register ${t.text}: registers are r0..r12`, t);
    if (group.length > 1) this.fail(`unexpected "${group[1].text}" after register ${t.text}`, group[1]);
    return n;
  }

  /** An integer: a number literal or an `.equ` constant. */
  integer(t: Token, what: string): bigint {
    if (t.kind === "number") return t.value!;
    if (t.kind === "word") {
      const v = this.constant(t.text);
      if (v !== undefined) return v;
      if (REGISTER_RE.test(t.text)) this.fail(`expected ${what}, got register ${t.text}`, t);
      this.fail(`"${t.text}" is not a number or a constant defined with .equ`, t);
    }
    this.fail(`expected ${what}, got "${t.text}"`, t);
  }

  /** An optional `:width` suffix (0–4) after the first token of a group. */
  private widthSuffix(group: readonly Token[]): number | undefined {
    if (group.length === 1) return undefined;
    const colon = group[1];
    if (colon.kind !== "punct" || colon.text !== ":") this.fail(`unexpected "${colon.text}"`, colon);
    const w = group[2];
    if (!w || w.kind !== "number") this.fail('expected a byte width (0..4) after ":"', w ?? colon);
    if (group.length > 3) this.fail(`unexpected "${group[3].text}"`, group[3]);
    if (w.value! < 0n || w.value! > 4n) this.fail(`width ${w.text} is not 0..4 bytes`, w);
    return Number(w.value);
  }

  /**
   * A 32-bit immediate `value[:width]`. Values −2^31..2^32−1 are taken as a 32-bit
   * pattern (sign-extended by the machine), as are the 64-bit sign extensions of
   * negative ones. An explicit width must hold the value sign-extended.
   */
  immediate(group: readonly Token[]): { value: number; width?: number } {
    const t = group[0];
    const v = this.integer(t, "an immediate");
    let value: number;
    if (v >= -TWO_31 && v < TWO_32) value = Number(BigInt.asIntN(32, v));
    else if (v >= TWO_64 - TWO_31 && v < TWO_64) value = Number(v - TWO_64);
    else {
      this.fail(
        `immediate ${t.text} is out of range: it must be a 32-bit value (-2^31..2^32-1), which the machine sign-extends`,
        t,
      );
    }
    const width = this.widthSuffix(group);
    if (width !== undefined && !fitsWidth(value, width)) {
      const hint = v >= 0n && width > 0 && width < 4 && v < 2n ** BigInt(8 * width)
        ? ` (${width} byte(s) holding ${t.text} would sign-extend to a negative number)`
        : "";
      this.fail(`immediate ${t.text} does not fit in ${width} byte(s)${hint}`, group[2]);
    }
    return width === undefined ? { value } : { value, width };
  }

  /** The 64-bit immediate of `load_imm_64`: −2^63..2^64−1, stored unsigned. */
  immediate64(group: readonly Token[]): bigint {
    const t = group[0];
    const v = this.integer(t, "an immediate");
    if (v < -TWO_63 || v >= TWO_64) this.fail(`immediate ${t.text} does not fit in 64 bits`, t);
    if (group.length > 1) {
      this.fail("load_imm_64 always encodes its immediate in 8 bytes; no width can be given", group[1]);
    }
    return BigInt.asUintN(64, v);
  }

  /** A branch target: a label, or an absolute code offset (number or constant), with an optional width. */
  target(group: readonly Token[]): TargetOperand {
    const t = group[0];
    const width = this.widthSuffix(group);
    if (t.kind === "word" && this.constant(t.text) === undefined) {
      if (REGISTER_RE.test(t.text)) this.fail(`expected a label or code offset, got register ${t.text}`, t);
      return { label: t.text, width, token: t };
    }
    const v = this.integer(t, "a label or code offset");
    if (v < -TWO_32 || v > TWO_32) this.fail(`target ${t.text} is too far outside the code`, t);
    return { offset: Number(v), width, token: t };
  }

  /**
   * The rest of the line as bytes: numbers (one byte each, or as wide as the last type
   * word `u8`/`u16`/`u32`/`u64` says, little-endian), `"strings"` (UTF-8) and
   * `hex"…"` literals, separated by commas or spaces.
   */
  byteList(): Uint8Array {
    const parts: Uint8Array[] = [];
    let out: number[] = [];
    let width = 1;
    while (!this.atEnd()) {
      const t = this.next()!;
      if (t.kind === "punct" && t.text === ",") continue;
      if (t.kind === "bytes") {
        parts.push(new Uint8Array(out), t.bytes!);
        out = [];
      } else if (t.kind === "word" && t.text in BYTE_TYPES) {
        width = BYTE_TYPES[t.text];
      } else {
        const v = this.integer(t, 'a byte value, string or hex"…"');
        const bits = BigInt(8 * width);
        if (v < -(1n << (bits - 1n)) || v >= 1n << bits) {
          this.fail(`${t.text} does not fit in ${width === 1 ? "a byte" : `u${8 * width}`}`, t);
        }
        const u = BigInt.asUintN(8 * width, v);
        for (let k = 0n; k < bits; k += 8n) out.push(Number((u >> k) & 0xffn));
      }
    }
    parts.push(new Uint8Array(out));
    return concatBytes(parts);
  }

  /** A single non-negative integer argument no larger than `max`, ending the line. */
  count(what: string, max: number): number {
    const t = this.next();
    if (!t) this.fail(`expected ${what}`);
    const v = this.integer(t, what);
    if (v < 0n || v > BigInt(max)) this.fail(`${what} ${t.text} is out of range (0..${max})`, t);
    this.end();
    return Number(v);
  }

  /** Fail if any token is left. */
  end(): void {
    const t = this.peek();
    if (t) this.fail(`unexpected "${t.text}"`, t);
  }
}
