// Loops of several blocks that branch back to their first block are emitted inside a Wasm
// `loop` at that block's position (translate.ts, emitInlinedLoop). Checked against the
// interpreter: every gas value from 0 to past the end (so out of gas lands on every
// instruction of every copy), a page fault in the middle of the loop, and exits from the
// middle, the last block's fall-through, and a mid-loop ecalli resume.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { assemble } from "../src/isa/assembler.ts";
import { crossCheck } from "../src/recompiler/crosscheck.ts";

const HALT = 0xffff0000n;

// r7 counts up by 3; the loop leaves when r7 = 30 (middle exit) or after r8 rounds (the
// back-edge branch falls through); each round stores r7 at r9, which walks up 512 bytes a
// round and faults once it leaves the mapped page.
const LOOP = `
        load_imm r7, 0
        load_imm r9, 0x20000
        fallthrough
head:   add_imm_64 r7, r7, 3
        branch_eq_imm r7, 30, middle
        add_imm_64 r10, r10, 1
        store_ind_u64 r7, r9, 0
        add_imm_64 r9, r9, 512
        branch_lt_u r10, r8, head
        load_imm r11, 1
        jump_ind r0, 0
middle: load_imm r11, 2
        jump_ind r0, 0
`;

// A loop whose middle block calls the host: the resume point after the ecalli starts a
// compiled block of its own, so the loop is not inlined past it.
const WITH_ECALLI = `
head:   add_imm_64 r7, r7, 1
        branch_eq_imm r7, 4, out
        ecalli 5
        add_imm_64 r12, r12, 7
        jump head
out:    jump_ind r0, 0
`;

function sweep(source: string, rounds: number, memory = true): number {
  const module = Module.load(assemble(source), { format: "generic" });
  let last = -1;
  let checked = 0;
  for (let gas = 0n; gas < 400n; gas++) {
    const result = crossCheck(module, {
      gas,
      registers: [HALT, 0n, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(rounds)],
      memory: memory ? [{ address: 0x20000, length: 4096, access: "write" }] : [],
    });
    assert.ok(result.ok, `gas ${gas}: ${JSON.stringify(!result.ok && result.difference)}`);
    checked++;
    last = result.exits;
  }
  assert.ok(last > 0);
  return checked;
}

/** Run on the recompiler with plenty of gas; the exit and r7, r9, r10, r11. */
function outcome(source: string, rounds: number): [string, bigint[]] {
  const vm = Module.load(assemble(source), { format: "generic" }).instantiate({
    backend: "recompiler",
    gas: 10_000n,
    registers: [HALT, 0n, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(rounds)],
    memory: [{ address: 0x20000, length: 4096, access: "write" }],
  });
  const exit = vm.run();
  return [
    exit.kind === "fault" ? `fault@${exit.address.toString(16)}` : exit.kind,
    [7, 9, 10, 11].map((r) => vm.getRegister(r)),
  ];
}

describe("recompiler: loops inlined at their head", () => {
  it("runs the loops as written (hand-computed outcomes)", () => {
    // 5 rounds, out through the back edge's fall-through
    assert.deepEqual(outcome(LOOP, 5), ["halt", [15n, 0x20000n + 5n * 512n, 5n, 1n]]);
    // out through the middle: r7 reaches 30 at the start of round 10, after 9 full rounds
    const short = LOOP.replace("add_imm_64 r9, r9, 512", "add_imm_64 r9, r9, 256");
    assert.deepEqual(outcome(short, 100), ["halt", [30n, 0x20000n + 9n * 256n, 9n, 2n]]);
    // the fifth store lands at 0x21000, past the mapped page
    const faulting = LOOP.replace("add_imm_64 r9, r9, 512", "add_imm_64 r9, r9, 1024");
    assert.deepEqual(outcome(faulting, 100), ["fault@21000", [15n, 0x21000n, 5n, 0n]]);
  });

  it("same exits, gas, registers and memory as the interpreter at every gas value", () => {
    assert.equal(sweep(LOOP, 5), 400); // leaves through the back edge's fall-through
    sweep(LOOP.replace("add_imm_64 r9, r9, 512", "add_imm_64 r9, r9, 256"), 100); // the middle exit
    sweep(LOOP.replace("add_imm_64 r9, r9, 512", "add_imm_64 r9, r9, 1024"), 100); // faults in round 5
  });

  it("a loop with an ecalli in the middle", () => {
    sweep(WITH_ECALLI, 0, false);
  });
});
