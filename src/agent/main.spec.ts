import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentStatus } from "./agent.js";
import { agentCredentials, runAgentCli } from "./main.js";
import { initAuthority, issueCertificate } from "../certs/authority.js";
import { scratchDir } from "../certs/testing.js";
import { CliError } from "../cli/errors.js";

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

test("agentCredentials: an https controller needs this host's agent certificate; http takes none", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  await issueCertificate(dir, { kind: "agent", name: "h1" });
  await issueCertificate(dir, { kind: "operator", name: "ada", role: "admin" });
  const files = { ca: join(dir, "ca.crt"), cert: join(dir, "agents", "h1.crt"), key: join(dir, "agents", "h1.key") };
  const https = "https://[::1]:50051";
  const c = await agentCredentials({ controller: https, host: "h1", ...files });
  assert.match(c?.cert ?? "", /BEGIN CERTIFICATE/);
  assert.match(c?.ca ?? "", /BEGIN CERTIFICATE/);
  assert.equal(await agentCredentials({ controller: "http://[::1]:50051", host: "h1" }), undefined);
  const refused = (o: Partial<Parameters<typeof agentCredentials>[0]>, re: RegExp) =>
    assert.rejects(agentCredentials({ controller: https, host: "h1", ...o }), (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message));
  await refused({ host: "h2", ...files }, /h1\.crt is host h1's, not h2's: the controller would refuse it/);
  await refused({}, /an https:\/\/ controller needs this agent's certificate: --cert FILE --key FILE/);
  await refused({ controller: "http://[::1]:1", ...files }, /--ca, --cert, --key need an https:\/\/ controller URL/);
  await refused({ ...files, key: join(dir, "server.key") }, /--key: .*server\.key is not the key of .*h1\.crt/);
  await refused({ ...files, cert: join(dir, "nope.crt") }, /--cert: cannot read client certificate .*nope\.crt: no such file/);
  await refused({ ...files, cert: join(dir, "operators", "ada.crt"), key: join(dir, "operators", "ada.key") }, /ada\.crt is not an agent certificate/);
});
