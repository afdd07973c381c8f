// The browser page in examples/browser/, in headless Chromium: build the bundle, serve the
// page from 127.0.0.1, run fib(30) on the recompiler, check what the page shows, and take a
// screenshot (written to .browser-test/, checked to be a real PNG showing the result).
//
// Node only (playwright-core drives the browser); skipped under Deno and Bun. Chromium is
// Debian's /usr/bin/chromium (or $PVMKIT_CHROMIUM). If it is missing and the test runs as
// root with CI or PVMKIT_BROWSER_SETUP=1 set, it runs `apt-get update` and
// `apt-get install -y chromium` first; otherwise, or if that fails, the test is skipped
// with the reason (never failed for a missing browser).
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const pageDir = join(root, "examples", "browser");
const outDir = join(root, ".browser-test");
const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const runtimeSkip = "Deno" in globalThis
  ? "browser test runs under Node only (playwright-core); skipped under Deno"
  : "Bun" in globalThis
  ? "browser test runs under Node only (playwright-core); skipped under Bun"
  : false;

/** Run a command, its output shown as test diagnostics; resolves to whether it exited with 0. */
function runCommand(t: TestContext, command: string, args: string[], timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    t.diagnostic(`browser setup: ${command} ${args.join(" ")}`);
    const child = spawn(command, args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let tail = "";
    const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => {
      t.diagnostic(`browser setup: ${command} failed to start: ${error.message}`);
      done(false);
    });
    child.on("close", (code, signal) => {
      if (code !== 0) {
        t.diagnostic(`browser setup: ${command} ended with ${signal ?? `exit ${code}`}; last output:\n${tail}`);
      }
      done(code === 0);
    });
  });
}

/** The Chromium executable, installing Debian's package if allowed; or why there is none. */
async function findChromium(t: TestContext): Promise<{ path: string } | { skip: string }> {
  const path = process.env.PVMKIT_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (existsSync(path)) return { path };
  const root = process.getuid?.() === 0;
  const allowed = Boolean(process.env.CI) || process.env.PVMKIT_BROWSER_SETUP === "1";
  if (path !== DEFAULT_CHROMIUM || !root || !allowed) {
    const why = path !== DEFAULT_CHROMIUM
      ? "PVMKIT_CHROMIUM is set"
      : !root
      ? "not running as root"
      : "neither CI nor PVMKIT_BROWSER_SETUP=1 is set";
    return {
      skip: `no Chromium at ${path}; not installing it (${why}). ` +
        `Install Debian's chromium, or run as root with PVMKIT_BROWSER_SETUP=1 to let the test do it`,
    };
  }
  const installed = await runCommand(t, "apt-get", ["update"], 5 * 60_000) &&
    await runCommand(t, "apt-get", ["install", "-y", "chromium"], 10 * 60_000);
  if (installed && existsSync(path)) return { path };
  return { skip: `no Chromium at ${path}, and \`apt-get install -y chromium\` did not provide it (see diagnostics)` };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

/** A static file server for `dir` on 127.0.0.1 (a free port); resolves to it and its base URL. */
function serve(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = resolve(dir, "." + (pathname.endsWith("/") ? pathname + "index.html" : pathname));
    const inside = file.startsWith(dir + sep);
    if (request.method !== "GET" || !inside || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(inside ? 404 : 403).end();
      return;
    }
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    response.end(readFileSync(file));
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return fail(new Error("no TCP address"));
      done({ server, base: `http://127.0.0.1:${address.port}` });
    });
  });
}

/** Width, height and every pixel (RGBA) of an 8-bit RGB or RGBA, non-interlaced PNG. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...png.subarray(0, 8)], signature, "PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, colorType = 0;
  const data: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      colorType = body[9];
      assert.equal(body[8], 8, "bit depth");
      assert.ok(colorType === 2 || colorType === 6, `colour type ${colorType}`);
      assert.equal(body[12], 0, "not interlaced");
    } else if (type === "IDAT") {
      data.push(body);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  assert.equal(raw.length, height * (stride + 1), "image data size");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = above[x];
      const c = x >= channels ? above[x - channels] : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, "PNG filter type");
      out[x] = (line[x] + predicted) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(pixels.subarray(i * channels, i * channels + 3), i * 4);
    rgba[i * 4 + 3] = channels === 4 ? pixels[i * channels + 3] : 255;
  }
  return { width, height, rgba };
}

/** fib(n), computed here without the PVM. */
function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe("browser page (examples/browser/) in headless Chromium", () => {
  if (runtimeSkip) console.log(`# browser test skipped: ${runtimeSkip}`);
  it("runs fib(30) on the recompiler and shows exit, registers and disassembly", {
    skip: runtimeSkip,
    timeout: 20 * 60_000, // the first run may install Chromium with apt-get
  }, async (t) => {
    const chromium = await findChromium(t);
    if ("skip" in chromium) {
      console.error(`browser test skipped: ${chromium.skip}`);
      t.skip(chromium.skip);
      return;
    }
    const started = Date.now();
    const { buildBrowser } = await import("../scripts/build-browser.mjs");
    await buildBrowser({ quiet: true });
    const { chromium: playwright } = await import("playwright-core");
    const { server, base } = await serve(pageDir);
    const browser = await playwright.launch({ executablePath: chromium.path, args: CHROMIUM_ARGS, timeout: 30_000 });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      page.setDefaultTimeout(20_000);
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console error: ${message.text()}`);
      });
      page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
      });

      await page.goto(`${base}/index.html`);
      await page.waitForSelector("body[data-state=ready]");
      const examples = await page.$$eval("#example option", (options) => options.map((o) => o.textContent));
      assert.ok(examples.includes("fibonacci.pvmasm"), `examples offered: ${examples.join(", ")}`);

      // fib(30) on the recompiler, compared with the interpreter.
      await page.selectOption("#example", "fibonacci.pvmasm");
      await page.fill("#registers", "7=30");
      await page.fill("#gas", "10_000_000"); // the page takes `_` separators, like the CLI
      await page.check("#compare");
      await page.click("#run");
      await page.waitForSelector("body[data-state=done], body[data-state=error]");
      const text = (selector: string) => page.locator(selector).innerText();
      assert.equal(await page.getAttribute("body", "data-state"), "done", await text("#error"));

      const expected = fib(30);
      assert.equal(expected, 832040n);
      assert.equal(await text("#exit-kind"), "halt");
      // 3 load_imm + fallthrough, 30 rounds of 5 instructions, then the taken branch, move_reg, jump_ind.
      assert.equal(await text("#gas-used"), (3 + 1 + 30 * 5 + 3).toLocaleString("en-US"));
      assert.equal(await text("#r7 td:nth-child(2)"), "0x" + expected.toString(16).padStart(16, "0"));
      assert.equal(await text("#r7 td:nth-child(3)"), expected.toString());
      assert.equal(await text("#r9 td:nth-child(3)"), fib(31).toString());
      assert.equal(await page.locator("#registers-table tbody tr").count(), 13);
      assert.match(await text("#compare-result"), /^same exit, gas and registers/);

      // The disassembly, with the halting jump_ind highlighted at the exit pc.
      const listing = await text("#disassembly");
      for (const line of ["load_imm r9, 1", "add_64 r9, r8, r9", "sub_64 r8, r9, r8", "move_reg r7, r8"]) {
        assert.ok(listing.includes(line), `disassembly lacks ${line}:\n${listing}`);
      }
      const highlighted = page.locator("#disassembly .exit-here");
      assert.equal(await highlighted.count(), 1);
      assert.match(await highlighted.innerText(), /jump_ind r0, 0/);
      assert.equal(await highlighted.getAttribute("data-pc"), await text("#exit-pc"));

      // The screenshot: a real PNG of the page, showing the highlighted exit line.
      mkdirSync(outDir, { recursive: true });
      const shot = join(outDir, "fibonacci.png");
      await page.screenshot({ path: shot, fullPage: true });
      const png = new Uint8Array(readFileSync(shot));
      assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
      const { width, height, rgba } = decodePng(png);
      assert.equal(width, 1280);
      assert.ok(height >= 600 && height < 10_000, `screenshot height ${height}`);
      const colours = new Set<number>();
      let highlight = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        colours.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
        if (rgba[i] === 0xff && rgba[i + 1] === 0xe0 && rgba[i + 2] === 0x8a) highlight++; // #ffe08a
      }
      assert.ok(colours.size > 50, `only ${colours.size} distinct colours`);
      assert.ok(highlight > 1000, `the exit-line highlight covers only ${highlight} pixels`);
      t.diagnostic(`screenshot ${shot}: ${width}×${height}, ${png.length} bytes, ${colours.size} colours`);

      // The example with host calls: the page answers log and byte_sum.
      await page.selectOption("#example", "host-calls.pvmasm");
      await page.selectOption("#host-calls", "answer");
      await page.click("#run");
      await page.waitForSelector("body[data-state=done], body[data-state=error]");
      assert.equal(await text("#exit-kind"), "halt", await text("#error"));
      const message = "hello from the PVM";
      const sum = [...new TextEncoder().encode(message)].reduce((s, b) => s + b, 0);
      assert.equal(await text("#r7 td:nth-child(3)"), String(sum));
      assert.match(await text("#host-log"), new RegExp(`\\[pvmkit-example\\] ${message}`));
      assert.equal(await text("#host-count"), "2 answered");

      // The built page also works opened straight from disk.
      await page.goto(pathToFileURL(join(pageDir, "index.html")).href);
      await page.waitForSelector("body[data-state=ready]");

      assert.deepEqual(problems, []);
      t.diagnostic(`browser part took ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.ok(Date.now() - started < 60_000, "the browser part should take under a minute");
    } finally {
      await browser.close();
      await new Promise((done) => server.close(done));
    }
  });
});
