import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FaultRequestError,
  describeFault,
  editDistance,
  faultDirections,
  nearestNames,
  parsePercent,
  planFault,
  wantedLink,
  withFault,
  withoutFault,
  type LabFault,
} from "./fault-model.js";
import { squareTopology } from "./testing.js";

const t = squareTopology(); // links r1-r2, r2-r4, r1-r3, r3-r4; hosts h1 (r1), h2 (r4)
const NOW = "2025-01-01T00:00:00.000Z";
const plan = (kind: LabFault["kind"], target: string, more: { direction?: string; percent?: number } = {}) => planFault(t, { kind, target, ...more }, NOW);

test("a link is named by its id or either way round; a router by its name", () => {
  assert.deepEqual(plan("down", "r1-r2"), { kind: "down", target: "link", name: "r1-r2", a: "r1", b: "r2", since: NOW });
  assert.deepEqual(plan("down", "r2-r1"), plan("down", "r1-r2"));
  assert.deepEqual(plan("down", "r3"), { kind: "down", target: "node", name: "r3", since: NOW });
});

test("direction: a-b and b-a as the link is written, the routers' names, or both (the default)", () => {
  assert.equal(plan("drop", "r1-r2").direction, "both");
  assert.equal(plan("drop", "r1-r2", { direction: "a-b" }).direction, "a-b");
  assert.equal(plan("drop", "r2-r1", { direction: "a-b" }).direction, "b-a", "written r2-r1, a is r2");
  assert.equal(plan("drop", "r2-r1", { direction: "b-a" }).direction, "a-b");
  assert.equal(plan("drop", "r1-r2", { direction: "r2-r1" }).direction, "b-a");
  assert.equal(plan("drop", "r2-r1", { direction: "r1-r2" }).direction, "a-b");
  assert.throws(() => plan("drop", "r1-r2", { direction: "r1-r3" }), /direction "r1-r3" is none of a-b, b-a, both, r1-r2, r2-r1/);
});

test("drop is a full loss; loss takes a percentage above 0 and below 100", () => {
  assert.equal(plan("drop", "r1-r2").percent, 100);
  assert.equal(plan("loss", "r1-r2", { percent: 30 }).percent, 30);
  assert.throws(() => plan("loss", "r1-r2"), /loss needs a percentage/);
  for (const bad of [0, 100, -5, Number.NaN]) assert.throws(() => plan("loss", "r1-r2", { percent: bad }), FaultRequestError);
  assert.throws(() => plan("drop", "r1-r2", { percent: 50 }), /for a share of them use/);
  assert.deepEqual(["30", "30%", " 2.5 ", ".5"].map(parsePercent), [30, 30, 2.5, 0.5]);
  for (const bad of ["0", "100", "abc", "", "1e2", "-3"]) assert.throws(() => parsePercent(bad), /is not a number above 0 and below 100/);
});

test("unknown names get the nearest names; hosts, uplinks and routers where a link is needed are refused with the reason", () => {
  assert.throws(() => plan("down", "r1-r5"), (e: Error) => e instanceof FaultRequestError && /no router or link between routers named "r1-r5" in the lab \(nearest: r1-r2, r1-r3, /.test(e.message));
  assert.throws(() => plan("down", "r9"), /nearest: r1, r2, r3, r4/);
  assert.throws(() => plan("drop", "r9"), (e: Error) => /no link between routers named "r9"/.test(e.message) && !/nearest: r1,/.test(e.message));
  assert.throws(() => plan("drop", "r2"), /r2 is a router; this fault takes a link between routers \(to fail a router: `cairn lab fault down r2`\)/);
  assert.throws(() => plan("down", "h1"), /h1 is a host; faults take a router or link between routers/);
  assert.throws(() => plan("down", "h1-r1"), /h1-r1 is h1's uplink/);
  assert.throws(() => plan("down", "r1", { direction: "a-b" }), /no direction/);
});

test("nearest names by edit distance", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.deepEqual(nearestNames("r1-r5", ["r3-r4", "r1-r2", "r2-r4", "r1-r3"], 2), ["r1-r2", "r1-r3"]);
  assert.deepEqual(nearestNames("R10", ["r2", "r10", "r1"], 1), ["r10"]);
});

test("a second fault on the same element replaces the first; others stay", () => {
  const drop = plan("drop", "r1-r2");
  const r3 = plan("down", "r3");
  const { faults, replaced } = withFault([drop, r3], plan("loss", "r2-r1", { percent: 10 }));
  assert.deepEqual(replaced, drop);
  assert.deepEqual(faults.map(describeFault), ["router r3 down", "10% loss on link r1-r2 (both ways)"]);
  assert.equal(withFault([], r3).replaced, null);
  assert.deepEqual(withoutFault(faults, { target: "node", name: "r3" }).faults.map(describeFault), ["10% loss on link r1-r2 (both ways)"]);
  assert.equal(withoutFault(faults, { target: "link", name: "r3-r4" }).removed, null);
});

test("what a link must look like: down with its own fault or either router's, filters per direction", () => {
  const link = { id: "r1-r2", a: "r1", b: "r2" };
  assert.deepEqual(wantedLink([], link), { down: false, dropAToB: null, dropBToA: null });
  assert.deepEqual(wantedLink([plan("down", "r2-r1")], link), { down: true, dropAToB: null, dropBToA: null });
  assert.deepEqual(wantedLink([plan("down", "r1")], link), { down: true, dropAToB: null, dropBToA: null });
  assert.deepEqual(wantedLink([plan("down", "r3")], link), { down: false, dropAToB: null, dropBToA: null });
  assert.deepEqual(wantedLink([plan("drop", "r1-r2", { direction: "r2-r1" })], link), { down: false, dropAToB: null, dropBToA: 100 });
  assert.deepEqual(wantedLink([plan("loss", "r1-r2", { percent: 30 }), plan("down", "r2")], link), { down: true, dropAToB: 30, dropBToA: 30 });
});

test("descriptions and directions say which way packets are lost", () => {
  const f = plan("drop", "r2-r1", { direction: "a-b" });
  assert.equal(describeFault(f), "drop on link r1-r2 (r2 to r1)");
  assert.deepEqual(faultDirections(f), [{ from: "r2", to: "r1" }]);
  assert.deepEqual(faultDirections(plan("loss", "r1-r2", { percent: 5 })), [{ from: "r1", to: "r2" }, { from: "r2", to: "r1" }]);
  assert.deepEqual(faultDirections(plan("down", "r1-r2")), []);
  assert.equal(describeFault(plan("down", "r4")), "router r4 down");
});
