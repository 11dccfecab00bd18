// `cairn get links` and `cairn events` end to end: the real CLI (dist/cli/main.js) as a child process
// against a controller on loopback HTTP/2 whose agents reported a failed path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { getPaths, reportStatus } from "../api/client.js";
import type { EventsView, EventView, LinksView, PathHealthView, PathsView } from "../api/types.js";
import { startController } from "../controller/server.js";
import { testIntents, testTopology, waitFor } from "../controller/testing.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

function cairn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

function path(paths: PathsView, host: string, rule: string, state: PathHealthView["state"]): PathHealthView {
  const t = paths.hosts.find((h) => h.host === host)!.rules.find((r) => r.key === rule)!.targets[0]!;
  assert.ok(t.result.ok && t.probes);
  const up = state === "up";
  return {
    probeSids: t.probes.primary, routers: t.result.path.nodes, links: t.result.path.links, state, since: new Date().toISOString(),
    loss: up ? 0 : 1, rttMinUs: up ? 90 : 0, rttAvgUs: up ? 100 : 0, rttP99Us: up ? 150 : 0, probesSent: 10, probesReceived: up ? 10 : 0,
    uses: [{ rule, prefix: t.prefix, role: "primary", active: true }],
  };
}

test("get links and events: tables for people, everything in --json, and --follow streams new events", async () => {
  const topology = testTopology();
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: () => {}, generation: "g1" });
  const url = c.urls[0]!;
  const sm = new Http2SessionManager(url);
  const agent = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
  const send = (host: string, paths: PathHealthView[]) =>
    reportStatus(agent, { host, generation: "g1", appliedVersion: 1, reportedAt: new Date().toISOString(), rules: [], datapathDrops: {}, paths });
  try {
    const paths = await getPaths(url);
    await send("h3", [path(paths, "h3", "h3-out#0", "up")]);
    await send("h1", [path(paths, "h1", "web#0", "down")]);

    const table = await cairn("get", "links", "--controller", url);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split("\n");
    assert.match(lines[0]!, /^LINK\s+STATE\s+SUSPECT\s+CONFIDENCE\s+SINCE\s+DOWN\s+DEGRADED\s+UP\s+REPORTED BY\s+NOTE$/);
    assert.match(table.stdout, /^r2-r4\s+down\s+yes\s+50%\s+\S+Z\s+1\s+0\s+0\s+h1\s+marked by localisation$/m);
    assert.match(table.stdout, /^r1-r2\s+up\s+-\s+-\s+\S+Z\s+1\s+0\s+1\s+h1$/m, "on the down path and on an up one");
    assert.match(table.stdout, /^NODE\s+KIND\s+STATE/m);
    assert.match(table.stdout, /^h1\s+host\s+down\s+yes\s+50%/m);
    assert.match(table.stdout, /marks clear after 3s of healthy probes$/m);

    const json = await cairn("get", "links", "--controller", url, "--json");
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout) as LinksView;
    assert.deepEqual(view.links.map((l) => l.link), topology.links.map((l) => l.id));
    const r2r4 = view.links.find((l) => l.link === "r2-r4")!;
    assert.deepEqual([r2r4.state, r2r4.suspect, r2r4.confidence, r2r4.downPaths, r2r4.upPaths, r2r4.source], ["down", true, 0.5, 1, 0, "localisation"]);
    assert.ok(!Number.isNaN(Date.parse(r2r4.since)));
    assert.deepEqual(view.nodes.map((n) => `${n.kind} ${n.node}`), ["router r1", "router r2", "router r3", "router r4", "host h1", "host h2", "host h3"]);

    const events = await cairn("events", "--controller", url);
    assert.equal(events.code, 0, events.stderr);
    const ev = events.stdout.trim().split("\n");
    assert.match(ev[0]!, /^\S+Z\s+#1\s+path-state\s+h3 r2>r1>r3>r4 new -> up \(h3-out#0\)$/);
    assert.match(ev[2]!, /^\S+Z\s+#3\s+localisation\s+down: host h1 50%, link r2-r4 50% \(1 down, 0 degraded paths\) in [\d.]+ ms \(after #2\)$/);
    assert.ok(ev.some((l) => / overlay\s+link r2-r4 up -> down: on 1 down path and no healthy one; in 50% of the minimal explanations \(after #3\)$/.test(l)), events.stdout);
    assert.ok(ev.some((l) => / push\s+h1 v2 at t2\/i1: 3 upserts, 0 removals, watch probes replaced \(after #\d+\)$/.test(l)), events.stdout);
    const last2 = JSON.parse((await cairn("events", "--controller", url, "--json", "--limit", "2")).stdout) as EventsView;
    assert.deepEqual([last2.events.length, last2.capacity, last2.events[1]!.seq], [2, 1000, last2.lastSeq]);

    // --follow: the held events, then new ones, as JSON lines; SIGINT ends it with status 0.
    const child = spawn(process.execPath, [MAIN, "events", "--controller", url, "--follow", "--json", "--limit", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const seen = () => out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as EventView);
    await waitFor("the held event", () => seen().length === 1, 5000);
    await send("h1", [{ ...path(paths, "h1", "web#0", "up"), uses: [] }]);
    await waitFor("the new events", () => seen().some((e) => e.seq > last2.lastSeq && e.type === "path-state"), 5000);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
    const followed = seen();
    assert.equal(followed[0]!.seq, last2.lastSeq);
    assert.ok(followed.every((e, i) => i === 0 || e.seq === followed[i - 1]!.seq + 1), "in order, none missed");
  } finally {
    sm.abort();
    await c.close();
  }
});

test("bad options say what is wrong and exit 2", async () => {
  const r = await cairn("events", "--limit", "many");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--limit takes a whole number, got "many"/);
  const d = await cairn("controller", "--topology", "t.yaml", "--intents", "i.yaml", "--hold-down", "3");
  assert.equal(d.code, 2);
  assert.match(d.stderr, /--hold-down: "3" is not a duration: write a number and a unit \(us, ms, s\)/);
});
