// An operator's topology changes (ChangeTopology) checked against the model and resolved into the
// next model: the topology with the new link metrics and the set of drained elements, with one line
// per change saying what it does. Every change is checked before anything is applied; any error
// refuses them all. Pure.
import type { Link, Topology } from "../core/model.js";
import { topologyNames } from "../core/model.js";
import type { ElementIds } from "../core/live-paths.js";
import { quote } from "../core/quote.js";
import { unknownNameHint } from "../core/name-hints.js";

/** Link metrics an operator may set; absent fields keep their values. */
export interface LinkMetricsInput {
  igp?: number;
  te?: number;
  delayUs?: number;
  jitterUs?: number;
  loss?: number;
  bandwidthBps?: number;
  utilization?: number;
}

export type TopologyChangeRequest =
  | { kind: "drain"; element: string }
  | { kind: "undrain"; element: string }
  | ({ kind: "metrics"; link: string } & LinkMetricsInput)
  | { kind: "measured"; link: string; delayUs?: number; jitterUs?: number; loss?: number };

/** What one change does to one element. */
export interface ResolvedChange {
  kind: "link" | "router";
  id: string;
  /** drain/undrain, or metrics set (operator) or measured. */
  action: "drain" | "undrain" | "metrics" | "measured";
  /** e.g. "drain link r2-r3", "link r2-r3: igp 10 -> 20" ("(no change)" when nothing differs). */
  text: string;
  /** It changes the model. */
  effective: boolean;
}

export type TopologyCheck = { ok: true; topology: Topology; drained: ElementIds; changes: ResolvedChange[] } | { ok: false; errors: string[] };

/** Changes one request may hold. */
export const MAX_TOPOLOGY_CHANGES = 1000;
const MAX_IGP = 16_777_215; // IS-IS wide metric, as in topology files

/** Each metric: its name on the wire and in texts, and the values it may take. */
const METRICS: { key: keyof LinkMetricsInput; name: string; check: (v: number) => string | null }[] = [
  { key: "igp", name: "igp", check: (v) => (Number.isInteger(v) && v >= 1 && v <= MAX_IGP ? null : `a whole number from 1 to ${MAX_IGP}`) },
  { key: "te", name: "te", check: (v) => (Number.isInteger(v) && v >= 1 && v <= MAX_IGP ? null : `a whole number from 1 to ${MAX_IGP}`) },
  { key: "delayUs", name: "delay_us", check: (v) => (Number.isFinite(v) && v > 0 ? null : "a number of microseconds > 0") },
  { key: "jitterUs", name: "jitter_us", check: (v) => (Number.isFinite(v) && v >= 0 ? null : "a number of microseconds ≥ 0") },
  { key: "loss", name: "loss", check: (v) => (Number.isFinite(v) && v >= 0 && v < 1 ? null : "a ratio with 0 ≤ loss < 1") },
  { key: "bandwidthBps", name: "bandwidth_bps", check: (v) => (Number.isFinite(v) && v > 0 ? null : "bits per second > 0") },
  { key: "utilization", name: "utilization", check: (v) => (Number.isFinite(v) && v >= 0 && v <= 1 ? null : "a ratio from 0 to 1") },
];

/** The metric's wire name ("delay_us") for its view key ("delayUs"). */
export const metricName = (key: keyof LinkMetricsInput): string => METRICS.find((m) => m.key === key)!.name;

/**
 * Checks `changes` against `topology` and the elements drained now, in order (a later change sees
 * the earlier ones: drain then undrain is no change), and returns the model they make, or every error.
 */
export function checkTopologyChanges(topology: Topology, drained: ElementIds, changes: readonly TopologyChangeRequest[]): TopologyCheck {
  if (changes.length === 0) return { ok: false, errors: ["no changes: give at least one (drain, undrain, metrics or measured)"] };
  if (changes.length > MAX_TOPOLOGY_CHANGES) return { ok: false, errors: [`${changes.length} changes in one request; at most ${MAX_TOPOLOGY_CHANGES}`] };
  const names = topologyNames(topology);
  const hosts = new Map(topology.hosts.map((h) => [h.name, h]));
  const candidates = [...topology.links.map((l) => l.id), ...topology.routers.map((r) => r.name)];
  const errors: string[] = [];
  const links = new Map(topology.links.map((l) => [l.id, { ...l }]));
  const drainedLinks = new Set(drained.links);
  const drainedRouters = new Set(drained.routers);
  const resolved: ResolvedChange[] = [];

  const unknown = (where: string, name: string, what: string): string => {
    const host = hosts.get(name);
    if (host) return `${where}: ${quote(name)} is a host; hosts cannot be drained (drain its router ${quote(host.router)} or a link)`;
    return `${where}: no ${what} named ${quote(name)}; ${unknownNameHint(name, what === "link" ? topology.links.map((l) => l.id) : candidates, { what: what === "link" ? "links" : "links and routers", listedBy: "cairn get links" })}`;
  };
  const linkOf = (name: string): string | undefined => names.linkIds.get(name) ?? (links.has(name) ? name : undefined);

  changes.forEach((c, i) => {
    const where = `changes[${i}] (${c.kind})`;
    if (c.kind === "drain" || c.kind === "undrain") {
      const link = linkOf(c.element);
      const kind = link !== undefined ? "link" : names.routers.has(c.element) ? "router" : null;
      if (kind === null) return void errors.push(unknown(where, c.element, "link or router"));
      const id = link ?? c.element;
      const set = kind === "link" ? drainedLinks : drainedRouters;
      const was = set.has(id);
      if (c.kind === "drain") set.add(id);
      else set.delete(id);
      const effective = was !== (c.kind === "drain");
      const text = `${c.kind} ${kind} ${id}${effective ? "" : c.kind === "drain" ? " (already drained)" : " (not drained)"}`;
      resolved.push({ kind, id, action: c.kind, text, effective });
      return;
    }
    const id = linkOf(c.link);
    if (id === undefined) return void errors.push(unknown(where, c.link, "link"));
    const link = links.get(id)!;
    const given = METRICS.filter((m) => (c as LinkMetricsInput)[m.key] !== undefined);
    if (given.length === 0) return void errors.push(`${where}: link ${id}: sets no metric (give one or more of ${(c.kind === "measured" ? ["delay_us", "jitter_us", "loss"] : METRICS.map((m) => m.name)).join(", ")})`);
    const parts: string[] = [];
    let bad = false;
    for (const m of given) {
      const v = (c as LinkMetricsInput)[m.key]!;
      const problem = m.check(v);
      if (problem) {
        errors.push(`${where}: link ${id}: ${m.name} ${v} is out of range: ${problem}`);
        bad = true;
        continue;
      }
      if (link[m.key] !== v) parts.push(`${m.name} ${link[m.key]} -> ${v}`);
    }
    if (bad) return;
    // Both directions: a link whose directions differ (Link.reverse) gets the value each way.
    for (const m of given) {
      const v = (c as LinkMetricsInput)[m.key]!;
      (link as Link)[m.key] = v;
      if (link.reverse) {
        if (link.reverse[m.key] !== v) parts.push(`${m.name} (${link.b} to ${link.a}) ${link.reverse[m.key]} -> ${v}`);
        link.reverse = { ...link.reverse, [m.key]: v };
      }
    }
    const effective = parts.length > 0;
    resolved.push({ kind: "link", id, action: c.kind, text: `link ${id}: ${c.kind === "measured" ? "measured " : ""}${effective ? parts.join(", ") : "(no change)"}`, effective });
  });
  if (errors.length > 0) return { ok: false, errors };
  const changed = topology.links.some((l) => METRICS.some((m) => links.get(l.id)![m.key] !== l[m.key] || links.get(l.id)!.reverse?.[m.key] !== l.reverse?.[m.key]));
  return {
    ok: true,
    topology: changed ? { ...topology, links: topology.links.map((l) => links.get(l.id)!) } : topology,
    drained: { links: [...drainedLinks].sort(), routers: [...drainedRouters].sort() },
    changes: resolved,
  };
}
