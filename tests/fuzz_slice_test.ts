// Differential testing of the two backends (src/recompiler/crosscheck.ts): a fixed slice of
// the random-program fuzzer (tests/_fuzz.ts, also run at length by `npm run fuzz`) must show
// no mismatch, and hand-written cases pin each boundary the fuzzer aims at. Every
// hand-written case checks its expected exit, worked out from the spec (§6–§10, 1 gas per
// instruction, a faulting access charged as in graypaper #497), on each backend separately,
// and then cross-checks the full state (registers, pages, page contents) of the two.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Exit, type InstantiateOptions, Module } from "../src/engine.ts";
import type { MemoryRegion } from "../src/memory/memory.ts";
import { crossCheck, hostValue } from "../src/recompiler/crosscheck.ts";
import { clearCompiledCache, compile, setWasmStore } from "../src/recompiler/runtime.ts";
import { parseBlob } from "../src/program/blob.ts";
import { predecode } from "../src/interpreter/predecode.ts";
import { asm, asmWithTable, HALT, I, type Ins } from "./_programs.ts";
import { describeCase, describeFailure, encodeProgram, generateCase, minimise, runCase } from "./_fuzz.ts";

const load = (bytes: Uint8Array) => Module.load(bytes, { format: "generic" });
const BACKENDS = ["interpreter", "recompiler"] as const;

/** Run on each backend, expect `exit` (and `registers`, where given) on both; then cross-check. */
function expectBoth(
  bytes: Uint8Array,
  options: InstantiateOptions,
  exit: Exit,
  registers: Record<number, bigint> = {},
): void {
  const mod = load(bytes);
  for (const backend of BACKENDS) {
    const vm = mod.instantiate({ ...options, backend });
    assert.deepEqual(vm.run(), exit, backend);
    for (const [r, v] of Object.entries(registers)) assert.equal(vm.getRegister(Number(r)), v, `${backend} r${r}`);
  }
  const result = crossCheck(mod, options);
  assert.equal(result.ok, true, JSON.stringify(result, (_, v) => (typeof v === "bigint" ? String(v) : v)));
}

const LOAD_IND = { 1: 124, 2: 126, 4: 128, 8: 130 } as const;
const STORE_IND = { 1: 120, 2: 121, 4: 122, 8: 123 } as const;
const WIDTHS = [1, 2, 4, 8] as const;

describe("differential fuzzing", () => {
  it("a fixed slice of 300 random programs: no mismatch", () => {
    let runs = 0;
    for (let seed = 20261121; seed < 20261121 + 300; seed++) {
      const c = generateCase(seed);
      const result = runCase(c);
      if (!result.ok) {
        const small = minimise(c, result, 500);
        assert.fail(
          `seed ${seed}: ${describeFailure(result)}\n${describeCase(c)}\nminimised:\n${describeCase(small.case)}\n` +
            describeFailure(small.failure),
        );
      }
      runs += result.runs;
    }
    assert.ok(runs >= 900, `only ${runs} runs`);
  });

  it("the generator is reproducible: a seed always gives the same program and state", () => {
    for (const seed of [1, 77, 123456]) {
      const a = generateCase(seed), b = generateCase(seed);
      assert.deepEqual(encodeProgram(a.program).bytes, encodeProgram(b.program).bytes);
      assert.deepEqual(a.registers, b.registers);
      assert.deepEqual(describeCase(a), describeCase(b));
    }
    assert.notDeepEqual(encodeProgram(generateCase(1).program).bytes, encodeProgram(generateCase(2).program).bytes);
  });
});

describe("crossCheck", () => {
  // ecalli 1 · load_imm r8, 5 · jump_ind r0
  const p = asm(I.ecalli(1), I.loadImm(8, 5), I.jumpInd(0));
  const mod = load(p.bytes);
  const memory: MemoryRegion[] = [{ address: 0x20000, length: 4096, access: "write" }];
  const options = { gas: 100n, registers: [HALT], memory };

  it("agrees, answering host calls with r7 = hostValue(index)", () => {
    assert.deepEqual(crossCheck(mod, options), { ok: true, exits: 2 });
    const vm = mod.instantiate(options);
    vm.run();
    vm.setRegister(7, hostValue(0));
    assert.deepEqual(vm.run(), { kind: "halt", pc: 5, gas: 97n });
  });

  it("hostGas sets the gas after a host call; onExit sees every exit", () => {
    const exits: Exit[] = [];
    const result = crossCheck(mod, options, { hostGas: () => 1n, onExit: (exit) => exits.push(exit) });
    assert.deepEqual(result, { ok: true, exits: 2 });
    // With 1 gas after the ecalli: load_imm r8, 5 runs, jump_ind cannot be paid for.
    assert.deepEqual(exits, [{ kind: "host", pc: 0, gas: 99n, call: 1 }, { kind: "oog", pc: 5, gas: -1n }]);
  });

  it("reports registers, gas, memory and page maps that differ after a host call", () => {
    const cases: [string, (vm: ReturnType<typeof mod.instantiate>) => void][] = [
      ["after host call: r3", (vm) => vm.setRegister(3, 1n)],
      ["after host call: gas", (vm) => (vm.gas = 5n)],
      ["after host call: memory@0x20000", (vm) => vm.memory.write(0x20000, new Uint8Array([1]))],
      ["after host call: pages", (vm) => vm.memory.map(0x30000, 4096, "read")],
    ];
    for (const [field, skew] of cases) {
      const result = crossCheck(mod, options, {
        onHost: (vm) => {
          if (vm.backend === "recompiler") skew(vm);
        },
      });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.difference.field, field);
      assert.equal(!result.ok && result.difference.step, 0);
    }
  });

  it("compares right after each host answer, and stops after maxHostCalls", () => {
    // Both backends get the same r8; the recompiler's gas is skewed as well.
    const result = crossCheck(mod, options, {
      onHost: (vm, _exit, index) => {
        vm.setRegister(8, BigInt(index));
        if (index === 0 && vm.backend === "recompiler") vm.gas = 50n;
      },
    });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.difference, {
      step: 0,
      field: "after host call: gas",
      interpreter: 99n,
      recompiler: 50n,
    });
    // 0 ecalli 0 · 1 jump → 0: every run ends in a host call.
    const loop = load(asm(I.ecalli(0), I.jump(-1)).bytes);
    assert.deepEqual(crossCheck(loop, { gas: 1000n }, { maxHostCalls: 3 }), { ok: true, exits: 4 });
  });
});

describe("regressions found by the fuzzer", () => {
  it("per-block gas: a fresh start right after an ecalli charges the whole block (fuzz seed 2891)", () => {
    // 0 ecalli 0 · 1 trap: one basic block. GP 0.8 draft §14.3: the gas-charged flag is false
    // at the start, so the first step charges C(0), the cost of the block containing pc 1 —
    // out of gas with gas unchanged if it cannot be paid. The recompiler used to enter its
    // post-ecalli entry, meant for resuming a paid-for block, and charged nothing.
    const p = asm(I.ecalli(0), I.trap());
    for (const gasModel of ["pipeline", "pipeline-vectors"] as const) {
      const mod = Module.load(p.bytes, { format: "generic", gasModel });
      // The block's cost, from a run that starts at its head and resumes after the ecalli.
      const whole = mod.instantiate({ gas: 1000n });
      assert.equal(whole.run().kind, "host");
      const afterResume = whole.run();
      assert.equal(afterResume.kind, "panic");
      const cost = 1000n - afterResume.gas;
      assert.ok(cost > 0n);
      for (const gas of [0n, cost - 1n, cost, 1000n]) {
        const expected: Exit = gas < cost ? { kind: "oog", pc: 1, gas } : { kind: "panic", pc: 1, gas: gas - cost };
        for (const backend of BACKENDS) {
          assert.deepEqual(
            mod.instantiate({ gas, pc: 1, backend }).run(),
            expected,
            `${gasModel} ${backend} gas ${gas}`,
          );
        }
        assert.deepEqual(crossCheck(mod, { gas, pc: 1 }), { ok: true, exits: 1 });
      }
    }
  });

  it("the compiled-module cache holds at most 1024 modules, however small (the fuzzer's OOM at ~34,000 programs)", () => {
    // Each cached module keeps engine code-space mappings: unbounded, tens of thousands of small
    // programs exhausted the process's mapping limit and V8 aborted. A module compiled before
    // 1024 others must have been dropped, though 1025 tiny modules are far below the byte budget.
    clearCompiledCache();
    const compileProgram = (n: number) => {
      const blob = parseBlob(asm(I.loadImm(1, n), I.trap()).bytes);
      return compile(predecode(blob), blob, { rotation: 0 });
    };
    const first = compileProgram(0);
    assert.equal(compileProgram(0), first, "a cache hit");
    for (let n = 1; n <= 1024; n++) compileProgram(n);
    assert.notEqual(compileProgram(0), first, "evicted by count");
    assert.equal(compileProgram(1024), compileProgram(1024));
  });

  it("the same, when the compiled code comes from a Wasm store (entries recomputed)", () => {
    const p = asm(I.ecalli(0), I.trap());
    const stored = new Map<string, Uint8Array>();
    setWasmStore({ get: (k) => stored.get(k), set: (k, b) => void stored.set(k, b) });
    try {
      for (let round = 0; round < 2; round++) {
        // Round 0 emits and stores; round 1, with the in-process cache emptied, reads the store.
        clearCompiledCache();
        const mod = Module.load(p.bytes, { format: "generic", gasModel: "pipeline" });
        const vm = mod.instantiate({ gas: 0n, pc: 1, backend: "recompiler" });
        assert.deepEqual(vm.run(), { kind: "oog", pc: 1, gas: 0n }, `round ${round}`);
        assert.equal(stored.size, 1);
      }
    } finally {
      setWasmStore(undefined);
    }
  });
});

describe("boundaries, on both backends", () => {
  describe("accesses crossing pages of different access (W | R | none | W | unmapped)", () => {
    // 0x20000 writable, 0x21000 read-only, 0x22000 inaccessible, 0x23000 writable, then nothing.
    const memory: MemoryRegion[] = [
      { address: 0x20000, length: 4096, access: "write" },
      { address: 0x21000, length: 4096, access: "read", data: new Uint8Array([0x11, 0x22, 0x33]) },
      { address: 0x22000, length: 4096, access: "none" },
      { address: 0x23000, length: 4096, access: "write" },
    ];
    // Per page: can it be read, can it be written.
    const readable = (a: number) => (a >>> 12) === 0x20 || (a >>> 12) === 0x21 || (a >>> 12) === 0x23;
    const writable = (a: number) => (a >>> 12) === 0x20 || (a >>> 12) === 0x23;
    for (const width of WIDTHS) {
      for (const edge of [0x21000, 0x22000, 0x23000, 0x24000]) {
        for (let back = 1; back <= width; back++) {
          const address = edge - back;
          for (const write of [false, true]) {
            const bytes = Array.from({ length: width }, (_, k) => address + k);
            const bad = bytes.filter((a) => !(write ? writable(a) : readable(a)));
            const name = `${write ? "store" : "load"} of ${width} at 0x${address.toString(16)}`;
            it(name, () => {
              // 0 load_ind/store_ind r2, [r1 + 0] · 2 jump_ind r0
              const op = write ? STORE_IND[width] : LOAD_IND[width];
              const p = asm(I.twoRegImm(op, 2, 1, 0), I.jumpInd(0));
              const options = { gas: 10n, registers: [HALT, BigInt(address), 0x0807060504030201n], memory };
              const exit: Exit = bad.length === 0
                ? { kind: "halt", pc: 2, gas: 8n }
                : { kind: "fault", pc: 0, gas: 9n, address: Math.min(...bad) & ~0xfff };
              expectBoth(p.bytes, options, exit);
            });
          }
        }
      }
    }
  });

  describe("addresses wrap at 2^32", () => {
    const top: MemoryRegion[] = [
      { address: 0xfffff000, length: 4096, access: "write" },
      { address: 0x10000, length: 4096, access: "write" },
    ];
    const cases: [string, Ins, bigint, MemoryRegion[], Exit][] = [
      // An 8-byte load at 0xFFFFFFFC also reads 0..3: the lowest bad byte is 0, so panic.
      ["load_u64 at 0xFFFFFFFC", I.regImm(58, 2, -4), 0n, top, { kind: "panic", pc: 0, gas: 9n }],
      ["store_u8 at 0xFFFFFFFF", I.regImm(59, 2, -1), 0n, top, { kind: "halt", pc: 3, gas: 8n }],
      ["load_u16 at 0xFFFFFFFF", I.regImm(54, 2, -1), 0n, top, { kind: "panic", pc: 0, gas: 9n }],
      ["load_u8 at 0xFFFFFFFF, top page unmapped", I.regImm(52, 2, -1), 0n, [], {
        kind: "fault",
        pc: 0,
        gas: 9n,
        address: 0xfffff000,
      }],
      // rB + X is taken mod 2^64, then mod 2^32: −16 + 0x10010 = 0x10000.
      ["load_ind_u32 at (−16 + 0x10010) mod 2^32", I.twoRegImm(128, 2, 1, 0x10010), -16n, top, {
        kind: "halt",
        pc: 5,
        gas: 8n,
      }],
      ["load_ind_u8 ignores the high half of rB", I.twoRegImm(124, 2, 1, 0), 0x1_0001_0000n, top, {
        kind: "halt",
        pc: 2,
        gas: 8n,
      }],
      ["store_ind_u64 at 0xFFFFFFF8 + 8 = 0", I.twoRegImm(123, 2, 1, 8), 0xfffffff8n, top, {
        kind: "panic",
        pc: 0,
        gas: 9n,
      }],
      ["store_ind_u64 across the top: 0xFFFFFFFC..3", I.twoRegImm(123, 2, 1, -4), 0n, top, {
        kind: "panic",
        pc: 0,
        gas: 9n,
      }],
    ];
    for (const [name, ins, r1, memory, exit] of cases) {
      it(name, () => {
        const p = asm(ins, I.jumpInd(0));
        expectBoth(p.bytes, { gas: 10n, registers: [HALT, r1, 0xaabbn], memory }, exit);
      });
    }
  });

  describe("addresses below 64 KiB panic, mapped or not", () => {
    const low: MemoryRegion[] = [{ address: 0x10000, length: 4096, access: "write" }];
    const cases: [string, Ins, MemoryRegion[], Exit][] = [
      ["load_u8 at 0", I.regImm(52, 2, 0), low, { kind: "panic", pc: 0, gas: 9n }],
      ["load_u8 at 0xFFFF", I.regImm(52, 2, 0xffff), low, { kind: "panic", pc: 0, gas: 9n }],
      ["store_u16 at 0xFFFF (second byte mapped)", I.regImm(60, 2, 0xffff), low, { kind: "panic", pc: 0, gas: 9n }],
      ["load_u32 at 0xFFFE (two bytes mapped)", I.regImm(56, 2, 0xfffe), low, { kind: "panic", pc: 0, gas: 9n }],
      ["store_imm_u64 at 0xFFF8", I.storeImm(33, 0xfff8, 1), low, { kind: "panic", pc: 0, gas: 9n }],
      ["load_u8 at 0x10000 mapped", I.regImm(52, 2, 0x10000), low, { kind: "halt", pc: 5, gas: 8n }],
      ["load_u8 at 0x10000 unmapped: a fault", I.regImm(52, 2, 0x10000), [], {
        kind: "fault",
        pc: 0,
        gas: 9n,
        address: 0x10000,
      }],
    ];
    for (const [name, ins, memory, exit] of cases) {
      it(name, () => {
        const p = asm(ins, I.jumpInd(0));
        expectBoth(p.bytes, { gas: 10n, registers: [HALT], memory }, exit);
      });
    }
  });

  describe("dynamic jumps: halt address, 0, odd, table bounds, invalid entries", () => {
    // 0 jump_ind r1, 0 · A: 2 load_imm r7, 1 · 5 trap · B: 6 load_imm r7, 2 · 9 load_imm r8, 3 · 12 trap
    // Jump table: [A, 9 (not a block start), 13 (the code length), B]; addresses 2, 4, 6, 8.
    const body = [I.loadImm(7, 1), I.trap(), I.loadImm(7, 2), I.loadImm(8, 3), I.trap()];
    const p = asmWithTable([2, 9, 13, 6], I.jumpInd(1), ...body);
    const viaA: Exit = { kind: "panic", pc: 5, gas: 7n };
    const viaB: Exit = { kind: "panic", pc: 12, gas: 6n };
    const atJump: Exit = { kind: "panic", pc: 0, gas: 9n };
    const cases: [string, bigint, Exit, Record<number, bigint>][] = [
      ["0xFFFF0000 halts", BigInt(HALT), { kind: "halt", pc: 0, gas: 9n }, {}],
      ["0xFFFF0000 with high bits set halts", 0xffffffff_ffff0000n, { kind: "halt", pc: 0, gas: 9n }, {}],
      ["0 panics", 0n, atJump, {}],
      ["1 (odd) panics", 1n, atJump, {}],
      ["3 (odd) panics", 3n, atJump, {}],
      ["2 selects entry 0", 2n, viaA, { 7: 1n }],
      ["2 + 2^32 selects entry 0", 0x1_0000_0002n, viaA, { 7: 1n }],
      ["4: entry 1 is not a block start", 4n, atJump, {}],
      ["6: entry 2 is the code length", 6n, atJump, {}],
      ["8 selects entry 3", 8n, viaB, { 7: 2n, 8: 3n }],
      ["10 is past the table", 10n, atJump, {}],
      ["0xFFFFFFFE panics", 0xfffffffen, atJump, {}],
      ["0xFFFF0002 panics", 0xffff0002n, atJump, {}],
    ];
    for (const [name, r1, exit, registers] of cases) {
      it(`jump_ind: ${name}`, () => {
        assert.deepEqual(p.pcs, [0, 2, 5, 6, 9, 12]);
        expectBoth(p.bytes, { gas: 10n, registers: [0n, r1] }, exit, registers);
      });
    }
    it("jump_ind: 0xFFFF0001 + (−1) halts", () => {
      const q = asmWithTable([3], I.jumpInd(1, -1), I.trap());
      expectBoth(q.bytes, { gas: 10n, registers: [0n, 0xffff0001n] }, { kind: "halt", pc: 0, gas: 9n });
    });
    it("load_imm_jump_ind with rA = rB: the target uses the old rB, rA is written even on panic", () => {
      // 0 load_imm_jump_ind r1, r1, X=5, Y=0 · 4 trap · 5 load_imm r7, 1 · 8 trap
      const jump: Ins = [180, 0x11, 1, 5];
      const q = asmWithTable([5], jump, I.trap(), I.loadImm(7, 1), I.trap());
      assert.deepEqual(q.pcs, [0, 4, 5, 8]);
      expectBoth(q.bytes, { gas: 10n, registers: [0n, 2n] }, { kind: "panic", pc: 8, gas: 7n }, { 1: 5n, 7: 1n });
      expectBoth(q.bytes, { gas: 10n, registers: [0n, 3n] }, { kind: "panic", pc: 0, gas: 9n }, { 1: 5n });
      expectBoth(q.bytes, { gas: 10n, registers: [0n, BigInt(HALT)] }, { kind: "halt", pc: 0, gas: 9n }, { 1: 5n });
    });
  });

  describe("division edge cases", () => {
    const MIN64 = 0x8000000000000000n, ONES = 0xffffffffffffffffn;
    // [op, name, a, b, expected]; 32-bit ops get a = 0x1_8000_0000 so that the high half is ignored.
    const cases: [number, string, bigint, bigint, bigint][] = [
      [194, "div_s_32 MIN / −1", 0x1_8000_0000n, ONES, 0xffffffff80000000n],
      [196, "rem_s_32 MIN % −1", 0x1_8000_0000n, ONES, 0n],
      [204, "div_s_64 MIN / −1", MIN64, ONES, MIN64],
      [206, "rem_s_64 MIN % −1", MIN64, ONES, 0n],
      [193, "div_u_32 by 0", 0x1_8000_0000n, 0x1_0000_0000n, ONES],
      [194, "div_s_32 by 0", 0x1_8000_0000n, 0n, ONES],
      [195, "rem_u_32 by 0", 0x1_8000_0000n, 0x1_0000_0000n, 0xffffffff80000000n],
      [196, "rem_s_32 by 0", 0x1_8000_0000n, 0n, 0xffffffff80000000n],
      [203, "div_u_64 by 0", MIN64, 0n, ONES],
      [204, "div_s_64 by 0", MIN64, 0n, ONES],
      [205, "rem_u_64 by 0", MIN64 + 5n, 0n, MIN64 + 5n],
      [206, "rem_s_64 by 0", MIN64 + 5n, 0n, MIN64 + 5n],
      [196, "rem_s_32 sign follows the dividend", 0xfffffff9n, 2n, ONES],
      [206, "rem_s_64 sign follows the dividend", BigInt.asUintN(64, -7n), BigInt.asUintN(64, -2n), ONES],
    ];
    for (const [op, name, a, b, expected] of cases) {
      it(name, () => {
        // 0 op r3 = f(r1, r2) · 3 jump_ind r0
        const p = asm(I.threeReg(op, 3, 1, 2), I.jumpInd(0));
        expectBoth(p.bytes, { gas: 10n, registers: [HALT, a, b] }, { kind: "halt", pc: 3, gas: 8n }, { 3: expected });
      });
    }
  });

  describe("out of gas at every position of a 5-instruction block", () => {
    // 0 load_imm r1, 7 · 3 store_ind_u64 [r9], r1 · 5 add_imm_64 r2, r1, 1 · 8 mul_64 r3 = r2 · r2
    // · 11 jump_ind r0 (halt)
    const p = asm(I.loadImm(1, 7), I.storeIndU64(1, 9, 0), I.addImm64(2, 1, 1), I.threeReg(202, 3, 2, 2), I.jumpInd(0));
    const memory: MemoryRegion[] = [{ address: 0x20000, length: 4096, access: "write" }];
    const final = [7n, 8n, 64n];
    for (let g = 0; g <= 7; g++) {
      it(`gas ${g}`, () => {
        assert.deepEqual(p.pcs, [0, 3, 5, 8, 11]);
        const mod = load(p.bytes);
        const options = { gas: BigInt(g), registers: [HALT, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0x20000n], memory };
        for (const backend of BACKENDS) {
          const vm = mod.instantiate({ ...options, backend });
          const exit = vm.run();
          if (g >= 5) assert.deepEqual(exit, { kind: "halt", pc: 11, gas: BigInt(g - 5) }, backend);
          else assert.deepEqual(exit, { kind: "oog", pc: p.pcs[g], gas: -1n }, backend);
          // Instructions 0, 2 and 3 write r1, r2, r3; instruction 1 stores r1.
          const ran = Math.min(g, 5);
          assert.deepEqual(
            [vm.getRegister(1), vm.getRegister(2), vm.getRegister(3)],
            [ran > 0 ? final[0] : 0n, ran > 2 ? final[1] : 0n, ran > 3 ? final[2] : 0n],
            backend,
          );
          assert.equal(vm.memory.read(0x20000, 1)[0], ran > 1 ? 7 : 0, backend);
          assert.equal(vm.pc, g >= 5 ? 11 : p.pcs[g], backend);
        }
        assert.deepEqual(crossCheck(mod, options), { ok: true, exits: 1 });
        // Starting mid-block (the recompiler's interpreter bridge), for every gas too.
        assert.deepEqual(crossCheck(mod, { ...options, pc: 5 }), { ok: true, exits: 1 });
      });
    }
  });
});
