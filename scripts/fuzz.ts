// Differential fuzzer: random valid PVM programs, each run on the interpreter and on the
// recompiler (src/recompiler/crosscheck.ts), with every exit compared exactly.
//
//   npm run fuzz -- --seed S --count N     programs S, S+1, …, S+N−1
//   npm run fuzz -- --minutes M [--seed S] run until a mismatch or M minutes pass
//   --gas-model NAME, --isa NAME           load every program so (default: chosen per program)
//
// Program k is generated from seed k alone (tests/_fuzz.ts), so `--seed k --count 1`
// reproduces it. On a mismatch it prints the program, its initial state, the difference
// and a minimised program that still fails, and exits with code 1. Exit code 2 means the
// fuzzer itself failed (bad arguments, or an exception while running a program).
import process from "node:process";
import { GAS_MODELS, type GasModelName } from "../src/gas/model.ts";
import { ISA_PROFILES } from "../src/isa/opcodes.ts";
import {
  describeCase,
  describeFailure,
  encodeProgram,
  type FuzzCase,
  type FuzzFailure,
  generateCase,
  listInstructions,
  minimise,
  runCase,
} from "../tests/_fuzz.ts";

interface Args {
  seed: number;
  count: number;
  minutes: number;
  minimiseBudget: number;
  /** Overrides of every case's load options (the generator picks them per program otherwise). */
  gasModel?: GasModelName;
  isa?: string;
}

const USAGE = "usage: npm run fuzz -- [--seed S] [--count N] [--minutes M] [--minimise-budget K] " +
  `[--gas-model ${[...GAS_MODELS.keys()].join("|")}] [--isa ${[...ISA_PROFILES.keys()].join("|")}]`;

function fail(message: string): never {
  console.error(`fuzz: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seed: NaN, count: NaN, minutes: NaN, minimiseBudget: 4000 };
  const numeric = {
    "--seed": "seed",
    "--count": "count",
    "--minutes": "minutes",
    "--minimise-budget": "minimiseBudget",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i], text = argv[i + 1];
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (text === undefined) fail(`${flag} needs a value`);
    if (flag === "--gas-model") {
      if (!GAS_MODELS.has(text as GasModelName)) fail(`unknown gas model ${text}`);
      args.gasModel = text as GasModelName;
    } else if (flag === "--isa") {
      if (!ISA_PROFILES.has(text)) fail(`unknown ISA profile ${text}`);
      args.isa = text;
    } else {
      const key = numeric[flag as keyof typeof numeric] as "seed" | "count" | "minutes" | "minimiseBudget" | undefined;
      const value = Number(text);
      if (!key || !Number.isFinite(value) || value < 0) fail(`bad argument ${flag} ${text}`);
      args[key] = value;
    }
  }
  if (Number.isNaN(args.seed)) args.seed = Number.isNaN(args.minutes) ? 1 : Date.now() % 2 ** 31;
  if (!Number.isSafeInteger(args.seed)) fail("the seed must be an integer");
  if (Number.isNaN(args.count)) args.count = Number.isNaN(args.minutes) ? 1000 : Infinity;
  if (Number.isNaN(args.minutes)) args.minutes = Infinity;
  return args;
}

/** The disassembler's listing, when src/isa/disassembler.ts provides one. */
async function loadDisassembler(): Promise<((bytes: Uint8Array) => string) | undefined> {
  try {
    const mod = await import("../src/isa/disassembler.ts");
    const fn = (mod as { disassemble?: unknown }).disassemble;
    if (typeof fn === "function") {
      return (bytes) => (fn as (b: Uint8Array, o: object) => string)(bytes, { format: "generic" });
    }
  } catch {
    // No disassembler: the instruction list below is printed instead.
  }
  return undefined;
}

async function report(title: string, c: FuzzCase, failure: FuzzFailure): Promise<void> {
  const disassemble = await loadDisassembler();
  const { bytes } = encodeProgram(c.program);
  console.log(`\n=== ${title} ===`);
  console.log(describeCase(c));
  console.log("instructions:\n" + listInstructions(c.program));
  if (disassemble) {
    try {
      console.log("disassembly:\n" + disassemble(bytes).trimEnd());
    } catch (error) {
      console.log(`disassembly failed: ${(error as Error).message}`);
    }
  }
  console.log("difference: " + describeFailure(failure));
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const tty = process.stdout.isTTY === true;
  const started = Date.now();
  const deadline = started + args.minutes * 60_000;
  let programs = 0, runs = 0;
  let lastProgress = started;
  const rate = () => (programs / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
  const last = () => args.seed + programs - 1;
  const progress = () => {
    const line = `${programs} programs (seeds ${args.seed}..${last()}), ${runs} runs, ${rate()} programs/s`;
    if (tty) process.stdout.write(`\r${line}   `);
    else console.log(line);
  };
  // Ctrl-C stops after the current program, with the summary (the loop yields after each
  // program, so the signal is seen within milliseconds, before tsx's relay gives up on it).
  let interrupted = false;
  process.on("SIGINT", () => (interrupted = true));
  console.log(
    `fuzz: seed ${args.seed}, ` +
      (args.count === Infinity ? "no program limit" : `${args.count} programs`) +
      (args.minutes === Infinity ? "" : `, at most ${args.minutes} minute(s)`) +
      (args.gasModel ? `, gas model ${args.gasModel}` : "") + (args.isa ? `, ISA ${args.isa}` : ""),
  );
  while (programs < args.count && Date.now() < deadline && !interrupted) {
    const seed = args.seed + programs;
    let c: FuzzCase;
    let result: ReturnType<typeof runCase>;
    try {
      c = generateCase(seed);
      if (args.gasModel) c.load.gasModel = args.gasModel;
      if (args.isa) c.load.isa = args.isa;
      result = runCase(c);
    } catch (error) {
      if (tty) process.stdout.write("\n");
      console.error(`fuzz: seed ${seed} threw: ${(error as Error).stack ?? error}`);
      return 2;
    }
    programs++;
    if (result.ok) {
      runs += result.runs;
    } else {
      if (tty) process.stdout.write("\n");
      const overrides = (args.gasModel ? ` --gas-model ${args.gasModel}` : "") + (args.isa ? ` --isa ${args.isa}` : "");
      console.log(`MISMATCH at seed ${seed} (reproduce: npm run fuzz -- --seed ${seed} --count 1${overrides})`);
      await report(`failing program (seed ${seed})`, c, result);
      const small = minimise(c, result, args.minimiseBudget);
      await report(`minimised program (seed ${seed})`, small.case, small.failure);
      return 1;
    }
    const now = Date.now();
    await new Promise((resolve) => setImmediate(resolve));
    if (now - lastProgress >= (tty ? 250 : 30_000)) {
      lastProgress = now;
      progress();
    }
  }
  progress();
  if (tty) process.stdout.write("\n");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `fuzz: ${
      interrupted ? "interrupted; " : ""
    }OK, no mismatches in ${programs} programs (seeds ${args.seed}..${last()}), ${runs} runs, ` +
      `${seconds} s, ${rate()} programs/s`,
  );
  return interrupted ? 130 : 0;
}

process.exit(await main());
