#!/usr/bin/env node
// Bundles the DOOM page (examples/doom/browser/main.ts, the DOOM host and the library) into
// examples/doom/browser/dist/main.js with esbuild, for browsers (a `node:` import fails the
// build). Usage: node examples/doom/browser/build.mjs
// Then serve examples/doom/browser/ with doom.polkavm and freedoom1.wad next to index.html
// (or pass ?program=URL&wad=URL).
import process from "node:process";
import { fileURLToPath } from "node:url";
import { bundlePage } from "../../../scripts/build-browser.mjs";

const page = fileURLToPath(new URL(".", import.meta.url));

/** Build the bundle; returns the output path. */
export async function buildDoomPage({ quiet = false } = {}) {
  const { outfile } = await bundlePage(page, { quiet });
  if (!quiet) console.log(`built ${outfile}`);
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDoomPage();
