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
