// Hand-checked cases for every objective, constraint, via, protection and msd rule of the engine.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Constraints } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import type { PathAnswer, PathQuery } from "./path-query.js";
import { computePath, findPath } from "./path-engine.js";
import { net } from "./testing.js";

// a→d three ways: a-b-d (2 ms, igp 20, bottleneck 2 Gbps, 80% busy, srlg s1, gold),
// a-c-d (4 ms, igp 20, 1 Gbps, idle, srlg s2, c in region ch), a-e-d (10 ms, igp 60, 100 Gbps, idle).
const topo = net(
  ["a", "b", { name: "c", region: "ch" }, "d", "e"],
  [
    ["a", "b", { delayUs: 1000, bandwidthBps: 10e9, utilization: 0.1, srlgs: ["s1"], colors: ["gold"] }],
    ["b", "d", { delayUs: 1000, bandwidthBps: 10e9, utilization: 0.8, srlgs: ["s1"], colors: ["gold"], jitterUs: 500, loss: 0.01 }],
    ["a", "c", { delayUs: 2000, srlgs: ["s2"] }],
    ["c", "d", { delayUs: 2000, srlgs: ["s2"], jitterUs: 100 }],
    ["a", "e", { delayUs: 5000, igp: 30, bandwidthBps: 100e9, srlgs: ["s1"] }],
    ["e", "d", { delayUs: 5000, igp: 30, bandwidthBps: 100e9, srlgs: ["s3"] }],
  ],
  [{ name: "fw", instances: [{ node: "c", sid: "fc00:0:3::100", healthy: true }, { node: "e", sid: "fc00:0:5::100", healthy: false }] }],
);

function ask(q: Partial<Omit<PathQuery, "constraints">> & { constraints?: Partial<Constraints> } = {}): PathAnswer {
  return findPath(topo, { from: "a", to: "d", objective: "latency", via: [], protection: "none", ...q, constraints: { ...NO_CONSTRAINTS, ...q.constraints } });
}
function route(q: Parameters<typeof ask>[0] = {}) {
  const r = ask(q);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r;
}
const nodes = (q: Parameters<typeof ask>[0] = {}) => route(q).primary.nodes.join("");

test("additive objectives: latency, igp ties by latency, hops, jitter, loss, weighted", () => {
  const r = route();
  assert.equal(r.primary.nodes.join(""), "abd");
  // a→d has two IGP-equal paths (via b and via c), so b must be named; b→d is then the IGP's own.
  assert.deepEqual(r.primary.segments, [{ sid: "fc00:0:2::1", node: "b", behavior: "End" }]);
  assert.equal(r.primary.srhBytes, 8 + 16 * 2);
  assert.deepEqual(r.primary.links, ["a-b", "b-d"]);
  assert.equal(nodes({ objective: "igp" }), "abd");
  assert.equal(nodes({ objective: "jitter" }), "aed");
  assert.equal(nodes({ objective: "loss" }), "acd");
  assert.equal(nodes({ objective: "weighted", weights: { latency: 1, jitter: 10 } }), "acd"); // 4000+1000 < 2000+5000
  assert.equal(nodes({ objective: "weighted", weights: { latency: 1, igp: 100 } }), "abd");
  assert.equal(route({ objective: "loss" }).primary.metrics.loss, 0);
  assert.ok(Math.abs(route().primary.metrics.loss - 0.01) < 1e-12);
});

test("bandwidth is the widest path; utilization the least loaded bottleneck, ties by latency", () => {
  const wide = route({ objective: "bandwidth" }).primary;
  assert.equal(wide.nodes.join(""), "aed");
  assert.equal(wide.metrics.bottleneckBps, 100e9);
  assert.deepEqual(wide.segments.map((s) => s.node), ["e"]);
  const idle = route({ objective: "utilization" }).primary;
  assert.equal(idle.nodes.join(""), "acd", "a-c-d and a-e-d are both idle; a-c-d is faster");
  assert.equal(idle.metrics.maxUtilization, 0);
});

test("link constraints: minBandwidth, avoidSrlgs, affinities, avoidRegions, avoidLinks, avoidNodes", () => {
  assert.equal(nodes({ constraints: { minBandwidthBps: 5e9 } }), "aed", "a-b-d has 2 Gbps available at b-d, a-c-d 1 Gbps");
  assert.equal(nodes({ constraints: { minBandwidthBps: 2e9 } }), "abd", "available bandwidth equal to the minimum is enough");
  assert.equal(nodes({ constraints: { avoidSrlgs: ["s1"] } }), "acd");
  assert.equal(nodes({ constraints: { excludeAny: ["gold"] } }), "acd");
  assert.equal(nodes({ objective: "bandwidth", constraints: { includeAny: ["gold"] } }), "abd");
  assert.deepEqual(ask({ constraints: { includeAll: ["gold", "silver"] } }), { ok: false, reason: "includeAll [gold, silver] cuts every path from a to d", cut: ["includeAll"] });
  assert.equal(nodes({ constraints: { avoidRegions: ["ch"], excludeAny: ["gold"] } }), "aed");
  assert.equal(nodes({ constraints: { avoidLinks: ["b-d"] } }), "acd");
  assert.equal(nodes({ constraints: { avoidNodes: ["b", "c"] } }), "aed");
});

test("path budgets are hard: maxLatency, maxJitter, maxLoss, maxHops", () => {
  assert.equal(nodes({ objective: "igp", constraints: { maxJitterUs: 200 } }), "acd", "igp-best a-b-d has 500us of jitter");
  assert.equal(nodes({ objective: "igp", constraints: { maxLoss: 0.005 } }), "acd");
  assert.equal(nodes({ objective: "bandwidth", constraints: { maxLatencyUs: 5000 } }), "abd", "widest within 5 ms");
  assert.equal(nodes({ objective: "hops", constraints: { maxHops: 2 } }), "abd");
});

test("infeasible answers name the constraint that cut the last path", () => {
  assert.deepEqual(ask({ constraints: { maxHops: 1 } }), { ok: false, reason: "maxHops 1 cannot be met: the path from a to d with the fewest hops has 2", cut: ["maxHops"] });
  assert.deepEqual(ask({ constraints: { maxLatencyUs: 3000, avoidNodes: ["b"] } }), {
    ok: false, reason: "maxLatency 3ms cannot be met: the lowest-latency path from a to d that meets the other constraints takes 4ms", cut: ["maxLatency"],
  });
  // Each budget alone can be met (a-b-d: 2 ms but 1% loss; a-c-d: no loss but 4 ms), not both.
  const both = ask({ constraints: { maxLatencyUs: 3000, maxLoss: 0.001 } });
  assert.ok(!both.ok);
  assert.deepEqual(both.cut, ["maxLatency", "maxLoss"]);
  assert.match(both.reason, /^maxLatency 3ms and maxLoss 0.1% cannot all be met by one path from a to d/);
  // Two rules that only cut together.
  const pair = ask({ constraints: { avoidNodes: ["b"], avoidRegions: ["ch"], avoidLinks: ["a-e"] } });
  assert.deepEqual(pair, { ok: false, reason: "avoidNodes [b], avoidRegions [ch] and avoidLinks [a-e] together cut every path from a to d", cut: ["avoidNodes", "avoidRegions", "avoidLinks"] });
  const together = ask({ constraints: { avoidSrlgs: ["s1"], avoidRegions: ["ch"] } });
  assert.deepEqual(together, { ok: false, reason: "avoidRegions [ch] and avoidSrlgs [s1] together cut every path from a to d", cut: ["avoidRegions", "avoidSrlgs"] });
  assert.deepEqual(ask({ constraints: { avoidNodes: ["a"] } }), { ok: false, reason: "the source router a is excluded by avoidNodes [a]", cut: ["avoidNodes"] });
  assert.deepEqual(ask({ to: "zz" }), { ok: false, reason: "unknown router zz", cut: ["topology"] });
});

test("via: waypoints and service functions with instance choice", () => {
  assert.equal(nodes({ via: ["e"] }), "aed");
  const fw = route({ via: ["fw"] }).primary;
  assert.equal(fw.nodes.join(""), "acd", "the only healthy fw instance is on c");
  assert.deepEqual(fw.segments, [{ sid: "fc00:0:3::100", node: "c", behavior: "Service", service: "fw" }]);
  // A waypoint behind the destination: the path goes there and comes back.
  const back = route({ via: ["e"], to: "b" }).primary;
  assert.deepEqual(back.nodes, ["a", "e", "a", "b"]);
  assert.deepEqual(ask({ via: ["nat"] }), { ok: false, reason: "via: nat is neither a router nor a service function of the topology", cut: ["via"] });
  const down = findPath({ ...topo, services: [{ name: "fw", instances: [{ node: "c", sid: "fc00:0:3::100", healthy: false }] }] }, { from: "a", to: "d", objective: "latency", constraints: NO_CONSTRAINTS, via: ["fw"], protection: "none" });
  assert.deepEqual(down, { ok: false, reason: "via: service fw has no healthy instance", cut: ["via"] });
});

test("msd: a path whose SRH would be deeper than the head-end allows is rejected", () => {
  assert.ok(route({ msd: 2 }).ok);
  assert.deepEqual(ask({ msd: 1 }), { ok: false, reason: "the best path a>b>d needs 2 SIDs (1 segment + the destination), more than msd 1", cut: ["msd"] });
});

test("protection: link, node and srlg backups under the same constraints", () => {
  const link = route({ protection: "link" });
  assert.equal(link.primary.nodes.join(""), "abd");
  assert.equal(link.backup?.nodes.join(""), "acd");
  assert.deepEqual(link.notes, []);
  assert.equal(route({ protection: "node" }).backup?.nodes.join(""), "acd");
  assert.equal(route({ protection: "srlg", constraints: { avoidRegions: ["ch"] } }).backup, null, "a-e shares s1 with a-b and c is avoided");
  const noPair = route({ protection: "srlg", constraints: { avoidRegions: ["ch"] } });
  assert.equal(noPair.notes.length, 1);
});

test("protection: a trap topology gets a disjoint pair and says what it traded", () => {
  // s-a-b-t is shortest (3 ms) but leaves no link-disjoint backup; s-a-t + s-b-t (4 ms each) is the pair.
  const trap = net(["s", "a", "b", "t"], [
    ["s", "a", { delayUs: 1000 }], ["a", "b", { delayUs: 1000 }], ["b", "t", { delayUs: 1000 }],
    ["s", "b", { delayUs: 3000 }], ["a", "t", { delayUs: 3000 }],
  ]);
  const r = findPath(trap, { from: "s", to: "t", objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "link" });
  assert.ok(r.ok);
  assert.equal(r.primary.metrics.latencyUs, 4000);
  assert.equal(r.backup?.metrics.latencyUs, 4000);
  assert.deepEqual(new Set([...r.primary.links, ...r.backup!.links]).size, r.primary.links.length + r.backup!.links.length);
  assert.match(r.notes[0]!, /^trade-off: the best path \(latency 3ms\) has no link-disjoint backup; this primary \(latency 4ms\)/);
  // Without the a-t link no link-disjoint pair exists at all, and the engine says so.
  const line = findPath({ ...trap, links: trap.links.filter((l) => l.id !== "a-t") }, { from: "s", to: "t", objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "link" });
  assert.ok(line.ok);
  assert.equal(line.backup, null);
  assert.deepEqual(line.notes, ["no link-disjoint pair of paths from s to t exists under the constraints: no backup"]);
});


test("msd: the controller's paths are pushed by the host, so the host datapath's capacity applies, not the router's", () => {
  const small = { ...topo, routers: topo.routers.map((r) => (r.name === "a" ? { ...r, msd: 1 } : r)), hosts: [{ name: "h", router: "a", address: "2001:db8::1", prefixLen: 64 }, { name: "g", router: "d", address: "2001:db8:1::1", prefixLen: 64 }] };
  const fromRouter = findPath(small, { from: "a", to: "d", objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "none" });
  assert.ok(!fromRouter.ok && fromRouter.cut.includes("msd"), "router a pushes at most 1 entry");
  const intent = { name: "i", match: { hosts: ["h"], to: { host: "g" }, ports: [] }, objective: "latency" as const, constraints: NO_CONSTRAINTS, via: [], protection: "none" as const };
  const fromHost = computePath(small, intent, "h");
  assert.ok(fromHost.ok, fromHost.ok ? "" : fromHost.reason);
  assert.deepEqual(fromHost.path.nodes, ["a", "b", "d"]);
  const tight = computePath(small, { ...intent, msd: 1 }, "h");
  assert.deepEqual(tight, { ok: false, reason: "the best path a>b>d needs 2 SIDs (1 segment + the destination), more than msd 1" });
});

test("protection: 'no disjoint pair exists' is proven per leg of a via path, and for SRLG through links", () => {
  // A ring s-a-t-b-s with a stub w hanging off a: every path through w enters and leaves over a-w.
  const ring = net(["s", "a", "t", "b", "w"], [["s", "a"], ["a", "t"], ["t", "b"], ["b", "s"], ["a", "w"]]);
  const ask2 = (protection: "link" | "node" | "srlg", via: string[] = []) => findPath(ring, { from: "s", to: "t", objective: "latency", constraints: NO_CONSTRAINTS, via, protection });
  const stub = ask2("link", ["w"]);
  assert.ok(stub.ok);
  assert.deepEqual(stub.primary.nodes, ["s", "a", "w", "a", "t"]);
  assert.equal(stub.backup, null);
  assert.deepEqual(stub.notes, ["no link-disjoint pair of paths between s and w (consecutive stops of the via path) exists under the constraints: no backup"]);
  const plain = ask2("srlg");
  assert.ok(plain.ok && plain.backup, "the ring has two disjoint sides");
  const line = findPath({ ...ring, links: ring.links.filter((l) => l.id !== "t-b") }, { from: "s", to: "t", objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "srlg" });
  assert.ok(line.ok);
  assert.deepEqual(line.notes, ["no link-disjoint pair of paths from s to t exists under the constraints, so no SRLG-disjoint one either: no backup"]);
});
