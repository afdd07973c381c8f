/**
 * Helpers of the CLI tests: run `pvmkit` in-process with captured output, and write input
 * files into a temporary directory that is removed after the test file.
 */
import { after } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.ts";
import { captureIo } from "../src/cli/_output.ts";

/** Run the CLI with `argv`: its exit code, stdout and stderr text, and stdout bytes. */
export async function runCli(
  ...argv: string[]
): Promise<{ code: number; out: string; err: string; bytes: Uint8Array }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err(), bytes: io.outBytes() };
}

/** A fresh temporary directory (removed after the test file) and a writer of files in it. */
export function tempFiles(prefix: string): {
  dir: string;
  file: (name: string, content: number[] | Uint8Array | string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: number[] | Uint8Array | string) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === "string" ? content : new Uint8Array(content));
    return path;
  };
  return { dir, file };
}
