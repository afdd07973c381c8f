// The HTTP embedding examples in examples/http/: this runtime's server (Deno.serve under
// Deno, Bun.serve under Bun, node:http under Node) is started on 127.0.0.1 with port 0 and
// exercised with real fetch requests: 1,000 fibonacci requests checked against values
// worked out here with BigInt, the gas limit, bad input, and that stop() really stops it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";

type Runtime = "deno" | "bun" | "node";
const RUNTIME: Runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

interface RunningServer {
  url: string;
  stop(): Promise<void>;
}
type Start = (
  options: { port?: number; hostname?: string; backend?: "interpreter" | "recompiler" | "auto" },
) => Promise<
  RunningServer
>;

/** This runtime's server module (only that one: the others use globals this runtime lacks). */
async function loadStart(): Promise<Start> {
  if (RUNTIME === "deno") return (await import("../examples/http/deno_server.ts")).start;
  if (RUNTIME === "bun") return (await import("../examples/http/bun_server.ts")).start;
  return (await import("../examples/http/node_server.ts")).start;
}

const U64 = (1n << 64n) - 1n;
/** fib(0..limit) modulo 2^64, by plain iteration. */
function fibTable(limit: number): bigint[] {
  const table = [0n, 1n];
  for (let i = 2; i <= limit; i++) table.push((table[i - 1] + table[i - 2]) & U64);
  return table;
}
/** fib(n) modulo 2^64 for one large n. */
function fibOf(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) & U64];
  return a;
}
/** The program's gas for fib(n): 4 set-up instructions, 5 per step, 3 to finish. */
const gasFor = (n: number) => 5 * n + 7;

const REQUESTS = 1_000;
const CONCURRENCY = 8;
/** Everything in one test must be done by then, or its remaining requests are aborted. */
const OVERALL_MS = 60_000;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * GET a path and parse the JSON answer; aborted if not done by `deadline` (epoch ms). Each
 * request gets its own signal and timer, cleared when it is done, so nothing outlives it.
 */
async function get(base: string, path: string, deadline: number, init: RequestInit = {}): Promise<Reply> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`not done within ${OVERALL_MS} ms`)),
    deadline - Date.now(),
  );
  try {
    const response = await fetch(base + path, { ...init, signal: controller.signal });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) };
  } finally {
    clearTimeout(timer);
  }
}

/** Run `count` jobs with at most `concurrency` in flight; returns their results in order. */
async function pool<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Start a server, run `body` against it, and always stop it; then check it is gone. */
async function withServer(
  backend: "interpreter" | "auto",
  body: (url: string, deadline: number) => Promise<void>,
): Promise<void> {
  const start = await loadStart();
  const server = await start({ port: 0, hostname: "127.0.0.1", backend });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  try {
    await body(server.url, Date.now() + OVERALL_MS);
  } finally {
    await server.stop();
  }
  // Stopped means stopped: a new request cannot get an answer.
  await assert.rejects(get(server.url, "/fib?n=1", Date.now() + 5_000));
}

describe(`HTTP examples (${RUNTIME} server)`, () => {
  it("starts only on 127.0.0.1", async () => {
    const start = await loadStart();
    await assert.rejects(() => start({ port: 0, hostname: "0.0.0.0" }), /127\.0\.0\.1/);
  });

  it(`answers ${REQUESTS} fibonacci requests correctly (interpreter), rejects bad input, stops`, async () => {
    const fib = fibTable(200);
    await withServer("interpreter", async (url, deadline) => {
      const replies = await pool(REQUESTS, CONCURRENCY, async (i) => {
        const n = (i * 37) % 201; // 0..200, past fib(93) where the sum wraps modulo 2^64
        return { n, reply: await get(url, `/fib?n=${n}`, deadline) };
      });
      assert.equal(replies.length, REQUESTS);
      for (const { n, reply } of replies) {
        assert.equal(reply.status, 200, `n = ${n}`);
        assert.deepEqual(reply.body, {
          n,
          gas: 10_000_000,
          result: fib[n].toString(),
          exit: "halt",
          gasUsed: gasFor(n),
          backend: "interpreter",
          tier: "interpreter",
        });
      }

      // The gas limit is enforced: the run stops, and that is a normal answer.
      const limited = await get(url, "/fib?n=1000&gas=100", deadline);
      assert.equal(limited.status, 200);
      assert.deepEqual(
        [limited.body.exit, limited.body.result, limited.body.gasUsed, limited.body.gas],
        ["oog", null, 100, 100],
      );
      const tooLong = await get(url, "/fib?n=4000000000", deadline); // 20 G gas > the 10 M default
      assert.deepEqual([tooLong.status, tooLong.body.exit, tooLong.body.gasUsed], [200, "oog", 10_000_000]);
      const exact = await get(url, `/fib?n=30&gas=${gasFor(30)}`, deadline);
      assert.deepEqual([exact.body.exit, exact.body.result], ["halt", "832040"]);

      // Bad input: 400 with a JSON error.
      const bad = [
        "/fib",
        "/fib?n=",
        "/fib?n=abc",
        "/fib?n=-1",
        "/fib?n=1.5",
        "/fib?n=1e3",
        "/fib?n=%2B5",
        "/fib?n=0x10",
        "/fib?n=4294967296",
        "/fib?n=99999999999999999999",
        "/fib?n=5&gas=0",
        "/fib?n=5&gas=-3",
        "/fib?n=5&gas=10000001",
        "/fib?n=5&gas=lots",
      ];
      for (const path of bad) {
        const reply = await get(url, path, deadline);
        assert.equal(reply.status, 400, path);
        assert.equal(typeof reply.body.error, "string", path);
      }
      assert.equal((await get(url, "/nope?n=1", deadline)).status, 404);
      assert.equal((await get(url, "/fib?n=1", deadline, { method: "POST", body: "x" })).status, 405);
    });
  });

  it("answers on the auto backend, which tiers up on long runs", async () => {
    const fib = fibTable(100);
    await withServer("auto", async (url, deadline) => {
      const small = await pool(
        200,
        CONCURRENCY,
        async (i) => ({ n: i % 101, reply: await get(url, `/fib?n=${i % 101}`, deadline) }),
      );
      for (const { n, reply } of small) {
        assert.equal(reply.status, 200);
        assert.deepEqual([reply.body.result, reply.body.exit, reply.body.backend], [fib[n].toString(), "halt", "auto"]);
      }
      // 500,000 steps = 2.5 M instructions, past the 2 M at which auto switches to compiled code.
      const n = 500_000;
      const expected = fibOf(n).toString();
      const big = await pool(4, 2, () => get(url, `/fib?n=${n}`, deadline));
      for (const reply of big) {
        assert.deepEqual(reply.body, {
          n,
          gas: 10_000_000,
          result: expected,
          exit: "halt",
          gasUsed: gasFor(n),
          backend: "auto",
          tier: "recompiler",
        });
      }
    });
  });
});
