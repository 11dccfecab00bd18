import { test } from "node:test";
import assert from "node:assert/strict";
import type { EventView } from "../api/types.js";
import { ManualClock } from "./clock.js";
import { EventLog, EventRingClosedError } from "./events.js";
import { MAX_PENDING_PUSHES, PushTracker } from "./pushes.js";
import fc from "fast-check";

const intents = (n: number) => ({ type: "intents" as const, added: [`i${n}`], changed: [], removed: [], source: "f", by: "", previousRevision: n, revision: n + 1, baseRevision: n, refused: false, reason: "" });

test("the ring keeps the last N events with increasing sequence numbers, times and causes", () => {
  const clock = new ManualClock();
  const log = new EventLog(clock, 3);
  for (let i = 1; i <= 5; i++) {
    log.record({ ...intents(i), cause: i - 1, durationMs: i / 2 });
    clock.advance(10);
  }
  const all = log.list();
  assert.deepEqual([all.lastSeq, all.capacity, all.events.map((e) => e.seq)], [5, 3, [3, 4, 5]]);
  assert.deepEqual(all.events[0], { seq: 3, at: "2024-01-01T00:00:00.020Z", cause: 2, durationMs: 1.5, ...intents(3) });
  assert.deepEqual(log.list(3).events.map((e) => e.seq), [4, 5]);
  assert.deepEqual(log.list(0, 1).events.map((e) => e.seq), [5], "the newest `limit`");
  assert.equal(log.get(2), undefined, "dropped");
  assert.equal(log.get(4)!.seq, 4);
  assert.throws(() => new EventLog(clock, 0), /events capacity must be a whole number ≥ 1, got 0/);
});

async function take(it: AsyncGenerator<EventView>, n: number): Promise<EventView[]> {
  const out: EventView[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

test("a follower gets the held events, then new ones; one that fell behind the ring is told how many it lost", async () => {
  const log = new EventLog(new ManualClock(), 3);
  const ac = new AbortController();
  log.record(intents(1));
  const f = log.follow(0, ac.signal);
  assert.deepEqual((await take(f, 1)).map((e) => e.seq), [1]);
  const waiting = take(f, 2);
  log.record(intents(2));
  log.record(intents(3));
  assert.deepEqual((await waiting).map((e) => e.seq), [2, 3]);
  // Five more while it does not read: the ring holds the last three.
  for (let i = 4; i <= 8; i++) log.record(intents(i));
  const caughtUp = await take(f, 4);
  assert.deepEqual(caughtUp.map((e) => [e.seq, e.type]), [[0, "lost"], [6, "intents"], [7, "intents"], [8, "intents"]]);
  assert.ok(caughtUp[0]!.type === "lost" && caughtUp[0]!.count === 2);
  // From a given point; abort ends it quietly; close ends the others with an error.
  assert.deepEqual((await take(log.follow(7, ac.signal), 1)).map((e) => e.seq), [8]);
  const pending = f.next();
  ac.abort();
  assert.deepEqual(await pending, { done: true, value: undefined });
  const other = log.follow(8, new AbortController().signal);
  const ended = other.next();
  log.close();
  await assert.rejects(ended, EventRingClosedError);
});

test("pushes become events; the host's report at or past a version acknowledges them, with times since push and cause", () => {
  const clock = new ManualClock();
  const log = new EventLog(clock);
  const pushes = new PushTracker(log, clock, "g1");
  const root = log.record(intents(1));
  clock.advance(2);
  const cause = log.record({ ...intents(2), cause: root.seq });
  clock.advance(3);
  pushes.pushed([{ host: "h1", version: 2n, upserts: [], removed: ["a#0"] }, { host: "h2", version: 7n, upserts: [], removed: [], watch: [] }], cause.seq);
  clock.advance(10);
  pushes.pushed([{ host: "h1", version: 3n, upserts: [], removed: [] }], 0);
  clock.advance(20);
  pushes.reported("h1", "another-generation", 3);
  pushes.reported("h1", "g1", 2);
  pushes.reported("h1", "g1", 2);
  pushes.reported("h2", "g1", 6);
  const seen = log.list(2).events.map((e) => e.type === "push" ? `push ${e.host} v${e.version} watch=${e.watch} removals=${e.removals} cause=${e.cause}` : e.type === "ack" ? `ack ${e.host} v${e.version} push=${e.pushSeq} ${e.sincePushMs}/${e.sinceCauseMs} ms from #${e.rootCause}` : e.type);
  // The ack measures from the push, and from the start of its chain of causes (#1, not #2).
  assert.deepEqual(seen, [
    "push h1 v2 watch=false removals=1 cause=2",
    "push h2 v7 watch=true removals=0 cause=2",
    "push h1 v3 watch=false removals=0 cause=0",
    "ack h1 v2 push=3 30/35 ms from #1",
  ]);
  pushes.reported("h1", "g1", 9);
  const last = log.list(0, 1).events[0]!;
  assert.ok(last.type === "ack" && last.version === 3 && last.sinceCauseMs === last.sincePushMs && last.rootCause === last.pushSeq, "a push without a cause is its own root");
  // An agent that never answers does not make the tracker hold more than MAX_PENDING_PUSHES.
  for (let v = 10; v < 10 + MAX_PENDING_PUSHES + 5; v++) pushes.pushed([{ host: "h3", version: BigInt(v), upserts: [], removed: [] }], 0);
  const before = log.lastSeq;
  pushes.reported("h3", "g1", 1000);
  assert.equal(log.lastSeq - before, MAX_PENDING_PUSHES);
});

test("the circular ring answers list and get as keeping every event and reading the last N would", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -3, max: 45 }), fc.integer({ min: 0, max: 15 }), (capacity, n, afterSeq, limit) => {
      const log = new EventLog(new ManualClock(), capacity);
      const every: EventView[] = [];
      for (let i = 1; i <= n; i++) every.push(log.record(intents(i)));
      const held = every.slice(-capacity);
      const after = held.filter((e) => e.seq > afterSeq);
      assert.deepEqual(log.list(afterSeq, limit).events, limit > 0 ? after.slice(-limit) : after);
      for (let seq = -1; seq <= n + 2; seq++) assert.equal(log.get(seq), held.find((e) => e.seq === seq));
    }),
    { seed: 7, numRuns: 400 },
  );
});
