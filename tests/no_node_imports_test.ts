// The library (mod.ts and src/, except the CLI in src/cli/) must run in browsers, so it
// may not import Node built-in modules, whether spelled `node:fs` or bare `fs`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".tsx"];
const builtins = new Set(builtinModules.flatMap((name) => [name, name.split("/")[0]]));

/** Source files of the library, relative to the repo root. */
function librarySources(): string[] {
  const out: string[] = [];
  if (existsSync(join(root, "mod.ts"))) out.push("mod.ts");
  const walk = (path: string) => {
    for (const entry of readdirSync(join(root, path)).sort()) {
      const child = `${path}/${entry}`;
      if (child === "src/cli") continue;
      if (statSync(join(root, child)).isDirectory()) walk(child);
      else if (EXTENSIONS.some((e) => entry.endsWith(e))) out.push(child);
    }
  };
  walk("src");
  return out;
}

/** Every module specifier a file imports or re-exports, statically or dynamically, or requires. */
function importSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]/g,
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtins.has(specifier) || builtins.has(specifier.split("/")[0]);
}

describe("library sources import no Node built-ins", () => {
  it("the scanner sees every import form", () => {
    const sample = `import { a } from "node:fs";\nimport type { B } from 'path';\nexport * from "./x.ts";\n` +
      `import "os";\nconst m = await import("node:process");\nconst c = require("child_process");`;
    assert.deepEqual(importSpecifiers(sample).sort(), [
      "./x.ts",
      "child_process",
      "node:fs",
      "node:process",
      "os",
      "path",
    ]);
    assert.equal(isNodeBuiltin("node:fs"), true);
    assert.equal(isNodeBuiltin("fs/promises"), true);
    assert.equal(isNodeBuiltin("./fs.ts"), false);
  });

  const files = librarySources();
  it("finds the library sources", () => {
    assert.ok(files.includes("src/engine.ts"), files.join(", "));
    assert.ok(!files.some((f) => f.startsWith("src/cli/")));
  });

  for (const file of files) {
    it(file, () => {
      const bad = importSpecifiers(readFileSync(join(root, file), "utf8")).filter(isNodeBuiltin);
      assert.deepEqual(bad, [], `${relative(root, join(root, file))} imports ${bad.join(", ")}`);
    });
  }
});

/** Specifiers a file imports statically for their values (no `import type`, no `import()`). */
function staticValueImports(source: string): string[] {
  const re = /\b(?:import|export)\s+(?!type\b)(?:[^'"`;]*?\bfrom\s*)?["']([^"']+)["']/g;
  return [...source.matchAll(re)].map((m) => m[1]);
}

/** Every package specifier reached from `entry` through static value imports. */
function packagesReachedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticValueImports(readFileSync(join(root, file), "utf8"))) {
      if (specifier.startsWith(".")) visit(join(file, "..", specifier));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return packages;
}

describe("start-up cost: the curve libraries load only with the crypto extension", () => {
  it("the scanner follows value imports and skips type-only and dynamic ones", () => {
    const sample = `import { a } from "./a.ts";\nimport type { B } from "./b.ts";\nexport * from "./c.ts";\n` +
      `import "./d.ts";\nconst m = await import("./e.ts");`;
    assert.deepEqual(staticValueImports(sample), ["./a.ts", "./c.ts", "./d.ts"]);
  });

  for (const entry of ["mod.ts", "cli.ts"]) {
    it(`${entry} reaches @noble/hashes but not @noble/curves`, () => {
      const packages = [...packagesReachedFrom(entry)];
      assert.ok(packages.some((p) => p.startsWith("@noble/hashes/")), packages.join(", "));
      assert.deepEqual(packages.filter((p) => p.startsWith("@noble/curves")), []);
    });
  }

  it("crypto.ts does reach @noble/curves", () => {
    assert.ok([...packagesReachedFrom("crypto.ts")].some((p) => p.startsWith("@noble/curves/")));
  });
});
