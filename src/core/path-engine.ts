// Path engine v0. Pure: topology + intent in, path or reason out; never throws on infeasibility.
import type { Intent, Link, Objective, PathResult, Topology } from "./model.js";
import { MinHeap } from "./heap.js";
import { buildGraph, type Graph } from "./graph.js";
import { parsePrefix, prefixContains } from "./ipv6.js";
import { segmentList } from "./segments.js";
import { formatDurationUs } from "./units.js";

const WEIGHT: Record<Objective, (l: Link) => number> = {
  latency: (l) => l.delayUs,
  igp: (l) => l.igp,
  hops: () => 1,
};

/** Where traffic for the intent leaves the SRv6 network: the router behind which the destination sits. */
export function destinationRouter(topology: Topology, intent: Intent): { ok: true; router: string } | { ok: false; reason: string } {
  const to = intent.match.to;
  if ("host" in to) {
    const h = topology.hosts.find((x) => x.name === to.host);
    return h ? { ok: true, router: h.router } : { ok: false, reason: `unknown destination host ${to.host}` };
  }
  const p = parsePrefix(to.prefix);
  if (!p) return { ok: false, reason: `bad destination prefix ${to.prefix}` };
  const owners = new Set<string>();
  for (const h of topology.hosts) {
    const a = parsePrefix(`${h.address}/128`)!;
    const subnet = parsePrefix(`${h.address}/${h.prefixLen}`)!;
    if (prefixContains(p, a.bytes) || (subnet.len <= p.len && prefixContains(subnet, p.bytes))) owners.add(h.router);
  }
  for (const r of topology.routers) {
    const loc = parsePrefix(r.locator)!;
    if (prefixContains(p, loc.bytes) || prefixContains(loc, p.bytes)) owners.add(r.name);
  }
  if (owners.size === 0) return { ok: false, reason: `no router of the topology reaches ${to.prefix}` };
  if (owners.size > 1) return { ok: false, reason: `${to.prefix} sits behind several routers (${[...owners].sort().join(", ")}); use a narrower prefix` };
  return { ok: true, router: [...owners][0]! };
}

interface Label {
  node: string;
  cost: number;
  latencyUs: number;
  prev: Label | null;
  linkIndex: number;
}

/** Exact resource-constrained shortest path: labels Pareto-pruned on (cost, latency). */
function search(graph: Graph, src: string, dst: string, weight: (l: Link) => number, maxLatencyUs: number, banned: (e: { to: string; link: Link }) => boolean): Label | null {
  const frontier = new Map<string, Label[]>();
  const heap = new MinHeap<Label>();
  const start: Label = { node: src, cost: 0, latencyUs: 0, prev: null, linkIndex: -1 };
  heap.push(0, start);
  frontier.set(src, [start]);
  while (heap.size > 0) {
    const { value: lab } = heap.pop()!;
    if (!frontier.get(lab.node)?.includes(lab)) continue; // dominated after it was queued
    if (lab.node === dst) return lab;
    for (const e of graph.get(lab.node) ?? []) {
      if (banned(e)) continue;
      const next: Label = { node: e.to, cost: lab.cost + weight(e.link), latencyUs: lab.latencyUs + e.link.delayUs, prev: lab, linkIndex: e.linkIndex };
      if (next.latencyUs > maxLatencyUs) continue;
      let onPath = false;
      for (let p: Label | null = lab; p; p = p.prev) if (p.node === e.to) { onPath = true; break; }
      if (onPath) continue;
      const labels = frontier.get(e.to) ?? [];
      if (labels.some((o) => o.cost <= next.cost && o.latencyUs <= next.latencyUs)) continue;
      frontier.set(e.to, [...labels.filter((o) => !(next.cost <= o.cost && next.latencyUs <= o.latencyUs)), next]);
      heap.push(next.cost, next);
    }
  }
  return null;
}

/** The best path for `intent` from `fromHost`'s gateway router to the destination's router. */
export function computePath(topology: Topology, intent: Intent, fromHost: string): PathResult {
  const host = topology.hosts.find((h) => h.name === fromHost);
  if (!host) return { ok: false, reason: `unknown source host ${fromHost}` };
  const dest = destinationRouter(topology, intent);
  if (!dest.ok) return dest;
  const src = host.router;
  const dst = dest.router;
  const c = intent.constraints;
  for (const [role, r] of [["source", src], ["destination", dst]] as const) {
    if (c.avoidNodes.includes(r)) return { ok: false, reason: `the ${role} router ${r} is in avoidNodes` };
  }
  const graph = buildGraph(topology);
  const avoidNodes = new Set(c.avoidNodes);
  const avoidLinks = new Set(c.avoidLinks);
  const banned = (e: { to: string; link: Link }) => avoidNodes.has(e.to) || avoidLinks.has(e.link.id);
  const weight = WEIGHT[intent.objective];
  const maxLatencyUs = c.maxLatencyUs ?? Infinity;

  const best = search(graph, src, dst, weight, maxLatencyUs, banned);
  if (!best) {
    if (!search(graph, src, dst, weight, Infinity, () => false)) return { ok: false, reason: `no path from ${src} to ${dst} in the topology` };
    const avoiding = search(graph, src, dst, WEIGHT.latency, Infinity, banned);
    if (!avoiding) return { ok: false, reason: `avoidNodes/avoidLinks cut every path from ${src} to ${dst}` };
    return { ok: false, reason: `maxLatency ${formatDurationUs(maxLatencyUs)} cannot be met: the lowest-latency path from ${src} to ${dst} that meets the other constraints takes ${formatDurationUs(avoiding.latencyUs)}` };
  }
  const nodes: string[] = [];
  const linkIndices: number[] = [];
  for (let l: Label | null = best; l; l = l.prev) {
    nodes.unshift(l.node);
    if (l.linkIndex >= 0) linkIndices.unshift(l.linkIndex);
  }
  const links = linkIndices.map((i) => topology.links[i]!);
  return {
    ok: true,
    path: {
      nodes,
      metrics: {
        latencyUs: links.reduce((s, l) => s + l.delayUs, 0),
        igp: links.reduce((s, l) => s + l.igp, 0),
        hops: links.length,
      },
      segments: segmentList(topology, graph, nodes, linkIndices),
    },
  };
}
