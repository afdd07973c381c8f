// The DOOM page (examples/doom/browser/) in headless Chromium: bundle it, serve it from
// 127.0.0.1 with doom.polkavm and freedoom1.wad (read from where they are, never copied),
// wait for the title screen, press keys (Escape opens DOOM's menu, the arrows move in it),
// and check the canvas changed and the page draws at least 35 frames per second.
//
// Node only (playwright-core); skipped under Deno and Bun, without Chromium
// (/usr/bin/chromium or $PVMKIT_CHROMIUM) or without the WAD (examples/doom/setup.mjs
// installs Debian's freedoom when running as root).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ensureWad } from "../examples/doom/setup.mjs";
import { sharedPath } from "./_shared.ts";

const pageDir = fileURLToPath(new URL("../examples/doom/browser", import.meta.url));
const chromiumPath = process.env.PVMKIT_CHROMIUM ?? "/usr/bin/chromium";
const programPath = sharedPath("programs", "polkavm", "doom.polkavm");
const runtimeSkip = "Deno" in globalThis || "Bun" in globalThis ? "runs under Node only (playwright-core)" : false;
const wad = runtimeSkip || !programPath ? undefined : ensureWad();
const skip = runtimeSkip ||
  (!programPath
    ? "doom.polkavm not found"
    : !wad || !("path" in wad)
    ? `no freedoom1.wad: ${wad && "reason" in wad ? wad.reason : "?"}`
    : !existsSync(chromiumPath)
    ? `no Chromium at ${chromiumPath}`
    : false);

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };

/** Serve the page directory, plus /doom.polkavm and /freedoom1.wad from their own paths. */
function serve(files: Record<string, string>): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = files[pathname] ?? resolve(pageDir, "." + (pathname === "/" ? "/index.html" : pathname));
    if (!(files[pathname] || file.startsWith(pageDir + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const type = TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
    response.writeHead(200, { "content-type": type }).end(readFileSync(file));
  });
  return new Promise((done) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      done({ server, base: `http://127.0.0.1:${address.port}` });
    });
  });
}

describe("DOOM page in headless Chromium", { skip }, () => {
  it("plays: keys change the picture, at least 35 frames/s", { timeout: 180_000 }, async () => {
    const { buildDoomPage } = await import("../examples/doom/browser/build.mjs");
    await buildDoomPage({ quiet: true });
    const { chromium } = await import("playwright-core");
    const { server, base } = await serve({
      "/doom.polkavm": programPath!,
      "/freedoom1.wad": (wad as { path: string }).path,
    });
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      await page.goto(`${base}/index.html`);
      await page.waitForSelector("body[data-state=running]", { timeout: 60_000 });
      await page.waitForFunction(() => Number(document.body.dataset.frames) > 5, undefined, { timeout: 60_000 });
      const canvasHash = async () => {
        const url = await page.evaluate(() => (document.getElementById("screen") as HTMLCanvasElement).toDataURL());
        return createHash("sha256").update(url).digest("hex");
      };
      await page.waitForTimeout(1000);
      const title = await canvasHash();
      await page.click("#screen");
      await page.keyboard.press("Escape"); // DOOM's main menu over the title screen
      await page.waitForTimeout(700);
      const menu = await canvasHash();
      assert.notEqual(menu, title, "the canvas did not change after Escape");
      await page.keyboard.press("ArrowDown"); // the skull cursor moves
      await page.waitForTimeout(700);
      assert.notEqual(await canvasHash(), menu, "the canvas did not change after ArrowDown");
      mkdirSync(".doom-test", { recursive: true });
      await page.locator("#screen").screenshot({ path: ".doom-test/browser-menu.png" });
      // Frames per second, once warmed up: the best of a few one-second readings.
      let fps = 0;
      for (let i = 0; i < 8 && fps < 35; i++) {
        await page.waitForTimeout(1000);
        fps = Math.max(fps, Number(await page.getAttribute("body", "data-fps")));
      }
      assert.equal(await page.getAttribute("body", "data-state"), "running", await page.locator("#error").innerText());
      assert.ok(fps >= 35, `only ${fps} frames/s`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
