/**
 * `pvmkit refine FILE`: run a service's refine (Ψ_R, pc 0) with pvmkit's Refine host
 * functions (inner machines included), and report the output and exported segments.
 *
 * @module
 */
import type { FetchData } from "../host/jam/general.ts";
import { refine } from "../host/jam/invocations.ts";
import { SEGMENT_SIZE } from "../host/jam/refine.ts";
import { stringOption, UsageError, writeBytes } from "./_args.ts";
import {
  bytesList,
  bytesOption,
  COMMON_INVOCATION_HELP,
  invocationSetup,
  loadServiceCode,
  loadStateFile,
  parseInvocationArgs,
  printInvocation,
  u32Option,
  writeRecordedTrace,
} from "./_invoke.ts";
import type { CliIo } from "./_output.ts";
import { limitsHelp, MAX_MACHINES_OPTION } from "./_limits.ts";

/** Help text for `pvmkit refine`. */
export const REFINE_HELP = `Usage: pvmkit refine [options] FILE

Run a service's refine entry point (pc 0) with the arguments E(core, item, service,
↕payload, package hash) and pvmkit's Refine host functions (gas, fetch,
historical_lookup, export, machine, peek, poke, pages, invoke, expunge, log). Report the
status, gas used, output and the segments exported.

FILE is service code: a standard program with the metadata prefix (GP 0.7), or without.

Options:
  --payload HEX|@FILE       the work item's payload (default empty)
  --service ID              the work item's service (default 0)
  --core N                  the core index (default 0)
  --item N                  the work item's index in its package (default 0)
  --package-hash HEX        the 32-byte work-package hash (default: BLAKE2b-256 of
                            --work-package, or of nothing)
  --work-package HEX|@FILE  fetch kind 7 (the encoded work package)
  --auth-trace HEX|@FILE    fetch kind 2 (the authorizer trace)
  --constants HEX|@FILE     fetch kind 0 (the encoded protocol constants)
  --import HEX|@FILE        an import segment of this work item (fetch kinds 5 and 6);
                            repeatable, in order
  --extrinsic HEX|@FILE     an extrinsic of this work item (fetch kinds 3 and 4);
                            repeatable, in order
  --export-offset N         the index the first export gets (default 0)
  --layout L                argument layout: 0.7.1 (default) or 0.7.0 (no core index;
                            for services built for GP 0.6.x/0.7.0, such as jamduna's)
  --state FILE              preimages for historical_lookup (JSON state, read only)
  --anchor-slot N           the lookup-anchor timeslot: a preimage is found only if its
                            lookup (request) shows it available then (default: any
                            stored preimage)
  --exports FILE            write the exported segments (${SEGMENT_SIZE} bytes each) to FILE
${limitsHelp(28, ["max-machines"])}
${COMMON_INVOCATION_HELP}
`;

/** `pvmkit refine`. Returns the exit code. */
export async function refineCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = await parseInvocationArgs(
    argv,
    io,
    {
      ...MAX_MACHINES_OPTION,
      payload: { type: "string" },
      service: { type: "string" },
      core: { type: "string" },
      item: { type: "string" },
      "package-hash": { type: "string" },
      "work-package": { type: "string" },
      "auth-trace": { type: "string" },
      constants: { type: "string" },
      import: { type: "string", multiple: true },
      extrinsic: { type: "string", multiple: true },
      "export-offset": { type: "string" },
      layout: { type: "string" },
      state: { type: "string" },
      "anchor-slot": { type: "string" },
      exports: { type: "string" },
    },
    REFINE_HELP,
    "service code FILE",
  );
  if (!parsed) return 0;
  const { args, file, flags } = parsed;
  const layout = stringOption(args, "layout") ?? "0.7.1";
  if (layout !== "0.7.1" && layout !== "0.7.0") {
    throw new UsageError(`--layout must be 0.7.1 or 0.7.0, not "${layout}"`);
  }
  const itemIndex = u32Option(args, "item", 0);
  if (itemIndex > 0xffff) throw new UsageError(`--item: ${itemIndex} is out of range (0..65535)`);
  const perItem = (list: Uint8Array[]) => {
    if (list.length === 0) return undefined;
    const all: Uint8Array[][] = Array.from({ length: itemIndex + 1 }, () => []);
    all[itemIndex] = list;
    return all;
  };
  const fetch: FetchData = {
    constants: bytesOption(args, "constants"),
    authorizerTrace: bytesOption(args, "auth-trace"),
    workPackage: bytesOption(args, "work-package"),
    imports: perItem(bytesList(args, "import")),
    extrinsics: perItem(bytesList(args, "extrinsic")),
  };
  const anchorText = stringOption(args, "anchor-slot");
  const statePath = stringOption(args, "state");
  const exportsPath = stringOption(args, "exports");

  const code = loadServiceCode(file, flags.format);
  const state = statePath === undefined ? undefined : loadStateFile(statePath);
  const { options, recorder, count } = invocationSetup(io, flags, code);
  const result = refine({
    ...options,
    core: u32Option(args, "core", 0),
    itemIndex,
    serviceId: u32Option(args, "service", 0),
    payload: bytesOption(args, "payload") ?? new Uint8Array(0),
    packageHash: bytesOption(args, "package-hash", 32),
    argumentLayout: layout,
    exportOffset: u32Option(args, "export-offset", 0),
    lookupAnchorSlot: anchorText === undefined ? undefined : u32Option(args, "anchor-slot", 0),
    state,
    fetch,
  });
  writeRecordedTrace(io, flags, recorder);
  if (exportsPath !== undefined) {
    const all = new Uint8Array(result.exports.length * SEGMENT_SIZE);
    result.exports.forEach((segment, i) => all.set(segment, i * SEGMENT_SIZE));
    writeBytes(exportsPath, all);
  }
  const exportsNote = `${result.exports.length} segment(s)${
    exportsPath === undefined ? "" : `, written to ${exportsPath}`
  }`;
  return printInvocation(io, flags, result, count(), [["exports", exportsNote]], {
    exports: result.exports.length,
  });
}
