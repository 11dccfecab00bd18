// The agent's Prometheus metrics. Packet and byte counts are the datapath's own per-rule counters
// (the kernel's maps, summed over CPUs), read at each scrape through the agent's status, the same
// numbers the agent reports to the controller; probe round trips, failovers, applied versions and
// connections are counted as they happen (AgentObserver). Labels name rules and paths: an agent has
// at most its datapath's rules (--max-rules) and paths, so they stay bounded.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { PATH_STATES } from "../core/elements.js";
import { RULE_STATES } from "../api/types.js";
import { collectedCounter, collectedGauge, type Sample } from "../metrics/collected.js";
import type { ActivePathRole, AgentObserver, AgentStatus } from "./agent.js";
import type { LinkState } from "./controller-link.js";
import { pathLabels } from "./path-labels.js";

/** Round trips over a lab's veths (tens of µs) up to a path a continent long. */
const RTT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const SEVERITY: Record<string, number> = { unknown: 0, up: 1, degraded: 2, down: 3 };

export interface PathSample {
  path: string;
  state: string;
  loss: number;
  sent: number;
  received: number;
}

/** One entry per path label: the two streams of a dual-stack path as one, with the worse state and both streams' probes. */
export function pathSamples(status: Pick<AgentStatus, "paths">): PathSample[] {
  const labels = pathLabels(status.paths);
  const out = new Map<string, PathSample>();
  for (const p of status.paths) {
    const path = labels.get(p.key) ?? p.key;
    const seen = out.get(path);
    if (!seen) {
      out.set(path, { path, state: p.state, loss: p.loss, sent: p.sent, received: p.received });
      continue;
    }
    out.set(path, {
      path,
      state: SEVERITY[p.state]! > SEVERITY[seen.state]! ? p.state : seen.state,
      loss: Math.max(seen.loss, p.loss),
      sent: seen.sent + p.sent,
      received: seen.received + p.received,
    });
  }
  return [...out.values()];
}

type RuleLabel = "rule" | "intent";
const ruleLabels = (r: { key: string; intent: string }) => ({ rule: r.key, intent: r.intent });

export class AgentMetrics implements AgentObserver {
  readonly registry = new Registry();
  private readonly rtt: Histogram<"path">;
  private readonly failovers: Counter;
  private readonly failbacks: Counter;
  private readonly applied: Counter;
  private readonly connects: Counter;

  /** `status`: the agent's status now; null before the agent exists. */
  constructor(readStatus: () => AgentStatus | null) {
    const r = this.registry;
    // Read once per scrape (every metric below reads it, and it reads the kernel's maps): kept until the event loop turns.
    let cached: AgentStatus | null | undefined;
    const status = () => {
      if (cached === undefined) {
        cached = readStatus();
        setImmediate(() => (cached = undefined));
      }
      return cached;
    };
    collectDefaultMetrics({ register: r });
    const rules = () => status()?.rules ?? [];
    const perRule = (value: (x: AgentStatus["rules"][number]) => number) => (): Sample<RuleLabel>[] => rules().map((x) => ({ labels: ruleLabels(x), value: value(x) }));

    collectedCounter(r, { name: "cairn_rule_packets_total", help: "Packets the datapath steered for the rule (the kernel's counter).", labelNames: ["rule", "intent"], read: perRule((x) => x.packets) });
    collectedCounter(r, { name: "cairn_rule_bytes_total", help: "Bytes of the packets the datapath steered for the rule, before the SRH was added (the kernel's counter).", labelNames: ["rule", "intent"], read: perRule((x) => x.bytes) });
    collectedCounter(r, { name: "cairn_rule_backup_packets_total", help: "Of the rule's steered packets, those the kernel sent on the backup path.", labelNames: ["rule", "intent"], read: perRule((x) => x.backupPackets) });
    collectedCounter(r, {
      name: "cairn_rule_unsteered_packets_total",
      help: "Packets that matched the rule but had no usable path: sent without an SRH (outcome sent, onFailure open) or dropped (outcome dropped, onFailure closed).",
      labelNames: ["rule", "intent", "outcome"],
      read: () =>
        rules().flatMap((x) => [
          { labels: { ...ruleLabels(x), outcome: "sent" }, value: x.unsteeredPackets },
          { labels: { ...ruleLabels(x), outcome: "dropped" }, value: x.droppedPackets },
        ]),
    });
    collectedGauge(r, {
      name: "cairn_rule_active_path",
      help: "1 for the path the rule's packets take now (primary, backup, or none: unsteered or waiting), 0 for the others.",
      labelNames: ["rule", "intent", "path"],
      read: () => rules().flatMap((x) => (["primary", "backup", "none"] as const).map((path) => ({ labels: { ...ruleLabels(x), path }, value: x.active === path ? 1 : 0 }))),
    });
    collectedGauge(r, {
      name: "cairn_rules",
      help: "The host's rules by state (installed, not-steered, waiting, error).",
      labelNames: ["state"],
      read: () => RULE_STATES.map((state) => ({ labels: { state }, value: rules().filter((x) => x.state === state).length })),
    });
    collectedCounter(r, {
      name: "cairn_datapath_events_total",
      help: "Datapath-wide events the kernel counted, by name (e.g. packets too big for the path's MTU).",
      labelNames: ["event"],
      read: () => Object.entries(status()?.events ?? {}).map(([event, value]) => ({ labels: { event }, value })),
    });

    const paths = () => {
      const s = status();
      return s ? pathSamples(s) : [];
    };
    collectedGauge(r, {
      name: "cairn_path_state",
      help: "1 for the probed path's state now (unknown, up, degraded, down), 0 for the others.",
      labelNames: ["path", "state"],
      read: () => paths().flatMap((p) => PATH_STATES.map((state) => ({ labels: { path: p.path, state }, value: p.state === state ? 1 : 0 }))),
    });
    collectedGauge(r, { name: "cairn_path_loss_ratio", help: "Share of the probes of the last second that did not come back.", labelNames: ["path"], read: () => paths().map((p) => ({ labels: { path: p.path }, value: p.loss })) });
    collectedCounter(r, { name: "cairn_probes_sent_total", help: "Probes sent over the path since its probing started.", labelNames: ["path"], read: () => paths().map((p) => ({ labels: { path: p.path }, value: p.sent })) });
    collectedCounter(r, { name: "cairn_probes_received_total", help: "Probes that came back over the path since its probing started.", labelNames: ["path"], read: () => paths().map((p) => ({ labels: { path: p.path }, value: p.received })) });
    this.rtt = new Histogram({ name: "cairn_probe_rtt_seconds", help: "Round-trip time of each probe that came back, by path.", labelNames: ["path"], buckets: RTT_BUCKETS, registers: [r] });

    this.failovers = new Counter({ name: "cairn_failovers_total", help: "Times a rule's packets moved from its primary path to its backup.", registers: [r] });
    this.failbacks = new Counter({ name: "cairn_failbacks_total", help: "Times a rule's packets moved from its backup path back to its primary.", registers: [r] });
    this.applied = new Counter({ name: "cairn_updates_applied_total", help: "New versions of the host's rules from the controller that the datapath took.", registers: [r] });
    collectedGauge(r, { name: "cairn_applied_version", help: "Version of the host's rule set the datapath holds (0: none).", read: () => [{ labels: {}, value: status()?.appliedVersion ?? 0 }] });
    collectedGauge(r, { name: "cairn_synced", help: "1 when connected and the datapath holds the controller's latest version with no rule in error.", read: () => [{ labels: {}, value: status()?.synced ? 1 : 0 }] });
    collectedGauge(r, { name: "cairn_controller_connected", help: "1 while the agent's session with the controller is open.", read: () => [{ labels: {}, value: status()?.connected ? 1 : 0 }] });
    this.connects = new Counter({ name: "cairn_controller_connects_total", help: "Times the agent's session with the controller opened (the first time and every reconnection).", registers: [r] });
    collectedCounter(r, {
      name: "cairn_tcp_retransmits_total",
      help: "This host's TCP retransmissions the agent read (seen), those on a probed path (matched), and probes they set off (probes); absent when not watched.",
      labelNames: ["kind"],
      read: () => {
        const c = status()?.retransmits;
        return c ? (["seen", "matched", "lost", "probes"] as const).map((kind) => ({ labels: { kind }, value: c[kind] })) : [];
      },
    });
  }

  probeReturned(path: string, rttUs: number): void {
    this.rtt.observe({ path }, rttUs / 1e6);
  }

  ruleMoved(_rule: string, from: ActivePathRole, to: ActivePathRole): void {
    if (from === "primary" && to === "backup") this.failovers.inc();
    else if (from === "backup" && to === "primary") this.failbacks.inc();
  }

  versionApplied(): void {
    this.applied.inc();
  }

  linkState(state: LinkState): void {
    if (state === "connected") this.connects.inc();
  }
}
