// Loopback probes: hand-checked cases, and a property test that replays every probe over the
// brute force's own IGP (./brute-force.ts) and checks it crosses exactly path + reverse(path).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Path, Segment, ServiceFunction, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import { endSid, endXSid } from "./addressing.js";
import { encapsulatedPath, dx4Segment } from "./encap.js";
import { findPath } from "./path-engine.js";
import type { PathQuery } from "./path-query.js";
import { probeRoute, probeSegments, probeSids } from "./probes.js";
import { IgpView, findSegmentList, replay, type Walk } from "./brute-force.js";
import { net } from "./testing.js";

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 300);

function path(topo: Topology, q: Partial<PathQuery> & { from: string; to: string }): { primary: Path; backup: Path | null } {
  const r = findPath(topo, { objective: "latency", constraints: { ...NO_CONSTRAINTS }, via: [], protection: "none", ...q });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r;
}

const text = (s: readonly Segment[]) => s.map((x) => `${x.behavior}@${x.node}${x.link ? `(${x.link.join(">")})` : ""}`).join(" ");

/** The walk a probe must take: the path, then the same links back. */
function loopWalk(topo: Topology, p: Path): Walk {
  const links = p.links.map((id) => topo.links.findIndex((l) => l.id === id));
  return { nodes: probeRoute(p), links: [...links, ...[...links].reverse()] };
}

/** Replays the probe from the source router to the source host (behind the same router). */
function replayProbe(topo: Topology, p: Path, probe: Segment[]) {
  return replay(topo, new IgpView(topo), p.nodes[0]!, p.nodes[0]!, probe);
}

// a - b - c - d in a line (igp 10), and a long way a - e - d (igp 50): every stretch of the line is
// the IGP's own, both ways.
const line = net(["a", "b", "c", "d", "e"], [["a", "b"], ["b", "c"], ["c", "d"], ["a", "e", { igp: 50, delayUs: 100 }], ["e", "d", { igp: 50, delayUs: 100 }]]);

test("a path the IGP follows: the probe is the egress router's End SID alone, and the way back needs nothing", () => {
  const { primary } = path(line, { from: "a", to: "d", objective: "igp" });
  assert.deepEqual(primary.segments, []);
  const probe = probeSegments(line, primary);
  assert.deepEqual(probe, [{ sid: endSid(line.routers[3]!), node: "d", behavior: "End" }]);
  assert.deepEqual(probeSids(line, primary), ["fc00:0:4::1"]);
  const r = replayProbe(line, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "b", "c", "d", "c", "b", "a"]);
});

test("the long way: the path's own segment, then one End.X of the egress router turns the probe and pins the way back", () => {
  const { primary } = path(line, { from: "a", to: "d", objective: "latency" });
  assert.deepEqual(primary.nodes, ["a", "e", "d"]);
  assert.equal(text(primary.segments), "End@e");
  const probe = probeSegments(line, primary);
  // Back from d the IGP would take the line; End d then End e would pin d > e > a with two SIDs,
  // d's End.X over d-e does it with one.
  assert.equal(text(probe), "End@e End.X@d(d>e)");
  const r = replayProbe(line, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("the path's last segment already lands on the egress router: no End SID is added", () => {
  // The fewest hops a > e > d, where the IGP would go e > x > d: End.X e>d pins it and lands on d.
  const t = net(["a", "e", "d", "x"], [["a", "e", { igp: 10 }], ["e", "d", { igp: 100 }], ["e", "x", { igp: 10 }], ["x", "d", { igp: 10 }]]);
  const { primary } = path(t, { from: "a", to: "d", objective: "hops" });
  assert.deepEqual(primary.nodes, ["a", "e", "d"]);
  assert.equal(text(primary.segments), "End.X@e(e>d)");
  const probe = probeSegments(t, primary);
  // Back from d: the IGP would go d > x > e; End.X d>e pins it and e > a is the IGP's own.
  assert.equal(text(probe), "End.X@e(e>d) End.X@d(d>e)");
  assert.equal(probe[1]!.sid, endXSid(t.routers[2]!, 1));
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("the way back starts with an End.X SID of the egress router: it turns the probe, no End SID before it", () => {
  // Two IGP-equal ways a > d: via y (fast) and via z. The path pins y with End y; y > d is the
  // IGP's own. Back from d the IGP has both ways again, but d's End.X over d-y turns the probe and
  // pins the way back in one SID (End d then End y would take two).
  const t = net(["a", "y", "d", "z"], [["a", "y", { igp: 1, delayUs: 100 }], ["y", "d", { igp: 1, delayUs: 100 }], ["a", "z", { igp: 1 }], ["z", "d", { igp: 1 }]]);
  const { primary } = path(t, { from: "a", to: "d", objective: "latency" });
  assert.deepEqual(primary.nodes, ["a", "y", "d"]);
  assert.equal(text(primary.segments), "End@y");
  const probe = probeSegments(t, primary);
  assert.equal(text(probe), "End@y End.X@d(d>y)");
  assert.equal(probe[1]!.sid, endXSid(t.routers[2]!, 1));
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "y", "d", "y", "a"]);
});

test("source and destination on one router: the probe goes to that router's End SID and back", () => {
  const { primary } = path(line, { from: "b", to: "b" });
  assert.deepEqual(primary.nodes, ["b"]);
  assert.deepEqual(probeSids(line, primary), [endSid(line.routers[1]!)]);
  assert.ok(replayProbe(line, primary, probeSegments(line, primary)).ok);
});

test("an IPv4 target's path (End.DX4 last) has the probe of its IPv6 twin", () => {
  const t: Topology = { ...line, hosts: [{ name: "h", router: "d", address: "2001:db8::10", prefixLen: 64, address4: "10.0.0.10", prefixLen4: 24 }] };
  const { primary } = path(t, { from: "a", to: "d", objective: "latency" });
  const v4 = encapsulatedPath(primary, dx4Segment(t, 0));
  assert.equal(v4.segments[v4.segments.length - 1]!.behavior, "End.DX4");
  assert.deepEqual(probeSids(t, v4), probeSids(t, primary));
});

test("a via path through a service: the probe runs the service SID too, then comes back over the routers", () => {
  const fw: ServiceFunction = { name: "fw", instances: [{ node: "e", sid: "fc00:0:5::f1", healthy: true }] };
  const t = { ...line, services: [fw] };
  const { primary } = path(t, { from: "a", to: "d", objective: "igp", via: ["fw"] });
  assert.deepEqual(primary.nodes, ["a", "e", "d"]);
  const probe = probeSegments(t, primary);
  assert.equal(probe[0]!.behavior, "Service");
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("a path naming a router or link the topology lacks is a bug, and says which", () => {
  const { primary } = path(line, { from: "a", to: "d" });
  assert.throws(() => probeSegments(line, { ...primary, links: ["a-zz", ...primary.links.slice(1)] }), /link a-zz, which is not in the topology/);
  assert.throws(() => probeSegments(line, { ...primary, nodes: ["q", ...primary.nodes.slice(1)] }), /router q, which is not in the topology/);
});

// ---------------------------------------------------------------------------------------------
// Property: on random small graphs (small IGP metrics, so ECMP is common), every primary and backup
// the engine returns, via paths and services included, has a probe that replays over the IGP to
// exactly path + reverse(path), starts with the path's own segments, and whose remaining SIDs are
// the fewest that do so (against the brute force's exhaustive search).

interface Case {
  topo: Topology;
  q: PathQuery;
}

const MAXN = 7;
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 2, max: MAXN }),
    parents: fc.array(fc.nat(MAXN), { minLength: MAXN, maxLength: MAXN }),
    extra: fc.array(fc.record({ a: fc.nat(MAXN - 1), b: fc.nat(MAXN - 1) }), { maxLength: 8 }),
    igp: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 32, maxLength: 32 }),
    delay: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 32, maxLength: 32 }),
    from: fc.nat(MAXN - 1),
    to: fc.nat(MAXN - 1),
    objective: fc.constantFrom("latency" as const, "igp" as const, "hops" as const),
    via: fc.array(fc.oneof(fc.nat(MAXN - 1), fc.constant(-1)), { maxLength: 2 }),
    service: fc.uniqueArray(fc.nat(MAXN - 1), { minLength: 1, maxLength: 2 }),
    protection: fc.constantFrom("none" as const, "link" as const, "node" as const),
  })
  .map((g): Case => {
    const n = g.n;
    const name = (i: number) => `r${i}`;
    const pairs = new Set<string>();
    const specs: [string, string][] = [];
    const add = (a: number, b: number) => {
      if (a === b) return;
      const k = a < b ? `${a}-${b}` : `${b}-${a}`;
      if (pairs.has(k)) return;
      pairs.add(k);
      specs.push([name(a), name(b)]);
    };
    for (let j = 1; j < n; j++) add(g.parents[j]! % j, j);
    for (const e of g.extra) add(e.a % n, e.b % n);
    const topo = net(
      Array.from({ length: n }, (_, i) => name(i)),
      specs.map(([a, b], i) => [a, b, { igp: g.igp[i]!, delayUs: g.delay[i]! * 100 }]),
      [{ name: "fw", instances: [...new Set(g.service.map((i) => i % n))].map((i, k) => ({ node: name(i), sid: `fc00:0:${(i + 1).toString(16)}::f${k}`, healthy: true })) }],
    );
    const via = g.via.map((v) => (v < 0 ? "fw" : name(v % n)));
    return { topo, q: { from: name(g.from % n), to: name(g.to % n), objective: g.objective, constraints: { ...NO_CONSTRAINTS }, via, protection: g.protection } };
  });

/** Where the path's own segments leave the packet, by replaying them over the IGP. */
function forwardEnd(topo: Topology, igp: IgpView, p: Path): number {
  if (p.segments.length === 0) return 0;
  const r = replay(topo, igp, p.nodes[0]!, p.nodes[p.nodes.length - 1]!, p.segments);
  assert.ok(r.ok, r.ok ? "" : `the path's own segments do not replay: ${r.reason}`);
  const last = p.segments.length - 1;
  return r.segPos[last]! + (p.segments[last]!.behavior === "End.X" ? 1 : 0);
}

test("property: every probe replays to exactly path + reverse(path), with the path's segments first and the fewest SIDs after them", () => {
  const stats = { paths: 0, withSegments: 0, turnedByEnd: 0, turnedByX: 0, turnedByPath: 0, via: 0, backups: 0 };
  fc.assert(
    fc.property(arbCase, ({ topo, q }) => {
      const r = findPath(topo, q);
      if (!r.ok) return;
      const igp = new IgpView(topo);
      for (const p of [r.primary, ...(r.backup ? [r.backup] : [])]) {
        stats.paths++;
        if (p === r.backup) stats.backups++;
        if (p.segments.length > 0) stats.withSegments++;
        if (q.via.length > 0) stats.via++;
        const probe = probeSegments(topo, p);
        const where: string = `path ${p.nodes.join(">")} [${text(p.segments)}], probe [${text(probe)}]`;
        assert.deepEqual(probe.slice(0, p.segments.length), p.segments, `${where}: does not start with the path's segments`);
        const replayed = replayProbe(topo, p, probe);
        assert.ok(replayed.ok, `${where}: ${replayed.ok ? "" : replayed.reason}`);
        const want = loopWalk(topo, p);
        assert.deepEqual(replayed.walk.nodes, want.nodes, `${where}: crosses ${replayed.walk.nodes.join(">")}`);
        assert.deepEqual(replayed.walk.links, want.links, `${where}: crosses other links`);
        // Minimal after the path's own segments: no shorter tail pins the rest of the loop.
        if (p.nodes.length === 1) continue;
        const at = forwardEnd(topo, igp, p);
        const tail = probe.slice(p.segments.length);
        const rest: Walk = { nodes: want.nodes.slice(at), links: want.links.slice(at) };
        const shorter = tail.length > 0 ? findSegmentList(topo, igp, rest, [], tail.length - 1) : null;
        assert.equal(shorter, null, `${where}: ${tail.length} SIDs after the path's, but ${text(shorter ?? [])} suffice`);
        const egress = p.nodes[p.nodes.length - 1]!;
        if (tail[0]?.behavior === "End" && tail[0].node === egress) stats.turnedByEnd++;
        else if (tail[0]?.behavior === "End.X" && tail[0].node === egress) stats.turnedByX++;
        else stats.turnedByPath++;
      }
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  // Not vacuous: each way of turning the probe, segments, via and backups all happened.
  for (const k of ["withSegments", "turnedByEnd", "turnedByX", "turnedByPath", "via", "backups"] as const) {
    assert.ok(stats[k] >= 5, `only ${stats[k]} runs with ${k}: ${JSON.stringify(stats)}`);
  }
  console.log(`# probe property: ${JSON.stringify(stats)}`);
});
