// The shortest segment list that pins a router path under IGP forwarding with ECMP. Pure.
//
// A segment list cuts the path into pieces. Each piece is a stretch the IGP forwards on its own,
// which it does only where that stretch is the unique shortest path, ended by one SID:
//   End(n)        stretch to n;
//   End.X(n, l)   stretch to n, then across link l (which need not be a shortest path);
//   Service(s)    stretch to the service instance's router, where the service processes the packet.
// The last stretch, to the destination's router, needs no SID: the packet's own destination ends it.
// A dynamic program over path positions finds the fewest SIDs exactly (greedy "furthest reach"
// is not enough once End.X and mandatory service stops mix).
import type { Segment } from "./model.js";
import { endXSidOf } from "./sids.js";
import { arcFrom, arcMetrics, type Graph } from "./graph.js";

export interface ServiceStop {
  /** Index into the path's nodes where the service runs. */
  position: number;
  sid: string;
  service: string;
}

/** Among lists of equal length, prefer loose End SIDs: the IGP can repair around a failure under them. */
const X_PENALTY = 1e-3;

interface Step {
  from: number;
  /** "run": the service SIDs at this position; "x": End.X over the link after `xAt`. */
  kind: "end" | "x" | "run";
  xAt?: number;
}

export function segmentList(g: Graph, nodes: number[], links: number[], services: ServiceStop[]): Segment[] {
  const m = nodes.length - 1;
  const topoLinks = g.topology.links;
  // igpPrefix[j] = IGP cost of the path from position 0 to position j, each link in the direction travelled.
  const igpPrefix = new Float64Array(m + 1);
  for (let j = 1; j <= m; j++) igpPrefix[j] = igpPrefix[j - 1]! + arcMetrics(topoLinks, arcFrom(g, links[j - 1]!, nodes[j - 1]!)).igp;
  const runs = new Map<number, ServiceStop[]>();
  for (const s of services) runs.set(s.position, [...(runs.get(s.position) ?? []), s]);
  const mandatory = (i: number) => runs.has(i);
  // Is the stretch i..j the one path IGP forwarding from nodes[i] to nodes[j] can take?
  const unique = (i: number, j: number): boolean => {
    if (i === j) return true;
    const t = g.igpTree(nodes[i]!);
    return t.count[nodes[j]!] === 1 && t.dist[nodes[j]!] === igpPrefix[j]! - igpPrefix[i]!;
  };

  // anchored[i]: fewest SIDs that bring the packet to position i with every stop up to i served.
  // pending[i]: brought to mandatory position i by an End.X, its services not yet run.
  const anchored = new Array<number>(m + 1).fill(Infinity);
  const pending = new Array<number>(m + 1).fill(Infinity);
  const anchoredBy: (Step | null)[] = new Array(m + 1).fill(null);
  const pendingBy: (Step | null)[] = new Array(m + 1).fill(null);
  if (mandatory(0)) pending[0] = 0;
  else anchored[0] = 0;
  // Anchor i is useless when a later anchor i' (no stop in between) costs no more: whatever i reaches
  // beyond i' in one SID, i' reaches too (a stretch inside a unique shortest path is one as well).
  // Skipping such anchors keeps the IGP trees computed to about two per SID.
  const dominatedAhead = (i: number): boolean => {
    for (let k = i + 1; k <= m; k++) {
      if (anchored[k]! <= anchored[i]!) return true;
      if (mandatory(k)) return false;
    }
    return false;
  };
  let best = Infinity;
  let bestFrom = -1;
  for (let i = 0; i <= m; i++) {
    if (pending[i]! < Infinity) {
      const c = pending[i]! + runs.get(i)!.length;
      if (c < anchored[i]!) { anchored[i] = c; anchoredBy[i] = { from: i, kind: "run" }; }
    }
    const base = anchored[i]!;
    if (base === Infinity || dominatedAhead(i)) continue;
    for (let j = i; j <= m; j++) {
      // Position j is reached by the stretch i..j; a stop strictly inside would be skipped.
      if (j > i && !unique(i, j)) break;
      const stopHere = j > i && mandatory(j);
      if (j === m && !stopHere && base < best) { best = base; bestFrom = i; }
      if (j > i) {
        const c = base + (stopHere ? runs.get(j)!.length : 1);
        if (c < anchored[j]!) { anchored[j] = c; anchoredBy[j] = { from: i, kind: stopHere ? "run" : "end" }; }
      }
      if (j < m && (j === i || !stopHere)) {
        const c = base + 1 + X_PENALTY;
        const land = j + 1;
        if (mandatory(land)) {
          if (c < pending[land]!) { pending[land] = c; pendingBy[land] = { from: i, kind: "x", xAt: j }; }
        } else if (c < anchored[land]!) { anchored[land] = c; anchoredBy[land] = { from: i, kind: "x", xAt: j }; }
      }
      if (stopHere) break;
    }
  }
  if (bestFrom < 0) throw new Error("no segment list pins this path (the path engine produced an invalid path)");

  const segments: Segment[] = [];
  const routerAt = (p: number) => g.routers[nodes[p]!]!;
  const runAt = (p: number) => {
    for (const s of [...runs.get(p)!].reverse()) segments.push({ sid: s.sid, node: routerAt(p).name, behavior: "Service", service: s.service });
  };
  // Walk back from the anchor the final stretch starts at to the start state, collecting SIDs last-first.
  let pos = bestFrom;
  let inPending = false;
  while (!(pos === 0 && inPending === mandatory(0))) {
    const step: Step = (inPending ? pendingBy[pos] : anchoredBy[pos])!;
    if (step.kind === "run") runAt(pos);
    else if (step.kind === "end") segments.push({ sid: routerAt(pos).sid, node: routerAt(pos).name, behavior: "End" });
    else {
      const at = step.xAt!;
      segments.push({ sid: endXSidOf(topoLinks[links[at]!]!, routerAt(at).name), node: routerAt(at).name, behavior: "End.X", link: [routerAt(at).name, routerAt(at + 1).name] });
    }
    inPending = step.kind === "run" && step.from === pos;
    pos = step.from;
  }
  return segments.reverse();
}
