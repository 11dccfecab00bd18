// Baselines the benchmarks measure Cairn's engine against, in the same run.
import { MultiUndirectedGraph } from "graphology";
import { bidirectional } from "graphology-shortest-path/dijkstra.js";
import type { Link, Topology } from "../src/core/model.js";

/** A maintained graph library's view of the topology: one undirected edge per link (parallel links included). */
export function graphologyOf(t: Topology): MultiUndirectedGraph {
  const g = new MultiUndirectedGraph(); // parallel links are edges of their own
  for (const r of t.routers) g.addNode(r.name);
  for (const l of t.links) g.addEdgeWithKey(l.id, l.a, l.b, { delayUs: l.delayUs, igp: l.igp });
  return g;
}

/** graphology-shortest-path's bidirectional Dijkstra on link delay. */
export function graphologyLatencyPath(g: MultiUndirectedGraph, from: string, to: string): string[] | null {
  return bidirectional(g, from, to, "delayUs");
}

interface Adj { to: number; link: number }

/** Textbook Yen's k-shortest loopless paths over a plain binary-heap Dijkstra: the usual way to
 *  answer a constrained query without a constrained search — enumerate by cost until one is feasible. */
export class YenEnumerator {
  private readonly adj: Adj[][];
  private readonly index: Map<string, number>;

  constructor(private readonly t: Topology, private readonly weight: (l: Link) => number, removedNodes: Set<string>) {
    this.index = new Map(t.routers.map((r, i) => [r.name, i]));
    this.adj = t.routers.map(() => []);
    t.links.forEach((l, i) => {
      if (removedNodes.has(l.a) || removedNodes.has(l.b)) return;
      const a = this.index.get(l.a)!;
      const b = this.index.get(l.b)!;
      this.adj[a]!.push({ to: b, link: i });
      this.adj[b]!.push({ to: a, link: i });
    });
  }

  private dijkstra(src: number, dst: number, bannedNodes: Set<number>, bannedLinks: Set<number>): { nodes: number[]; links: number[] } | null {
    const n = this.adj.length;
    const dist = new Float64Array(n).fill(Infinity);
    const prevLink = new Int32Array(n).fill(-1);
    const prevNode = new Int32Array(n).fill(-1);
    const heap: [number, number][] = [];
    const push = (d: number, u: number) => {
      heap.push([d, u]);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]![0] <= heap[i]![0]) break;
        [heap[p], heap[i]] = [heap[i]!, heap[p]!];
        i = p;
      }
    };
    const pop = () => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
          if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i]!, heap[m]!];
          i = m;
        }
      }
      return top;
    };
    dist[src] = 0;
    push(0, src);
    while (heap.length > 0) {
      const [d, u] = pop();
      if (d > dist[u]!) continue;
      if (u === dst) break;
      for (const e of this.adj[u]!) {
        if (bannedNodes.has(e.to) || bannedLinks.has(e.link)) continue;
        const nd = d + this.weight(this.t.links[e.link]!);
        if (nd < dist[e.to]!) {
          dist[e.to] = nd;
          prevLink[e.to] = e.link;
          prevNode[e.to] = u;
          push(nd, e.to);
        }
      }
    }
    if (dist[dst] === Infinity) return null;
    const nodes = [dst];
    const links: number[] = [];
    for (let v = dst; v !== src; v = prevNode[v]!) {
      links.unshift(prevLink[v]!);
      nodes.unshift(prevNode[v]!);
    }
    return { nodes, links };
  }

  /** Paths from → to in order of total weight; yields link indices. */
  *paths(from: string, to: string): Generator<number[]> {
    const src = this.index.get(from)!;
    const dst = this.index.get(to)!;
    const cost = (links: number[]) => links.reduce((s, l) => s + this.weight(this.t.links[l]!), 0);
    const first = this.dijkstra(src, dst, new Set(), new Set());
    if (!first) return;
    const accepted = [first];
    const seen = new Set([first.links.join(",")]);
    const candidates: { nodes: number[]; links: number[]; cost: number }[] = [];
    yield first.links;
    for (;;) {
      const last = accepted[accepted.length - 1]!;
      for (let i = 0; i < last.nodes.length - 1; i++) {
        const rootLinks = last.links.slice(0, i);
        const bannedNodes = new Set(last.nodes.slice(0, i));
        const bannedLinks = new Set<number>();
        for (const a of accepted) if (a.links.length > i && a.links.slice(0, i).join(",") === rootLinks.join(",")) bannedLinks.add(a.links[i]!);
        const spur = this.dijkstra(last.nodes[i]!, dst, bannedNodes, bannedLinks);
        if (!spur) continue;
        const full = { nodes: [...last.nodes.slice(0, i), ...spur.nodes], links: [...rootLinks, ...spur.links] };
        const key = full.links.join(",");
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push({ ...full, cost: cost(full.links) });
      }
      if (candidates.length === 0) return;
      candidates.sort((a, b) => a.cost - b.cost);
      const next = candidates.shift()!;
      accepted.push(next);
      yield next.links;
    }
  }
}
