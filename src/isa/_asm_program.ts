/**
 * The assembler's program builder: takes source lines one at a time (labels,
 * instructions, directives), then lays out the code, resolves labels and encodes the
 * container. The syntax is documented in `assembler.ts`.
 *
 * @module
 */
import { AssemblyError } from "./_asm_error.ts";
import { type Token, tokenize } from "./_asm_lexer.ts";
import { LineCursor, type TargetOperand } from "./_asm_line.ts";
import { emptyFields, encodeHead, fitsWidth, OPERAND_ROLES, type OperandRole, signedWidth } from "./_asm_encode.ts";
import { type Branch, relax } from "./_asm_layout.ts";
import { defaultEntrySize, encodeProgram } from "./_asm_output.ts";
import { OPCODE_BY_NAME, OPCODES } from "./opcodes.ts";
import { concatBytes } from "../program/blob.ts";

type Format = "generic" | "spi" | "spi-metadata";

/** Where something was written, for errors that are found after the line was read. */
interface Place {
  readonly lineNo: number;
  readonly col: number;
}

/** A run of code bytes; `opcode` marks its first byte as an instruction start in the bitmask. */
interface Item {
  readonly head: readonly number[] | Uint8Array;
  readonly opcode: boolean;
}

interface SymbolDef extends Place {
  readonly item?: number;
  readonly value?: bigint;
}

interface JumpEntry extends Place {
  readonly label?: string;
  readonly value?: bigint;
  readonly text: string;
}

const ROLE_NAMES: Record<OperandRole, string> = {
  rd: "rD",
  ra: "rA",
  rb: "rB",
  x: "imm",
  y: "imm",
  x64: "imm64",
  target: "target",
};

const DIRECTIVES = [
  ".format",
  ".metadata",
  ".ro_data",
  ".rw_data",
  ".heap_pages",
  ".stack_size",
  ".jump_table",
  ".jump_table_entry_size",
  ".raw",
  ".byte",
  ".equ",
];

const SPI_DIRECTIVES = new Set([".metadata", ".ro_data", ".rw_data", ".heap_pages", ".stack_size"]);
const REGISTER_NAME = /^r[0-9]+$/;

/**
 * Collects a program line by line and encodes it.
 *
 * @example
 * ```ts
 * import { ProgramBuilder } from "./_asm_program.ts";
 * const b = new ProgramBuilder("a.pvmasm");
 * b.line("start: jump start   ; a jump to itself has offset 0, which takes no bytes", 1);
 * console.log(b.finish()); // Uint8Array(5) [ 0, 0, 1, 40, 1 ]
 * ```
 */
export class ProgramBuilder {
  private readonly items: Item[] = [];
  private readonly branches: { item: number; operand: TargetOperand; lineNo: number }[] = [];
  private readonly symbols = new Map<string, SymbolDef>();
  private readonly jumpEntries: JumpEntry[] = [];
  private readonly sections = { metadata: [] as Uint8Array[], ro: [] as Uint8Array[], rw: [] as Uint8Array[] };
  private readonly settings = new Map<string, Place & { value: number }>();
  private format: (Place & { value: Format }) | undefined;
  private firstSpi: (Place & { name: string }) | undefined;

  private readonly lookup = (name: string) => this.symbols.get(name)?.value;

  constructor(readonly fileName: string) {}

  private failAt(reason: string, at: Place): never {
    throw new AssemblyError(reason, this.fileName, at.lineNo, at.col);
  }

  /** Read one source line. */
  line(text: string, lineNo: number): void {
    const tokens = tokenize(text, lineNo, this.fileName);
    const cur = new LineCursor(tokens, lineNo, this.fileName, text.length + 1, this.lookup);
    while (tokens[cur.pos]?.kind === "word" && tokens[cur.pos + 1]?.text === ":") {
      this.define(cur.next()!, lineNo, { item: this.items.length });
      cur.next();
    }
    const head = cur.next();
    if (!head) return;
    if (head.kind === "directive") this.directive(head, cur);
    else if (head.kind === "word") this.instruction(head, cur);
    else cur.fail(`expected a label, an instruction or a directive, got "${head.text}"`, head);
  }

  private define(t: Token, lineNo: number, def: { item?: number; value?: bigint }): void {
    const at = { lineNo, col: t.col };
    if (REGISTER_NAME.test(t.text)) this.failAt(`"${t.text}" is a register name and cannot be a label or constant`, at);
    const old = this.symbols.get(t.text);
    if (old) {
      this.failAt(`duplicate name "${t.text}" (first defined at line ${old.lineNo}:${old.col})`, at);
    }
    this.symbols.set(t.text, { lineNo, col: t.col, item: def.item, value: def.value });
  }

  private instruction(head: Token, cur: LineCursor): void {
    const info = OPCODE_BY_NAME.get(head.text);
    if (!info) cur.fail(`unknown mnemonic "${head.text}"${suggest(head.text)}`, head);
    const roles = OPERAND_ROLES[info.operands];
    const groups = cur.operands();
    if (groups.length !== roles.length) {
      const names = roles.map((r) => ROLE_NAMES[r]).join(", ");
      const signature = roles.length === 0
        ? "no operands"
        : `${roles.length} operand${roles.length > 1 ? "s" : ""} (${names})`;
      const where = groups.length > roles.length ? groups[roles.length][0] : undefined;
      cur.fail(`${info.name} takes ${signature}, got ${groups.length}`, where);
    }
    const f = emptyFields();
    let target: TargetOperand | undefined;
    for (let k = 0; k < roles.length; k++) {
      const role = roles[k];
      const g = groups[k];
      if (role === "ra" || role === "rb" || role === "rd") f[role] = cur.register(g);
      else if (role === "x64") f.x64 = cur.immediate64(g);
      else if (role === "target") target = cur.target(g);
      else {
        const { value, width } = cur.immediate(g);
        f[role] = value;
        f[role === "x" ? "wx" : "wy"] = width ?? signedWidth(value);
      }
    }
    if (target) this.branches.push({ item: this.items.length, operand: target, lineNo: cur.lineNo });
    this.items.push({ head: encodeHead(info, f), opcode: true });
  }

  private directive(head: Token, cur: LineCursor): void {
    const name = head.text;
    const at = { lineNo: cur.lineNo, col: head.col };
    if (SPI_DIRECTIVES.has(name)) {
      this.firstSpi ??= { ...at, name };
      if (this.format?.value === "generic" || (name === ".metadata" && this.format?.value === "spi")) {
        cur.fail(
          `${name} cannot be used in a ${this.format.value} program (.format at line ${this.format.lineNo})`,
          head,
        );
      }
    }
    switch (name) {
      case ".format":
        return this.setFormat(head, cur);
      case ".metadata":
        this.sections.metadata.push(cur.byteList());
        return;
      case ".ro_data":
        return this.appendData(this.sections.ro, head, cur, "read-only data");
      case ".rw_data":
        return this.appendData(this.sections.rw, head, cur, "read-write data");
      case ".heap_pages":
        return this.setting(head, cur, "heap page count", 0xffff);
      case ".stack_size":
        return this.setting(head, cur, "stack size", 0xffffff);
      case ".jump_table_entry_size":
        return this.setting(head, cur, "jump-table entry size", 255);
      case ".jump_table":
        return this.jumpTable(head, cur);
      case ".raw":
      case ".byte": {
        const bytes = cur.byteList();
        if (bytes.length === 0) cur.fail(`${name} needs at least one byte`, head);
        this.items.push({ head: bytes, opcode: name === ".raw" });
        return;
      }
      case ".equ": {
        const t = cur.next();
        if (!t || t.kind !== "word") cur.fail("expected a constant name after .equ", t);
        if (cur.peek()?.text === ",") cur.next();
        const valueToken = cur.next();
        if (!valueToken) cur.fail(`expected a value for ${t.text}`);
        const value = cur.integer(valueToken, "a number");
        cur.end();
        this.define(t, cur.lineNo, { value });
        return;
      }
      default:
        cur.fail(`unknown directive "${name}" (known: ${DIRECTIVES.join(" ")})`, head);
    }
  }

  /** SPI data lengths are 3-byte fields (spec §12); within them, the layout always fits in 2^32. */
  private appendData(parts: Uint8Array[], head: Token, cur: LineCursor, what: string): void {
    parts.push(cur.byteList());
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total > 0xffffff) cur.fail(`${what} is now ${total} bytes, more than the 2^24-1 an SPI program can hold`, head);
  }

  private setFormat(head: Token, cur: LineCursor): void {
    const parts = cur.tokens.slice(cur.pos);
    const value = parts.map((t) => t.text).join("");
    if (value !== "generic" && value !== "spi" && value !== "spi-metadata") {
      cur.fail(`unknown format "${value}" (expected generic, spi or spi-metadata)`, parts[0]);
    }
    const at = { lineNo: cur.lineNo, col: head.col };
    if (this.format && this.format.value !== value) {
      cur.fail(`.format ${value} conflicts with .format ${this.format.value} at line ${this.format.lineNo}`, head);
    }
    const spi = this.firstSpi;
    if (spi && (value === "generic" || (value === "spi" && this.sections.metadata.length > 0))) {
      cur.fail(`.format ${value} conflicts with ${spi.name} at line ${spi.lineNo}`, head);
    }
    this.format = { ...at, value };
  }

  private setting(head: Token, cur: LineCursor, what: string, max: number): void {
    const old = this.settings.get(head.text);
    if (old) cur.fail(`duplicate ${head.text} (first at line ${old.lineNo})`, head);
    const value = cur.count(what, max);
    this.settings.set(head.text, { lineNo: cur.lineNo, col: head.col, value });
  }

  private jumpTable(head: Token, cur: LineCursor): void {
    const groups = cur.operands();
    if (groups.length === 0) cur.fail(".jump_table needs at least one entry (a label or code offset)", head);
    for (const g of groups) {
      const t = g[0];
      if (g.length > 1) {
        cur.fail(`unexpected "${g[1].text}": jump-table entry sizes are set with .jump_table_entry_size`, g[1]);
      }
      const at = { lineNo: cur.lineNo, col: t.col, text: t.text };
      if (t.kind === "word" && this.symbols.get(t.text)?.value === undefined) {
        if (REGISTER_NAME.test(t.text)) cur.fail(`expected a label or code offset, got register ${t.text}`, t);
        this.jumpEntries.push({ ...at, label: t.text });
      } else {
        const value = cur.integer(t, "a label or code offset");
        if (value < 0n) cur.fail(`jump-table entry ${t.text} is negative`, t);
        this.jumpEntries.push({ ...at, value });
      }
    }
  }

  private labelItem(name: string, at: Place): number {
    const def = this.symbols.get(name);
    if (!def) this.failAt(`undefined label "${name}"`, at);
    if (def.item === undefined) this.failAt(`"${name}" is a constant, not a label`, at);
    return def.item;
  }

  /** Lay out the code, resolve every label and encode the program. */
  finish(): Uint8Array {
    const format: Format = this.format?.value ??
      (this.sections.metadata.length > 0 ? "spi-metadata" : this.firstSpi ? "spi" : "generic");
    const sizes = this.items.map((item) => item.head.length);
    const branches: Branch[] = this.branches.map(({ item, operand, lineNo }) => {
      const label = operand.label;
      const place = { lineNo, col: operand.token.col };
      return {
        item,
        target: label === undefined ? operand.offset! : this.labelItem(label, place),
        targetIsItem: label !== undefined,
        width: operand.width ?? 0,
        pinned: operand.width !== undefined,
      };
    });
    const pos = relax(sizes, branches);
    const codeLength = pos[this.items.length];
    const offsets = new Map<number, { offset: number; width: number }>();
    branches.forEach((b, k) => {
      const { operand, lineNo } = this.branches[k];
      const offset = (b.targetIsItem ? pos[b.target] : b.target) - pos[b.item];
      if (!fitsWidth(offset, b.width)) {
        const why = b.width > 4 ? "which does not fit in a 32-bit offset" : `which does not fit in ${b.width} byte(s)`;
        this.failAt(`offset not encodable: ${operand.token.text} is ${offset} bytes away, ${why}`, {
          lineNo,
          col: operand.token.col,
        });
      }
      offsets.set(b.item, { offset, width: b.width });
    });
    const code = new Uint8Array(codeLength);
    const bitmask = new Uint8Array(Math.ceil(codeLength / 8));
    this.items.forEach((item, i) => {
      let at = pos[i];
      if (item.opcode) bitmask[at >> 3] |= 1 << (at & 7);
      const head = item.head;
      for (let k = 0; k < head.length; k++) code[at + k] = head[k];
      at += head.length;
      const branch = offsets.get(i);
      for (let k = 0; branch && k < branch.width; k++) code[at + k] = (branch.offset >> (8 * k)) & 0xff;
    });
    const jumpTable = this.jumpEntries.map((e) =>
      e.label === undefined ? e.value! : BigInt(pos[this.labelItem(e.label, e)])
    );
    const sizeSetting = this.settings.get(".jump_table_entry_size");
    const entrySize = sizeSetting?.value ?? defaultEntrySize(jumpTable);
    jumpTable.forEach((v, i) => {
      if (v >= 1n << BigInt(8 * entrySize)) {
        const e = this.jumpEntries[i];
        this.failAt(`jump-table entry ${e.text} (${v}) does not fit in ${entrySize} byte(s)`, e);
      }
    });
    const parts = {
      format,
      code,
      bitmask,
      jumpTable,
      entrySize,
      metadata: concatBytes(this.sections.metadata),
      readOnly: concatBytes(this.sections.ro),
      readWrite: concatBytes(this.sections.rw),
      heapPages: this.settings.get(".heap_pages")?.value ?? 0,
      stackSize: this.settings.get(".stack_size")?.value ?? 0,
    };
    return encodeProgram(parts);
  }
}

/** ` (did you mean "…"?)` for the closest mnemonic, if any is close. */
function suggest(word: string): string {
  let best = "";
  let bestDistance = 4;
  for (const { name } of OPCODES) {
    const d = editDistance(word.toLowerCase(), name);
    if (d < bestDistance) (best = name, bestDistance = d);
  }
  return best ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
