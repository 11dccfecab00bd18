// ChangeTopology on a replica, the paths the replica tests do not reach: another replica's change
// stored between this one's check and its write (the compare-and-swap fails: ABORTED naming the
// current revision and who made it, nothing of this request stored, audited as refused), and no
// leader to apply a change (it is stored and answered with its revision, without what was pushed).
import assert from "node:assert/strict";
import test from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AuditLog } from "../audit.js";
import { realClock } from "../clock.js";
import { EventLog } from "../events.js";
import { ANONYMOUS, type Principal } from "../principal.js";
import { testIntents, testTopology } from "../testing.js";
import { encodeIntents } from "./intents-codec.js";
import { MemoryBackend, MemoryStore } from "./memory-store.js";
import { StoreMirror } from "./mirror.js";
import { ReplicaTopology } from "./replica-topology.js";

const topology = testTopology();
const admin: Principal = { ...ANONYMOUS, name: "ci", role: "admin", via: "token", peer: "[::1]:1" };

async function replicaOn(backend: MemoryBackend, audit: (line: Record<string, unknown>) => Promise<void>) {
  const store = new MemoryStore(backend);
  await store.initialise("g", { intents: encodeIntents(testIntents(topology)), revision: 1, changedAt: "", changedBy: "", source: "intents.yaml" });
  let mirror: StoreMirror | null = null;
  const contents = await store.follow((c) => mirror?.apply(c), () => {});
  mirror = new StoreMirror("g", topology, contents, () => {});
  const events = new EventLog(realClock);
  const lines: string[] = [];
  const fakeAudit = { path: "audit.log", append: (r: unknown) => audit(r as Record<string, unknown>) } as unknown as AuditLog;
  const rt = new ReplicaTopology({ store, mirror, events, clock: realClock, log: (l) => lines.push(l), audit: fakeAudit, appliedWaitMs: 200 });
  return { store, mirror, events, lines, rt };
}

test("another replica's change between the check and the write: ABORTED with the current revision, nothing of this request stored", async () => {
  const backend = new MemoryBackend();
  const other = new MemoryStore(backend);
  const audited: Record<string, unknown>[] = [];
  let theirs = 0n;
  const r = await replicaOn(backend, async (line) => {
    audited.push(line);
    if (line["outcome"] === "applied") {
      // While this replica writes its audit line, another replica stores its change.
      const made = { by: "admin other", at: "2026-11-30T20:00:00.000Z", revision: 0, reason: "" };
      theirs = (await other.replaceTopologyLayer(0n, { drained: [{ kind: "router", id: "r3", ...made }], links: [], last: made }))!;
    }
  });
  const err = await r.rt.change({ baseRevision: 1, changes: [{ kind: "drain", element: "r1-r2" }], reason: "" }, admin).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ConnectError && err.code === Code.Aborted, String(err));
  assert.match(err.rawMessage, new RegExp(`the topology changed since revision 1, it is at revision ${theirs}; the last operator change was revision ${theirs} at .* by admin other`));
  assert.deepEqual(backend.topology!.layer.drained.map((d) => d.id), ["r3"], "the other replica's layer, nothing of this request");
  assert.deepEqual(audited.map((l) => [l["outcome"], l["code"]]), [["applied", undefined], ["refused", "aborted"]]);
  assert.deepEqual(r.events.list(0, 10).events.map((e) => (e.type === "topology" ? [e.refused, e.revision] : [])), [[true, Number(theirs)]]);
});

test("no leader: the change is stored and answered with its revision, without what the leader pushed", async () => {
  const backend = new MemoryBackend();
  const r = await replicaOn(backend, async () => {});
  const res = await r.rt.change({ baseRevision: 1, changes: [{ kind: "drain", element: "r1-r2" }], reason: "maintenance" }, admin);
  assert.equal(BigInt(res.revision), backend.topology!.revision);
  assert.deepEqual([res.previousRevision, res.hostsPushed, res.changes], [1, [], ["drain link r1-r2"]]);
  assert.equal(r.mirror.revisions().topology, res.revision, "the replica names the new revision");
  assert.ok(r.lines.some((l) => /the leader has not applied it yet/.test(l)), r.lines.join("\n"));
  // Already in force: nothing stored, the same revision.
  const same = await r.rt.change({ baseRevision: res.revision, changes: [{ kind: "drain", element: "r2-r1" }], reason: "" }, admin);
  assert.deepEqual([same.previousRevision, same.revision, same.changes], [res.revision, res.revision, ["drain link r1-r2 (already drained)"]]);
  assert.equal(backend.topology!.revision, BigInt(res.revision));
  // A metric change: GetTopology's topology (the mirror's) has it, ListLinks' overrides say it.
  const m = await r.rt.change({ baseRevision: res.revision, changes: [{ kind: "metrics", link: "r1-r3", igp: 20 }], reason: "" }, admin);
  assert.equal(r.mirror.topology.links.find((l) => l.id === "r1-r3")!.igp, 20);
  assert.equal(r.mirror.declared.links.find((l) => l.id === "r1-r3")!.igp, 5, "the file's model is left as it is");
  const view = r.rt.decorate({ holdDownMs: 0, links: [], nodes: [], unexplained: [] });
  assert.deepEqual(view.overrides!.map((o) => [o.id, o.change, o.revision]), [["r1-r2", "drained", res.revision], ["r1-r3", "igp 5 -> 20", m.revision]]);
  assert.deepEqual([view.topologyRevision, view.intentsRevision], [m.revision, 1]);
});
