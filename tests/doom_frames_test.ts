// DOOM (doom.polkavm, 32-bit PolkaVM ISA) with freedoom1.wad, headless: start-up, the
// first frames, and the menu opened with Escape and moved with the down arrow give
// identical frames (hashes), audio and console output on the interpreter and on the
// recompiler; the first frames are the Freedoom title screen (mostly red, 640×400); and a
// PNG of it is written to .doom-test/ and decodes back to the same pixels.
//
// The WAD comes from Debian's freedoom package: examples/doom/setup.mjs installs it with
// apt-get when it is missing and the test runs as root; otherwise the test is skipped.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { DOOM_KEYS, DoomHost } from "../examples/doom/doom_host.ts";
import { encodePng } from "../examples/doom/png.ts";
import { ensureWad } from "../examples/doom/setup.mjs";
import { sharedPath } from "./_shared.ts";

const programPath = sharedPath("programs", "polkavm", "doom.polkavm");
const wad = programPath ? ensureWad() : { reason: "doom.polkavm is absent" };
const skip = "path" in wad ? false : `no freedoom1.wad: ${wad.reason}`;
const FRAMES = 3;

function run(backend: "interpreter" | "recompiler") {
  const stdout: string[] = [];
  const host = DoomHost.create(readFileSync(programPath!), readFileSync((wad as { path: string }).path), {
    backend,
    onStdout: (text) => stdout.push(text),
  });
  host.initialize();
  const hashes: string[] = [];
  const frame = () => {
    host.tick();
    hashes.push(createHash("sha256").update(host.rgba).digest("hex"));
  };
  for (let i = 0; i < FRAMES; i++) frame();
  const title = new Uint8Array(host.rgba);
  // Escape opens DOOM's menu over the title screen; then the cursor moves down.
  host.key(DOOM_KEYS.escape, true);
  host.key(DOOM_KEYS.escape, false);
  frame();
  frame();
  const menu = new Uint8Array(host.rgba);
  host.key(DOOM_KEYS.down, true);
  host.key(DOOM_KEYS.down, false);
  frame();
  frame();
  return { host, hashes, stdout: stdout.join(""), title, menu };
}

/** Pixels from a PNG written by encodePng (RGBA, filter 0 on every row). */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8, width = 0, height = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") [width, height] = [view.getUint32(at + 8), view.getUint32(at + 12)];
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 4 + 1)], 0);
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba };
}

describe("DOOM headless", { skip }, () => {
  it(`the first ${FRAMES} frames and the menu are identical on both backends`, { timeout: 120_000 }, async () => {
    const a = run("interpreter");
    const b = run("recompiler");
    assert.deepEqual(b.hashes, a.hashes);
    // The keys changed the picture: the menu appeared, then its cursor moved.
    assert.notDeepEqual(a.menu, a.title);
    assert.notEqual(a.hashes[FRAMES + 3], a.hashes[FRAMES + 1]);
    assert.equal(b.host.audioSamples, a.host.audioSamples);
    assert.equal(b.stdout, a.stdout);
    assert.match(a.stdout, /Freedoom: Phase 1|FREEDOOM|freedoom/i);
    const host = { width: b.host.width, height: b.host.height, rgba: b.title };
    assert.equal(host.width, 640);
    assert.equal(host.height, 400);
    // Freedoom's title picture: a red backdrop behind the figure and the logo.
    let red = 0, other = 0;
    for (let i = 0; i < host.rgba.length; i += 4) {
      const [r, g, bl, alpha] = host.rgba.subarray(i, i + 4);
      assert.equal(alpha, 255);
      if (r > 2 * g && r > 2 * bl && r > 64) red++;
      else other++;
    }
    assert.ok(red > 0.4 * (red + other), `red pixels ${red} of ${red + other}`);
    assert.ok(other > 0.05 * (red + other), `non-red pixels ${other}`);
    const png = await encodePng(host.rgba, host.width, host.height);
    mkdirSync(".doom-test", { recursive: true });
    writeFileSync(".doom-test/title.png", png);
    writeFileSync(".doom-test/menu.png", await encodePng(b.menu, host.width, host.height));
    const decoded = decodePng(png);
    assert.equal(decoded.width, 640);
    assert.equal(decoded.height, 400);
    assert.deepEqual(decoded.rgba, host.rgba);
  });
});
