import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FaultRequestError,
  describeFault,
  faultDirections,
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
  // The same message src/lab/faults.spec.ts expects from `cairn lab fault down r1-r5` on this topology.
  assert.throws(() => plan("down", "r1-r5"), (e: Error) => e instanceof FaultRequestError && e.message === 'no router or link between routers named "r1-r5" in the lab; did you mean "r1-r2" or "r1-r3"?');
  assert.throws(() => plan("down", "r5-r1"), /did you mean "r2-r1" or "r3-r1"\?$/, "the spelling nearest to what was typed");
  assert.throws(() => plan("down", "r9"), /; did you mean "r1", "r2" or "r3"\?$/);
  assert.throws(() => plan("drop", "r9"), (e: Error) => e.message === 'no link between routers named "r9" in the lab; the links are "r1-r2", "r2-r4", "r1-r3" and "r3-r4"');
  assert.throws(() => plan("down", "core"), /no router or link between routers named "core" in the lab; the topology has 8 routers and links, e\.g\. "r1-r2", "r2-r4", "r1-r3"; `cairn lab status` lists them all$/);
  assert.throws(() => plan("drop", "r2"), /r2 is a router; this fault takes a link between routers \(to fail a router: `cairn lab fault down r2`\)/);
  assert.throws(() => plan("down", "h1"), /h1 is a host; faults take a router or link between routers/);
  assert.throws(() => plan("down", "h1-r1"), /h1-r1 is h1's uplink/);
  assert.throws(() => plan("down", "r1", { direction: "a-b" }), /no direction/);
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

test("parallel links: a fault names one by its id; the pair's a-b names several, an error listing their ids", async () => {
  const { withSids } = await import("../core/sids.js");
  const par = withSids({ ...t, links: [...t.links.filter((l) => l.id !== "r1-r2"), { ...t.links[0]!, id: "fast", sidA: undefined, sidB: undefined }, { ...t.links[0]!, id: "slow", a: "r2", b: "r1", sidA: undefined, sidB: undefined }].map(({ sidA, sidB, ...l }) => l) });
  assert.deepEqual(planFault(par, { kind: "down", target: "slow" }, NOW), { kind: "down", target: "link", name: "slow", a: "r2", b: "r1", since: NOW });
  assert.equal(planFault(par, { kind: "drop", target: "fast", direction: "r2-r1" }, NOW).direction, "b-a");
  assert.throws(() => planFault(par, { kind: "down", target: "r1-r2" }, NOW), (e: Error) => e instanceof FaultRequestError && e.message === '"r1-r2" names 2 parallel links (fast, slow); a fault takes one: name it by its id, e.g. fast');
  assert.equal(planFault(par, { kind: "down", target: "r2-r4" }, NOW).name, "r2-r4", "a lone link is still named by its pair");
});
