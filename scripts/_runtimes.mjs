// What the scripts that run something under Node, Deno and Bun share: the repository root,
// the runtimes' binaries in node_modules/.bin, and the `--only node,deno,bun` option.
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root (with a trailing separator). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Path of an npm-installed binary (deno, bun, tsx). */
export const bin = (name) => join(ROOT, "node_modules", ".bin", name);

/** The runtimes, in the order the scripts run them. */
export const RUNTIMES = ["node", "deno", "bun"];

/**
 * Take `--only a,b` out of `args` (in place). Returns the runtimes to run (all when the
 * option is absent) and whether it was given; an unknown name ends the script (status 2).
 */
export function takeOnly(args) {
  const at = args.indexOf("--only");
  if (at < 0) return { only: RUNTIMES, given: false };
  const only = (args[at + 1] ?? "").split(",").filter(Boolean);
  const unknown = only.filter((name) => !RUNTIMES.includes(name));
  if (unknown.length > 0) {
    console.error(`--only: unknown runtime ${unknown.join(", ")} (known: ${RUNTIMES.join(", ")})`);
    process.exit(2);
  }
  args.splice(at, 2);
  return { only, given: true };
}

/** The command that runs the TypeScript `file` under `runtime`: `[executable, arguments]`. */
export function scriptCommand(runtime, file) {
  if (runtime === "deno") return [bin("deno"), ["run", "-A", file]];
  if (runtime === "bun") return [bin("bun"), ["run", file]];
  return [bin("tsx"), [file]];
}
