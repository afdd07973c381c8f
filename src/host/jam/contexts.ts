/**
 * Which JAM host functions each invocation offers (spec §13.3), and the registry an
 * invocation runs with: exactly the allowed, implemented functions, minus what the
 * embedder denies, plus what the embedder adds. Anything else answers WHAT for 10 gas.
 *
 * @module
 */
import { type HostFunctionSpec, HostRegistry } from "../host.ts";
import { JAM_HOST_IDS, type JamHostName } from "./constants.ts";
import {
  checkpointFunction,
  fetchFunction,
  gasFunction,
  infoFunction,
  type InvocationContext,
  type JamHostEnv,
  logFunction,
  lookupFunction,
  readFunction,
  writeFunction,
} from "./general.ts";
import { assignFunction, blessFunction, designateFunction } from "./accumulate_privileged.ts";
import {
  forgetFunction,
  provideFunction,
  queryFunction,
  solicitFunction,
  yieldFunction,
} from "./accumulate_preimages.ts";
import { ejectFunction, newFunction, transferFunction, upgradeFunction } from "./accumulate_services.ts";
import {
  exportFunction,
  expungeFunction,
  historicalLookupFunction,
  invokeFunction,
  machineFunction,
  pagesFunction,
  peekFunction,
  pokeFunction,
  RefineContext,
} from "./refine.ts";

/**
 * Host functions each invocation may call (GP v0.7.2, spec §13.3), `log` included.
 *
 * @example
 * ```ts
 * import { CONTEXT_FUNCTIONS } from "./contexts.ts";
 * console.log(CONTEXT_FUNCTIONS["is-authorized"]); // [ "gas", "fetch", "log" ]
 * ```
 */
export const CONTEXT_FUNCTIONS: Readonly<Record<InvocationContext, readonly JamHostName[]>> = Object.freeze({
  "is-authorized": ["gas", "fetch", "log"],
  refine: [
    "gas",
    "fetch",
    "historical_lookup",
    "export",
    "machine",
    "peek",
    "poke",
    "pages",
    "invoke",
    "expunge",
    "log",
  ],
  accumulate: [
    "gas",
    "fetch",
    "lookup",
    "read",
    "write",
    "info",
    "bless",
    "assign",
    "designate",
    "checkpoint",
    "new",
    "upgrade",
    "transfer",
    "eject",
    "query",
    "solicit",
    "forget",
    "yield",
    "provide",
    "log",
  ],
});

/** Builders of the host functions implemented so far, by name. */
const IMPLEMENTED: Partial<Record<JamHostName, (env: JamHostEnv, refine: RefineContext) => HostFunctionSpec>> = {
  gas: () => gasFunction(),
  fetch: fetchFunction,
  lookup: lookupFunction,
  read: readFunction,
  write: writeFunction,
  info: infoFunction,
  checkpoint: checkpointFunction,
  log: logFunction,
  historical_lookup: historicalLookupFunction,
  export: (_, refine) => exportFunction(refine),
  machine: (_, refine) => machineFunction(refine),
  peek: (_, refine) => peekFunction(refine),
  poke: (_, refine) => pokeFunction(refine),
  pages: (_, refine) => pagesFunction(refine),
  invoke: (_, refine) => invokeFunction(refine),
  expunge: (_, refine) => expungeFunction(refine),
  bless: blessFunction,
  assign: assignFunction,
  designate: designateFunction,
  new: newFunction,
  upgrade: upgradeFunction,
  transfer: transferFunction,
  eject: ejectFunction,
  query: queryFunction,
  solicit: solicitFunction,
  forget: forgetFunction,
  yield: yieldFunction,
  provide: provideFunction,
};

/**
 * The JAM host functions implemented by this version (the others answer WHAT).
 *
 * @example
 * ```ts
 * import { implementedJamFunctions } from "./contexts.ts";
 * console.log(implementedJamFunctions().includes("write")); // true
 * ```
 */
export function implementedJamFunctions(): JamHostName[] {
  return Object.keys(IMPLEMENTED) as JamHostName[];
}

/** How an embedder narrows or extends an invocation's host functions. */
export interface HostPolicy {
  /** Functions (by name or id) the guest may not call: they answer WHAT for 10 gas. */
  deny?: readonly (string | number)[];
  /** Most calls allowed per function name in one invocation; later calls answer WHAT. */
  budgets?: Readonly<Record<string, number>>;
  /**
   * The embedder's own functions, at ids no JAM function of this context uses (an id of
   * an allowed JAM function cannot be replaced; that throws).
   */
  extra?: readonly HostFunctionSpec[];
}

/**
 * The registry for one invocation: the context's allowed, implemented functions bound to
 * `env` (and, in Refine, to `refine`: the exports and inner machines they share; a fresh
 * {@link RefineContext} if not given), then the policy's extras, denials and budgets.
 *
 * @example
 * ```ts
 * import { jamRegistry } from "./contexts.ts";
 * const registry = jamRegistry({ context: "is-authorized", self: 0 }, { deny: ["gas"] });
 * console.log(registry.resolve(1)?.name, registry.resolve(0), registry.resolve(3)); // fetch undefined undefined
 * ```
 */
export function jamRegistry(env: JamHostEnv, policy: HostPolicy = {}, refine?: RefineContext): HostRegistry {
  const registry = new HostRegistry();
  const shared = refine ?? new RefineContext();
  for (const name of CONTEXT_FUNCTIONS[env.context]) {
    const build = IMPLEMENTED[name];
    if (build) {
      const spec = build(env, shared);
      if (spec.id !== JAM_HOST_IDS[name]) throw new Error(`internal error: ${name} has id ${spec.id}`);
      registry.register(spec);
    }
  }
  const reserved = new Set<number>(CONTEXT_FUNCTIONS[env.context].map((n) => JAM_HOST_IDS[n]));
  for (const spec of policy.extra ?? []) {
    if (reserved.has(spec.id)) {
      throw new TypeError(`host function id ${spec.id} belongs to a JAM function of ${env.context}`);
    }
    registry.register(spec);
  }
  if (policy.deny) registry.deny(...policy.deny);
  for (const [name, calls] of Object.entries(policy.budgets ?? {})) registry.budget(name, calls);
  return registry;
}
