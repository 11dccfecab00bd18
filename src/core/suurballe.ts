// Suurballe's algorithm: the pair of link- (or node-) disjoint paths with the least total cost, over
// the allowed links of an undirected graph whose links may cost differently each way. Two Dijkstras over a residual graph. Pure.
import type { Graph } from "./graph.js";
import { IndexHeap } from "./heap.js";

export interface DisjointPair {
  /** Link indices of each path, in travel order. */
  paths: [number[], number[]];
}

interface Arc {
  from: number;
  to: number;
  cost: number;
  /** The link it crosses, or -1 for the inside of a split router. */
  link: number;
}

/** Vertices: router u is 2u (in) and 2u+1 (out); a link is an arc out→in each way it is allowed, at
 *  that direction's cost (`allowed` and `cost` are per arc, graph.ts); in→out costs 0. */
export function suurballe(g: Graph, allowed: Uint8Array, cost: Float64Array, from: number, to: number, nodeDisjoint: boolean): DisjointPair | null {
  const n = g.routers.length;
  const V = 2 * n;
  const arcs: Arc[] = [];
  for (let u = 0; u < n; u++) arcs.push({ from: 2 * u, to: 2 * u + 1, cost: 0, link: -1 });
  g.topology.links.forEach((_, l) => {
    const a = g.linkA[l]!;
    const b = g.linkB[l]!;
    if (allowed[2 * l]) arcs.push({ from: 2 * a + 1, to: 2 * b, cost: cost[2 * l]!, link: l });
    if (allowed[2 * l + 1]) arcs.push({ from: 2 * b + 1, to: 2 * a, cost: cost[2 * l + 1]!, link: l });
  });
  const source = 2 * from + 1;
  const sink = 2 * to;

  const first = dijkstra(V, arcs, source, () => true, (a) => a.cost);
  if (first.dist[sink] === Infinity) return null;
  const p1: Arc[] = [];
  for (let v = sink; v !== source; v = first.via[v]!.from) p1.unshift(first.via[v]!);
  const onP1 = new Set(p1);
  const p1Links = new Set(p1.map((a) => a.link).filter((l) => l >= 0));

  // Residual graph: P1's links in neither direction, each P1 link arc reversed at zero reduced cost.
  // Inside P1's transit routers: reversed too when paths may not share a router, else left as is.
  const reversed = p1.filter((a) => a.link >= 0 || nodeDisjoint).map((a): Reversal => ({ from: a.to, to: a.from, cost: 0, link: a.link, undo: a }));
  const residual: Arc[] = [...arcs.filter((a) => (a.link >= 0 ? !p1Links.has(a.link) : !(nodeDisjoint && onP1.has(a)))), ...reversed];
  const d = first.dist;
  const reduced = (a: Arc) => ("undo" in a ? 0 : a.cost + d[a.from]! - d[a.to]!);
  const second = dijkstra(V, residual, source, (a) => d[a.from]! < Infinity && d[a.to]! < Infinity, reduced);
  if (second.dist[sink] === Infinity) return null;

  // Both paths' arcs (a multiset: routers may be shared), minus each P1 arc the second path undid.
  const used: Arc[] = [...p1];
  for (let v = sink; v !== source; v = second.via[v]!.from) {
    const a = second.via[v]! as Arc & Partial<Reversal>;
    if (a.undo) used.splice(used.indexOf(a.undo), 1);
    else used.push(a);
  }
  const out = new Map<number, Arc[]>();
  for (const a of used) out.set(a.from, [...(out.get(a.from) ?? []), a]);
  const walk = (): number[] => {
    const hops: { node: number; link: number }[] = [];
    for (let v = source; v !== sink; ) {
      const a = out.get(v)!.pop()!;
      if (a.link >= 0) hops.push({ node: a.to >> 1, link: a.link });
      v = a.to;
    }
    return withoutCycles(from, hops);
  };
  return { paths: [walk(), walk()] };
}

interface Reversal extends Arc {
  undo: Arc;
}

/** Zero-cost links can leave a loop in a decomposed path; cutting it keeps the pair disjoint. */
function withoutCycles(from: number, hops: { node: number; link: number }[]): number[] {
  const nodes = [from];
  const links: number[] = [];
  for (const h of hops) {
    const seen = nodes.indexOf(h.node);
    if (seen >= 0) {
      nodes.length = seen + 1;
      links.length = seen;
    } else {
      nodes.push(h.node);
      links.push(h.link);
    }
  }
  return links;
}

function dijkstra(V: number, arcs: Arc[], source: number, usable: (a: Arc) => boolean, weight: (a: Arc) => number): { dist: Float64Array; via: (Arc | undefined)[] } {
  const outs: Arc[][] = Array.from({ length: V }, () => []);
  for (const a of arcs) if (usable(a)) outs[a.from]!.push(a);
  const dist = new Float64Array(V).fill(Infinity);
  const via: (Arc | undefined)[] = new Array(V);
  dist[source] = 0;
  const heap = new IndexHeap(V);
  heap.push(0, source);
  while (heap.size > 0) {
    const key = heap.topKey;
    const u = heap.pop();
    if (key > dist[u]!) continue;
    for (const a of outs[u]!) {
      const nd = key + Math.max(0, weight(a)); // reduced costs are ≥ 0; clamp float noise
      if (nd < dist[a.to]!) {
        dist[a.to] = nd;
        via[a.to] = a;
        heap.push(nd, a.to);
      }
    }
  }
  return { dist, via };
}
