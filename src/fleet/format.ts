// The fleet simulator's table, in the style of the README's benchmarks.
import type { FleetResult } from "./run.js";

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const kib = (b: number) => (b >= 1024 * 1024 ? mib(b) : `${(b / 1024).toFixed(1)} KiB`);
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

export function formatFleet(r: FleetResult): string {
  const c = r.controller;
  const lines = [
    `fleet: ${r.graph} (${r.routers} routers, ${r.links} links), ${r.hosts} hosts, ${r.rules} rules in ${r.intents} intents, ${r.workers} worker processes${r.reportsAs === "calls" ? " (reports as a call each)" : ""}${r.replicas > 1 ? `, the controller as ${r.replicas} replicas on etcd (figures: ${r.takeoverMs !== undefined ? "the second replica's" : "the leader's"})` : ""}`,
    ...(r.takeoverMs !== undefined ? [`  leader killed (SIGKILL) 20 ms after the link failure: the next took over ${r.takeoverMs} ms after the kill`] : []),
    `  agents on a stale version after the last event: ${r.staleAgents}`,
    `  credentials: ${r.credentials.issued > 0 ? `${r.credentials.issued} agent certificates issued in ${(r.credentials.issuedMs / 1000).toFixed(1)} s` : "cached"}`,
    `  controller start (every path computed):  ${(r.controllerStartMs / 1000).toFixed(2)} s`,
    `  initial sync: all ${r.initialSync.synced} agents acknowledged in ${(r.initialSync.ms / 1000).toFixed(2)} s` +
      ` (per agent p50 ${ms(r.initialSync.toAck.p50)} ms, p99 ${ms(r.initialSync.toAck.p99)} ms); snapshots ${kib(r.initialSync.bytes)}; ${r.initialSync.errors} agent errors`,
    `  controller RSS: ${mib(c.emptyRssBytes)} before agents, ${mib(c.restRssBytes)} at rest with ${r.hosts} (${kib(c.rssPerAgentBytes)} per agent)`,
    `  controller CPU: ${(c.syncCpuMs / 1000).toFixed(1)} s for the sync (${ms(c.cpuPerAgentMs)} ms per agent); ${(c.idleCpuShare * 100).toFixed(1)}% of a core idle with every agent connected`,
    `  full recompute of every (host, intent) pair: ${r.fullRecomputeMs === null ? "skipped" : `${ms(r.fullRecomputeMs)} ms`}`,
    "",
    `  ${"EVENT".padEnd(16)} ${"ELEMENT".padEnd(34)} ${"CROSSING".padStart(8)} ${"AFFECTED".padStart(8)} ${"ACK P50".padStart(8)} ${"P99".padStart(8)} ${"MAX".padStart(8)} ${"RECOMPUTE".padStart(9)} ${"LOCALISE".padStart(8)} ${"CPU".padStart(8)} ${"AGENTS".padStart(8)} ${"BYTES".padStart(10)}`,
  ];
  for (const e of r.events) {
    lines.push(
      `  ${e.name.padEnd(16)} ${e.element.slice(0, 34).padEnd(34)} ${String(e.hostsCrossing).padStart(8)} ${String(e.affectedHosts).padStart(8)} ` +
        `${ms(e.toAck.p50).padStart(8)} ${ms(e.toAck.p99).padStart(8)} ${ms(e.toAck.max).padStart(8)} ${ms(e.recomputeMs).padStart(9)} ${ms(e.localiseMs).padStart(8)} ${ms(e.controllerCpuMs).padStart(8)} ${ms(e.agentsCpuMs).padStart(8)} ${kib(e.bytes).padStart(10)}`,
    );
  }
  lines.push(
    "",
    "  CROSSING: hosts whose primaries crossed the element; AFFECTED: hosts that got an update; ACK: ms from the event to each",
    "  affected agent's acknowledgement (repairs include the hold-down); RECOMPUTE, LOCALISE: the controller's own times (ms,",
    "  from its events); CPU: the controller's CPU ms for the event; AGENTS: the simulated agents' (all worker processes),",
    "  on the same cores; BYTES: update messages the affected agents received.",
  );
  if (r.errors.length > 0) lines.push("", `  agent errors (first ${r.errors.length}):`, ...r.errors.map((e) => `    ${e}`));
  return lines.join("\n");
}
