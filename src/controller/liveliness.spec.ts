// Liveliness end to end in the controller, over real HTTP/2 on loopback with a manual clock: agents'
// path reports → path state events → localisation → overlay → recomputation → a push to the
// affected host only → its acknowledgement; then recovery after the hold-down, and the original
// paths back. A malformed report changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { createOperatorClient, reportStatus } from "../api/client.js";
import type { AgentReportView, EventView, PathHealthView, PathsView } from "../api/types.js";
import type { PathState } from "../core/elements.js";
import { ManualClock } from "./clock.js";
import { startController } from "./server.js";
import { testIntents, testTopology } from "./testing.js";
import { until } from "../testing/until.js";

// r1 -- r2 -- r4 (1 ms) and r1 -- r3 -- r4 (5 ms); h1@r1, h2@r4, h3@r2. web and bulk from h1 take
// r1>r2>r4 (bulk may not cross r3); h3-out from h3 takes r2>r1>r3>r4.
const topology = testTopology();

async function start() {
  const clock = new ManualClock();
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: () => {}, generation: "g1", clock, holdDownMs: 3000 });
  const url = c.urls[0]!;
  const sm = new Http2SessionManager(url);
  const agent = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
  const op = createOperatorClient(url);
  return {
    clock,
    op,
    report: (r: AgentReportView) => reportStatus(agent, r),
    close: async () => {
      op.close();
      sm.abort();
      await c.close();
    },
  };
}

/** The primary path of a host's rule's first target, as its agent would report it. */
function primaryOf(paths: PathsView, host: string, rule: string, state: PathState, since: string): PathHealthView {
  const r = paths.hosts.find((h) => h.host === host)!.rules.find((x) => x.key === rule)!;
  const t = r.targets[0]!;
  assert.ok(t.result.ok && t.probes);
  return {
    probeSids: t.probes.primary,
    routers: t.result.path.nodes,
    links: t.result.path.links,
    state,
    since,
    loss: state === "down" ? 1 : 0,
    rttMinUs: state === "down" ? 0 : 100,
    rttAvgUs: state === "down" ? 0 : 120,
    rttP99Us: state === "down" ? 0 : 200,
    probesSent: 50,
    probesReceived: state === "down" ? 20 : 50,
    uses: [{ rule, prefix: t.prefix, role: "primary", active: true }],
  };
}

function report(host: string, appliedVersion: number, at: string, paths: PathHealthView[]): AgentReportView {
  return { host, generation: "g1", appliedVersion, reportedAt: at, rules: [], datapathDrops: {}, paths };
}

const iso = (clock: ManualClock) => new Date(clock.now()).toISOString();
const types = (es: EventView[]) => es.map((e) => (e.type === "overlay" ? `overlay ${e.kind} ${e.id} ${e.previous}>${e.state}` : e.type === "push" ? `push ${e.host} v${e.version}` : e.type === "ack" ? `ack ${e.host} v${e.version}` : e.type));

test("a failed path is localised, the rules crossing the suspect move, only their host is pushed, and its next report acknowledges", async () => {
  const t = await start();
  try {
    const before = await t.op.listPaths();
    const web = primaryOf(before, "h1", "web#0", "up", iso(t.clock));
    const h3out = primaryOf(before, "h3", "h3-out#0", "up", iso(t.clock));
    assert.deepEqual([web.routers, h3out.routers], [["r1", "r2", "r4"], ["r2", "r1", "r3", "r4"]]);
    await t.report(report("h3", 1, iso(t.clock), [h3out]));
    await t.report(report("h1", 1, iso(t.clock), [web]));
    assert.deepEqual((await t.op.listLinks()).links.filter((l) => l.state !== "up"), []);

    // web's path goes down; h3's path (over r1, r2 and r1-r2) stays up: the suspects are r2-r4 and h1.
    t.clock.advance(1000);
    const down = { ...web, state: "down" as const, since: iso(t.clock) };
    const ack = await t.report(report("h1", 1, iso(t.clock), [down]));
    assert.equal(ack.version, 2, "the report's answer already names the new version");
    const links = await t.op.listLinks();
    const r2r4 = links.links.find((l) => l.link === "r2-r4")!;
    assert.deepEqual(r2r4, {
      link: "r2-r4", state: "down", suspect: true, since: iso(t.clock), confidence: 0.5, unique: false, source: "localisation",
      downPaths: 1, degradedPaths: 0, upPaths: 0, reportedBy: ["h1"],
    });
    assert.equal(links.links.find((l) => l.link === "r1-r2")!.upPaths, 1);
    assert.deepEqual(links.nodes.filter((n) => n.state !== "up").map((n) => [n.node, n.kind, n.state]), [["h1", "host", "down"]]);
    assert.equal(links.holdDownMs, 3000);

    const after = await t.op.listPaths();
    const h1 = after.hosts.find((h) => h.host === "h1")!;
    assert.equal(h1.version, 2);
    const moved = h1.rules[0]!.targets[0]!.result;
    assert.ok(moved.ok && moved.path.nodes.join(">") === "r1>r3>r4");
    assert.deepEqual(h1.watch, [{ probeSids: web.probeSids, routers: web.routers, links: web.links, reason: "host h1 marked down, link r2-r4 marked down" }]);
    assert.deepEqual(after.hosts.filter((h) => h.host !== "h1").map((h) => h.version), [1, 1], "no other host was pushed");

    // h1's agent applies v2 and reports its new path up, and the watched old path still down.
    t.clock.advance(250);
    const webNow = primaryOf(after, "h1", "web#0", "up", iso(t.clock));
    await t.report(report("h1", 2, iso(t.clock), [webNow, { ...down, uses: [] }]));
    // Its localisation may wait for the throttle when the one before was slow (a cold or busy process).
    let events: EventView[] = [];
    await until("the localisation after h1's acknowledgement", async () => {
      events = (await t.op.listEvents()).events;
      return types(events).at(-1) === "localisation";
    }, 2_000);
    assert.deepEqual(types(events), [
      "path-state", // h3-out up
      "path-state", // web up
      "path-state", // web down
      "localisation",
      "overlay host h1 up>down",
      "overlay link r2-r4 up>down",
      "recompute",
      "push h1 v2",
      "ack h1 v2",
      "path-state", // web's new path up
      "localisation", // h1 is not a suspect any more
    ]);
    const [first, , failed, located, , , recompute, push, acked] = events as [EventView, EventView, EventView, EventView, EventView, EventView, EventView, EventView, EventView];
    assert.ok(first.type === "path-state" && first.previous === "" && first.state === "up" && first.rules[0] === "h3-out#0");
    assert.ok(failed.type === "path-state" && failed.previous === "up" && failed.state === "down" && failed.host === "h1");
    assert.equal(located.cause, failed.seq);
    assert.ok(located.type === "localisation" && located.suspects.map((s) => `${s.kind} ${s.id} ${s.confidence}`).join(", ") === "host h1 0.5, link r2-r4 0.5");
    assert.ok(recompute.type === "recompute" && recompute.rules.map((r) => `${r.host}/${r.rule}`).join(" ") === "h1/bulk#0 h1/web#0 h1/web#1");
    assert.equal(push.cause, recompute.seq);
    // From the report of the failed path (#3) to the ack: the time a fault takes to be routed around.
    assert.ok(acked.type === "ack" && acked.pushSeq === push.seq && acked.sincePushMs === 250 && acked.sinceCauseMs === 250 && acked.rootCause === failed.seq, JSON.stringify(acked));
    assert.ok(events.every((e, i) => e.seq === i + 1 && e.at >= events[0]!.at));
  } finally {
    await t.close();
  }
});

test("recovery: the watched path comes back up, and after the hold-down the marks clear and the original paths return", async () => {
  const t = await start();
  try {
    const original = await t.op.listPaths();
    const web = primaryOf(original, "h1", "web#0", "down", iso(t.clock));
    const h3out = primaryOf(original, "h3", "h3-out#0", "up", iso(t.clock));
    await t.report(report("h3", 1, iso(t.clock), [h3out]));
    await t.report(report("h1", 1, iso(t.clock), [web]));
    assert.equal((await t.op.listPaths()).hosts[0]!.version, 2);

    t.clock.advance(1000);
    const healed = { ...web, state: "up" as const, since: iso(t.clock), uses: [] };
    await t.report(report("h1", 2, iso(t.clock), [healed]));
    const waiting = (await t.op.listLinks()).links.find((l) => l.link === "r2-r4")!;
    assert.deepEqual([waiting.state, waiting.suspect, waiting.clearsAt], ["down", false, new Date(t.clock.now() + 3000).toISOString()]);

    t.clock.advance(2999);
    assert.equal((await t.op.listLinks()).links.find((l) => l.link === "r2-r4")!.state, "down");
    t.clock.advance(1); // the hold-down ends: the controller's timer clears the marks, no report needed
    const links = await t.op.listLinks();
    assert.deepEqual(links.links.concat(links.nodes.map((n) => ({ ...n, link: n.node }))).filter((l) => l.state !== "up").map((l) => l.link), []);
    assert.equal(links.links.find((l) => l.link === "r2-r4")!.since, iso(t.clock));
    const back = await t.op.listPaths();
    const h1 = back.hosts.find((h) => h.host === "h1")!;
    assert.equal(h1.version, 3);
    assert.deepEqual(h1.rules, original.hosts[0]!.rules, "the original paths, exactly");
    assert.deepEqual(h1.watch, []);
    const tail = types((await t.op.listEvents(0, 4)).events);
    assert.deepEqual(tail, ["overlay host h1 down>up", "overlay link r2-r4 down>up", "recompute", "push h1 v3"]);
  } finally {
    await t.close();
  }
});

test("a malformed report is refused naming the field, and changes nothing: no report, no event, no mark", async () => {
  const t = await start();
  try {
    const paths = await t.op.listPaths();
    const web = primaryOf(paths, "h1", "web#0", "up", iso(t.clock));
    await t.report(report("h1", 1, iso(t.clock), [web]));
    const events = await t.op.listEvents();
    const links = await t.op.listLinks();
    const bad: [PathHealthView, RegExp][] = [
      [{ ...web, state: "down", links: ["r1-r2", "r2-r9"] }, /^report from h1: paths\[1\]\.links\[1\]: "r2-r9" is not a link of the topology$/],
      [{ ...web, state: "down", loss: 2 }, /^report from h1: paths\[1\]\.loss is 2; a share from 0 to 1$/],
      [{ ...web, state: "down", since: "yesterday" }, /^report from h1: paths\[1\]\.since "yesterday" is not an RFC 3339 time$/],
    ];
    for (const [path, why] of bad) {
      const ok = { ...web, probeSids: ["fc00:0:3::1"], routers: ["r1", "r3", "r4"], links: ["r1-r3", "r3-r4"], state: "down" as const };
      await assert.rejects(t.report(report("h1", 1, iso(t.clock), [ok, path])), (e: unknown) => {
        assert.ok(e instanceof ConnectError && e.code === Code.InvalidArgument, String(e));
        assert.match(e.rawMessage, why);
        return true;
      });
    }
    assert.deepEqual(await t.op.listEvents(), events);
    assert.deepEqual(await t.op.listLinks(), links);
    const kept = (await t.op.listPaths()).hosts[0]!;
    assert.deepEqual([kept.version, kept.report!.paths], [1, [web]]);
  } finally {
    await t.close();
  }
});

test("WatchEvents sends the held events, then new ones as they happen", async () => {
  const t = await start();
  const ac = new AbortController();
  try {
    const paths = await t.op.listPaths();
    await t.report(report("h1", 1, iso(t.clock), [primaryOf(paths, "h1", "web#0", "up", iso(t.clock))]));
    const seen: EventView[] = [];
    const done = (async () => {
      for await (const e of t.op.watchEvents(0, ac.signal)) {
        seen.push(e);
        if (seen.length === 3) return;
      }
    })();
    await t.report(report("h1", 1, iso(t.clock), [primaryOf(paths, "h1", "web#0", "degraded", iso(t.clock))]));
    await done;
    assert.deepEqual(seen.map((e) => [e.seq, e.type]), [[1, "path-state"], [2, "path-state"], [3, "localisation"]]);
  } finally {
    ac.abort();
    await t.close();
  }
});
