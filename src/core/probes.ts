// A path's loopback probe: the SIDs that take a probe from the source host along the path to its
// egress router, turn it there, and bring it back over the reverse of the same path to the host.
// Pure.
//
// The probe starts with the path's own segments, so it exercises the very SIDs the application's
// packets use. Where those leave the packet, every remaining link of the loop (the end of the
// forward leg, then the whole way back) is pinned strictly: one End.X SID per link, of the router
// at the start of the link, over that exact link (a parallel link's own id). The egress router's
// End.X over the last link turns the probe; no End SID is needed. The final destination, the source
// host's own IPv6 address, is the datapath's to append.
//
// Why strict and not the fewest SIDs: a loose stretch (IGP shortest-path forwarding to the next
// SID) is only the path's own link while the network is healthy. When a link or router of the path
// fails, the IGP routes the stretch around it, the probe comes back over the detour, and the broken
// path looks alive (seen in the lab: r1>r2>r3>r4 probed as [End r3, End.X r4>r3] came back over
// r1>r7>r4>r3 with r2 down, and traffic was restored onto the dead path). An End.X forwards over its
// own adjacency or drops the packet, so a probe whose return leg is all End.X crosses exactly the
// path's links, also when the network is failing, which is the only time it matters. What stays
// loose is what the path's own segments leave to the IGP (e.g. the stretch to a path's first End.X
// router): there the probe detours as the application's packets do. The way back still crosses
// every link and router of the path by End.X, so one that is down anywhere on the path still stops
// the probe; only a failure of a single direction, inside such a stretch, that the IGP routes
// around goes unseen (and then the application's packets take the same detour and arrive).
//
// The datapath holds at most MAX_PROBE_SIDS probe SIDs. A loop too long for that falls back to a
// loose tail: after the path's own segments, the fewest SIDs (the same dynamic program as the path's
// own list, segments.ts) that pin the rest of the loop under IGP forwarding with the declared
// topology's metrics, each link's in the direction travelled. Such a probe is exact only while the IGP agrees with the
// declared topology; it is better than no probe at all. Its loop goes out and back over the same
// links, so no loose stretch of it can pass the egress router: IGP forwarding never goes a→e→a.
import type { Path, Segment, Topology } from "./model.js";
import { endXSidOf } from "./sids.js";
import { graphOf, type Graph } from "./graph.js";
import { segmentList } from "./segments.js";

/** The probe's SIDs in travel order, the source host's own address not included. */
export function probeSids(topology: Topology, path: Path): string[] {
  return probeSegments(topology, path).map((s) => s.sid);
}

/**
 * How many SIDs a probe may have: the datapath's limit (CAIRN_MAX_PROBE_SIDS in datapath/layout.ts,
 * which core does not import; a datapath spec checks that the two agree).
 */
export const MAX_PROBE_SIDS = 17;

/**
 * The segments of `path`'s loopback probe: the path's segments (an IPv4 target's End.DX4 left out:
 * probes are IPv6), then one End.X per remaining link to the egress router and per link back to the
 * source router; the fewest SIDs that do the same under IGP forwarding when that would exceed
 * MAX_PROBE_SIDS.
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
  // A loop of one router (source = egress, no links) still needs a SID: the probe must leave the host.
  if (restLinks.length === 0) return forward.length === 0 ? [endOf(g, path.nodes[0]!)] : forward;
  // Strict: the End.X of the router at the start of each link, over that link.
  const strict = restLinks.map((l, k) => endXOf(g, restNodes[k]!, restNodes[k + 1]!, l));
  if (forward.length + strict.length <= MAX_PROBE_SIDS) return [...forward, ...strict];
  // Too long for the datapath: the fewest SIDs, loose where the declared IGP follows the loop (see
  // the header: exact only while the IGP has not rerouted around a failure).
  return [...forward, ...segmentList(g, restNodes, restLinks, [])];
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

/** The End.X SID of router `from` over link `link` (an index into topology.links) to router `to`. */
function endXOf(g: Graph, from: number, to: number, link: number): Segment {
  const a = g.routers[from]!, b = g.routers[to]!;
  return { sid: endXSidOf(g.topology.links[link]!, a.name), node: a.name, behavior: "End.X", link: [a.name, b.name] };
}

function endOf(g: Graph, router: string): Segment {
  return { sid: g.routers[routerIndex(g, router)]!.sid, node: router, behavior: "End" };
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
