#!/usr/bin/env node
// Replay JIP-6 traces on anan-as (the devDependency) as an independent check that traces
// pvmkit records (`--record-trace`) are accepted and reproduced by another PVM:
//
//   node scripts/anan-replay.mjs TRACE...
//
// The trace is parsed by anan-as's own trace parser; the run uses anan-as's PVM with the
// optional sbrk gas off (as the public traces were made; its `replay-trace` command turns
// it on). Every ecalli's index, pc, gas and registers and every memread are checked, the
// host's memwrites, setregs and setgas applied, and the final status, pc and gas checked.
// Prints OK or the first mismatch per trace; exits 1 if any trace fails.
import process from "node:process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(fileURLToPath(new URL("..", import.meta.url)), "node_modules/@fluffylabs/anan-as");
const api = await import(pathToFileURL(join(root, "dist/build/release.js")).href);
const parser = await import(pathToFileURL(join(root, "dist/bin/src/trace-parse.js")).href);

const STATUS = { 0: "HALT", 1: "PANIC", 2: "PANIC", 3: "HOST", 4: "OOG" };
const hex = (b) => Buffer.from(b).toString("hex");

function replay(path) {
  const t = parser.parseTrace(readFileSync(path, "utf8"));
  const spi = parser.isSpiTrace(t.start, t.initialMemWrites);
  const program = spi
    ? api.prepareProgram(
      api.InputKind.SPI,
      api.HasMetadata.Yes,
      Array.from(t.program),
      [],
      [],
      [],
      Array.from(parser.extractSpiArgs(t.start, t.initialMemWrites)),
      0,
    )
    : api.prepareProgram(
      api.InputKind.Generic,
      api.HasMetadata.Yes,
      Array.from(t.program),
      parser.encodeRegistersFromDump(t.start.registers),
      parser.buildInitialPages(t.initialMemWrites),
      parser.buildInitialChunks(t.initialMemWrites),
      [],
      0,
    );
  const id = api.pvmStart(program, false);
  try {
    let gas = t.start.gas;
    let pc = t.start.pc;
    for (let step = 1;; step++) {
      const pause = api.pvmResume(id, gas, pc, false);
      if (pause.status !== 3) {
        const want = t.termination;
        const got = { type: STATUS[pause.status], pc: pause.pc, gas: pause.gas };
        if (t.ecalliEntries.length > 0) return `ended (${got.type}) with ${t.ecalliEntries.length} ecalli left`;
        if (got.type !== want.type || got.pc !== want.pc || got.gas !== want.gas) {
          return `final: expected ${want.type} pc=${want.pc} gas=${want.gas}, got ${got.type} pc=${got.pc} gas=${got.gas}`;
        }
        return `OK (${step - 1} host calls, ${got.type} pc=${got.pc} gas=${got.gas})`;
      }
      const e = t.ecalliEntries.shift();
      if (!e) return `host call ${pause.exitCode} at pc ${pause.pc} not in the trace`;
      const where = `ecalli #${step}`;
      if (pause.exitCode !== e.index || pause.pc !== e.pc || pause.gas !== e.gas) {
        return `${where}: expected ecalli=${e.index} pc=${e.pc} gas=${e.gas}, got ${pause.exitCode} ${pause.pc} ${pause.gas}`;
      }
      for (let i = 0; i < 13; i++) {
        if (pause.registers[i] !== (e.registers.get(i) ?? 0n)) return `${where}: r${i} differs`;
      }
      for (const r of e.memReads) {
        const got = api.pvmReadMemory(id, r.address, r.data.length);
        if (!got || hex(got) !== hex(r.data)) return `${where}: memread at 0x${r.address.toString(16)} differs`;
      }
      for (const w of e.memWrites) {
        if (!api.pvmWriteMemory(id, w.address, w.data)) {
          return `${where}: memwrite at 0x${w.address.toString(16)} failed`;
        }
      }
      const regs = pause.registers;
      for (const s of e.setRegs) regs[s.index] = s.value;
      api.pvmSetRegisters(id, regs);
      gas = e.setGas ?? pause.gas;
      pc = pause.nextPc;
    }
  } finally {
    api.pvmDestroy(id);
  }
}

let failed = 0;
for (const path of process.argv.slice(2)) {
  let result;
  try {
    result = replay(path);
  } catch (error) {
    result = `error: ${error.message}`;
  }
  if (!result.startsWith("OK")) failed++;
  console.log(`${path}: ${result}`);
}
process.exitCode = failed > 0 ? 1 : 0;
