/**
 * The example programs, put into the bundle by scripts/build-browser.mjs: the text of
 * every examples/*.pvmasm, sorted by name.
 *
 * @module
 */
declare module "pvmkit:examples" {
  /** One example: its file name and assembly source. */
  export interface ExampleSource {
    readonly name: string;
    readonly source: string;
  }
  export const EXAMPLES: readonly ExampleSource[];
}
