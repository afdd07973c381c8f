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

async function main(): Promise<number> {
  const frames = Number(option("frames", "300"));
  const every = Number(option("png-every", "100"));
  const out = option("out", "doom-frames");
  const backend = option("backend", "recompiler") as Backend;
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
    if (every > 0 && n % every === 0) await save(n);
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
