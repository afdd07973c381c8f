/**
 * JAR v2 blobs on the command line: `pvmkit run FILE.jar` runs an invocation through the
 * capability kernel; `pvmkit inspect FILE.jar` lists the header, the manifest and a
 * disassembly of every CODE cap. Both are reached by format detection (the `JAR\x02` magic).
 *
 * @module
 */
import { disassemble } from "../isa/disassembler.ts";
import { ISA_JAVM, type IsaProfile } from "../isa/opcodes.ts";
import { Kernel, KernelError, type KernelExit } from "../kernel/kernel.ts";
import { runKernelWithHost } from "../kernel/host.ts";
import { jarProtocolRegistry, JarServiceState } from "../kernel/protocol.ts";
import { encodeBlob } from "../program/blob.ts";
import { ProgramError } from "../program/errors.ts";
import { isJar, type JarProgram, parseJar } from "../program/jar.ts";
import {
  flag,
  InputError,
  parseBounded,
  parseBytesArgument,
  parseCommandArgs,
  parseHex,
  readBytes,
  singleOperand,
  stringList,
  stringOption,
  UsageError,
} from "./_args.ts";
import { bytesToHex, type CliIo, decimal64, toJson } from "./_output.ts";
import { parseBackend } from "./_load.ts";

/** Help text for `pvmkit run FILE.jar`. */
export const RUN_JAR_HELP = `Usage: pvmkit run [options] FILE.jar

Run a JAR v2 blob (magic "JAR\\x02") through the capability kernel: VM 0 runs the invoke
CODE cap; CREATE/CALL/REPLY, RETYPE and the ecall management ops are performed by the
kernel; protocol calls are answered from a small in-memory service state with the
spec's §9.3 ABI (operands are DATA-cap slot φ12 + offsets): GAS, FETCH (modes 0, 1,
14, 15), STORAGE_R, STORAGE_W, CHECKPOINT, OUTPUT; other protocol ids answer WHAT.
Reports the exit, φ7 at halt, gas used (after the init page fee), the init fee, the
number of VMs created, the OUTPUT hash and the storage at the end.

Options:
  --gas N             gas limit (default 10_000_000; the init page fee comes out first)
  --op N              φ7 at entry: 0 refine / is-authorized (default), 1 accumulate, or
                      any value the program expects (fib_recur.jar: n)
  --args HEX|@FILE    argument bytes, written to the slot-0 DATA cap
  --input HEX|@FILE   an accumulate input FETCH returns (mode 15 by index, mode 14 all);
                      repeatable
  --storage KEY=VALUE initial storage entry, both hex; repeatable
  --backend B         auto (default: each VM interpreted until it has spent 200,000
                      gas, then compiled), interpreter or recompiler
  --trace-caps        log every cap operation to stderr
  --json              one JSON object instead of text
  -h, --help          show this help

Exit status: 0 halt, 1 panic, page fault or out of gas, 2 usage error or invalid blob.
`;

/** True if the command line names a JAR file (by extension or by its magic). */
export function namesJar(argv: readonly string[]): boolean {
  return argv.some((a) => {
    if (a.startsWith("-")) return false;
    if (/\.jar$/i.test(a)) return true;
    try {
      return isJar(readBytes(a));
    } catch {
      return false;
    }
  });
}

function parse(path: string): JarProgram {
  try {
    return parseJar(readBytes(path));
  } catch (error) {
    if (error instanceof ProgramError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
}

/** `pvmkit run FILE.jar`. Returns the exit code. */
export function runJarCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    gas: { type: "string" },
    op: { type: "string" },
    args: { type: "string" },
    input: { type: "string", multiple: true },
    storage: { type: "string", multiple: true },
    backend: { type: "string" },
    "trace-caps": { type: "boolean" },
    json: { type: "boolean" },
  });
  if (flag(args, "help")) {
    io.stdout(RUN_JAR_HELP);
    return Promise.resolve(0);
  }
  const path = singleOperand(args, "program FILE.jar");
  const gasText = stringOption(args, "gas");
  const gas = gasText === undefined ? 10_000_000n : parseBounded(gasText, "--gas", 0n, BigInt(Number.MAX_SAFE_INTEGER));
  const opText = stringOption(args, "op");
  const operation = opText === undefined ? 0n : parseBounded(opText, "--op", 0n, (1n << 64n) - 1n);
  const argsText = stringOption(args, "args");
  const bytes = argsText === undefined ? undefined : parseBytesArgument(argsText, "--args");
  const backend = parseBackend(stringOption(args, "backend"), "auto");
  const inputs = stringList(args, "input").map((text) => parseBytesArgument(text, "--input"));
  const storage = stringList(args, "storage").map((text) => {
    const eq = text.indexOf("=");
    if (eq < 0) throw new UsageError(`--storage "${text}": expected KEY=VALUE (hex)`);
    return [parseHex(text.slice(0, eq), "--storage key"), parseHex(text.slice(eq + 1), "--storage value")] as const;
  });
  const state = new JarServiceState({ storage, fetch: { accumulateInputs: inputs } });
  const program = parse(path);
  const trace = flag(args, "trace-caps") ? (line: string) => io.stderr(line + "\n") : undefined;
  let kernel: Kernel;
  try {
    kernel = Kernel.create(program, { gas, operation, args: bytes, backend, trace });
  } catch (error) {
    if (error instanceof KernelError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
  const exit = runKernelWithHost(kernel, jarProtocolRegistry(state));
  const report = {
    exit: exit.kind,
    ...(exit.kind === "halt" ? { value: exit.value } : {}),
    ...(exit.kind === "fault" ? { address: exit.address } : {}),
    gasUsed: kernel.gasUsed,
    gasLeft: exit.gas,
    initFee: kernel.initFee,
    vmsCreated: kernel.vmsCreated,
    backend,
    ...(state.output ? { output: bytesToHex(state.output) } : {}),
    storage: Object.fromEntries(state.entries().map(([k, v]) => [bytesToHex(k), bytesToHex(v)])),
  };
  kernel.dispose();
  if (flag(args, "json")) io.stdout(toJson(report) + "\n");
  else {
    io.stdout(
      [
        `exit: ${describe(exit)}`,
        `gas used: ${kernel.gasUsed} (init page fee ${kernel.initFee} before that), left ${exit.gas}`,
        `VMs created: ${kernel.vmsCreated}`,
        `backend: ${backend}`,
        ...(state.output ? [`output: ${bytesToHex(state.output)}`] : []),
        ...storageLines(state),
      ].join("\n") + "\n",
    );
  }
  return Promise.resolve(exit.kind === "halt" ? 0 : 1);
}

/** The storage at the end, at most 16 entries (values cut at 64 bytes); --json has it all. */
function storageLines(state: JarServiceState): string[] {
  const entries = state.entries();
  const lines = entries.slice(0, 16).map(([k, v]) =>
    `storage ${bytesToHex(k)} = ${bytesToHex(v.subarray(0, 64))}${v.length > 64 ? `… (${v.length} bytes)` : ""}`
  );
  if (entries.length > 16) lines.push(`storage: ${entries.length - 16} more keys (see --json)`);
  return lines;
}

function describe(exit: KernelExit): string {
  switch (exit.kind) {
    case "halt":
      return `halt, φ7 = ${decimal64(exit.value)}`;
    case "fault":
      return `page fault at 0x${exit.address.toString(16)}`;
    default:
      return exit.kind;
  }
}

/**
 * Disassemble every CODE cap of a JAR blob, decoding with `isa` (default: the javm
 * profile, the kernel's instruction set: `ecall` = 3, `unlikely` = 2, no `sbrk`).
 */
export function disassembleJarCode(
  program: JarProgram,
  isa: IsaProfile = ISA_JAVM,
): { slot: number; disassembly: string }[] {
  return program.caps.filter((c) => c.kind === "code").map((c) => {
    const blob = c.code!;
    const generic = encodeBlob({
      code: blob.code,
      bitmask: blob.bitmask,
      jumpTable: Array.from(blob.jumpTable.toArray()),
      entrySize: blob.jumpTable.entrySize,
    });
    return { slot: c.slot, disassembly: disassemble(generic, { format: "generic", isa }) };
  });
}

/** `pvmkit inspect FILE.jar` (called by `inspect` when the file is a JAR blob). */
export function inspectJar(path: string, json: boolean, io: CliIo): Promise<number> {
  const program = parse(path);
  const caps = program.caps.map((c) => ({
    slot: c.slot,
    kind: c.kind,
    ...(c.kind === "data"
      ? { basePage: c.basePage, pageCount: c.pageCount, access: c.access, initBytes: c.dataLength }
      : { codeBytes: c.code!.code.length, jumpTable: c.code!.jumpTable.count }),
  }));
  const listings = disassembleJarCode(program);
  if (json) {
    io.stdout(
      toJson({
        format: program.layout,
        memoryPages: program.memoryPages,
        invokeSlot: program.invokeSlot,
        caps,
        listings,
      }) + "\n",
    );
    return Promise.resolve(0);
  }
  const lines = [
    `${path}: JAR v2, memory_pages ${program.memoryPages}, invoke slot ${program.invokeSlot}, ${caps.length} caps`,
    ...program.caps.map((c) =>
      c.kind === "data"
        ? `  slot ${String(c.slot).padStart(3)}  DATA  pages ${c.basePage}..${c.basePage + c.pageCount} ` +
          `(0x${(c.basePage * 4096).toString(16)}) ${c.access}, ${c.dataLength} init bytes`
        : `  slot ${String(c.slot).padStart(3)}  CODE  ${c.code!.code.length} bytes, ${
          c.code!.jumpTable.count
        } jump-table entries`
    ),
    ...listings.flatMap((l) => [``, `CODE slot ${l.slot}:`, l.disassembly.trimEnd()]),
  ];
  io.stdout(lines.join("\n") + "\n");
  return Promise.resolve(0);
}
