/**
 * pvmkit behind node:http: every request to `/fib?n=N[&gas=G]` runs
 * examples/fibonacci.pvmasm on a fresh PVM instance and answers JSON
 * `{ n, gas, result, exit, gasUsed, backend, tier }` (see fib_service.ts).
 *
 *     npx tsx examples/http/node_server.ts --port 8080 [--backend auto]
 *     curl 'http://127.0.0.1:8080/fib?n=90'
 *
 * It listens on 127.0.0.1 only. From code: `const server = await start({ port: 0 })`,
 * then `server.url` and `await server.stop()`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  checkLoopback,
  createFibService,
  JSON_HEADERS,
  parseServerArgs,
  type RunningServer,
  type ServiceOptions,
  type StartOptions,
} from "./fib_service.ts";

/** A node:http request listener. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** A request listener for the given backend and gas limit. */
export function createHandler(options: ServiceOptions = {}): NodeHandler {
  const service = createFibService(options);
  return (request, response) => {
    const { status, body } = service.respond(request.url ?? "/", request.method ?? "GET");
    response.writeHead(status, JSON_HEADERS);
    response.end(request.method === "HEAD" ? undefined : JSON.stringify(body));
  };
}

/** The request listener, on the interpreter (use {@link createHandler} for another backend). */
export const handler: NodeHandler = createHandler();

export type { RunningServer, StartOptions };

/** Start serving on 127.0.0.1; resolves once the server listens. */
export function start(options: StartOptions = {}): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const hostname = checkLoopback(options.hostname); // a throw here rejects
    const server = createServer(createHandler(options));
    server.once("error", reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${hostname}:${port}`,
        stop: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

// Run when executed directly (tsx, node and the others put the script path in argv[1]).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { port, hostname, backend } = parseServerArgs(process.argv.slice(2));
  const server = await start({ port, hostname, backend });
  console.log(`${server.url}/fib?n=30  (Node ${process.versions.node}, backend ${backend})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => server.stop().then(() => process.exit(0)));
  }
}
