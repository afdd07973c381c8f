/**
 * pvmkit behind `Deno.serve`: every request to `/fib?n=N[&gas=G]` runs
 * examples/fibonacci.pvmasm on a fresh PVM instance and answers JSON
 * `{ n, gas, result, exit, gasUsed, backend, tier }` (see fib_service.ts).
 *
 *     deno run -A examples/http/deno_server.ts --port 8080 [--backend auto]
 *     curl 'http://127.0.0.1:8080/fib?n=90'
 *
 * It listens on 127.0.0.1 only. From code: `const server = await start({ port: 0 })`,
 * then `server.url` and `await server.stop()`.
 *
 * @module
 */
import {
  checkLoopback,
  createFetchHandler,
  parseServerArgs,
  type RunningServer,
  type ServiceOptions,
  type StartOptions,
} from "./fib_service.ts";

/** The request handler, on the interpreter (use {@link createHandler} for another backend). */
export const handler: (request: Request) => Response = createFetchHandler();

/** A handler for the given backend and gas limit. */
export function createHandler(options: ServiceOptions = {}): (request: Request) => Response {
  return createFetchHandler(options);
}

export type { RunningServer, StartOptions };

/** Start serving on 127.0.0.1; resolves once the server listens. */
export function start(options: StartOptions = {}): Promise<RunningServer> {
  return new Promise((resolve) => {
    const hostname = checkLoopback(options.hostname); // a throw here rejects
    const server = Deno.serve({
      port: options.port ?? 0,
      hostname,
      onListen: (addr) => {
        resolve({
          url: `http://${hostname}:${(addr as Deno.NetAddr).port}`,
          stop: async () => {
            await server.shutdown();
            await server.finished;
          },
        });
      },
    }, createFetchHandler(options));
  });
}

if (import.meta.main) {
  const { port, hostname, backend } = parseServerArgs(Deno.args);
  const server = await start({ port, hostname, backend });
  console.log(`${server.url}/fib?n=30  (Deno ${Deno.version.deno}, backend ${backend})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => server.stop().then(() => Deno.exit(0)));
  }
}
