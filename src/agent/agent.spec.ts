// Agent + controller over real HTTP/2 on loopback, with a recording fake datapath.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatapathRule } from "../datapath/types.js";
import { createOperatorClient, getPaths } from "../api/client.js";
import { startController } from "../controller/server.js";
import type { ControllerHandle } from "../controller/server.js";
import {
  collectingLog,
  FakeDatapath,
  INTENTS_INVALID,
  INTENTS_V1,
  INTENTS_V2,
  R1_END,
  R2_END,
  sleep,
  startFreezableProxy,
  testIntents,
  testTopology,
  waitFor,
} from "../controller/testing.js";
import { withIpv4 } from "../core/testing.js";
import { backoffDelay, runAgent } from "./agent.js";
import type { AgentHandle, AgentOptions, AgentStatus } from "./agent.js";

const topology = testTopology();
const H2 = "2001:db8:4::10/128";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "cairn-agent-"));
}

async function controller(port = 0, yaml = INTENTS_V1) {
  const logs = collectingLog(`controller:${port}`);
  const c = await startController({
    topology,
    intents: testIntents(topology, yaml),
    listen: [{ host: "::1", port }],
    log: logs.log,
  });
  return { c, url: c.urls[0]!, port: Number(new URL(c.urls[0]!).port), logs };
}

function agent(url: string, host: string, dir: string, extra: Partial<AgentOptions> = {}) {
  const dp = new FakeDatapath();
  const logs = collectingLog(`agent:${host}`);
  const a = runAgent({
    controllerUrl: url,
    host,
    interface: "eth0",
    datapath: dp,
    appCgroupRoot: join(dir, "apps"),
    backoff: { initialMs: 20, maxMs: 200 },
    statusIntervalMs: 50,
    log: logs.log,
    ...extra,
  });
  return { a, dp, logs };
}

function expectedV1(webCgroup: bigint, ids = [16, 32, 48]): DatapathRule[] {
  const [a, b, c] = ids;
  return [
    { ruleId: a!, cgroupId: webCgroup, prefix: H2, protocol: 6, portFrom: 443, portTo: 443, segments: [R2_END] },
    { ruleId: b!, cgroupId: webCgroup, prefix: H2, protocol: 6, portFrom: 8000, portTo: 8080, segments: [R2_END] },
    { ruleId: c!, cgroupId: 0n, prefix: H2, protocol: 0, portFrom: 0, portTo: 65535, segments: [R2_END] },
  ];
}

function expectedV2(webCgroup: bigint, ids = [16, 48]): DatapathRule[] {
  const [a, b] = ids;
  return [
    { ruleId: a!, cgroupId: webCgroup, prefix: H2, protocol: 6, portFrom: 443, portTo: 443, segments: [R2_END] },
    { ruleId: b!, cgroupId: 0n, prefix: "2001:db8:4::/64", protocol: 0, portFrom: 0, portTo: 65535, segments: [R2_END] },
  ];
}

const synced = (a: AgentHandle, version?: number) => () => {
  const s = a.status();
  return s.synced && (version === undefined || s.version === version) ? s : undefined;
};

test("agents get their own host's rules only, with ordered ids and app cgroups; then deltas within 1 s", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  const h1 = agent(url, "h1", dir);
  const h2 = agent(url, "h2", dir);
  const h3 = agent(url, "h3", dir, { statusFile: join(dir, "h3.json") });
  const op = createOperatorClient(url);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    await waitFor("h2 synced", synced(h2.a, 1));
    await waitFor("h3 synced", synced(h3.a, 1));
    const web = statSync(join(dir, "apps", "web"), { bigint: true }).ino;
    assert.deepEqual(h1.dp.applies, [expectedV1(web)]);
    assert.deepEqual(h3.dp.applies, [
      [{ ruleId: 16, cgroupId: 0n, prefix: "2001:db8:4::/64", protocol: 0, portFrom: 0, portTo: 65535, segments: [R1_END] }],
    ]);
    assert.deepEqual(h2.dp.applies, [[]]);
    assert.deepEqual(h1.a.status().rules.map((r) => [r.key, r.state, r.ruleId]), [
      ["web#0", "installed", 16],
      ["web#1", "installed", 32],
      ["bulk#0", "installed", 48],
    ]);
    assert.deepEqual(h3.a.status().rules.map((r) => r.key), ["h3-out#0"]);

    const paths = await getPaths(url);
    assert.deepEqual(paths.agents.map((a) => [a.host, a.lastSentVersion]).sort(), [["h1", 1], ["h2", 1], ["h3", 1]]);

    // The status file (read by the lab) says the same, with counters.
    await waitFor("status file", () => {
      try {
        const s = JSON.parse(readFileSync(join(dir, "h3.json"), "utf8")) as AgentStatus;
        return s.synced && s.rules[0]?.packets === 1 ? s : undefined;
      } catch {
        return undefined;
      }
    });
    const st = JSON.parse(readFileSync(join(dir, "h3.json"), "utf8")) as AgentStatus;
    assert.equal(st.host, "h3");
    assert.equal(st.connected, true);
    assert.equal(st.appliedVersion, 1);
    assert.deepEqual(st.rules[0]!.segments, [R1_END]);
    assert.deepEqual(st.rules[0]!.nodes, ["r2", "r1", "r3", "r4"]);
    assert.equal(st.rules[0]!.bytes, 100);

    // Change web and bulk: h1 gets the new set; h2 and h3 get nothing.
    const t0 = Date.now();
    await op.applyIntents(INTENTS_V2, "v2.yaml");
    await waitFor("h1 at v2", synced(h1.a, 2), 1000);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(h1.dp.last, expectedV2(web));
    assert.equal(h1.dp.applies.length, 2);
    await sleep(100);
    assert.equal(h2.dp.applies.length, 1);
    assert.equal(h3.dp.applies.length, 1);

    // Invalid intents: rejected, and no agent hears of it.
    await assert.rejects(op.applyIntents(INTENTS_INVALID, "bad.yaml"), /bad\.yaml:3:\d+: intents\[0\]\.match\.hosts\[0\]: unknown host "h9"/);
    await sleep(100);
    assert.equal(h1.dp.applies.length, 2);
    assert.deepEqual(h1.dp.last, expectedV2(web));
  } finally {
    op.close();
    await Promise.all([h1.a.stop(), h2.a.stop(), h3.a.stop()]);
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(h1.dp.closed, false, "an injected datapath is the caller's to close");
});

test("controller restart: the agent keeps its rules while it is gone, then resyncs from the new generation", async () => {
  const dir = tmp();
  let ctl: { c: ControllerHandle; url: string; port: number } | null = await controller(0, INTENTS_V2);
  const { url, port } = ctl;
  const h1 = agent(url, "h1", dir);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    const web = statSync(join(dir, "apps", "web"), { bigint: true }).ino;
    assert.deepEqual(h1.dp.applies, [expectedV2(web, [16, 32])]);
    const gen1 = h1.a.status().generation;

    await ctl.c.close();
    ctl = null;
    await waitFor("h1 notices", () => !h1.a.status().connected, 2000);
    await sleep(300); // several reconnect attempts against a closed port
    assert.equal(h1.dp.applies.length, 1, "no apply while the controller is gone (rules stay installed)");
    const gone = h1.a.status();
    assert.equal(gone.state, "disconnected");
    assert.equal(gone.synced, false);
    assert.deepEqual(gone.rules.map((r) => r.state), ["installed", "installed"]);
    assert.ok(h1.logs.lines.some((l) => /lost controller .*keeping 2 installed rules/.test(l)), h1.logs.lines.join("\n"));

    // Restart on the same port with different intents (v1): full resync.
    ctl = await controller(port, INTENTS_V1);
    await waitFor("h1 resynced", () => {
      const s = h1.a.status();
      return s.synced && s.generation !== gen1 ? s : undefined;
    }, 3000);
    assert.equal(h1.dp.applies.length, 2);
    assert.deepEqual(h1.dp.last, expectedV1(web, [16, 24, 32]), "web#1 slots in between the ids kept by web#0 and bulk#0");
    assert.ok(h1.logs.lines.some((l) => /controller generation changed/.test(l)));
  } finally {
    await h1.a.stop();
    await ctl?.c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an agent started before its controller connects once the controller is up", async () => {
  const dir = tmp();
  const first = await controller();
  const port = first.port;
  await first.c.close();
  const h3 = agent(`http://[::1]:${port}`, "h3", dir);
  let later: Awaited<ReturnType<typeof controller>> | null = null;
  try {
    await sleep(200);
    assert.equal(h3.a.status().connected, false);
    assert.equal(h3.dp.applies.length, 0);
    assert.equal(h3.logs.lines.filter((l) => /cannot reach controller/.test(l)).length, 1, "a repeated failure is logged once");
    later = await controller(port);
    await waitFor("h3 synced", synced(h3.a, 1), 2000);
    assert.equal(h3.dp.applies.length, 1);
  } finally {
    await h3.a.stop();
    await later?.c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failing datapath apply is reported and retried until it succeeds", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  const dp = new FakeDatapath();
  dp.failNext = new Error("map update: ENOSPC");
  const h3 = agent(url, "h3", dir, { datapath: dp });
  try {
    await waitFor("error reported", () => h3.a.status().lastError?.includes("ENOSPC"));
    const s = h3.a.status();
    assert.equal(s.synced, false);
    assert.equal(s.rules[0]!.state, "error");
    await waitFor("retried", synced(h3.a, 1), 1000);
    assert.equal(dp.applies.length, 1);
    assert.ok(h3.logs.lines.some((l) => /datapath apply failed: map update: ENOSPC/.test(l)));
  } finally {
    await h3.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("direct paths install a rule without segments; unusable app cgroups install nothing; the rest still does", async () => {
  const dir = tmp();
  const yaml = `intents:
  - name: direct
    match: { hosts: [h1], to: h2 }
    objective: igp
  - name: app
    match: { hosts: [h1], app: web, to: h2, protocol: udp }
  - name: nopath
    match: { hosts: [h1], to: h2 }
    constraints: { maxLatency: 1us }
`;
  const { c, url } = await controller(0, yaml);
  // An app cgroup root that cannot be created (a file is in the way).
  const h1 = agent(url, "h1", dir, { appCgroupRoot: "/proc/version/apps" });
  try {
    await waitFor("h1 applied", () => h1.dp.applies.length > 0 && h1.a.status().version === 1);
    assert.deepEqual((h1.dp.last ?? []).map((r) => [r.prefix, r.segments]), [["2001:db8:4::10/128", []]], "the direct path is installed with no segments");
    const rules = h1.a.status().rules;
    assert.deepEqual(rules.map((r) => [r.key, r.state]), [
      ["direct#0", "installed"],
      ["app#0", "error"],
      ["nopath#0", "infeasible"],
    ]);
    assert.match(rules[1]!.reason!, /app cgroup for "web"/);
    assert.match(rules[2]!.reason!, /maxLatency/);
    assert.equal(h1.a.status().synced, false, "an uninstallable rule keeps the agent from claiming sync");
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("v2 rules on today's datapath: a dual-stack rule installs its IPv6 target; DNS, cgroup, user, source and IPv4-only rules are errors", async () => {
  const dir = tmp();
  const dual = withIpv4(topology, { h1: "10.0.1.10/24", h2: "10.0.4.10/24" });
  const yaml = `intents:
  - name: both
    match: { hosts: [h1], to: h2 }
  - name: dns
    match: { hosts: [h1], to: video.example.com }
  - name: cg
    match: { hosts: [h1], cgroup: /system.slice/x.service, to: h2 }
  - name: v4
    match: { hosts: [h1], to: h2, protocol: icmp }
`;
  const c = await startController({ topology: dual, intents: testIntents(dual, yaml), listen: [{ host: "::1", port: 0 }], log: () => {} });
  const h1 = agent(c.urls[0]!, "h1", dir);
  try {
    await waitFor("h1 applied", () => h1.dp.applies.length > 0 && h1.a.status().version === 1);
    assert.deepEqual((h1.dp.last ?? []).map((r) => [r.prefix, r.segments]), [[H2, [R2_END]]]);
    assert.deepEqual(h1.a.status().rules.map((r) => [r.key, r.state, r.prefix, r.reason]), [
      ["both#0", "installed", H2, null],
      ["dns#0", "error", "2001:db8:4::/64", "a DNS destination needs host datapath v2"],
      ["cg#0", "error", H2, "match.cgroup needs host datapath v2"],
      ["v4#0", "error", "10.0.4.10/32", "no IPv6 target (IPv4 needs host datapath v2)"],
    ]);
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("backoffDelay doubles up to the cap with jitter in [ceiling/2, ceiling]", () => {
  const b = { initialMs: 100, maxMs: 5000 };
  assert.equal(backoffDelay(0, b, () => 0), 50);
  assert.equal(backoffDelay(0, b, () => 1), 100);
  assert.equal(backoffDelay(3, b, () => 1), 800);
  assert.equal(backoffDelay(10, b, () => 1), 5000);
  assert.equal(backoffDelay(1000, b, () => 0), 2500);
});

test("keepalive: the agent notices a controller that went silent and reconnects when it answers again", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  const proxy = await startFreezableProxy(url);
  const h3 = agent(proxy.url, "h3", dir, { keepalive: { intervalMs: 100, timeoutMs: 200 } });
  try {
    await waitFor("h3 synced", synced(h3.a, 1));
    proxy.setFrozen(true);
    await waitFor("h3 notices the silence", () => !h3.a.status().connected, 2000);
    assert.equal(h3.dp.applies.length, 1);
    // Reconnect attempts now hang before HTTP/2 settings; the snapshot watchdog gives up on them.
    await sleep(800);
    assert.ok(h3.logs.lines.some((l) => /no snapshot within 300 ms/.test(l)), h3.logs.lines.join("\n"));
    proxy.setFrozen(false);
    await waitFor("h3 back", synced(h3.a, 1), 3000);
    assert.equal(h3.dp.applies.length, 2);
  } finally {
    await h3.a.stop();
    await proxy.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
