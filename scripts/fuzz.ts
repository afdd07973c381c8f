// Differential fuzzer: random valid PVM programs, each run on the interpreter and on the
// recompiler (src/recompiler/crosscheck.ts), with every exit compared exactly.
//
//   npm run fuzz -- --seed S --count N     programs S, S+1, …, S+N−1
//   npm run fuzz -- --minutes M [--seed S] run until a mismatch or M minutes pass
//
// Program k is generated from seed k alone (tests/_fuzz.ts), so `--seed k --count 1`
// reproduces it. On a mismatch it prints the program, its initial state, the difference
// and a minimised program that still fails, and exits with code 1. Exit code 2 means the
// fuzzer itself failed (bad arguments, or an exception while running a program).
import process from "node:process";
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
}

const USAGE = "usage: npm run fuzz -- [--seed S] [--count N] [--minutes M] [--minimise-budget K]";

function parseArgs(argv: string[]): Args {
  const args: Args = { seed: NaN, count: NaN, minutes: NaN, minimiseBudget: 4000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const key = ({
      "--seed": "seed",
      "--count": "count",
      "--minutes": "minutes",
      "--minimise-budget": "minimiseBudget",
    } as const)[
      flag as "--seed"
    ];
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (!key || !Number.isFinite(value) || value < 0) {
      console.error(`fuzz: bad argument ${flag} ${argv[i + 1] ?? ""}\n${USAGE}`);
      process.exit(2);
    }
    args[key] = value;
    i++;
  }
  if (Number.isNaN(args.seed)) args.seed = Number.isNaN(args.minutes) ? 1 : Date.now() % 2 ** 31;
  if (!Number.isSafeInteger(args.seed)) {
    console.error(`fuzz: the seed must be an integer\n${USAGE}`);
    process.exit(2);
  }
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
  console.log(
    `fuzz: seed ${args.seed}, ` +
      (args.count === Infinity ? "no program limit" : `${args.count} programs`) +
      (args.minutes === Infinity ? "" : `, at most ${args.minutes} minute(s)`),
  );
  while (programs < args.count && Date.now() < deadline) {
    const seed = args.seed + programs;
    let c: FuzzCase;
    let result: ReturnType<typeof runCase>;
    try {
      c = generateCase(seed);
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
      console.log(`MISMATCH at seed ${seed} (reproduce: npm run fuzz -- --seed ${seed} --count 1)`);
      await report(`failing program (seed ${seed})`, c, result);
      const small = minimise(c, result, args.minimiseBudget);
      await report(`minimised program (seed ${seed})`, small.case, small.failure);
      return 1;
    }
    const now = Date.now();
    if (now - lastProgress >= (tty ? 250 : 30_000)) {
      lastProgress = now;
      progress();
    }
  }
  progress();
  if (tty) process.stdout.write("\n");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `fuzz: OK, no mismatches in ${programs} programs (seeds ${args.seed}..${last()}), ${runs} runs, ` +
      `${seconds} s, ${rate()} programs/s`,
  );
  return 0;
}

process.exit(await main());
