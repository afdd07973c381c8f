/**
 * PolkaVM's `memset` instruction (no operands): fill A2 bytes at address A0 with the low
 * byte of A1, leaving A0 past the filled bytes and A2 = 0. If a page on the way is not
 * writable, the bytes before it are filled, A0/A2 say how far it got, and the machine
 * stops with a page fault (or a panic below `memory.panicBelow`, 0x10000) there; running
 * again resumes the fill.
 * It costs one instruction's gas, like any other instruction.
 *
 * @module
 */
import { type Memory, PAGE_SIZE } from "../memory/memory.ts";
import type { MachineState } from "./interpreter.ts";

const A0 = 14, A1 = 16, A2 = 18; // low words of r7, r8, r9 in the split register file

/**
 * Perform a memset on `state`'s registers. Returns -1 when done, else the exit status
 * (`panicStatus` or `faultStatus`, with `state.exitArg` the faulting page).
 */
export function memset(memory: Memory, state: MachineState, panicStatus: number, faultStatus: number): number {
  const r = state.regs;
  const start = r[A0] >>> 0;
  const value = r[A1] & 0xff;
  // A count of 2^32 or more always reaches the unmapped first 64 KiB, so it never completes.
  const count = !state.isa32 && r[A2 + 1] !== 0 ? 2 ** 32 : r[A2] >>> 0;
  let done = 0;
  let status = -1;
  while (done < count) {
    const address = (start + done) >>> 0;
    if (memory.access(address) !== "write") {
      status = address < memory.panicBelow ? panicStatus : faultStatus; // the rule of every access
      state.exitArg = address - (address % PAGE_SIZE);
      break;
    }
    const n = Math.min(count - done, PAGE_SIZE - (address % PAGE_SIZE));
    const wasm = memory.wasmAddress(address);
    memory.u8.fill(value, wasm, wasm + n);
    done += n;
  }
  // A0 += done; A2 -= done (64-bit), then 32-bit guests keep their registers sign-extended.
  const lo = r[A0] >>> 0, sum = lo + done;
  r[A0] = sum | 0;
  r[A0 + 1] = state.isa32 ? (sum | 0) >> 31 : (r[A0 + 1] + (sum >= 2 ** 32 ? 1 : 0)) | 0;
  const left = r[A2] >>> 0, diff = left - done;
  r[A2] = diff | 0;
  r[A2 + 1] = state.isa32 ? (diff | 0) >> 31 : (r[A2 + 1] - (diff < 0 ? 1 : 0)) | 0;
  return status;
}
