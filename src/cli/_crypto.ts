/**
 * The CLI's `--crypto`: pvmkit's crypto extension, imported only when a command asks for
 * it. Its curve libraries take ~50 ms to load, which every other command would pay at
 * start-up if the import were static.
 *
 * @module
 */
import type { HostFunctionSpec } from "../host/host.ts";

/** The crypto extension's host functions (src/host/crypto.ts), loaded on first use. */
export async function loadCryptoFunctions(): Promise<HostFunctionSpec[]> {
  const { cryptoHostFunctions } = await import("../host/crypto.ts");
  return cryptoHostFunctions();
}
