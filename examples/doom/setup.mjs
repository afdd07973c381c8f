#!/usr/bin/env node
// Finds the freedoom1.wad IWAD for the DOOM example, installing Debian's `freedoom` package
// with apt-get when it is missing and we run as root. The WAD is never copied into the
// repository. Usage: node examples/doom/setup.mjs   (prints the WAD's path; exit 1 if none)
// Also used by tests and benches: import { findWad, ensureWad } from "./setup.mjs".
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** Where Debian's freedoom package puts the Phase 1 IWAD. */
export const DEBIAN_WAD = "/usr/share/games/doom/freedoom1.wad";

/** The WAD to use: $DOOM_WAD if set, else Debian's freedoom1.wad if installed; else undefined. */
export function findWad() {
  if (process.env.DOOM_WAD) return existsSync(process.env.DOOM_WAD) ? process.env.DOOM_WAD : undefined;
  return existsSync(DEBIAN_WAD) ? DEBIAN_WAD : undefined;
}

/**
 * The WAD's path, installing `freedoom` with apt-get first if it is missing and the process
 * runs as root (`apt-get install`, then `apt-get update` and a retry). Returns
 * `{ path }` or `{ reason }` saying why there is none.
 */
export function ensureWad(log = (line) => process.stderr.write(line + "\n")) {
  const found = findWad();
  if (found) return { path: found };
  if (process.env.DOOM_WAD) return { reason: `DOOM_WAD=${process.env.DOOM_WAD} does not exist` };
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    return {
      reason: `${DEBIAN_WAD} is missing and installing Debian's freedoom needs root (apt-get install freedoom)`,
    };
  }
  const apt = (...args) => {
    log(`doom setup: apt-get ${args.join(" ")}`);
    const result = spawnSync("apt-get", args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: 300_000,
    });
    return result.status === 0;
  };
  if (!apt("install", "-y", "--no-install-recommends", "freedoom")) {
    apt("update");
    apt("install", "-y", "--no-install-recommends", "freedoom");
  }
  return existsSync(DEBIAN_WAD) ? { path: DEBIAN_WAD } : { reason: "apt-get could not install freedoom" };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = ensureWad();
  if ("path" in result) console.log(result.path);
  else {
    console.error(`doom setup: ${result.reason}`);
    process.exit(1);
  }
}
