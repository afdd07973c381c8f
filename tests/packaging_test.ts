// Packaging: what a user gets from JSR and npm. `deno publish --dry-run` must pass without
// the network; the tarball `npm pack` makes is installed into a throw-away project, offline
// (npm takes any runtime dependency from its cache, which installing the checkout filled),
// and its `pvmkit` bin is run through npx, bun x and deno, and the package is imported by name.
//
// The manifest checks run everywhere; the rest runs under Node only: it spawns npm, bun and
// deno itself, so running it again from the Deno and Bun passes would only repeat the work.
// `npm pack` builds dist/ (through "prepack") in a copy of the checkout, so the checkout's
// own dist/ is left alone; that build is most of the time this file takes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { VERSION } from "../src/version.ts";

const runtime = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : "Node";
const skip = runtime === "Node"
  ? false
  : `spawns npm, npx, bun and deno itself, so it runs only in the Node pass (this is ${runtime})`;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const DENO = join(BIN, "deno");
const BUN = join(BIN, "bun");
const TSC = join(BIN, "tsc");

// Nothing here may reach a registry. npm runs in offline mode (cache only; it keeps its
// registry setting, since cache entries are keyed by registry address). Deno and Bun must
// resolve everything from the project's node_modules, so their registry is a closed local
// port: a lookup fails at once instead of downloading something.
const NO_REGISTRY = "http://127.0.0.1:9/";
const npmEnv: Record<string, string | undefined> = {
  ...process.env,
  NO_COLOR: "1",
  npm_config_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};
delete npmEnv.FORCE_COLOR;
const toolEnv = { ...npmEnv, NPM_CONFIG_REGISTRY: NO_REGISTRY, BUN_CONFIG_REGISTRY: NO_REGISTRY };

interface Result {
  code: number | null;
  out: string;
  err: string;
}

/** Run a command to completion and collect its exit code and output. */
function run(cmd: string, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env = cmd === DENO || cmd === BUN ? toolEnv : npmEnv;
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => out += chunk);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => err += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Run a command and fail with its output unless it exits with 0; returns stdout. */
async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  assert.equal(r.code, 0, `${basename(cmd)} ${args.join(" ")} exited with ${r.code}\n${r.out}\n${r.err}`);
  return r.out;
}

// A generic blob: load_imm r7, 5 ; add_imm_64 r8, r7, 10 ; jump_ind r0, 0 (halts with r0 = 0xffff0000).
const ADD_BLOB = [0, 0, 8, 51, 0x07, 5, 149, 0x78, 10, 50, 0x00, 0b01001001];
// The same kind of program as assembly, halting on its own: r7 = 6 * 7.
const SIX_BY_SEVEN = "load_imm r0, 0xffff0000\nload_imm r7, 6\nmul_imm_64 r7, r7, 7\njump_ind r0, 0\n";
// A script that imports the package by name and runs a tiny blob (load_imm r7, 42 ; jump_ind r0).
const IMPORT_SCRIPT = `import { Module } from "pvmkit";
const bytes = new Uint8Array([0, 0, 5, 51, 7, 42, 50, 0, 0b01001]);
const vm = Module.load(bytes).instantiate({ gas: 100n, registers: [0xffff0000n] });
const exit = vm.run();
console.log(exit.kind, String(vm.getRegister(7)), String(exit.gas));
`;

describe("package manifests", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));

  it("package.json: the bin exists and runs on node; exports point into dist/; files ship bin/ and dist/", () => {
    const bin = readFileSync(join(ROOT, pkg.bin.pvmkit), "utf8");
    assert.ok(bin.startsWith("#!/usr/bin/env node\n"), "the bin needs a node shebang");
    assert.equal(pkg.exports["."].import, "./dist/mod.js");
    assert.equal(pkg.exports["."].types, "./dist/mod.d.ts");
    assert.equal(pkg.exports["./crypto"].import, "./dist/crypto.js");
    assert.equal(pkg.exports["./crypto"].types, "./dist/crypto.d.ts");
    assert.ok(pkg.files.includes("bin/") && pkg.files.includes("dist/"));
    assert.ok(pkg.files.includes("!dist/pvmkit-bin"), "the standalone binary must stay out of the npm package");
    assert.equal(pkg.scripts.prepack, "npm run build");
  });

  it("deno.json: the exports exist and are published", () => {
    assert.deepEqual(deno.exports, { ".": "./mod.ts", "./crypto": "./crypto.ts", "./cli": "./cli.ts" });
    for (const target of Object.values(deno.exports) as string[]) {
      const file = target.replace(/^\.\//, "");
      assert.ok(existsSync(join(ROOT, file)), `${file} is missing`);
      assert.ok(deno.publish.include.includes(file), `${file} is not in publish.include`);
    }
    assert.ok(deno.publish.include.includes("src/"));
  });
});

const TOP_LEVEL_SKIPPED = new Set(["node_modules", "dist", ".git", ".bench-out", "coverage"]);

describe("packaging", { skip }, () => {
  let dir = "";
  let project = "";
  let packed: { filename: string; files: { path: string }[] };
  let publish: Promise<Result>;

  before(async () => {
    // Type-checking for `deno publish` and building for `npm pack` each take a while: overlap them.
    publish = run(DENO, ["publish", "--dry-run", "--allow-dirty"], ROOT);
    dir = mkdtempSync(join(tmpdir(), "pvmkit-pack-"));
    // A copy of the checkout (what `npm pack` would see, minus build output and tools), with
    // the checkout's node_modules linked in for tsc.
    const copy = join(dir, "checkout");
    cpSync(ROOT, copy, {
      recursive: true,
      filter: (source) => {
        const relative = source.slice(ROOT.length).replace(/^[/\\]+/, "");
        const top = relative.split(/[/\\]/)[0];
        return !TOP_LEVEL_SKIPPED.has(top) && !relative.endsWith(".tgz");
      },
    });
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
    const json = await ok("npm", ["pack", "--json", "--pack-destination", dir], copy);
    packed = JSON.parse(json.slice(json.indexOf("[")))[0];

    project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "project", private: true, type: "module" }));
    await ok("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, packed.filename)], project);
    writeFileSync(join(project, "add.pvm"), new Uint8Array(ADD_BLOB));
    writeFileSync(join(project, "six.pvmasm"), SIX_BY_SEVEN);
    writeFileSync(join(project, "import.mjs"), IMPORT_SCRIPT);
  }, { timeout: 120_000 });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deno publish --dry-run passes offline and would publish mod.ts, cli.ts and src/", async () => {
    const r = await publish;
    const text = r.out + r.err;
    assert.equal(r.code, 0, text);
    assert.match(text, /Simulating publish of @pvmkit\/pvmkit@/);
    assert.match(text, /Dry run complete/);
    for (const file of ["mod.ts", "cli.ts", "src/engine.ts", "deno.json"]) {
      assert.ok(text.includes(`${ROOT}${file} (`), `${file} is not in the published files`);
    }
    assert.ok(!text.includes(`${ROOT}tests/`), "tests are published");
    assert.doesNotMatch(text, /^error/m);
  });

  it("npm pack ships bin/, dist/ and README.md, and no sources, tests or tools", () => {
    const paths = packed.files.map((f) => f.path);
    const shipped = ["bin/pvmkit.mjs", "dist/mod.js", "dist/mod.d.ts", "dist/cli.js", "dist/crypto.js", "README.md"];
    // @noble/hashes is bundled into dist/: its license goes with it.
    for (const file of [...shipped, "dist/THIRD_PARTY_LICENSES.txt", "package.json"]) {
      assert.ok(paths.includes(file), `${file} is not in the tarball`);
    }
    const unexpected = paths.filter((p) => !/^(bin|dist)\//.test(p) && !/^(README\.md|LICENSE|package\.json)$/.test(p));
    assert.deepEqual(unexpected, []);
    assert.ok(!paths.some((p) => /_test\.|node_modules|\.bench-out|\.tgz$/.test(p)));
  });

  it("the install brings the runtime dependencies and none of the development tools", () => {
    const manifest = JSON.parse(readFileSync(join(project, "node_modules", "pvmkit", "package.json"), "utf8"));
    assert.equal(manifest.version, VERSION);
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      assert.ok(existsSync(join(project, "node_modules", name, "package.json")), `${name} was not installed`);
    }
    for (const name of Object.keys(manifest.devDependencies ?? {})) {
      assert.ok(!existsSync(join(project, "node_modules", name)), `${name} (a dev dependency) was installed`);
    }
  });

  it("npx runs the installed bin: --version, a blob and an assembly file", async () => {
    assert.equal(await ok("npx", ["--no-install", "pvmkit", "--version"], project), `pvmkit ${VERSION}\n`);

    const text = await ok("npx", ["--no-install", "pvmkit", "run", "add.pvm", "--regs", "0=0xffff0000"], project);
    assert.match(text, /^exit +halt$/m);
    assert.match(text, /^ +r8 +0x000000000000000f +15$/m);

    const json = JSON.parse(await ok("npx", ["--no-install", "pvmkit", "run", "six.pvmasm", "--json"], project));
    assert.equal(json.exit, "halt");
    assert.equal(json.changed.r7, "42");
  });

  it("bun x finds the installed bin (run by Node, and by Bun with --bun)", async () => {
    assert.equal(await ok(BUN, ["x", "--no-install", "pvmkit", "--version"], project), `pvmkit ${VERSION}\n`);
    const json = JSON.parse(
      await ok(
        BUN,
        ["x", "--no-install", "--bun", "pvmkit", "run", "add.pvm", "--regs", "0=0xffff0000", "--json"],
        project,
      ),
    );
    assert.equal(json.exit, "halt");
    assert.deepEqual(json.changed, { r7: "5", r8: "15" });
    // Proof that it was the project's copy: without one, --no-install has nothing to run.
    const empty = join(dir, "empty");
    mkdirSync(empty, { recursive: true });
    const r = await run(BUN, ["x", "--no-install", "pvmkit", "--version"], empty);
    assert.notEqual(r.code, 0, r.out);
  });

  it("deno runs the bin as npm:pvmkit from the project's node_modules, and by its path", async () => {
    assert.equal(
      await ok(DENO, ["run", "-A", "--node-modules-dir=manual", "npm:pvmkit", "--version"], project),
      `pvmkit ${VERSION}\n`,
    );
    const text = await ok(DENO, ["run", "-A", "npm:pvmkit", "run", "add.pvm", "--regs", "0=0xffff0000"], project);
    assert.match(text, /^exit +halt$/m);
    assert.match(text, /^ +r7 +0x0000000000000005 +5$/m);
    const bin = join(project, "node_modules", "pvmkit", "bin", "pvmkit.mjs");
    assert.equal(await ok(DENO, ["run", "-A", bin, "--version"], project), `pvmkit ${VERSION}\n`);
  });

  it("imports by name and runs a program on Node, Bun and Deno", async () => {
    assert.equal(await ok(process.execPath, ["import.mjs"], project), "halt 42 98\n");
    assert.equal(
      await ok(process.execPath, ["-e", "import('pvmkit').then((m) => console.log(typeof m.Module.load))"], project),
      "function\n",
    );
    assert.equal(await ok(BUN, ["import.mjs"], project), "halt 42 98\n");
    assert.equal(await ok(DENO, ["run", "-A", "import.mjs"], project), "halt 42 98\n");
  });

  it("TypeScript finds the package's types by name", async () => {
    writeFileSync(
      join(project, "typed.ts"),
      `import { type Exit, Module } from "pvmkit";\n` +
        `const vm = Module.load(new Uint8Array([0, 0, 1, 0, 1])).instantiate({ gas: 1n });\n` +
        `const exit: Exit = vm.run();\n` +
        `const gas: bigint = exit.gas + vm.getRegister(7);\n` +
        `// @ts-expect-error: a pc is a number (this line fails the check if the types came out as any)\n` +
        `const pc: string = exit.pc;\n` +
        `export { gas, pc };\n`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2022", "dom"],
          types: [],
        },
        files: ["typed.ts"],
      }),
    );
    await ok(TSC, ["-p", "."], project);
  });
});
