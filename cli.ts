#!/usr/bin/env -S deno run -A
/**
 * The `pvmkit` command-line entry point: `deno run -A cli.ts …`, `npx tsx cli.ts …`,
 * `bun cli.ts …`, or the `pvmkit` bin of the npm package (built to dist/cli.js).
 * Importing this module runs the CLI on the process arguments; embedders should call
 * `main` from `src/cli/main.ts` instead.
 *
 * @module
 */
import { runFromProcess } from "./src/cli/main.ts";

await runFromProcess();
