// Hand-checked path-engine answers on real Internet Topology Zoo graphs: SWITCH (Switch.graphml),
// GEANT (Geant2012.graphml), Cogent (Cogentco.graphml) and Kentucky Datalink (Kdl.graphml).
//
// Every expected path below was worked out by hand from the raw GraphML (adjacency and
// coordinates), independently of the engine; the reasoning is in the comment above each case.
// The expected latencies are recomputed here from the raw file's Latitude/Longitude with this
// file's own great-circle function (rounded per link, 5 µs/km, at least 1 µs, as the import rules
// say), so the GraphML import is cross-checked as well. The literal numbers in the comments and
// assertions are the same sums, done by hand from the per-link delays.
//
// Segment lists are replayed here: End(n) forwards along the IGP shortest path to n, which must be
// unique (igp 10 per link, so: fewest hops, counted with ECMP); End.X(a, a→b) forwards to a the same
// way, then crosses the link a–b; after the last SID the packet is forwarded to the destination
// the same way. The replay must give exactly the path's nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadAnyTopology } from "../config/load.js";
import { zoo, zooPath } from "../config/zoo-data.js";
import { findPath } from "./path-engine.js";
import type { Constraints, Path, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import type { PathAnswer, PathQuery } from "./path-query.js";

// ---------------------------------------------------------------------------------------------
// An independent reading of the raw GraphML: regular expressions, no XML parser, the import rules
// (drop hyperedge helpers and nodes without coordinates, drop self-loops and parallel edges, name
// = label or label#id when empty or shared) applied again.

interface RawGraph {
  file: string;
  /** Kept routers in file order. */
  names: string[];
  /** Each router's node id (id + 1 numbers its locator). */
  idOf: Map<string, string>;
  index: Map<string, number>;
  coords: Map<string, { lat: number; lon: number }>;
  /** Kept links in file order (source, target), parallel ones too, with their ids and the raw LinkSpeedRaw. */
  links: { id: string; a: string; b: string; speed: number | undefined }[];
  /** Neighbours, once per link (a parallel link is an adjacency of its own, as IS-IS sees it). */
  adj: Map<string, string[]>;
  /** "a\0b" (either order) → indices into links. */
  linkAt: Map<string, number[]>;
}

const attrsOf = (tag: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w.:-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
};
const decode = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
/**
 * The README's End.X function, computed here on its own: 0xe0000000 + FNV-1a 32 of
 * "End.X <link id> <router>" (the id is "source-target"), xor-folded to 28 bits; as the SID's last two groups.
 */
function endXFunction(l: { id: string }, router: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(`End.X ${l.id} ${router}`, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  const f = (0xe0000000 + (((h >>> 28) ^ h) & 0x0fffffff)) >>> 0;
  return `${(f >>> 16).toString(16)}:${(f & 0xffff).toString(16)}`;
}
const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

function readRaw(file: string): RawGraph {
  const xml = zoo(file);
  const nodeKey = new Map<string, string>();
  const edgeKey = new Map<string, string>();
  for (const m of xml.matchAll(/<key\b[^>]*>/g)) {
    const a = attrsOf(m[0]);
    if (a["for"] === "node") nodeKey.set(a["id"]!, a["attr.name"]!);
    if (a["for"] === "edge") edgeKey.set(a["id"]!, a["attr.name"]!);
  }
  const dataOf = (body: string, keys: Map<string, string>) => {
    const d = new Map<string, string>();
    for (const m of body.matchAll(/<data key="([^"]+)">([^<]*)<\/data>/g)) {
      const name = keys.get(m[1]!);
      if (name !== undefined) d.set(name, decode(m[2]!).trim());
    }
    return d;
  };
  type N = { id: string; label: string; lat: number; lon: number };
  const kept: N[] = [];
  for (const m of xml.matchAll(/<node id="([^"]+)">([\s\S]*?)<\/node>/g)) {
    const d = dataOf(m[2]!, nodeKey);
    if (d.get("hyperedge") === "1") continue;
    const lat = d.get("Latitude");
    const lon = d.get("Longitude");
    if (!lat || !lon || !Number.isFinite(Number(lat)) || !Number.isFinite(Number(lon))) continue;
    kept.push({ id: m[1]!, label: d.get("label") ?? "", lat: Number(lat), lon: Number(lon) });
  }
  const uses = new Map<string, number>();
  for (const n of kept) uses.set(n.label, (uses.get(n.label) ?? 0) + 1);
  const nameOf = new Map(kept.map((n) => [n.id, n.label !== "" && uses.get(n.label) === 1 ? n.label : `${n.label}#${n.id}`]));
  const names = kept.map((n) => nameOf.get(n.id)!);
  assert.equal(new Set(names).size, names.length, `${file}: names clash (this reader does not apply the clash rule)`);
  const g: RawGraph = {
    file, names, index: new Map(names.map((n, i) => [n, i])), idOf: new Map(kept.map((n) => [nameOf.get(n.id)!, n.id])),
    coords: new Map(kept.map((n) => [nameOf.get(n.id)!, { lat: n.lat, lon: n.lon }])),
    links: [], adj: new Map(names.map((n) => [n, []])), linkAt: new Map(),
  };
  const raw: { s: string; t: string; key: string | undefined; speedText: string | undefined }[] = [];
  for (const m of xml.matchAll(/<edge\b([^>]*)>([\s\S]*?)<\/edge>/g)) {
    const a = attrsOf(m[1]!);
    const s = nameOf.get(a["source"]!);
    const t = nameOf.get(a["target"]!);
    if (s === undefined || t === undefined || s === t) continue;
    const d = dataOf(m[2]!, edgeKey);
    raw.push({ s, t, key: d.get("key"), speedText: d.get("LinkSpeedRaw") });
  }
  const perPair = new Map<string, number>();
  for (const e of raw) perPair.set(pairKey(e.s, e.t), (perPair.get(pairKey(e.s, e.t)) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const { s, t, key, speedText } of raw) {
    const k = pairKey(s, t);
    seen.set(k, (seen.get(k) ?? 0) + 1);
    // README: a lone link is "source-target"; each parallel one "source-target#<edge key>".
    const id = perPair.get(k)! > 1 ? `${s}-${t}#${key || seen.get(k)}` : `${s}-${t}`;
    g.linkAt.set(k, [...(g.linkAt.get(k) ?? []), g.links.length]);
    g.links.push({ id, a: s, b: t, speed: speedText ? Number(speedText) : undefined });
    g.adj.get(s)!.push(t);
    g.adj.get(t)!.push(s);
  }
  return g;
}

/** Great-circle distance (haversine, atan2 form), mean Earth radius 6371 km. */
function greatCircleKm(p: { lat: number; lon: number }, q: { lat: number; lon: number }): number {
  const toRad = (d: number) => (d * Math.PI) / 180;
  const dPhi = toRad(q.lat - p.lat);
  const dLambda = toRad(q.lon - p.lon);
  const a = Math.sin(dPhi / 2) ** 2 + Math.cos(toRad(p.lat)) * Math.cos(toRad(q.lat)) * Math.sin(dLambda / 2) ** 2;
  return 2 * 6371 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

function linkUs(g: RawGraph, a: string, b: string): number {
  assert.ok(g.linkAt.has(pairKey(a, b)), `${g.file}: ${a} and ${b} are not adjacent in the raw file`);
  return Math.max(1, Math.round(greatCircleKm(g.coords.get(a)!, g.coords.get(b)!) * 5));
}

/** The path's latency from the raw coordinates: one rounded delay per link, summed. */
function rawLatencyUs(g: RawGraph, nodes: string[]): number {
  let sum = 0;
  for (let i = 1; i < nodes.length; i++) sum += linkUs(g, nodes[i - 1]!, nodes[i]!);
  return sum;
}

function rawBottleneckBps(g: RawGraph, nodes: string[]): number {
  let min = Infinity;
  for (let i = 1; i < nodes.length; i++) {
    const speeds = new Set(g.linkAt.get(pairKey(nodes[i - 1]!, nodes[i]!))!.map((l) => g.links[l]!.speed));
    assert.equal(speeds.size, 1, `${nodes[i - 1]}-${nodes[i]}: parallel links of different speeds; name the link`);
    const s = [...speeds][0];
    min = Math.min(min, s !== undefined && s > 0 ? Math.round(s) : 1e9);
  }
  return min;
}

/** BFS (every link has igp 10): hop distance and the number of shortest paths (capped at 2). */
function bfs(g: RawGraph, from: string): { dist: Map<string, number>; count: Map<string, number>; pred: Map<string, string> } {
  const dist = new Map([[from, 0]]);
  const count = new Map([[from, 1]]);
  const pred = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const v of g.adj.get(u)!) {
      if (!dist.has(v)) {
        dist.set(v, dist.get(u)! + 1);
        count.set(v, count.get(u)!);
        pred.set(v, u);
        queue.push(v);
      } else if (dist.get(v) === dist.get(u)! + 1) count.set(v, Math.min(2, count.get(v)! + count.get(u)!));
    }
  }
  return { dist, count, pred };
}

/** The IGP's one shortest path from → to, or null when it is not unique (ECMP) or there is none. */
function uniqueIgpPath(g: RawGraph, from: string, to: string): string[] | null {
  const t = bfs(g, from);
  if (t.count.get(to) !== 1) return null;
  const path = [to];
  while (path[0] !== from) path.unshift(t.pred.get(path[0]!)!);
  return path;
}

/** README: a zoo node's locator is fc00:0:<its id + 1>::/48 (zoo ids are whole numbers). */
const locatorGroup = (g: RawGraph, node: string) => (Number(g.idOf.get(node)!) + 1).toString(16);

/** Replays the segment list from the head-end and checks every SID's address. */
function replay(g: RawGraph, path: Path): string[] {
  let at = path.nodes[0]!;
  const walk = [at];
  const forwardTo = (to: string) => {
    const p = uniqueIgpPath(g, at, to);
    assert.ok(p, `the IGP has no unique shortest path from ${at} to ${to}: a SID there would not pin the path`);
    walk.push(...p.slice(1));
    at = to;
  };
  for (const s of path.segments) {
    if (s.behavior === "End") {
      assert.equal(s.sid, `fc00:0:${locatorGroup(g, s.node)}::1`, `End SID of ${s.node}`);
      forwardTo(s.node);
    } else if (s.behavior === "End.X") {
      assert.ok(s.link, "End.X without a link");
      const [a, b] = s.link;
      assert.equal(a, s.node);
      const lis = g.linkAt.get(pairKey(a, b));
      assert.ok(lis !== undefined, `End.X over ${a}-${b}, which is not a link`);
      const sids = lis.map((li) => `fc00:0:${locatorGroup(g, a)}::${endXFunction(g.links[li]!, a)}`);
      assert.ok(sids.includes(s.sid), `End.X SID of ${a} over ${a}-${b}: ${s.sid} is none of ${sids.join(", ")}`);
      forwardTo(a);
      walk.push(b);
      at = b;
    } else assert.fail(`unexpected ${s.behavior} segment on a zoo graph`);
  }
  forwardTo(path.nodes[path.nodes.length - 1]!);
  return walk;
}

// ---------------------------------------------------------------------------------------------

interface Zoo { topology: Topology; raw: RawGraph }
const cache = new Map<string, Promise<Zoo>>();
function load(file: string): Promise<Zoo> {
  let z = cache.get(file);
  if (!z) {
    z = loadAnyTopology(zooPath(file)).then(({ topology }) => ({ topology, raw: readRaw(file) }));
    cache.set(file, z);
  }
  return z;
}

type QueryOptions = Partial<Omit<PathQuery, "from" | "to" | "constraints">> & { constraints?: Partial<Constraints> };
function ask(z: Zoo, from: string, to: string, o: QueryOptions = {}): PathAnswer {
  const { constraints, ...rest } = o;
  return findPath(z.topology, { from, to, objective: "latency", via: [], protection: "none", ...rest, constraints: { ...NO_CONSTRAINTS, ...constraints } });
}

function found(a: PathAnswer): Extract<PathAnswer, { ok: true }> {
  assert.ok(a.ok, a.ok ? "" : `expected a path, got infeasible: ${a.reason}`);
  return a;
}

function infeasible(a: PathAnswer): Extract<PathAnswer, { ok: false }> {
  assert.ok(!a.ok, a.ok ? `expected infeasible, got ${a.primary.nodes.join(" > ")}` : "");
  return a;
}

/** The path is `nodes`, its latency is the raw-coordinate sum (and the hand sum), and the other metrics follow. */
function assertPath(z: Zoo, p: Path, nodes: string[], latencyUs: number): void {
  assert.deepEqual(p.nodes, nodes);
  assert.equal(rawLatencyUs(z.raw, nodes), latencyUs, "the hand-computed latency disagrees with the raw coordinates");
  assert.equal(p.metrics.latencyUs, latencyUs);
  assert.equal(p.metrics.hops, nodes.length - 1);
  assert.equal(p.metrics.igp, 10 * (nodes.length - 1));
  assert.equal(p.metrics.bottleneckBps, rawBottleneckBps(z.raw, nodes));
  assert.equal(p.links.length, nodes.length - 1);
  for (let i = 1; i < nodes.length; i++) {
    const l = z.topology.links.find((x) => x.id === p.links[i - 1]);
    assert.ok(l && pairKey(l.a, l.b) === pairKey(nodes[i - 1]!, nodes[i]!), `link ${i} ${p.links[i - 1]} does not join ${nodes[i - 1]} and ${nodes[i]}`);
  }
  assert.equal(p.srhBytes, p.segments.length === 0 ? 0 : 8 + 16 * (p.segments.length + 1));
}

/** The segments are exactly `expected` ([behavior, node] or [End.X, node, next]) and replay to the path. */
function assertSegments(z: Zoo, p: Path, expected: ([string, string] | [string, string, string])[]): void {
  assert.deepEqual(p.segments.map((s) => (s.link ? [s.behavior, s.node, s.link[1]] : [s.behavior, s.node])), expected);
  assert.deepEqual(replay(z.raw, p), p.nodes, "replaying the segment list does not give the path");
}

/** No link in common (parallel links between the same routers are different links). */
function assertLinkDisjoint(primary: Path, backup: Path): void {
  const used = new Set(primary.links);
  assert.deepEqual(backup.links.filter((l) => used.has(l)), [], "the backup shares links with the primary");
}

// ============================================================================================
// SWITCH (Switch.graphml). After the import drops 13 hyperedge helpers and 14 nodes without
// coordinates, what is left is a tree-like backbone with a few rings of co-located sites:
//   UniGE –256– EPFL –146– HEIG-VD –162– UniNE –208– HFT-SO –58– ENSI –498– ETH –144– PSI
//   UniNE –260– HES-SO –138– IWB –343– UniBE …   (a dead end: nothing there leads back to ETH)
//   Lausanne ring, all at 46.5160/6.6328 (0 km → 1 µs per link):
//   EPFL – EHL – EESP – HES-SO AvdP – UniL – IMD – EPFL
//   PSI's only link is ETH–PSI; Jungfraujoch has no link at all.

test("SWITCH: lowest latency UniGE → ETH is the one backbone route, 1328 µs", async () => {
  const z = await load("Switch.graphml");
  // ETH is reached from the west only over ENSI (PSI is a stub, the Zurich sites hang off ETH),
  // ENSI only from HFT-SO, HFT-SO only from UniNE, UniNE from UniGE only over HEIG-VD and EPFL
  // (the HES-SO branch dead-ends). One route: 256 + 146 + 162 + 208 + 58 + 498 = 1328 µs.
  const a = found(ask(z, "UniGE", "ETH"));
  assertPath(z, a.primary, ["UniGE", "EPFL", "HEIG-VD", "UniNE", "HFT-SO", "ENSI", "ETH"], 1328);
  // It is also the IGP's only path: no segments, no SRH.
  assertSegments(z, a.primary, []);
});

test("SWITCH: lowest latency UniGE → EESP goes round the Lausanne ring the short way (1 µs links)", async () => {
  const z = await load("Switch.graphml");
  // UniGE–EPFL 256 µs, then the ring: EPFL–EHL–EESP is 2 links (1 + 1 µs, co-located sites get the
  // 1 µs minimum), EPFL–IMD–UniL–HES-SO AvdP–EESP is 4. So 258 beats 260.
  const a = found(ask(z, "UniGE", "EESP"));
  assertPath(z, a.primary, ["UniGE", "EPFL", "EHL", "EESP"], 258);
  assertSegments(z, a.primary, []); // also the fewest hops: the IGP's own path
});

test("SWITCH: avoiding EHL moves UniGE → EESP to the other side of the ring, pinned by End(UniL)", async () => {
  const z = await load("Switch.graphml");
  // Without EHL only the long side is left: 256 + 4 × 1 = 260 µs. Its segments, by hand: the IGP
  // goes UniGE→EESP over EHL (3 hops), so one SID is needed. End(IMD) fails (IMD→EESP is 3 hops both
  // ways round), End(HES-SO AvdP) fails (UniGE→AvdP is 4 hops both ways); End(UniL) works:
  // UniGE→UniL is EPFL–IMD–UniL (3 hops, the other way is 5), UniL→EESP is AvdP–EESP (2, vs 4).
  const a = found(ask(z, "UniGE", "EESP", { constraints: { avoidNodes: ["EHL"] } }));
  assertPath(z, a.primary, ["UniGE", "EPFL", "IMD", "UniL", "HES-SO AvdP", "EESP"], 260);
  assertSegments(z, a.primary, [["End", "UniL"]]);
  assert.equal(a.primary.srhBytes, 40);
});

test("SWITCH: infeasible — PSI's only neighbour avoided; maxLatency under 1328 µs; an isolated router", async () => {
  const z = await load("Switch.graphml");
  const cut = infeasible(ask(z, "UniGE", "PSI", { constraints: { avoidNodes: ["ETH"] } }));
  assert.deepEqual(cut.cut, ["avoidNodes"]);
  assert.match(cut.reason, /avoidNodes \[ETH\] cuts every path from UniGE to PSI/);

  // The fastest (and only) UniGE → ETH path takes 1328 µs = 1.328ms.
  const slow = infeasible(ask(z, "UniGE", "ETH", { constraints: { maxLatencyUs: 1000 } }));
  assert.deepEqual(slow.cut, ["maxLatency"]);
  assert.match(slow.reason, /maxLatency 1ms cannot be met/);
  assert.match(slow.reason, /lowest-latency path from UniGE to ETH takes 1\.328ms/);

  // Jungfraujoch is kept as a router but has no link (its edges went with the dropped helpers).
  const alone = infeasible(ask(z, "UniGE", "Jungfraujoch"));
  assert.deepEqual(alone.cut, ["topology"]);
  assert.match(alone.reason, /no path from UniGE to Jungfraujoch/);
});

test("SWITCH: link protection EPFL → EESP uses both sides of the ring; PSI (a stub) gets no backup", async () => {
  const z = await load("Switch.graphml");
  // Primary EPFL–EHL–EESP (2 µs); the only link-disjoint alternative is the other side of the ring,
  // EPFL–IMD–UniL–HES-SO AvdP–EESP (4 µs), within maxLatency 10us.
  const a = found(ask(z, "EPFL", "EESP", { protection: "link", constraints: { maxLatencyUs: 10 } }));
  assertPath(z, a.primary, ["EPFL", "EHL", "EESP"], 2);
  assert.ok(a.backup, "expected a backup");
  assertPath(z, a.backup, ["EPFL", "IMD", "UniL", "HES-SO AvdP", "EESP"], 4);
  assertLinkDisjoint(a.primary, a.backup);
  assert.ok(a.backup.metrics.latencyUs <= 10);
  // The backup is pinned too: IGP EPFL→EESP is EHL's side (2 hops); EPFL→UniL is IMD–UniL (2 vs 4),
  // UniL→EESP is AvdP–EESP (2 vs 4): End(UniL) again.
  assertSegments(z, a.backup, [["End", "UniL"]]);
  assert.deepEqual(a.notes, []);

  // PSI hangs off ETH by one link: every path to it crosses ETH–PSI.
  const stub = found(ask(z, "UniGE", "PSI", { protection: "link" }));
  assertPath(z, stub.primary, ["UniGE", "EPFL", "HEIG-VD", "UniNE", "HFT-SO", "ENSI", "ETH", "PSI"], 1472);
  assert.equal(stub.backup, null);
  assert.equal(stub.notes.length, 1);
  assert.match(stub.notes[0]!, /no link-disjoint pair of paths from UniGE to PSI exists/);
});

test("SWITCH: via HES-SO, UniGE → ETH detours into the dead end and comes back through UniNE", async () => {
  const z = await load("Switch.graphml");
  // UniGE→HES-SO: EPFL, HEIG-VD, UniNE, HES-SO (256+146+162+260 = 824); HES-SO→ETH: back to UniNE,
  // then HFT-SO, ENSI, ETH (260+208+58+498 = 1024). 1848 µs, UniNE visited twice.
  // One SID: End(HES-SO) (4 hops from UniGE, unique; HES-SO→ETH 4 hops, unique).
  const a = found(ask(z, "UniGE", "ETH", { via: ["HES-SO"] }));
  assertPath(z, a.primary, ["UniGE", "EPFL", "HEIG-VD", "UniNE", "HES-SO", "UniNE", "HFT-SO", "ENSI", "ETH"], 1848);
  assertSegments(z, a.primary, [["End", "HES-SO"]]);
});

// ============================================================================================
// GEANT (Geant2012.graphml): 37 national nodes after UA, MD and BY (no coordinates) are dropped.
// Per-link delays used below (µs): UK–NL 1785, NL–DK 3104, DK–SE 2612, SE–FI 1327, NL–DE 1821,
// DE–DK 3353, PT–ES 2512, ES–IT 5941, IT–GR 7307, ES–CH 5760, CH–IT 1063, PT–UK 7928,
// DE–AT 2988, AT–GR 6414. FI hangs off SE only; SE's other links are DK and NO (NO: DK, SE);
// MT hangs off IT only.

test("GEANT: lowest latency UK → FI over NL–DK–SE, 8828 µs, pinned by End(NL)", async () => {
  const z = await load("Geant2012.graphml");
  // FI is behind SE, SE behind DK (directly, or over NO, 3592 + 2648 > 2612). UK→DK: over NL
  // 1785 + 3104 = 4889; over NL–DE 1785 + 1821 + 3353 = 6959; over IS 9436 + 10521. So
  // UK–NL–DK–SE–FI = 1785 + 3104 + 2612 + 1327 = 8828 µs.
  // Segments: the IGP has two 4-hop paths UK→FI (over NL or over IS), so one SID: End(NL)
  // (UK–NL is a direct link; NL→FI is NL–DK–SE–FI, 3 hops, the only one).
  const a = found(ask(z, "UK", "FI"));
  assertPath(z, a.primary, ["UK", "NL", "DK", "SE", "FI"], 8828);
  assertSegments(z, a.primary, [["End", "NL"]]);
});

test("GEANT: avoiding link NL–DK moves UK → FI over DE, pinned by End.X(NL→DE)", async () => {
  const z = await load("Geant2012.graphml");
  // Without NL–DK: UK–NL–DE–DK = 1785 + 1821 + 3353 = 6959 beats UK–FR–LU–DE–DK (1719 + 1436 + 957
  // + 3353 = 7465), then DK–SE–FI: 6959 + 2612 + 1327 = 10898 µs.
  // Segments: End(DE) fails (UK→DE is 2 hops over NL or over CY), End(DK) fails (over NL or IS);
  // End.X at NL over NL–DE works: UK→NL is one link, then DE→FI is DE–DK–SE–FI (3 hops, unique).
  const a = found(ask(z, "UK", "FI", { constraints: { avoidLinks: ["NL-DK"] } }));
  assertPath(z, a.primary, ["UK", "NL", "DE", "DK", "SE", "FI"], 10898);
  assertSegments(z, a.primary, [["End.X", "NL", "DE"]]);
});

test("GEANT: infeasible — DK or IT avoided cuts FI or MT off; maxLatency 15ms below PT → GR's 15.76ms", async () => {
  const z = await load("Geant2012.graphml");
  // Every way to FI goes SE, every way to SE goes DK (NO's links are DK and SE).
  const noDk = infeasible(ask(z, "UK", "FI", { constraints: { avoidNodes: ["DK"] } }));
  assert.deepEqual(noDk.cut, ["avoidNodes"]);
  assert.match(noDk.reason, /avoidNodes \[DK\] cuts every path from UK to FI/);

  const noIt = infeasible(ask(z, "PT", "MT", { constraints: { avoidNodes: ["IT"] } }));
  assert.deepEqual(noIt.cut, ["avoidNodes"]);
  assert.match(noIt.reason, /avoidNodes \[IT\] cuts every path from PT to MT/);

  // PT→GR fastest: PT–ES–IT–GR = 2512 + 5941 + 7307 = 15760 µs (next: over CH, 16642).
  const slow = infeasible(ask(z, "PT", "GR", { constraints: { maxLatencyUs: 15_000 } }));
  assert.deepEqual(slow.cut, ["maxLatency"]);
  assert.match(slow.reason, /maxLatency 15ms cannot be met/);
  assert.match(slow.reason, /lowest-latency path from PT to GR takes 15\.76ms/);
});

test("GEANT: link protection PT → GR under 25ms gets a disjoint backup over UK–NL–DE–AT; MT gets none", async () => {
  const z = await load("Geant2012.graphml");
  // Primary PT–ES–IT–GR (15760). A backup sharing none of its links must leave PT over UK (PT's
  // other link) and reach GR over AT or BG (not IT–GR). UK→AT: UK–NL–DE–AT = 1785 + 1821 + 2988 =
  // 6594 (UK–FR–LU–DE–AT 7100, UK–FR–CH–IT–AT 8084); AT–GR 6414 beats AT–SK–HU–BG–GR 6862.
  // Backup: 7928 + 6594 + 6414 = 20936 µs ≤ 25ms.
  const a = found(ask(z, "PT", "GR", { protection: "link", constraints: { maxLatencyUs: 25_000 } }));
  assertPath(z, a.primary, ["PT", "ES", "IT", "GR"], 15760);
  assert.ok(a.backup, "expected a backup");
  assertPath(z, a.backup, ["PT", "UK", "NL", "DE", "AT", "GR"], 20936);
  assertLinkDisjoint(a.primary, a.backup);
  assert.ok(a.backup.metrics.latencyUs <= 25_000);
  assert.deepEqual(replay(z.raw, a.backup), a.backup.nodes);
  assert.deepEqual(a.notes, []);

  const stub = found(ask(z, "UK", "MT", { protection: "link" }));
  assert.equal(stub.primary.nodes[stub.primary.nodes.length - 2], "IT");
  assert.equal(stub.backup, null);
  assert.match(stub.notes.join("\n"), /no link-disjoint pair of paths from UK to MT exists/);
});

test("GEANT: via CH, PT → GR takes ES–CH–IT, 16642 µs, pinned by End(CH)", async () => {
  const z = await load("Geant2012.graphml");
  // PT→CH: PT–ES–CH 2512 + 5760 = 8272 (over IT 9516, over FR 9949); CH→GR: CH–IT–GR 1063 + 7307 =
  // 8370. 16642 µs. IGP: PT→CH is PT–ES–CH only, CH→GR is CH–IT–GR only: End(CH).
  const a = found(ask(z, "PT", "GR", { via: ["CH"] }));
  assertPath(z, a.primary, ["PT", "ES", "CH", "IT", "GR"], 16642);
  assertSegments(z, a.primary, [["End", "CH"]]);
});

// ============================================================================================
// Cogent (Cogentco.graphml). Around London: London–Lille 1217, Lille–Paris 1023, London–Brussels
// 1602, Brussels–Paris 1322 µs, plus the transatlantic London–New York–Paris (27851 + 29185).
// Iberia: Madrid–Avila 441, Avila–Coimbra 1593, Coimbra–Lisbon 880, Lisbon–Badajoz 943,
// Badajoz–Sevilla 941; the south coast Madrid–Valencia–Alicante–Murcia–Granada–Malaga–Sevilla is
// 1512 + 627 + 343 + 1183 + 445 + 785 = 4895. Boca Raton hangs off Miami only.

test("Cogent: lowest latency London → Paris over Lille, 2240 µs, pinned by End(Lille)", async () => {
  const z = await load("Cogentco.graphml");
  // Over Lille 1217 + 1023 = 2240; over Brussels 1602 + 1322 = 2924; anything else is far longer.
  // The IGP has three 2-hop paths (Lille, Brussels, New York): End(Lille).
  const a = found(ask(z, "London", "Paris"));
  assertPath(z, a.primary, ["London", "Lille", "Paris"], 2240);
  assertSegments(z, a.primary, [["End", "Lille"]]);
});

test("Cogent: avoiding Lille moves London → Paris to Brussels, 2924 µs, End(Brussels)", async () => {
  const z = await load("Cogentco.graphml");
  const a = found(ask(z, "London", "Paris", { constraints: { avoidNodes: ["Lille"] } }));
  assertPath(z, a.primary, ["London", "Brussels", "Paris"], 2924);
  assertSegments(z, a.primary, [["End", "Brussels"]]);
});

test("Cogent: infeasible — Boca Raton without Miami; maxLatency 2ms below London → Paris's 2.24ms", async () => {
  const z = await load("Cogentco.graphml");
  const stub = infeasible(ask(z, "Tampa", "Boca Raton", { constraints: { avoidNodes: ["Miami"] } }));
  assert.deepEqual(stub.cut, ["avoidNodes"]);
  assert.match(stub.reason, /avoidNodes \[Miami\] cuts every path from Tampa to Boca Raton/);

  const slow = infeasible(ask(z, "London", "Paris", { constraints: { maxLatencyUs: 2000 } }));
  assert.deepEqual(slow.cut, ["maxLatency"]);
  assert.match(slow.reason, /maxLatency 2ms cannot be met/);
  assert.match(slow.reason, /lowest-latency path from London to Paris takes 2\.24ms/);
});

test("Cogent: link protection London → Paris under 3ms: Lille primary, Brussels backup; Boca Raton over its parallel links", async () => {
  const z = await load("Cogentco.graphml");
  // Without London–Lille and Lille–Paris the best is over Brussels, 2924 ≤ 3000; the next one
  // (round the UK and the Low Countries) is 9376.
  const a = found(ask(z, "London", "Paris", { protection: "link", constraints: { maxLatencyUs: 3000 } }));
  assertPath(z, a.primary, ["London", "Lille", "Paris"], 2240);
  assert.ok(a.backup, "expected a backup");
  assertPath(z, a.backup, ["London", "Brussels", "Paris"], 2924);
  assertLinkDisjoint(a.primary, a.backup);
  assert.ok(a.backup.metrics.latencyUs <= 3000);
  assertSegments(z, a.backup, [["End", "Brussels"]]);

  // Boca Raton hangs off Miami by two parallel edges in the file (keys 0 and 1): two links, so the
  // stub has a link-disjoint backup, over the other one.
  const stub = found(ask(z, "London", "Boca Raton", { protection: "link" }));
  assert.deepEqual(stub.primary.nodes.slice(-2), ["Miami", "Boca Raton"]);
  assert.ok(stub.backup, "expected a backup over the other Miami–Boca Raton link");
  assertLinkDisjoint(stub.primary, stub.backup);
  const lastLinks = [stub.primary, stub.backup].map((p) => p.links[p.links.length - 1]!).sort();
  assert.deepEqual(lastLinks, ["Miami-Boca Raton#0", "Miami-Boca Raton#1"]);
});

test("Cogent: via Sevilla, Madrid → Lisbon passes Lisbon, turns at Sevilla and comes back (6682 µs)", async () => {
  const z = await load("Cogentco.graphml");
  // Madrid→Sevilla: over Avila–Coimbra–Lisbon–Badajoz 441 + 1593 + 880 + 943 + 941 = 4798, beating
  // the south coast's 4895. Sevilla→Lisbon: Badajoz–Lisbon 941 + 943 = 1884. The walk is 6682 µs,
  // better than the best simple path through Sevilla (the south coast then Badajoz: 4895 + 1884 = 6779).
  // IGP: Madrid→Sevilla 5 hops that way vs 6 along the coast, Sevilla→Lisbon 2 hops: End(Sevilla).
  const a = found(ask(z, "Madrid", "Lisbon", { via: ["Sevilla"] }));
  assertPath(z, a.primary, ["Madrid", "Avila", "Coimbra", "Lisbon", "Badajoz", "Sevilla", "Badajoz", "Lisbon"], 6682);
  assertSegments(z, a.primary, [["End", "Sevilla"]]);
});

test("Cogent: via Memphis, Chicago → Atlanta needs End.X(Nashville→Memphis): End(Memphis) would go by Tulsa", async () => {
  const z = await load("Cogentco.graphml");
  // Chicago→Memphis fastest: South Bend–Indianapolis–Louisville–Nashville–Memphis 588 + 1065 + 859 +
  // 1247 + 1579 = 5338 (St Louis–Kansas City–Tulsa: 2093 + 1936 + 1752 + 2742 = 8523); Memphis→
  // Atlanta: Nashville–Atlanta 1579 + 1731 = 3310. 8648 µs, Nashville twice.
  // IGP: Chicago→Memphis is 4 hops over Tulsa (the path has 5), so End(Memphis) would go the wrong
  // way; Chicago→Nashville is 4 hops, unique, then cross Nashville–Memphis; Memphis→Atlanta is
  // Nashville–Atlanta (2 hops, unique). One SID: End.X at Nashville over Nashville–Memphis.
  const a = found(ask(z, "Chicago", "Atlanta", { via: ["Memphis"] }));
  assertPath(z, a.primary, ["Chicago", "South Bend", "Indianapolis", "Louisville", "Nashville", "Memphis", "Nashville", "Atlanta"], 8648);
  assertSegments(z, a.primary, [["End.X", "Nashville", "Memphis"]]);
});

// ============================================================================================
// Kentucky Datalink (Kdl.graphml): 726 routers, many sharing a town name (then named label#id).
// Around Lexington: Lexington–Frankfort#491 209, Frankfort#491–Shelbyville#492 153,
// Shelbyville#492–Louisville#487 235, Shelbyville#492–Bardsdtown 248, Bardsdtown–Louisville#487
// 279, Lexington–Winchester#495 131, Winchester#495–Richmond#293 144, Lexington–Danville#290 230,
// Danville#290–Richmond#293 218; Georgetown#493's only link is to Lexington. Frankfort#491's only
// links are Lexington and Shelbyville#492; Bardsdtown's are Shelbyville#492 and Louisville#487.

test("Kdl: lowest latency Lexington → Louisville#487 over Frankfort#491 and Shelbyville#492, 597 µs", async () => {
  const z = await load("Kdl.graphml");
  // 209 + 153 + 235 = 597; over Bardsdtown 209 + 153 + 248 + 279 = 889; any other way leaves
  // Lexington by Winchester#495 and goes round through Cincinnati and Indiana (2242).
  // It is also the IGP's only 3-hop path: no segments.
  const a = found(ask(z, "Lexington", "Louisville#487"));
  assertPath(z, a.primary, ["Lexington", "Frankfort#491", "Shelbyville#492", "Louisville#487"], 597);
  assertSegments(z, a.primary, []);
  assert.equal(a.primary.srhBytes, 0);
});

test("Kdl: avoiding link Shelbyville#492–Louisville#487 goes through Bardsdtown (889 µs), End(Bardsdtown)", async () => {
  const z = await load("Kdl.graphml");
  // Segments: the IGP goes Lexington→Louisville#487 over Shelbyville#492 directly (3 hops), so one
  // SID: Lexington→Bardsdtown is Frankfort#491–Shelbyville#492–Bardsdtown (3 hops, unique), then
  // Bardsdtown–Louisville#487 is one link.
  const a = found(ask(z, "Lexington", "Louisville#487", { constraints: { avoidLinks: ["Shelbyville#492-Louisville#487"] } }));
  assertPath(z, a.primary, ["Lexington", "Frankfort#491", "Shelbyville#492", "Bardsdtown", "Louisville#487"], 889);
  assertSegments(z, a.primary, [["End", "Bardsdtown"]]);
});

test("Kdl: infeasible — Georgetown#493 without Lexington; maxLatency 500us below 597 µs", async () => {
  const z = await load("Kdl.graphml");
  const stub = infeasible(ask(z, "Louisville#487", "Georgetown#493", { constraints: { avoidNodes: ["Lexington"] } }));
  assert.deepEqual(stub.cut, ["avoidNodes"]);
  assert.match(stub.reason, /avoidNodes \[Lexington\] cuts every path from Louisville#487 to Georgetown#493/);

  const slow = infeasible(ask(z, "Lexington", "Louisville#487", { constraints: { maxLatencyUs: 500 } }));
  assert.deepEqual(slow.cut, ["maxLatency"]);
  assert.match(slow.reason, /maxLatency 500us cannot be met/);
  assert.match(slow.reason, /lowest-latency path from Lexington to Louisville#487 takes 597us/);
});

test("Kdl: link protection Lexington → Richmond#293 uses both sides of the square; Georgetown#493 none", async () => {
  const z = await load("Kdl.graphml");
  // Lexington–Winchester#495–Richmond#293 (131 + 144 = 275) and Lexington–Danville#290–Richmond#293
  // (230 + 218 = 448) share no link; the next path is 2817. Both sides are 2 IGP hops (ECMP), so
  // each needs End at its middle router.
  const a = found(ask(z, "Lexington", "Richmond#293", { protection: "link", constraints: { maxLatencyUs: 1000 } }));
  assertPath(z, a.primary, ["Lexington", "Winchester#495", "Richmond#293"], 275);
  assertSegments(z, a.primary, [["End", "Winchester#495"]]);
  assert.ok(a.backup, "expected a backup");
  assertPath(z, a.backup, ["Lexington", "Danville#290", "Richmond#293"], 448);
  assertSegments(z, a.backup, [["End", "Danville#290"]]);
  assertLinkDisjoint(a.primary, a.backup);
  assert.ok(a.backup.metrics.latencyUs <= 1000);

  const stub = found(ask(z, "Lexington", "Georgetown#493", { protection: "link" }));
  assertPath(z, stub.primary, ["Lexington", "Georgetown#493"], 128);
  assert.equal(stub.backup, null);
  assert.match(stub.notes.join("\n"), /no link-disjoint pair of paths from Lexington to Georgetown#493 exists/);
});

test("Kdl: via Bardsdtown, Louisville#487 → Lexington takes the long side (889 µs), End(Bardsdtown)", async () => {
  const z = await load("Kdl.graphml");
  // Louisville#487→Bardsdtown is the direct link (279, vs 483 over Shelbyville#492); Bardsdtown→
  // Lexington is Shelbyville#492–Frankfort#491–Lexington (248 + 153 + 209 = 610). 889 µs.
  const a = found(ask(z, "Louisville#487", "Lexington", { via: ["Bardsdtown"] }));
  assertPath(z, a.primary, ["Louisville#487", "Bardsdtown", "Shelbyville#492", "Frankfort#491", "Lexington"], 889);
  assertSegments(z, a.primary, [["End", "Bardsdtown"]]);
});

/** Seeded PRNG (mulberry32), so that the sample is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("Kdl: the hops objective agrees with a BFS on 50 seeded random pairs", async (t) => {
  const z = await load("Kdl.graphml");
  assert.equal(z.raw.names.length, z.topology.routers.length, "the raw reading and the import keep different routers");
  assert.deepEqual(z.raw.names, z.topology.routers.map((r) => r.name), "the raw reading and the import name routers differently");
  const rand = mulberry32(0xca1e5);
  const pick = () => z.raw.names[Math.floor(rand() * z.raw.names.length)]!;
  let reachable = 0;
  const hopCounts: number[] = [];
  for (let k = 0; k < 50; k++) {
    const from = pick();
    const to = pick();
    const tree = bfs(z.raw, from);
    const answer = ask(z, from, to, { objective: "hops" });
    const hops = tree.dist.get(to);
    if (hops === undefined) {
      const cut = infeasible(answer);
      assert.deepEqual(cut.cut, ["topology"], `${from} → ${to}`);
      continue;
    }
    reachable++;
    hopCounts.push(hops);
    const p = found(answer).primary;
    assert.equal(p.metrics.hops, hops, `${from} → ${to}: the engine's hop count is not the BFS distance`);
    assert.equal(p.nodes[0], from);
    assert.equal(p.nodes[p.nodes.length - 1], to);
    assert.equal(new Set(p.nodes).size, p.nodes.length, `${from} → ${to}: a shortest path repeats a router`);
    // Every link joins raw neighbours (rawLatencyUs asserts it), and the latency is theirs.
    assert.equal(p.metrics.latencyUs, rawLatencyUs(z.raw, p.nodes), `${from} → ${to}`);
    // Ties among fewest-hop paths go to the lowest latency: the least latency over the BFS layers.
    const best = new Map([[from, 0]]);
    const order = [...tree.dist.keys()].sort((x, y) => tree.dist.get(x)! - tree.dist.get(y)!);
    for (const v of order) {
      for (const u of z.raw.adj.get(v)!) {
        if (tree.dist.get(u) === tree.dist.get(v)! - 1) best.set(v, Math.min(best.get(v) ?? Infinity, best.get(u)! + linkUs(z.raw, u, v)));
      }
    }
    assert.equal(p.metrics.latencyUs, best.get(to), `${from} → ${to}: not the lowest-latency path among those with the fewest hops`);
    assert.deepEqual(replay(z.raw, p), p.nodes, `${from} → ${to}: the segment list does not replay to the path`);
  }
  // And one pair that cannot be connected: Lewisburg is kept as a router but has no link.
  assert.equal(bfs(z.raw, "Lexington").dist.get("Lewisburg"), undefined);
  assert.deepEqual(infeasible(ask(z, "Lexington", "Lewisburg", { objective: "hops" })).cut, ["topology"]);
  t.diagnostic(`${reachable} of 50 pairs connected, ${50 - reachable} in different components; hop counts ${hopCounts.join(" ")}`);
  assert.ok(reachable >= 40, `only ${reachable} of 50 sampled pairs are connected; the sample is not testing much`);
});
