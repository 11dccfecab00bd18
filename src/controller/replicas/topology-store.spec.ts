// The operator's topology layer in both stores (memory and a real etcd), the same checks: written only
// when its key is still at the expected store revision (0n: never written), the write's revision
// returned, nothing written otherwise; every follower sees each write once, in order, and a later one
// starts from the last. The leader's word that it applied a layer rides with its assignments, after
// them, and the overlay comes before the hosts (their deltas name the topology revision it makes).
import assert from "node:assert/strict";
import test, { type TestContext } from "node:test";
import type { TopologyLayer } from "../topology-layer.js";
import { waitFor } from "../testing.js";
import { EtcdStore } from "./etcd-store.js";
import { etcdMissing, startEtcd } from "./etcd-fixture.js";
import { MemoryBackend, MemoryStore } from "./memory-store.js";
import type { ControllerStore, StoreChange, TopologyAppliedRecord } from "./store.js";

const made = (by: string) => ({ by, at: "2026-11-30T20:00:00.000Z", revision: 0, reason: "CHG-1" });
const drained: TopologyLayer = { drained: [{ kind: "link", id: "r2-r4", ...made("a") }], links: [], last: made("a") };
const metrics: TopologyLayer = {
  drained: [{ kind: "link", id: "r2-r4", ...made("a"), revision: 5 }],
  links: [{ id: "r1-r3", source: "measurement", metrics: { igp: 5, te: 5, delayUs: 6000, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0 }, ...made("b") }],
  last: made("b"),
};

/** `make()` gives a new client of one store each call. */
async function layerChecks(t: TestContext, make: () => ControllerStore): Promise<void> {
  const [a, b, later] = [make(), make(), make()];
  t.after(() => Promise.all([a.close(), b.close(), later.close()]));
  const seen: StoreChange[] = [];
  const start = await a.follow((c) => seen.push(c), () => {});
  assert.deepEqual([start.topologyLayer, start.topologyLayerRevision, start.topologyApplied], [null, 0n, null], "nothing stored yet");
  const layers = () => seen.filter((c): c is Extract<StoreChange, { kind: "topology" }> => c.kind === "topology");

  assert.equal(await a.replaceTopologyLayer(7n, drained), null, "a key never written is not at revision 7");
  const r1 = await a.replaceTopologyLayer(0n, drained);
  assert.ok(r1 !== null && r1 > start.revision, "written, at a new store revision");
  assert.equal(await b.replaceTopologyLayer(0n, metrics), null, "another client expecting the key unwritten: refused");
  assert.equal(await b.replaceTopologyLayer(r1 - 1n, metrics), null, "expecting an older revision: refused");
  const r2 = await b.replaceTopologyLayer(r1, metrics);
  assert.ok(r2 !== null && r2 > r1, "expecting the current revision: written");
  assert.equal(await a.replaceTopologyLayer(r1, drained), null, "r1 is stale now");

  await waitFor("both writes on the watch", () => layers().length >= 2, 5_000);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(layers().map((c) => [c.revision, c.layer]), [[r1, drained], [r2, metrics]], "each write once, in order, with its revision; refused ones not at all");
  const fresh = await later.follow(() => {}, () => {});
  assert.deepEqual([fresh.topologyLayer, fresh.topologyLayerRevision], [metrics, r2], "a later follower starts from the last write");

  // The leader's write: overlay, hosts, then its word on the layer.
  const leadership = await a.campaign("a", new AbortController().signal);
  t.after(() => leadership.resign());
  const applied: TopologyAppliedRecord = { layerRevision: Number(r2), rulesRecomputed: 2, rulesChanged: 1, fullRecompute: false, hostsPushed: [{ host: "h1", upserts: 1, removals: 0 }] };
  const from = seen.length;
  const w = await a.writeAssignments(leadership, { hosts: new Map([["h1", { rules: [], watch: [] }]]), overlay: [], topologyApplied: applied });
  await waitFor("the leader's write on the watch", () => seen.length >= from + 3, 5_000);
  assert.deepEqual(seen.slice(from).map((c) => [c.kind, c.revision]), [["overlay", w], ["host", w], ["topology-applied", w]]);
  assert.deepEqual((await make().follow(() => {}, () => {}).then((c) => c.topologyApplied)), applied);
}

test("memory store: the topology layer is replaced by compare-and-swap on its store revision", async (t) => {
  const backend = new MemoryBackend();
  await layerChecks(t, () => new MemoryStore(backend));
});

test("etcd store: the topology layer is replaced by compare-and-swap on its store revision", { skip: etcdMissing() ?? false, timeout: 60_000 }, async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.close());
  const clients: EtcdStore[] = [];
  t.after(() => Promise.all(clients.map((c) => c.close())));
  await layerChecks(t, () => {
    const c = new EtcdStore({ endpoints: [etcd.url], leaseTtlSeconds: 2, log: () => {} });
    clients.push(c);
    return c;
  });
});
