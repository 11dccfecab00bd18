// The replica logic over the in-memory store, in one process: two controllers (real HTTP/2 on loopback)
// share a MemoryBackend; agents are the real ControllerLink. Fast checks of what the etcd tests
// (replicas.spec.ts) check against real etcd and processes.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import test, { type TestContext } from "node:test";
import { Code } from "@connectrpc/connect";
import { createOperatorClient, ControllerCallError } from "../../api/client.js";
import { startController, type ControllerHandle } from "../server.js";
import { canonicalJson, createControllerState } from "../state.js";
import { INTENTS_V1, INTENTS_V2, testIntents, testTopology, waitFor } from "../testing.js";
import { MemoryBackend, MemoryStore } from "./memory-store.js";
import { TestAgent } from "./cluster-fixture.js";

const topology = testTopology();

async function replica(backend: MemoryBackend, lines: string[], auditLog?: string): Promise<ControllerHandle> {
  return startController({
    ...(auditLog ? { auditLog } : {}),
    topology,
    intents: testIntents(topology, INTENTS_V1),
    intentsFile: "intents.yaml",
    listen: [{ host: "::1", port: 0 }],
    store: new MemoryStore(backend),
    pathWorkers: 0,
    log: (l) => lines.push(l),
  });
}

/** Replica a on a fresh store, leading once it says so, then b (with `auditLog`, if given); both closed after the test. */
async function leaderAndFollower(t: TestContext, auditLog?: string) {
  const backend = new MemoryBackend();
  const la: string[] = [];
  const lb: string[] = [];
  const a = await replica(backend, la);
  t.after(() => a.close());
  await waitFor("a to lead", () => la.some((l) => /taking over took/.test(l)), 5_000);
  const b = await replica(backend, lb, auditLog);
  t.after(() => b.close());
  return { backend, a, b, la, lb };
}

const rulesOf = (yaml: string, host: string) => canonicalJson(createControllerState(topology, testIntents(topology, yaml)).snapshot(host)!.rules);

test("replicas on one store: the first leads, an apply through the other is computed once, and both serve the same version", async (t) => {
  const { backend, a, b, la, lb } = await leaderAndFollower(t);
  assert.ok(!lb.some((l) => /leader: elected/.test(l)), "one leader at a time");
  const agent = new TestAgent("h1", [b.urls[0]!, a.urls[0]!], {});
  t.after(() => agent.stop());
  await waitFor("h1's snapshot", () => canonicalJson(agent.rules()) === rulesOf(INTENTS_V1, "h1") && agent.version > 0n, 5_000);

  const op = createOperatorClient(b.urls[0]!);
  t.after(() => op.close());
  const r = await op.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: 1 });
  assert.deepEqual([r.previousRevision, r.revision, r.hostsPushed.map((p) => p.host)], [1, 2, ["h1"]]);
  await waitFor("h1 on v2's rules", () => canonicalJson(agent.rules()) === rulesOf(INTENTS_V2, "h1"), 5_000);
  assert.equal(agent.version, BigInt(r.hostsPushed[0]!.version));
  const opA = createOperatorClient(a.urls[0]!);
  t.after(() => opA.close());
  const [pa, pb] = await Promise.all([opA.listPaths(), op.listPaths()]);
  assert.deepEqual(pa.hosts.map((h) => [h.host, h.version]), pb.hosts.map((h) => [h.host, h.version]));
  assert.equal(pa.generation, pb.generation);
  assert.equal(la.filter((l) => /intents revision 2 computed/.test(l)).length, 1, "the leader computed it");
  assert.equal(lb.filter((l) => /computed in/.test(l)).length, 0, "the other did not compute");
});

test("the leader stops: the other takes over and computes; an agent of a stopped replica moves and resumes", async (t) => {
  const backend = new MemoryBackend();
  const la: string[] = [];
  const lb: string[] = [];
  const a = await replica(backend, la);
  await waitFor("a to lead", () => la.some((l) => /taking over took/.test(l)), 5_000);
  const b = await replica(backend, lb);
  t.after(() => b.close());
  const agent = new TestAgent("h1", [a.urls[0]!, b.urls[0]!], {});
  t.after(() => agent.stop());
  await waitFor("h1's snapshot", () => agent.version > 0n, 5_000);
  const held = agent.version;
  await a.close();
  await waitFor("b to lead", () => lb.some((l) => /taking over took/.test(l)), 5_000);
  assert.match(lb.find((l) => /differ from the store/.test(l))!, /0 host\(s\) differ/, "nothing to rewrite: a took over cleanly");
  await waitFor("h1 to move to b", () => agent.connects.some((c) => c.url === b.urls[0]), 5_000);
  assert.equal(agent.updates.at(-1)!.outcome, "resumed");
  assert.equal(agent.version, held);
  const op = createOperatorClient(b.urls[0]!);
  t.after(() => op.close());
  const r = await op.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: 1 });
  assert.equal(r.hostsPushed.length, 1);
  await waitFor("h1 on v2's rules", () => canonicalJson(agent.rules()) === rulesOf(INTENTS_V2, "h1"), 5_000);
});

test("the store unreachable: applies and reports fail with UNAVAILABLE and change nothing; it comes back and they work", async (t) => {
  const backend = new MemoryBackend();
  const lines: string[] = [];
  const a = await replica(backend, lines);
  t.after(() => a.close());
  await waitFor("a to lead", () => lines.some((l) => /taking over took/.test(l)), 5_000);
  const op = createOperatorClient(a.urls[0]!);
  t.after(() => op.close());
  backend.down = true;
  await assert.rejects(op.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: 1 }), (e: unknown) => e instanceof ControllerCallError && e.code === Code.Unavailable && /nothing applied/.test(e.message));
  assert.equal((await op.listIntents()).revision, 1, "nothing applied");
  backend.down = false;
  const r = await op.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: 1 });
  assert.equal(r.revision, 2);
});

/** What one controller computes for INTENTS_V1 with `drained` links drained, for `host`. */
const drainedRulesOf = (host: string, links: string[]) => {
  const s = createControllerState(topology, testIntents(topology, INTENTS_V1));
  s.changeTopology({ drained: { links, routers: [] } });
  return canonicalJson(s.snapshot(host)!.rules);
};

test("a topology change through a non-leader: stored, applied by the leader, shown by both; kept by the next leader", async (t) => {
  const auditLog = join(await mkdtemp(join(tmpdir(), "cairn-replica-audit-")), "audit.log");
  t.after(() => rm(dirname(auditLog), { recursive: true, force: true }));
  const { backend, a, b, la, lb } = await leaderAndFollower(t, auditLog);
  const agent = new TestAgent("h1", [b.urls[0]!, a.urls[0]!], {});
  t.after(() => agent.stop());
  await waitFor("h1's snapshot", () => canonicalJson(agent.rules()) === rulesOf(INTENTS_V1, "h1"), 5_000);
  const opA = createOperatorClient(a.urls[0]!);
  const opB = createOperatorClient(b.urls[0]!);
  t.after(() => opA.close());
  t.after(() => opB.close());
  const base = (await opB.listLinks()).topologyRevision!;
  assert.equal((await opA.listLinks()).topologyRevision, base, "one topology revision on both");

  const bad = await opB.changeTopology({ baseRevision: base, changes: [{ kind: "drain", element: "r2-r5" }], reason: "" }).then(() => null, (e: unknown) => e);
  assert.ok(bad instanceof ControllerCallError && bad.code === Code.InvalidArgument && /did you mean "r2-r4"/.test(bad.message), String(bad));
  assert.equal(backend.topology, null, "nothing stored");

  const r = await opB.changeTopology({ baseRevision: base, changes: [{ kind: "drain", element: "r4-r2" }], reason: "fibre work" });
  assert.deepEqual([r.previousRevision, r.changes, r.hostsPushed.map((p) => p.host)], [base, ["drain link r2-r4"], ["h1"]]);
  assert.ok(r.revision > base);
  assert.equal(r.hostsPushed[0]!.version, Number(backend.hosts.get("h1")!.host.version), "the version the leader wrote");
  await waitFor("h1 off r2-r4", () => canonicalJson(agent.rules()) === drainedRulesOf("h1", ["r2-r4"]), 5_000);
  for (const op of [opA, opB]) {
    const links = await op.listLinks();
    assert.equal(links.topologyRevision, r.revision);
    assert.deepEqual([links.links.find((l) => l.link === "r2-r4")!.state, links.overrides!.map((o) => [o.id, o.change, o.revision, o.reason])], ["down", [["r2-r4", "drained", r.revision, "fibre work"]]]);
    const paths = await op.listPaths(["h1"]);
    assert.deepEqual([paths.topologyRevision, paths.hosts[0]!.topologyRevision], [r.revision, r.revision]);
  }

  const stale = await opA.changeTopology({ baseRevision: base, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "" }).then(() => null, (e: unknown) => e);
  assert.ok(stale instanceof ControllerCallError && stale.code === Code.Aborted, String(stale));
  assert.match(stale.message, new RegExp(`it is at revision ${r.revision}; the last operator change was revision ${r.revision}`));
  assert.equal(backend.topology!.revision, BigInt(r.revision), "nothing stored");

  // b's events and audit log: the refusal and the change, with the revisions.
  const topo = (await opB.listEvents()).events.filter((e) => e.type === "topology");
  assert.deepEqual(topo.map((e) => (e.type === "topology" ? [e.refused, e.previousRevision, e.revision, e.intentsRevision] : [])), [[true, base, base, 1], [false, base, r.revision, 1]]);
  const audit = (await readFile(auditLog, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["action"] === "topology");
  assert.deepEqual(audit.map((l) => [l["outcome"], l["code"], l["previousTopologyRevision"], l["topologyRevision"], l["revision"]]), [["refused", "invalid_argument", base, base, 1], ["applied", undefined, base, undefined, 1]]);
  assert.deepEqual(audit[1]!["changes"], ["drain link r2-r4"]);

  // The leader stops: b takes over with the drain, rewriting nothing.
  await a.close();
  await waitFor("b to lead", () => lb.some((l) => /taking over took/.test(l)), 5_000);
  assert.match(lb.find((l) => /differ from the store/.test(l))!, /1 drain\(s\).* 0 host\(s\) differ/);
  const back = await opB.changeTopology({ baseRevision: r.revision, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "" });
  assert.deepEqual(back.hostsPushed.map((p) => p.host), ["h1"]);
  await waitFor("h1 back on r2-r4", () => canonicalJson(agent.rules()) === rulesOf(INTENTS_V1, "h1"), 5_000);
  assert.deepEqual((await opB.listLinks()).overrides ?? [], []);
});
