// One path query made ready for search: resolved stops, allowed links, budgets, per-link costs, and
// the solve step every part of the engine shares (optimum over a set of allowed links, as a Path).
// Pure; per-topology caches keep repeated questions cheap.
import type { LinkMetrics, Path, PathMetrics, Router } from "./model.js";
import { ADDITIVE_METRICS, availableBps } from "./model.js";
import type { ConstraintName, PathAnswer, PathQuery } from "./path-query.js";
import { arcMetrics, perArc, type Graph } from "./graph.js";
import { search, lowerBounds, type Found, type Limit, type SearchSpec } from "./path-search.js";
import { segmentList, type ServiceStop } from "./segments.js";
import type { LinkRule, NodeRule } from "./link-rules.js";
import { Lru } from "./lru.js";
import { formatDurationUs, formatPercent } from "./units.js";

interface ArcWeights {
  igp: Float64Array;
  te: Float64Array;
  latency: Float64Array;
  hops: Float64Array;
  jitter: Float64Array;
  /** −ln(1 − loss): additive, and minimising it minimises end-to-end loss. */
  loss: Float64Array;
}

const metricCache = new WeakMap<Graph, ArcWeights>();
function linkMetrics(g: Graph): ArcWeights {
  let m = metricCache.get(g);
  if (!m) {
    const links = g.topology.links;
    const of = (f: (l: LinkMetrics) => number) => perArc(links, f);
    m = { igp: of((l) => l.igp), te: of((l) => l.te), latency: of((l) => l.delayUs), hops: of(() => 1), jitter: of((l) => l.jitterUs), loss: of((l) => -Math.log1p(-l.loss)) };
    metricCache.set(g, m);
  }
  return m;
}

export type Stage =
  | { kind: "waypoint"; name: string; node: number }
  | { kind: "service"; name: string; nodes: Int32Array; sidAt: Map<number, string> };

interface NamedLimit extends Limit {
  name: ConstraintName;
  label: string;
  /** "the lowest-latency path … takes 3ms", given the smallest achievable value. */
  best(value: number): string;
}

/** Everything fixed about one query; `solve` runs it over a given set of allowed links. */
export interface Problem {
  g: Graph;
  query: PathQuery;
  from: number;
  to: number;
  stages: Stage[];
  stageNodes: Int32Array[];
  allowed: Uint8Array;
  limits: NamedLimit[];
  linkRules: LinkRule[];
  nodeRules: NodeRule[];
  /** Per arc (graph.ts). Additive objectives: the cost and tie-break. Bottleneck objectives: the "badness" whose maximum is minimised. */
  cost: Float64Array;
  tie: Float64Array;
  badness: Float64Array | null;
}

export const fail = (reason: string, ...cut: ConstraintName[]): PathAnswer => ({ ok: false, reason, cut });

/** Per-graph caches: a controller asks about the same destinations under the same intents again and again. */
interface Caches {
  /** Allowed-link arrays by rule set. */
  allowed: Lru<string, Uint8Array>;
  /** Lower bounds by (allowed links, weight, destination, via stages). */
  bounds: Lru<string, Float64Array[]>;
  /** Weighted objectives' per-link costs by weights. */
  weighted: Lru<string, Pick<Problem, "cost" | "tie" | "badness">>;
}
const caches = new WeakMap<Graph, Caches>();
function cachesOf(g: Graph): Caches {
  let c = caches.get(g);
  if (!c) caches.set(g, (c = { allowed: new Lru(256), bounds: new Lru(4096), weighted: new Lru(64) }));
  return c;
}
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

/** Which arcs (links, per direction) a path may cross under the rules. Shared and cached: copy before changing it. */
export function allowedLinks(g: Graph, lRules: LinkRule[], nRules: NodeRule[], skip?: LinkRule | NodeRule): Uint8Array {
  const key = [...nRules, ...lRules].filter((r) => r !== skip).map((r) => r.key).join("|");
  return cachesOf(g).allowed.get(key, () => computeAllowedLinks(g, lRules, nRules, skip));
}

function computeAllowedLinks(g: Graph, lRules: LinkRule[], nRules: NodeRule[], skip?: LinkRule | NodeRule): Uint8Array {
  const nodeOk = g.routers.map((r) => nRules.every((x) => x === skip || x.allows(r)));
  const out = new Uint8Array(2 * g.topology.links.length);
  g.topology.links.forEach((l, i) => {
    if (!nodeOk[g.linkA[i]!] || !nodeOk[g.linkB[i]!]) return;
    out[2 * i] = lRules.every((x) => x === skip || x.allows(l, l)) ? 1 : 0;
    out[2 * i + 1] = !l.reverse ? out[2 * i]! : lRules.every((x) => x === skip || x.allows(l, l.reverse!)) ? 1 : 0;
  });
  return out;
}

export function limitsOf(g: Graph, q: PathQuery): NamedLimit[] {
  const m = linkMetrics(g);
  const c = q.constraints;
  const route = `from ${q.from} to ${q.to}`;
  const out: NamedLimit[] = [];
  if (c.maxLatencyUs !== undefined) out.push({ name: "maxLatency", label: `maxLatency ${formatDurationUs(c.maxLatencyUs)}`, weight: m.latency, limit: c.maxLatencyUs, best: (v) => `the lowest-latency path ${route} takes ${formatDurationUs(v)}` });
  if (c.maxJitterUs !== undefined) out.push({ name: "maxJitter", label: `maxJitter ${formatDurationUs(c.maxJitterUs)}`, weight: m.jitter, limit: c.maxJitterUs, best: (v) => `the lowest-jitter path ${route} has ${formatDurationUs(v)} of jitter` });
  if (c.maxLoss !== undefined) out.push({ name: "maxLoss", label: `maxLoss ${formatPercent(c.maxLoss)}`, weight: m.loss, limit: -Math.log1p(-c.maxLoss), best: (v) => `the lowest-loss path ${route} loses ${formatPercent(-Math.expm1(-v))}` });
  if (c.maxHops !== undefined) out.push({ name: "maxHops", label: `maxHops ${c.maxHops}`, weight: m.hops, limit: c.maxHops, best: (v) => `the path ${route} with the fewest hops has ${v}` });
  return out;
}


export function objectiveWeights(g: Graph, q: PathQuery): Pick<Problem, "cost" | "tie" | "badness"> {
  const m = linkMetrics(g);
  switch (q.objective) {
    case "bandwidth":
      return { cost: m.latency, tie: m.igp, badness: perArc(g.topology.links, (l) => -availableBps(l)) };
    case "utilization":
      return { cost: m.latency, tie: m.igp, badness: perArc(g.topology.links, (l) => l.utilization) };
    case "weighted": {
      const key = ADDITIVE_METRICS.map((k) => q.weights?.[k] ?? 0).join(",");
      return cachesOf(g).weighted.get(key, () => weightedCost(g, q));
    }
    case "latency":
      return { cost: m.latency, tie: m.igp, badness: null };
    default:
      return { cost: m[q.objective], tie: latencyThenIgp(g), badness: null };
  }
}

const tieCache = new WeakMap<Graph, Float64Array>();
/** Ties broken by latency, then by IGP metric: among equal paths the IGP's own needs the fewest SIDs.
 *  One number, latency × 2^24 + igp, exact for any path under 2^29 µs (9 minutes) of latency. */
function latencyThenIgp(g: Graph): Float64Array {
  let t = tieCache.get(g);
  if (!t) tieCache.set(g, (t = perArc(g.topology.links, (l) => l.delayUs * 2 ** 24 + l.igp)));
  return t;
}

function weightedCost(g: Graph, q: PathQuery): Pick<Problem, "cost" | "tie" | "badness"> {
  const m = linkMetrics(g);
  const cost = new Float64Array(2 * g.topology.links.length);
  for (const [metric, w] of Object.entries(q.weights ?? {})) {
    const arr = m[metric as keyof ArcWeights];
    if (w) for (let i = 0; i < cost.length; i++) cost[i] = cost[i]! + w * arr[i]!;
  }
  return { cost, tie: latencyThenIgp(g), badness: null };
}

export function spec(p: Problem, allowed: Uint8Array, start?: SearchSpec["start"]): SearchSpec {
  const s: SearchSpec = { graph: p.g, from: p.from, to: p.to, linkAllowed: allowed, cost: p.cost, tie: p.tie, limits: p.limits, stages: p.stageNodes, ...(start ? { start } : {}) };
  // Bounds depend only on (allowed, weight, destination, stages): cache them for the shared allowed
  // arrays; per-call arrays (Yen's spurs, backups) would only churn the cache.
  if (allowed === p.allowed) {
    const stages = p.stageNodes.map((x) => x.join(".")).join("/");
    const cache = cachesOf(p.g).bounds;
    s.bounds = (w) => cache.get(`${idOf(allowed)}|${idOf(w)}|${p.to}|${stages}`, () => lowerBounds(s, w));
  }
  return s;
}

/** The optimum over `allowed` links. Bottleneck objectives: the lowest "badness" level at which a
 *  feasible path exists (binary search over the distinct levels), then the lowest latency at that level. */
export function solve(p: Problem, allowed: Uint8Array): Found | null {
  if (!p.badness) return search(spec(p, allowed));
  const levels = levelsOf(p, allowed);
  const at = (level: number) => search(spec(p, atLevel(p, allowed, level)));
  if (levels.length === 0) return search(spec(p, allowed)); // a path without links, or none
  let best = at(levels[levels.length - 1]!);
  if (!best) return null;
  let lo = 0;
  let hi = levels.length - 1; // levels[hi] is feasible
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const f = at(levels[mid]!);
    if (f) { best = f; hi = mid; } else lo = mid + 1;
  }
  return best; // = at(levels[hi])
}

/** The distinct badness values of the allowed arcs, best first: the levels a bottleneck can take. */
export function levelsOf(p: Problem, allowed: Uint8Array): number[] {
  const bad = p.badness!;
  return [...new Set(Array.from(bad).filter((_, i) => allowed[i]))].sort((a, b) => a - b);
}

/** The allowed arcs whose badness is at most `level`. */
export function atLevel(p: Problem, allowed: Uint8Array, level: number): Uint8Array {
  const out = new Uint8Array(allowed.length);
  for (let i = 0; i < allowed.length; i++) out[i] = allowed[i] && p.badness![i]! <= level ? 1 : 0;
  return out;
}

export function worstOf(p: Problem, f: Found): number {
  return f.arcs.reduce((w, a) => Math.max(w, p.badness![a]!), -Infinity);
}

export function toPath(p: Problem, f: Found): Path {
  const g = p.g;
  const links = f.links.map((i) => g.topology.links[i]!);
  const services: ServiceStop[] = [];
  f.stops.forEach((position, k) => {
    const s = p.stages[k]!;
    if (s.kind === "service") services.push({ position, sid: s.sidAt.get(f.nodes[position]!)!, service: s.name });
  });
  const segments = segmentList(g, f.nodes, f.links, services);
  return {
    nodes: f.nodes.map((u) => g.routers[u]!.name),
    links: links.map((l) => l.id),
    metrics: metricsOf(f.arcs.map((a) => arcMetrics(g.topology.links, a))),
    segments,
    srhBytes: segments.length === 0 ? 0 : 8 + 16 * (segments.length + 1),
  };
}

/** A path's metrics from the metrics of its links in the direction travelled. */
export function metricsOf(links: LinkMetrics[]): PathMetrics {
  let latencyUs = 0, igp = 0, te = 0, jitterUs = 0, keep = 1, bottleneckBps = Infinity, maxUtilization = 0;
  for (const l of links) {
    latencyUs += l.delayUs;
    igp += l.igp;
    te += l.te;
    jitterUs += l.jitterUs;
    keep *= 1 - l.loss;
    bottleneckBps = Math.min(bottleneckBps, availableBps(l));
    maxUtilization = Math.max(maxUtilization, l.utilization);
  }
  return { latencyUs, igp, te, hops: links.length, jitterUs, loss: 1 - keep, bottleneckBps, maxUtilization };
}

/** SRH entries the head-end writes: the segments plus the final destination; 0 without an SRH. */
export function sidDepth(path: Path): number {
  return path.segments.length === 0 ? 0 : path.segments.length + 1;
}

/** The query's msd and, when the router itself pushes the SRH, the router's own. */
export function effectiveMsd(p: Problem): number | undefined {
  const own: Router = p.g.routers[p.from]!;
  const all = [p.query.msd, p.query.headEnd === "host" ? undefined : own.msd].filter((x): x is number => x !== undefined);
  return all.length > 0 ? Math.min(...all) : undefined;
}
