// Do two link- (or node-) disjoint paths exist between two routers over the allowed links?
// Unit-capacity max-flow, stopped at 2: exact, and cheap enough to ask before enumerating pairs. Pure.
import type { Graph } from "./graph.js";

export function disjointPairExists(g: Graph, linkAllowed: Uint8Array, from: number, to: number, nodeDisjoint: boolean): boolean {
  const n = g.routers.length;
  // Node u splits into in = 2u and out = 2u+1 (capacity 1 between them for node-disjointness,
  // 2 at the ends); each allowed link is a pair of unit arcs out(a)→in(b) and out(b)→in(a).
  const arcs: { to: number; cap: number; rev: number }[][] = Array.from({ length: 2 * n }, () => []);
  const add = (a: number, b: number, cap: number) => {
    arcs[a]!.push({ to: b, cap, rev: arcs[b]!.length });
    arcs[b]!.push({ to: a, cap: 0, rev: arcs[a]!.length - 1 });
  };
  for (let u = 0; u < n; u++) add(2 * u, 2 * u + 1, !nodeDisjoint || u === from || u === to ? 2 : 1);
  g.topology.links.forEach((_, l) => {
    if (!linkAllowed[l]) return;
    const a = g.linkA[l]!;
    const b = g.linkB[l]!;
    add(2 * a + 1, 2 * b, 1);
    add(2 * b + 1, 2 * a, 1);
  });
  const source = 2 * from + 1;
  const sink = 2 * to;
  let flow = 0;
  while (flow < 2) {
    const prev: ({ node: number; arc: number } | null)[] = new Array(2 * n).fill(null);
    const queue = [source];
    const seen = new Uint8Array(2 * n);
    seen[source] = 1;
    for (let qi = 0; qi < queue.length && !seen[sink]; qi++) {
      const u = queue[qi]!;
      arcs[u]!.forEach((arc, i) => {
        if (arc.cap > 0 && !seen[arc.to]) {
          seen[arc.to] = 1;
          prev[arc.to] = { node: u, arc: i };
          queue.push(arc.to);
        }
      });
    }
    if (!seen[sink]) break;
    for (let v = sink; v !== source; ) {
      const p = prev[v]!;
      const arc = arcs[p.node]![p.arc]!;
      arc.cap -= 1;
      arcs[v]![arc.rev]!.cap += 1;
      v = p.node;
    }
    flow++;
  }
  return flow >= 2;
}
