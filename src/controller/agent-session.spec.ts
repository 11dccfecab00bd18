// AgentSession over real HTTP/2: the agent's updates and reports on one stream, through the agent's
// own ControllerLink and through a raw client for what an agent must not do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ControllerLink, DEFAULT_AGENT_KEEPALIVE, DEFAULT_BACKOFF } from "../agent/controller-link.js";
import { realClock } from "../agent/clock.js";
import { agentReportToProto } from "../api/convert.js";
import { createOperatorClient, getPaths } from "../api/client.js";
import { applyIntentsText } from "../api/apply-file.js";
import { AgentMessageSchema, CairnService, type AgentMessage, type ControllerMessage } from "../api/gen/cairn/v1/cairn_pb.js";
import type { AgentReportView, PathUpdateView } from "../api/types.js";
import { startController, type ControllerOptions } from "./server.js";
import { collectingLog, INTENTS_V2, sleep, testIntents, testTopology, waitFor } from "./testing.js";

const topology = testTopology();

async function withController(extra: Partial<ControllerOptions>, body: (url: string, logs: string[]) => Promise<void>): Promise<void> {
  const logs = collectingLog("controller");
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: logs.log, pathWorkers: 0, generation: "g1", ...extra });
  try {
    await body(c.urls[0]!, logs.lines);
  } finally {
    await c.close();
  }
}

/** The agent's link for `host`, with the updates it got and the states it went through. */
function link(url: string, host = "h1") {
  const updates: PathUpdateView[] = [];
  const states: string[] = [];
  const l = new ControllerLink({
    url,
    host,
    agentVersion: "spec",
    backoff: DEFAULT_BACKOFF,
    keepalive: DEFAULT_AGENT_KEEPALIVE,
    clock: realClock,
    log: () => {},
    onUpdate: (u) => updates.push(u),
    onState: (s) => states.push(s),
  });
  return { l, updates, states };
}

function report(over: Partial<AgentReportView> = {}): AgentReportView {
  return { host: "h1", generation: "g1", appliedVersion: 1, reportedAt: new Date().toISOString(), rules: [], datapathDrops: {}, paths: [], ...over };
}

/** A report of `n` rules whose reasons make it about n KiB. */
function bulky(n: number): AgentReportView {
  const rule = (i: number) => ({ key: `r${i}`, state: "not-steered" as const, reason: "x".repeat(1000), prefixes: [], active: "none" as const, steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 0 });
  return report({ rules: Array.from({ length: n }, (_, i) => rule(i)) });
}

test("a session carries the snapshot, then answers each report in order with the host's version; a refused report leaves it open", async () => {
  await withController({}, async (url) => {
    const { l, updates, states } = link(url);
    try {
      await waitFor("the snapshot", () => updates.length > 0 && l.connected, 5_000);
      assert.equal(updates[0]!.full, true);
      assert.deepEqual(await l.report(report({ appliedVersion: 0 }), 5_000), { generation: "g1", version: 1, topologyRevision: 1, intentsRevision: 1 });
      const before = Date.now();
      // Three at once: each is answered, in order, and the last one is the host's latest report.
      const acks = await Promise.all([1, 2, 3].map((i) => l.report(report({ reportedAt: new Date(before + i).toISOString() }), 5_000)));
      assert.deepEqual(acks.map((a) => a.version), [1, 1, 1]);
      const h1 = (await getPaths(url, {}, ["h1"])).hosts[0]!;
      assert.equal(h1.report?.reportedAt, new Date(before + 3).toISOString());

      // Out of bounds, as ReportStatus would refuse it: this report only.
      await assert.rejects(l.report(report({ rules: [{ ...bulky(1).rules[0]!, reason: "y".repeat(5000) }] }), 5_000), (e: unknown) => {
        assert.ok(e instanceof ConnectError && e.code === Code.InvalidArgument, String(e));
        assert.match(e.rawMessage, /^report from h1: rules\[0\]\.reason is 5000 characters long; at most 1024$/);
        return true;
      });
      assert.deepEqual(await l.report(report(), 5_000), { generation: "g1", version: 1, topologyRevision: 1, intentsRevision: 1 }, "the session is still open");
      assert.deepEqual(states, ["connecting", "connected"], "never reconnected");
    } finally {
      await l.stop();
    }
    await assert.rejects(l.report(report(), 1_000), /not connected/, "a stopped link has no session");
  });
});

test("an ack on the session acknowledges the pushes up to its version, without a report", async () => {
  await withController({}, async (url) => {
    const { l, updates } = link(url);
    const op = createOperatorClient(url);
    try {
      await waitFor("the snapshot", () => updates.length > 0 && l.connected, 5_000);
      await applyIntentsText(op, INTENTS_V2, "v2.yaml");
      const v2 = await waitFor("v2", () => updates.find((u) => u.version === 2n), 5_000);
      assert.deepEqual(await l.ack({ generation: "g1", appliedVersion: 2n, topologyRevision: v2.topologyRevision, intentsRevision: v2.intentsRevision }, 5_000), { generation: "g1", version: 2, topologyRevision: 1, intentsRevision: 2 });
      const acks = (await op.listEvents()).events.flatMap((e) => (e.type === "ack" ? [[e.host, e.version]] : []));
      assert.deepEqual(acks, [["h1", 2]]);
      assert.equal((await getPaths(url, {}, ["h1"])).hosts[0]!.report, undefined, "an ack is no report");
      await assert.rejects(l.ack({ generation: "g".repeat(200), appliedVersion: 2n, topologyRevision: 1, intentsRevision: 2 }, 5_000), /^.*ack from h1: generation is 200 characters long; at most 128$/);
    } finally {
      op.close();
      await l.stop();
    }
  });
});

test("a session's request stream is not a body: idle past the body timeout and more bytes than may be in flight, it stays open", async () => {
  await withController({ limits: { requestBodyTimeoutMs: 300, maxInflightRequestBytes: 1024 * 1024 } }, async (url) => {
    const { l, updates, states } = link(url);
    try {
      await waitFor("the snapshot", () => updates.length > 0 && l.connected, 5_000);
      await sleep(800);
      // 40 reports of about 60 KiB each: 2.4 MiB on one stream, over the 1 MiB all bodies may reserve at once.
      for (let i = 0; i < 40; i++) assert.equal((await l.report(bulky(60), 5_000)).version, 1);
      assert.deepEqual(states, ["connecting", "connected"]);
    } finally {
      await l.stop();
    }
  });
});

test("a session's single message is bounded by the request size limit", async () => {
  await withController({ limits: { maxRequestBytes: 32 * 1024 } }, async (url) => {
    const { l, updates } = link(url);
    try {
      await waitFor("the snapshot", () => updates.length > 0 && l.connected, 5_000);
      assert.equal((await l.report(bulky(20), 5_000)).version, 1, "20 KiB passes");
      await assert.rejects(l.report(bulky(60), 5_000), (e: unknown) => {
        assert.ok(e instanceof ConnectError && e.code === Code.Unavailable, String(e));
        assert.match(e.rawMessage, /session ended before the controller answered: .*request too large: its message envelope announces [\d.]+ KiB .*at most 32 KiB per request \(--max-request-bytes\)/);
        return true;
      });
    } finally {
      await l.stop();
    }
  });
});

/** Opens a raw session, sends `messages`, and collects what comes back until it ends or `ms` pass. */
async function rawSession(url: string, messages: AgentMessage[], ms = 1_500): Promise<{ got: ControllerMessage[]; error: ConnectError | null }> {
  const sm = new Http2SessionManager(url);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
  const requests = createWritableIterable<AgentMessage>();
  const got: ControllerMessage[] = [];
  const signal = AbortSignal.timeout(ms);
  void (async () => {
    for (const m of messages) await requests.write(m).catch(() => {});
  })();
  try {
    for await (const m of client.agentSession(requests, { signal })) got.push(m);
    return { got, error: null };
  } catch (e) {
    if (signal.aborted) return { got, error: null };
    return { got, error: ConnectError.from(e) };
  } finally {
    requests.close();
    sm.abort();
  }
}

const subscribe = (host: string) => create(AgentMessageSchema, { kind: { case: "subscribe", value: { host, agentVersion: "raw" } } });
const reportMessage = (r: AgentReportView) => create(AgentMessageSchema, { kind: { case: "report", value: agentReportToProto(r) } });

test("a session must subscribe first, to a known host, and reports only for that host", async () => {
  await withController({}, async (url) => {
    const first = await rawSession(url, [reportMessage(report())]);
    assert.equal(first.error?.code, Code.InvalidArgument);
    assert.equal(first.error?.rawMessage, "AgentSession: the first message must be subscribe, not report");

    const unknown = await rawSession(url, [subscribe("h9")]);
    assert.equal(unknown.error?.code, Code.NotFound);
    assert.match(unknown.error!.rawMessage, /^unknown host "h9"/);

    const twice = await rawSession(url, [subscribe("h1"), subscribe("h1")]);
    assert.equal(twice.error?.code, Code.InvalidArgument);
    assert.equal(twice.error?.rawMessage, "AgentSession: after subscribe an agent sends reports and acks only, not subscribe");

    const other = await rawSession(url, [subscribe("h1"), reportMessage(report({ host: "h2" })), reportMessage(report())]);
    assert.equal(other.error, null, "a report for another host is refused, the session goes on");
    const kinds = other.got.map((m) => m.kind.case);
    assert.deepEqual(kinds.filter((k) => k !== "update"), ["reportRefused", "reportStatus"]);
    const refused = other.got.find((m) => m.kind.case === "reportRefused")!.kind.value as { code: string; message: string };
    assert.deepEqual(refused, { $typeName: "cairn.v1.ReportRefusal", code: "invalid_argument", message: `the report names host "h2", but this session is host "h1"'s` });
    assert.equal((await getPaths(url, {}, ["h2"])).hosts[0]!.report, undefined, "nothing of it was kept");

    // A field this controller does not know, deep in a report: the session ends, naming where.
    const m = create(AgentMessageSchema, { kind: { case: "report", value: agentReportToProto(report()) } });
    m.kind.value!.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([1]) }];
    const unknownField = await rawSession(url, [subscribe("h1"), m]);
    assert.equal(unknownField.error?.code, Code.InvalidArgument);
    assert.equal(unknownField.error?.rawMessage, "unknown field number 99 (wire type 0) in cairn.v1.AgentReport at report: this controller does not know it; nothing was done");
  });
});
