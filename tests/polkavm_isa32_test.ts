// PolkaVM's 32-bit ISA, memset and sbrk on both backends: hand-computed results for the
// instructions whose meaning differs from GP-64 (shared/spec/polkavm-blob.md §4.1, §5),
// and random 32-bit programs run in .polkavm containers on the interpreter and the
// recompiler with identical registers, memory and exits.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Module } from "../src/engine.ts";
import { PolkaVmCallError, PolkaVmInstance } from "../src/host/polkavm.ts";
import { encodePolkaVm } from "../src/program/polkavm.ts";
import { assemble } from "../src/isa/assembler.ts";
import { ISA_POLKAVM_32, OPCODE_BY_CODE } from "../src/isa/opcodes.ts";
import { crossCheck } from "../src/recompiler/crosscheck.ts";
import { Rng } from "./_fuzz.ts";

const BACKENDS = ["interpreter", "recompiler"] as const;

/** A .polkavm program with one export `f` at pc 0 whose body is `source`, then a return. */
function program(source: string, options: { version?: number; rwDataSize?: number } = {}): Module {
  const code = assemble(`${source}\n jump_ind r0, 0\n`);
  return Module.load(encodePolkaVm({
    version: options.version ?? 1,
    stackSize: 8192,
    rwDataSize: options.rwDataSize ?? 0,
    exports: [{ name: "f", pc: 0 }],
    code,
  }));
}

function call(module: Module, backend: (typeof BACKENDS)[number], args: number[]): { a0: bigint; raw: bigint } {
  const vm = PolkaVmInstance.create(module, { backend });
  const a0 = vm.call("f", args);
  return { a0, raw: vm.instance.getRegister(7) };
}

describe("polkavm 32-bit ISA semantics", () => {
  for (const backend of BACKENDS) {
    it(`high products on the low words, sign-extended (${backend})`, () => {
      const uu = program("mul_upper_u_u r7, r7, r8");
      assert.equal(call(uu, backend, [0xffffffff, 0xffffffff]).a0, 0xfffffffen); // (2^32−1)^2 = 0xFFFFFFFE_00000001
      assert.equal(call(uu, backend, [0x10000, 0x10000]).a0, 1n); // 2^32
      assert.equal(call(uu, backend, [0xffffffff, 0xffffffff]).raw, 0xfffffffffffffffen); // sign-extended
      const ss = program("mul_upper_s_s r7, r7, r8");
      assert.equal(call(ss, backend, [-1, -1]).a0, 0n); // 1
      assert.equal(call(ss, backend, [0x80000000, 0x80000000]).a0, 0x40000000n); // 2^62
      assert.equal(call(ss, backend, [-2, 3]).a0, 0xffffffffn); // −6
      const su = program("mul_upper_s_u r7, r7, r8");
      assert.equal(call(su, backend, [-1, 0xffffffff]).a0, 0xffffffffn); // −(2^32 − 1)
      assert.equal(call(su, backend, [0x40000000, 0x80000000]).a0, 0x20000000n); // 2^61
      assert.equal(call(su, backend, [3, -1]).a0, 2n); // 3 × (2^32 − 1)
      // The same bytes under the 64-bit ISA are GP's 64-bit high product: 2^32 → 0.
      assert.equal(call(program("mul_upper_u_u r7, r7, r8", { version: 0 }), backend, [0x10000, 0x10000]).a0, 0n);
    });

    it(`reverse_bytes swaps the low word (${backend})`, () => {
      const rev = program("reverse_bytes r7, r7");
      assert.deepEqual(call(rev, backend, [0x12345680]), { a0: 0x80563412n, raw: 0xffffffff80563412n });
      assert.deepEqual(call(rev, backend, [0x80563412]), { a0: 0x12345680n, raw: 0x12345680n });
      // 64-bit ISA: the whole (sign-extended) register is reversed.
      assert.equal(
        call(program("reverse_bytes r7, r7", { version: 0 }), backend, [0x12345680]).raw,
        0x8056341200000000n,
      );
    });

    it(`32-bit values stay sign-extended (${backend})`, () => {
      assert.equal(call(program("add_32 r7, r7, r8"), backend, [0x7fffffff, 1]).raw, 0xffffffff80000000n);
      assert.equal(call(program("load_imm r7, 0x80000000"), backend, []).raw, 0xffffffff80000000n);
    });

    it(`memset fills A2 bytes at A0 with A1's low byte (${backend})`, () => {
      const module = program(".raw 2");
      const vm = PolkaVmInstance.create(module, { backend });
      const start = 0xfffe0000 - 8192;
      vm.call("f", [start + 3, 0x1ab, 100]);
      const bytes = vm.instance.memory.read(start, 110);
      assert.deepEqual([...bytes.subarray(0, 3)], [0, 0, 0]);
      assert.ok(bytes.subarray(3, 103).every((b) => b === 0xab));
      assert.deepEqual([...bytes.subarray(103)], [0, 0, 0, 0, 0, 0, 0]);
      // A0 past the fill (a 32-bit register: sign-extended in its 64-bit slot)
      assert.equal(vm.instance.getRegister(7), BigInt.asUintN(64, BigInt((start + 103) | 0)));
      assert.equal(vm.instance.getRegister(9), 0n); // A2 = 0
      // Running into the unmapped page above the stack: the bytes before it are filled,
      // A0/A2 tell how far it got, and the call faults at that page.
      assert.throws(() => vm.call("f", [0xfffe0000 - 10, 0x55, 100]), (e: unknown) => {
        assert.ok(e instanceof PolkaVmCallError);
        assert.equal(e.exit?.kind, "fault");
        return true;
      });
      assert.ok(vm.instance.memory.read(0xfffe0000 - 10, 10).every((b) => b === 0x55));
      assert.equal(vm.instance.getRegister(7), 0xfffffffffffe0000n);
      assert.equal(vm.instance.getRegister(9), 90n);
    });

    it(`sbrk returns the new heap end and maps it (${backend})`, () => {
      // rw data of 100 bytes at 0x20000 (no ro data): the heap starts at 0x20064.
      const grow = program("sbrk r7, r7", { rwDataSize: 100 });
      const vm = PolkaVmInstance.create(grow, { backend });
      assert.equal(vm.call("f", [0]), 0x20064n);
      assert.equal(vm.call("f", [0x5000]), 0x25064n);
      assert.equal(vm.call("f", [0]), 0x25064n);
      vm.instance.memory.write(0x25063, new Uint8Array([1])); // mapped up to the end
      assert.equal(vm.instance.memory.access(0x26000), "none"); // and no further (4 KiB pages)
      assert.equal(vm.call("f", [0xffff0000]), 0n); // past the limit, 64 KiB below the stack's zone
      assert.equal(vm.call("f", [0]), 0x25064n);
    });
  }
});

describe("polkavm memset under per-block gas", () => {
  it("a block left mid-way for memset is not charged twice (fuzzer seed 1203871)", () => {
    // memset ; fallthrough, and memset of 3 bytes at 0x20000 then a trap, as generic programs
    const programs = [
      new Uint8Array([0, 1, 2, 2, 1, 0b11]),
      assemble("load_imm r7, 0x20000\nload_imm r8, 7\nload_imm r9, 3\n.raw 2\ntrap\n"),
    ];
    for (const bytes of programs) {
      for (const gasModel of ["pipeline", "per-instruction"] as const) {
        const module = Module.load(bytes, { format: "generic", isa: "polkavm-64", gasModel });
        for (let gas = 0n; gas < 60n; gas++) {
          const result = crossCheck(module, { gas, memory: [{ address: 0x20000, length: 4096, access: "write" }] });
          assert.ok(result.ok, `${gasModel}, gas ${gas}: ${JSON.stringify(!result.ok && result.difference)}`);
        }
      }
    }
  });
});

// ---- random 32-bit programs, both backends ----

/** Canonical opcodes of the 32-bit ISA by operand class (ALU and memory forms). */
function opsOf(classes: readonly string[]): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < 256; byte++) {
    const code = ISA_POLKAVM_32.canonical[byte];
    if (code < 0) continue;
    const info = OPCODE_BY_CODE[code]!;
    if (!info.terminator && classes.includes(info.operands) && code !== 10 && code !== 101) out.push(byte);
  }
  return out;
}

const THREE = opsOf(["reg_reg_reg"]);
const IMM = opsOf(["reg_reg_imm"]).filter((b) => b < 120 || b > 130); // no indirect memory
const TWO = opsOf(["reg_reg"]).filter((b) => b !== 100 && b !== 101);
const REGS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // never RA (r0) or SP (r1)

/** Raw instruction bytes: opcode byte then operands, with the bitmask bit at the opcode. */
function randomProgram(rng: Rng): { code: number[]; starts: number[] } {
  const code: number[] = [];
  const starts: number[] = [];
  const emit = (...bytes: number[]) => {
    starts.push(code.length);
    code.push(...bytes);
  };
  const reg = () => rng.pick(REGS);
  const imm = () => {
    const v = rng.pick([0, 1, 31, 32, -1, 0x7fffffff, 0x80000000, rng.u32()]);
    return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
  };
  for (const r of REGS) emit(51, r, ...imm()); // load_imm every register
  const count = rng.range(5, 40);
  for (let i = 0; i < count; i++) {
    const kind = rng.int(10);
    if (kind < 5) emit(rng.pick(THREE), reg() | (reg() << 4), reg());
    else if (kind < 8) emit(rng.pick(IMM), reg() | (reg() << 4), ...imm());
    else if (kind < 9) emit(rng.pick(TWO), reg() | (reg() << 4));
    else {
      // store a register on the stack (SP − 64 + k), or a memset of part of the stack
      if (rng.chance(0.5)) emit(122, rng.pick(REGS) | (1 << 4), ...[256 - 64 + rng.int(60), 255, 255, 255]);
      else {
        emit(51, 7, 0, 0xf0, 0xfd, 0xff); // A0 = 0xFFFDF000 (inside the stack)
        emit(51, 8, rng.int(256), 0, 0, 0);
        emit(51, 9, rng.int(300), 0, 0, 0);
        emit(2);
      }
    }
  }
  emit(50, 0); // jump_ind r0, 0: return
  return { code, starts };
}

describe("polkavm 32-bit ISA: random programs agree on both backends", () => {
  it("200 programs: registers, memory, exits and gas identical", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed * 7919);
      const { code, starts } = randomProgram(rng);
      const bitmask = new Uint8Array(Math.ceil(code.length / 8));
      for (const s of starts) bitmask[s >> 3] |= 1 << (s & 7);
      const blob = [0, 0, ...varint(code.length), ...code, ...bitmask];
      const module = Module.load(encodePolkaVm({ version: 1, stackSize: 8192, code: new Uint8Array(blob) }));
      assert.equal(module.isa.name, "polkavm-32");
      const result = crossCheck(module, { gas: 100_000n });
      assert.ok(result.ok, `seed ${seed}: ${JSON.stringify(!result.ok && result.difference)}`);
    }
  });
});

function varint(n: number): number[] {
  if (n < 128) return [n];
  if (n < 1 << 14) return [0x80 | (n >> 8), n & 255];
  throw new RangeError("program too long for this test");
}
