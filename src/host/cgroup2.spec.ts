import { test } from "node:test";
import assert from "node:assert/strict";
import { findCgroup2Mount } from "./cgroup2.js";

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
