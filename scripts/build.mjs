#!/usr/bin/env node
// Builds the npm package's dist/ (`npm run build`, which empties dist/ first; `npm pack` and
// `npm publish` run it through "prepack"):
//
// - dist/mod.js and dist/crypto.js: the library (mod.ts and everything it imports) and its
//   crypto extension (crypto.ts, a separate entry point so that importing the library does not
//   load the curve libraries), bundled by esbuild for the "neutral" platform, so a `node:`
//   import reaching the library fails the build; what both use is a shared chunk in dist/chunks/;
// - dist/cli.js: the CLI (cli.ts) for Node, which bin/pvmkit.mjs imports; `--crypto` loads the
//   extension from its own chunk only when given;
// - the .d.ts files (dist/mod.d.ts, dist/cli.d.ts and dist/src/**), from tsc with
//   tsconfig.build.json (declarations only; tsc also type-checks, so a type error fails the build).
//
// A few bundled files load much faster than the ~100 modules tsc would write (Node resolves,
// reads and links each of them). Of the runtime dependencies, @noble/hashes is bundled for the
// same reason, and @noble/curves (loaded only by the crypto extension) stays an import, as does
// `wabt`, which `pvmkit compile --wat` loads only when asked to.
// Whitespace and syntax are minified (the bundle shrinks by a third, and Node parses it that
// much faster at import: cold start), identifiers are not, so stack traces keep readable names.
//
// Usage: node scripts/build.mjs [--sourcemap]     (--sourcemap adds dist/*.js.map)
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const sourcemap = process.argv.includes("--sourcemap");

/**
 * Runtime dependencies bundled into dist/: @noble/hashes (BLAKE2b for the caches' keys). Node
 * resolves, reads and links each module of a package tree one by one, which cost ~9 ms of a
 * cold start (bench/cold_start_bench.ts); bundled, it is a few KiB more to parse. Its MIT
 * notice stays in the bundle (legal comments at the end of each file).
 */
const bundledDependencies = ["@noble/hashes"];
/** The other runtime dependencies (@noble/curves, for the crypto extension): imported at run time. */
const dependencies = Object.keys(pkg.dependencies ?? {}).filter((name) => !bundledDependencies.includes(name));
/** Packages the CLI imports only on demand (optional, not installed with pvmkit). */
const optional = ["wabt"];
/** Whether an import of `path` names one of `packages` (or a file inside one). */
const isPackage = (path, packages) => packages.some((name) => path === name || path.startsWith(`${name}/`));

/** Type-check and write the declarations; resolves with tsc's exit code. */
function declarations() {
  const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => {
      console.error(`build: could not start tsc: ${error.message}`);
      resolve(-1);
    });
    child.on("close", (code) => resolve(code ?? -1));
  });
}

/**
 * Bundle entry points together (code they share goes into `dist/chunks/`, and a dynamic
 * `import()` becomes a chunk loaded only when it runs); returns the problems found, if any.
 */
async function bundle(entries, platform, external) {
  const result = await build({
    entryPoints: entries.map((entry) => join(root, entry)),
    outdir: dist,
    outbase: root,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    format: "esm",
    platform,
    target: ["es2022"],
    external,
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    sourcemap: sourcemap ? "linked" : false,
    legalComments: "none",
    banner: { js: "/*! pvmkit; bundled third-party code and its licenses: THIRD_PARTY_LICENSES.txt */" },
    logLevel: "warning",
    metafile: true,
  });
  const problems = [];
  const names = entries.join(", ");
  // Only the project's own sources and the bundled dependencies go into a bundle.
  for (const input of Object.keys(result.metafile.inputs)) {
    const inPackage = input.split("node_modules/")[1];
    if (inPackage !== undefined && isPackage(inPackage, bundledDependencies)) continue;
    if (input.includes("node_modules/") || input.startsWith("..")) {
      problems.push(`${names}: ${input} was bundled (mark its package as external or make it a dependency)`);
    }
  }
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    if (path.endsWith(".map")) continue;
    const imports = output.imports.filter((i) => i.external).map((i) => i.path);
    for (const imported of imports) {
      const allowed = isPackage(imported, dependencies) || isPackage(imported, optional) ||
        (platform === "node" && imported.startsWith("node:"));
      if (!allowed) problems.push(`${path}: unexpected import of "${imported}" in the bundle`);
    }
    const kib = (output.bytes / 1024).toFixed(1);
    const externals = [...new Set(imports)].sort().join(", ") || "nothing";
    console.log(`built ${relative(root, join(root, path))} (${kib} KiB; imports ${externals})`);
  }
  return problems;
}

const tsc = declarations();
const problems = [];
try {
  // The library must run in browsers too: on the neutral platform a `node:` import does not
  // resolve, so the build stops there and names the importing file.
  problems.push(...await bundle(["mod.ts", "crypto.ts"], "neutral", dependencies));
  problems.push(...await bundle(["cli.ts"], "node", [...dependencies, ...optional]));
} catch (error) {
  // esbuild has printed its errors already.
  problems.push(`esbuild failed: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
}
// The bundled packages' licenses ship with the bundles that contain them.
try {
  const notices = bundledDependencies.map((name) => {
    const dir = join(root, "node_modules", name);
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    return `${name} ${version}, bundled into dist/:\n\n${readFileSync(join(dir, "LICENSE"), "utf8").trim()}\n`;
  });
  writeFileSync(join(dist, "THIRD_PARTY_LICENSES.txt"), notices.join("\n\n"));
} catch (error) {
  problems.push(`the bundled dependencies' licenses: ${error instanceof Error ? error.message : error}`);
}
const tscCode = await tsc;
if (tscCode !== 0) problems.push(`tsc -p tsconfig.build.json exited with ${tscCode}`);
for (const problem of problems) console.error(`build: ${problem}`);
process.exitCode = problems.length > 0 ? 1 : 0;
