// Controller replicas on a real etcd: real `cairn controller --etcd` processes with one credential
// directory, agents made of the real ControllerLink, and the three faults: the computing replica killed
// during a burst of applies, a serving replica killed under its agents, and etcd restarted. Each test
// prints how long the takeover, the move or the recovery took.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import test, { type TestContext } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CairnService } from "../../api/gen/cairn/v1/cairn_pb.js";
import { createOperatorClient, ControllerCallError, reportStatus, type OperatorClient } from "../../api/client.js";
import { credentialInterceptors, sessionManagerFor } from "../../api/credentials.js";
import type { PathHealthView } from "../../api/types.js";
import { issueCertificate } from "../../certs/authority.js";
import { makeTestPki, pemCredentials, scratchDir } from "../../certs/testing.js";
import { createControllerState, canonicalJson } from "../state.js";
import { INTENTS_V1, INTENTS_V2, TOPOLOGY_YAML, testIntents, testTopology } from "../testing.js";
import { Etcd3 } from "etcd3";
import { etcdMissing, startEtcd, type EtcdFixture } from "./etcd-fixture.js";
import { lineTime, startReplicaProcess, TestAgent, type ReplicaProcess } from "./cluster-fixture.js";

const skip = etcdMissing();
const topology = testTopology();
const HOSTS = ["h1", "h3"];

interface Cluster {
  etcd: EtcdFixture;
  /** The credential directory every replica serves with (--tls-dir). */
  pki: string;
  replicas: ReplicaProcess[];
  agents: Map<string, TestAgent>;
  admin(url: string): OperatorClient;
  start(): Promise<ReplicaProcess>;
}

async function cluster(t: TestContext, replicas: number, agentUrls: (urls: string[], host: string) => string[]): Promise<Cluster> {
  const dir = await scratchDir(t, "cairn-replicas-");
  const pki = join(dir, "pki");
  const made = await makeTestPki(pki);
  await issueCertificate(pki, { kind: "agent", name: "h3" });
  await writeFile(join(dir, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(dir, "intents.yaml"), INTENTS_V1);
  const etcd = await startEtcd();
  const c: Cluster = {
    etcd,
    pki,
    replicas: [],
    agents: new Map(),
    admin: (url) => {
      const client = createOperatorClient(url, { credentials: { ca: caPem, token: made.tokens.admin }, timeoutMs: 15_000 });
      clients.push(client);
      return client;
    },
    start: async () => {
      const r = await startReplicaProcess({ etcdUrl: etcd.url, tlsDir: pki, topologyFile: join(dir, "topology.yaml"), intentsFile: join(dir, "intents.yaml"), extraArgs: ["--hold-down", "1s"] });
      c.replicas.push(r);
      return r;
    },
  };
  const clients: OperatorClient[] = [];
  const caPem = (await pemCredentials(pki, "agent", "h1")).ca;
  t.after(async () => {
    for (const a of c.agents.values()) await a.stop();
    for (const cl of clients) cl.close();
    for (const r of c.replicas) await r.kill();
    await etcd.close();
  });
  for (let i = 0; i < replicas; i++) await c.start();
  // The first replica leads (it campaigned first).
  await c.replicas[0]!.waitLine(/leader: taking over took/, 10_000);
  for (const h of HOSTS) {
    const creds = await pemCredentials(pki, "agent", h);
    c.agents.set(h, new TestAgent(h, agentUrls(c.replicas.map((r) => r.url), h), creds));
  }
  return c;
}

/** What one controller computes for `yaml`, per host: the rules every agent must end with. */
function expectedRules(yaml: string): Map<string, string> {
  const s = createControllerState(topology, testIntents(topology, yaml));
  return new Map(HOSTS.map((h) => [h, canonicalJson(s.snapshot(h)!.rules)]));
}

/** Waits until every agent holds `want`'s rules at the version the replicas serve; returns when (ms since epoch). */
async function converged(c: Cluster, via: string, want: Map<string, string>, timeoutMs: number): Promise<number> {
  const admin = c.admin(via);
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    try {
      const paths = await admin.listPaths();
      const ok = HOSTS.every((h) => {
        const a = c.agents.get(h)!;
        const served = paths.hosts.find((x) => x.host === h)!;
        return a.store.generation === paths.generation && a.version === BigInt(served.version) && canonicalJson(a.rules()) === want.get(h) && canonicalJson(served.rules) === want.get(h);
      });
      if (ok) return Date.now();
      last = HOSTS.map((h) => `${h}: agent v${c.agents.get(h)!.version}, served v${paths.hosts.find((x) => x.host === h)!.version}`).join("; ");
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`agents did not converge within ${timeoutMs} ms: ${last}`);
}

test("replicas serve one generation and the same versions; an apply through a non-leader is computed by the leader and reaches every agent", { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  await converged(c, c.replicas[1]!.url, expectedRules(INTENTS_V1), 10_000);
  const [a, b] = await Promise.all(c.replicas.map((r) => c.admin(r.url).listPaths()));
  assert.equal(a!.generation, b!.generation, "one generation");
  assert.deepEqual(a!.hosts.map((h) => [h.host, h.version]), b!.hosts.map((h) => [h.host, h.version]), "the same versions on both replicas");

  const follower = c.admin(c.replicas[1]!.url);
  const { revision } = await follower.listIntents();
  const result = await follower.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: revision });
  assert.equal(result.revision, revision + 1);
  assert.deepEqual(result.changed.sort(), ["bulk", "web"]);
  assert.deepEqual(result.hostsPushed.map((p) => p.host), ["h1"], "the leader pushed to h1 only");
  const v = result.hostsPushed[0]!.version;
  assert.ok(v > Number(a!.hosts.find((h) => h.host === "h1")!.version), "a new, higher version");
  await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V2), 10_000);
  assert.equal(c.agents.get("h1")!.version, BigInt(v), "the agent is at the version the apply reported");
  const listed = await c.admin(c.replicas[0]!.url).listIntents();
  assert.equal(listed.revision, revision + 1);
  assert.match(listed.changedBy, /ci/, "the audit identity of the last change is kept");

  // A stale base revision is a conflict on either replica.
  await assert.rejects(c.admin(c.replicas[0]!.url).applyIntents(testIntents(topology, INTENTS_V1), { source: "v1.yaml", baseRevision: revision }), (e: unknown) => e instanceof ControllerCallError && e.code === Code.Aborted);
  // Bad input is refused before anything is written.
  await assert.rejects(follower.applyIntents([], { source: "empty.yaml", baseRevision: revision + 1 }), (e: unknown) => e instanceof ControllerCallError && e.code === Code.FailedPrecondition);
  assert.equal((await follower.listIntents()).revision, revision + 1);
});

test("a serving replica killed: its agents move to another at once, resume without a snapshot, and keep their rules", { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V1), 10_000);
  const before = new Map(HOSTS.map((h) => [h, c.agents.get(h)!.version]));
  const updatesBefore = new Map(HOSTS.map((h) => [h, c.agents.get(h)!.updates.length]));
  const killedAt = Date.now();
  await c.replicas[1]!.kill("SIGKILL");
  const moves: number[] = [];
  for (const h of HOSTS) {
    const a = c.agents.get(h)!;
    const deadline = Date.now() + 10_000;
    while (!a.connects.some((x) => x.at >= killedAt && x.url === c.replicas[0]!.url)) {
      assert.ok(Date.now() < deadline, `${h} did not move: ${a.lines.slice(-5).join(" / ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    moves.push(a.connects.find((x) => x.at >= killedAt)!.at - killedAt);
    const after = a.updates.slice(updatesBefore.get(h)!);
    assert.equal(after[0]?.outcome, "resumed", `${h} resumed at its version, no snapshot: ${JSON.stringify(after.map((u) => u.outcome))}`);
    assert.equal(a.version, before.get(h), `${h} is still at its version`);
    assert.ok(a.minRules > 0, `${h} never held fewer than one rule (steering never stopped)`);
  }
  console.log(`serving replica killed: agents moved to the other replica in ${moves.map((m) => `${m} ms`).join(", ")} (resumed, no snapshot)`);
  // The moved agents still get new versions.
  const admin = c.admin(c.replicas[0]!.url);
  await admin.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: (await admin.listIntents()).revision });
  await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V2), 10_000);
});

test("the computing replica killed during a burst of applies: another takes over, no apply lost, no agent left on a stale version", { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const c = await cluster(t, 3, (urls, h) => (h === "h1" ? [urls[0]!, urls[1]!, urls[2]!] : [urls[1]!, urls[2]!, urls[0]!]));
  await converged(c, c.replicas[1]!.url, expectedRules(INTENTS_V1), 10_000);
  const leader = c.replicas[0]!;
  const via = c.admin(c.replicas[2]!.url);
  const yamls = [INTENTS_V2, INTENTS_V1];
  let applied = 0;
  let last = INTENTS_V1;
  let killedAt = 0;
  const start = (await via.listIntents()).revision;
  const t0 = Date.now();
  for (let i = 0; i < 12; i++) {
    const yaml = yamls[i % 2]!;
    if (i === 4) {
      killedAt = Date.now();
      await leader.kill("SIGKILL");
    }
    const { revision } = await via.listIntents();
    const r = await via.applyIntents(testIntents(topology, yaml), { source: `burst-${i}.yaml`, baseRevision: revision });
    assert.equal(r.revision, revision + 1, `apply ${i} took a new revision`);
    applied++;
    last = yaml;
  }
  assert.equal((await via.listIntents()).revision, start + applied, "every apply is a revision: none lost");
  const doneAt = await converged(c, c.replicas[1]!.url, expectedRules(last), 20_000);
  const takeover = await Promise.race(c.replicas.slice(1).map((r) => r.waitLine(/leader: taking over took/, 10_000)));
  const takeoverMs = lineTime(takeover) - killedAt;
  for (const h of HOSTS) assert.ok(c.agents.get(h)!.minRules > 0, `${h} kept rules all along`);
  // h1's agent was on the killed replica: it moved.
  assert.ok(c.agents.get("h1")!.connects.some((x) => x.at >= killedAt), "h1 moved off the killed leader");
  console.log(
    `leader killed during a burst of ${applied} applies (${Date.now() - t0} ms): another replica took over ${takeoverMs} ms after the kill ` +
      `(lease TTL 2 s); every agent on the last version ${doneAt - killedAt} ms after the kill`,
  );
});

test("etcd restarted: replicas stay up, changes fail with UNAVAILABLE meanwhile, and they recover", { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V1), 10_000);
  const admin = c.admin(c.replicas[1]!.url);
  const { revision } = await admin.listIntents();
  await c.etcd.stop();
  const stoppedAt = Date.now();
  const failed = await admin.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: revision }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(failed instanceof ControllerCallError && failed.code === Code.Unavailable, `UNAVAILABLE while etcd is down, got ${String(failed)}`);
  assert.match(failed.message, /etcd unreachable/);
  assert.ok((await admin.listPaths()).hosts.length > 0, "reads are served from what the replica holds");
  await c.replicas[1]!.waitLine(/unreachable/, 10_000);
  // Down longer than the leases' TTL (2 s).
  await new Promise((r) => setTimeout(r, 3_000));
  assert.ok(c.replicas.every((r) => !r.exited), "no replica exited");
  for (const h of HOSTS) assert.ok(c.agents.get(h)!.rules().length > 0, `${h} keeps its rules`);
  await c.etcd.start();
  const restartedAt = Date.now();
  let okAt = 0;
  for (;;) {
    try {
      const cur = await admin.listIntents();
      await admin.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: cur.revision });
      okAt = Date.now();
      break;
    } catch (e) {
      assert.ok(e instanceof ControllerCallError && e.code === Code.Unavailable, `only UNAVAILABLE while recovering, got ${String(e)}`);
      assert.ok(Date.now() - restartedAt < 30_000, "recovered within 30 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const doneAt = await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V2), 20_000);
  assert.ok(c.replicas.every((r) => !r.exited), "no replica exited");
  console.log(`etcd down ${restartedAt - stoppedAt} ms, restarted: the first apply succeeded ${okAt - restartedAt} ms after etcd was back, every agent on its result ${doneAt - restartedAt} ms after`);
});

test("reports reaching a non-leader feed the leader's liveliness; its overlay is in etcd and survives the leader", { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  const follower = c.replicas[1]!;
  await converged(c, follower.url, expectedRules(INTENTS_V1), 10_000);
  for (const a of c.agents.values()) await a.stop(); // this test reports by hand
  const op = c.admin(follower.url);
  const before = await op.listPaths();
  const rule = (p: typeof before, host: string, key: string) => p.hosts.find((h) => h.host === host)!.rules.find((r) => r.key === key)!;
  const primary = (p: typeof before, host: string, key: string, state: "up" | "down"): PathHealthView => {
    const tg = rule(p, host, key).targets[0]!;
    assert.ok(tg.result.ok && tg.probes);
    const up = state === "up";
    return {
      probeSids: tg.probes.primary, routers: tg.result.path.nodes, links: tg.result.path.links, state, since: new Date().toISOString(), loss: up ? 0 : 1,
      rttMinUs: up ? 100 : 0, rttAvgUs: up ? 120 : 0, rttP99Us: up ? 200 : 0, probesSent: 50, probesReceived: up ? 50 : 0, uses: [{ rule: key, prefix: tg.prefix, role: "primary", active: true }],
    };
  };
  const agentClient = async (host: string, url: string) => {
    const creds = await pemCredentials(c.pki, "agent", host);
    const sm = sessionManagerFor(url, creds);
    t.after(() => sm.abort());
    return createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm, interceptors: credentialInterceptors(creds) }));
  };
  const send = async (host: string, version: number, paths: PathHealthView[]) =>
    reportStatus(await agentClient(host, follower.url), { host, generation: before.generation, appliedVersion: version, reportedAt: new Date().toISOString(), rules: [], datapathDrops: {}, paths });
  const v = (h: string) => before.hosts.find((x) => x.host === h)!.version;
  assert.equal(rule(before, "h1", "web#0").targets[0]!.result.ok && (rule(before, "h1", "web#0").targets[0]!.result as { path: { nodes: string[] } }).path.nodes.join(">"), "r1>r2>r4");
  await send("h3", v("h3"), [primary(before, "h3", "h3-out#0", "up")]);
  await send("h1", v("h1"), [primary(before, "h1", "web#0", "up")]);
  const failedAt = Date.now();
  await send("h1", v("h1"), [primary(before, "h1", "web#0", "down")]);
  // The leader localises (r2-r4 down), recomputes h1, writes; the follower serves it.
  const movedOn = async (url: string, timeoutMs: number) => {
    const cl = c.admin(url);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const p = await cl.listPaths();
      const res = rule(p, "h1", "web#0").targets[0]!.result;
      if (res.ok && res.path.nodes.join(">") === "r1>r3>r4") return p;
      assert.ok(Date.now() < until, `h1's web did not move off r2-r4 within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const moved = await movedOn(follower.url, 10_000);
  const movedMs = Date.now() - failedAt;
  assert.ok(moved.hosts.find((h) => h.host === "h1")!.version > v("h1"));
  const links = await op.listLinks();
  assert.equal(links.links.find((l) => l.link === "r2-r4")!.state, "down", "the follower shows the leader's overlay");

  // The leader dies: the next one restores the overlay from etcd, and h1 stays off r2-r4.
  const h1Version = moved.hosts.find((h) => h.host === "h1")!.version;
  const killedAt = Date.now();
  await c.replicas[0]!.kill("SIGKILL");
  await follower.waitLine(/leader: taking over took/, 10_000);
  const takeoverMs = lineTime(follower.lines.find((l) => /leader: taking over took/.test(l))!) - killedAt;
  const after = await movedOn(follower.url, 1_000);
  assert.equal(after.hosts.find((h) => h.host === "h1")!.version, h1Version, "the new leader computed the same rules: no new version");
  assert.match(follower.lines.find((l) => /leader: computed intents revision/.test(l))!, /1 overlay mark|2 overlay mark/);
  console.log(`a path report through a non-leader: h1 re-steered by the leader and served by the non-leader ${movedMs} ms after the report; the next leader took over ${takeoverMs} ms after the kill with the overlay from etcd, h1 unchanged at v${h1Version}`);
});

test("values under /cairn/ that no replica wrote are logged and ignored: the replicas keep serving and applying", { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  await converged(c, c.replicas[1]!.url, expectedRules(INTENTS_V1), 10_000);
  const served = (await c.admin(c.replicas[1]!.url).listPaths()).hosts.find((h) => h.host === "h1")!;
  const etcd = new Etcd3({ hosts: c.etcd.url });
  t.after(() => etcd.close());
  await etcd.put("/cairn/hosts/h1").value("not json");
  await etcd.put("/cairn/hosts/h3").value(JSON.stringify({ rules: "all of them" }));
  await etcd.put("/cairn/overlay").value(JSON.stringify({ marks: 1 }));
  for (const r of c.replicas) await r.waitLine(/ignoring .*hosts\/h1.*not a value this controller wrote/, 5_000);
  for (const r of c.replicas) await r.waitLine(/ignoring a host change .*host h3: not \{rules/, 5_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(c.replicas.every((r) => !r.exited), "no replica exited");
  const now = (await c.admin(c.replicas[1]!.url).listPaths()).hosts.find((h) => h.host === "h1")!;
  assert.equal(now.version, served.version, "h1 is still served as before");
  const admin = c.admin(c.replicas[1]!.url);
  await admin.applyIntents(testIntents(topology, INTENTS_V2), { source: "v2.yaml", baseRevision: (await admin.listIntents()).revision });
  await converged(c, c.replicas[0]!.url, expectedRules(INTENTS_V2), 10_000);
});

/** What one controller computes for `yaml` with the links `drained`, per host. */
function expectedDrained(yaml: string, drained: string[]): Map<string, string> {
  const s = createControllerState(topology, testIntents(topology, yaml));
  s.changeTopology({ drained: { links: drained, routers: [] } });
  return new Map(HOSTS.map((h) => [h, canonicalJson(s.snapshot(h)!.rules)]));
}

test("a topology change through a non-leader: checked there, stored in etcd, applied by the leader, shown by every replica, kept across a leader kill and a restart", { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const c = await cluster(t, 2, (urls) => [urls[1]!, urls[0]!]);
  const [leader, follower] = c.replicas as [ReplicaProcess, ReplicaProcess];
  await converged(c, follower.url, expectedRules(INTENTS_V1), 10_000);
  const etcd = new Etcd3({ hosts: c.etcd.url });
  t.after(() => etcd.close());
  const stored = async () => (await etcd.get("/cairn/topology").exec()).kvs[0]?.mod_revision ?? null;
  /** The revisions every replica names (ListLinks, ListPaths and each host in it): one value each. */
  const revisionsAgree = async (urls: string[]) => {
    const seen = new Set<string>();
    for (const url of urls) {
      const [links, paths] = await Promise.all([c.admin(url).listLinks(), c.admin(url).listPaths()]);
      seen.add(`t${links.topologyRevision}/i${links.intentsRevision}`);
      seen.add(`t${paths.topologyRevision}/i${paths.intentsRevision}`);
    }
    assert.equal(seen.size, 1, `one (topology, intents) revision on every replica: ${[...seen].join(", ")}`);
    return [...seen][0]!;
  };
  const op = c.admin(follower.url);
  const base = (await op.listLinks()).topologyRevision!;
  await revisionsAgree([leader.url, follower.url]);

  // Refusals through the non-leader: nothing stored.
  const unknown = await op.changeTopology({ baseRevision: base, changes: [{ kind: "drain", element: "r2-r5" }], reason: "" }).then(() => null, (e: unknown) => e);
  assert.ok(unknown instanceof ControllerCallError && unknown.code === Code.InvalidArgument, String(unknown));
  assert.match(unknown.message, /changes\[0\] \(drain\): no link or router named "r2-r5"; did you mean "r2-r4"/);
  assert.equal(await stored(), null, "nothing stored");
  const noBase = await op.changeTopology({ baseRevision: 0, changes: [{ kind: "drain", element: "r2-r4" }], reason: "" }).then(() => null, (e: unknown) => e);
  assert.ok(noBase instanceof ControllerCallError && noBase.code === Code.InvalidArgument && /base_revision is required/.test(noBase.message), String(noBase));

  // The drain.
  const t0 = Date.now();
  const r = await op.changeTopology({ baseRevision: base, changes: [{ kind: "drain", element: "r4-r2" }], reason: "fibre work CHG-7" });
  assert.deepEqual([r.previousRevision, r.changes, r.hostsPushed.map((p) => p.host)], [base, ["drain link r2-r4"], ["h1"]], "the leader recomputed h1 only");
  assert.equal(String(r.revision), await stored(), "the new topology revision is the store revision of the layer's write");
  assert.ok(r.rulesRecomputed > 0 && r.rulesChanged > 0);
  const doneAt = await converged(c, follower.url, expectedDrained(INTENTS_V1, ["r2-r4"]), 10_000);
  await converged(c, leader.url, expectedDrained(INTENTS_V1, ["r2-r4"]), 10_000);
  assert.equal(c.agents.get("h1")!.version, BigInt(r.hostsPushed[0]!.version), "h1 at the version the change reported");
  for (const url of [leader.url, follower.url]) {
    const links = await c.admin(url).listLinks();
    const r24 = links.links.find((l) => l.link === "r2-r4")!;
    assert.deepEqual([r24.state, r24.source], ["down", "operator"]);
    assert.deepEqual(links.overrides!.map((o) => [o.kind, o.id, o.change, o.source, o.revision, o.reason]), [["link", "r2-r4", "drained", "operator", r.revision, "fibre work CHG-7"]]);
    assert.match(links.overrides![0]!.by, /admin ci/);
    const h1 = (await c.admin(url).listPaths(["h1"])).hosts[0]!;
    assert.ok(h1.rules.every((rule) => rule.targets.every((tg) => !tg.result.ok || !tg.result.path.links.includes("r2-r4"))), "no path of h1 crosses r2-r4");
    assert.equal(h1.topologyRevision, r.revision);
  }
  assert.equal(await revisionsAgree([leader.url, follower.url]), `t${r.revision}/i1`);

  // A stale base revision, through the leader: ABORTED, naming the current revision; nothing stored.
  const stale = await c.admin(leader.url).changeTopology({ baseRevision: base, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "" }).then(() => null, (e: unknown) => e);
  assert.ok(stale instanceof ControllerCallError && stale.code === Code.Aborted, String(stale));
  assert.match(stale.message, new RegExp(`the topology changed since revision ${base}, it is at revision ${r.revision}; the last operator change was revision ${r.revision} at .* by admin ci`));
  assert.equal(await stored(), String(r.revision), "nothing stored");
  assert.equal((await c.admin(leader.url).listLinks()).topologyRevision, r.revision, "`cairn topology revision` says the revision changes are checked against");

  // The leader killed: the next one takes the drain from etcd and computes the same rules (no new version).
  const versions = new Map(HOSTS.map((h) => [h, c.agents.get(h)!.version]));
  const killedAt = Date.now();
  await leader.kill("SIGKILL");
  const took = await follower.waitLine(/leader: taking over took/, 10_000);
  assert.match(follower.lines.find((l) => /leader: computed intents revision/.test(l))!, /1 drain\(s\) .* 0 host\(s\) differ from the store/);
  await converged(c, follower.url, expectedDrained(INTENTS_V1, ["r2-r4"]), 10_000);
  for (const h of HOSTS) assert.equal(c.agents.get(h)!.version, versions.get(h), `${h} kept its version`);

  // A replica started now (a restart) reads the drain from etcd.
  const restarted = await c.start();
  const links = await c.admin(restarted.url).listLinks();
  assert.deepEqual([links.topologyRevision, links.overrides!.map((o) => o.id)], [r.revision, ["r2-r4"]]);
  await revisionsAgree([follower.url, restarted.url]);

  // The undrain through the restarted replica (not the leader): the paths come back.
  const back = await c.admin(restarted.url).changeTopology({ baseRevision: r.revision, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "done" });
  assert.ok(back.revision > r.revision);
  assert.deepEqual(back.hostsPushed.map((p) => p.host), ["h1"]);
  await converged(c, restarted.url, expectedRules(INTENTS_V1), 10_000);
  await converged(c, follower.url, expectedRules(INTENTS_V1), 10_000);
  assert.equal(await revisionsAgree([follower.url, restarted.url]), `t${back.revision}/i1`);
  assert.deepEqual((await c.admin(follower.url).listLinks()).overrides ?? [], []);
  console.log(
    `a drain through a non-leader: every agent off the link ${doneAt - t0} ms after the request; ` +
      `the next leader took over ${lineTime(took) - killedAt} ms after a kill with the drain from etcd, every host at its version`,
  );
});
