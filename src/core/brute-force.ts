// Test-only support: an independent, exhaustive reference for the path engine's semantics.
// Everything here is written from the specification, not from the engine: it enumerates paths
// instead of searching, and replays segment lists hop by hop over every ECMP choice. Pure.
import type { Constraints, Link, LinkMetrics, Objective, PathMetrics, Protection, Segment, Topology, Weights } from "./model.js";
import { availableBps, metricsFrom } from "./model.js";
import type { ConstraintName, PathQuery } from "./path-query.js";
import { endXSidOf } from "./sids.js";

/** A walk over routers; `links` holds indices into topology.links. */
export interface Walk {
  nodes: string[];
  links: number[];
}

/** Everything a path's metrics and objectives are made of, closed under concatenation. */
export interface Vec {
  latency: number;
  jitter: number;
  /** Σ −ln(1 − loss). */
  lossLog: number;
  /** Π (1 − loss). */
  keep: number;
  hops: number;
  igp: number;
  te: number;
  bottleneck: number;
  maxUtil: number;
}

export const ZERO_VEC: Readonly<Vec> = { latency: 0, jitter: 0, lossLog: 0, keep: 1, hops: 0, igp: 0, te: 0, bottleneck: Infinity, maxUtil: 0 };

/** One link's vector in one direction: `metricsFrom(link, router)`. */
export function linkVec(l: LinkMetrics): Vec {
  return {
    latency: l.delayUs,
    jitter: l.jitterUs,
    lossLog: -Math.log(1 - l.loss),
    keep: 1 - l.loss,
    hops: 1,
    igp: l.igp,
    te: l.te,
    bottleneck: availableBps(l),
    maxUtil: l.utilization,
  };
}

export function addVec(a: Vec, b: Vec): Vec {
  return {
    latency: a.latency + b.latency,
    jitter: a.jitter + b.jitter,
    lossLog: a.lossLog + b.lossLog,
    keep: a.keep * b.keep,
    hops: a.hops + b.hops,
    igp: a.igp + b.igp,
    te: a.te + b.te,
    bottleneck: Math.min(a.bottleneck, b.bottleneck),
    maxUtil: Math.max(a.maxUtil, b.maxUtil),
  };
}

/** A walk's vector, each link's metrics in the direction the walk crosses it. */
export function vecOf(topo: Topology, w: Walk): Vec {
  let v: Vec = { ...ZERO_VEC };
  w.links.forEach((i, k) => { v = addVec(v, linkVec(metricsFrom(topo.links[i]!, w.nodes[k]!))); });
  return v;
}

export function metricsOf(v: Vec): PathMetrics {
  return {
    latencyUs: v.latency,
    igp: v.igp,
    te: v.te,
    hops: v.hops,
    jitterUs: v.jitter,
    loss: 1 - v.keep,
    bottleneckBps: v.bottleneck,
    maxUtilization: v.maxUtil,
  };
}

// ---------------------------------------------------------------------------------------------
// Objectives: a key compared lexicographically, smaller is better.

export function objectiveKey(objective: Objective, weights: Weights | undefined, v: Vec): number[] {
  switch (objective) {
    case "igp": return [v.igp];
    case "te": return [v.te];
    case "latency": return [v.latency];
    case "hops": return [v.hops];
    case "jitter": return [v.jitter];
    case "loss": return [v.lossLog];
    case "bandwidth": return [-v.bottleneck, v.latency];
    case "utilization": return [v.maxUtil, v.latency];
    case "weighted": {
      const w = weights ?? {};
      return [
        (w.latency ?? 0) * v.latency + (w.jitter ?? 0) * v.jitter + (w.loss ?? 0) * v.lossLog +
        (w.igp ?? 0) * v.igp + (w.te ?? 0) * v.te + (w.hops ?? 0) * v.hops,
      ];
    }
  }
}

export const REL_TOL = 1e-9;

export function approxEq(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= REL_TOL * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Lexicographic with a relative tolerance per component: −1 when a is better, 1 when worse. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (approxEq(x, y)) continue;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Components a path must be no worse in to be at least as good after any common extension. */
function paretoDims(q: Pick<PathQuery, "objective" | "weights" | "constraints">, v: Vec): number[] {
  const c = q.constraints;
  const d: number[] = [];
  if (c.maxLatencyUs !== undefined) d.push(v.latency);
  if (c.maxJitterUs !== undefined) d.push(v.jitter);
  if (c.maxLoss !== undefined) d.push(-v.keep);
  if (c.maxHops !== undefined) d.push(v.hops);
  switch (q.objective) {
    case "bandwidth": d.push(-v.bottleneck, v.latency); break;
    case "utilization": d.push(v.maxUtil, v.latency); break;
    case "weighted": {
      const w = q.weights ?? {};
      if (w.latency) d.push(v.latency);
      if (w.jitter) d.push(v.jitter);
      if (w.loss) d.push(v.lossLog);
      if (w.igp) d.push(v.igp);
      if (w.te) d.push(v.te);
      if (w.hops) d.push(v.hops);
      break;
    }
    default: d.push(...objectiveKey(q.objective, q.weights, v));
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Constraints.

/** A link reference names the link's id, or its two routers either way round (every parallel link). */
export function linkIdMatches(l: Link, id: string): boolean {
  return id === l.id || id === `${l.a}-${l.b}` || id === `${l.b}-${l.a}`;
}

/** What crossing `l` (with metrics `m`, those of the direction crossed) breaks. */
export function linkViolations(c: Constraints, l: Link, m: LinkMetrics = l): ConstraintName[] {
  const out: ConstraintName[] = [];
  if (c.minBandwidthBps !== undefined && availableBps(m) < c.minBandwidthBps) out.push("minBandwidth");
  if (c.avoidLinks.some((id) => linkIdMatches(l, id))) out.push("avoidLinks");
  if (l.srlgs.some((s) => c.avoidSrlgs.includes(s))) out.push("avoidSrlgs");
  if (l.colors.some((k) => c.excludeAny.includes(k))) out.push("excludeAny");
  if (c.includeAny.length > 0 && !l.colors.some((k) => c.includeAny.includes(k))) out.push("includeAny");
  if (!c.includeAll.every((k) => l.colors.includes(k))) out.push("includeAll");
  return out;
}

export function nodeViolations(topo: Topology, c: Constraints, name: string): ConstraintName[] {
  const out: ConstraintName[] = [];
  if (c.avoidNodes.includes(name)) out.push("avoidNodes");
  const region = topo.routers.find((r) => r.name === name)?.region;
  if (region !== undefined && c.avoidRegions.includes(region)) out.push("avoidRegions");
  return out;
}

export function boundViolations(c: Constraints, v: Vec): ConstraintName[] {
  const out: ConstraintName[] = [];
  if (c.maxLatencyUs !== undefined && v.latency > c.maxLatencyUs) out.push("maxLatency");
  if (c.maxJitterUs !== undefined && v.jitter > c.maxJitterUs) out.push("maxJitter");
  if (c.maxLoss !== undefined && 1 - v.keep > c.maxLoss) out.push("maxLoss");
  if (c.maxHops !== undefined && v.hops > c.maxHops) out.push("maxHops");
  return out;
}

/** Every constraint the walk breaks (empty when feasible). */
export function violations(topo: Topology, c: Constraints, w: Walk): ConstraintName[] {
  const out = new Set<ConstraintName>();
  for (const n of w.nodes) for (const x of nodeViolations(topo, c, n)) out.add(x);
  w.links.forEach((i, k) => { for (const x of linkViolations(c, topo.links[i]!, metricsFrom(topo.links[i]!, w.nodes[k]!))) out.add(x); });
  for (const x of boundViolations(c, vecOf(topo, w))) out.add(x);
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Enumeration.

interface Adj {
  to: string;
  idx: number;
}

export function adjacency(topo: Topology): Map<string, Adj[]> {
  const g = new Map<string, Adj[]>(topo.routers.map((r) => [r.name, []]));
  topo.links.forEach((l, idx) => {
    g.get(l.a)?.push({ to: l.b, idx });
    g.get(l.b)?.push({ to: l.a, idx });
  });
  return g;
}

/** Every simple path from → to whose nodes and links pass the filters (from = to gives the empty path). */
export function simplePaths(
  topo: Topology, from: string, to: string,
  linkOk: (idx: number, from: string) => boolean = () => true, nodeOk: (name: string) => boolean = () => true,
): Walk[] {
  const g = adjacency(topo);
  const out: Walk[] = [];
  if (!g.has(from) || !g.has(to) || !nodeOk(from) || !nodeOk(to)) return out;
  const nodes = [from];
  const links: number[] = [];
  const on = new Set([from]);
  const dfs = (u: string) => {
    if (u === to) {
      out.push({ nodes: [...nodes], links: [...links] });
      return;
    }
    for (const e of g.get(u)!) {
      if (on.has(e.to) || !linkOk(e.idx, u) || !nodeOk(e.to)) continue;
      on.add(e.to); nodes.push(e.to); links.push(e.idx);
      dfs(e.to);
      on.delete(e.to); nodes.pop(); links.pop();
    }
  };
  dfs(from);
  return out;
}

export interface Candidate {
  walk: Walk;
  vec: Vec;
  key: number[];
}

export interface BruteForceResult {
  feasible: boolean;
  /** The optimal objective key, or null when nothing is feasible. */
  best: number[] | null;
  /** One optimal walk (for diagnostics). */
  bestWalk: Walk | null;
  /** With via: where bestWalk stops for each via item (indices into its nodes). */
  bestStops: number[] | null;
  /** Without via: every feasible path, best first. With via: null (the search prunes dominated partial paths). */
  candidates: Candidate[] | null;
}

/** The routers a via item may be served at: the waypoint itself, or a service's healthy instances. */
export function viaStops(topo: Topology, item: string): string[] {
  if (topo.routers.some((r) => r.name === item)) return [item];
  const svc = topo.services.find((s) => s.name === item);
  if (!svc) return [];
  return [...new Set(svc.instances.filter((i) => i.healthy).map((i) => i.node))];
}

export function bruteForce(topo: Topology, q: PathQuery): BruteForceResult {
  const c = q.constraints;
  const linkOk = (i: number, from: string) => linkViolations(c, topo.links[i]!, metricsFrom(topo.links[i]!, from)).length === 0;
  const nodeOk = (n: string) => nodeViolations(topo, c, n).length === 0;
  const keyOf = (v: Vec) => objectiveKey(q.objective, q.weights, v);

  if (q.via.length === 0) {
    const cands: Candidate[] = [];
    for (const walk of simplePaths(topo, q.from, q.to, linkOk, nodeOk)) {
      const vec = vecOf(topo, walk);
      if (boundViolations(c, vec).length > 0) continue;
      cands.push({ walk, vec, key: keyOf(vec) });
    }
    cands.sort((a, b) => compareKeys(a.key, b.key));
    const first = cands[0];
    return { feasible: !!first, best: first?.key ?? null, bestWalk: first?.walk ?? null, bestStops: first ? [] : null, candidates: cands };
  }

  // With via: legs between consecutive stops, each a simple path; combine leg by leg, keeping at each
  // stop only partial paths that no other partial path dominates in every component that matters.
  const legMemo = new Map<string, { walk: Walk; vec: Vec }[]>();
  const legs = (a: string, b: string) => {
    const k = `${a}>${b}`;
    let v = legMemo.get(k);
    if (!v) {
      v = simplePaths(topo, a, b, linkOk, nodeOk).map((walk) => ({ walk, vec: vecOf(topo, walk) }));
      legMemo.set(k, v);
    }
    return v;
  };
  type Partial = { walk: Walk; stops: number[]; vec: Vec; dims: number[] };
  const prune = (list: Partial[]): Partial[] => {
    const kept: Partial[] = [];
    for (const p of list) {
      if (kept.some((k) => k.dims.every((x, i) => x <= p.dims[i]!))) continue;
      for (let i = kept.length - 1; i >= 0; i--) if (p.dims.every((x, j) => x <= kept[i]!.dims[j]!)) kept.splice(i, 1);
      kept.push(p);
    }
    return kept;
  };
  let frontier = new Map<string, Partial[]>();
  if (nodeOk(q.from)) frontier.set(q.from, [{ walk: { nodes: [q.from], links: [] }, stops: [], vec: { ...ZERO_VEC }, dims: [] }]);
  const stopSets = [...q.via.map((v) => viaStops(topo, v)), [q.to]];
  for (const stops of stopSets) {
    const next = new Map<string, Partial[]>();
    for (const [at, partials] of frontier) {
      for (const stop of stops) {
        const acc = next.get(stop) ?? [];
        for (const leg of legs(at, stop)) {
          for (const p of partials) {
            const vec = addVec(p.vec, leg.vec);
            if (boundViolations(c, vec).length > 0) continue; // bounds only grow along a path
            acc.push({
              walk: { nodes: [...p.walk.nodes, ...leg.walk.nodes.slice(1)], links: [...p.walk.links, ...leg.walk.links] },
              stops: [...p.stops, p.walk.nodes.length - 1 + leg.walk.links.length],
              vec,
              dims: paretoDims(q, vec),
            });
          }
        }
        next.set(stop, prune(acc));
      }
    }
    frontier = next;
  }
  let best: Partial | null = null;
  let bestKey: number[] | null = null;
  for (const p of frontier.get(q.to) ?? []) {
    const k = keyOf(p.vec);
    if (!bestKey || compareKeys(k, bestKey) < 0) { best = p; bestKey = k; }
  }
  return { feasible: best !== null, best: bestKey, bestWalk: best?.walk ?? null, bestStops: best ? best.stops.slice(0, q.via.length) : null, candidates: null };
}

// ---------------------------------------------------------------------------------------------
// IGP forwarding and segment-list replay.

/** All-pairs IGP distances over every link, each direction at its own metric (the IGP knows nothing of constraints). */
export class IgpView {
  readonly dist = new Map<string, Map<string, number>>();
  readonly adj: Map<string, Adj[]>;

  constructor(readonly topo: Topology) {
    this.adj = adjacency(topo);
    const names = topo.routers.map((r) => r.name);
    for (const u of names) this.dist.set(u, new Map(names.map((w) => [w, u === w ? 0 : Infinity])));
    for (const l of topo.links) {
      const du = this.dist.get(l.a)!, dv = this.dist.get(l.b)!;
      const ab = metricsFrom(l, l.a).igp, ba = metricsFrom(l, l.b).igp;
      if (ab < du.get(l.b)!) du.set(l.b, ab);
      if (ba < dv.get(l.a)!) dv.set(l.a, ba);
    }
    for (const k of names) for (const i of names) for (const j of names) {
      const d = this.d(i, k) + this.d(k, j);
      if (d < this.d(i, j)) this.dist.get(i)!.set(j, d);
    }
  }

  d(u: string, w: string): number {
    return this.dist.get(u)?.get(w) ?? Infinity;
  }

  /** Up to `cap` distinct equal-cost shortest walks u → w (parallel links are distinct walks). */
  walks(u: string, w: string, cap = 2): Walk[] {
    const out: Walk[] = [];
    if (!Number.isFinite(this.d(u, w))) return out;
    const nodes = [u];
    const links: number[] = [];
    const dfs = (x: string) => {
      if (out.length >= cap) return;
      if (x === w) { out.push({ nodes: [...nodes], links: [...links] }); return; }
      for (const e of this.adj.get(x) ?? []) {
        if (metricsFrom(this.topo.links[e.idx]!, x).igp + this.d(e.to, w) !== this.d(x, w)) continue;
        nodes.push(e.to); links.push(e.idx);
        dfs(e.to);
        nodes.pop(); links.pop();
      }
    };
    dfs(u);
    return out;
  }
}

export type ReplayResult =
  | { ok: true; walk: Walk; /** index in walk.nodes where each segment's node is reached */ segPos: number[] }
  | { ok: false; reason: string };

function fmtWalk(topo: Topology, w: Walk): string {
  return w.nodes.join(">") + (w.links.length ? ` [${w.links.map((i) => topo.links[i]!.id).join(",")}]` : "");
}

/** Replays a segment list from `from`, ending at `to`; ok only when exactly one walk is possible. */
export function replay(topo: Topology, igp: IgpView, from: string, to: string, segments: readonly Segment[]): ReplayResult {
  const nodes = [from];
  const links: number[] = [];
  const segPos: number[] = [];
  const forward = (target: string, what: string): string | null => {
    const cur = nodes[nodes.length - 1]!;
    const ws = igp.walks(cur, target, 2);
    if (ws.length === 0) return `${what}: ${target} is unreachable by IGP from ${cur}`;
    if (ws.length > 1) return `${what}: IGP from ${cur} to ${target} is ECMP, e.g. ${fmtWalk(topo, ws[0]!)} and ${fmtWalk(topo, ws[1]!)}`;
    nodes.push(...ws[0]!.nodes.slice(1));
    links.push(...ws[0]!.links);
    return null;
  };
  for (const [k, s] of segments.entries()) {
    const what = `segment ${k} (${s.behavior} ${s.sid} @${s.node})`;
    const router = topo.routers.find((r) => r.name === s.node);
    if (!router) return { ok: false, reason: `${what}: unknown node` };
    if (s.behavior === "End") {
      if (s.sid !== router.sid) return { ok: false, reason: `${what}: End SID of ${s.node} is ${router.sid}` };
      const err = forward(s.node, what);
      if (err) return { ok: false, reason: err };
      segPos.push(nodes.length - 1);
    } else if (s.behavior === "End.X") {
      if (!s.link || s.link[0] !== s.node) return { ok: false, reason: `${what}: End.X needs link [${s.node}, …], has ${JSON.stringify(s.link)}` };
      const m = s.link[1];
      const idx = topo.links.findIndex((l) =>
        ((l.a === s.node && l.b === m) || (l.b === s.node && l.a === m)) && endXSidOf(l, s.node) === s.sid);
      if (idx < 0) return { ok: false, reason: `${what}: not the End.X SID of any ${s.node}–${m} link` };
      const err = forward(s.node, what);
      if (err) return { ok: false, reason: err };
      segPos.push(nodes.length - 1);
      nodes.push(m);
      links.push(idx);
    } else if (s.behavior === "Service") {
      const svc = topo.services.find((x) => x.name === s.service);
      const inst = svc?.instances.find((i) => i.node === s.node && i.sid === s.sid);
      if (!svc || !inst) return { ok: false, reason: `${what}: not an instance of service ${s.service}` };
      if (!inst.healthy) return { ok: false, reason: `${what}: instance is unhealthy` };
      const err = forward(s.node, what);
      if (err) return { ok: false, reason: err };
      segPos.push(nodes.length - 1);
    } else {
      return { ok: false, reason: `${what}: unknown behaviour` };
    }
  }
  const err = forward(to, "final destination");
  if (err) return { ok: false, reason: err };
  return { ok: true, walk: { nodes, links }, segPos };
}

/**
 * A segment list of at most `maxLen` entries that replays to exactly `walk` and carries `serviceSegs`
 * (in order) as its Service entries, or null. Searches End SIDs of the walk's routers and End.X SIDs of
 * the walk's hops (a SID off the walk can only lead off it). Shortest lists are found first.
 * `accept` vets where in the walk (indices into nodes) the Service entries are served.
 */
export function findSegmentList(
  topo: Topology, igp: IgpView, walk: Walk, serviceSegs: readonly Segment[], maxLen: number,
  accept: (servicePositions: number[]) => boolean = () => true,
): Segment[] | null {
  const routerOf = (n: string) => topo.routers.find((r) => r.name === n)!;
  type Cand = { seg: Segment; target: string; cross?: { idx: number; to: string } };
  const cands: Cand[] = [];
  for (const n of new Set(walk.nodes)) cands.push({ seg: { sid: routerOf(n).sid, node: n, behavior: "End" }, target: n });
  const seenX = new Set<string>();
  walk.links.forEach((idx, i) => {
    const a = walk.nodes[i]!, b = walk.nodes[i + 1]!;
    if (seenX.has(`${a}>${idx}`)) return;
    seenX.add(`${a}>${idx}`);
    cands.push({ seg: { sid: endXSidOf(topo.links[idx]!, a), node: a, behavior: "End.X", link: [a, b] }, target: a, cross: { idx, to: b } });
  });
  const last = walk.nodes.length - 1;
  // Advances from walk position pos along the unique IGP walk to target; the new position, or -1.
  const advance = (pos: number, target: string): number => {
    const ws = igp.walks(walk.nodes[pos]!, target, 2);
    if (ws.length !== 1) return -1;
    const w = ws[0]!;
    if (pos + w.links.length > last) return -1;
    for (let i = 0; i < w.links.length; i++) {
      if (walk.links[pos + i] !== w.links[i] || walk.nodes[pos + i + 1] !== w.nodes[i + 1]) return -1;
    }
    return pos + w.links.length;
  };
  const to = walk.nodes[last]!;
  for (let L = 0; L <= maxLen; L++) {
    const failed = new Set<string>();
    const list: Segment[] = [];
    const served: number[] = [];
    const dfs = (pos: number, svc: number, left: number): boolean => {
      const key = `${pos}/${left}/${served.join(",")}`;
      if (failed.has(key)) return false;
      if (svc === serviceSegs.length && advance(pos, to) === last && accept([...served])) return true;
      if (left > 0) {
        const next = serviceSegs[svc];
        if (next) {
          const p = advance(pos, next.node);
          if (p >= 0) {
            list.push(next);
            served.push(p);
            if (dfs(p, svc + 1, left - 1)) return true;
            list.pop();
            served.pop();
          }
        }
        for (const c of cands) {
          let p = advance(pos, c.target);
          if (p < 0) continue;
          if (c.cross) {
            if (walk.links[p] !== c.cross.idx || walk.nodes[p + 1] !== c.cross.to) continue;
            p += 1;
          }
          if (p === pos) continue; // a segment that moves nothing can be dropped
          list.push(c.seg);
          if (dfs(p, svc, left - 1)) return true;
          list.pop();
        }
      }
      failed.add(key);
      return false;
    };
    if (dfs(0, 0, L)) return list;
  }
  return null;
}

/** The fewest segments that steer exactly along `walk` (with the given Service entries), if at most maxLen. */
export function minimalSegmentCount(
  topo: Topology, igp: IgpView, walk: Walk, serviceSegs: readonly Segment[], maxLen: number,
  accept: (servicePositions: number[]) => boolean = () => true,
): number | null {
  return findSegmentList(topo, igp, walk, serviceSegs, maxLen, accept)?.length ?? null;
}

export function srhBytes(segmentCount: number): number {
  return segmentCount === 0 ? 0 : 8 + 16 * (segmentCount + 1);
}

// ---------------------------------------------------------------------------------------------
// Protection.

/** Whether backup b is disjoint from primary p in the protection's sense (endpoints excepted). */
export function disjoint(topo: Topology, protection: Protection, p: Walk, b: Walk, keepNodes: readonly string[] = []): boolean {
  if (protection === "none") return true;
  const pl = new Set(p.links);
  if (b.links.some((i) => pl.has(i))) return false;
  if (protection === "node") {
    const ends = new Set([p.nodes[0], p.nodes[p.nodes.length - 1], ...keepNodes]);
    const pn = new Set(p.nodes.filter((n) => !ends.has(n)));
    if (b.nodes.some((n) => pn.has(n))) return false;
  }
  if (protection === "srlg") {
    const ps = new Set(p.links.flatMap((i) => topo.links[i]!.srlgs));
    if (b.links.some((i) => topo.links[i]!.srlgs.some((s) => ps.has(s)))) return false;
  }
  return true;
}

/** Bit masks for fast pairwise disjointness over many simple paths (≤ 31 links, nodes and SRLGs). */
export interface Masks {
  links: number;
  interior: number;
  srlgs: number;
}

export function masker(topo: Topology): (w: Walk) => Masks {
  const nodeBit = new Map(topo.routers.map((r, i) => [r.name, 1 << i]));
  const srlgBit = new Map<string, number>();
  for (const l of topo.links) for (const s of l.srlgs) if (!srlgBit.has(s)) srlgBit.set(s, 1 << srlgBit.size);
  if (topo.links.length > 31 || topo.routers.length > 31 || srlgBit.size > 31) throw new Error("masker: topology too large");
  return (w) => {
    let links = 0, interior = 0, srlgs = 0;
    for (const i of w.links) {
      links |= 1 << i;
      for (const s of topo.links[i]!.srlgs) srlgs |= srlgBit.get(s)!;
    }
    for (let i = 1; i < w.nodes.length - 1; i++) interior |= nodeBit.get(w.nodes[i]!)!;
    return { links, interior, srlgs };
  };
}

export function disjointMasks(protection: Protection, p: Masks, b: Masks): boolean {
  if (protection === "none") return true;
  if (p.links & b.links) return false;
  if (protection === "node" && (p.interior & b.interior)) return false;
  if (protection === "srlg" && (p.srlgs & b.srlgs)) return false;
  return true;
}
