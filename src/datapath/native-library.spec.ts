import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNativeLibrary } from "./native-library.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

test("a missing shared library is named, with the Debian package that provides it", () => {
  assert.throws(() => loadNativeLibrary("libcairn-absent.so.7", "libcairn-absent7"), (e: Error) => {
    assert.match(e.message, /^cannot load libcairn-absent\.so\.7 \(.+\): install it, on Debian with `apt-get install libcairn-absent7`$/);
    return true;
  });
  assert.equal(typeof loadNativeLibrary("libc.so.6", "libc6").func, "function");
});

/** The directory the dynamic loader finds libbpf.so.1 in, from its cache; null when it has none. */
function libbpfDir(): string | null {
  const r = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  const line = r.stdout?.split("\n").find((l) => /^\s*libbpf\.so\.1 /.test(l));
  const path = line?.split("=> ")[1]?.trim();
  return path ? dirname(realpathSync(path)) : null;
}

const rootSkip = process.getuid?.() !== 0 ? "needs root: hides libbpf with an overlay mount in a private mount namespace" : libbpfDir() === null ? "libbpf.so.1 is not installed here, nothing to hide" : false;

test("the agent on a host without libbpf stops at once and says to install libbpf1", { skip: rootSkip }, () => {
  const libDir = libbpfDir()!;
  const scratch = mkdtempSync(join(tmpdir(), "cairn-nolibbpf-"));
  try {
    const upper = join(scratch, "upper");
    mkdirSync(upper);
    mkdirSync(join(scratch, "work"));
    // Whiteouts (0:0 character devices) hide every libbpf.so* of the lower directory.
    for (const name of readdirSync(libDir).filter((n) => n.startsWith("libbpf.so"))) {
      const mk = spawnSync("mknod", [join(upper, name), "c", "0", "0"], { encoding: "utf8" });
      assert.equal(mk.status, 0, mk.stderr);
    }
    const script = `mount -t overlay overlay -o lowerdir="$1",upperdir="$2/upper",workdir="$2/work" "$1" && exec "$3" "$4" agent --controller 'http://[::1]:1' --host h1 --interface lo`;
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", libDir, scratch, process.execPath, CLI], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, /cairn: cannot open datapath on lo .*cannot load libbpf\.so\.1 \(.*\): install it, on Debian with `apt-get install libbpf1`/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
