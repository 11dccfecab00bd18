// Adjacency view of a topology's routers, and IGP shortest-path facts the SID encoder needs. Pure.
import type { Link, Topology } from "./model.js";
import { MinHeap } from "./heap.js";

export interface Edge {
  to: string;
  link: Link;
  linkIndex: number;
}

export type Graph = Map<string, Edge[]>;

export function buildGraph(topology: Topology): Graph {
  const g: Graph = new Map(topology.routers.map((r) => [r.name, []]));
  topology.links.forEach((link, linkIndex) => {
    g.get(link.a)?.push({ to: link.b, link, linkIndex });
    g.get(link.b)?.push({ to: link.a, link, linkIndex });
  });
  return g;
}

export interface IgpTree {
  dist: Map<string, number>;
  /** Number of equal-cost shortest paths, capped at 2 (we only need "unique or not"). */
  count: Map<string, number>;
}

/** IGP shortest-path distances and ECMP multiplicity from `source`, as IS-IS would compute them. */
export function igpTree(graph: Graph, source: string): IgpTree {
  const dist = new Map<string, number>([[source, 0]]);
  const count = new Map<string, number>([[source, 1]]);
  const done = new Set<string>();
  const heap = new MinHeap<string>();
  heap.push(0, source);
  while (heap.size > 0) {
    const { key, value: u } = heap.pop()!;
    if (done.has(u) || key > dist.get(u)!) continue;
    done.add(u);
    for (const e of graph.get(u) ?? []) {
      const d = key + e.link.igp;
      const old = dist.get(e.to);
      if (old === undefined || d < old) {
        dist.set(e.to, d);
        count.set(e.to, count.get(u)!);
        heap.push(d, e.to);
      } else if (d === old) {
        count.set(e.to, Math.min(2, count.get(e.to)! + count.get(u)!));
      }
    }
  }
  return { dist, count };
}
