// The agent's metrics: path names, what a scrape shows of the status, what the observer counts, and
// the --metrics-listen server over real HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AgentStatus } from "./agent.js";
import { AgentMetrics, pathSamples } from "./metrics.js";
import { metricsListenAddress, serveAgentMetrics } from "./main.js";
import { pathLabels } from "./path-labels.js";
import { parseMetricsText, sumOf } from "../metrics/text-format.js";
import { CliError } from "../cli/errors.js";

test("path labels: the routers; a dual-stack path's two streams share one; parallel links are told apart by their links", () => {
  const labels = pathLabels([
    { key: "a4", probe: ["s1"], nodes: ["r1", "r2"], links: ["r1-r2"] },
    { key: "a6", probe: ["s1"], nodes: ["r1", "r2"], links: ["r1-r2"] },
    { key: "b", probe: ["s2"], nodes: ["r1", "r3"], links: ["r1-r3a"] },
    { key: "c", probe: ["s3"], nodes: ["r1", "r3"], links: ["r1-r3b"] },
    { key: "w", probe: ["s4"], nodes: [], links: [] },
  ]);
  assert.equal(labels.get("a4"), "r1>r2");
  assert.equal(labels.get("a6"), "r1>r2");
  assert.equal(labels.get("b"), "r1>r3 via r1-r3a");
  assert.equal(labels.get("c"), "r1>r3 via r1-r3b");
  assert.equal(labels.get("w"), "s4", "no routers known: its probe SIDs");
});

const path = (key: string, probe: string, state: string, sent: number, received: number) =>
  ({ key, probe: [probe], nodes: ["r1", "r2"], links: ["r1-r2"], sids: [], usedBy: [], watch: null, ref: 1, state, sinceMs: 0, loss: state === "up" ? 0 : 0.5, rttMinUs: null, rttAvgUs: null, rttP99Us: null, sent, received, holddownMs: 0, intervalMs: 10, misses: 3, lossThreshold: 0.05 }) as unknown as AgentStatus["paths"][number];

test("a dual-stack path is one series: the worse state, both streams' probes", () => {
  assert.deepEqual(pathSamples({ paths: [path("a4", "s1", "up", 10, 10), path("a6", "s1", "down", 5, 1)] }), [{ path: "r1>r2", state: "down", loss: 0.5, sent: 15, received: 11 }]);
});

function status(packets: number): AgentStatus {
  const rule = { key: "video#0", intent: "video", state: "installed", active: "backup", packets, bytes: packets * 1000, backupPackets: 3, unsteeredPackets: 2, droppedPackets: 1 };
  return {
    connected: true,
    synced: true,
    appliedVersion: 4,
    events: { mtu: 5 },
    rules: [rule, { ...rule, key: "bulk#0", intent: "bulk", state: "waiting", active: "none", packets: 0, bytes: 0, backupPackets: 0, unsteeredPackets: 0, droppedPackets: 0 }],
    paths: [path("a4", "s1", "up", 100, 99)],
    retransmits: null,
  } as unknown as AgentStatus;
}

test("a scrape shows the status' kernel counters as counters, states as gauges; the observer's events as counts and a histogram", async () => {
  let packets = 10;
  let reads = 0;
  const m = new AgentMetrics(() => {
    reads++;
    return status(packets);
  });
  m.probeReturned("r1>r2", 120);
  m.probeReturned("r1>r2", 3_000);
  m.ruleMoved("video#0", "primary", "backup");
  m.ruleMoved("video#0", "backup", "primary");
  m.ruleMoved("video#0", "primary", "none");
  m.versionApplied();
  m.linkState("connected");
  m.linkState("disconnected");
  let p = parseMetricsText(await m.registry.metrics());
  assert.equal(reads, 1, "the status (the kernel's maps) is read once per scrape");
  const video = { rule: "video#0", intent: "video" };
  assert.equal(sumOf(p, "cairn_rule_packets_total", video), 10);
  assert.equal(sumOf(p, "cairn_rule_bytes_total", video), 10_000);
  assert.equal(sumOf(p, "cairn_rule_backup_packets_total", video), 3);
  assert.equal(sumOf(p, "cairn_rule_unsteered_packets_total", { ...video, outcome: "sent" }), 2);
  assert.equal(sumOf(p, "cairn_rule_unsteered_packets_total", { ...video, outcome: "dropped" }), 1);
  assert.equal(sumOf(p, "cairn_rule_active_path", { ...video, path: "backup" }), 1);
  assert.equal(sumOf(p, "cairn_rule_active_path", { ...video, path: "primary" }), 0);
  assert.equal(sumOf(p, "cairn_rules", { state: "installed" }), 1);
  assert.equal(sumOf(p, "cairn_rules", { state: "waiting" }), 1);
  assert.equal(sumOf(p, "cairn_datapath_events_total", { event: "mtu" }), 5);
  assert.equal(sumOf(p, "cairn_path_state", { path: "r1>r2", state: "up" }), 1);
  assert.equal(sumOf(p, "cairn_path_state", { path: "r1>r2", state: "down" }), 0);
  assert.equal(sumOf(p, "cairn_probes_sent_total", { path: "r1>r2" }), 100);
  assert.equal(sumOf(p, "cairn_probes_received_total", { path: "r1>r2" }), 99);
  assert.equal(sumOf(p, "cairn_probe_rtt_seconds_count", { path: "r1>r2" }), 2);
  assert.equal(sumOf(p, "cairn_probe_rtt_seconds_bucket", { path: "r1>r2", le: "0.00025" }), 1);
  assert.equal(sumOf(p, "cairn_probe_rtt_seconds_bucket", { path: "r1>r2", le: "0.005" }), 2);
  assert.equal(sumOf(p, "cairn_failovers_total"), 1);
  assert.equal(sumOf(p, "cairn_failbacks_total"), 1);
  assert.equal(sumOf(p, "cairn_updates_applied_total"), 1);
  assert.equal(sumOf(p, "cairn_applied_version"), 4);
  assert.equal(sumOf(p, "cairn_controller_connected"), 1);
  assert.equal(sumOf(p, "cairn_controller_connects_total"), 1);
  assert.equal(p.types.get("cairn_rule_packets_total"), "counter");
  assert.equal(p.types.get("cairn_path_state"), "gauge");

  packets = 25;
  await new Promise((r) => setImmediate(r));
  p = parseMetricsText(await m.registry.metrics());
  assert.equal(sumOf(p, "cairn_rule_packets_total", video), 25, "the next scrape reads the kernel again");
});

test("before the agent exists a scrape has no rules and no paths", async () => {
  const p = parseMetricsText(await new AgentMetrics(() => null).registry.metrics());
  assert.equal(p.samples.filter((s) => s.name === "cairn_rule_packets_total").length, 0);
  assert.equal(sumOf(p, "cairn_controller_connected"), 0);
});

function get(url: string, method = "GET"): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text }));
      })
      .on("error", reject)
      .end();
  });
}

test("--metrics-listen: GET /metrics in the text format, 404 elsewhere, 405 for other methods", async () => {
  const server = await serveAgentMetrics("127.0.0.1:0", new AgentMetrics(() => status(7)));
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ok = await get(server.url);
    assert.equal(ok.status, 200);
    assert.match(ok.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(sumOf(parseMetricsText(ok.text), "cairn_rule_packets_total"), 7);
    assert.equal((await get(server.url.replace("/metrics", "/"))).status, 404);
    assert.equal((await get(server.url.replace("/metrics", "/metricsx"))).status, 404);
    assert.equal((await get(server.url, "POST")).status, 405);
  } finally {
    await server.close();
  }
});

test("--metrics-listen: a bad address or one it cannot listen on is an error naming the option", async () => {
  assert.throws(() => metricsListenAddress("9464"), (e: unknown) => e instanceof CliError && /--metrics-listen: invalid listen address "9464": expected HOST:PORT, e\.g\. \[::1\]:9464/.test(e.message));
  assert.throws(() => metricsListenAddress("[::1]:70000"), CliError);
  const first = await serveAgentMetrics("127.0.0.1:0", new AgentMetrics(() => null));
  const port = new URL(first.url).port;
  try {
    await assert.rejects(serveAgentMetrics(`127.0.0.1:${port}`, new AgentMetrics(() => null)), (e: unknown) => e instanceof CliError && e.message === `--metrics-listen 127.0.0.1:${port}: cannot listen there: the port is in use (EADDRINUSE)`);
    await assert.rejects(serveAgentMetrics("192.0.2.77:0", new AgentMetrics(() => null)), /--metrics-listen 192\.0\.2\.77:0: cannot listen there: the address is not one of this host's \(EADDRNOTAVAIL\)/);
  } finally {
    await first.close();
  }
});
