/**
 * The browser page in examples/browser/: pick an example (or open a .pvm / .pvmasm
 * file), run it on the recompiler (and, to compare, on the interpreter), and show the
 * exit, the registers and the disassembly with the exit's instruction highlighted.
 *
 * Bundled with the library by scripts/build-browser.mjs into dist/main.js.
 *
 * @module
 */
/// <reference lib="dom" />
import { assemble, type Backend, disassemble, type Exit, type Instance, Module } from "../../mod.ts";
import { EXAMPLES } from "pvmkit:examples";

/** JAM's `log` host call (JIP-1) and the made-up `byte_sum` of examples/host-calls.pvmasm. */
const LOG = 100;
const BYTE_SUM = 1000;
/** The answer to a host call nobody implements: WHAT = 2^64 − 2. */
const WHAT = (1n << 64n) - 2n;
const U64 = (1n << 64n) - 1n;
const LOG_LEVELS = ["error", "warning", "info", "debug", "trace"];

/** The program on display. */
interface Program {
  name: string;
  bytes: Uint8Array;
  module: Module;
  /** Code offset of every instruction, in order (the bitmask's set bits). */
  starts: number[];
}

/** One run to a non-host exit. */
interface Outcome {
  backend: Backend;
  exit: Exit;
  before: bigint[];
  after: bigint[];
  calls: number;
  log: string[];
  milliseconds: number;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const ui = {
  example: $<HTMLSelectElement>("example"),
  file: $<HTMLInputElement>("file"),
  gas: $<HTMLInputElement>("gas"),
  registers: $<HTMLInputElement>("registers"),
  hostCalls: $<HTMLSelectElement>("host-calls"),
  compare: $<HTMLInputElement>("compare"),
  run: $<HTMLButtonElement>("run"),
  form: $<HTMLFormElement>("controls"),
  error: $("error"),
  exitKind: $("exit-kind"),
  exitPc: $("exit-pc"),
  gasUsed: $("gas-used"),
  gasLeft: $("gas-left"),
  hostCount: $("host-count"),
  time: $("time"),
  compareResult: $("compare-result"),
  hostLog: $("host-log"),
  registerRows: $<HTMLTableElement>("registers-table").tBodies[0],
  programInfo: $("program-info"),
  disassembly: $("disassembly"),
};

let program: Program | undefined;
/** Disassembly line of each instruction, by code offset. */
let lineAt = new Map<number, HTMLElement>();

/** A number as the CLI takes it: decimal, 0x/0b/0o, `_` separators, `1e6`, or negative (taken mod 2^64). */
function parseNumber(text: string, what: string): bigint {
  const t = text.trim().replaceAll("_", "");
  const negative = t.startsWith("-");
  const body = negative ? t.slice(1) : t;
  const exponent = /^(\d+)e(\d+)$/i.exec(body);
  let value: bigint;
  if (exponent) value = BigInt(exponent[1]) * 10n ** BigInt(exponent[2]);
  else if (/^(0x[0-9a-f]+|0b[01]+|0o[0-7]+|\d+)$/i.test(body)) value = BigInt(body);
  else throw new Error(`${what}: "${text}" is not a number`);
  return negative ? (-value) & U64 : value;
}

/** `7=30, 8=0x10` → registers r7 and r8 set, the others left as the program's loader sets them. */
function parseRegisters(text: string): (bigint | undefined)[] {
  const registers: (bigint | undefined)[] = [];
  for (const item of text.split(/[\s,]+/).filter((s) => s !== "")) {
    const match = /^r?(\d+)=(.+)$/i.exec(item);
    if (!match || Number(match[1]) > 12) throw new Error(`registers: "${item}" is not N=VALUE with N from 0 to 12`);
    const value = parseNumber(match[2], `r${match[1]}`);
    if (value > U64) throw new Error(`registers: r${match[1]} does not fit in 64 bits`);
    registers[Number(match[1])] = value;
  }
  return registers;
}

/** The registers an example's header suggests (`--regs 7=30` in its "Run it:" line). */
function suggestedRegisters(source: string): string {
  const match = /^;\s*Run it:.*--regs\s+(\S+)/m.exec(source);
  return match ? match[1].split(",").join(", ") : "";
}

const hex = (value: bigint) => "0x" + value.toString(16).padStart(16, "0");

function showError(error: unknown): void {
  ui.error.textContent = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  ui.error.hidden = false;
  document.body.dataset.state = "error";
}

function clearResult(): void {
  ui.error.hidden = true;
  for (const cell of [ui.exitKind, ui.exitPc, ui.gasUsed, ui.gasLeft, ui.hostCount, ui.time, ui.compareResult]) {
    cell.textContent = "–";
  }
  ui.exitKind.className = "";
  ui.hostLog.hidden = true;
  ui.registerRows.replaceChildren();
  for (const line of lineAt.values()) line.classList.remove("exit-here");
}

/** Load bytes (a blob) or assembly source as the program on display and show its disassembly. */
function loadProgram(name: string, content: Uint8Array | string): void {
  clearResult();
  program = undefined;
  ui.run.disabled = true;
  ui.disassembly.replaceChildren();
  ui.programInfo.textContent = "";
  lineAt = new Map();
  try {
    const bytes = typeof content === "string" ? assemble(content, { fileName: name }) : content;
    const module = Module.load(bytes);
    const { code, bitmask } = module.blob;
    const starts: number[] = [];
    for (let i = 0; i < code.length; i++) if ((bitmask[i >> 3] >> (i & 7)) & 1) starts.push(i);
    program = { name, bytes, module, starts };
    renderDisassembly(disassemble(bytes), starts);
    ui.programInfo.textContent = `${name}: ${module.format}, ${bytes.length} bytes, ${starts.length} instructions`;
    ui.run.disabled = false;
    document.body.dataset.state = "ready";
  } catch (error) {
    showError(error);
  }
}

/**
 * Show the disassembler's listing with a pc column. The code section follows the first
 * blank line; in it every indented line other than `.byte` is one instruction (or its
 * `.raw` bytes), in the order of the bitmask's opcode positions.
 */
function renderDisassembly(text: string, starts: number[]): void {
  const lines = text.replace(/\n$/, "").split("\n");
  const codeFrom = lines.indexOf("");
  let next = 0;
  const fragment = document.createDocumentFragment();
  lines.forEach((line, index) => {
    const row = document.createElement("span");
    row.className = "line";
    const gutter = document.createElement("span");
    gutter.className = "pc";
    const isInstruction = codeFrom >= 0 && index > codeFrom && /^\s+(?!\.byte\b)\S/.test(line);
    if (isInstruction && next < starts.length) {
      const pc = starts[next++];
      gutter.textContent = String(pc);
      row.dataset.pc = String(pc);
      lineAt.set(pc, row);
    }
    row.append(gutter);
    const semicolon = line.indexOf(";");
    if (semicolon >= 0 && !/"/.test(line.slice(0, semicolon))) {
      const comment = document.createElement("span");
      comment.className = "comment";
      comment.textContent = line.slice(semicolon);
      row.append(line.slice(0, semicolon), comment);
    } else {
      row.append(line);
    }
    fragment.append(row);
  });
  ui.disassembly.append(fragment);
}

/** Run to an exit other than a host call, answering host calls if asked to. */
function runToEnd(module: Module, backend: Backend, gas: bigint, registers: (bigint | undefined)[]): Outcome {
  const started = performance.now();
  const vm = module.instantiate({ gas, registers, backend });
  const before = vm.registers;
  const answer = ui.hostCalls.value === "answer";
  const log: string[] = [];
  let calls = 0;
  for (;;) {
    const exit = vm.run();
    if (exit.kind !== "host" || !answer) {
      const milliseconds = performance.now() - started;
      return { backend, exit, before, after: vm.registers, calls, log, milliseconds };
    }
    calls++;
    answerHostCall(vm, exit.call, log);
  }
}

function answerHostCall(vm: Instance, call: number, log: string[]): void {
  const [r7, r8, r9, r10, r11] = [7, 8, 9, 10, 11].map((i) => vm.getRegister(i));
  const text = (address: bigint, length: bigint) =>
    new TextDecoder().decode(vm.memory.read(Number(address), Number(length)));
  if (call === LOG) {
    const target = r9 === 0n ? "" : `[${text(r8, r9)}] `;
    log.push(`${LOG_LEVELS[Number(r7)] ?? `level ${r7}`}: ${target}${text(r10, r11)}`);
  } else if (call === BYTE_SUM) {
    vm.setRegister(7, vm.memory.read(Number(r7), Number(r8)).reduce((sum, b) => sum + BigInt(b), 0n));
  } else {
    log.push(`ecalli ${call}: not implemented here, answered WHAT`);
    vm.setRegister(7, WHAT);
  }
}

function describeExit(exit: Exit): string {
  if (exit.kind === "fault") return `fault at 0x${exit.address.toString(16)}`;
  if (exit.kind === "host") return `host call ${exit.call}`;
  return exit.kind;
}

/** Where two outcomes differ, or undefined if they agree. */
function difference(a: Outcome, b: Outcome): string | undefined {
  if (describeExit(a.exit) !== describeExit(b.exit)) return `exit ${describeExit(b.exit)}`;
  if (a.exit.pc !== b.exit.pc) return `pc ${b.exit.pc}`;
  if (a.exit.gas !== b.exit.gas) return `gas left ${b.exit.gas}`;
  const r = a.after.findIndex((v, i) => v !== b.after[i]);
  if (r >= 0) return `r${r} = ${hex(b.after[r])}`;
  if (a.calls !== b.calls) return `${b.calls} host calls`;
  return undefined;
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

function run(): void {
  if (!program) return;
  clearResult();
  document.body.dataset.state = "running";
  try {
    const gas = parseNumber(ui.gas.value, "gas");
    if (gas > U64) throw new Error("gas does not fit in 64 bits");
    const registers = parseRegisters(ui.registers.value);
    const compiled = runToEnd(program.module, "recompiler", gas, registers);
    const { exit } = compiled;
    ui.exitKind.textContent = describeExit(exit);
    ui.exitKind.className = exit.kind;
    const line = lineAt.get(exit.pc);
    ui.exitPc.textContent = String(exit.pc) +
      (line
        ? ""
        : exit.pc >= program.module.blob.code.length
        ? " (past the end of the code)"
        : " (not an instruction)");
    ui.gasUsed.textContent = (gas - exit.gas).toLocaleString("en-US");
    ui.gasLeft.textContent = exit.gas.toLocaleString("en-US");
    ui.hostCount.textContent = ui.hostCalls.value === "answer" ? `${compiled.calls} answered` : "stop at the first";
    ui.time.textContent = `${ms(compiled.milliseconds)} on the recompiler (compiling included)`;
    if (compiled.log.length > 0) {
      ui.hostLog.textContent = compiled.log.join("\n");
      ui.hostLog.hidden = false;
    }
    renderRegisters(compiled);
    if (line) {
      line.classList.add("exit-here");
      line.scrollIntoView({ block: "nearest" });
    }
    if (ui.compare.checked) {
      const interpreted = runToEnd(program.module, "interpreter", gas, registers);
      const differs = difference(compiled, interpreted);
      ui.compareResult.textContent = differs
        ? `DIFFERS: ${differs}`
        : `same exit, gas and registers (${ms(interpreted.milliseconds)})`;
    } else {
      ui.compareResult.textContent = "not run";
    }
    document.body.dataset.state = "done";
  } catch (error) {
    showError(error);
  }
}

function renderRegisters(outcome: Outcome): void {
  const rows = outcome.after.map((value, i) => {
    const row = document.createElement("tr");
    if (value !== outcome.before[i]) row.className = "changed";
    [`r${i}`, hex(value), value.toString()].forEach((text, column) => {
      const cell = document.createElement(column === 0 ? "th" : "td");
      cell.textContent = text;
      row.append(cell);
    });
    row.id = `r${i}`;
    return row;
  });
  ui.registerRows.replaceChildren(...rows);
}

function selectExample(name: string): void {
  const example = EXAMPLES.find((e) => e.name === name);
  if (!example) return;
  ui.registers.value = suggestedRegisters(example.source);
  loadProgram(example.name, example.source);
}

for (const { name } of EXAMPLES) ui.example.add(new Option(name, name));
ui.example.addEventListener("change", () => {
  ui.file.value = "";
  selectExample(ui.example.value);
});
ui.file.addEventListener("change", async () => {
  const file = ui.file.files?.[0];
  if (!file) return;
  ui.example.value = "";
  ui.registers.value = "";
  if (file.name.endsWith(".pvmasm")) loadProgram(file.name, await file.text());
  else loadProgram(file.name, new Uint8Array(await file.arrayBuffer()));
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
selectExample(EXAMPLES.some((e) => e.name === "fibonacci.pvmasm") ? "fibonacci.pvmasm" : EXAMPLES[0].name);
ui.example.value = program?.name ?? "";
