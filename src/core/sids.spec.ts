// SIDs as data: derived from names (never from positions), explicit ones honoured and checked,
// collisions reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fnv1a32, fnv1aBits } from "./fnv.js";
import { parsePrefix } from "./ipv6.js";
import { LINK_DEFAULTS, type Topology } from "./model.js";
import { assignSids, derivedDx4Sid, derivedEndXSid, endXSidOf, withSids, type HostSpec, type LinkSpec, type RouterSpec, type TopologySpec } from "./sids.js";

const loc = (i: number) => `fc00:0:${i.toString(16)}::/48`;
const router = (name: string, i: number, sid?: string): RouterSpec => ({ name, locator: loc(i), ...(sid !== undefined ? { sid } : {}) });
const link = (a: string, b: string, sids: { sidA?: string; sidB?: string } = {}): LinkSpec =>
  ({ ...LINK_DEFAULTS, te: LINK_DEFAULTS.igp, srlgs: [], colors: [], id: `${a}-${b}`, a, b, ...sids });
const host = (name: string, r: string, n: number, dual: boolean, dx4Sid?: string): HostSpec => ({
  name, router: r, address: `2001:db8:${n.toString(16)}::10`, prefixLen: 64,
  ...(dual ? { address4: `10.${n >> 8}.${n & 0xff}.10`, prefixLen4: 24 } : {}),
  ...(dx4Sid !== undefined ? { dx4Sid } : {}),
});
const spec = (routers: RouterSpec[], links: LinkSpec[], hosts: HostSpec[] = []): TopologySpec => ({ routers, links, hosts, services: [] });
const problemsOf = (t: TopologySpec) => assignSids(t).problems.map((p) => `${p.list}[${p.index}].${p.field}: ${p.reason}`);

test("FNV-1a 32: the published test vectors", () => {
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  assert.equal(fnv1aBits("foobar", 28), ((0xbf9cf968 >>> 28) ^ 0xbf9cf968) & 0x0fffffff);
});

test("derived: End is <locator>::1, End.X <locator>::e…, End.DX4 <locator>::d… (dual-stack hosts only)", () => {
  const t = withSids(spec([router("r1", 1), router("r2", 2)], [link("r1", "r2")], [host("h1", "r1", 1, true), host("h2", "r2", 2, false)]));
  assert.equal(t.routers[0]!.sid, "fc00:0:1::1");
  assert.equal(t.routers[1]!.sid, "fc00:0:2::1");
  assert.equal(t.links[0]!.sidA, derivedEndXSid(parsePrefix(loc(1))!, "r1-r2", "r1"));
  assert.equal(t.links[0]!.sidB, derivedEndXSid(parsePrefix(loc(2))!, "r1-r2", "r2"));
  assert.match(t.links[0]!.sidA, /^fc00:0:1::e[0-9a-f]{3}:[0-9a-f]{1,4}$/);
  assert.match(t.links[0]!.sidB, /^fc00:0:2::e[0-9a-f]{3}:[0-9a-f]{1,4}$/);
  assert.equal(endXSidOf(t.links[0]!, "r2"), t.links[0]!.sidB);
  assert.throws(() => endXSidOf(t.links[0]!, "r9"), /r9 is not an end of link r1-r2/);
  assert.equal(t.hosts[0]!.dx4Sid, derivedDx4Sid(parsePrefix(loc(1))!, "h1"));
  assert.match(t.hosts[0]!.dx4Sid!, /^fc00:0:1::d[0-9a-f]{3}:[0-9a-f]{1,4}$/);
  assert.equal("dx4Sid" in t.hosts[1]!, false, "an IPv6-only host has no End.DX4 SID");
});

test("derived SIDs fit a /96 locator, whose only free bits are the low 32", () => {
  const t = withSids({ ...spec([{ name: "a", locator: "fc00:1:2:3:4:5::/96" }, router("b", 2)], [link("a", "b")], [host("h", "a", 1, true)]) });
  assert.equal(t.routers[0]!.sid, "fc00:1:2:3:4:5:0:1");
  assert.match(t.links[0]!.sidA, /^fc00:1:2:3:4:5:e[0-9a-f]{3}:[0-9a-f]{1,4}$/);
  assert.match(t.hosts[0]!.dx4Sid!, /^fc00:1:2:3:4:5:d[0-9a-f]{3}:[0-9a-f]{1,4}$/);
});

test("explicit SIDs are honoured, in canonical form; the rest are still derived", () => {
  const t = withSids(spec(
    [router("r1", 1, "FC00:0:1:0::100"), router("r2", 2), router("r3", 3)],
    [link("r1", "r2", { sidA: "fc00:0:1::e1" }), link("r2", "r3"), link("r3", "r1")],
    [host("h1", "r1", 1, true, "fc00:0:1::d1")],
  ));
  assert.equal(t.routers[0]!.sid, "fc00:0:1::100");
  assert.equal(t.links[0]!.sidA, "fc00:0:1::e1");
  assert.equal(t.links[0]!.sidB, derivedEndXSid(parsePrefix(loc(2))!, "r1-r2", "r2"));
  assert.equal(t.hosts[0]!.dx4Sid, "fc00:0:1::d1");
  // A built topology passes through again unchanged: its SIDs are now data.
  assert.deepEqual(withSids(t), t);
});

test("explicit SIDs are checked: an address, inside the router's locator, not reserved, used once, not another's derived SID", () => {
  assert.deepEqual(problemsOf(spec(
    [router("a", 1, "fc00:0:1::/64"), router("b", 2, "fc00:0:2::"), router("c", 3)],
    [link("a", "b", { sidA: "fc00:0:2::5" }), link("b", "c", { sidA: "fc00:0:2::ffff:ffff", sidB: "fc00:0:3::1" }), link("c", "a", { sidA: "fc00:0:3::9" })],
    [host("h", "c", 1, false, "fc00:0:3::d"), host("g", "c", 2, true, "fc00:0:3::9")],
  )), [
    'routers[0].sid: "fc00:0:1::/64" is not an IPv6 address (a SID has no prefix length)',
    "routers[1].sid: SID fc00:0:2:: is b's locator address itself; use an address inside it",
    "links[0].sidA: SID fc00:0:2::5 is outside a's locator fc00:0:1::/48, so it would not be routed to a",
    "links[1].sidA: SID fc00:0:2::ffff:ffff is reserved: the lab puts it on b to advertise the locator",
    "hosts[0].dx4Sid: only a dual-stack host (one with address4) has an End.DX4 SID",
    "hosts[1].dx4Sid: SID fc00:0:3::9 is already c's End.X SID for link c-a",
    "links[1].sidB: SID fc00:0:3::1 is c's End SID (derived); choose another",
  ]);
  // Equal to a SID another element derives: the written one is blamed, wherever it stands.
  const x = derivedEndXSid(parsePrefix(loc(1))!, "a-c", "a");
  for (const links of [[link("a", "b", { sidA: x }), link("a", "c")], [link("a", "c"), link("a", "b", { sidA: x })]]) {
    const p = assignSids(spec([router("a", 1), router("b", 2), router("c", 3)], links)).problems;
    assert.equal(p.length, 1);
    assert.deepEqual({ ...p[0]!, index: links[p[0]!.index]!.id }, { list: "links", index: "a-b", field: "sidA", explicit: true, reason: `SID ${x} is a's End.X SID for link a-c (derived); choose another` });
  }
});

// Found by search: at router r, links r-n29997 and r-n40454 derive the same End.X function; hosts
// h83 and h8440 the same End.DX4 function.
test("two derived SIDs of one router that hash alike: an error asking for an explicit SID, whatever the order; an explicit SID resolves it", () => {
  const p = parsePrefix(loc(1))!;
  assert.equal(derivedEndXSid(p, "r-n29997", "r"), derivedEndXSid(p, "r-n40454", "r"));
  assert.equal(derivedDx4Sid(p, "h83"), derivedDx4Sid(p, "h8440"));
  const routers = [router("r", 1), router("n29997", 2), router("n40454", 3)];
  const links = [link("r", "n29997"), link("r", "n40454")];
  const hosts = [host("h83", "r", 1, true), host("h8440", "r", 2, true)];
  for (const order of [[0, 1], [1, 0]]) {
    const ps = assignSids(spec(routers, order.map((i) => links[i]!), order.map((i) => hosts[i]!))).problems;
    assert.deepEqual(ps.map((x) => [x.list, x.field, x.explicit]), [["links", "sidA", false], ["hosts", "dx4Sid", false]]);
    assert.match(ps[0]!.reason, /^r's End\.X SID for link r-n\d+, derived as fc00:0:1::e[0-9a-f:]+, is also r's End\.X SID for link r-n\d+; give one of them an explicit SID \(links\[\d\]\.sidA\)$/);
    assert.match(ps[1]!.reason, /^r's End\.DX4 SID for host h\d+, derived as fc00:0:1::d[0-9a-f:]+, is also r's End\.DX4 SID for host h\d+; give one of them an explicit SID \(hosts\[\d\]\.dx4Sid\)$/);
  }
  const fixed = assignSids(spec(routers, [links[0]!, { ...links[1]!, sidA: "fc00:0:1::e2" }], [hosts[0]!, { ...hosts[1]!, dx4Sid: "fc00:0:1::d2" }]));
  assert.deepEqual(fixed.problems, []);
  assert.equal(fixed.topology.links[0]!.sidA, derivedEndXSid(p, "r-n29997", "r"), "the other keeps its derived SID");
});

// ---------------------------------------------------------------------------------------------
// Stability: the SIDs of what survives an edit are the SIDs it had.

interface World { routers: RouterSpec[]; links: LinkSpec[]; hosts: HostSpec[] }

/** Routers r0..r{n-1} on locators by number (a locator is the router's own, not its position). */
const worldArb = fc.integer({ min: 2, max: 12 }).chain((n) => fc.record({
  n: fc.constant(n),
  links: fc.uniqueArray(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)).filter(([a, b]) => a !== b), { maxLength: 30, selector: ([a, b]) => `${Math.min(a, b)}|${Math.max(a, b)}` }),
  hosts: fc.array(fc.tuple(fc.nat(n - 1), fc.boolean()), { maxLength: 20 }),
}));

function world(w: { n: number; links: [number, number][]; hosts: [number, boolean][] }, extra = 0): World {
  return {
    routers: Array.from({ length: w.n }, (_, i) => router(`r${i}`, i + 1)),
    links: w.links.map(([a, b]) => link(`r${a}`, `r${b}`)),
    hosts: w.hosts.map(([r, dual], i) => host(`h${i + extra}`, `r${r}`, i + 1 + extra, dual)),
  };
}

/** Every SID by what it belongs to: "End r1", "End.X r1-r2 r1", "End.DX4 h3". */
function sidsByName(t: Topology): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of t.routers) m.set(`End ${r.name}`, r.sid);
  for (const l of t.links) { m.set(`End.X ${l.id} ${l.a}`, l.sidA); m.set(`End.X ${l.id} ${l.b}`, l.sidB); }
  for (const h of t.hosts) if (h.dx4Sid !== undefined) m.set(`End.DX4 ${h.name}`, h.dx4Sid);
  return m;
}

function built(w: World): Map<string, string> | null {
  const { topology, problems } = assignSids({ ...w, services: [] });
  return problems.length === 0 ? sidsByName(topology) : null;
}

test("property: reordering, removing and adding routers, links and hosts leaves every surviving SID as it was", () => {
  fc.assert(fc.property(worldArb, worldArb, fc.integer(), fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }), (base, more, seed, keep) => {
    const before = world(base);
    const first = built(before);
    fc.pre(first !== null); // a hash collision (odds ~1e-6 here) is its own test above
    // Edit: shuffle every list, drop some links and hosts, add the other world's links and hosts
    // (re-numbered so they are new), and routers beyond the first world's.
    const added = world({ n: Math.max(base.n, more.n), links: more.links, hosts: more.hosts }, 1000);
    const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: Math.imul(seed ^ (i * 0x9e3779b1), 0x85ebca6b) >>> 0 })).sort((p, q) => p.k - q.k).map((p) => p.x);
    const linkIds = new Set<string>();
    const pairOf = (l: LinkSpec) => [l.a, l.b].sort().join("|");
    const links = [...before.links.filter((_, i) => keep[i % keep.length]), ...added.links].filter((l) => !linkIds.has(pairOf(l)) && linkIds.add(pairOf(l)));
    const after: World = {
      routers: shuffle([...before.routers, ...added.routers.slice(base.n)]),
      links: shuffle(links),
      hosts: shuffle([...before.hosts.filter((_, i) => keep[(i + 40) % keep.length]), ...added.hosts]),
    };
    const second = built(after);
    fc.pre(second !== null);
    for (const [what, sid] of second) {
      const old = first.get(what);
      if (old !== undefined) assert.equal(sid, old, `${what} changed`);
    }
    // And nothing new took an old element's SID.
    const owners = new Map([...second].map(([what, sid]) => [sid, what]));
    for (const [what, sid] of first) if (owners.has(sid)) assert.equal(owners.get(sid), what);
  }), { seed: 20240611, numRuns: 300 });
});
