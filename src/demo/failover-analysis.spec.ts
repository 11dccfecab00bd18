import { test } from "node:test";
import assert from "node:assert/strict";
import type { Topology } from "../core/model.js";
import type { EventView } from "../api/types.js";
import { arrivalsBetween, controllerTimeline, faultOnset, longestOutageMs, lostBetween, pathFromArrivals, recoveryAfterFault } from "./failover-analysis.js";
import type { MissingRun } from "./seq-account.js";

const T0 = 1_790_000_000_000; // ms
const us = (ms: number) => (T0 + ms) * 1000;
/** A run of lost datagrams 1 ms apart: seq `from`..`to` sent at T0 + seq ms, neighbours arrived. */
const run = (from: number, to: number, tail = false): MissingRun => ({ from, to, prevSentUs: from > 0 ? us(from - 1) : null, nextSentUs: tail ? null : us(to + 1) });
const times = { faultAt: T0 + 1000, onsetAt: T0 + 1000, healAt: T0 + 4000 };

test("losses are counted by their send time, spread between the datagrams that arrived around them", () => {
  const stream = { missing: [run(500, 509), run(1000, 1035), run(3990, 4009)] };
  assert.equal(lostBetween(stream, 1000, T0 + 1000, T0 + 4000), 36 + 10);
  assert.equal(lostBetween(stream, 1000, T0 + 4000, Infinity), 10);
  assert.equal(lostBetween({ missing: [run(9990, 9999, true)] }, 1000, T0 + 9995, Infinity), 5, "a lost tail: one interval apart");
});

test("recovery: the first datagram that arrived after the last loss during the fault", () => {
  assert.deepEqual(recoveryAfterFault({ missing: [run(500, 509)] }, times, 1000), { kind: "no-loss" }, "a loss before the fault is not the fault's");
  assert.deepEqual(recoveryAfterFault({ missing: [run(1000, 1035)] }, times, 1000), { kind: "recovered", afterMs: 36 });
  assert.deepEqual(recoveryAfterFault({ missing: [run(1003, 1003), run(1200, 1400), run(2000, 2000)] }, times, 1000), { kind: "recovered", afterMs: 1001 }, "random loss: the last one counts");
  assert.deepEqual(recoveryAfterFault({ missing: [run(1000, 4100)] }, times, 1000), { kind: "not-before-heal" });
  assert.deepEqual(recoveryAfterFault({ missing: [run(1000, 9999, true)] }, times, 1000), { kind: "not-before-heal" });
  assert.deepEqual(recoveryAfterFault({ missing: [run(1003, 1003), run(3900, 3900)] }, times, 1000), { kind: "not-before-heal" }, "lossless only in the last 100 ms before the heal");
});

test("the outage: the longest gap between received sequence numbers, timed by their send times", () => {
  assert.equal(longestOutageMs({ missing: [] }, 1000), 0);
  assert.equal(longestOutageMs({ missing: [run(500, 509), run(1000, 1035)] }, 1000), 37);
  assert.equal(longestOutageMs({ missing: [{ from: 10, to: 19, prevSentUs: us(9), nextSentUs: us(80) }] }, 1000), 71, "the sender paused inside the run: its real span");
  assert.equal(longestOutageMs({ missing: [run(9990, 9999, true)] }, 1000), 11, "a lost tail: estimated at the stream's rate");
});

const topology = {
  routers: ["r1", "r2", "r3", "r4", "r7"].map((name) => ({ name })),
  hosts: [{ name: "h1", router: "r1" }, { name: "h2", router: "r4" }],
  links: [["r1", "r2"], ["r2", "r3"], ["r3", "r4"], ["r1", "r7"], ["r7", "r4"]].map(([a, b]) => ({ a, b })),
} as unknown as Topology;

test("the fault's onset: the first loss it caused in any flow, not the start of a slow injection", () => {
  const window = { faultAt: T0 + 1000, faultInPlaceAt: T0 + 1250 };
  assert.equal(faultOnset([{ missing: [run(500, 509), run(1300, 1310)] }, { missing: [run(1180, 1190)] }], window, 1000), T0 + 1180);
  assert.equal(faultOnset([{ missing: [run(1400, 1410)] }], window, 1000), T0 + 1000, "a loss well after it was in place is not its onset");
});

test("the path a flow took, in order, from what each router received on which interface", () => {
  const counts = {
    r1: { byInterface: { h1: 1000, r2: 3 } },
    r2: { byInterface: { r1: 1000 } },
    r3: { byInterface: { r2: 998 } },
    r4: { byInterface: { r3: 998, r7: 2 } },
    r7: { byInterface: {} },
  };
  assert.deepEqual(pathFromArrivals(topology, counts, "h1"), ["r1", "r2", "r3", "r4"]);
  const dropped = { ...counts, r3: { byInterface: { r2: 0 } }, r4: { byInterface: {} } };
  assert.deepEqual(pathFromArrivals(topology, dropped, "h1"), ["r1", "r2"], "a silent drop: the path ends where the packets did");
  assert.deepEqual(pathFromArrivals(topology, { r1: { byInterface: {} } }, "h1"), []);
  const before = { r1: { packets: 5, bytes: 0, laterFragments: 0, byInterface: { h1: 5 } } };
  const after = { r1: { packets: 15, bytes: 0, laterFragments: 0, byInterface: { h1: 15, r7: 4 } } };
  assert.deepEqual(arrivalsBetween(before, after), { r1: { byInterface: { h1: 10, r7: 4 } } });
});

function event(seq: number, atMs: number, cause: number, detail: Record<string, unknown>): EventView {
  return { seq, at: new Date(T0 + atMs).toISOString(), cause, durationMs: 0, ...detail } as EventView;
}

test("the controller's timeline: report, localisation, and the acks of the pushes that followed from it", () => {
  const events = [
    event(1, 500, 0, { type: "ack", host: "h1", version: 1 }),
    event(2, 1034, 0, { type: "path-state", host: "h1", probeSids: [], routers: [], state: "down", previous: "up", rules: [] }),
    event(3, 1036, 2, { type: "localisation", suspects: [{ kind: "link", id: "r2-r3", state: "down", confidence: 1, unique: true, failingPaths: 2, share: 1 }], downPaths: 2, degradedPaths: 0, unexplainedPaths: 0, exact: true }),
    event(4, 1037, 3, { type: "recompute", rules: [], changed: [] }),
    event(5, 1038, 4, { type: "push", host: "h1", version: 2, upserts: 1, removals: 0, watch: true }),
    event(6, 1039, 4, { type: "push", host: "h4", version: 7, upserts: 1, removals: 0, watch: false }),
    event(7, 1100, 0, { type: "push", host: "h9", version: 3, upserts: 0, removals: 0, watch: true }),
    event(8, 1210, 5, { type: "ack", host: "h1", version: 2 }),
    event(9, 1150, 7, { type: "ack", host: "h9", version: 3 }),
    event(10, 1240, 6, { type: "ack", host: "h4", version: 7 }),
    event(11, 7400, 0, { type: "ack", host: "h1", version: 3 }),
  ];
  const t = controllerTimeline(events, times);
  assert.equal(t.firstReportMs, 34);
  assert.equal(t.localisedMs, 36);
  assert.deepEqual(t.suspects, [{ id: "r2-r3", state: "down", share: 1 }]);
  assert.deepEqual(t.resteeredHosts, ["h1", "h4"], "h9's push did not follow from the localisation");
  assert.equal(t.resteeredMs, 240, "the last of them acknowledged");
  assert.equal(t.restoredAfterHealMs, 3400);
  assert.equal(controllerTimeline(events.filter((e) => e.seq !== 10), times).resteeredMs, null, "h4 never acknowledged: not every host was re-steered");
});
