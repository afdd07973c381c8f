#!/usr/bin/env node
// Bundles the browser page (examples/browser/main.ts and the library it imports through
// mod.ts) into examples/browser/dist/main.js with esbuild, for browsers only: a `node:`
// import anywhere in the library makes the build fail. The example programs
// (examples/*.pvmasm) go into the bundle as source text, through the virtual module
// "pvmkit:examples"; the page assembles them when they are picked.
//
// Usage: node scripts/build-browser.mjs [--minify]     (npm run build:browser)
// Then open examples/browser/index.html (a file:// URL works) or serve examples/browser/.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const page = join(root, "examples", "browser");
const examplesDir = join(root, "examples");

/** The virtual module "pvmkit:examples": every examples/*.pvmasm as { name, source }, by name. */
const examplesPlugin = {
  name: "pvmkit-examples",
  setup(b) {
    b.onResolve({ filter: /^pvmkit:examples$/ }, (args) => ({ path: args.path, namespace: "pvmkit-examples" }));
    b.onLoad({ filter: /.*/, namespace: "pvmkit-examples" }, () => {
      const names = readdirSync(examplesDir).filter((f) => f.endsWith(".pvmasm")).sort();
      const examples = names.map((name) => ({ name, source: readFileSync(join(examplesDir, name), "utf8") }));
      return {
        contents: `export const EXAMPLES = ${JSON.stringify(examples)};`,
        loader: "js",
        watchFiles: names.map((name) => join(examplesDir, name)),
      };
    });
  },
};

/**
 * Bundle the page in `dir` (its main.ts, and the library through it) into dir/dist/main.js
 * for browsers; returns the output path and esbuild's metafile.
 */
export async function bundlePage(dir, { minify = false, quiet = false, plugins = [] } = {}) {
  const outfile = join(dir, "dist", "main.js");
  const result = await build({
    entryPoints: [join(dir, "main.ts")],
    outfile,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    sourcemap: "linked",
    minify,
    legalComments: "none",
    logLevel: quiet ? "silent" : "warning",
    metafile: true,
    plugins,
  });
  return { outfile, metafile: result.metafile };
}

/** Build the example page's bundle; returns the output path. */
export async function buildBrowser({ minify = false, quiet = false } = {}) {
  const { outfile, metafile } = await bundlePage(page, { minify, quiet, plugins: [examplesPlugin] });
  if (!quiet) {
    const bytes = metafile.outputs[Object.keys(metafile.outputs).find((f) => f.endsWith(".js"))].bytes;
    console.log(`built ${outfile.slice(root.length)} (${(bytes / 1024).toFixed(1)} KiB)`);
  }
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildBrowser({ minify: process.argv.includes("--minify") });
}
