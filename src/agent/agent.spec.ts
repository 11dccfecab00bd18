// Agent + controller over real HTTP/2 on loopback. The datapath is the in-memory one (the real
// planner without a kernel: egress.spec.ts and datapath.spec.ts hold the kernel to it); cgroups
// live under a temporary directory standing in for the cgroup2 mount; DNS answers come from a table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOperatorClient, getPaths } from "../api/client.js";
import { applyIntentsText } from "../api/apply-file.js";
import { startController } from "../controller/server.js";
import {
  collectingLog,
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
import { dx4, withIpv4 } from "../core/testing.js";
import type { Topology } from "../core/model.js";
import { MemoryDatapath } from "../datapath/memory-datapath.js";
import { decodeProbeHeader } from "../datapath/layout.js";
import type { DatapathRule } from "../datapath/types.js";
import { ManualClock } from "./clock.js";
import type { DnsAnswer } from "./dns-watch.js";
import { backoffDelay, runAgent } from "./agent.js";
import { AgentMetrics } from "./metrics.js";
import { until } from "../testing/until.js";
import type { AgentHandle, AgentOptions, AgentStatus, HostProbe } from "./agent.js";

const topology = testTopology();
const H2 = "2001:db8:4::10/128";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "cairn-agent-"));
}

async function controller(port = 0, yaml = INTENTS_V1, topo: Topology = topology) {
  const logs = collectingLog(`controller:${port}`);
  const c = await startController({ topology: topo, intents: testIntents(topo, yaml), listen: [{ host: "::1", port }], log: logs.log });
  return { c, url: c.urls[0]!, port: Number(new URL(c.urls[0]!).port), logs };
}

const probe = (over: Partial<HostProbe> = {}): HostProbe => ({
  address6: () => "2001:db8:1::10",
  mtu: () => 1500,
  user: (name) => (name === "alice" ? 1001 : /^\d+$/.test(name) ? Number(name) : null),
  ...over,
});

function agent(url: string, host: string, dir: string, extra: Partial<AgentOptions> = {}) {
  const dp = (extra.datapath as MemoryDatapath | undefined) ?? new MemoryDatapath();
  const logs = collectingLog(`agent:${host}`);
  const a = runAgent({
    controllerUrl: url,
    host,
    interface: "eth0",
    datapath: dp,
    probe: probe(),
    cgroupMount: dir,
    appCgroupRoot: "/apps",
    backoff: { initialMs: 20, maxMs: 200 },
    statusIntervalMs: 50,
    pollIntervalMs: 50,
    reportIntervalMs: 100,
    log: logs.log,
    ...extra,
  });
  return { a, dp, logs };
}

/** The datapath rules of the last apply, in a comparable form. */
const rulesOf = (dp: MemoryDatapath) =>
  (dp.last?.rules ?? []).map((r: DatapathRule) => ({
    key: r.identity.split("|")[0],
    cls: r.classId !== 0,
    to: r.destinations.join(","),
    proto: r.protocol,
    ports: `${r.portFrom}-${r.portTo}`,
    sids: r.primary?.sids ?? null,
  }));

const synced = (a: AgentHandle, version?: number) => () => {
  const s = a.status();
  return s.synced && (version === undefined || s.version === version) ? s : undefined;
};

test("agents get their own host's rules only, app cgroups as classes; deltas within 1 s; reports reach the controller", async () => {
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
    assert.deepEqual(rulesOf(h1.dp), [
      { key: "web#0", cls: true, to: H2, proto: 6, ports: "443-443", sids: [R2_END] },
      { key: "web#1", cls: true, to: H2, proto: 6, ports: "8000-8080", sids: [R2_END] },
      { key: "bulk#0", cls: false, to: H2, proto: 0, ports: "0-65535", sids: [R2_END] },
    ]);
    const web = statSync(join(dir, "apps", "web"), { bigint: true }).ino;
    assert.deepEqual(h1.dp.last!.cgroups.map((g) => [g.id, g.level]), [[web, 2]], "the app's cgroup was created and named by its id and depth");
    assert.deepEqual(rulesOf(h3.dp), [{ key: "h3-out#0", cls: false, to: "2001:db8:4::/64", proto: 0, ports: "0-65535", sids: [R1_END] }]);
    assert.deepEqual(h2.dp.last!.rules, []);
    assert.deepEqual(h1.a.status().rules.map((r) => [r.key, r.state, r.ruleIds.length]), [
      ["web#0", "installed", 1],
      ["web#1", "installed", 1],
      ["bulk#0", "installed", 1],
    ]);

    // Counters flow to the status file and to the controller.
    const id = h3.a.status().rules[0]!.ruleIds[0]!;
    h3.dp.fakeCounters.set(id, { packets: 7n, bytes: 700n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n });
    await waitFor("status file", () => {
      try {
        const s = JSON.parse(readFileSync(join(dir, "h3.json"), "utf8")) as AgentStatus;
        return s.synced && s.rules[0]?.packets === 7 ? s : undefined;
      } catch {
        return undefined;
      }
    });
    const st = JSON.parse(readFileSync(join(dir, "h3.json"), "utf8")) as AgentStatus;
    assert.deepEqual([st.host, st.connected, st.appliedVersion, st.rules[0]!.segments, st.rules[0]!.nodes, st.rules[0]!.bytes], ["h3", true, 1, [R1_END], ["r2", "r1", "r3", "r4"], 700]);
    assert.deepEqual([st.appliedTopologyRevision, st.appliedIntentsRevision], [1, 1], "the revisions the snapshot named");
    let reported = null;
    for (const deadline = Date.now() + 2000; !reported && Date.now() < deadline; await sleep(50)) {
      const rule = (await getPaths(url)).hosts.find((h) => h.host === "h3")?.report?.rules[0];
      if (rule?.steeredPackets === 7) reported = rule;
    }
    assert.ok(reported, "h3's report reached the controller");
    assert.deepEqual([reported.key, reported.state, reported.prefixes], ["h3-out#0", "installed", ["2001:db8:4::/64"]]);

    // Change web and bulk: h1 gets the new set; h2 and h3 get nothing.
    const t0 = Date.now();
    const idsBefore = new Map(h1.a.status().rules.map((r) => [r.key, r.ruleIds[0]]));
    const applies = { h2: h2.dp.applied.length, h3: h3.dp.applied.length };
    await applyIntentsText(op, INTENTS_V2, "v2.yaml");
    await waitFor("h1 at v2", synced(h1.a, 2), 1000);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(rulesOf(h1.dp), [
      { key: "web#0", cls: true, to: H2, proto: 6, ports: "443-443", sids: [R2_END] },
      { key: "bulk#0", cls: false, to: "2001:db8:4::/64", proto: 0, ports: "0-65535", sids: [R2_END] },
    ]);
    assert.deepEqual([h1.a.status().appliedTopologyRevision, h1.a.status().appliedIntentsRevision], [1, 2], "the apply's intents revision, the same topology revision");
    let acked = null;
    for (const deadline = Date.now() + 2000; !acked && Date.now() < deadline; await sleep(50)) {
      const r = (await getPaths(url)).hosts.find((h) => h.host === "h1")?.report;
      if (r?.appliedVersion === 2) acked = r;
    }
    assert.deepEqual([acked?.topologyRevision, acked?.intentsRevision], [1, 2], "h1 reports the revisions it applied");
    assert.equal(h1.a.status().rules[0]!.ruleIds[0], idsBefore.get("web#0"), "an unchanged rule keeps its id");
    assert.notEqual(h1.a.status().rules[1]!.ruleIds[0], idsBefore.get("bulk#0"), "a rule whose destination changed is a new rule");
    await sleep(100);
    assert.equal(h2.dp.applied.length, applies.h2);
    assert.equal(h3.dp.applied.length, applies.h3);

    // Invalid intents: rejected, and no agent hears of it.
    const h1Applies = h1.dp.applied.length;
    await assert.rejects(applyIntentsText(op, INTENTS_INVALID, "bad.yaml"), /bad\.yaml:3:\d+: intents\[0\]\.match\.hosts\[0\]: unknown host "h9"/);
    await sleep(100);
    assert.equal(h1.dp.applied.length, h1Applies);
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
  let ctl: Awaited<ReturnType<typeof controller>> | null = await controller(0, INTENTS_V2);
  const { url, port } = ctl;
  const h1 = agent(url, "h1", dir);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    const gen1 = h1.a.status().generation;
    const applies = h1.dp.applied.length;
    await ctl.c.close();
    ctl = null;
    await waitFor("h1 notices", () => !h1.a.status().connected, 2000);
    await sleep(300); // several reconnect attempts against a closed port
    const gone = h1.a.status();
    assert.equal(gone.state, "disconnected");
    assert.equal(gone.synced, false);
    assert.deepEqual(gone.rules.map((r) => r.state), ["installed", "installed"]);
    assert.ok(h1.logs.lines.some((l) => /lost controller .*keeping the installed rules/.test(l)), h1.logs.lines.join("\n"));
    assert.equal(h1.dp.snapshot.lpm.size, 2, "the datapath still holds both rules");
    assert.ok(h1.dp.applied.length <= applies + 1, "no change was applied while the controller was gone");

    ctl = await controller(port, INTENTS_V1);
    await waitFor("h1 resynced", () => {
      const s = h1.a.status();
      return s.synced && s.generation !== gen1 ? s : undefined;
    }, 3000);
    assert.deepEqual(rulesOf(h1.dp).map((r) => r.key), ["web#0", "web#1", "bulk#0"]);
    assert.ok(h1.logs.lines.some((l) => /controller generation changed/.test(l)));
  } finally {
    await h1.a.stop();
    await ctl?.c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a restarted agent finds its rules in the datapath: same ids, nothing written", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  const dp = new MemoryDatapath();
  const first = agent(url, "h1", dir, { datapath: dp });
  try {
    await waitFor("first synced", synced(first.a, 1));
    const ids = first.a.status().rules.map((r) => r.ruleIds);
    await first.a.stop();
    const before = structuredClone(dp.snapshot);
    const second = agent(url, "h1", dir, { datapath: dp });
    try {
      await waitFor("second synced", synced(second.a, 1));
      assert.deepEqual(second.a.status().rules.map((r) => r.ruleIds), ids);
      assert.deepEqual(dp.snapshot, before, "the maps did not change");
    } finally {
      await second.a.stop();
    }
  } finally {
    await c.close();
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
    assert.equal(h3.dp.applied.length, 0, "nothing is applied before the first snapshot");
    assert.equal(h3.logs.lines.filter((l) => /cannot reach controller/.test(l)).length, 1, "a repeated failure is logged once");
    later = await controller(port);
    await waitFor("h3 synced", synced(h3.a, 1), 2000);
    assert.equal(h3.dp.applied.length, 1);
  } finally {
    await h3.a.stop();
    await later?.c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failing datapath apply is reported and retried until it succeeds", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  const dp = new MemoryDatapath();
  dp.failNext = new Error("map update: ENOSPC");
  const h3 = agent(url, "h3", dir, { datapath: dp });
  try {
    await waitFor("error reported", () => h3.a.status().lastError?.includes("ENOSPC"));
    const s = h3.a.status();
    assert.equal(s.synced, false);
    assert.equal(s.rules[0]!.state, "error");
    await waitFor("retried", synced(h3.a, 1), 1000);
    assert.ok(h3.logs.lines.some((l) => /datapath refused the update \(v1\): map update: ENOSPC/.test(l)));
  } finally {
    await h3.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an update that would overflow the datapath is refused whole, naming the limit; the datapath keeps the previous rules", async () => {
  const dir = tmp();
  const { c, url } = await controller(0, INTENTS_V2);
  const dp = new MemoryDatapath({ maxRules: 3, maxPaths: 8, maxPrefixes: 8, maxCgroups: 4, maxFragments: 8 });
  const h1 = agent(url, "h1", dir, { datapath: dp });
  const op = createOperatorClient(url);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    const before = structuredClone(dp.snapshot);
    await applyIntentsText(op, INTENTS_V1, "v1.yaml"); // 3 rules, one new identity: 3 ids needed of 2
    const s = await waitFor("refusal", () => (h1.a.status().lastError ? h1.a.status() : undefined));
    assert.match(s.lastError!, /datapath refused the update \(v2\): the update needs \d new rule ids but only \d are free \(the datapath holds 2 rules.*--max-rules\); it still holds the rules of v1/);
    assert.equal(s.synced, false);
    assert.deepEqual(dp.snapshot, before, "nothing was written");
    assert.ok(s.rules.some((r) => r.state === "error" && /--max-rules/.test(r.reason ?? "")));
  } finally {
    op.close();
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("onFailure: a rule without a path is installed without one (open: sent unsteered; closed: dropped), and says so", async () => {
  const dir = tmp();
  const yaml = `intents:
  - name: direct
    match: { hosts: [h1], to: h2 }
    objective: igp
  - name: strict
    match: { hosts: [h1], to: h2, protocol: udp }
    constraints: { maxLatency: 1us, avoidNodes: [r3] }
  - name: lenient
    match: { hosts: [h1], to: h2, protocol: tcp }
    constraints: { maxLatency: 1us }
`;
  const { c, url } = await controller(0, yaml);
  const h1 = agent(url, "h1", dir);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    const dpRules = h1.dp.last!.rules;
    assert.deepEqual(dpRules.map((r) => [r.identity.split("|")[0], r.primary?.sids ?? null, r.closed]), [
      ["direct#0", [], false],
      ["strict#0", null, true],
      ["lenient#0", null, false],
    ]);
    const rules = h1.a.status().rules;
    assert.deepEqual(rules.map((r) => [r.key, r.state, r.onFailure]), [
      ["direct#0", "installed", "open"],
      ["strict#0", "not-steered", "closed"],
      ["lenient#0", "not-steered", "open"],
    ]);
    assert.match(rules[1]!.reason!, /maxLatency.*dropped \(onFailure closed\)/);
    assert.match(rules[2]!.reason!, /sent unsteered \(onFailure open\)/);
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Probes that go out through the in-memory datapath (stamped as the egress program does) and never come back. */
function silentProbes(dp: MemoryDatapath): NonNullable<Exclude<AgentOptions["probes"], false>> {
  const ns = () => process.hrtime.bigint();
  return {
    monotonicNs: ns,
    transport: {
      send(_to, payload) {
        const live = dp.live.get(decodeProbeHeader(payload)!.ref & 0xffff);
        if (!live) return;
        live.lastSentNs = ns();
        if (live.firstUnansweredNs <= live.lastReturnNs) live.firstUnansweredNs = live.lastSentNs;
      },
      onMessage: () => {},
      close: () => {},
    },
  };
}

test("intent liveliness: a path two intents share is probed with the strictest of their settings; probes off takes an intent off it; both in the status and the report", async () => {
  const dir = tmp();
  const web = `intents:
  - name: web
    match: { hosts: [h1], app: web, to: h2, protocol: tcp, ports: [443] }
    objective: latency
    liveliness: { intervalMs: 20, misses: 4 }
`;
  const bulk = (liveliness: string) => `  - name: bulk
    match: { hosts: [h1], to: h2 }
    objective: igp
    constraints: { avoidNodes: [r3] }
    liveliness: ${liveliness}
`;
  const { c, url } = await controller(0, web + bulk("{ intervalMs: 50, misses: 2, holddownMs: 9000 }"));
  const dp = new MemoryDatapath();
  const h1 = agent(url, "h1", dir, { datapath: dp, probes: silentProbes(dp) });
  const op = createOperatorClient(url);
  const probed = () => h1.a.status().paths.map((p) => ({ nodes: p.nodes.join(">"), intervalMs: p.intervalMs, misses: p.misses, holddownMs: p.holddownMs, usedBy: p.usedBy.map((u) => u.key) }));
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    assert.deepEqual(probed(), [{ nodes: "r1>r2>r4", intervalMs: 20, misses: 2, holddownMs: 9_000, usedBy: ["web#0", "bulk#0"] }], "one stream, the strictest of both");
    const live = [...dp.live.values()];
    assert.equal(live.length, 1);
    assert.deepEqual([live[0]!.thresholdUs, live[0]!.holddownMs], [40_000, 9_000], "the kernel judges it with them too");

    await applyIntentsText(op, web + bulk("off"), "off.yaml");
    await waitFor("h1 at v2", synced(h1.a, 2), 1000);
    assert.deepEqual(probed(), [{ nodes: "r1>r2>r4", intervalMs: 20, misses: 4, holddownMs: 3_000, usedBy: ["web#0"] }], "bulk no longer on the stream: web's settings alone");
    assert.deepEqual(dp.last!.rules.map((r) => [r.identity.split("|")[0], r.noLiveness, r.primary?.probe !== undefined, r.backup]), [
      ["web#0", false, true, null],
      ["bulk#0", true, false, null],
    ]);
    assert.equal([...dp.live.values()].find((l) => l.ref === h1.a.status().paths[0]!.ref)!.thresholdUs, 80_000, "retimed: 4 x 20 ms");

    let reported = null;
    for (const deadline = Date.now() + 2000; !reported && Date.now() < deadline; await sleep(50)) {
      const path = (await getPaths(url)).hosts.find((h) => h.host === "h1")?.report?.paths?.[0];
      if (path?.misses === 4) reported = path;
    }
    assert.ok(reported, "the report carries the settings each path is probed with");
    assert.deepEqual([reported.routers, reported.intervalMs, reported.misses], [["r1", "r2", "r4"], 20, 4]);
  } finally {
    op.close();
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("match.cgroup: waits for the cgroup, covers it once it exists, and follows it when it is recreated (a service restart)", async () => {
  const dir = tmp();
  const yaml = `intents:
  - name: svc
    match: { hosts: [h1], cgroup: /system.slice/video.service, to: h2, protocol: udp }
`;
  const { c, url } = await controller(0, yaml);
  const h1 = agent(url, "h1", dir, { pollIntervalMs: 5_000 }); // the directory watch, not the poll, must notice
  const unit = join(dir, "system.slice", "video.service");
  try {
    await waitFor("waiting", () => h1.a.status().rules[0]?.state === "waiting");
    assert.equal(h1.a.status().synced, true, "waiting for a cgroup is a steady state");
    assert.match(h1.a.status().rules[0]!.reason!, /cgroup \/system\.slice\/video\.service does not exist/);
    mkdirSync(unit, { recursive: true });
    await waitFor("installed once the cgroup exists", () => h1.a.status().rules[0]?.state === "installed" && h1.dp.last!.cgroups.length === 1, 1500);
    const ino = () => statSync(unit, { bigint: true }).ino;
    assert.deepEqual(h1.dp.last!.cgroups.map((g) => [g.id, g.level]), [[ino(), 2]]);
    const ruleId = h1.a.status().rules[0]!.ruleIds[0];
    rmdirSync(unit);
    mkdirSync(unit);
    const recreated = ino();
    await waitFor("the new cgroup's id", () => h1.dp.last!.cgroups.some((g) => g.id === recreated), 1500);
    assert.equal(h1.a.status().rules[0]!.ruleIds[0], ruleId, "the rule itself did not change");
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("match.user and match.source reach the datapath; an unknown user is an error on that host", async () => {
  const dir = tmp();
  const yaml = `intents:
  - name: alice
    match: { hosts: [h1], user: alice, to: h2 }
  - name: ghost
    match: { hosts: [h1], user: ghost, to: h2 }
  - name: containers
    match: { hosts: [h1], source: "2001:db8:1::c00/120", to: h2 }
`;
  const { c, url } = await controller(0, yaml);
  const h1 = agent(url, "h1", dir);
  try {
    await waitFor("h1 applied", () => h1.a.status().version === 1 && h1.dp.last);
    assert.deepEqual(h1.dp.last!.rules.map((r) => [r.identity.split("|")[0], r.uid, r.source]), [
      ["alice#0", 1001, null],
      ["containers#0", null, "2001:db8:1::c00/120"],
    ]);
    const ghost = h1.a.status().rules.find((r) => r.key === "ghost#0")!;
    assert.deepEqual([ghost.state, ghost.reason], ["error", "user ghost does not exist on this host"]);
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("to: a DNS name: the rule follows the name's addresses as they change, keeping its id", async () => {
  const dir = tmp();
  const dual = withIpv4(topology, { h1: "10.0.1.10/24", h2: "10.0.4.10/24", h3: "10.0.2.10/24" });
  const yaml = `intents:
  - name: video
    match: { hosts: [h1], to: video.example.com, protocol: udp }
`;
  const { c, url } = await controller(0, yaml, dual);
  const records = new Map<string, DnsAnswer>([["video.example.com", { addresses: ["2001:db8:4::10"], ttlSec: 1 }]]);
  const h1 = agent(url, "h1", dir, { lookup: async (n) => records.get(n) ?? { addresses: [], ttlSec: 1 } });
  try {
    await waitFor("the name resolved and installed", () => h1.a.status().rules[0]?.state === "installed");
    assert.deepEqual(h1.dp.last!.rules.map((r) => [r.destinations, r.primary?.sids]), [[["2001:db8:4::10/128"], [R2_END]]]);
    const id = h1.a.status().rules[0]!.ruleIds[0];
    records.set("video.example.com", { addresses: ["10.0.4.10", "2001:db8:4::10", "2001:db8:99::1"], ttlSec: 1 });
    await waitFor("new addresses", () => h1.a.status().rules[0]!.prefixes.length === 3, 3000);
    const rules = h1.dp.last!.rules;
    assert.equal(rules.length, 3, "one datapath rule per destination group");
    assert.ok(rules.some((r) => r.destinations[0] === "10.0.4.10/32" && r.primary?.mode === "encap" && r.primary.sids.at(-1) === dx4(dual, "h2")), "IPv4 is encapsulated to h2's End.DX4 SID");
    assert.ok(rules.some((r) => r.destinations[0] === "2001:db8:99::1/128" && r.primary === null), "an address behind no destination of the topology follows onFailure");
    const after = h1.a.status().rules[0]!;
    assert.equal(after.state, "not-steered");
    assert.ok(after.ruleIds.includes(id!), "the IPv6 group kept its rule id");
    assert.equal(h1.dp.last!.encapSource, "2001:db8:1::10");
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dual-stack hosts: `to: h2` installs IPv6 inline and IPv4 encapsulated to the egress router's End.DX4 SID", async () => {
  const dir = tmp();
  const dual = withIpv4(topology, { h1: "10.0.1.10/24", h2: "10.0.4.10/24" });
  const yaml = `intents:
  - name: both
    match: { hosts: [h1], to: h2 }
`;
  const { c, url } = await controller(0, yaml, dual);
  const h1 = agent(url, "h1", dir);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    assert.deepEqual(h1.dp.last!.rules.map((r) => [r.destinations, r.primary]), [
      [[H2], { mode: "inline", sids: [R2_END] }],
      [["10.0.4.10/32"], { mode: "encap", sids: [R2_END, dx4(dual, "h2")] }],
    ]);
    assert.deepEqual(h1.a.status().rules[0]!.prefixes, [H2, "10.0.4.10/32"]);
  } finally {
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("drained entries are freed on the injected clock, not before", async () => {
  const dir = tmp();
  const clock = new ManualClock(Date.now());
  const { c, url } = await controller(0, INTENTS_V1);
  const dp = new MemoryDatapath(undefined, 1_000);
  const h1 = agent(url, "h1", dir, { datapath: dp, clock, collectIntervalMs: 100 });
  const op = createOperatorClient(url);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    await applyIntentsText(op, INTENTS_V2, "v2.yaml"); // web#1 goes, bulk#0 becomes a new rule
    await waitFor("h1 at v2", synced(h1.a, 2));
    const held = () => dp.snapshot.ruleStates.size;
    assert.equal(held(), 4, "two live rules and two draining");
    clock.advance(900);
    assert.equal(held(), 4);
    clock.advance(200);
    assert.equal(held(), 2, "freed once the drain period passed");
  } finally {
    op.close();
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
    // Reconnect attempts now hang before HTTP/2 settings; the snapshot watchdog gives up on them.
    await sleep(800);
    assert.ok(h3.logs.lines.some((l) => /no snapshot within 300 ms/.test(l)), h3.logs.lines.join("\n"));
    proxy.setFrozen(false);
    await waitFor("h3 back", synced(h3.a, 1), 3000);
  } finally {
    await h3.a.stop();
    await proxy.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});


test("the agent's metrics follow what it does: the versions it applies, its link to the controller", async () => {
  const dir = tmp();
  const { c, url } = await controller();
  let h1: ReturnType<typeof agent> | undefined;
  const metrics = new AgentMetrics(() => h1?.a.status() ?? null);
  h1 = agent(url, "h1", dir, { observer: metrics });
  const value = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.reduce((s, v) => s + v.value, 0);
  const op = createOperatorClient(url);
  try {
    await waitFor("h1 synced", synced(h1.a, 1));
    await until("connected in the metrics", async () => (await value("cairn_controller_connected")) === 1, 2000);
    assert.equal(await value("cairn_applied_version"), 1);
    const applied = await value("cairn_updates_applied_total");
    assert.ok(applied >= 1, `updates applied: ${applied}`);
    assert.equal(await value("cairn_controller_connects_total"), 1);

    await applyIntentsText(op, INTENTS_V2, "v2.yaml");
    await waitFor("h1 at v2", synced(h1.a, 2), 2000);
    assert.equal(await value("cairn_applied_version"), 2);
    assert.equal(await value("cairn_updates_applied_total"), applied + 1, "one more update applied");

    await c.close();
    await until("the controller's loss in the metrics", async () => (await value("cairn_controller_connected")) === 0, 5000);
    assert.equal(await value("cairn_applied_version"), 2, "the rules applied stay");
  } finally {
    op.close();
    await h1.a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
