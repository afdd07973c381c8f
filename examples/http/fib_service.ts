/**
 * The runtime-independent part of the HTTP examples: a service that answers
 * `GET /fib?n=N[&gas=G]` by running examples/fibonacci.pvmasm on pvmkit, one fresh
 * instance per request, and the Fetch-API handler (`Request` → `Response`) that Deno.serve
 * and Bun.serve use directly (node_server.ts adapts node:http to the same `respond`).
 *
 * The program is assembled and loaded once, when a service is created; a request only
 * instantiates it (registers and an empty address space) and runs it.
 *
 * Answers, always JSON:
 *
 * - `GET /fib?n=30` → 200 `{ n, gas, result: "832040", exit: "halt", gasUsed, backend, tier }`
 * - `GET /fib?n=1000000000` (more gas than allowed) → 200 `{ …, result: null, exit: "oog", gasUsed: gas }`
 * - `n` missing or not a decimal u32, or `gas` not a decimal in 1..maxGas → 400 `{ error }`
 * - another path → 404, another method than GET/HEAD → 405, both `{ error }`
 *
 * `result` is fib(n) modulo 2^64 as a decimal string (JSON numbers cannot hold 64 bits);
 * `gasUsed` is what the run consumed (all of `gas` when it ran out); `tier` is where an
 * `auto` instance ended (interpreter, or recompiler after AUTO_TIER_INSTRUCTIONS).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assemble, type Backend, type Instance, Module } from "../../mod.ts";

/** Options of a service. */
export interface ServiceOptions {
  /** Execution backend for every request (default `interpreter`). */
  backend?: Backend;
  /** The most gas a request may use, and the default when it names none (default 10_000_000). */
  maxGas?: number;
}

/** An answer before it is turned into a runtime's response object. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A PVM program served over HTTP. */
export interface FibService {
  readonly backend: Backend;
  readonly maxGas: number;
  /** Answer a request for `url` made with `method`. Never throws. */
  respond(url: string | URL, method?: string): Answer;
}

/** The default (and largest accepted) gas per request. */
export const DEFAULT_MAX_GAS = 10_000_000;
/** What a host answers to a host call it does not know (WHAT = 2^64 − 2). */
const WHAT = (1n << 64n) - 2n;
const U32_MAX = 0xffff_ffff;
const BACKENDS: readonly Backend[] = ["interpreter", "recompiler", "auto"];

/** Where a server listens and how it runs (the `start` options of every server example). */
export interface StartOptions extends ServiceOptions {
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Must be 127.0.0.1 (the default). */
  hostname?: string;
}

/** A server started by one of the examples. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stop listening, close open connections and wait until the server is gone. */
  stop(): Promise<void>;
}

/** The only address the examples listen on. */
export const LOOPBACK = "127.0.0.1";

let fibModule: Module | undefined;

/** examples/fibonacci.pvmasm, assembled and loaded once per process. */
export function fibonacciModule(): Module {
  if (!fibModule) {
    const path = fileURLToPath(new URL("../fibonacci.pvmasm", import.meta.url));
    fibModule = Module.load(assemble(readFileSync(path, "utf8"), { fileName: path }));
  }
  return fibModule;
}

/** Parse a query parameter as a decimal integer in [min, max], or return an error message. */
function decimal(name: string, text: string, min: number, max: number): number | string {
  if (!/^[0-9]{1,16}$/.test(text)) return `${name} must be a decimal integer (got ${JSON.stringify(text)})`;
  const value = Number(text);
  if (value < min || value > max) return `${name} must be between ${min} and ${max} (got ${text})`;
  return value;
}

/** Run to an exit other than a host call; this program makes none, but an embedder must answer them. */
function runToEnd(vm: Instance) {
  for (;;) {
    const exit = vm.run();
    if (exit.kind !== "host") return exit;
    vm.setRegister(7, WHAT);
  }
}

/** Check a backend name (from a command line, say). */
export function parseBackend(name: string | undefined): Backend {
  const backend = (name ?? "interpreter") as Backend;
  if (!BACKENDS.includes(backend)) throw new RangeError(`unknown backend "${name}" (${BACKENDS.join(", ")})`);
  return backend;
}

/** Refuse anything but the loopback address. */
export function checkLoopback(hostname: string | undefined): string {
  const host = hostname ?? LOOPBACK;
  if (host !== LOOPBACK) throw new RangeError(`the examples only listen on ${LOOPBACK} (got ${host})`);
  return host;
}

/** Create the service: assembles the program now, so requests only run it. */
export function createFibService(options: ServiceOptions = {}): FibService {
  const backend = parseBackend(options.backend);
  const maxGas = options.maxGas ?? DEFAULT_MAX_GAS;
  const module = fibonacciModule();
  const registers: (bigint | undefined)[] = new Array(8);

  function respond(url: string | URL, method = "GET"): Answer {
    try {
      const parsed = typeof url === "string" ? new URL(url, "http://127.0.0.1") : url;
      if (parsed.pathname !== "/fib" && parsed.pathname !== "/") {
        return { status: 404, body: { error: `no such path ${parsed.pathname} (try /fib?n=30)` } };
      }
      if (method !== "GET" && method !== "HEAD") {
        return { status: 405, body: { error: `method ${method} not allowed` } };
      }
      const nText = parsed.searchParams.get("n");
      if (nText === null) return { status: 400, body: { error: "missing query parameter n (e.g. /fib?n=30)" } };
      const n = decimal("n", nText, 0, U32_MAX);
      if (typeof n === "string") return { status: 400, body: { error: n } };
      const gasText = parsed.searchParams.get("gas");
      const gas = gasText === null ? maxGas : decimal("gas", gasText, 1, maxGas);
      if (typeof gas === "string") return { status: 400, body: { error: gas } };

      registers[7] = BigInt(n);
      const vm = module.instantiate({ gas, registers, backend });
      const exit = runToEnd(vm);
      const gasUsed = gas - Math.max(0, Number(exit.gas));
      return {
        status: 200,
        body: {
          n,
          gas,
          result: exit.kind === "halt" ? vm.getRegister(7).toString() : null,
          exit: exit.kind,
          gasUsed,
          backend,
          tier: vm.tier,
        },
      };
    } catch (error) {
      console.error("fib service:", error);
      return { status: 500, body: { error: `internal error: ${error instanceof Error ? error.message : error}` } };
    }
  }

  return { backend, maxGas, respond };
}

/** JSON response headers. */
export const JSON_HEADERS: Record<string, string> = { "content-type": "application/json; charset=utf-8" };

/** A Fetch-API handler (`Request` → `Response`) around a service, as Deno.serve and Bun.serve take. */
export function createFetchHandler(options: ServiceOptions = {}): (request: Request) => Response {
  const service = createFibService(options);
  return (request) => {
    const { status, body } = service.respond(request.url, request.method);
    return new Response(request.method === "HEAD" ? null : JSON.stringify(body), { status, headers: JSON_HEADERS });
  };
}

/** Command-line options of the server scripts: `--port N` (default 8080), `--backend B`, `--hostname 127.0.0.1`. */
export function parseServerArgs(argv: readonly string[]): { port: number; hostname: string; backend: Backend } {
  let port = 8080;
  let hostname: string | undefined;
  let backend: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--port" && value !== undefined) port = Number(argv[++i]);
    else if (argv[i] === "--backend" && value !== undefined) backend = argv[++i];
    else if (argv[i] === "--hostname" && value !== undefined) hostname = argv[++i];
    else throw new RangeError(`unknown argument ${argv[i]} (use --port N, --backend B, --hostname ${LOOPBACK})`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad port ${port}`);
  return { port, hostname: checkLoopback(hostname), backend: parseBackend(backend) };
}
