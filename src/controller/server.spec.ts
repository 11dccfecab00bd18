// The controller over real HTTP/2 (and HTTP/1.1) on loopback: Connect JSON, gRPC, errors, keepalive.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { spawnSync } from "node:child_process";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ConfigFileError, formatConfigError } from "../config/errors.js";
import { applyIntentsText } from "../api/apply-file.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import type { PathUpdate } from "../api/gen/cairn/v1/cairn_pb.js";
import { createOperatorClient, getPaths, reportStatus } from "../api/client.js";
import type { AgentReportView } from "../api/types.js";
import { MAX_REQUEST_BYTES } from "./reports.js";
import { startController } from "./server.js";
import type { ControllerHandle } from "./server.js";
import {
  collectingLog,
  INTENTS_INVALID,
  INTENTS_V2,
  R2_END,
  startFreezableProxy,
  testIntents,
  testTopology,
  waitFor,
} from "./testing.js";

const topology = testTopology();

async function start(extra: Partial<Parameters<typeof startController>[0]> = {}) {
  const logs = collectingLog("controller");
  const c = await startController({
    topology,
    intents: testIntents(topology),
    intentsFile: "intents.yaml",
    listen: [{ host: "::1", port: 0 }],
    log: logs.log,
    ...extra,
  });
  return { c, logs, url: c.urls[0]! };
}

function h2Post(url: string, path: string, body: unknown): Promise<{ status: number; contentType: string; json: any }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/json" });
    let status = 0;
    let contentType = "";
    let data = "";
    req.on("response", (h) => {
      status = Number(h[":status"]);
      contentType = String(h["content-type"] ?? "");
    });
    req.setEncoding("utf8");
    req.on("data", (c: string) => (data += c));
    req.on("end", () => {
      session.close();
      try {
        resolve({ status, contentType, json: JSON.parse(data) });
      } catch (e) {
        reject(e);
      }
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

function h1Post(url: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function closeAll(...cs: (ControllerHandle | undefined)[]) {
  await Promise.all(cs.map((c) => c?.close()));
}

test("an open controller (no TLS material): Connect JSON over h2c on loopback, and over HTTP/1.1 on the same port (browsers)", async () => {
  const { c, url } = await start();
  try {
    assert.match(url, /^http:\/\/\[::1\]:\d+$/);
    const r = await h2Post(url, "/cairn.v1.CairnService/ListPaths", {});
    assert.equal(r.status, 200);
    assert.match(r.contentType, /^application\/json/);
    assert.deepEqual(r.json.hosts.map((h: any) => [h.host, h.version]), [["h1", "1"], ["h2", "1"], ["h3", "1"]]);
    const web0 = r.json.hosts[0].rules[0];
    assert.equal(web0.key, "web#0");
    assert.deepEqual(web0.match, { app: "web", protocol: 6, portFrom: 443, portTo: 443 });
    assert.equal(web0.onFailure, "open");
    assert.equal(web0.targets.length, 1);
    assert.equal(web0.targets[0].prefix, "2001:db8:4::10/128");
    assert.equal(web0.targets[0].status, "RULE_STATUS_OK");
    assert.deepEqual(web0.targets[0].path.nodes, ["r1", "r2", "r4"]);
    assert.equal(web0.targets[0].path.segments[0].sid, R2_END);
    assert.equal(r.json.agents, undefined); // none connected (empty lists are omitted in JSON)

    const h1 = await h1Post(url, "/cairn.v1.CairnService/ListPaths", {});
    assert.equal(h1.status, 200);
    assert.deepEqual(h1.json, r.json, "HTTP/1.1 gets the same answer as HTTP/2");
    const only = await h2Post(url, "/cairn.v1.CairnService/ListPaths", { hosts: ["h3"] });
    assert.equal(only.status, 200);
    assert.deepEqual(only.json.hosts.map((h: any) => h.host), ["h3"]);

    const intents = await h2Post(url, "/cairn.v1.CairnService/ListIntents", {});
    assert.equal(intents.json.source, "intents.yaml");
    assert.deepEqual(intents.json.intents.map((i: any) => i.name), ["web", "bulk", "h3-out"]);
    assert.equal(intents.json.intents[2].match.toPrefix, "2001:db8:4::/64");

    const unknown = await h2Post(url, "/cairn.v1.CairnService/ListPaths", { hosts: ["h9"] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, "not_found");
  } finally {
    await c.close();
  }
});

test("curl works in cleartext with --http2-prior-knowledge", { skip: spawnSync("curl", ["--version"]).status !== 0 && "curl not installed" }, async () => {
  const { c, url } = await start();
  try {
    for (const extra of [["--http2-prior-knowledge"]]) {
      const args = ["-sS", "-g", ...extra, "-H", "Content-Type: application/json", "-d", "{}", `${url}/cairn.v1.CairnService/ListPaths`];
      // Async spawn: a sync one would block the controller's event loop.
      const out = await new Promise<string>((resolve, reject) => {
        import("node:child_process").then(({ execFile }) =>
          execFile("curl", args, { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(stdout))),
        );
      });
      assert.deepEqual(JSON.parse(out).hosts.length, 3, `curl ${extra.join(" ")}`);
    }
  } finally {
    await c.close();
  }
});

test("ApplyIntents: invalid typed intents are InvalidArgument naming every field path; an invalid file fails in the client with file:line:col; nothing changes", async () => {
  const { c, url, logs } = await start();
  const op = createOperatorClient(url);
  try {
    const bad = { name: "web", match: { hosts: ["h9"], toHost: "h2", protocol: "tcp", ports: [{ from: 99999, to: 99999 }] } };
    const raw = await h2Post(url, "/cairn.v1.CairnService/ApplyIntents", { intents: [bad], filename: "bad.yaml", baseRevision: "1" });
    assert.equal(raw.status, 400);
    assert.equal(raw.json.code, "invalid_argument");
    assert.deepEqual((raw.json.message as string).split("\n"), [
      'bad.yaml: intents[0].match.hosts[0]: intent "web": unknown host "h9"; did you mean "h1", "h2" or "h3"?',
      'bad.yaml: intents[0].match.ports[0]: intent "web": 99999-99999 is not a port range (ports 0-65535)',
    ]);

    // The CLI's path: the file is checked against the controller's topology before anything is sent.
    await assert.rejects(applyIntentsText(op, INTENTS_INVALID, "bad.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigFileError);
      assert.match(e.errors.map(formatConfigError).join("\n"), /^bad\.yaml:3:\d+: intents\[0\]\.match\.hosts\[0\]: unknown host "h9"; did you mean "h1", "h2" or "h3"\?\nbad\.yaml:4:\d+: intents\[0\]\.match\.ports\[0\]: .*99999/);
      return true;
    });
    await assert.rejects(applyIntentsText(op, "intents: [\n", "syntax.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigFileError);
      assert.match(e.message, /^syntax\.yaml:\d+:\d+: .*YAML syntax/m);
      return true;
    });

    const after = await op.listIntents();
    assert.deepEqual(after.intents, testIntents(topology));
    assert.equal(after.source, "intents.yaml");
    assert.equal(after.revision, 1);
    const paths = await op.listPaths();
    assert.deepEqual(paths.hosts.map((h) => h.version), [1, 1, 1]);
    assert.ok(logs.lines.some((l) => /intents refused from bad\.yaml by no role anonymous \(none\) from \[::1\]:\d+ \(invalid_argument\)/.test(l)), logs.lines.join("\n"));
  } finally {
    op.close();
    await c.close();
  }
});

test("ApplyIntents: a valid change reports added/changed/removed, the rules per host, pushed hosts and the new revision", async () => {
  const { c, url, logs } = await start();
  const op = createOperatorClient(url, { protocol: "grpc" });
  try {
    const s = await applyIntentsText(op, INTENTS_V2, "v2.yaml");
    assert.deepEqual(s, {
      added: [],
      changed: ["web", "bulk"],
      removed: [],
      unchanged: ["h3-out"],
      hostsPushed: [{ host: "h1", version: 2, upserts: 1, removals: 1 }],
      hostRules: [{ host: "h1", added: [], changed: ["bulk#0"], removed: ["web#1"] }],
      reordered: false,
      previousRevision: 1,
      revision: 2,
    });
    const again = await applyIntentsText(op, INTENTS_V2, "v2.yaml");
    assert.deepEqual([again.hostsPushed, again.previousRevision, again.revision], [[], 2, 2]);
    const paths = await getPaths(url);
    assert.deepEqual(paths.hosts.map((h) => [h.host, h.version]), [["h1", 2], ["h2", 1], ["h3", 1]]);
    assert.deepEqual(paths.hosts[0]!.rules.map((r) => [r.key, r.targets.map((t) => t.prefix).join()]), [
      ["web#0", "2001:db8:4::10/128"],
      ["bulk#0", "2001:db8:4::/64"],
    ]);
    const listed = await op.listIntents();
    assert.deepEqual([listed.source, listed.revision], ["v2.yaml", 2]);
    assert.match(listed.changedBy, /^no role anonymous \(none\) from \[::1\]:\d+$/);
    assert.ok(logs.lines.some((l) => /intents applied from v2\.yaml by .*: revision 1 -> 2; 0 added, 2 changed, 0 removed, 1 unchanged; pushed to 1 host\(s\) \(h1@v2\)/.test(l)));
  } finally {
    op.close();
    await c.close();
  }
});

test("Subscribe: unknown host is NotFound; a subscriber shows up in ListPaths and is logged", async () => {
  const { c, url, logs } = await start();
  const sm = new Http2SessionManager(url);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
  const ac = new AbortController();
  try {
    await assert.rejects(
      (async () => {
        for await (const _ of client.subscribe({ host: "h9" })) void _;
      })(),
      (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound && /unknown host "h9"/.test(e.rawMessage),
    );
    const it = client.subscribe({ host: "h3", agentVersion: "test/1" }, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = (await it.next()).value as PathUpdate;
    assert.equal(first.full, true);
    assert.deepEqual(first.upserts.map((r) => r.key), ["h3-out#0"]);
    const paths = await getPaths(url);
    assert.equal(paths.agents.length, 1);
    assert.equal(paths.agents[0]!.host, "h3");
    assert.equal(paths.agents[0]!.agentVersion, "test/1");
    assert.equal(paths.agents[0]!.lastSentVersion, 1);
    assert.match(paths.agents[0]!.peer, /^\[::1\]:\d+$/);
    ac.abort();
    await waitFor("disconnect logged", () => logs.lines.some((l) => /agent disconnected: host=h3/.test(l)));
    assert.equal((await getPaths(url)).agents.length, 0);
    assert.ok(logs.lines.some((l) => /agent connected: host=h3 peer=\[::1\]:\d+ agent=test\/1/.test(l)));
  } finally {
    ac.abort();
    sm.abort();
    await c.close();
  }
});

test("keepalive: a connection that stops answering PINGs is dropped", async () => {
  const { c, url, logs } = await start({ keepalive: { intervalMs: 100, timeoutMs: 200 } });
  // A TCP proxy we can freeze: the agent side then neither sends nor receives.
  const proxy = await startFreezableProxy(url);
  const proxyUrl = proxy.url;
  const sm = new Http2SessionManager(proxyUrl);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: proxyUrl, sessionManager: sm }));
  const ac = new AbortController();
  try {
    const it = client.subscribe({ host: "h1" }, { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    assert.equal((await getPaths(url)).agents.length, 1);
    proxy.setFrozen(true);
    const t0 = Date.now();
    await waitFor("controller drops the silent agent", () => logs.lines.some((l) => /agent disconnected: host=h1/.test(l)), 3000);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.equal((await getPaths(url)).agents.length, 0);
  } finally {
    ac.abort();
    sm.abort();
    await proxy.close();
    await closeAll(c);
  }
});

test("several listen addresses; close() ends open streams with Unavailable", async () => {
  const { c } = await start({ listen: [{ host: "::1", port: 0 }, { host: "127.0.0.1", port: 0 }] });
  assert.equal(c.urls.length, 2);
  assert.match(c.urls[1]!, /^http:\/\/127\.0\.0\.1:\d+$/);
  const sm = new Http2SessionManager(c.urls[1]!);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: c.urls[1]!, sessionManager: sm }));
  const it = client.subscribe({ host: "h2" })[Symbol.asyncIterator]();
  assert.equal((await it.next()).value!.full, true);
  const pending = it.next();
  const closed = c.close();
  await assert.rejects(pending, (e: unknown) => e instanceof ConnectError && e.code === Code.Unavailable);
  await closed;
  sm.abort();
});

test("persistIntents writes applied intents back to the intents file; rejected ones are not written", async () => {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "cairn-persist-"));
  const file = join(dir, "intents.yaml");
  writeFileSync(file, "original\n");
  const { c, url } = await start({ intentsFile: file, persistIntents: true });
  const op = createOperatorClient(url);
  try {
    const bad = { name: "web", match: { hosts: ["h9"], toHost: "h2" } };
    assert.equal((await h2Post(url, "/cairn.v1.CairnService/ApplyIntents", { intents: [bad], filename: "bad.yaml", baseRevision: "1" })).status, 400);
    assert.equal(readFileSync(file, "utf8"), "original\n");
    await applyIntentsText(op, INTENTS_V2, "v2.yaml");
    // Written as YAML the intents file reader reads back to the same intents.
    assert.deepEqual(testIntents(topology, readFileSync(file, "utf8")), testIntents(topology, INTENTS_V2));
  } finally {
    op.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What an agent on h1 reports with INTENTS_V1 (3 rules). */
function h1Report(over: Partial<AgentReportView> = {}): AgentReportView {
  const r = (key: string, steeredPackets: number) => ({
    key,
    state: "installed" as const,
    reason: "",
    prefixes: ["2001:db8:4::10/128"],
    active: "primary" as const,
    steeredPackets,
    steeredBytes: steeredPackets * 100,
    unsteeredPackets: 0,
    droppedPackets: 0,
  });
  return {
    host: "h1",
    generation: "g1",
    appliedVersion: 1,
    reportedAt: "2024-01-01T00:00:01.000Z",
    rules: [r("web#0", 10), r("web#1", 0), { ...r("bulk#0", 0), state: "not-steered", reason: "every path is down", active: "none", unsteeredPackets: 3 }],
    datapathDrops: { mtu: 1 },
    paths: [],
    ...over,
  };
}

function agentClient(url: string) {
  const sm = new Http2SessionManager(url);
  return { client: createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm })), close: () => sm.abort() };
}

test("ReportStatus over gRPC: the latest report per host shows in ListPaths with the time it arrived", async () => {
  const { c, url } = await start({ generation: "g1" });
  const agent = agentClient(url);
  try {
    assert.deepEqual(await reportStatus(agent.client, h1Report({ appliedVersion: 0, rules: [] })), { generation: "g1", version: 1, topologyRevision: 1, intentsRevision: 1 });
    const before = Date.now();
    assert.deepEqual(await reportStatus(agent.client, h1Report()), { generation: "g1", version: 1, topologyRevision: 1, intentsRevision: 1 });
    const paths = await getPaths(url);
    const h1 = paths.hosts.find((h) => h.host === "h1")!;
    const { receivedAt, ...report } = h1.report!;
    assert.deepEqual(report, h1Report(), "the second report replaced the first");
    assert.ok(Date.parse(receivedAt) >= before - 5 && Date.parse(receivedAt) <= Date.now(), receivedAt);
    assert.equal(paths.hosts.find((h) => h.host === "h2")!.report, undefined);

    // The same through Connect JSON, as curl sees it.
    const raw = await h2Post(url, "/cairn.v1.CairnService/ListPaths", { hosts: ["h1"] });
    assert.equal(raw.json.hosts[0].reportReceivedAt, receivedAt);
    assert.deepEqual(raw.json.hosts[0].report.rules[2], {
      key: "bulk#0",
      state: "not-steered",
      reason: "every path is down",
      prefixes: ["2001:db8:4::10/128"],
      active: "none",
      unsteeredPackets: "3",
    });
    assert.deepEqual(raw.json.hosts[0].report.datapathDrops, { mtu: "1" });
    const viaJson = await h2Post(url, "/cairn.v1.CairnService/ReportStatus", { host: "h3", generation: "g1", appliedVersion: "1", reportedAt: "2024-01-01T00:00:03Z" });
    assert.deepEqual([viaJson.status, viaJson.json], [200, { generation: "g1", version: "1", topologyRevision: "1", intentsRevision: "1" }]);
  } finally {
    agent.close();
    await c.close();
  }
});

test("ReportStatus refuses unknown hosts (NotFound) and reports out of bounds (InvalidArgument); the last good one stays", async () => {
  const { c, url } = await start();
  const agent = agentClient(url);
  const rejects = (r: AgentReportView, code: Code, message: RegExp) =>
    assert.rejects(reportStatus(agent.client, r), (e: unknown) => {
      assert.ok(e instanceof ConnectError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.rawMessage, message);
      return true;
    });
  try {
    await reportStatus(agent.client, h1Report());
    await rejects(h1Report({ host: "h9" }), Code.NotFound, /^unknown host "h9"; did you mean "h1", "h2" or "h3"\?$/);
    await rejects(h1Report({ host: "" }), Code.InvalidArgument, /^host is required$/);
    const many = Array.from({ length: 3 + 65 }, (_, i) => ({ ...h1Report().rules[0]!, key: `r#${i}` }));
    await rejects(h1Report({ rules: many }), Code.InvalidArgument, /^report from h1: 68 rule reports, but the host has 3 rules \(at most 67 reports accepted\)$/);
    await rejects(h1Report({ reportedAt: "now" }), Code.InvalidArgument, /^report from h1: reportedAt "now" is not an RFC 3339 time$/);
    await rejects(
      h1Report({ rules: [{ ...h1Report().rules[0]!, state: "running" as never }] }),
      Code.InvalidArgument,
      /^report from h1: rule report web#0: unknown state "running"; expected one of installed, not-steered, waiting, error$/,
    );
    // Larger than any request may be: refused before it is read in full.
    const huge = h1Report({ rules: [{ ...h1Report().rules[0]!, reason: "x".repeat(MAX_REQUEST_BYTES) }] });
    await rejects(huge, Code.ResourceExhausted, /^request too large: its message envelope announces 8 MiB \(\d+ bytes\); the controller takes at most 8 MiB per request \(--max-request-bytes\)$/);
    assert.deepEqual((await getPaths(url)).hosts[0]!.report!.appliedVersion, 1);
    const { receivedAt: _, ...kept } = (await getPaths(url)).hosts[0]!.report!;
    assert.deepEqual(kept, h1Report());
  } finally {
    agent.close();
    await c.close();
  }
});

test("a cleartext connection that never says which protocol it speaks is closed, not kept", { timeout: 30_000 }, async () => {
  const { c, url } = await start();
  try {
    const u = new URL(url);
    const silent = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) });
    const half = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) }, () => half.write("PR"));
    const started = Date.now();
    const closed = (s: net.Socket) => new Promise<number>((resolve) => s.once("close", () => resolve(Date.now() - started)));
    for (const s of [silent, half]) s.on("error", () => {});
    const [a, b] = await Promise.all([closed(silent), closed(half)]);
    assert.ok(a >= 9_000 && a < 15_000 && b >= 9_000 && b < 15_000, `closed after ${a} and ${b} ms`);
    const after = await h2Post(url, "/cairn.v1.CairnService/ListIntents", {});
    assert.equal(after.status, 200, "the listener serves others as before");
  } finally {
    await closeAll(c);
  }
});
