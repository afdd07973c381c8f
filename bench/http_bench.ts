/**
 * HTTP throughput of the embedding examples (examples/http/): requests per second that
 * this runtime's server answers on loopback, with pvmkit on the interpreter and on `auto`.
 *
 * For each backend the server script of the runtime running this bench (deno_server.ts
 * under Deno, bun_server.ts under Bun, node_server.ts under Node via tsx) is started as a
 * child process on 127.0.0.1 with port 0; this process is the client and sends, with
 * `fetch` and a fixed concurrency, a warm-up round and then `--runs` rounds of a fixed
 * number of requests. Every answer is checked against fib(n) mod 2^64 computed here with
 * BigInt. Reported: the median requests/s over the rounds (and each round's), and latency
 * percentiles over all measured requests. Two workloads:
 *
 * - `light`: n = 0..93 in turn (under 500 instructions each): HTTP and instantiation cost.
 * - `heavy`: n = 1,000,000 (5,000,007 instructions each): `auto` interprets the first
 *   AUTO_TIER_INSTRUCTIONS (2 M) of every request and runs the rest compiled.
 *
 * Usage: `tsx bench/http_bench.ts` (also `deno run -A`, `bun run`) with options
 * `--runs N` (default 5), `--concurrency N` (8), `--light N` / `--heavy N` (requests per
 * round, default 2000 / 40; 0 skips the workload), `--backends interpreter,auto`,
 * `--out FILE` (default `.bench-out/http-<runtime>.json`). Exit status 1 if a server did
 * not start or an answer was wrong.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { argOption, median, REPO_ROOT, RUNTIME } from "./_shared.ts";

const VERSION = RUNTIME === "node" ? process.versions.node : process.versions[RUNTIME] ?? "?";

const RUNS = Number(argOption("runs", "5"));
const CONCURRENCY = Number(argOption("concurrency", "8"));
const BACKENDS = argOption("backends", "interpreter,auto").split(",").filter(Boolean);
const OUT = argOption("out", join(REPO_ROOT, ".bench-out", `http-${RUNTIME}.json`));

interface Workload {
  name: string;
  requests: number;
  n: (i: number) => number;
}
const WORKLOADS: Workload[] = ([
  { name: "light", requests: Number(argOption("light", "2000")), n: (i) => i % 94 },
  { name: "heavy", requests: Number(argOption("heavy", "40")), n: () => 1_000_000 },
] as Workload[]).filter((w) => w.requests > 0);

const U64 = (1n << 64n) - 1n;
const expected = new Map<number, string>();
/** fib(n) mod 2^64 as a decimal string (memoized; computed by iteration, independently of the server). */
function fib(n: number): string {
  let value = expected.get(n);
  if (value === undefined) {
    let [a, b] = [0n, 1n];
    for (let i = 0; i < n; i++) [a, b] = [b, (a + b) & U64];
    value = a.toString();
    expected.set(n, value);
  }
  return value;
}

/** The command that runs this runtime's server script. */
function serverCommand(backend: string): [string, string[]] {
  const script = (name: string) => join(REPO_ROOT, "examples", "http", name);
  const tail = ["--port", "0", "--backend", backend];
  if (RUNTIME === "deno") return [process.execPath, ["run", "-A", script("deno_server.ts"), ...tail]];
  if (RUNTIME === "bun") return [process.execPath, [script("bun_server.ts"), ...tail]];
  return [process.execPath, ["--import", "tsx", script("node_server.ts"), ...tail]];
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Start the server as a child process and wait for the URL it prints. */
function startServer(backend: string): Promise<Server> {
  const [cmd, args] = serverCommand(backend);
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`server did not print its URL within 30 s: ${err.trim()}`)), 30_000);
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    }
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (err += chunk));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      out += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
      if (!url) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      resolve({
        url,
        stop: async () => {
          const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          child.kill("SIGTERM");
          await exited;
          clearTimeout(killer);
        },
      });
    });
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`server exited (${code}) before listening: ${err.trim()}`)));
  });
}

interface Round {
  seconds: number;
  latenciesMs: number[];
  errors: string[];
}

/** Send `count` requests with CONCURRENCY in flight; check every answer. */
async function round(url: string, workload: Workload, count: number, backend: string): Promise<Round> {
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = workload.n(next++);
      const t0 = performance.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error("no answer within 60 s")), 60_000);
      try {
        const response = await fetch(`${url}/fib?n=${n}`, { signal: controller.signal });
        const body = await response.json();
        latenciesMs.push(performance.now() - t0);
        if (response.status !== 200 || body.result !== fib(n) || body.exit !== "halt" || body.backend !== backend) {
          errors.push(`n=${n}: ${response.status} ${JSON.stringify(body)}`);
        }
      } catch (error) {
        errors.push(`n=${n}: ${error instanceof Error ? error.message : error}`);
      } finally {
        clearTimeout(timer);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return { seconds: (performance.now() - t0) / 1000, latenciesMs, errors };
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** One measured configuration. */
export interface HttpResult {
  workload: string;
  backend: string;
  requests: number;
  runs: number;
  /** Median requests per second over the rounds. */
  reqPerSec: number;
  roundsReqPerSec: number[];
  p50Ms: number;
  p99Ms: number;
  errors: string[];
}

async function measure(workload: Workload, backend: string): Promise<HttpResult> {
  const server = await startServer(backend);
  const errors: string[] = [];
  const rounds: Round[] = [];
  try {
    const warm = await round(
      server.url,
      workload,
      Math.min(workload.requests, Math.max(8, workload.requests >> 3)),
      backend,
    );
    errors.push(...warm.errors);
    for (let r = 0; r < RUNS; r++) {
      const result = await round(server.url, workload, workload.requests, backend);
      rounds.push(result);
      errors.push(...result.errors);
      process.stderr.write(
        `[${RUNTIME}] ${workload.name} ${backend}: round ${r + 1}/${RUNS} ${
          (workload.requests / result.seconds).toFixed(0)
        } req/s\n`,
      );
    }
  } finally {
    await server.stop();
  }
  const perRound = rounds.map((r) => workload.requests / r.seconds);
  const latencies = rounds.flatMap((r) => r.latenciesMs);
  return {
    workload: workload.name,
    backend,
    requests: workload.requests,
    runs: RUNS,
    reqPerSec: median(perRound),
    roundsReqPerSec: perRound.map((x) => Math.round(x * 10) / 10),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors: errors.slice(0, 10),
  };
}

async function main(): Promise<number> {
  const load = loadavg()[0];
  process.stderr.write(
    `[${RUNTIME}] http bench: ${
      WORKLOADS.map((w) => `${w.name} ${w.requests}`).join(", ")
    } requests × ${RUNS} rounds, ` +
      `concurrency ${CONCURRENCY}, load average ${load.toFixed(2)}\n`,
  );
  const results: HttpResult[] = [];
  let broken = false;
  for (const workload of WORKLOADS) {
    for (const backend of BACKENDS) {
      try {
        const result = await measure(workload, backend);
        if (result.errors.length > 0) broken = true;
        results.push(result);
      } catch (error) {
        broken = true;
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`[${RUNTIME}] ${workload.name} ${backend}: ${message}\n`);
        results.push({
          workload: workload.name,
          backend,
          requests: workload.requests,
          runs: 0,
          reqPerSec: NaN,
          roundsReqPerSec: [],
          p50Ms: NaN,
          p99Ms: NaN,
          errors: [message],
        });
      }
    }
  }
  const rows = [["workload", "backend", "requests", "req/s (median)", "rounds", "p50 ms", "p99 ms", "check"]];
  for (const r of results) {
    rows.push([
      r.workload,
      r.backend,
      `${r.requests} × ${r.runs}`,
      r.reqPerSec.toFixed(0),
      r.roundsReqPerSec.map((x) => x.toFixed(0)).join(" "),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.errors.length ? `FAIL: ${r.errors[0]}` : "ok",
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log(`pvmkit HTTP bench — ${RUNTIME} ${VERSION}, server in a child process, concurrency ${CONCURRENCY}`);
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      { runtime: RUNTIME, version: VERSION, date: new Date().toISOString(), loadAverage: load, results },
      null,
      2,
    ),
  );
  return broken ? 1 : 0;
}

process.exitCode = await main();
