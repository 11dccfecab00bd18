// The controller's /metrics: what the metrics make of events and reports, and the route over real
// HTTP/2 and HTTP/1.1, open and with TLS (who may scrape).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as https from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { applyIntentsText } from "../api/apply-file.js";
import { createOperatorClient, reportStatus } from "../api/client.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import type { LinksView, ReceivedReportView } from "../api/types.js";
import { makeTestPki, pemCredentials } from "../certs/testing.js";
import { parseMetricsText, sumOf } from "../metrics/text-format.js";
import { realClock } from "./clock.js";
import { EventLog } from "./events.js";
import { runController } from "./main.js";
import { createControllerMetrics, markedElementSamples, pathStateCounts, recomputeTrigger, ruleStateCounts } from "./metrics.js";
import { RejectionCounts } from "./rejections.js";
import { startController, type ControllerHandle } from "./server.js";
import { INTENTS_V1, INTENTS_V2, TOPOLOGY_YAML, testIntents, testTopology, waitFor } from "./testing.js";

function report(host: string, pathStates: string[], ruleStates: string[]): ReceivedReportView {
  return {
    host,
    generation: "g",
    appliedVersion: 1,
    reportedAt: "2024-01-01T00:00:00.000Z",
    receivedAt: "2024-01-01T00:00:00.000Z",
    datapathDrops: {},
    rules: ruleStates.map((state, i) => ({ key: `r#${i}`, state, reason: "", prefixes: [], active: "primary", steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 0 })) as ReceivedReportView["rules"],
    paths: pathStates.map((state) => ({ probeSids: [], routers: [], links: [], state, since: "", loss: 0, rttMinUs: 0, rttAvgUs: 0, rttP99Us: 0, probesSent: 0, probesReceived: 0, uses: [] })) as ReceivedReportView["paths"],
  };
}

test("path and rule states are counted over every host's latest report", () => {
  const reports = [report("h1", ["up", "up", "down"], ["installed", "not-steered"]), report("h2", ["degraded", "unknown", "up"], ["installed", "waiting"])];
  assert.deepEqual(pathStateCounts(reports), { up: 3, degraded: 1, down: 1, unknown: 1 });
  assert.deepEqual(ruleStateCounts(reports), { installed: 2, "not-steered": 1, waiting: 1, error: 0 });
  assert.deepEqual(pathStateCounts([]), { up: 0, degraded: 0, down: 0, unknown: 0 });
});

test("marked elements: down and degraded ones by kind and what marked them; unmarked ones are not counted", () => {
  const e = (state: string, source?: string) => ({ state, suspect: false, since: "", confidence: 0, unique: false, downPaths: 0, degradedPaths: 0, upPaths: 0, reportedBy: [], ...(source ? { source } : {}) });
  const view = {
    holdDownMs: 0,
    links: [{ link: "r1-r2", ...e("down", "localisation") }, { link: "r2-r4", ...e("up") }, { link: "r1-r3", ...e("down", "operator") }, { link: "r3-r4", ...e("down", "localisation") }],
    nodes: [{ node: "r3", kind: "router", ...e("degraded", "localisation") }, { node: "h1", kind: "host", ...e("up") }],
    unexplained: [],
  } as unknown as LinksView;
  const got = Object.fromEntries(markedElementSamples(view).map((s) => [`${s.labels.kind}/${s.labels.state}/${s.labels.source}`, s.value]));
  assert.equal(got["link/down/localisation"], 2);
  assert.equal(got["link/down/operator"], 1);
  assert.equal(got["router/degraded/localisation"], 1);
  assert.equal(got["host/down/localisation"], 0);
  assert.equal(Object.keys(got).length, 12, "every kind × state × source, so a series does not vanish at 0");
});

test("a recompute's trigger is the type of the event that caused it", () => {
  assert.equal(recomputeTrigger("topology"), "topology");
  assert.equal(recomputeTrigger("overlay"), "liveliness");
  assert.equal(recomputeTrigger(undefined), "other", "no cause, or one the ring no longer holds");
});

test("pushes, acks and recomputes recorded in the event log move their counters and histograms", async () => {
  const events = new EventLog(realClock, 4); // a small ring: the metrics must not depend on it holding the events
  const rejections = new RejectionCounts();
  const m = createControllerMetrics({ events, connectedAgents: () => 7, hosts: () => 9, reports: () => [], links: () => ({ holdDownMs: 0, links: [], nodes: [], unexplained: [] }), rejections });
  try {
    for (let v = 1; v <= 3; v++) events.record({ type: "push", host: "h1", version: v, upserts: 1, removals: 0, watch: false });
    events.record({ type: "ack", host: "h1", version: 3, pushSeq: 3, sincePushMs: 20, sinceCauseMs: 700, rootCause: 1 });
    events.record({ type: "recompute", rules: [{ host: "h1", rule: "a#0" }, { host: "h2", rule: "b#0" }], changed: [{ host: "h1", rule: "a#0" }], durationMs: 3 });
    rejections.count("rate_limited");
    rejections.count("rate_limited");
    rejections.count("unauthenticated");
    const p = parseMetricsText(await m.registry.metrics());
    assert.equal(sumOf(p, "cairn_pushes_total"), 3);
    assert.equal(sumOf(p, "cairn_events_total", { type: "push" }), 3);
    assert.equal(sumOf(p, "cairn_events_total", { type: "overlay" }), 0);
    assert.equal(sumOf(p, "cairn_push_acks_total"), 1);
    assert.equal(sumOf(p, "cairn_push_ack_latency_seconds_count"), 1);
    assert.equal(sumOf(p, "cairn_push_ack_latency_seconds_sum"), 0.02);
    assert.equal(sumOf(p, "cairn_push_ack_latency_seconds_bucket", { le: "0.01" }), 0);
    assert.equal(sumOf(p, "cairn_push_ack_latency_seconds_bucket", { le: "0.025" }), 1);
    assert.equal(sumOf(p, "cairn_change_ack_latency_seconds_sum"), 0.7);
    assert.equal(sumOf(p, "cairn_recompute_duration_seconds_count", { trigger: "other" }), 1, "caused by no event");
    assert.equal(sumOf(p, "cairn_recompute_duration_seconds_sum"), 0.003);
    assert.equal(sumOf(p, "cairn_rules_recomputed_total"), 2);
    assert.equal(sumOf(p, "cairn_rules_changed_total"), 1);
    assert.equal(sumOf(p, "cairn_connected_agents"), 7);
    assert.equal(sumOf(p, "cairn_hosts"), 9);
    assert.equal(sumOf(p, "cairn_requests_rejected_total", { reason: "rate_limited" }), 2);
    assert.equal(sumOf(p, "cairn_requests_rejected_total", { reason: "unauthenticated" }), 1);
    assert.equal(sumOf(p, "cairn_requests_rejected_total", { reason: "too_large" }), 0);
    assert.equal(p.types.get("cairn_pushes_total"), "counter");
    assert.equal(p.types.get("cairn_push_ack_latency_seconds"), "histogram");
    assert.ok(p.types.has("process_cpu_user_seconds_total") && p.types.has("nodejs_eventloop_lag_seconds"), "the default process metrics");
  } finally {
    m.close();
  }
  events.record({ type: "push", host: "h1", version: 4, upserts: 1, removals: 0, watch: false });
  assert.equal(sumOf(parseMetricsText(await m.registry.metrics()), "cairn_pushes_total"), 3, "closed: no longer follows the log");
});

interface Scrape {
  status: number;
  contentType: string;
  text: string;
}

function scrapeH2(url: string, headers: Record<string, string> = {}, tls?: { ca: string; cert?: string; key?: string }): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, tls ?? {});
    session.on("error", reject);
    const req = session.request({ ":method": "GET", ":path": "/metrics", ...headers });
    let status = 0;
    let contentType = "";
    let text = "";
    req.on("response", (h) => {
      status = Number(h[":status"]);
      contentType = String(h["content-type"] ?? "");
    });
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      session.close();
      resolve({ status, contentType, text });
    });
    req.on("error", reject);
    req.end();
  });
}

function scrapeH1(url: string, headers: Record<string, string>, ca: string): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL("/metrics", url), { headers, ca }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text }));
    });
    req.on("error", reject);
    req.end();
  });
}

const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4/;

test("an open controller serves /metrics over HTTP/2 to anyone; an apply and its acknowledgement move pushes, acks, recomputes and connected agents", async () => {
  const topology = testTopology();
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: () => {}, generation: "g1" });
  const url = c.urls[0]!;
  const sm = new Http2SessionManager(url);
  const agent = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
  const operator = createOperatorClient(url);
  const ac = new AbortController();
  try {
    const before = await scrapeH2(url);
    assert.equal(before.status, 200);
    assert.match(before.contentType, PROMETHEUS_TEXT);
    const p0 = parseMetricsText(before.text);
    assert.equal(sumOf(p0, "cairn_connected_agents"), 0);
    assert.equal(sumOf(p0, "cairn_hosts"), 3);

    const updates = agent.subscribe({ host: "h1", agentVersion: "test" }, { signal: ac.signal })[Symbol.asyncIterator]();
    await updates.next(); // the snapshot: the subscription is open
    assert.equal(sumOf(parseMetricsText((await scrapeH2(url)).text), "cairn_connected_agents"), 1);

    await applyIntentsText(operator, INTENTS_V2, "v2.yaml"); // changes h1's rules only
    const pushed = parseMetricsText((await scrapeH2(url)).text);
    assert.equal(sumOf(pushed, "cairn_pushes_total"), sumOf(p0, "cairn_pushes_total") + 1);
    assert.equal(sumOf(pushed, "cairn_recompute_duration_seconds_count", { trigger: "intents" }), sumOf(p0, "cairn_recompute_duration_seconds_count", { trigger: "intents" }) + 1, "the apply's computation");
    assert.equal(sumOf(pushed, "cairn_push_acks_total"), 0);

    await reportStatus(agent, { host: "h1", generation: "g1", appliedVersion: 2, reportedAt: new Date().toISOString(), rules: [], datapathDrops: {}, paths: [] });
    const acked = parseMetricsText((await scrapeH2(url)).text);
    assert.equal(sumOf(acked, "cairn_push_acks_total"), 1);
    assert.equal(sumOf(acked, "cairn_push_ack_latency_seconds_count"), 1);
    assert.equal(sumOf(acked, "cairn_events_total", { type: "ack" }), 1);

    ac.abort();
    let connected = 1;
    for (const end = Date.now() + 5_000; connected !== 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      connected = sumOf(parseMetricsText((await scrapeH2(url)).text), "cairn_connected_agents");
    }
    assert.equal(connected, 0, "the agent's stream closed: no longer counted");
  } finally {
    ac.abort();
    sm.abort();
    operator.close();
    await c.close();
  }
});

test("metrics: false serves no /metrics (the request goes to the API, which does not know it)", async () => {
  const topology = testTopology();
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: () => {}, metrics: false });
  try {
    const r = await scrapeH2(c.urls[0]!);
    assert.notEqual(r.status, 200);
  } finally {
    await c.close();
  }
});

async function serveTls(t: TestContext): Promise<{ c: ControllerHandle; pki: Awaited<ReturnType<typeof makeTestPki>> }> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-metrics-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await makeTestPki(join(dir, "pki"));
  await writeFile(join(dir, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(dir, "intents.yaml"), INTENTS_V1);
  const ac = new AbortController();
  let handle: ControllerHandle | undefined;
  const run = runController({ topology: join(dir, "topology.yaml"), intents: join(dir, "intents.yaml"), listen: ["[::1]:0"], tlsDir: pki.dir, signal: ac.signal, onReady: (c) => (handle = c) });
  t.after(async () => {
    ac.abort();
    await run.catch(() => {});
  });
  await waitFor("the controller", () => handle, 10_000);
  return { c: handle!, pki };
}

test("`cairn controller --tls-dir`: /metrics for a viewer token (HTTP/2 and HTTP/1.1) and an operator certificate; 401 without credentials, 403 for an agent, each counted", async (t) => {
  const { c, pki } = await serveTls(t);
  const url = c.urls[0]!;
  const { ca } = await pemCredentials(pki.dir, "agent", "h1");
  const viewer = { authorization: `Bearer ${pki.tokens.viewer}` };

  const h2 = await scrapeH2(url, viewer, { ca });
  assert.equal(h2.status, 200);
  assert.match(h2.contentType, PROMETHEUS_TEXT);
  parseMetricsText(h2.text);

  const h1 = await scrapeH1(url, viewer, ca);
  assert.equal(h1.status, 200, h1.text);
  assert.match(h1.contentType, PROMETHEUS_TEXT);
  assert.ok(parseMetricsText(h1.text).types.has("cairn_pushes_total"));

  const vera = await pemCredentials(pki.dir, "operator", "vera");
  assert.equal((await scrapeH2(url, {}, vera)).status, 200, "a viewer's client certificate");

  const anon = await scrapeH2(url, {}, { ca });
  assert.equal(anon.status, 401);
  assert.match(anon.text, /not authenticated/);
  const forged = await scrapeH2(url, { authorization: `Bearer cairn_${"A".repeat(43)}` }, { ca });
  assert.equal(forged.status, 401);
  const agent = await scrapeH2(url, {}, await pemCredentials(pki.dir, "agent", "h1"));
  assert.equal(agent.status, 403);
  assert.match(agent.text, /agent h1 may not use it \(allowed: viewer, admin\)/);

  const p = parseMetricsText((await scrapeH2(url, viewer, { ca })).text);
  assert.equal(sumOf(p, "cairn_requests_rejected_total", { reason: "unauthenticated" }), 2);
  assert.equal(sumOf(p, "cairn_requests_rejected_total", { reason: "forbidden" }), 1);
});
