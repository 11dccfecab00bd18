// The operator's layer over the topology file: the elements drained and the links whose metrics differ
// from the file, each with who made the change in force, when, at which topology revision and why. It
// is what ChangeTopology leaves behind, as data: one controller keeps it in memory (topology-changes.ts);
// replicas keep it in the store as JSON (replicas/replica-topology.ts), where the leader builds its model
// from it and every replica shows it in ListLinks. Pure.
import type { LinkHealthView, LinksView, NodeHealthView, TopologyOverrideView } from "../api/types.js";
import type { Link, LinkMetrics, Topology } from "../core/model.js";
import { pickMetrics } from "../core/model.js";
import type { ElementIds } from "../core/live-paths.js";
import { elementKey } from "../core/elements.js";
import type { Revisions } from "./state.js";
import { metricName, type LinkMetricsInput, type ResolvedChange } from "./topology-check.js";

/** Who made a change, when, at which topology revision, and why. */
export interface Made {
  by: string;
  /** RFC 3339. */
  at: string;
  /**
   * The topology revision the change made. In the replicas' store, 0 stands for the store revision of
   * the write that holds it (not known before that write): resolveLayer() fills it in.
   */
  revision: number;
  reason: string;
}

/** A drained link or router. */
export interface LayerDrain extends Made {
  kind: "link" | "router";
  id: string;
}

/** A link whose metrics differ from the topology file: its metrics now, and the last change to them. */
export interface LayerLink extends Made {
  id: string;
  source: "operator" | "measurement";
  metrics: LinkMetrics;
  /** From b to a, for a link whose file gives that direction its own metrics. */
  reverse?: LinkMetrics;
}

export interface TopologyLayer {
  /** Links (sorted), then routers (sorted). */
  drained: LayerDrain[];
  /** In the topology's link order. */
  links: LayerLink[];
  /** The last change that changed something (a conflict's message names it); null: none. */
  last: Made | null;
}

export const EMPTY_LAYER: TopologyLayer = { drained: [], links: [], last: null };

const METRIC_KEYS: (keyof LinkMetricsInput)[] = ["igp", "te", "delayUs", "jitterUs", "loss", "bandwidthBps", "utilization"];
const sameMetrics = (a: LinkMetrics, b: LinkMetrics) => METRIC_KEYS.every((k) => a[k] === b[k]);

/**
 * The layer after a change that changed something: `next` is the model the change makes (checkTopologyChanges'
 * topology and drained elements) and `changes` what it did. An element or link the change touched gets
 * `made`; the others keep theirs; what is back to the file's values leaves the layer.
 */
export function nextLayer(layer: TopologyLayer, declared: Topology, next: { topology: Topology; drained: ElementIds; changes: readonly ResolvedChange[] }, made: Made): TopologyLayer {
  const drains = new Map(layer.drained.map((d) => [elementKey(d), d]));
  const links = new Map(layer.links.map((l) => [l.id, l]));
  const drainedNow = new Set<string>();
  const setNow = new Map<string, LayerLink["source"]>();
  for (const c of next.changes) {
    if (!c.effective) continue;
    if (c.action === "drain") drainedNow.add(elementKey(c));
    else if (c.action === "metrics" || c.action === "measured") setNow.set(c.id, c.action === "measured" ? "measurement" : "operator");
  }
  const drain = (kind: "link" | "router", id: string): LayerDrain => {
    const key = elementKey({ kind, id });
    const old = drains.get(key);
    return old && !drainedNow.has(key) ? old : { kind, id, ...made };
  };
  const file = new Map(declared.links.map((l) => [l.id, l]));
  const changed: LayerLink[] = [];
  for (const l of next.topology.links) {
    const d = file.get(l.id)!;
    if (sameMetrics(d, l) && (!d.reverse || !l.reverse || sameMetrics(d.reverse, l.reverse))) continue;
    const values = { metrics: pickMetrics(l), ...(d.reverse && l.reverse ? { reverse: pickMetrics(l.reverse) } : {}) };
    const source = setNow.get(l.id);
    const old = links.get(l.id);
    changed.push(source !== undefined || !old ? { id: l.id, source: source ?? "operator", ...made, ...values } : { ...old, ...values });
  }
  return {
    drained: [...next.drained.links.map((id) => drain("link", id)), ...next.drained.routers.map((id) => drain("router", id))],
    links: changed,
    last: made,
  };
}

/** A stored layer with its revisions of 0 (the write that stored it) set to that write's `revision`. */
export function resolveLayer(layer: TopologyLayer, revision: bigint): TopologyLayer {
  const r = Number(revision);
  const fix = <T extends Made>(m: T): T => (m.revision === 0 ? { ...m, revision: r } : m);
  return { drained: layer.drained.map(fix), links: layer.links.map(fix), last: layer.last ? fix(layer.last) : null };
}

/**
 * The model the layer makes of the topology file: its links with the layer's metrics (the same links,
 * in the same order; the file itself when no metric differs) and the drained elements. What names
 * no link or router of this file (another replica's file) is left out and listed in `unknown`.
 */
export function layerModel(declared: Topology, layer: TopologyLayer): { topology: Topology; drained: ElementIds; unknown: string[] } {
  const linkIds = new Set(declared.links.map((l) => l.id));
  const routers = new Set(declared.routers.map((r) => r.name));
  const unknown: string[] = [];
  const drained: ElementIds = { links: [], routers: [] };
  for (const d of layer.drained) {
    if (d.kind === "link" ? linkIds.has(d.id) : routers.has(d.id)) (d.kind === "link" ? drained.links : drained.routers).push(d.id);
    else unknown.push(`${d.kind} ${d.id}`);
  }
  const metrics = new Map<string, LayerLink>();
  for (const l of layer.links) {
    if (linkIds.has(l.id)) metrics.set(l.id, l);
    else unknown.push(`link ${l.id}`);
  }
  const topology =
    metrics.size === 0
      ? declared
      : {
          ...declared,
          links: declared.links.map((l): Link => {
            const o = metrics.get(l.id);
            if (!o) return l;
            return { ...l, ...pickMetrics(o.metrics), ...(l.reverse && o.reverse ? { reverse: pickMetrics(o.reverse) } : {}) };
          }),
        };
  return { topology, drained: { links: [...new Set(drained.links)].sort(), routers: [...new Set(drained.routers)].sort() }, unknown };
}

/** "igp 10 -> 20, delay_us 1000 -> 5000": how `now` differs from the file's `was`, each direction. */
function metricDiff(was: Link, now: LayerLink): string[] {
  const parts = METRIC_KEYS.filter((k) => was[k] !== now.metrics[k]).map((k) => `${metricName(k)} ${was[k]} -> ${now.metrics[k]}`);
  const back = was.reverse;
  if (back && now.reverse) for (const k of METRIC_KEYS) if (back[k] !== now.reverse[k]) parts.push(`${metricName(k)} (${was.b} to ${was.a}) ${back[k]} -> ${now.reverse[k]}`);
  return parts;
}

/** The changes in force, for ListLinks: drained elements, then links whose metrics differ from the topology file. */
export function layerOverrides(declared: Topology, layer: TopologyLayer): TopologyOverrideView[] {
  const out: TopologyOverrideView[] = layer.drained.map((d) => ({ kind: d.kind, id: d.id, change: "drained", source: "operator", by: d.by, at: d.at, revision: d.revision, reason: d.reason }));
  const file = new Map(declared.links.map((l) => [l.id, l]));
  for (const l of layer.links) {
    const was = file.get(l.id);
    const parts = was ? metricDiff(was, l) : [];
    if (parts.length === 0) continue;
    out.push({ kind: "link", id: l.id, change: parts.join(", "), source: l.source, by: l.by, at: l.at, revision: l.revision, reason: l.reason });
  }
  return out;
}

/** Liveliness's view with the drained elements down (source "operator", since the drain), the revisions and the changes in force. */
export function decorateLinks(view: LinksView, declared: Topology, layer: TopologyLayer, at: Revisions): LinksView {
  const drains = new Map(layer.drained.map((d) => [elementKey(d), d]));
  const drain = <T extends LinkHealthView | NodeHealthView>(e: T, kind: "link" | "router", id: string): T => {
    const m = drains.get(elementKey({ kind, id }));
    if (!m) return e;
    const { clearsAt: _clears, ...rest } = e;
    return { ...rest, state: "down", source: "operator", since: m.at || e.since } as T;
  };
  return {
    ...view,
    links: view.links.map((l) => drain(l, "link", l.link)),
    nodes: view.nodes.map((n) => (n.kind === "router" ? drain(n, "router", n.node) : n)),
    topologyRevision: at.topology,
    intentsRevision: at.intents,
    overrides: layerOverrides(declared, layer),
  };
}
