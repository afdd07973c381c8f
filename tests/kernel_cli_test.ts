// `pvmkit run FILE.jar` and `pvmkit inspect FILE.jar`: format detection by magic, the
// kernel's report (fib(10) = 55 with 177 VMs, minimal.pvm's 107 gas), --trace-caps,
// exit codes (0 halt, 1 guest failure, 2 malformed blob).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { jarOf } from "./_kernel.ts";
import { sharedPath } from "./_shared.ts";
import { runCli as cli, tempFiles } from "./_cli.ts";

const { file } = tempFiles("pvmkit-jar-");

describe("pvmkit run FILE.jar", () => {
  it("runs through the kernel: φ7 at halt, gas, VMs; --json", async () => {
    const path = file("answer.jar", jarOf("load_imm r7, 42\necalli 0"));
    const text = await cli("run", path);
    assert.equal(text.code, 0);
    assert.match(text.out, /exit: halt, φ7 = 42/);
    assert.match(text.out, /VMs created: 1/);
    const json = await cli("run", path, "--json", "--backend", "recompiler");
    assert.equal(JSON.parse(json.out).value, "42");
  });
  it("detects the magic without the .jar extension; a trap exits 1; --trace-caps logs to stderr", async () => {
    const path = file("trap.bin", jarOf("load_imm r7, 5\ntrap"));
    const { code, out } = await cli("run", path);
    assert.equal(code, 1);
    assert.match(out, /exit: panic/);
    const traced = await cli("run", file("reply.jar", jarOf("ecalli 0")), "--trace-caps");
    assert.match(traced.err, /vm 0: root replies 0: halt/);
  });
  it("a malformed blob is a usage/input error (exit 2) naming the offset", async () => {
    const bad = jarOf("ecalli 0");
    bad[11] = 9; // cap type of entry 0
    const { code, err } = await cli("run", file("bad.jar", bad));
    assert.equal(code, 2);
    assert.match(err, /at byte 11: entry 0: cap type 9/);
  });
  const shared = sharedPath("vectors", "javm");
  it("fib_recur.jar --op 10 → 55 with 177 VMs; minimal.pvm uses 107 gas", { skip: !shared }, async () => {
    const fib = await cli("run", join(shared!, "derived", "fib_recur.jar"), "--op", "10");
    assert.match(fib.out, /φ7 = 55/);
    assert.match(fib.out, /VMs created: 177/);
    const minimal = await cli("run", join(shared!, "accumulate-jar1", "blobs", "minimal.pvm"), "--op", "1");
    assert.match(minimal.out, /gas used: 107 \(init page fee 31500/);
  });
});

describe("pvmkit run FILE.jar: protocol calls (§9.3)", () => {
  it("--input is fetched, --storage is read, writes and the OUTPUT hash are reported", async () => {
    // FETCH input #0 into the args page; STORAGE_R key [0x6b] (at offset 100) to offset 200;
    // STORAGE_W key [0x6b] ← the fetched 3 bytes; OUTPUT the 32 bytes at offset 0.
    const set = (r7: number, r8: number, r9: number, r10: number) =>
      `load_imm r7, ${r7}\nload_imm r8, ${r8}\nload_imm r9, ${r9}\nload_imm r10, ${r10}\nload_imm r12, 0`;
    const source = [
      `${set(15, 0, 0, 32)}\necalli 2`,
      `load_imm r1, 0x10000\nstore_imm_ind_u8 r1, 100, 0x6b`,
      `${set(100, 1, 200, 8)}\necalli 4\nmove_reg r6, r7`,
      `${set(100, 1, 0, 3)}\necalli 5`,
      `${set(0, 0, 0, 0)}\necalli 26`,
      `load_imm r1, 0x10000\nload_ind_u8 r7, r1, 200\nadd_64 r7, r7, r6\necalli 0`,
    ].join("\n");
    const path = file(
      "service.jar",
      jarOf(source, { memoryPages: 1, caps: [{ slot: 0, kind: "data", basePage: 0x10, pageCount: 1, access: "rw" }] }),
    );
    const { code, out } = await cli("run", path, "--input", "0a0b0c", "--storage", "6b=ff", "--json");
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.equal(report.value, String(0xff + 1)); // the stored byte plus the value length 1
    assert.deepEqual(report.storage, { "6b": "0a0b0c" });
    assert.equal(report.output, "0a0b0c" + "00".repeat(29));
    const text = await cli("run", path, "--input", "0a0b0c");
    assert.match(text.out, /storage 6b = 0a0b0c/);
    assert.match(text.out, /output: 0a0b0c0{58}/);
    assert.equal((await cli("run", path, "--storage", "6b")).code, 2);
  });
});

describe("pvmkit inspect FILE.jar", () => {
  it("lists the manifest and disassembles CODE caps", async () => {
    const path = file(
      "two.jar",
      jarOf("load_imm r7, 1\necalli 0", {
        memoryPages: 2,
        caps: [{ slot: 65, kind: "data", basePage: 3, pageCount: 2, access: "rw" }],
      }),
    );
    const { code, out } = await cli("inspect", path);
    assert.equal(code, 0);
    assert.match(out, /JAR v2, memory_pages 2, invoke slot 64, 2 caps/);
    assert.match(out, /slot {2}65 {2}DATA {2}pages 3\.\.5 \(0x3000\) rw/);
    assert.match(out, /load_imm r7, 1\n\s+ecalli 0/);
  });
  it("an unknown format is an error (exit 2)", async () => {
    const { code } = await cli("inspect", file("junk.bin", new Uint8Array([1, 2, 3, 4, 5])));
    assert.equal(code, 2);
  });
});
