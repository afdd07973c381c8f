// Rebuilding what the host knew during one of the anan-as traces of jam-bootstrap-service's
// accumulate, from the trace alone: the fetched blobs (kind 0 constants, kind 14 inputs),
// the service info, and the storage values (or, for keys first met by `write`, the
// previous length). Shared by the tests that run the service with pvmkit's own host
// functions (jam_traces_host_test.ts, cli_invocations_test.ts).
import { NONE } from "../src/host/jam/constants.ts";
import type { FetchData } from "../src/host/jam/general.ts";
import { InMemoryServiceState, type ServiceInfo } from "../src/host/jam/state.ts";
import type { Trace, TraceHostCall } from "../src/trace/jip6.ts";

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
export const resultOf = (call: TraceHostCall) => call.setRegisters.find((s) => s.index === 7)?.value;

/** The memread covering exactly [address, address + length). */
export function readAt(call: TraceHostCall, address: bigint, length: bigint): Uint8Array {
  const m = call.memReads.find((r) => BigInt(r.address) === address && BigInt(r.data.length) === length);
  if (m) return m.data;
  if (length === 0n) return new Uint8Array(0);
  throw new Error(`trace line ${call.line}: no memread of ${length} bytes at ${address}`);
}

/** What the host knew. */
export interface Setup {
  timeslot: number;
  serviceId: number;
  inputCount: number;
  fetch: FetchData;
  state: InMemoryServiceState;
  /** The service info as the trace's first `info` call shows it. */
  info: ServiceInfo;
  /** The storage entries present at the start (values unknown to the trace are zeros of the right length). */
  storage: { key: Uint8Array; value: Uint8Array }[];
}

/** Rebuild what the host knew, from the trace. */
export function setupFrom(trace: Trace): Setup {
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
  const entries = [...storage.values()].flatMap(({ key, value }) => (value ? [{ key, value }] : []));
  return { timeslot, serviceId, inputCount, fetch, state, info, storage: entries };
}
