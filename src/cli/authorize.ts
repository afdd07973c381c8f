/**
 * `pvmkit authorize FILE`: run an authorizer's is-authorized (Ψ_I, pc 0) with the three
 * host functions it may call (gas, fetch, log).
 *
 * @module
 */
import type { FetchData } from "../host/jam/general.ts";
import { isAuthorized } from "../host/jam/invocations.ts";
import {
  bytesList,
  bytesOption,
  COMMON_INVOCATION_HELP,
  invocationSetup,
  loadServiceCode,
  parseInvocationArgs,
  printInvocation,
  u32Option,
  writeRecordedTrace,
} from "./_invoke.ts";
import type { CliIo } from "./_output.ts";
import { UsageError } from "./_args.ts";

/** Help text for `pvmkit authorize`. */
export const AUTHORIZE_HELP = `Usage: pvmkit authorize [options] FILE

Run an authorizer's is-authorized entry point (pc 0) with the argument E2(core) and the
host functions it may call (gas, fetch, log; anything else answers WHAT). Report the
status, gas used and output (the authorizer trace).

FILE is authorizer code: a standard program with the metadata prefix, or without.

Options:
  --core N                    the core index (default 0; 0..65535)
  --work-package HEX|@FILE    fetch kind 7 (the encoded work package)
  --auth-config HEX|@FILE     fetch kind 8 (the authorizer configuration)
  --auth-token HEX|@FILE      fetch kind 9 (the authorization token)
  --refine-context HEX|@FILE  fetch kind 10 (the encoded refinement context)
  --payload HEX|@FILE         a work-item payload (fetch kind 13); repeatable, in order
  --constants HEX|@FILE       fetch kind 0 (the encoded protocol constants)
${COMMON_INVOCATION_HELP}
`;

/** `pvmkit authorize`. Returns the exit code. */
export async function authorizeCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = await parseInvocationArgs(
    argv,
    io,
    {
      core: { type: "string" },
      "work-package": { type: "string" },
      "auth-config": { type: "string" },
      "auth-token": { type: "string" },
      "refine-context": { type: "string" },
      payload: { type: "string", multiple: true },
      constants: { type: "string" },
    },
    AUTHORIZE_HELP,
    "authorizer code FILE",
  );
  if (!parsed) return 0;
  const { args, file, flags } = parsed;
  const core = u32Option(args, "core", 0);
  if (core > 0xffff) throw new UsageError(`--core: ${core} is out of range (0..65535)`);
  const payloads = bytesList(args, "payload");
  const fetch: FetchData = {
    constants: bytesOption(args, "constants"),
    workPackage: bytesOption(args, "work-package"),
    authConfig: bytesOption(args, "auth-config"),
    authToken: bytesOption(args, "auth-token"),
    context: bytesOption(args, "refine-context"),
    payloads: payloads.length > 0 ? payloads : undefined,
  };
  const code = loadServiceCode(file, flags.format);
  const { options, recorder, count } = invocationSetup(io, flags, code);
  const result = isAuthorized({
    ...options,
    core,
    fetch,
  });
  writeRecordedTrace(io, flags, recorder);
  return printInvocation(io, flags, result, count(), [], {});
}
