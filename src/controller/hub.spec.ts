import { test } from "node:test";
import assert from "node:assert/strict";
import type { HostRule } from "../core/assignments.js";
import type { PathUpdateView } from "../api/types.js";
import { coalesceDeltas, HubClosedError, MAX_PENDING_DELTAS, SubscriptionHub } from "./hub.js";
import { createControllerState } from "./state.js";
import type { HostDelta } from "./state.js";
import { INTENTS_V1, INTENTS_V2, testIntents, testTopology } from "./testing.js";

const topology = testTopology();
const v1 = testIntents(topology, INTENTS_V1);
const v2 = testIntents(topology, INTENTS_V2);

async function next(it: AsyncGenerator<PathUpdateView>): Promise<PathUpdateView> {
  const r = await it.next();
  assert.equal(r.done, false);
  return r.value as PathUpdateView;
}

test("a subscriber gets its host's snapshot, then only deltas for its host", async () => {
  const state = createControllerState(topology, v1, { generation: "g" });
  const hub = new SubscriptionHub(state);
  const ac = new AbortController();
  const h1 = hub.stream("h1", { agentVersion: "t", peer: "p" }, ac.signal);
  const h3 = hub.stream("h3", { agentVersion: "t", peer: "p" }, ac.signal);
  const s1 = await next(h1);
  assert.equal(s1.full, true);
  assert.equal(s1.version, 1n);
  assert.deepEqual(s1.upserts.map((r) => r.key), ["web#0", "web#1", "bulk#0"]);
  const s3 = await next(h3);
  assert.deepEqual(s3.upserts.map((r) => r.key), ["h3-out#0"]);
  assert.equal(hub.subscribers().length, 2);

  hub.publish(state.setIntents(v2).deltas);
  const d1 = await next(h1);
  assert.equal(d1.full, false);
  assert.equal(d1.version, 2n);
  assert.deepEqual(d1.upserts.map((r) => r.key), ["bulk#0"]);
  assert.deepEqual(d1.removedKeys, ["web#1"]);
  assert.equal(hub.subscribers().find((s) => s.host === "h1")!.lastSentVersion, 2n);

  // h3 got nothing: its next() stays pending until the stream is aborted.
  const pending = h3.next();
  const raced = await Promise.race([pending.then(() => "update"), new Promise((r) => setTimeout(() => r("nothing"), 50))]);
  assert.equal(raced, "nothing");
  ac.abort();
  assert.deepEqual(await pending, { done: true, value: undefined });
  await h1.return(undefined);
  assert.equal(hub.subscribers().length, 0);
});

test("a slow subscriber does not hold up others; it catches up with one coalesced message", async () => {
  const state = createControllerState(topology, v1);
  const hub = new SubscriptionHub(state);
  const ac = new AbortController();
  const slow = hub.stream("h1", { agentVersion: "", peer: "slow" }, ac.signal);
  const fast = hub.stream("h1", { agentVersion: "", peer: "fast" }, ac.signal);
  await next(slow);
  await next(fast);
  // v1 -> v2 -> v1: the slow one reads only afterwards.
  hub.publish(state.setIntents(v2).deltas);
  assert.equal((await next(fast)).version, 2n);
  hub.publish(state.setIntents(v1).deltas);
  const f3 = await next(fast);
  assert.equal(f3.version, 3n);
  const s = await next(slow);
  assert.equal(s.full, false);
  assert.equal(s.version, 3n);
  // Net effect v1 -> v1: bulk#0 and web#1 re-upserted to their v1 content, nothing removed.
  assert.deepEqual(s.upserts.map((r) => r.key).sort(), ["bulk#0", "web#1"]);
  assert.deepEqual(s.removedKeys, []);
  ac.abort();
  await Promise.all([slow.return(undefined), fast.return(undefined)]);
});

test("a subscriber too far behind gets a full snapshot instead of a backlog", async () => {
  const state = createControllerState(topology, v1);
  const hub = new SubscriptionHub(state);
  const ac = new AbortController();
  const slow = hub.stream("h1", { agentVersion: "", peer: "" }, ac.signal);
  await next(slow);
  for (let i = 0; i <= MAX_PENDING_DELTAS + 1; i++) hub.publish(state.setIntents(i % 2 ? v1 : v2).deltas);
  const u = await next(slow);
  assert.equal(u.full, true);
  assert.equal(u.version, state.snapshot("h1")!.version);
  assert.deepEqual(u.upserts, state.snapshot("h1")!.rules);
  ac.abort();
  await slow.return(undefined);
});

test("closing the hub ends streams with HubClosedError", async () => {
  const hub = new SubscriptionHub(createControllerState(topology, v1));
  const s = hub.stream("h1", { agentVersion: "", peer: "" }, new AbortController().signal);
  await next(s);
  const p = s.next();
  hub.close();
  await assert.rejects(p, HubClosedError);
  assert.equal(hub.subscribers().length, 0);
});

test("coalesceDeltas: later wins, remove then re-add is an upsert", () => {
  const rule = (key: string, prefix: string): HostRule => ({
    key,
    intent: key.split("#")[0]!,
    priority: 0,
    match: { protocol: 0, portFrom: 0, portTo: 65535 },
    onFailure: "open",
    targets: [{ prefix, result: { ok: false, reason: "x" } }],
  });
  const ds: HostDelta[] = [
    { host: "h", version: 2n, upserts: [rule("a#0", "::1/128")], removed: ["b#0"] },
    { host: "h", version: 3n, upserts: [rule("b#0", "::2/128")], removed: ["a#0", "c#0"] },
    { host: "h", version: 5n, upserts: [rule("c#0", "::3/128")], removed: [] },
  ];
  const c = coalesceDeltas(ds);
  assert.equal(c.version, 5n);
  assert.deepEqual(c.upserts.map((r) => r.key), ["b#0", "c#0"]);
  assert.deepEqual(c.removed, ["a#0"]);
});

test("watch probes: the snapshot always carries them; a delta only when they changed, the latest winning when coalesced", async () => {
  const state = createControllerState(topology, v1);
  const hub = new SubscriptionHub(state);
  const ac = new AbortController();
  const probe = (reason: string) => ({ probeSids: ["fc00:0:4::1"], routers: ["r1", "r2", "r4"], links: ["r1-r2", "r2-r4"], reason });
  const s = hub.stream("h1", { agentVersion: "", peer: "" }, ac.signal);
  assert.deepEqual((await next(s)).watch, []);
  const nothing = { down: { links: [], routers: [] }, degraded: { links: [], routers: [] } };
  hub.publish(state.setLiveliness(nothing, new Map([["h1", [probe("first")]]])).deltas);
  hub.publish(state.setLiveliness(nothing, new Map([["h1", [probe("second")]]])).deltas);
  const d = await next(s);
  assert.deepEqual([d.full, d.version, d.watch], [false, 3n, [probe("second")]]);
  hub.publish(state.setIntents(v2).deltas);
  assert.equal((await next(s)).watch, undefined, "a rules-only delta leaves the watch set as it is");
  ac.abort();
  await s.return(undefined);
  const late = hub.stream("h1", { agentVersion: "", peer: "" }, new AbortController().signal);
  assert.deepEqual((await next(late)).watch, [probe("second")]);
  await late.return(undefined);
  assert.deepEqual(coalesceDeltas([{ host: "h", version: 2n, upserts: [], removed: [], watch: [probe("x")] }, { host: "h", version: 3n, upserts: [], removed: [] }]).watch, [probe("x")]);
});

test("an agent that holds the current version of this generation resumes without a snapshot; another generation or an older version gets one", async () => {
  const state = createControllerState(topology, v1, { generation: "g" });
  const hub = new SubscriptionHub(state);
  const ac = new AbortController();
  try {
    const resumed = hub.stream("h1", { agentVersion: "t", peer: "p", holds: { generation: "g", version: 1n } }, ac.signal);
    const first = await next(resumed);
    assert.deepEqual([first.full, first.version, first.upserts.length, first.removedKeys.length, first.watch], [false, 1n, 0, 0, undefined]);
    hub.publish(state.setIntents(v2).deltas);
    const d = await next(resumed);
    assert.deepEqual([d.full, d.version], [false, 2n], "then deltas as usual");

    const otherGen = hub.stream("h1", { agentVersion: "t", peer: "p", holds: { generation: "old", version: 2n } }, ac.signal);
    assert.deepEqual([(await next(otherGen)).full, state.snapshot("h1")!.version], [true, 2n]);
    const older = hub.stream("h1", { agentVersion: "t", peer: "p", holds: { generation: "g", version: 1n } }, ac.signal);
    const o = await next(older);
    assert.deepEqual([o.full, o.version], [true, 2n], "an agent behind gets the snapshot");
  } finally {
    ac.abort();
    hub.close();
  }
});
