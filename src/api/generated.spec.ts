// Catches drift between proto/ and the committed src/api/gen: regenerates into a temp dir and compares.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const buf = join(repo, "node_modules", ".bin", "buf");
const plugin = join(repo, "node_modules", ".bin", "protoc-gen-es");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const unavailable = !existsSync(buf) ? `buf not installed (${buf})` : !existsSync(plugin) ? `protoc-gen-es not installed (${plugin})` : false;

test("src/api/gen is what `buf generate` produces from proto/", { skip: unavailable }, () => {
  const out = mkdtempSync(join(tmpdir(), "cairn-gen-"));
  try {
    const r = spawnSync(buf, ["generate", "--output", out], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, PATH: `${join(repo, "node_modules", ".bin")}:${process.env["PATH"] ?? ""}` },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `buf generate failed: ${r.error?.message ?? ""}${r.stderr}`);
    const committed = join(repo, "src", "api", "gen");
    const fresh = join(out, "src", "api", "gen");
    const list = (d: string) => files(d).map((f) => relative(d, f)).sort();
    assert.deepEqual(list(fresh), list(committed), "generated file set differs: run `npx buf generate`");
    for (const f of list(fresh)) {
      assert.equal(
        readFileSync(join(committed, f), "utf8"),
        readFileSync(join(fresh, f), "utf8"),
        `src/api/gen/${f} is stale: run \`npx buf generate\``,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
