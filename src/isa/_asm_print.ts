/**
 * Text formatting for the disassembler: numbers in the base that reads best, and byte
 * lists as the assembler's byte-list syntax (numbers, strings, `hex"…"`).
 *
 * @module
 */

/**
 * A non-negative number: decimal when small or irregular, hex when it looks like an
 * address, a size or a mask (a multiple of 4096, or at least 2^24).
 *
 * @example
 * ```ts
 * import { formatMagnitude } from "./_asm_print.ts";
 * console.log(formatMagnitude(65536), formatMagnitude(100), formatMagnitude(2n ** 64n - 1n)); // 0x10000 100 0xffffffffffffffff
 * ```
 */
export function formatMagnitude(u: number | bigint): string {
  const big = BigInt(u);
  if (big < 65536n) return String(u);
  return big % 4096n === 0n || big >= 0x1000000n ? "0x" + big.toString(16) : String(u);
}

/**
 * A 32-bit immediate (signed): small or irregular values in decimal, values that look
 * like addresses or masks in hex; negative ones with a minus sign, since the machine
 * sign-extends them.
 *
 * @example
 * ```ts
 * import { formatImm } from "./_asm_print.ts";
 * console.log(formatImm(-24), formatImm(5555555), formatImm(-65536), formatImm(0x20000)); // -24 5555555 -0x10000 0x20000
 * ```
 */
export function formatImm(value: number): string {
  return value < 0 ? "-" + formatMagnitude(-value) : formatMagnitude(value);
}

/**
 * A 64-bit immediate (given unsigned): as {@link formatImm}, with values at the top of
 * the range (within 2^32 of 2^64) shown as negative numbers.
 *
 * @example
 * ```ts
 * import { formatImm64 } from "./_asm_print.ts";
 * console.log(formatImm64(42n), formatImm64(2n ** 64n - 1n), formatImm64(0x139408dcbbf7a44n)); // 42 -1 0x139408dcbbf7a44
 * ```
 */
export function formatImm64(value: bigint): string {
  const negative = 2n ** 64n - value;
  return negative <= 2n ** 32n ? "-" + formatMagnitude(negative) : formatMagnitude(value);
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/**
 * A short byte list as `0x..` numbers, a longer one as one `hex"…"` literal.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./_asm_print.ts";
 * console.log(formatBytes(new Uint8Array([0x97, 0xf9, 13]))); // 0x97, 0xf9, 0x0d
 * ```
 */
export function formatBytes(bytes: Uint8Array): string {
  if (bytes.length > 8) return `hex"${Array.from(bytes, hex2).join("")}"`;
  return Array.from(bytes, (b) => "0x" + hex2(b)).join(", ");
}

const isText = (b: number) => (b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13;
const isPrintable = (b: number) => b >= 0x20 && b < 0x7f;
const ESCAPED: Record<number, string> = { 9: "\\t", 10: "\\n", 13: "\\r", 34: '\\"', 92: "\\\\" };

/**
 * Data bytes as byte-list items: runs of at least four text characters as strings, the
 * rest as `hex"…"`.
 *
 * @example
 * ```ts
 * import { formatData } from "./_asm_print.ts";
 * console.log(formatData(new TextEncoder().encode("\x05jam-game 0.1"))); // hex"05", "jam-game 0.1"
 * ```
 */
export function formatData(bytes: Uint8Array): string {
  const items: string[] = [];
  let binaryStart = 0;
  let i = 0;
  while (i < bytes.length) {
    let j = i;
    if (isPrintable(bytes[i])) { while (j < bytes.length && isText(bytes[j])) j++; }
    if (j - i < 4) {
      i++;
      continue;
    }
    if (binaryStart < i) items.push(`hex"${Array.from(bytes.subarray(binaryStart, i), hex2).join("")}"`);
    items.push(`"${Array.from(bytes.subarray(i, j), (b) => ESCAPED[b] ?? String.fromCharCode(b)).join("")}"`);
    binaryStart = i = j;
  }
  if (binaryStart < bytes.length) items.push(`hex"${Array.from(bytes.subarray(binaryStart), hex2).join("")}"`);
  return items.join(", ");
}
