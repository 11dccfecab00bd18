import { test } from "node:test";
import assert from "node:assert/strict";
import { hostRules } from "../core/assignments.js";
import { dx4, withIpv4 } from "../core/testing.js";
import { testIntents, testTopology } from "../controller/testing.js";
import type { PathsView } from "../api/types.js";
import { formatPathsTable, matchText } from "./format-paths.js";

/** The controller's test network with h1 and h2 dual-stack; intents covering every column. */
const topology = withIpv4(testTopology(), { h1: "10.0.1.10/24", h2: "10.0.4.10/24" });
const intents = testIntents(
  topology,
  `intents:
  - name: web
    match: { hosts: [h1], app: web, to: h2, protocol: tcp, ports: [443, "8000-8080"] }
    protection: link
  - name: video
    match: { hosts: [h1], cgroup: /system.slice/video.service, user: "1001", to: video.example.com, protocol: udp }
    onFailure: closed
  - name: slow
    match: { hosts: [h1], source: 10.0.1.0/24, to: h2 }
    constraints: { maxLatency: 1ms }
  - name: h3-out
    match: { hosts: [h3], to: "2001:db8:4::/64" }
`,
);

function view(): PathsView {
  return {
    generation: "g",
    hosts: ["h1", "h2", "h3"].map((h, i) => ({ host: h, version: i + 3, rules: hostRules(topology, intents, h), watch: [], topologyRevision: 2, intentsRevision: 1 })),
    agents: [{ host: "h1", agentVersion: "a", peer: "[::1]:4000", connectedAt: "", lastSentVersion: 3 }],
    topologyRevision: 2,
    intentsRevision: 1,
  };
}

test("get paths: per host a line, its rules with the agent's report, then its targets", () => {
  const v = view();
  v.hosts[0]!.report = {
    host: "h1",
    generation: "g",
    appliedVersion: 2,
    topologyRevision: 2,
    intentsRevision: 1,
    reportedAt: "2024-01-01T00:00:01Z",
    receivedAt: "2024-01-01T00:00:02.000Z",
    datapathDrops: { mtu: 2, "fail-closed": 0 },
    rules: [
      { key: "web#0", state: "installed", reason: "", prefixes: ["2001:db8:4::10/128", "10.0.4.10/32"], active: "backup", steeredPackets: 1000, steeredBytes: 96_000, unsteeredPackets: 0, droppedPackets: 0 },
      { key: "video#0", state: "waiting", reason: "video.example.com not resolved yet", prefixes: [], active: "none", steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 12 },
      { key: "slow#0", state: "not-steered", reason: "no path", prefixes: ["10.0.4.10/32"], active: "none", steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 7, droppedPackets: 1 },
    ],
  };
  const out = formatPathsTable(v);
  const lines = out.split("\n");
  assert.equal(lines[0], "h1: rules v3 at topology t2, intents i1; agent [::1]:4000 (sent v3); report 2024-01-01T00:00:02.000Z: applied v2 (t2/i1) of v3, datapath drops: mtu 2");
  assert.match(lines[1]!, /^ {2}RULE\s+INTENT\s+MATCH\s+ON FAILURE\s+STATE\s+ACTIVE\s+STEERED\s+NOT STEERED\s+INSTALLED$/);
  assert.match(lines[2]!, /^ {2}web#0\s+web\s+app web, tcp\/443\s+open\s+installed\s+backup\s+1000\s+0\s+2001:db8:4::10\/128, 10\.0\.4\.10\/32$/);
  assert.match(lines[3]!, /^ {2}web#1\s+web\s+app web, tcp\/8000-8080\s+open\s+unreported\s+-\s+-\s+-\s+-$/);
  assert.match(lines[4]!, /^ {2}video#0\s+video\s+cgroup \/system\.slice\/video\.service, user 1001, udp, to video\.example\.com\s+closed\s+waiting\s+none\s+0\s+12 dropped\s+-$/);
  assert.match(lines[5]!, /^ {2}slow#0\s+slow\s+any process, from 10\.0\.1\.0\/24\s+open\s+not-steered\s+none\s+0\s+7 unsteered, 1 dropped\s+10\.0\.4\.10\/32$/);
  assert.equal(lines[6], "  video#0: waiting: video.example.com not resolved yet");
  assert.equal(lines[7], "  slow#0: not-steered: no path");
  assert.equal(lines[8], "");
  assert.match(lines[9]!, /^ {2}INTENT\s+TARGET\s+SEGMENTS\s+PATH$/);
  // web's two port ranges share their targets: shown once. IPv4 ends with h2's End.DX4 SID.
  const h2Dx4 = dx4(topology, "h2");
  assert.match(lines[10]!, /^ {2}web\s+2001:db8:4::10\/128\s+fc00:0:2::1\s+r1>r2>r4, backup r1>r3>r4$/);
  assert.match(lines[11]!, new RegExp(`^ {2}web\\s+10\\.0\\.4\\.10/32\\s+fc00:0:2::1,${h2Dx4}\\s+r1>r2>r4, backup r1>r3>r4$`));
  // video: a DNS rule's candidates, every other host's subnets (h2 both families, h3 IPv6 only).
  assert.match(lines[12]!, /^ {2}video\s+2001:db8:4::\/64\s+fc00:0:2::1\s+r1>r2>r4$/);
  assert.match(lines[13]!, new RegExp(`^ {2}video\\s+10\\.0\\.4\\.0/24\\s+fc00:0:2::1,${h2Dx4}\\s+r1>r2>r4$`));
  assert.match(lines[14]!, /^ {2}video\s+2001:db8:2::\/64\s+\(direct\)\s+r1>r2$/);
  assert.match(lines[15]!, /^ {2}slow\s+10\.0\.4\.10\/32\s+-\s+no path: maxLatency 1ms cannot be met/);
  assert.equal(lines[16], "");
  assert.equal(lines[17], "h2: rules v4 at topology t2, intents i1; agent not connected; no report");
  assert.equal(lines[18], "  no rules");
  assert.equal(lines[20], "h3: rules v5 at topology t2, intents i1; agent not connected; no report");
  assert.match(lines[21]!, /^ {2}RULE\s+INTENT/);
  assert.match(lines[22]!, /^ {2}h3-out#0\s+h3-out\s+any process\s+open\s+-\s+-\s+-\s+-\s+-$/);
  assert.match(lines[25]!, /^ {2}h3-out\s+2001:db8:4::\/64\s+\(direct\)\s+r2>r4$/);
  assert.equal(lines.length, 26);
});

test("get paths: a report from another controller run says so; no drops says so", () => {
  const v = view();
  v.hosts[2]!.report = { host: "h3", generation: "old", appliedVersion: 9, reportedAt: "2024-01-01T00:00:01Z", receivedAt: "t", datapathDrops: {}, rules: [] };
  assert.match(formatPathsTable(v), /^h3: rules v5 at topology t2, intents i1; agent not connected; report t: applied v9 of another controller run \(old\), no datapath drops$/m);
});

test("matchText: app or cgroup or any process, then user, source, protocol and ports, DNS name", () => {
  const m = { protocol: 0, portFrom: 0, portTo: 65535 };
  assert.equal(matchText({ match: m }), "any process");
  assert.equal(matchText({ match: { ...m, protocol: 58 } }), "any process, icmpv6");
  assert.equal(matchText({ match: { ...m, protocol: 1 } }), "any process, icmp");
  assert.equal(matchText({ match: { ...m, portFrom: 53, portTo: 53 } }), "any process, any/53");
  assert.equal(matchText({ match: { ...m, app: "video", user: "alice", source: "2001:db8::/32" }, dns: "a.example" }), "app video, user alice, from 2001:db8::/32, to a.example");
});

test("get paths: a host's watch probes are listed after its targets (or after 'no rules')", () => {
  const v = view();
  const probe = { probeSids: ["fc00:0:4::1"], routers: ["r1", "r2", "r4"], links: ["r1-r2", "r2-r4"], reason: "link r2-r4 marked down" };
  v.hosts[0]!.watch = [probe];
  v.hosts[1]!.watch = [{ ...probe, routers: ["r4", "r2"], reason: "router r2 marked degraded" }];
  const lines = formatPathsTable(v).split("\n");
  const at = lines.indexOf("  watch probe r1>r2>r4: link r2-r4 marked down");
  assert.match(lines[at - 2]!, /^ {2}slow\s+10\.0\.4\.10\/32/, "after h1's targets");
  assert.deepEqual(lines.slice(at - 1, at + 5), ["", "  watch probe r1>r2>r4: link r2-r4 marked down", "", "h2: rules v4 at topology t2, intents i1; agent not connected; no report", "  no rules", "  watch probe r4>r2: router r2 marked degraded"]);
});

test("get paths: the paths a host's agent probes, with the interval and misses each is probed with, after its targets", () => {
  const v = view();
  const base = { since: "2024-01-01T00:00:00Z", rttMinUs: 0, rttP99Us: 0, probesSent: 100, probesReceived: 90 };
  v.hosts[0]!.report = {
    host: "h1", generation: "g", appliedVersion: 3, reportedAt: "t", receivedAt: "t", datapathDrops: {}, rules: [],
    paths: [
      { ...base, probeSids: ["fc00:0:2::1", "fc00:0:1::1"], routers: ["r1", "r2", "r4"], links: ["r1-r2", "r2-r4"], state: "degraded", loss: 0.125, rttAvgUs: 1500, intervalMs: 20, misses: 4,
        uses: [{ rule: "web#0", prefix: "2001:db8:4::10/128", role: "primary", active: true }, { rule: "web#0", prefix: "10.0.4.10/32", role: "primary", active: true }, { rule: "web#1", prefix: "2001:db8:4::10/128", role: "primary", active: true }] },
      { ...base, probeSids: ["fc00:0:4::1"], routers: ["r1", "r3", "r4"], links: ["r1-r3", "r3-r4"], state: "down", loss: 1, rttAvgUs: 0, uses: [] },
    ],
  };
  const lines = formatPathsTable(v).split("\n");
  const at = lines.findIndex((l) => /^ {2}PROBED PATH/.test(l));
  assert.ok(at > 0, lines.join("\n"));
  assert.match(lines[at - 2]!, /^ {2}slow\s+10\.0\.4\.10\/32/, "after h1's targets");
  assert.match(lines[at]!, /^ {2}PROBED PATH\s+STATE\s+LOSS\s+RTT AVG\s+INTERVAL\s+MISSES\s+USED BY$/);
  assert.match(lines[at + 1]!, /^ {2}r1>r2>r4\s+degraded\s+12\.5%\s+1\.5ms\s+20ms\s+4\s+web#0 primary, web#1 primary$/);
  assert.match(lines[at + 2]!, /^ {2}r1>r3>r4\s+down\s+100%\s+-\s+-\s+-\s+watch probe$/, "an agent that does not say: -");
  assert.equal(lines[at + 3], "");
});
