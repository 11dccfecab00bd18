import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appCgroupId } from "./cgroups.js";

test("appCgroupId creates the app directory and returns its inode", () => {
  const root = mkdtempSync(join(tmpdir(), "cairn-cg-"));
  try {
    const id = appCgroupId(join(root, "cairn", "apps"), "web");
    assert.equal(id, statSync(join(root, "cairn", "apps", "web"), { bigint: true }).ino);
    assert.equal(appCgroupId(join(root, "cairn", "apps"), "web"), id);
    assert.throws(() => appCgroupId(root, "../etc"), /invalid app name/);
    assert.throws(() => appCgroupId(root, ".."), /invalid app name/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
