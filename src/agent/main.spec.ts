import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentStatus } from "./agent.js";
import { runAgentCli } from "./main.js";

test("runAgentCli fails clearly when the datapath cannot be opened (and writes that to the status file)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-agentcli-"));
  try {
    const statusFile = join(dir, "status.json");
    await assert.rejects(
      runAgentCli({
        controller: "http://[::1]:1",
        host: "h1",
        interface: "cairn-nope0",
        statusFile,
        pinDir: join(dir, "pins"),
      }),
      /cannot open datapath on cairn-nope0/,
    );
    const s = JSON.parse(readFileSync(statusFile, "utf8")) as AgentStatus;
    assert.equal(s.state, "failed");
    assert.match(s.lastError ?? "", /cannot open datapath/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without a visible cgroup v2 mount the agent refuses to start, saying why and how (ip netns exec hides it)", async () => {
  const { agentCgroupMount } = await import("./main.js");
  const hybrid = "cgroup /sys/fs/cgroup/memory cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
  assert.equal(agentCgroupMount(undefined, hybrid), "/sys/fs/cgroup/unified");
  const underIpNetnsExec = "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n";
  assert.throws(() => agentCgroupMount(undefined, underIpNetnsExec), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, /cgroup v2 is not visible here/);
    assert.match(e.message, /before touching the datapath/);
    assert.match(e.message, /nsenter --net=/);
    assert.equal(e.exitCode, 2);
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), "cairn-notcg-"));
  try {
    assert.throws(() => agentCgroupMount(dir), /--cgroup-mount .*: not a cgroup v2 mount/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
