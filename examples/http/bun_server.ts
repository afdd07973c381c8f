/**
 * pvmkit behind `Bun.serve`: every request to `/fib?n=N[&gas=G]` runs
 * examples/fibonacci.pvmasm on a fresh PVM instance and answers JSON
 * `{ n, gas, result, exit, gasUsed, backend, tier }` (see fib_service.ts).
 *
 *     bun examples/http/bun_server.ts --port 8080 [--backend auto]
 *     curl 'http://127.0.0.1:8080/fib?n=90'
 *
 * It listens on 127.0.0.1 only. From code: `const server = await start({ port: 0 })`,
 * then `server.url` and `await server.stop()`.
 *
 * @module
 */
import process from "node:process";
import {
  checkLoopback,
  createFetchHandler,
  parseServerArgs,
  type RunningServer,
  type ServiceOptions,
  type StartOptions,
} from "./fib_service.ts";

/** The part of Bun's API used here (so the file type-checks without Bun's type package). */
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunApi {
  serve(options: { port: number; hostname: string; fetch(request: Request): Response | Promise<Response> }): BunServer;
  readonly version: string;
}
declare const Bun: BunApi;

/** The request handler, on the interpreter (use {@link createHandler} for another backend). */
export const handler: (request: Request) => Response = createFetchHandler();

/** A handler for the given backend and gas limit. */
export function createHandler(options: ServiceOptions = {}): (request: Request) => Response {
  return createFetchHandler(options);
}

export type { RunningServer, StartOptions };

/** Start serving on 127.0.0.1 (Bun.serve listens before it returns). */
export function start(options: StartOptions = {}): Promise<RunningServer> {
  return new Promise((resolve) => {
    const hostname = checkLoopback(options.hostname); // a throw here rejects
    const server = Bun.serve({ port: options.port ?? 0, hostname, fetch: createFetchHandler(options) });
    resolve({
      url: `http://${hostname}:${server.port}`,
      stop: async () => {
        await server.stop(true);
      },
    });
  });
}

if ((import.meta as { main?: boolean }).main) {
  const { port, hostname, backend } = parseServerArgs(process.argv.slice(2));
  const server = await start({ port, hostname, backend });
  console.log(`${server.url}/fib?n=30  (Bun ${Bun.version}, backend ${backend})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => server.stop().then(() => process.exit(0)));
  }
}
