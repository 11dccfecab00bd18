// Directed adjacencies and parallel links in the path engine: each direction at its own metric,
// each parallel link chosen by its own metric and pinned by its own End.X SID, the probe's way
// back over the same links at their reverse metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LinkMetrics, Path, Topology } from "./model.js";
import { NO_CONSTRAINTS, metricsFrom } from "./model.js";
import type { PathQuery } from "./path-query.js";
import { findPath } from "./path-engine.js";
import { probeSegments } from "./probes.js";
import { endXSidOf } from "./sids.js";
import { net } from "./testing.js";
import { topologyNames } from "./model.js";

function query(from: string, to: string, extra: Partial<PathQuery> = {}): PathQuery {
  return { from, to, objective: "igp", constraints: { ...NO_CONSTRAINTS }, via: [], protection: "none", ...extra };
}

function path(t: Topology, q: PathQuery): { primary: Path; backup: Path | null } {
  const r = findPath(t, q);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r;
}

const rev = (m: Partial<LinkMetrics>): LinkMetrics => ({ igp: 10, te: 10, delayUs: 1000, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0, ...m });

// r1 — r3 directly, or over r2. The direct link costs 100 from r1 but 5 from r3.
const triangle = net(["r1", "r2", "r3"], [
  ["r1", "r2", { igp: 10 }],
  ["r2", "r3", { igp: 10 }],
  ["r1", "r3", { igp: 100, te: 100, reverse: rev({ igp: 5, te: 5 }) }],
]);

test("a path takes each link at the metric of the direction it travels: forward and reverse paths differ", () => {
  const there = path(triangle, query("r1", "r3")).primary;
  const back = path(triangle, query("r3", "r1")).primary;
  assert.deepEqual(there.nodes, ["r1", "r2", "r3"]);
  assert.equal(there.metrics.igp, 20);
  assert.deepEqual(back.nodes, ["r3", "r1"]);
  assert.equal(back.metrics.igp, 5);
});

test("path metrics and budgets add up each link in the direction travelled", () => {
  const t = net(["r1", "r2"], [["r1", "r2", { delayUs: 2000, reverse: rev({ delayUs: 7000, bandwidthBps: 1e8 }) }]]);
  assert.equal(path(t, query("r1", "r2", { objective: "latency" })).primary.metrics.latencyUs, 2000);
  assert.equal(path(t, query("r2", "r1", { objective: "latency" })).primary.metrics.latencyUs, 7000);
  assert.equal(path(t, query("r2", "r1", { objective: "latency" })).primary.metrics.bottleneckBps, 1e8);
  // maxLatency 5ms holds one way only.
  const bound = { ...NO_CONSTRAINTS, maxLatencyUs: 5000 };
  assert.ok(findPath(t, query("r1", "r2", { constraints: bound })).ok);
  const r = findPath(t, query("r2", "r1", { constraints: bound }));
  assert.equal(r.ok, false);
  // minBandwidth: the direction travelled must have it.
  const wide = { ...NO_CONSTRAINTS, minBandwidthBps: 5e8 };
  assert.ok(findPath(t, query("r1", "r2", { constraints: wide })).ok);
  assert.equal(findPath(t, query("r2", "r1", { constraints: wide })).ok, false);
});

test("the IGP's own shortest path is directed: no SID where the IGP follows the path one way, an End.X the other", () => {
  // r1→r3 direct (100) loses to r1>r2>r3 (20): a TE path over the direct link needs r1's End.X.
  const direct = path(triangle, query("r1", "r3", { constraints: { ...NO_CONSTRAINTS, avoidNodes: ["r2"] } })).primary;
  assert.deepEqual(direct.segments.map((s) => s.sid), [endXSidOf(triangle.links[2]!, "r1")]);
  // r3→r1 direct (5) is the IGP's own path: no SID at all.
  assert.deepEqual(path(triangle, query("r3", "r1")).primary.segments, []);
});

// Two parallel links between r1 and r2: fast (igp 10) and slow (igp 50), then r2 — r3.
const parallel = net(["r1", "r2", "r3"], [
  ["r1", "r2", { id: "fast", igp: 10, srlgs: ["duct1"] }],
  ["r2", "r1", { id: "slow", igp: 50, srlgs: ["duct2"] }],
  ["r2", "r3", { igp: 10 }],
]);
const linkById = (t: Topology, id: string) => t.links.find((l) => l.id === id)!;

test("parallel links: each is chosen by its own metric and pinned by its own End.X SID", () => {
  const best = path(parallel, query("r1", "r3")).primary;
  assert.deepEqual(best.links, ["fast", "r2-r3"]);
  assert.deepEqual(best.segments, [], "the IGP itself takes the fast link");
  const avoid = path(parallel, query("r1", "r3", { constraints: { ...NO_CONSTRAINTS, avoidLinks: ["fast"] } })).primary;
  assert.deepEqual(avoid.links, ["slow", "r2-r3"]);
  assert.deepEqual(avoid.segments.map((s) => s.sid), [endXSidOf(linkById(parallel, "slow"), "r1")]);
  assert.notEqual(endXSidOf(linkById(parallel, "slow"), "r1"), endXSidOf(linkById(parallel, "fast"), "r1"));
});

test("parallel links: \"a-b\" in avoidLinks avoids every link between a and b, either way round", () => {
  for (const ref of ["r1-r2", "r2-r1"]) {
    const r = findPath(parallel, query("r1", "r3", { constraints: { ...NO_CONSTRAINTS, avoidLinks: [ref] } }));
    assert.equal(r.ok, false, ref);
  }
  const names = topologyNames(parallel);
  assert.equal(names.linkIds.get("fast"), "fast");
  assert.equal(names.linkIds.get("r2-r1"), "r1-r2", "a pair names all its links");
  assert.equal(names.linkIds.get("r3-r2"), "r2-r3");
});

test("parallel links protect each other: link protection puts the backup on the other one", () => {
  const r = path(parallel, query("r1", "r2", { protection: "link" }));
  assert.deepEqual(r.primary.links, ["fast"]);
  assert.deepEqual(r.backup?.links, ["slow"]);
  assert.deepEqual(r.backup?.segments.map((s) => s.sid), [endXSidOf(linkById(parallel, "slow"), "r1")]);
  // SRLG protection too: the two links are in different ducts.
  assert.deepEqual(path(parallel, query("r1", "r2", { protection: "srlg" })).backup?.links, ["slow"]);
});

test("a probe returns over the same parallel link it went out on, by that link's End.X in each direction", () => {
  const p = path(parallel, query("r1", "r3", { constraints: { ...NO_CONSTRAINTS, avoidLinks: ["fast"] } })).primary;
  const slow = linkById(parallel, "slow");
  const back = probeSegments(parallel, p).slice(-2).map((s) => s.sid);
  assert.deepEqual(back, [endXSidOf(linkById(parallel, "r2-r3"), "r3"), endXSidOf(slow, "r2")]);
});

test("a probe's way back crosses each link at its reverse metric, as the metrics say", () => {
  const p = path(triangle, query("r3", "r1")).primary;
  const l = triangle.links[2]!;
  assert.equal(metricsFrom(l, "r3").igp, 5);
  assert.equal(metricsFrom(l, "r1").igp, 100);
  // Out r3>r1 and back r1>r3 over the same link, each by its End.X, though the IGP would take r1>r2>r3 back.
  assert.deepEqual(probeSegments(triangle, p).map((s) => s.sid), [endXSidOf(l, "r3"), endXSidOf(l, "r1")]);
});
