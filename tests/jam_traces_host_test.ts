// Acceptance: the 12 anan-as traces of jam-bootstrap-service's accumulate, run with OUR
// JAM host functions (not replayed). The state is pre-populated from what the trace shows
// the host handing over: the fetched blobs (kind 0 constants, kind 14 inputs), the service
// info, and the storage values (or, for keys first met by `write`, the previous length).
// Every ecalli must match the trace in id, pc, gas before and after, and r7; the run must
// end with the trace's HALT pc and gas. The recorder answered `log` with WHAT for 10 gas,
// so log is configured that way here.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { type Backend, Module } from "../src/engine.ts";
import type { HostCallEvent } from "../src/host/host.ts";
import { NONE, WHAT } from "../src/host/jam/constants.ts";
import type { FetchData } from "../src/host/jam/general.ts";
import { accumulate } from "../src/host/jam/invocations.ts";
import { InMemoryServiceState, type ServiceInfo } from "../src/host/jam/state.ts";
import { parseTrace, type Trace, type TraceHostCall } from "../src/trace/jip6.ts";
import { listFiles, sharedPath } from "./_shared.ts";

const traceDir = sharedPath("programs", "anan-as-traces");
const BACKENDS: Backend[] = ["interpreter", "recompiler"];
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** GP general natural decoding (written here from spec §3, independent of src/). */
function naturals(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i++];
    let l = 0;
    while (l < 8 && first & (0x80 >> l)) l++;
    let low = 0n;
    for (let k = 0; k < l; k++) low |= BigInt(bytes[i++]) << BigInt(8 * k);
    const high = l === 8 ? 0n : BigInt(first & ((1 << (7 - l)) - 1)) << BigInt(8 * l);
    out.push(high | low);
  }
  return out;
}

const u = (b: Uint8Array, at: number, n: number) => {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k]);
  return v;
};

/** The r7 the host set, if any. */
const resultOf = (call: TraceHostCall) => call.setRegisters.find((s) => s.index === 7)?.value;

/** The memread covering exactly [address, address + length). */
function readAt(call: TraceHostCall, address: bigint, length: bigint): Uint8Array {
  const m = call.memReads.find((r) => BigInt(r.address) === address && BigInt(r.data.length) === length);
  if (m) return m.data;
  if (length === 0n) return new Uint8Array(0);
  throw new Error(`trace line ${call.line}: no memread of ${length} bytes at ${address}`);
}

interface Setup {
  timeslot: number;
  serviceId: number;
  inputCount: number;
  fetch: FetchData;
  state: InMemoryServiceState;
}

/** Rebuild what the host knew, from the trace. */
function setupFrom(trace: Trace): Setup {
  const [timeslot, serviceId, inputCount] = naturals(trace.initialMemWrites[0].data).map(Number);
  const fetch: FetchData = {};
  let info: ServiceInfo | undefined;
  const storage = new Map<string, { key: Uint8Array; value: Uint8Array | undefined }>();
  const written = new Set<string>();
  for (const call of trace.hostCalls) {
    const regs = call.registers;
    const result = resultOf(call);
    if (call.index === 1 && result !== undefined && result !== NONE) {
      const write = call.memWrites[0];
      if (write && regs[8] === 0n && BigInt(write.data.length) === result) {
        const kind = regs[10];
        if (kind === 0n) fetch.constants = write.data;
        else if (kind === 14n) fetch.accumulateInputsBlob = write.data;
        else throw new Error(`trace line ${call.line}: fetch kind ${kind} not expected`);
      }
    } else if (call.index === 5 && regs[7] === NONE && !info && call.memWrites[0]?.data.length === 96) {
      const b = call.memWrites[0].data;
      info = {
        codeHash: b.slice(0, 32),
        balance: u(b, 32, 8),
        minAccumulateGas: u(b, 48, 8),
        minMemoGas: u(b, 56, 8),
        octets: u(b, 64, 8),
        items: Number(u(b, 72, 4)),
        gratis: u(b, 76, 8),
        created: Number(u(b, 84, 4)),
        lastAccumulation: Number(u(b, 88, 4)),
        parent: Number(u(b, 92, 4)),
      };
    } else if (call.index === 3 && regs[7] === NONE) {
      const key = readAt(call, regs[8], regs[9]);
      const k = hex(key);
      if (written.has(k)) continue;
      if (result === NONE) storage.set(k, { key, value: undefined });
      else if (result !== undefined) {
        const write = call.memWrites[0];
        const full = write && regs[11] === 0n && BigInt(write.data.length) === result;
        const known = storage.get(k)?.value;
        storage.set(k, { key, value: full ? write.data : known ?? new Uint8Array(Number(result)) });
      }
    } else if (call.index === 4) {
      const key = readAt(call, regs[7], regs[8]);
      const k = hex(key);
      if (!written.has(k) && !storage.has(k) && result !== undefined) {
        storage.set(k, { key, value: result === NONE ? undefined : new Uint8Array(Number(result)) });
      }
      written.add(k);
    }
  }
  if (!info) throw new Error("the trace has no info call for the service");
  const state = new InMemoryServiceState();
  state.setInfo(serviceId, info);
  for (const { key, value } of storage.values()) if (value) state.setStorage(serviceId, key, value);
  state.setInfo(serviceId, info); // items and octets as the trace reports them
  return { timeslot, serviceId, inputCount, fetch, state };
}

describe("anan-as traces: bootstrap-service accumulate with pvmkit's JAM host functions", {
  skip: traceDir ? false : "shared traces absent",
}, () => {
  const files = traceDir ? listFiles(traceDir, ".log") : [];
  it("has the 12 traces", () => assert.equal(files.length, 12));
  for (const file of files) {
    for (const backend of BACKENDS) {
      it(`${file} (${backend}): every ecalli and the final state match`, () => {
        const trace = parseTrace(readFileSync(join(traceDir!, file), "utf8"));
        const setup = setupFrom(trace);
        const events: HostCallEvent[] = [];
        const result = accumulate({
          code: Module.load(trace.program, { format: "spi-metadata" }),
          gas: trace.start.gas,
          ...setup,
          backend,
          log: { gas: 10n, result: WHAT },
          onCall: (e) => events.push(e),
        });
        const n = Math.min(events.length, trace.hostCalls.length);
        for (let i = 0; i < n; i++) {
          const want = trace.hostCalls[i];
          const got = events[i];
          const where = `ecalli #${i + 1} (trace line ${want.line})`;
          assert.equal(got.id, want.index, `${where}: id`);
          assert.equal(got.pc, want.pc, `${where}: pc`);
          assert.equal(got.gasBefore, want.gas, `${where}: gas before`);
          if (want.setGas !== undefined) assert.equal(got.gasAfter, want.setGas, `${where}: gas after`);
          const r7 = resultOf(want);
          if (r7 !== undefined) assert.equal(got.result[0], r7, `${where}: r7`);
        }
        assert.equal(events.length, trace.hostCalls.length, "number of host calls");
        assert.equal(trace.termination.status, "HALT");
        assert.equal(result.status, "halt");
        assert.equal(result.exit?.pc, trace.termination.pc);
        assert.equal(result.exit?.gas, trace.termination.gas);
        assert.equal(result.gasUsed, trace.start.gas - trace.termination.gas);
        assert.deepEqual(result.output, new Uint8Array(0));
        assert.equal(result.rolledBack, false);
      });
    }
  }
});
