// The controller's Prometheus metrics, in a registry of its own (several controllers may share a
// process: tests). Counts and latencies come from the event log as events are recorded; states
// (agents connected, paths, marks, rejections) are read from the controller's state at each scrape.
// No label names a host: a 10,000-host fleet must not make 10,000 series per metric.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { EventView, LinksView, ReceivedReportView } from "../api/types.js";
import { RULE_STATES } from "../api/types.js";
import { ELEMENT_KINDS, PATH_STATES, type ElementKind, type PathState } from "../core/elements.js";
import { collectedCounter, collectedGauge, type Sample } from "../metrics/collected.js";
import type { EventLog } from "./events.js";
import { REJECTION_REASONS, type RejectionCounts } from "./rejections.js";

/** What the metrics read: the controller's event log and its state. */
export interface ControllerMetricsSources {
  events: EventLog;
  /** Hosts with at least one open subscription (an agent's stream). */
  connectedAgents(): number;
  /** Hosts in the topology. */
  hosts(): number;
  /** Every host's latest report. */
  reports(): readonly ReceivedReportView[];
  /** Liveliness' view of the elements (ListLinks). */
  links(): LinksView;
  rejections: RejectionCounts;
}

export interface ControllerMetrics {
  readonly registry: Registry;
  /** Stops following the event log. */
  close(): void;
}

/** The event types the controller records (a fixed set: the label's values). */
export const EVENT_TYPES = ["path-state", "localisation", "overlay", "recompute", "push", "ack", "intents", "topology"] as const;

/** Seconds from a push to its acknowledgement: a LAN round trip and a datapath update, up to an agent that is away. */
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds of a recompute: one rule's paths, up to every rule of a large fleet. */
const RECOMPUTE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Probed paths by state over every host's latest report (a path probed by two hosts counts twice: each host's path is its own). */
export function pathStateCounts(reports: readonly ReceivedReportView[]): Record<PathState, number> {
  const counts = Object.fromEntries(PATH_STATES.map((s) => [s, 0])) as Record<PathState, number>;
  for (const r of reports) for (const p of r.paths ?? []) counts[p.state]++;
  return counts;
}

/** Rules by the state their agents report. */
export function ruleStateCounts(reports: readonly ReceivedReportView[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(RULE_STATES.map((s) => [s, 0]));
  for (const r of reports) for (const rule of r.rules) counts[rule.state] = (counts[rule.state] ?? 0) + 1;
  return counts;
}

type MarkLabel = "kind" | "state" | "source";

/** Links, routers and hosts marked down or degraded, by kind, state and what marked them; every combination, 0 included. */
export function markedElementSamples(view: LinksView): Sample<MarkLabel>[] {
  const key = (kind: ElementKind, state: string, source: string) => `${kind}|${state}|${source}`;
  const counts = new Map<string, number>();
  for (const kind of ELEMENT_KINDS) for (const state of ["down", "degraded"]) for (const source of ["localisation", "operator"]) counts.set(key(kind, state, source), 0);
  const marks = [...view.links.map((l) => ({ kind: "link" as ElementKind, e: l })), ...view.nodes.map((n) => ({ kind: n.kind as ElementKind, e: n }))];
  for (const { kind, e } of marks) {
    if (e.state === "up") continue;
    const k = key(kind, e.state, e.source ?? "localisation");
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, value]) => {
    const [kind, state, source] = k.split("|") as [string, string, string];
    return { labels: { kind, state, source }, value };
  });
}

/** What set a recompute off, from the type of the event that caused it. */
export function recomputeTrigger(causeType: string | undefined): "topology" | "liveliness" | "other" {
  if (causeType === "topology") return "topology";
  if (causeType === "overlay" || causeType === "localisation" || causeType === "path-state") return "liveliness";
  return "other";
}

export function createControllerMetrics(src: ControllerMetricsSources): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const events = new Counter({ name: "cairn_events_total", help: "Events the controller recorded (cairn events), by type.", labelNames: ["type"], registers: [registry] });
  for (const type of EVENT_TYPES) events.inc({ type }, 0);
  const pushes = new Counter({ name: "cairn_pushes_total", help: "Rule-set updates pushed to hosts' agents (one per host and version).", registers: [registry] });
  const acks = new Counter({ name: "cairn_push_acks_total", help: "Pushes acknowledged by their agent (the agent's datapath holds the version).", registers: [registry] });
  const ackLatency = new Histogram({ name: "cairn_push_ack_latency_seconds", help: "Time from a push to its acknowledgement by the agent.", buckets: ACK_BUCKETS, registers: [registry] });
  const changeLatency = new Histogram({
    name: "cairn_change_ack_latency_seconds",
    help: "Time from the event that started a change (an agent's report of a failed path, an intents or topology change) to an agent's acknowledgement of the push it caused.",
    buckets: ACK_BUCKETS,
    registers: [registry],
  });
  const recompute = new Histogram({
    name: "cairn_recompute_duration_seconds",
    help: "Time the controller took to recompute rules' paths, by what set it off: an intents apply (the whole apply), a topology change, liveliness (a fault localised or cleared), or other.",
    labelNames: ["trigger"],
    buckets: RECOMPUTE_BUCKETS,
    registers: [registry],
  });
  const recomputed = new Counter({ name: "cairn_rules_recomputed_total", help: "Host rules whose paths were recomputed.", registers: [registry] });
  const changed = new Counter({ name: "cairn_rules_changed_total", help: "Host rules whose paths a recompute changed.", registers: [registry] });

  const observe = (e: EventView) => {
    if (e.type === "lost") return;
    events.inc({ type: e.type });
    if (e.type === "push") pushes.inc();
    else if (e.type === "ack") {
      acks.inc();
      ackLatency.observe(e.sincePushMs / 1000);
      changeLatency.observe(e.sinceCauseMs / 1000);
    } else if (e.type === "intents") {
      if (!e.refused) recompute.observe({ trigger: "intents" }, e.durationMs / 1000);
    } else if (e.type === "recompute") {
      recompute.observe({ trigger: recomputeTrigger(src.events.get(e.cause)?.type) }, e.durationMs / 1000);
      recomputed.inc(e.rules.length);
      changed.inc(e.changed.length);
    }
  };
  const stop = src.events.observe(observe);

  collectedGauge(registry, { name: "cairn_connected_agents", help: "Hosts whose agent has an open subscription to this controller.", read: () => [{ labels: {}, value: src.connectedAgents() }] });
  collectedGauge(registry, { name: "cairn_hosts", help: "Hosts in the topology.", read: () => [{ labels: {}, value: src.hosts() }] });
  collectedGauge(registry, {
    name: "cairn_paths",
    help: "Probed paths by state, as the agents' latest reports tell.",
    labelNames: ["state"],
    read: () => Object.entries(pathStateCounts(src.reports())).map(([state, value]) => ({ labels: { state }, value })),
  });
  collectedGauge(registry, {
    name: "cairn_rules",
    help: "Host rules by state (installed, not-steered, waiting, error), as the agents' latest reports tell.",
    labelNames: ["state"],
    read: () => Object.entries(ruleStateCounts(src.reports())).map(([state, value]) => ({ labels: { state }, value })),
  });
  collectedGauge(registry, {
    name: "cairn_marked_elements",
    help: "Links, routers and hosts marked down or degraded (by fault localisation, or drained by an operator).",
    labelNames: ["kind", "state", "source"],
    read: () => markedElementSamples(src.links()),
  });
  collectedCounter(registry, {
    name: "cairn_requests_rejected_total",
    help: "Requests and connections refused before their work was done, by reason.",
    labelNames: ["reason"],
    read: () => REJECTION_REASONS.map((reason) => ({ labels: { reason }, value: src.rejections.get(reason) })),
  });

  return { registry, close: stop };
}
