// A path's loopback probe: the SIDs that take a probe from the source host along the path to its
// egress router, turn it there, and bring it back over the reverse of the same path to the host.
// Pure.
//
// The probe starts with the path's own segments, so it exercises the very SIDs the application's
// packets use. Where those leave the packet, the rest of the loop (the end of the forward leg, the
// turn at the egress router, the whole way back) is pinned by the fewest SIDs the same dynamic
// program as the path's own list finds (segments.ts): the turn is the egress router's End SID,
// nothing when the path's last segment already lands there, or an End.X SID of the egress router
// when the way back starts with one (the probe must reach the egress router to run it). The loop
// goes out and back over the same links, so no stretch of it can pass the egress router: IGP
// forwarding never goes a→e→a. The final destination, the source host's own IPv6 address, is the
// datapath's to append. IGP metrics are taken as symmetric (the same metric both ways on a link).
import type { Path, Segment, Topology } from "./model.js";
import { endSid } from "./addressing.js";
import { graphOf, type Graph } from "./graph.js";
import { segmentList } from "./segments.js";

/** The probe's SIDs in travel order, the source host's own address not included. */
export function probeSids(topology: Topology, path: Path): string[] {
  return probeSegments(topology, path).map((s) => s.sid);
}

/**
 * The segments of `path`'s loopback probe: the path's segments (an IPv4 target's End.DX4 left out:
 * probes are IPv6), then the fewest that bring the probe to the egress router and back over the
 * path's links, reversed, to the source router.
 */
export function probeSegments(topology: Topology, path: Path): Segment[] {
  const g = graphOf(topology);
  const nodes = path.nodes.map((name) => routerIndex(g, name));
  const links = path.links.map((id) => linkIndexOf(g, id));
  if (nodes.length === 0 || links.length !== nodes.length - 1) {
    throw new Error(`path ${path.nodes.join(">")} has ${links.length} links for ${nodes.length} routers`);
  }
  const forward = path.segments.filter((s) => s.behavior !== "End.DX4");
  const at = positionAfter(path, forward);
  // The rest of the loop: from where the forward segments leave the packet to the egress router,
  // then every link back in reverse order.
  const restNodes = [...nodes.slice(at), ...nodes.slice(0, -1).reverse()];
  const restLinks = [...links.slice(at), ...[...links].reverse()];
  const rest = segmentList(g, restNodes, restLinks, []);
  // A loop of one router (source = egress, no links) still needs a SID: the probe must leave the host.
  return forward.length + rest.length === 0 ? [endOf(g, path.nodes[0]!)] : [...forward, ...rest];
}

/** The routers a probe visits: the path, then the path reversed. */
export function probeRoute(path: Pick<Path, "nodes">): string[] {
  return [...path.nodes, ...path.nodes.slice(0, -1).reverse()];
}

/**
 * Where in `path.nodes` the packet stands once `segments` (a prefix-free copy of the path's own list)
 * have run. Walks the path itself rather than the IGP: the segments pin the path, so an End (or a
 * Service) lands at the first later position holding its router, and an End.X crosses the first
 * later occurrence of its adjacency.
 */
function positionAfter(path: Path, segments: Segment[]): number {
  let pos = 0;
  for (const s of segments) {
    const from = pos;
    if (s.behavior === "End.X" && s.link) {
      const [a, b] = s.link;
      while (pos < path.links.length && !(path.nodes[pos] === a && path.nodes[pos + 1] === b)) pos++;
      if (pos === path.links.length) throw new Error(`End.X ${s.sid} (${a}>${b}) is not on the path ${path.nodes.join(">")} after position ${from}`);
      pos++;
    } else {
      // A Service may run where the previous segment left the packet; an End always moves it.
      if (s.behavior === "End") pos++;
      while (pos < path.nodes.length && path.nodes[pos] !== s.node) pos++;
      if (pos === path.nodes.length) throw new Error(`${s.behavior} ${s.sid} (${s.node}) is not on the path ${path.nodes.join(">")} after position ${from}`);
    }
  }
  return pos;
}

function endOf(g: Graph, router: string): Segment {
  return { sid: endSid(g.routers[routerIndex(g, router)]!), node: router, behavior: "End" };
}

function routerIndex(g: Graph, name: string): number {
  const i = g.index.get(name);
  if (i === undefined) throw new Error(`path names router ${name}, which is not in the topology`);
  return i;
}

const linkIndexes = new WeakMap<Graph, Map<string, number>>();
function linkIndexOf(g: Graph, id: string): number {
  let m = linkIndexes.get(g);
  if (!m) linkIndexes.set(g, (m = new Map(g.topology.links.map((l, i) => [l.id, i]))));
  const i = m.get(id);
  if (i === undefined) throw new Error(`path names link ${id}, which is not in the topology`);
  return i;
}
