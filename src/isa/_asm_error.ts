/**
 * The assembler's error type, in its own module so the lexer and parser can throw it.
 *
 * @module
 */

/**
 * An assembly source could not be assembled. The message names the place as
 * `file:line:column` followed by what is wrong; `line` and `column` are 1-based.
 *
 * @example
 * ```ts
 * import { AssemblyError } from "./_asm_error.ts";
 * const err = new AssemblyError("unknown mnemonic \"ad_64\"", "fib.pvmasm", 3, 5);
 * console.log(err.message); // fib.pvmasm:3:5: unknown mnemonic "ad_64"
 * ```
 */
export class AssemblyError extends Error {
  /** The source's name, as given to `assemble` (default `<source>`). */
  readonly fileName: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column number. */
  readonly column: number;
  /** What is wrong, without the location prefix. */
  readonly reason: string;

  /** Create the error for `reason` at fileName:line:column. */
  constructor(reason: string, fileName: string, line: number, column: number) {
    super(`${fileName}:${line}:${column}: ${reason}`);
    this.name = "AssemblyError";
    this.fileName = fileName;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
