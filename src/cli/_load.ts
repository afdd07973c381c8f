/**
 * Reading a program file for the CLI: bytes from disk (or assembled from a `.pvmasm`
 * source), parsed with {@link Module.load}, malformed input turned into a one-line
 * {@link InputError}.
 *
 * @module
 */
import { Module, type ProgramFormat } from "../engine.ts";
import { ProgramError } from "../program/errors.ts";
import { InputError, readBytes } from "./_args.ts";
import { assembleFile } from "./asm.ts";

/** Load the program in `path` (format auto-detected unless forced); `.pvmasm` sources are assembled first. */
export function loadModule(path: string, format: ProgramFormat): Promise<Module> {
  const bytes = path.toLowerCase().endsWith(".pvmasm") ? assembleFile(path) : readBytes(path);
  try {
    return Promise.resolve(Module.load(bytes, { format }));
  } catch (error) {
    if (error instanceof ProgramError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
}
