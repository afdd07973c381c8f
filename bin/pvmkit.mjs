#!/usr/bin/env node
// The `pvmkit` executable of the npm package. It runs the compiled CLI in dist/
// (made by `npm run build`, and by `npm pack`/`npm publish` through "prepack").
// In a source checkout without dist/ it falls back to running cli.ts through tsx
// when tsx is installed, and otherwise says how to build.
import { existsSync } from "node:fs";
import process from "node:process";

const built = new URL("../dist/cli.js", import.meta.url);
const source = new URL("../cli.ts", import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else {
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    tsx = undefined;
  }
  if (tsx && existsSync(source)) {
    tsx.register();
    await import(source.href);
  } else {
    process.stderr.write(
      "pvmkit: the compiled CLI (dist/cli.js) is missing and tsx is not available to run cli.ts.\n" +
        "Run `npm run build` in the package directory (or `npm install` to get tsx), or use\n" +
        "`deno run -A cli.ts` / `bun cli.ts` from a source checkout.\n",
    );
    process.exitCode = 2;
  }
}
