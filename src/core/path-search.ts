// Exact resource-constrained shortest path over a layered graph (router × via stage). Labels are
// Pareto-pruned on (cost, resources) and expanded A*-style with exact lower bounds, so the first
// label to reach the goal is optimal. Pure; no knowledge of intents or SIDs.
import type { Graph } from "./graph.js";
import { IndexHeap } from "./heap.js";

export interface Limit {
  /** Per arc (graph.ts: 2 × link + direction). */
  weight: Float64Array;
  limit: number;
}

export interface SearchSpec {
  graph: Graph;
  from: number;
  to: number;
  /** Per arc: may the path cross the link in that direction. Links of a router the path may not visit must be 0 here too. */
  linkAllowed: Uint8Array;
  /** Per arc: the cost to minimise, and a second cost that breaks ties (lexicographic). */
  cost: Float64Array;
  tie: Float64Array;
  limits: Limit[];
  /** Ordered stops: the candidate routers of each via item; the path visits one of each, in order. */
  stages: Int32Array[];
  /** Labels that cannot finish at or below this cost are dropped (Yen's spurs past a known bound). */
  maxCost?: number;
  /** Where lower bounds come from when the caller caches them; default: computed here. */
  bounds?: (weight: Float64Array) => Float64Array[];
  /** Start somewhere other than (from, stage 0, nothing spent): used to grow a fixed prefix. */
  start?: SearchStart;
}

/** Where a search resumes a path whose prefix is fixed (Yen's spur). */
export interface SearchStart {
  node: number;
  stage: number;
  cost: number;
  tie: number;
  spent: number[];
  /** Routers the prefix already visited in this stage: the leg may not come back to them. */
  visited?: Uint8Array;
  /** First moves other paths with the same prefix took: links, and "serve the stop here". */
  forbid?: { links: Set<number>; advance: boolean };
}

export interface Found {
  nodes: number[];
  links: number[];
  /** The arc of each link, in the direction travelled (graph.ts). */
  arcs: number[];
  /** Where each via stop was served: index into nodes. */
  stops: number[];
  cost: number;
  tie: number;
}

interface Label {
  node: number;
  stage: number;
  cost: number;
  tie: number;
  spent: number[];
  prev: Label | null;
  /** Arc crossed to get here; -1 when this label advanced a stage in place (or is the start). */
  link: number;
  dead: boolean;
}

/** Lower bound of `weight` from (router, stage) to the goal, per stage; Infinity where the goal is unreachable. */
export function lowerBounds(spec: SearchSpec, weight: Float64Array): Float64Array[] {
  const { graph: g, stages } = spec;
  const n = g.routers.length;
  const out: Float64Array[] = new Array(stages.length + 1);
  const seed = new Float64Array(n).fill(Infinity);
  seed[spec.to] = 0;
  for (let k = stages.length; k >= 0; k--) {
    if (k < stages.length) {
      seed.fill(Infinity);
      const next = out[k + 1]!;
      for (const u of stages[k]!) seed[u] = Math.min(seed[u]!, next[u]!);
    }
    out[k] = relax(spec, weight, seed);
  }
  return out;
}

/** Multi-source Dijkstra towards the seeds, over allowed arcs, from the given initial distances: an
 *  edge u→v found from u relaxes v by the weight of the arc v→u (the direction a path travels). */
function relax(spec: SearchSpec, weight: Float64Array, seed: Float64Array): Float64Array {
  const g = spec.graph;
  const dist = Float64Array.from(seed);
  const heap = new IndexHeap(dist.length);
  for (let u = 0; u < dist.length; u++) if (dist[u] !== Infinity) heap.push(dist[u]!, u);
  while (heap.size > 0) {
    const key = heap.topKey;
    const u = heap.pop();
    if (key > dist[u]!) continue;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const arc = g.edgeArc[e]! ^ 1;
      if (!spec.linkAllowed[arc]) continue;
      const v = g.edgeTo[e]!;
      const d = key + weight[arc]!;
      if (d < dist[v]!) {
        dist[v] = d;
        heap.push(d, v);
      }
    }
  }
  return dist;
}

const EPSILON = 1e-9;

/** The most a budget (or cost bound) may reach: its limit plus room for floating-point sums. */
export function cap(limit: number): number {
  return limit * (1 + EPSILON) + EPSILON;
}

export function search(spec: SearchSpec): Found | null {
  if (spec.limits.length === 0 && spec.stages.length === 0) return shortest(spec);
  const { graph: g, stages, limits, cost, tie } = spec;
  const n = g.routers.length;
  const K = stages.length;
  const start: SearchStart = spec.start ?? { node: spec.from, stage: 0, cost: 0, tie: 0, spent: limits.map(() => 0) };
  const { visited, forbid } = start;
  // Bounds: exact remaining cost (guides the search) and remaining resource (prunes labels that cannot finish in budget).
  const needBounds = limits.length > 0 || K > 0;
  const bound = spec.bounds ?? ((w: Float64Array) => lowerBounds(spec, w));
  const costBound = needBounds ? bound(cost) : null;
  const limitBounds = limits.map((l) => bound(l.weight));
  const caps = limits.map((l) => cap(l.limit));
  const maxCost = spec.maxCost === undefined ? Infinity : cap(spec.maxCost);
  const isStop: Uint8Array[] = stages.map((s) => {
    const m = new Uint8Array(n);
    for (const u of s) m[u] = 1;
    return m;
  });
  const frontier: (Label[] | undefined)[] = new Array(n * (K + 1));
  // The heap holds indices into `queued`, so labels live in one array and the heap stays typed.
  const queued: Label[] = [];
  const heap = new IndexHeap(64);

  const offer = (lab: Label): void => {
    const k = lab.stage;
    for (let i = 0; i < limits.length; i++) if (lab.spent[i]! + limitBounds[i]![k]![lab.node]! > caps[i]!) return;
    const h = costBound ? costBound[k]![lab.node]! : 0;
    if (h === Infinity || lab.cost + h > maxCost) return;
    const slot = k * n + lab.node;
    const labels = frontier[slot];
    if (labels) {
      for (const o of labels) if (dominates(o, lab)) return;
      let w = 0;
      for (const o of labels) {
        if (dominates(lab, o)) o.dead = true;
        else labels[w++] = o;
      }
      labels.length = w;
      labels.push(lab);
    } else frontier[slot] = [lab];
    heap.push(lab.cost + h, queued.push(lab) - 1, lab.tie);
  };

  offer({ node: start.node, stage: start.stage, cost: start.cost, tie: start.tie, spent: start.spent, prev: null, link: -1, dead: false });
  while (heap.size > 0) {
    const lab = queued[heap.pop()]!;
    if (lab.dead) continue;
    const u = lab.node;
    const k = lab.stage;
    if (k === K && u === spec.to) return unwind(lab);
    const first = lab.prev === null;
    if (k < K && isStop[k]![u] && !(first && forbid?.advance)) offer({ node: u, stage: k + 1, cost: lab.cost, tie: lab.tie, spent: lab.spent, prev: lab, link: -1, dead: false });
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const arc = g.edgeArc[e]!;
      if (!spec.linkAllowed[arc] || (first && forbid?.links.has(arc >> 1)) || (visited && k === start.stage && visited[g.edgeTo[e]!])) continue;
      const spent = lab.spent.length === 0 ? lab.spent : lab.spent.map((s, i) => s + limits[i]!.weight[arc]!);
      offer({ node: g.edgeTo[e]!, stage: k, cost: lab.cost + cost[arc]!, tie: lab.tie + tie[arc]!, spent, prev: lab, link: arc, dead: false });
    }
  }
  return null;
}

/** Without budgets or stops one label per router is enough: Dijkstra on (cost, tie) in typed arrays. */
function shortest(spec: SearchSpec): Found | null {
  const { graph: g, cost, tie, linkAllowed } = spec;
  const n = g.routers.length;
  const start: Pick<SearchStart, "node" | "cost" | "tie" | "visited" | "forbid"> = spec.start ?? { node: spec.from, cost: 0, tie: 0 };
  const { visited, forbid } = start;
  let first = true;
  const maxCost = spec.maxCost === undefined ? Infinity : cap(spec.maxCost);
  const dist = new Float64Array(n).fill(Infinity);
  const ties = new Float64Array(n).fill(Infinity);
  const via = new Int32Array(n).fill(-1);
  const heap = new IndexHeap(64);
  dist[start.node] = start.cost;
  ties[start.node] = start.tie;
  heap.push(start.cost, start.node, start.tie);
  while (heap.size > 0) {
    const key = heap.topKey;
    const kt = heap.topTie;
    const u = heap.pop();
    if (key > dist[u]! || (key === dist[u] && kt > ties[u]!)) continue;
    if (u === spec.to) {
      const nodes = [u];
      const arcs: number[] = [];
      for (let v = u; v !== start.node; ) {
        const arc = via[v]!;
        arcs.push(arc);
        v = arc & 1 ? g.linkB[arc >> 1]! : g.linkA[arc >> 1]!;
        nodes.push(v);
      }
      arcs.reverse();
      return { nodes: nodes.reverse(), links: arcs.map((a) => a >> 1), arcs, stops: [], cost: key, tie: kt };
    }
    const fromStart = first;
    first = false;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const arc = g.edgeArc[e]!;
      const v = g.edgeTo[e]!;
      if (!linkAllowed[arc] || (fromStart && forbid?.links.has(arc >> 1)) || visited?.[v]) continue;
      const c = key + cost[arc]!;
      const t = kt + tie[arc]!;
      if (c > maxCost) continue;
      if (c < dist[v]! || (c === dist[v] && t < ties[v]!)) {
        dist[v] = c;
        ties[v] = t;
        via[v] = arc;
        heap.push(c, v, t);
      }
    }
  }
  return null;
}

/** a is at least as good as b on every count: b can be dropped. Equal labels: the older one stays. */
function dominates(a: Label, b: Label): boolean {
  if (a.cost > b.cost || (a.cost === b.cost && a.tie > b.tie)) return false;
  for (let i = 0; i < a.spent.length; i++) if (a.spent[i]! > b.spent[i]!) return false;
  return true;
}

function unwind(goal: Label): Found {
  const chain: Label[] = [];
  for (let l: Label | null = goal; l; l = l.prev) chain.push(l);
  chain.reverse();
  const nodes: number[] = [chain[0]!.node];
  const arcs: number[] = [];
  const stops: number[] = [];
  for (let i = 1; i < chain.length; i++) {
    const l = chain[i]!;
    if (l.link < 0) stops.push(nodes.length - 1);
    else {
      arcs.push(l.link);
      nodes.push(l.node);
    }
  }
  return { nodes, links: arcs.map((a) => a >> 1), arcs, stops, cost: goal.cost, tie: goal.tie };
}
