/**
 * The package version: the one constant the CLI and library report. A test checks it
 * against the `version` fields of package.json and deno.json, so bump all three together.
 *
 * @module
 */

/** pvmkit's version (semver). */
export const VERSION = "0.1.0";
