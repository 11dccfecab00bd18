// An indexed, read-only view of a topology's routers and links for the path engine, and the
// IGP shortest-path facts the SID encoder needs. Built once per topology object and cached. Pure.
import type { Link, LinkMetrics, Router, Topology } from "./model.js";
import { directionMetrics } from "./model.js";
import { IndexHeap } from "./heap.js";

export interface IgpTree {
  /** IGP distance from the tree's source to each router index (Infinity when unreachable). */
  dist: Float64Array;
  /** Number of equal-cost shortest paths, capped at 2 (we only need "unique or not"). */
  count: Uint8Array;
}

export interface Graph {
  topology: Topology;
  routers: Router[];
  index: Map<string, number>;
  /** CSR adjacency: the edges of router u are edgeTo/edgeLink[edgeStart[u] .. edgeStart[u+1]). */
  edgeStart: Int32Array;
  edgeTo: Int32Array;
  edgeLink: Int32Array;
  /** The arc each edge travels: 2 × link + 0 from the link's a to its b, + 1 from b to a. Per-arc
   *  arrays (costs, budgets, what is allowed) are indexed by it; the reverse arc is arc ^ 1. */
  edgeArc: Int32Array;
  /** Endpoints of topology.links[i] as router indices. */
  linkA: Int32Array;
  linkB: Int32Array;
  /** Each arc's IGP metric (the direction's own). */
  arcIgp: Float64Array;
  /** IGP shortest-path tree from router u, computed on first use. */
  igpTree(u: number): IgpTree;
}

const graphs = new WeakMap<Topology, Graph>();

/** The graph of `topology`; the topology must not be mutated afterwards (the graph is cached on it). */
export function graphOf(topology: Topology): Graph {
  let g = graphs.get(topology);
  if (!g) graphs.set(topology, (g = buildGraph(topology)));
  return g;
}

function buildGraph(topology: Topology): Graph {
  const routers = topology.routers;
  const n = routers.length;
  const index = new Map(routers.map((r, i) => [r.name, i]));
  const links = topology.links;
  const linkA = new Int32Array(links.length);
  const linkB = new Int32Array(links.length);
  const degree = new Int32Array(n + 1);
  links.forEach((l, i) => {
    const a = index.get(l.a);
    const b = index.get(l.b);
    if (a === undefined || b === undefined) throw new Error(`link ${l.id} names an unknown router (should have been validated)`);
    linkA[i] = a;
    linkB[i] = b;
    degree[a]!++;
    degree[b]!++;
  });
  const edgeStart = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) edgeStart[u + 1] = edgeStart[u]! + degree[u]!;
  const fill = edgeStart.slice(0, n);
  const edgeTo = new Int32Array(2 * links.length);
  const edgeLink = new Int32Array(2 * links.length);
  const edgeArc = new Int32Array(2 * links.length);
  for (let i = 0; i < links.length; i++) {
    const a = linkA[i]!;
    const b = linkB[i]!;
    edgeTo[fill[a]!] = b;
    edgeArc[fill[a]!] = 2 * i;
    edgeLink[fill[a]!++] = i;
    edgeTo[fill[b]!] = a;
    edgeArc[fill[b]!] = 2 * i + 1;
    edgeLink[fill[b]!++] = i;
  }
  const arcIgp = perArc(links, (m) => m.igp);
  const trees = new Map<number, IgpTree>();
  const g: Graph = {
    topology, routers, index, edgeStart, edgeTo, edgeLink, edgeArc, linkA, linkB, arcIgp,
    igpTree(u) {
      let t = trees.get(u);
      if (!t) trees.set(u, (t = computeIgpTree(g, u)));
      return t;
    },
  };
  return g;
}

/** IGP shortest-path distances and ECMP multiplicity from `source`, as IS-IS would compute them. */
function computeIgpTree(g: Graph, source: number): IgpTree {
  const n = g.routers.length;
  const dist = new Float64Array(n).fill(Infinity);
  const count = new Uint8Array(n);
  const done = new Uint8Array(n);
  dist[source] = 0;
  count[source] = 1;
  const heap = new IndexHeap(n);
  heap.push(0, source);
  while (heap.size > 0) {
    const key = heap.topKey;
    const u = heap.pop();
    if (done[u] || key > dist[u]!) continue;
    done[u] = 1;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const v = g.edgeTo[e]!;
      const d = key + g.arcIgp[g.edgeArc[e]!]!;
      if (d < dist[v]!) {
        dist[v] = d;
        count[v] = count[u]!;
        heap.push(d, v);
      } else if (d === dist[v]) {
        count[v] = Math.min(2, count[v]! + count[u]!);
      }
    }
  }
  return { dist, count };
}

/** The arc of link `l` leaving router index `from` (one of its ends). */
export function arcFrom(g: Graph, l: number, from: number): number {
  return 2 * l + (g.linkA[l] === from ? 0 : 1);
}

/** The router index an arc leads to. */
export function arcHead(g: Graph, arc: number): number {
  return arc & 1 ? g.linkA[arc >> 1]! : g.linkB[arc >> 1]!;
}

/** The metrics of an arc. */
export function arcMetrics(links: Link[], arc: number): LinkMetrics {
  return directionMetrics(links[arc >> 1]!, (arc & 1) as 0 | 1);
}

/** One number per arc (a loop: Float64Array.from with a mapping function is many times slower in V8). */
export function perArc(links: Link[], f: (m: LinkMetrics, l: Link) => number): Float64Array {
  const out = new Float64Array(2 * links.length);
  for (let i = 0; i < links.length; i++) {
    const l = links[i]!;
    out[2 * i] = f(l, l);
    out[2 * i + 1] = f(l.reverse ?? l, l);
  }
  return out;
}
