/**
 * DOOM headless: run doom.polkavm with freedoom1.wad, no input, for N frames; write frames
 * as PNG files and print frames per second.
 *
 *   npx tsx examples/doom/headless.ts [--frames 300] [--png-every 100] [--out doom-frames]
 *       [--backend recompiler|interpreter|auto] [--program FILE] [--wad FILE]
 *
 * Runs under Node (tsx), Deno (`deno run -A`) and Bun. The WAD comes from examples/doom/setup.mjs.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Backend } from "../../mod.ts";
import { DoomHost } from "./doom_host.ts";
import { encodePng } from "./png.ts";
import { ensureWad } from "./setup.mjs";

/** Where the shared programs live (as tests/_shared.ts finds them). */
const SHARED = process.env.PVMKIT_SHARED ?? new URL("../../../shared/", import.meta.url).pathname;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const USAGE = `Usage: headless.ts [--frames N] [--png-every N] [--out DIR] [--backend B] [--program FILE] [--wad FILE]

Runs doom.polkavm with freedoom1.wad and no input, writes every Nth frame as a PNG file
and prints the first frame's latency and the frames per second.

  --frames N       frames to run (default 300)
  --png-every N    write frame 1 and every Nth frame (default 100)
  --out DIR        where the PNG files go (default doom-frames)
  --backend B      recompiler (default), interpreter or auto
  --program FILE   the DOOM program (default: the shared doom.polkavm)
  --wad FILE       the IWAD (default: freedoom1.wad, installed by setup.mjs if missing)
`;

/** A positive integer option, or exit with a usage error. */
function count(name: string, fallback: string): number {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const frames = count("frames", "300");
  const every = count("png-every", "100");
  const out = option("out", "doom-frames");
  const backend = option("backend", "recompiler") as Backend;
  if (!["recompiler", "interpreter", "auto"].includes(backend)) {
    console.error(`--backend must be recompiler, interpreter or auto, not "${backend}"\n\n${USAGE}`);
    return 2;
  }
  const programPath = option("program", join(SHARED, "programs", "polkavm", "doom.polkavm"));
  let wadPath = option("wad", "");
  if (!wadPath) {
    const wad = ensureWad();
    if (!("path" in wad)) {
      console.error(`no WAD: ${wad.reason}`);
      return 1;
    }
    wadPath = wad.path;
  }
  const started = performance.now();
  const host = DoomHost.create(new Uint8Array(readFileSync(programPath)), new Uint8Array(readFileSync(wadPath)), {
    backend,
  });
  host.initialize();
  host.tick();
  const firstFrame = performance.now() - started;
  mkdirSync(out, { recursive: true });
  const save = async (n: number) => {
    const file = join(out, `frame-${String(n).padStart(5, "0")}.png`);
    writeFileSync(file, await encodePng(host.rgba, host.width, host.height));
    console.log(`wrote ${file}`);
  };
  await save(1);
  let ticking = 0;
  for (let n = 2; n <= frames; n++) {
    const t = performance.now();
    host.tick();
    ticking += performance.now() - t;
    if (n % every === 0) await save(n);
  }
  const fps = (frames - 1) / (ticking / 1000);
  console.log(
    `${backend}: first frame after ${firstFrame.toFixed(0)} ms; ${frames - 1} more frames at ${
      fps.toFixed(1)
    } frames/s; ` +
      `${host.audioSamples} audio samples`,
  );
  return 0;
}

process.exitCode = await main();
