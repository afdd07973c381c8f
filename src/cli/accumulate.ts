/**
 * `pvmkit accumulate FILE`: run a service's accumulate (Ψ_A, pc 5) with pvmkit's JAM host
 * functions, on a state loaded from (and saved back to) a JSON file.
 *
 * @module
 */
import { accumulate } from "../host/jam/invocations.ts";
import type { FetchData } from "../host/jam/general.ts";
import { InMemoryServiceState, type PendingTransfer } from "../host/jam/state.ts";
import { stateFromJson } from "../host/jam/state_json.ts";
import { flag, parseBounded, stringOption, UsageError } from "./_args.ts";
import {
  bytesList,
  bytesOption,
  COMMON_INVOCATION_HELP,
  invocationSetup,
  loadServiceCode,
  loadStateFile,
  parseInvocationArgs,
  printInvocation,
  saveStateFile,
  u32Option,
  writeRecordedTrace,
} from "./_invoke.ts";
import { bytesToHex, type CliIo } from "./_output.ts";

/** Balance of the account made for the service when the state has none. */
export const DEFAULT_BALANCE = 1_000_000_000_000n;

/** Help text for `pvmkit accumulate`. */
export const ACCUMULATE_HELP = `Usage: pvmkit accumulate [options] FILE

Run a service's accumulate entry point (pc 5) with the arguments E(timeslot, service,
input count) and pvmkit's JAM host functions (gas, fetch, lookup, read, write, info,
checkpoint, log, and whatever else this version implements; the others answer WHAT).
Report the status, gas used and output. On a panic or out of gas the state returns to
the last checkpoint (or to where it started), as in the GP.

FILE is service code: a standard program with the metadata prefix (GP 0.7), or without.

Options:
  --service ID          the accumulating service (default 0)
  --timeslot N          the current timeslot (default 0)
  --input HEX|@FILE     one encoded accumulate input (fetch kind 15; kind 14 is their
                        length-prefixed list); repeatable, in order
  --inputs HEX|@FILE    fetch kind 14 exactly as given (e.g. taken from a trace),
                        instead of building it from --input
  --input-count N       the input count argument (default: the number of --input)
  --entropy HEX|@FILE   fetch kind 1 (32 bytes)
  --constants HEX|@FILE fetch kind 0 (the encoded protocol constants)
  --state FILE          load the state from FILE (JSON: services with info, storage,
                        preimages and lookups; see the README) and save it back after the
                        run: every change on halt, the last checkpoint on panic or out of gas
  --state-out FILE      save the state to FILE instead of back to --state
  --no-save             do not save the state
  --balance N           balance of the account created for the service when the state
                        has none (default 10^12)
${COMMON_INVOCATION_HELP}
`;

/** `pvmkit accumulate`. Returns the exit code. */
export async function accumulateCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = await parseInvocationArgs(
    argv,
    io,
    {
      service: { type: "string" },
      timeslot: { type: "string" },
      input: { type: "string", multiple: true },
      inputs: { type: "string" },
      "input-count": { type: "string" },
      entropy: { type: "string" },
      constants: { type: "string" },
      state: { type: "string" },
      "state-out": { type: "string" },
      "no-save": { type: "boolean" },
      balance: { type: "string" },
    },
    ACCUMULATE_HELP,
    "service code FILE",
  );
  if (!parsed) return 0;
  const { args, file, flags } = parsed;
  const serviceId = u32Option(args, "service", 0);
  const timeslot = u32Option(args, "timeslot", 0);
  const inputs = bytesList(args, "input");
  const inputsBlob = bytesOption(args, "inputs");
  const countText = stringOption(args, "input-count");
  if (inputsBlob && countText === undefined && inputs.length === 0) {
    throw new UsageError("--inputs gives fetch kind 14 only: say how many inputs there are with --input-count");
  }
  const inputCount = countText === undefined
    ? inputs.length
    : Number(parseBounded(countText, "--input-count", 0n, 0xffffffffn));
  const fetch: FetchData = {
    constants: bytesOption(args, "constants"),
    entropy: bytesOption(args, "entropy", 32),
    accumulateInputs: inputs.length > 0 ? inputs : undefined,
    accumulateInputsBlob: inputsBlob,
  };
  const statePath = stringOption(args, "state");
  const saveTo = flag(args, "no-save") ? undefined : stringOption(args, "state-out") ?? statePath;
  const balanceText = stringOption(args, "balance");
  const balance = balanceText === undefined
    ? DEFAULT_BALANCE
    : parseBounded(balanceText, "--balance", 0n, (1n << 64n) - 1n);

  const code = loadServiceCode(file, flags.format);
  const state = statePath === undefined ? stateFromJson({}) : loadStateFile(statePath);
  const created = state.info(serviceId) === undefined;
  if (created) state.setInfo(serviceId, InMemoryServiceState.emptyInfo({ balance }));
  const { options, recorder, count } = invocationSetup(io, flags, code);
  const result = accumulate({
    ...options,
    timeslot,
    serviceId,
    inputCount,
    state,
    fetch,
  });
  writeRecordedTrace(io, flags, recorder);
  if (saveTo !== undefined) saveStateFile(saveTo, state);
  const stateNote = saveTo === undefined
    ? "not saved"
    : `${result.rolledBack ? "rolled back to the last checkpoint, " : ""}saved to ${saveTo}`;
  const info = state.info(serviceId)!;
  // What the accumulation produced besides state changes: reported, since the state file
  // keeps only the state.
  const transfers = state.transfers();
  const provisions = state.provisions();
  return printInvocation(
    io,
    flags,
    result,
    count(),
    [
      ["service", `${serviceId}${created ? " (new account)" : ""}: ${info.items} items, ${info.octets} octets`],
      ["yield", result.yielded ? "0x" + bytesToHex(result.yielded) : "none"],
      ["transfers", describeTransfers(transfers)],
      ["provided", `${provisions.length} preimage(s)${provisions.length > 0 ? " (--json lists them)" : ""}`],
      ["state", stateNote],
    ],
    {
      rolledBack: result.rolledBack,
      service: serviceId,
      items: info.items,
      octets: info.octets,
      yield: result.yielded ? bytesToHex(result.yielded) : undefined,
      transfers: transfers.map((t) => ({ ...t, memo: bytesToHex(t.memo) })),
      provisions: provisions.map((p) => ({ service: p.service, blob: bytesToHex(p.blob) })),
      stateSaved: saveTo,
    },
  );
}

/** The deferred transfers in a line: the first few in full, then how many more (`--json` has all). */
function describeTransfers(transfers: readonly PendingTransfer[]): string {
  if (transfers.length === 0) return "none";
  const shown = transfers.slice(0, 3).map((t) => `${t.amount} from ${t.source} to ${t.destination} (gas ${t.gas})`);
  const more = transfers.length > 3 ? `, and ${transfers.length - 3} more (--json lists them)` : "";
  return `${transfers.length}: ${shown.join(", ")}${more}`;
}
