// Loopback probes: hand-checked cases, a property test that replays every probe over the brute
// force's own IGP (./brute-force.ts) and checks it crosses exactly path + reverse(path), pinned by
// an End.X per link after the path's own segments, and the failures that strictness is for: replayed
// over a topology with a link or router of the path gone, the old fewest-SIDs probe came back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { Path, Segment, ServiceFunction, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import { endXSidOf, withSids } from "./sids.js";
import { encapsulatedPath, dx4Segment } from "./encap.js";
import { findPath } from "./path-engine.js";
import type { PathQuery } from "./path-query.js";
import { MAX_PROBE_SIDS, probeRoute, probeSegments, probeSids } from "./probes.js";
import { IgpView, findSegmentList, replay, type Walk } from "./brute-force.js";
import { net } from "./testing.js";
import { parseTopology } from "../config/topology-file.js";

/** The End.X SID of `router` over the link with id `id`. */
function x(t: Topology, id: string, router: string): string {
  return endXSidOf(t.links.find((l) => l.id === id)!, router);
}

function demoTopology(): Topology {
  const r = parseTopology(readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
}

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

test("a path the IGP follows: still one End.X per link, out and back, though the egress router's End SID alone would do while the IGP agrees", () => {
  const { primary } = path(line, { from: "a", to: "d", objective: "igp" });
  assert.deepEqual(primary.segments, []);
  const probe = probeSegments(line, primary);
  assert.equal(text(probe), "End.X@a(a>b) End.X@b(b>c) End.X@c(c>d) End.X@d(d>c) End.X@c(c>b) End.X@b(b>a)");
  // The End.X of the router at the start of each link, over that link (links 0, 1, 2 of the topology).
  assert.deepEqual(probe[0], { sid: endXSidOf(line.links[0]!, line.routers[0]!.name), node: "a", behavior: "End.X", link: ["a", "b"] });
  assert.deepEqual(probeSids(line, primary), [x(line, "a-b", "a"), x(line, "b-c", "b"), x(line, "c-d", "c"), x(line, "c-d", "d"), x(line, "b-c", "c"), x(line, "a-b", "b")]);
  const r = replayProbe(line, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "b", "c", "d", "c", "b", "a"]);
});

test("the long way: the path's own segment, then End.X SIDs pin the rest out, turn the probe at the egress router and pin the way back", () => {
  const { primary } = path(line, { from: "a", to: "d", objective: "latency" });
  assert.deepEqual(primary.nodes, ["a", "e", "d"]);
  assert.equal(text(primary.segments), "End@e");
  const probe = probeSegments(line, primary);
  // The path's End e stays (the application's packets run it); e > d is loose for them, strict here.
  assert.equal(text(probe), "End@e End.X@e(e>d) End.X@d(d>e) End.X@e(e>a)");
  assert.deepEqual(probe.slice(1).map((x) => x.sid), [endXSidOf(line.links[4]!, line.routers[4]!.name), endXSidOf(line.links[4]!, line.routers[3]!.name), endXSidOf(line.links[3]!, line.routers[4]!.name)]);
  const r = replayProbe(line, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("the path's last segment already lands on the egress router: the way back alone follows, the egress router's End.X turning the probe", () => {
  // The fewest hops a > e > d, where the IGP would go e > x > d: End.X e>d pins it and lands on d.
  const t = net(["a", "e", "d", "x"], [["a", "e", { igp: 10 }], ["e", "d", { igp: 100 }], ["e", "x", { igp: 10 }], ["x", "d", { igp: 10 }]]);
  const { primary } = path(t, { from: "a", to: "d", objective: "hops" });
  assert.deepEqual(primary.nodes, ["a", "e", "d"]);
  assert.equal(text(primary.segments), "End.X@e(e>d)");
  const probe = probeSegments(t, primary);
  assert.equal(text(probe), "End.X@e(e>d) End.X@d(d>e) End.X@e(e>a)");
  assert.equal(probe[1]!.sid, endXSidOf(t.links[1]!, t.routers[2]!.name));
  assert.equal(probe[2]!.sid, endXSidOf(t.links[0]!, t.routers[1]!.name));
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("parallel links: every End.X is over the exact link the path names, out and back", () => {
  // Two links a-b: the IGP's (igp 10, slow) and a fast one (igp 20). The latency path takes the fast
  // one, pinned by a's End.X over it; the probe comes back over it too, not over the IGP's twin.
  const t = net(["a", "b", "c"], [["a", "b", { igp: 10, delayUs: 5000 }], ["a", "b", { igp: 20, delayUs: 100, id: "a-b-fast" }], ["b", "c"]]);
  const { primary } = path(t, { from: "a", to: "c", objective: "latency" });
  assert.deepEqual(primary.links, ["a-b-fast", "b-c"]);
  assert.deepEqual(primary.segments.map((x) => x.sid), [endXSidOf(t.links[1]!, t.routers[0]!.name)]);
  const probe = probeSegments(t, primary);
  assert.equal(text(probe), "End.X@a(a>b) End.X@b(b>c) End.X@c(c>b) End.X@b(b>a)");
  assert.deepEqual(probe.map((x) => x.sid), [endXSidOf(t.links[1]!, t.routers[0]!.name), endXSidOf(t.links[2]!, t.routers[1]!.name), endXSidOf(t.links[2]!, t.routers[2]!.name), endXSidOf(t.links[1]!, t.routers[1]!.name)]);
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.links, [1, 2, 2, 1]);
});

test("the demo's video path r1 > r2 > r3 > r4: r2's End.X, then r3 > r4, r4 > r3, r3 > r2, r2 > r1, each by its End.X", () => {
  const demo = demoTopology();
  const r = findPath(demo, { from: "r1", to: "r4", objective: "latency", constraints: { ...NO_CONSTRAINTS }, via: [], protection: "none" });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.primary.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(r.primary.segments.map((s) => s.sid), [x(demo, "r2-r3", "r2")]);
  assert.deepEqual(probeSids(demo, r.primary), [x(demo, "r2-r3", "r2"), x(demo, "r3-r4", "r3"), x(demo, "r3-r4", "r4"), x(demo, "r2-r3", "r3"), x(demo, "r1-r2", "r2")]);
  const back = replayProbe(demo, r.primary, probeSegments(demo, r.primary));
  assert.ok(back.ok, back.ok ? "" : back.reason);
  assert.deepEqual(back.walk.nodes, ["r1", "r2", "r3", "r4", "r3", "r2", "r1"]);
});

test("source and destination on one router: the probe goes to that router's End SID and back", () => {
  const { primary } = path(line, { from: "b", to: "b" });
  assert.deepEqual(primary.nodes, ["b"]);
  assert.deepEqual(probeSids(line, primary), [line.routers[1]!.sid]);
  assert.ok(replayProbe(line, primary, probeSegments(line, primary)).ok);
});

test("an IPv4 target's path (End.DX4 last) has the probe of its IPv6 twin", () => {
  const t = withSids({ ...line, hosts: [{ name: "h", router: "d", address: "2001:db8::10", prefixLen: 64, address4: "10.0.0.10", prefixLen4: 24 }] });
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
  assert.equal(text(probe.slice(1)), "End.X@e(e>d) End.X@d(d>e) End.X@e(e>a)");
  const r = replayProbe(t, primary, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, ["a", "e", "d", "e", "a"]);
});

test("a path naming a router or link the topology lacks is a bug, and says which", () => {
  const { primary } = path(line, { from: "a", to: "d" });
  assert.throws(() => probeSegments(line, { ...primary, links: ["a-zz", ...primary.links.slice(1)] }), /link a-zz, which is not in the topology/);
  assert.throws(() => probeSegments(line, { ...primary, nodes: ["q", ...primary.nodes.slice(1)] }), /router q, which is not in the topology/);
});

// A line of n routers r0 - r1 - … (the IGP's own path), and a long way r0 - x - r(n-1) around it.
function longLine(n: number): Topology {
  const names = Array.from({ length: n }, (_, i) => `r${i}`);
  return net([...names, "x"], [
    ...names.slice(1).map((b, i): [string, string] => [names[i]!, b]),
    [names[0]!, "x", { igp: 100 * n }], ["x", names[n - 1]!, { igp: 100 * n }],
  ]);
}

test(`a loop too long for the datapath (over ${MAX_PROBE_SIDS} SIDs strict) falls back to the fewest SIDs, loose where the IGP follows it`, () => {
  // 8 links: 16 End.X fit.
  const fits = longLine(9);
  const p8 = path(fits, { from: "r0", to: "r8", objective: "igp" }).primary;
  assert.equal(p8.links.length, 8);
  const strict = probeSegments(fits, p8);
  assert.equal(strict.length, 16);
  assert.ok(strict.every((x) => x.behavior === "End.X"));
  // 9 links: 18 would not; the egress router's End SID alone pins the loop while the IGP agrees.
  const long = longLine(10);
  const p9 = path(long, { from: "r0", to: "r9", objective: "igp" }).primary;
  assert.equal(p9.links.length, 9);
  const probe = probeSegments(long, p9);
  assert.deepEqual(probe, [{ sid: long.routers[9]!.sid, node: "r9", behavior: "End" }]);
  const r = replayProbe(long, p9, probe);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.deepEqual(r.walk.nodes, probeRoute(p9));
  // The limit counts the path's own segments too. After an End.X pinning r0 > r1, 8 links make
  // 1 + 7 + 8 = 16 SIDs; after a service run at r0 (which moves nothing), 1 + 8 + 8 = 17, the most
  // that fit; 9 links after an End.X make 1 + 8 + 9 = 18, and fall back.
  const fw = (t: Topology): Segment => ({ sid: `${t.routers[0]!.sid.slice(0, -1)}f1`, node: "r0", behavior: "Service", service: "fw" });
  const pinned = (t: Topology): Segment => ({ sid: endXSidOf(t.links[0]!, t.routers[0]!.name), node: "r0", behavior: "End.X", link: ["r0", "r1"] });
  assert.equal(probeSegments(fits, { ...p8, segments: [pinned(fits)] }).length, 16);
  const seventeen = probeSegments(fits, { ...p8, segments: [fw(fits)] });
  assert.equal(seventeen.length, MAX_PROBE_SIDS);
  assert.ok(seventeen.slice(1).every((x) => x.behavior === "End.X"));
  assert.equal(text(probeSegments(long, { ...p9, segments: [pinned(long)] })), "End.X@r0(r0>r1) End@r9");
  assert.equal(text(probeSegments(long, { ...p9, segments: [fw(long)] })), "Service@r0 End@r9");
});

/**
 * `t` with routers and links failed, as the IGP sees it: a failed link is replaced by one between two
 * stand-in routers joined to nothing else, so every other link keeps its index (and its End.X SIDs);
 * a failed router is removed and its links fail with it. An End.X over a failed link no longer
 * replays (its route goes with the link: the packet has nowhere to go).
 */
function failed(t: Topology, what: { links?: string[]; routers?: string[] }): Topology {
  const deadRouters = new Set(what.routers ?? []);
  const dead = (l: Topology["links"][number]) => (what.links ?? []).includes(l.id) || deadRouters.has(l.a) || deadRouters.has(l.b);
  const standIns = t.links.flatMap((l, i) => (dead(l) ? [`gone${i}a`, `gone${i}b`] : []));
  return {
    ...t,
    routers: [
      ...t.routers.filter((r) => !deadRouters.has(r.name)),
      ...standIns.map((name, k) => ({ name, locator: `fc00:ff:${k.toString(16)}::/48`, sid: `fc00:ff:${k.toString(16)}::1` })),
    ],
    links: t.links.map((l, i) => (dead(l) ? { ...l, id: `gone${i}`, a: `gone${i}a`, b: `gone${i}b` } : l)),
  };
}

/** The old probe: the path's segments, then the fewest SIDs that pin the rest of the loop over the healthy IGP (the brute force's search). */
function looseProbe(t: Topology, p: Path): Segment[] {
  const igp = new IgpView(t);
  const loop = loopWalk(t, p);
  const at = forwardEnd(t, igp, p);
  const tail = findSegmentList(t, igp, { nodes: loop.nodes.slice(at), links: loop.links.slice(at) }, [], 8);
  assert.ok(tail);
  return [...p.segments, ...tail];
}

test("the failure this guards against: with a link or router of the path gone, the strict probe cannot come back, the fewest-SIDs one comes back over the IGP's detour", () => {
  // a - b - c - d is the IGP's way (igp 10 a link); a - e - d the long way round (igp 50).
  const t = net(["a", "b", "c", "d", "e"], [["a", "b"], ["b", "c"], ["c", "d"], ["a", "e", { igp: 50 }], ["e", "d", { igp: 50 }]]);
  const { primary } = path(t, { from: "a", to: "d", objective: "igp" });
  assert.deepEqual(primary.nodes, ["a", "b", "c", "d"]);
  const strict = probeSegments(t, primary);
  assert.equal(text(strict), "End.X@a(a>b) End.X@b(b>c) End.X@c(c>d) End.X@d(d>c) End.X@c(c>b) End.X@b(b>a)");
  const loose = looseProbe(t, primary);
  assert.equal(text(loose), "End@d");
  // Healthy: both cross exactly the loop.
  for (const probe of [strict, loose]) {
    const r = replayProbe(t, primary, probe);
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.deepEqual(r.walk, loopWalk(t, primary));
  }
  for (const [what, broken] of [["link b-c down", failed(t, { links: ["b-c"] })], ["router b down", failed(t, { routers: ["b"] })]] as const) {
    const igp = new IgpView(broken);
    // The bug: the loose probe comes back, over a > e > d and back, so the path looked up.
    const old = replay(broken, igp, "a", "a", loose);
    assert.ok(old.ok, `${what}: ${old.ok ? "" : old.reason}`);
    assert.deepEqual(old.walk.nodes, ["a", "e", "d", "e", "a"], what);
    // The fix: an End.X over a link that is gone (or of a router that is gone) has nowhere to go.
    const now = replay(broken, igp, "a", "a", strict);
    assert.equal(now.ok, false, `${what}: the strict probe came back over ${now.ok ? now.walk.nodes.join(">") : ""}`);
  }
});

test("the demo's video path: whichever of its links or routers is down, the strict probe fails; the old one came back with r1-r2 or r3-r4 down", () => {
  const demo = demoTopology();
  const r = findPath(demo, { from: "r1", to: "r4", objective: "latency", constraints: { ...NO_CONSTRAINTS }, via: [], protection: "none" });
  assert.ok(r.ok, r.ok ? "" : r.reason);
  const p = r.primary;
  const strict = probeSegments(demo, p);
  const loose = looseProbe(demo, p);
  assert.deepEqual(loose.map((s) => s.sid), [x(demo, "r2-r3", "r2"), "fc00:0:4::1", x(demo, "r2-r3", "r3")]);
  const survived: string[] = [];
  const cases = [...p.links.map((l) => [`link ${l}`, failed(demo, { links: [l] })] as const), ...p.nodes.slice(1).map((n) => [`router ${n}`, failed(demo, { routers: [n] })] as const)];
  for (const [what, broken] of cases) {
    const igp = new IgpView(broken);
    const now = replay(broken, igp, "r1", "r1", strict);
    assert.equal(now.ok, false, `${what}: the strict probe came back over ${now.ok ? now.walk.nodes.join(">") : ""}`);
    const old = replay(broken, igp, "r1", "r1", loose);
    if (old.ok) survived.push(`${what}: ${old.walk.nodes.join(">")}`);
  }
  // r1-r2 down: the IGP takes r1 > r7 > r2 to r2's End.X, and r2 > r7 > r1 home; r3-r4 down: r3 > r2 >
  // r7 > r4 to r4's End SID, and the same back to r3's End.X.
  assert.deepEqual(survived, [
    "link r1-r2: r1>r7>r2>r3>r4>r3>r2>r7>r1",
    "link r3-r4: r1>r2>r3>r2>r7>r4>r7>r2>r3>r2>r1",
  ]);
});

// ---------------------------------------------------------------------------------------------
// Property: on random small graphs (small IGP metrics, so ECMP is common), every primary and backup
// the engine returns, via paths and services included, has a probe that replays over the IGP to
// exactly path + reverse(path), starts with the path's own segments, and after them has one End.X
// per remaining link of the loop, in order (or, over the datapath's limit, the fewest SIDs that do
// the rest, against the brute force's exhaustive search).

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

test("property: every probe replays to exactly path + reverse(path), with the path's segments first and an End.X per remaining link after them", () => {
  const stats = { paths: 0, withSegments: 0, landsOnEgress: 0, strictForward: 0, noSegments: 0, via: 0, backups: 0, fallback: 0 };
  fc.assert(
    fc.property(arbCase, ({ topo, q }) => {
      const r = findPath(topo, q);
      if (!r.ok) return;
      const igp = new IgpView(topo);
      for (const p of [r.primary, ...(r.backup ? [r.backup] : [])]) {
        stats.paths++;
        if (p === r.backup) stats.backups++;
        if (q.via.length > 0) stats.via++;
        const probe = probeSegments(topo, p);
        const where: string = `path ${p.nodes.join(">")} [${text(p.segments)}], probe [${text(probe)}]`;
        assert.deepEqual(probe.slice(0, p.segments.length), p.segments, `${where}: does not start with the path's segments`);
        const replayed = replayProbe(topo, p, probe);
        assert.ok(replayed.ok, `${where}: ${replayed.ok ? "" : replayed.reason}`);
        const want = loopWalk(topo, p);
        assert.deepEqual(replayed.walk.nodes, want.nodes, `${where}: crosses ${replayed.walk.nodes.join(">")}`);
        assert.deepEqual(replayed.walk.links, want.links, `${where}: crosses other links`);
        if (p.nodes.length === 1) continue;
        const at = forwardEnd(topo, igp, p);
        const tail = probe.slice(p.segments.length);
        const rest: Walk = { nodes: want.nodes.slice(at), links: want.links.slice(at) };
        if (p.segments.length + rest.links.length <= MAX_PROBE_SIDS) {
          // Strict: the End.X of each remaining link's first router, over exactly that link, in order.
          assert.equal(tail.length, rest.links.length, `${where}: ${tail.length} SIDs after the path's for ${rest.links.length} links`);
          tail.forEach((x, k) => {
            const from = rest.nodes[k]!, to = rest.nodes[k + 1]!;
            const router = topo.routers.find((rr) => rr.name === from)!;
            assert.deepEqual(x, { sid: endXSidOf(topo.links[rest.links[k]!]!, router.name), node: from, behavior: "End.X", link: [from, to] }, `${where}: SID ${p.segments.length + k}`);
          });
          if (p.segments.length === 0) stats.noSegments++;
          else if (at === p.links.length) stats.landsOnEgress++;
          else stats.strictForward++;
          if (p.segments.length > 0) stats.withSegments++;
        } else {
          // Over the limit: the fewest SIDs after the path's own (no shorter tail pins the rest).
          stats.fallback++;
          const shorter = tail.length > 0 ? findSegmentList(topo, igp, rest, [], tail.length - 1) : null;
          assert.equal(shorter, null, `${where}: ${tail.length} SIDs after the path's, but ${text(shorter ?? [])} suffice`);
        }
      }
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  // Not vacuous: paths without segments, with segments that stop short of the egress router or land
  // on it, via paths and backups all happened. (The fallback has its own test: these paths are short.)
  for (const k of ["withSegments", "landsOnEgress", "strictForward", "noSegments", "via", "backups"] as const) {
    assert.ok(stats[k] >= 5, `only ${stats[k]} runs with ${k}: ${JSON.stringify(stats)}`);
  }
  console.log(`# probe property: ${JSON.stringify(stats)}`);
});
