// Does a second path, link- (or node-) disjoint from a given one, exist in some disjoint pair?
// Max-flow theory: a pair exists iff the flow of the given path can be augmented, i.e. the residual
// graph has a path from source to destination. One BFS over typed arrays. `linkAllowed` is per arc
// (graph.ts): a link may be usable in one direction only. Pure.
import type { Graph } from "./graph.js";

/** `nodes`/`links`: a simple path from its first to its last router over allowed links. With
 *  `nodeDisjoint`, the two paths may still share the routers marked in `shareable`. */
export function disjointPairExists(g: Graph, linkAllowed: Uint8Array, nodes: number[], links: number[], nodeDisjoint: boolean, shareable?: Uint8Array): boolean {
  const n = g.routers.length;
  const from = nodes[0]!;
  const to = nodes[nodes.length - 1]!;
  if (from === to) return false;
  if (!nodeDisjoint) return linkAugmentable(g, linkAllowed, nodes, links);
  // Router u is two states: in = 2u, out = 2u+1. The path's links may only be walked backwards
  // (undoing its flow); with node-disjointness its transit routers may only be crossed out→in.
  const forward = new Int32Array(g.topology.links.length).fill(-1); // the router the path enters a link from
  links.forEach((l, i) => { forward[l] = nodes[i]!; });
  const transit = new Uint8Array(n);
  if (nodeDisjoint) for (let i = 1; i < nodes.length - 1; i++) if (!shareable?.[nodes[i]!]) transit[nodes[i]!] = 1;
  const seen = new Uint8Array(2 * n);
  const queue = new Int32Array(2 * n);
  let head = 0;
  let tail = 0;
  const visit = (s: number) => {
    if (!seen[s]) { seen[s] = 1; queue[tail++] = s; }
  };
  visit(2 * from + 1);
  while (head < tail) {
    const s = queue[head++]!;
    const u = s >> 1;
    if (s === 2 * to) return true;
    if ((s & 1) === 0) {
      // in → out: free, except through the path's transit routers (their capacity is used up).
      if (!transit[u]) visit(s + 1);
      // in → neighbour's out, backwards over a link the path took from that neighbour to u.
      for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
        const l = g.edgeLink[e]!;
        if (forward[l] === g.edgeTo[e]!) visit(2 * g.edgeTo[e]! + 1);
      }
    } else {
      if (transit[u]) visit(s - 1); // undo the path's crossing of u
      for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
        const l = g.edgeLink[e]!;
        if (linkAllowed[g.edgeArc[e]!] && forward[l]! < 0) visit(2 * g.edgeTo[e]!);
      }
    }
  }
  return false;
}

/** Link-disjointness needs no split routers: the path's links may only be walked backwards. */
function linkAugmentable(g: Graph, linkAllowed: Uint8Array, nodes: number[], links: number[]): boolean {
  const forward = new Int32Array(g.topology.links.length).fill(-1);
  links.forEach((l, i) => { forward[l] = nodes[i]!; });
  const to = nodes[nodes.length - 1]!;
  const seen = new Uint8Array(g.routers.length);
  const queue = new Int32Array(g.routers.length);
  let head = 0;
  let tail = 0;
  seen[nodes[0]!] = 1;
  queue[tail++] = nodes[0]!;
  while (head < tail) {
    const u = queue[head++]!;
    if (u === to) return true;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const l = g.edgeLink[e]!;
      const v = g.edgeTo[e]!;
      const usable = forward[l]! < 0 ? linkAllowed[g.edgeArc[e]!] === 1 : forward[l] === v;
      if (usable && !seen[v]) { seen[v] = 1; queue[tail++] = v; }
    }
  }
  return false;
}

/** Some path from → to over allowed links (fewest hops), or null. */
export function anyPath(g: Graph, linkAllowed: Uint8Array, from: number, to: number): { nodes: number[]; links: number[] } | null {
  const via = new Int32Array(g.routers.length).fill(-1);
  const seen = new Uint8Array(g.routers.length);
  const queue = [from];
  seen[from] = 1;
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]!;
    if (u === to) break;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const l = g.edgeLink[e]!;
      const v = g.edgeTo[e]!;
      if (linkAllowed[g.edgeArc[e]!] && !seen[v]) { seen[v] = 1; via[v] = l; queue.push(v); }
    }
  }
  if (!seen[to]) return null;
  const nodes = [to];
  const links: number[] = [];
  for (let v = to; v !== from; ) {
    const l = via[v]!;
    links.unshift(l);
    v = g.linkA[l] === v ? g.linkB[l]! : g.linkA[l]!;
    nodes.unshift(v);
  }
  return { nodes, links };
}
