// The path engine: topology + query in, the optimal path (and a disjoint backup) or a precise reason
// out. Pure; never throws on infeasibility. See DESIGN.md and README "Path engine" for the semantics.
import type { Intent, Link, Objective, Path, PathMetrics, PathResult, Router, Topology } from "./model.js";
import { ADDITIVE_METRICS, HOST_DATAPATH_MSD, availableBps } from "./model.js";
import type { ConstraintName, PathAnswer, PathQuery } from "./path-query.js";
import { graphOf, type Graph } from "./graph.js";
import { parsePrefix, prefixContains } from "./ipv6.js";
import { search, lowerBounds, type Found, type Limit, type SearchSpec } from "./path-search.js";
import { segmentList, type ServiceStop } from "./segments.js";
import { linkRules, nodeRules, type LinkRule, type NodeRule } from "./link-rules.js";
import { disjointPairExists } from "./disjoint.js";
import { Lru } from "./lru.js";
import { suurballe } from "./suurballe.js";
import { formatDurationUs, formatRateBps } from "./units.js";

/** How many primaries, best first, the pair search tries before giving up on a disjoint pair. */
export const PAIR_SEARCH_CANDIDATES = 64;

interface LinkMetrics {
  igp: Float64Array;
  te: Float64Array;
  latency: Float64Array;
  hops: Float64Array;
  jitter: Float64Array;
  /** −ln(1 − loss): additive, and minimising it minimises end-to-end loss. */
  loss: Float64Array;
}

const metricCache = new WeakMap<Graph, LinkMetrics>();
function linkMetrics(g: Graph): LinkMetrics {
  let m = metricCache.get(g);
  if (!m) {
    const links = g.topology.links;
    const of = (f: (l: Link) => number) => Float64Array.from(links, f);
    m = { igp: of((l) => l.igp), te: of((l) => l.te), latency: of((l) => l.delayUs), hops: of(() => 1), jitter: of((l) => l.jitterUs), loss: of((l) => -Math.log1p(-l.loss)) };
    metricCache.set(g, m);
  }
  return m;
}

type Stage =
  | { kind: "waypoint"; name: string; node: number }
  | { kind: "service"; name: string; nodes: Int32Array; sidAt: Map<number, string> };

interface NamedLimit extends Limit {
  name: ConstraintName;
  label: string;
  /** "the lowest-latency path … takes 3ms", given the smallest achievable value. */
  best(value: number): string;
}

/** Everything fixed about one query; `solve` runs it over a given set of allowed links. */
interface Problem {
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
  /** Additive objectives: the cost and tie-break per link. Bottleneck objectives: the "badness" whose maximum is minimised. */
  cost: Float64Array;
  tie: Float64Array;
  badness: Float64Array | null;
}

const fail = (reason: string, ...cut: ConstraintName[]): PathAnswer => ({ ok: false, reason, cut });

export function findPath(topology: Topology, query: PathQuery): PathAnswer {
  const g = graphOf(topology);
  const from = g.index.get(query.from);
  const to = g.index.get(query.to);
  if (from === undefined) return fail(`unknown router ${query.from}`, "topology");
  if (to === undefined) return fail(`unknown router ${query.to}`, "topology");

  const stages: Stage[] = [];
  for (const name of query.via) {
    const node = g.index.get(name);
    if (node !== undefined) { stages.push({ kind: "waypoint", name, node }); continue; }
    const service = topology.services.find((s) => s.name === name);
    if (!service) return fail(`via: ${name} is neither a router nor a service function of the topology`, "via");
    const healthy = service.instances.filter((i) => i.healthy && g.index.has(i.node));
    if (healthy.length === 0) return fail(`via: service ${name} has no healthy instance`, "via");
    const sidAt = new Map<number, string>();
    for (const i of healthy) if (!sidAt.has(g.index.get(i.node)!)) sidAt.set(g.index.get(i.node)!, i.sid);
    stages.push({ kind: "service", name, nodes: Int32Array.from(sidAt.keys()), sidAt });
  }

  const c = query.constraints;
  const nRules = nodeRules(c);
  for (const [role, r] of [["source", from], ["destination", to]] as const) {
    const rule = nRules.find((x) => !x.allows(g.routers[r]!));
    if (rule) return fail(`the ${role} router ${g.routers[r]!.name} is excluded by ${rule.label}`, rule.name);
  }
  for (const s of stages) {
    const rule = s.kind === "waypoint" ? nRules.find((x) => !x.allows(g.routers[s.node]!)) : undefined;
    if (rule) return fail(`via: waypoint ${s.name} is excluded by ${rule.label}`, "via", rule.name);
  }
  const lRules = linkRules(c);
  const problem: Problem = {
    g, query, from, to, stages,
    stageNodes: stages.map((s) => (s.kind === "waypoint" ? Int32Array.of(s.node) : s.nodes)),
    allowed: allowedLinks(g, lRules, nRules),
    limits: limitsOf(g, query),
    linkRules: lRules,
    nodeRules: nRules,
    ...objectiveWeights(g, query),
  };

  const primary = solve(problem, problem.allowed);
  if (!primary) return explain(problem);
  const primaryPath = toPath(problem, primary);
  const msd = effectiveMsd(problem);
  if (msd !== undefined && sidDepth(primaryPath) > msd) {
    return fail(`the best path ${primaryPath.nodes.join(">")} needs ${sidDepth(primaryPath)} SIDs (${primaryPath.segments.length} segments + the destination), more than msd ${msd}`, "msd");
  }
  if (query.protection === "none") return { ok: true, primary: primaryPath, backup: null, notes: [] };
  return protect(problem, primary, primaryPath, msd);
}

/** The intent's path from `fromHost`'s gateway router to the destination's router; the host's
 *  datapath is the head-end, so its SRH capacity bounds the msd. */
export function computePath(topology: Topology, intent: Intent, fromHost: string): PathResult {
  const host = topology.hosts.find((h) => h.name === fromHost);
  if (!host) return { ok: false, reason: `unknown source host ${fromHost}` };
  const dest = destinationRouter(topology, intent);
  if (!dest.ok) return dest;
  const r = findPath(topology, {
    from: host.router,
    to: dest.router,
    objective: intent.objective,
    ...(intent.weights ? { weights: intent.weights } : {}),
    constraints: intent.constraints,
    via: intent.via,
    protection: intent.protection,
    msd: Math.min(intent.msd ?? HOST_DATAPATH_MSD, HOST_DATAPATH_MSD),
  });
  return r.ok ? { ok: true, path: r.primary, backup: r.backup, notes: r.notes } : { ok: false, reason: r.reason };
}

/** Where traffic for the intent leaves the SRv6 network: the router behind which the destination sits. */
export function destinationRouter(topology: Topology, intent: Intent): { ok: true; router: string } | { ok: false; reason: string } {
  const to = intent.match.to;
  if ("host" in to) {
    const h = topology.hosts.find((x) => x.name === to.host);
    return h ? { ok: true, router: h.router } : { ok: false, reason: `unknown destination host ${to.host}` };
  }
  const p = parsePrefix(to.prefix);
  if (!p) return { ok: false, reason: `bad destination prefix ${to.prefix}` };
  const owners = new Set<string>();
  for (const h of topology.hosts) {
    const a = parsePrefix(`${h.address}/128`)!;
    const subnet = parsePrefix(`${h.address}/${h.prefixLen}`)!;
    if (prefixContains(p, a.bytes) || (subnet.len <= p.len && prefixContains(subnet, p.bytes))) owners.add(h.router);
  }
  for (const r of topology.routers) {
    const loc = parsePrefix(r.locator)!;
    if (prefixContains(p, loc.bytes) || prefixContains(loc, p.bytes)) owners.add(r.name);
  }
  if (owners.size === 0) return { ok: false, reason: `no router of the topology reaches ${to.prefix}` };
  if (owners.size > 1) return { ok: false, reason: `${to.prefix} sits behind several routers (${[...owners].sort().join(", ")}); use a narrower prefix` };
  return { ok: true, router: [...owners][0]! };
}

// ---------------------------------------------------------------------------------------------

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

/** Which links a path may cross under the rules. Shared and cached: copy before changing it. */
function allowedLinks(g: Graph, lRules: LinkRule[], nRules: NodeRule[], skip?: LinkRule | NodeRule): Uint8Array {
  const key = [...nRules, ...lRules].filter((r) => r !== skip).map((r) => r.key).join("|");
  return cachesOf(g).allowed.get(key, () => computeAllowedLinks(g, lRules, nRules, skip));
}

function computeAllowedLinks(g: Graph, lRules: LinkRule[], nRules: NodeRule[], skip?: LinkRule | NodeRule): Uint8Array {
  const nodeOk = g.routers.map((r) => nRules.every((x) => x === skip || x.allows(r)));
  return Uint8Array.from(g.topology.links, (l, i) => (nodeOk[g.linkA[i]!] && nodeOk[g.linkB[i]!] && lRules.every((x) => x === skip || x.allows(l)) ? 1 : 0));
}

function limitsOf(g: Graph, q: PathQuery): NamedLimit[] {
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

export function formatPercent(ratio: number): string {
  return `${+(ratio * 100).toPrecision(4)}%`;
}

function objectiveWeights(g: Graph, q: PathQuery): Pick<Problem, "cost" | "tie" | "badness"> {
  const m = linkMetrics(g);
  switch (q.objective) {
    case "bandwidth":
      return { cost: m.latency, tie: m.igp, badness: Float64Array.from(g.topology.links, (l) => -availableBps(l)) };
    case "utilization":
      return { cost: m.latency, tie: m.igp, badness: Float64Array.from(g.topology.links, (l) => l.utilization) };
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
  if (!t) tieCache.set(g, (t = Float64Array.from(g.topology.links, (l) => l.delayUs * 2 ** 24 + l.igp)));
  return t;
}

function weightedCost(g: Graph, q: PathQuery): Pick<Problem, "cost" | "tie" | "badness"> {
  const m = linkMetrics(g);
  const cost = new Float64Array(g.topology.links.length);
  for (const [metric, w] of Object.entries(q.weights ?? {})) {
    const arr = m[metric as keyof LinkMetrics];
    if (w) for (let i = 0; i < cost.length; i++) cost[i] = cost[i]! + w * arr[i]!;
  }
  return { cost, tie: latencyThenIgp(g), badness: null };
}

function spec(p: Problem, allowed: Uint8Array, start?: SearchSpec["start"]): SearchSpec {
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
function solve(p: Problem, allowed: Uint8Array): Found | null {
  if (!p.badness) return search(spec(p, allowed));
  const bad = p.badness;
  const levels = [...new Set(Array.from(bad).filter((_, i) => allowed[i]))].sort((a, b) => a - b);
  const at = (level: number) => search(spec(p, Uint8Array.from(allowed, (ok, i) => (ok && bad[i]! <= level ? 1 : 0))));
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

function worstOf(p: Problem, f: Found): number {
  return f.links.reduce((w, l) => Math.max(w, p.badness![l]!), -Infinity);
}

function toPath(p: Problem, f: Found): Path {
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
    metrics: metricsOf(links),
    segments,
    srhBytes: segments.length === 0 ? 0 : 8 + 16 * (segments.length + 1),
  };
}

export function metricsOf(links: Link[]): PathMetrics {
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

function effectiveMsd(p: Problem): number | undefined {
  const own: Router = p.g.routers[p.from]!;
  const all = [p.query.msd, own.msd].filter((x): x is number => x !== undefined);
  return all.length > 0 ? Math.min(...all) : undefined;
}

// ------------------------------------------------------------------------------ infeasibility

function reachable(p: Problem, allowed: Uint8Array): boolean {
  const ones = new Float64Array(p.g.topology.links.length).fill(1);
  return lowerBounds(spec(p, allowed), ones)[0]![p.from]! < Infinity;
}

function explain(p: Problem): PathAnswer {
  const route = `from ${p.query.from} to ${p.query.to}`;
  const all = new Uint8Array(p.g.topology.links.length).fill(1);
  if (!reachable(p, all)) {
    if (p.stages.length > 0 && reachable({ ...p, stageNodes: [] }, all)) return fail(`no path ${route} passes through via [${p.query.via.join(", ")}] in the topology`, "via");
    return fail(`no path ${route} in the topology`, "topology");
  }
  const rules: (LinkRule | NodeRule)[] = [...p.nodeRules, ...p.linkRules];
  if (!reachable(p, p.allowed)) {
    const through = p.stages.length > 0 ? ` through via [${p.query.via.join(", ")}]` : "";
    const only = (r: LinkRule | NodeRule) => allowedLinks(p.g, p.linkRules.filter((x) => x === r), p.nodeRules.filter((x) => x === r));
    const alone = rules.filter((r) => !reachable(p, only(r)));
    if (alone.length > 0) return fail(alone.map((r) => `${r.label} cuts every path ${route}${through}`).join("; "), ...alone.map((r) => r.name));
    const needed = rules.filter((r) => reachable(p, allowedLinks(p.g, p.linkRules, p.nodeRules, r)));
    const blame = needed.length > 0 ? needed : rules;
    return fail(`${andList(blame.map((r) => r.label))} together cut every path ${route}${through}`, ...blame.map((r) => r.name));
  }
  const s = spec(p, p.allowed);
  const bests = p.limits.map((l) => ({ l, best: lowerBounds(s, l.weight)[0]![p.from]! }));
  const single = bests.filter(({ l, best }) => best > l.limit * (1 + 1e-9) + 1e-9);
  const others = rules.length > 0 ? " that meets the other constraints" : "";
  if (single.length > 0) {
    return fail(single.map(({ l, best }) => `${l.label} cannot be met: ${l.best(best).replace(route, route + others)}`).join("; "), ...single.map(({ l }) => l.name));
  }
  return fail(`${andList(p.limits.map((l) => l.label))} cannot all be met by one path ${route}${others} (each alone can: ${bests.map(({ l, best }) => l.best(best)).join("; ")})`, ...p.limits.map((l) => l.name));
}

function andList(xs: string[]): string {
  return xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}

// ------------------------------------------------------------------------------ protection

/** Links a backup may not share with `primary`, in the protection's sense. */
function disjointFrom(p: Problem, f: Found, allowed: Uint8Array): Uint8Array {
  const g = p.g;
  const out = Uint8Array.from(allowed);
  for (const l of f.links) out[l] = 0;
  const kind = p.query.protection;
  if (kind === "node") {
    const keep = new Set([p.from, p.to, ...p.stages.flatMap((s) => (s.kind === "waypoint" ? [s.node] : []))]);
    for (const u of f.nodes) {
      if (keep.has(u)) continue;
      for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) out[g.edgeLink[e]!] = 0;
    }
  } else if (kind === "srlg") {
    const risks = new Set(f.links.flatMap((l) => g.topology.links[l]!.srlgs));
    g.topology.links.forEach((l, i) => { if (l.srlgs.some((s) => risks.has(s))) out[i] = 0; });
  }
  return out;
}

function describe(p: Problem, path: Path): string {
  const m = path.metrics;
  switch (p.query.objective) {
    case "bandwidth": return `bottleneck ${formatRateBps(m.bottleneckBps)}, latency ${formatDurationUs(m.latencyUs)}`;
    case "utilization": return `max utilization ${formatPercent(m.maxUtilization)}, latency ${formatDurationUs(m.latencyUs)}`;
    case "latency": return `latency ${formatDurationUs(m.latencyUs)}`;
    case "jitter": return `jitter ${formatDurationUs(m.jitterUs)}`;
    case "loss": return `loss ${formatPercent(m.loss)}`;
    case "weighted": return `weighted cost ${+path.links.reduce((s, id) => s + p.cost[p.g.topology.links.findIndex((l) => l.id === id)]!, 0).toPrecision(6)}`;
    default: return `${p.query.objective} ${m[p.query.objective as "igp" | "te" | "hops"]}`;
  }
}

function protect(p: Problem, primary: Found, primaryPath: Path, msd: number | undefined): PathAnswer {
  const kind = p.query.protection;
  const fits = (path: Path) => msd === undefined || sidDepth(path) <= msd;
  if (p.from === p.to) return { ok: true, primary: primaryPath, backup: null, notes: ["source and destination share a router: there is nothing to protect"] };
  const backup = solve(p, disjointFrom(p, primary, p.allowed));
  if (backup) {
    const backupPath = toPath(p, backup);
    if (fits(backupPath)) return { ok: true, primary: primaryPath, backup: backupPath, notes: [] };
  }
  const none = (why: string): PathAnswer => ({ ok: true, primary: primaryPath, backup: null, notes: [why] });
  const route = `from ${p.query.from} to ${p.query.to}`;
  if (kind !== "srlg" && p.stages.length === 0 && !disjointPairExists(p.g, p.allowed, primary.nodes, primary.links, kind === "node")) {
    return none(`no ${kind}-disjoint pair of paths ${route} exists under the constraints: no backup`);
  }
  if (p.stages.length > 0) return none(`the best path has no ${kind}-disjoint backup; pair search is not done for via paths`);
  const pair = pairSearch(p, fits, pairBound(p));
  const also = msd !== undefined ? ` and msd ${msd}` : "";
  if (pair === "exhausted") return none(`no path ${route} that meets the constraints${also} has a ${kind}-disjoint backup that meets them too: no backup`);
  if (pair === "gave up") return none(`the ${PAIR_SEARCH_CANDIDATES} best primaries have no ${kind}-disjoint backup that meets the constraints${also}; gave up: no backup`);
  const notes = [pair.rank === 0 ? "" : sameValue(p, pair.primary, primaryPath)
    ? `the best path has no ${kind}-disjoint backup; an equally good primary has one`
    : `trade-off: the best path (${describe(p, primaryPath)}) has no ${kind}-disjoint backup; this primary (${describe(p, pair.primary)}) is the best one that has`,
    pair.unproven ? `the pair search stopped after ${PAIR_SEARCH_CANDIDATES} primaries; this primary comes from the least-cost disjoint pair (Suurballe), a better one may exist` : ""].filter(Boolean);
  return { ok: true, primary: pair.primary, backup: pair.backup, notes };
}

function sameValue(p: Problem, a: Path, b: Path): boolean {
  return describe(p, a) === describe(p, b);
}

/** The better path of the least-total-cost link/node-disjoint pair (Suurballe), if it meets the path
 *  budgets: no primary worse than it needs to be tried. Additive objectives without via only. */
function pairBound(p: Problem): Found | null {
  const kind = p.query.protection;
  if (kind === "srlg" || kind === "none" || p.badness || p.stages.length > 0) return null;
  const pair = suurballe(p.g, p.allowed, p.cost, p.from, p.to, kind === "node");
  if (!pair) return null;
  const [a, b] = pair.paths.map((links) => foundOf(p, links)) as [Found, Found];
  const best = a.cost < b.cost || (a.cost === b.cost && a.tie <= b.tie) ? a : b;
  const within = p.limits.every((l) => best.links.reduce((s, x) => s + l.weight[x]!, 0) <= l.limit * (1 + 1e-9) + 1e-9);
  return within ? best : null;
}

function foundOf(p: Problem, links: number[]): Found {
  const nodes = [p.from];
  for (const l of links) nodes.push(p.g.linkA[l] === nodes[nodes.length - 1] ? p.g.linkB[l]! : p.g.linkA[l]!);
  return { nodes, links, stops: [], cost: links.reduce((s, l) => s + p.cost[l]!, 0), tie: links.reduce((s, l) => s + p.tie[l]!, 0) };
}

/** Primaries in order of the objective (Yen's k-shortest loopless paths, each spur exact under the
 *  constraints), stopping at the first with a disjoint backup. With a bound (a primary known to have
 *  a disjoint partner), enumeration stops there. Bottleneck objectives walk the levels from the best
 *  down. Only for queries without via. */
function pairSearch(p: Problem, fits: (path: Path) => boolean, bound: Found | null): { primary: Path; backup: Path; rank: number; unproven: boolean } | "exhausted" | "gave up" {
  const levels = p.badness ? [...new Set(Array.from(p.badness).filter((_, i) => p.allowed[i]))].sort((a, b) => a - b) : [Infinity];
  const withBackup = (cand: Found): { primary: Path; backup: Path } | null => {
    const b = solve(p, disjointFrom(p, cand, p.allowed));
    if (!b) return null;
    const path = toPath(p, cand);
    const backup = toPath(p, b);
    return fits(path) && fits(backup) ? { primary: path, backup } : null;
  };
  let rank = 0;
  let tried = 0;
  for (const level of levels) {
    const allowed = p.badness ? Uint8Array.from(p.allowed, (ok, i) => (ok && p.badness![i]! <= level ? 1 : 0)) : p.allowed;
    for (const cand of yen(p, allowed, bound?.cost)) {
      if (bound && (cand.cost > bound.cost || (cand.cost === bound.cost && cand.tie >= bound.tie))) {
        const r = withBackup(bound);
        if (r) return { ...r, rank: Math.max(rank, 1), unproven: false };
        bound = null;
      }
      if (tried++ >= PAIR_SEARCH_CANDIDATES) {
        const r = bound ? withBackup(bound) : null;
        return r ? { ...r, rank: Math.max(rank, 1), unproven: true } : "gave up";
      }
      if (p.badness && worstOf(p, cand) !== level) continue; // seen at a better level already
      const r = withBackup(cand);
      if (r) return { ...r, rank, unproven: false };
      rank++;
    }
  }
  if (bound) {
    const r = withBackup(bound);
    if (r) return { ...r, rank: Math.max(rank, 1), unproven: false };
  }
  return "exhausted";
}

function* yen(p: Problem, allowed: Uint8Array, maxCost?: number): Generator<Found> {
  const g = p.g;
  const capped = (sp: SearchSpec): SearchSpec => (maxCost === undefined ? sp : { ...sp, maxCost });
  const first = search(capped(spec(p, allowed)));
  if (!first) return;
  const accepted: Found[] = [first];
  const seen = new Set([first.links.join(",")]);
  const candidates: Found[] = [];
  yield first;
  for (;;) {
    const last = accepted[accepted.length - 1]!;
    const banned = new Uint8Array(allowed.length);
    for (let i = 0; i < last.nodes.length - 1; i++) {
      // Spur at position i: the root (last's first i links) is fixed; its routers and the next link
      // of every accepted path with the same root are off limits.
      banned.set(allowed);
      for (let r = 0; r < i; r++) {
        const u = last.nodes[r]!;
        for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) banned[g.edgeLink[e]!] = 0;
      }
      for (const a of accepted) if (a.links.length > i && sameRoot(a.links, last.links, i)) banned[a.links[i]!] = 0;
      let cost = 0, tie = 0;
      const spent = p.limits.map(() => 0);
      for (let r = 0; r < i; r++) {
        const x = last.links[r]!;
        cost += p.cost[x]!;
        tie += p.tie[x]!;
        p.limits.forEach((l, k) => { spent[k] = spent[k]! + l.weight[x]!; });
      }
      const spur = search(capped(spec(p, banned, { node: last.nodes[i]!, stage: 0, cost, tie, spent })));
      if (!spur) continue;
      const full: Found = { nodes: [...last.nodes.slice(0, i), ...spur.nodes], links: [...last.links.slice(0, i), ...spur.links], stops: [], cost: spur.cost, tie: spur.tie };
      const key = full.links.join(",");
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push(full);
    }
    if (candidates.length === 0) return;
    candidates.sort((a, b) => a.cost - b.cost || a.tie - b.tie);
    const next = candidates.shift()!;
    accepted.push(next);
    yield next;
  }
}

function sameRoot(a: number[], b: number[], length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type { Objective };
