/**
 * `pvmkit gas FILE`: the cost of every basic block under a gas model, with a summary;
 * `--explain PC` draws the simulated pipeline timeline of one block.
 *
 * @module
 */
import type { Module } from "../engine.ts";
import type { GasModelName } from "../gas/model.ts";
import { PipelineModel, type TimelineEntry } from "../gas/pipeline.ts";
import { decodeInstruction, type Instruction, skipTable } from "../isa/decode.ts";
import { OPCODE_BY_CODE } from "../isa/opcodes.ts";
import { OPERAND_ROLES } from "../isa/_asm_encode.ts";
import { flag, parseBounded, parseCommandArgs, singleOperand, stringOption, UsageError } from "./_args.ts";
import { loadModule, parseFormat, parseGasModel, parseIsa } from "./_load.ts";
import { type CliIo, style, toJson } from "./_output.ts";

/** The model `pvmkit gas` uses without `--gas-model`: the one whose costs are worth inspecting. */
export const GAS_COMMAND_DEFAULT_MODEL: GasModelName = "pipeline";

/** Help text for `pvmkit gas`. */
export const GAS_HELP = `Usage: pvmkit gas [options] FILE

List every basic block of a program with what entering it costs under a gas model:
its start pc, its cost, its number of instructions and its first instruction; then
a summary (blocks, total, mean and largest cost, and how long the costs took to
compute).

FILE is a program blob (generic, SPI or SPI with metadata; detected automatically)
or PVM assembly source ending in .pvmasm, which is assembled first.

Options:
  --gas-model M   pipeline (the default here, unlike run: the GP 0.8 draft's
                  per-block cost from a simulated out-of-order pipeline),
                  pipeline-vectors (the same, with the quirks of the gas-model
                  draft vectors) or per-instruction (GP 0.7.2: 1 per instruction)
  --isa I         opcode numbering: 0.7.2 (default), 0.8-draft (PR #508: unlikely
                  = 2, sbrk gone, 102-111 moved down by one) or gas-vectors (the
                  draft vectors' numbering: 0.7.2 plus unlikely = 3)
  --format F      force the container format: auto (default), generic, spi, spi-metadata
  --explain PC    draw the simulated timeline of the block at PC, one line per
                  instruction and one column per cycle; a PC inside a block
                  explains the block that contains it
  --json          print one JSON object instead of text
  -h, --help      show this help

Chart legend (--explain):
  D  decoded            =  waiting for its inputs or a free unit
  e  executing          -  done, waiting for older instructions to retire
  R  retired            .  not in the pipeline
The block costs max(cycles - 3, 1), where cycles is the cycle in which its last
instruction retires.

Exit status: 0 on success, 2 on a usage or input error (including a malformed
program, an unknown model or ISA, or a PC outside every block).
`;

/** One row of the listing. */
interface BlockRow {
  /** Start pc (|c| for the implicit trap block the vectors' model charges). */
  pc: number;
  cost: number;
  instructions: number;
  /** Mnemonic of the first instruction. */
  first: string;
  /** True for the implicit trap block past the end of the code. */
  implicit?: boolean;
}

/** `pvmkit gas`. Returns the exit code. */
export async function gasCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    "gas-model": { type: "string" },
    isa: { type: "string" },
    format: { type: "string" },
    explain: { type: "string" },
    json: { type: "boolean" },
  });
  if (flag(args, "help")) {
    io.stdout(GAS_HELP);
    return 0;
  }
  const file = singleOperand(args, "program FILE");
  const format = parseFormat(stringOption(args, "format")) ?? "auto";
  const gasModel = parseGasModel(stringOption(args, "gas-model"), GAS_COMMAND_DEFAULT_MODEL);
  const isa = parseIsa(stringOption(args, "isa"));
  const explainText = stringOption(args, "explain");
  const explainPc = explainText === undefined
    ? undefined
    : Number(parseBounded(explainText, "--explain", 0n, 0xffffffffn));
  const json = flag(args, "json");

  const module = await loadModule(file, format, { isa, gasModel });
  const started = performance.now();
  const schedule = module.gas;
  const milliseconds = performance.now() - started;

  if (explainPc !== undefined) {
    const explanation = explain(module, explainPc);
    io.stdout(json ? toJson(explanationJson(module, explanation)) + "\n" : formatExplanation(module, explanation, io));
    return 0;
  }

  const rows = blockRows(module);
  const total = rows.reduce((n, r) => n + r.cost, 0);
  const largest = rows.reduce<BlockRow | undefined>((m, r) => (m === undefined || r.cost > m.cost ? r : m), undefined);
  const summary = {
    blocks: rows.length,
    totalCost: total,
    meanCost: rows.length === 0 ? 0 : total / rows.length,
    maxCost: largest?.cost ?? 0,
    maxCostPc: largest?.pc ?? null,
    gasModel: schedule.model.name,
    isa: module.isa.name,
    format: module.format,
    milliseconds,
  };
  if (json) {
    io.stdout(toJson({ ...summary, blockList: rows }) + "\n");
    return 0;
  }
  const s = style(io);
  const pcWidth = Math.max(2, ...rows.map((r) => String(r.pc).length));
  const costWidth = Math.max(4, ...rows.map((r) => String(r.cost).length));
  const lines = [
    s.dim(`${"pc".padStart(pcWidth)}  ${"cost".padStart(costWidth)}  instrs  first`),
    ...rows.map((r) =>
      `${String(r.pc).padStart(pcWidth)}  ${String(r.cost).padStart(costWidth)}  ${
        String(r.instructions).padStart(6)
      }  ${r.first}${r.implicit ? " (implicit, past the end of the code)" : ""}`
    ),
    "",
    `${s.dim("blocks".padEnd(10))}${rows.length}`,
    `${s.dim("total".padEnd(10))}${total}`,
    `${s.dim("mean".padEnd(10))}${summary.meanCost.toFixed(2)}`,
    `${s.dim("max".padEnd(10))}${summary.maxCost}${largest ? ` (block at pc ${largest.pc})` : ""}`,
    `${s.dim("model".padEnd(10))}${schedule.model.name}`,
    `${s.dim("isa".padEnd(10))}${module.isa.name}`,
    `${s.dim("computed".padEnd(10))}${milliseconds.toFixed(1)} ms`,
  ];
  io.stdout(lines.join("\n") + "\n");
  return 0;
}

/** Every block in pc order, plus the implicit trap block when the model charges it. */
function blockRows(module: Module): BlockRow[] {
  const { decoded } = module;
  const { blockCost } = module.gas;
  const n = decoded.codeLength;
  const rows: BlockRow[] = [];
  for (let pc = 0; pc < n; pc++) {
    if (!decoded.blockStart[pc]) continue;
    rows.push({ pc, cost: blockCost[pc], instructions: decoded.cost[pc], first: mnemonic(module, pc) });
  }
  if (implicitTrapCharged(module)) {
    rows.push({ pc: n, cost: blockCost[n], instructions: 1, first: "trap", implicit: true });
  }
  return rows;
}

function implicitTrapCharged(module: Module): boolean {
  const { gas } = module;
  return gas.perBlock && gas.model.chargeImplicitTrap && gas.blockCost[module.decoded.codeLength] > 0;
}

function mnemonic(module: Module, pc: number): string {
  return OPCODE_BY_CODE[pc < module.decoded.codeLength ? module.decoded.op[pc] : 0]!.name;
}

/** What `--explain` found: the block, where the asked pc sits in it, and its timeline. */
interface Explanation {
  /** The pc asked for. */
  pc: number;
  /** Start of the block explained. */
  block: number;
  /** The block's instructions (decoded). */
  instructions: Instruction[];
  /** Index of the instruction holding `pc` (-1: pc is the block start's own, or past the code). */
  index: number;
  /** True when `pc` is inside an instruction's operand bytes rather than at its opcode. */
  midInstruction: boolean;
  /** The cost charged on entering the block (the module's schedule). */
  cost: number;
  /** Pipeline models only: the simulated timeline and the cycle count. */
  timeline?: TimelineEntry[];
  cycles?: number;
}

/** Find the block that contains `pc` (GP: the greatest block start ≤ pc) and simulate it. */
function explain(module: Module, pc: number): Explanation {
  const { decoded, blob, isa } = module;
  const n = decoded.codeLength;
  const implicit = implicitTrapCharged(module);
  if (pc > n || (pc === n && !implicit)) {
    throw new UsageError(`--explain: pc ${pc} is past the end of the code (${n} bytes, so pcs 0..${n - 1})`);
  }
  let block = pc;
  while (block >= 0 && block < n && !decoded.blockStart[block]) block--;
  if (block < 0) throw new UsageError(`--explain: pc ${pc} is before the first basic block: no block contains it`);
  const skips = skipTable(blob.bitmask, n);
  const instructions: Instruction[] = [];
  let index = -1, midInstruction = false;
  for (let at = block;;) {
    const ins = decodeInstruction(blob.code, skips, blob.bitmask, at, isa);
    if (pc >= at && pc < at + ins.length) {
      index = instructions.length;
      midInstruction = pc !== at;
    }
    instructions.push(ins);
    if (at >= n || ins.info.terminator || !ins.valid) break;
    at += ins.length;
  }
  if (index < 0) {
    const last = instructions[instructions.length - 1];
    throw new UsageError(
      `--explain: pc ${pc} is in no basic block: the block at pc ${block} ends at pc ${last.pc + last.length - 1} ` +
        `and no block starts after it before pc ${pc}`,
    );
  }
  const cost = module.gas.blockCost[block];
  const model = module.gasModel;
  if (!model.perBlock) return { pc, block, instructions, index, midInstruction, cost };
  const timeline: TimelineEntry[] = [];
  const sim = new PipelineModel(blob, decoded, isa, { cmovDestinationIsSource: model.cmovDestinationIsSource });
  const simulated = sim.blockCost(block, timeline);
  if (simulated !== cost) throw new Error(`internal error: block ${block} simulates to ${simulated}, not ${cost}`);
  const cycles = Math.max(0, ...timeline.map((t) => t.retiredAt));
  return { pc, block, instructions, index, midInstruction, cost, timeline, cycles };
}

/** Assembly-like text of one instruction (operands in the assembler's order). */
function instructionText(ins: Instruction): string {
  const parts = OPERAND_ROLES[ins.info.operands].map((role) => {
    switch (role) {
      case "ra":
        return `r${ins.ra}`;
      case "rb":
        return `r${ins.rb}`;
      case "rd":
        return `r${ins.rd}`;
      case "x":
        return String(ins.x);
      case "y":
        return String(ins.y);
      case "x64":
        return String(BigInt.asUintN(64, (BigInt(ins.xHi) << 32n) | BigInt(ins.x >>> 0)));
      case "target":
        return `@${ins.target}`;
      default:
        return "?";
    }
  });
  const name = ins.valid || ins.byte === 0 ? ins.info.name : `trap (invalid byte ${ins.byte})`;
  return parts.length === 0 ? name : `${name} ${parts.join(", ")}`;
}

/** One chart row: a character per cycle 0..cycles. */
function chartRow(t: TimelineEntry, cycles: number): string {
  let row = "";
  for (let c = 0; c <= cycles; c++) {
    if (t.startedAt < 0) row += c === t.decodedAt ? "D" : ".";
    else if (c < t.decodedAt || c > t.retiredAt) row += ".";
    else if (c === t.decodedAt) row += "D";
    else if (c < t.startedAt) row += "=";
    // The simulator keeps an entry executing for one cycle after its result is ready
    // (dependants may start in that cycle); the chart shows that cycle as done.
    else if (c < t.finishedAt - 1) row += "e";
    else if (c < t.retiredAt) row += "-";
    else row += "R";
  }
  return row;
}

/** Ruler lines over the cycle columns: one line per decimal digit, most significant first. */
function ruler(cycles: number): string[] {
  const digits = String(cycles).length;
  const lines: string[] = [];
  for (let d = digits - 1; d >= 0; d--) {
    const unit = 10 ** d;
    let line = "";
    for (let c = 0; c <= cycles; c++) {
      line += d === 0 ? String(c % 10) : c % unit === 0 && c > 0 ? String(Math.floor(c / unit) % 10) : " ";
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function formatExplanation(module: Module, e: Explanation, io: CliIo): string {
  const s = style(io);
  const out: string[] = [];
  const count = e.instructions.length;
  const blockName = e.block === module.decoded.codeLength
    ? `the implicit trap block at pc ${e.block} (past the end of the code)`
    : `the block at pc ${e.block}`;
  if (e.pc !== e.block) {
    const where = e.midInstruction
      ? `inside the operands of instruction ${e.index + 1} of ${count} (at pc ${e.instructions[e.index].pc})`
      : `instruction ${e.index + 1} of ${count}`;
    out.push(`pc ${e.pc} is not a block start: it is ${where} of ${blockName}.`);
    out.push(`Entering a block anywhere charges the whole block, so this is ${blockName}.`, "");
  }
  out.push(
    s.bold(`${blockName[0].toUpperCase()}${blockName.slice(1)}`) +
      `: ${count} instruction${count === 1 ? "" : "s"}, gas model ${module.gasModel.name}, isa ${module.isa.name}`,
    "",
  );
  const labels = e.instructions.map((ins) => `${String(ins.pc).padStart(6)}  ${instructionText(ins)}`);
  const header = `${"pc".padStart(6)}  instruction`;
  const width = Math.max(header.length + 6, ...labels.map((l) => l.length)) + 2;
  const mark = (i: number) => (i === e.index && e.pc !== e.block ? ">" : " ");
  if (!e.timeline) {
    out.push(s.dim(` ${header.padEnd(width)}gas`));
    out.push(...labels.map((l, i) => `${mark(i)}${l.padEnd(width)}1`));
    out.push("", `cost = ${e.cost}: the ${module.gasModel.name} model charges 1 per instruction.`);
    out.push(`(Use --gas-model pipeline for a cycle-by-cycle timeline.)`);
    return out.join("\n") + "\n";
  }
  const cycles = e.cycles!;
  const rulers = ruler(cycles);
  rulers.forEach((r, i) => {
    const left = i === rulers.length - 1 ? header + "cycle".padStart(width - 2 - header.length) : "";
    out.push(s.dim(` ${left.padEnd(width)}${r}`));
  });
  const byPc = new Map(e.timeline.map((t) => [t.pc, t]));
  e.instructions.forEach((ins, i) => {
    const t = byPc.get(ins.pc);
    const note = t && t.startedAt < 0 ? "  (renamed at decode: no pipeline entry)" : "";
    out.push(`${mark(i)}${labels[i].padEnd(width)}${t ? chartRow(t, cycles) : ""}${note}`);
  });
  out.push(
    "",
    s.dim("D decoded   = waiting for inputs or units   e executing   - finished, waiting to retire"),
    s.dim("R retired   . idle"),
    "",
    `The last instruction retires in cycle ${cycles}: cost = max(${cycles} - 3, 1) = ${e.cost}`,
  );
  return out.join("\n") + "\n";
}

function explanationJson(module: Module, e: Explanation): Record<string, unknown> {
  return {
    pc: e.pc,
    block: e.block,
    cost: e.cost,
    cycles: e.cycles ?? null,
    gasModel: module.gasModel.name,
    isa: module.isa.name,
    instructions: e.instructions.map((ins) => {
      const t = e.timeline?.find((entry) => entry.pc === ins.pc);
      return {
        pc: ins.pc,
        text: instructionText(ins),
        ...(t
          ? {
            decodedAt: t.decodedAt,
            startedAt: t.startedAt < 0 ? null : t.startedAt,
            resultAt: t.startedAt < 0 ? null : t.finishedAt - 1,
            retiredAt: t.retiredAt < 0 ? null : t.retiredAt,
          }
          : {}),
      };
    }),
  };
}
