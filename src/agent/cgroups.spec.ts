import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appCgroupId, findCgroup2Mount } from "./cgroups.js";

test("findCgroup2Mount picks the cgroup2 line and unescapes it", () => {
  const mounts = [
    "proc /proc proc rw,nosuid 0 0",
    "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0",
    "cgroup2 /sys/fs/my\\040cgroup cgroup2 rw,nosuid,nodev 0 0",
    "cgroup2 /other cgroup2 rw 0 0",
  ].join("\n");
  assert.equal(findCgroup2Mount(mounts), "/sys/fs/my cgroup");
  assert.equal(findCgroup2Mount("proc /proc proc rw 0 0\n"), null);
});

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
