// Minimal segment list for a router path: loose End SIDs where the IGP's unique shortest path
// already follows the path, End.X SIDs where the next link is not that path. Pure.
import type { Segment, Topology } from "./model.js";
import { endSid, endXSid } from "./addressing.js";
import { type Graph, type IgpTree, igpTree } from "./graph.js";

export function segmentList(topology: Topology, graph: Graph, nodes: string[], linkIndices: number[]): Segment[] {
  const routers = new Map(topology.routers.map((r) => [r.name, r]));
  const trees = new Map<string, IgpTree>();
  const tree = (n: string) => {
    let t = trees.get(n);
    if (!t) trees.set(n, (t = igpTree(graph, n)));
    return t;
  };
  const segments: Segment[] = [];
  const last = nodes.length - 1;
  let anchor = 0;
  while (anchor < last) {
    const t = tree(nodes[anchor]!);
    let reach = anchor;
    let cost = 0;
    // A prefix of the path is followed by plain IGP forwarding iff it is the unique shortest path;
    // once a prefix is not, no longer prefix is either.
    for (let j = anchor + 1; j <= last; j++) {
      cost += topology.links[linkIndices[j - 1]!]!.igp;
      if (t.dist.get(nodes[j]!) !== cost || t.count.get(nodes[j]!) !== 1) break;
      reach = j;
    }
    if (reach === last) break; // the packet's own destination, behind the last router, takes it from here
    if (reach > anchor) {
      segments.push({ sid: endSid(routers.get(nodes[reach]!)!), node: nodes[reach]!, behavior: "End" });
      anchor = reach;
      continue;
    }
    // Even the next link is not the unique IGP choice: force it with this router's End.X SID,
    // which also replaces an End SID that only brought the packet here.
    const here = nodes[anchor]!;
    const next = nodes[anchor + 1]!;
    const prev = segments[segments.length - 1];
    if (prev && prev.node === here && prev.behavior === "End") segments.pop();
    segments.push({ sid: endXSid(routers.get(here)!, linkIndices[anchor]!), node: here, behavior: "End.X", link: [here, next] });
    anchor += 1;
  }
  return segments;
}
