/**
 * DOOM benchmark (doom.polkavm with freedoom1.wad, no input), one runtime per process; run
 * under node/tsx, deno and bun by `npm run bench:doom` (scripts/bench-each-runtime.mjs doom).
 * Everything is measured in the same process:
 *
 * - cold first frame: from nothing (parse, translate, engine compile) through
 *   `ext_initialize` to the first `ext_output_video`, as the first thing the process does;
 * - warm first frame, compiled-module cache: a new instance of the same program after the
 *   frames/s run (the in-process cache of compiled modules hits: no translation, no engine
 *   compile, and the engine's optimised code is there);
 * - warm first frame, Wasm store: the in-process cache emptied, emitted Wasm read back from
 *   a store (what PVMKIT_WASM_CACHE gives the CLI): no translation, engine compile again;
 * - frames/s on the recompiler: `ext_tick` back to back after start-up, median of several
 *   windows, with the p50/p95/max time per frame;
 * - frames/s on the interpreter over fewer frames, and the recompiler/interpreter ratio.
 *
 * Usage: `<runtime> bench/doom_bench.ts [--frames N] [--interpreter-frames N] [--json FILE]`
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { clearCompiledCache, setWasmStore } from "../mod.ts";
import { DoomHost } from "../examples/doom/doom_host.ts";
import { ensureWad } from "../examples/doom/setup.mjs";
import { argOption, median, RUNTIME, sharedPath } from "./_shared.ts";

const FRAMES = Number(argOption("frames", "700"));
const INTERPRETER_FRAMES = Number(argOption("interpreter-frames", "40"));
const WINDOW = 100;
const jsonOut = argOption("json", "");
const runtime = RUNTIME;
const now = () => performance.now();
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const percentile = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const programPath = sharedPath("programs", "polkavm", "doom.polkavm");
const wad = ensureWad();
if (!programPath || !("path" in wad)) {
  console.log(`doom bench: skipped (${!programPath ? "doom.polkavm not found; set PVMKIT_SHARED" : wad.reason})`);
  process.exit(0);
}
const program = new Uint8Array(readFileSync(programPath));
const wadBytes = new Uint8Array(readFileSync(wad.path));

/** Start an instance and run to its first frame; returns it and the milliseconds it took. */
function firstFrame(backend: "recompiler" | "interpreter"): { host: DoomHost; ms: number } {
  const start = now();
  const host = DoomHost.create(program, wadBytes, { backend });
  host.initialize();
  while (host.frames === 0) host.tick();
  return { host, ms: now() - start };
}

// Cold: the very first instance in this process.
const stored = new Map<string, Uint8Array>();
setWasmStore({ get: (k) => stored.get(k), set: (k, b) => void stored.set(k, b) });
const cold = firstFrame("recompiler");

// Frames per second on the recompiler, on the cold instance (already past start-up).
const frameMs: number[] = [];
const windows: number[] = [];
for (let done = 0; done < FRAMES; done += WINDOW) {
  const t0 = now();
  for (let i = 0; i < WINDOW; i++) {
    const t = now();
    cold.host.tick();
    frameMs.push(now() - t);
  }
  windows.push((WINDOW * 1000) / (now() - t0));
}
const fps = median(windows);

// Warm, in-process compiled-module cache: a new instance (own memory, start-up from
// scratch) of a program whose compiled module (and the engine's optimised code for it)
// is already there, as after a reload with a cached module.
const warmCache = firstFrame("recompiler");
// Warm from the Wasm store: drop the compiled modules, keep the emitted bytes.
clearCompiledCache();
const warmStore = firstFrame("recompiler");
setWasmStore(undefined);

// The interpreter, for the ratio (fewer frames: it is much slower).
const interpreter = firstFrame("interpreter");
const t0 = now();
for (let i = 0; i < INTERPRETER_FRAMES; i++) interpreter.host.tick();
const interpreterFps = (INTERPRETER_FRAMES * 1000) / (now() - t0);

const result = {
  runtime,
  frames: FRAMES,
  coldFirstFrameMs: cold.ms,
  warmFirstFrameMsCompiledCache: warmCache.ms,
  warmFirstFrameMsWasmStore: warmStore.ms,
  recompilerFps: fps,
  recompilerFpsWindows: windows,
  frameMsP50: percentile(frameMs, 0.5),
  frameMsP95: percentile(frameMs, 0.95),
  frameMsMax: percentile(frameMs, 1),
  interpreterFirstFrameMs: interpreter.ms,
  interpreterFps,
  ratio: fps / interpreterFps,
  audioSamples: cold.host.audioSamples,
};
const f1 = (x: number) => x.toFixed(1);
console.log(`DOOM (${runtime}), freedoom1.wad, ${FRAMES} frames after start-up`);
console.log(`  first frame, cold                      ${f1(result.coldFirstFrameMs)} ms   (target < 3000)`);
console.log(
  `  first frame, compiled-module cache     ${f1(result.warmFirstFrameMsCompiledCache)} ms   (target < 1000)`,
);
console.log(`  first frame, emitted Wasm from a store ${f1(result.warmFirstFrameMsWasmStore)} ms`);
console.log(
  `  recompiler  ${f1(fps)} frames/s (median of ${windows.length} windows of ${WINDOW}; ` +
    `per frame p50 ${f1(result.frameMsP50)} ms, p95 ${f1(result.frameMsP95)} ms, max ${f1(result.frameMsMax)} ms)`,
);
console.log(
  `  interpreter ${f1(interpreterFps)} frames/s over ${INTERPRETER_FRAMES} frames; recompiler ${f1(result.ratio)}×`,
);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
