// `cairn get paths` for people: per host, its rules (what they match, what the agent reports of them)
// and their targets (where they go, on which path). The JSON output carries everything.
import type { HostRule, RuleMatch, RuleTarget } from "../core/assignments.js";
import { PROTOCOL_NUMBERS } from "../core/model.js";
import { formatDurationUs, formatPercent } from "../core/units.js";
import type { AgentView, HostPathsView, PathHealthView, PathsView, ReceivedReportView, RuleReportView } from "../api/types.js";
import { renderTable } from "./table.js";

const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOL_NUMBERS).map(([name, n]) => [n, name]));
const RULE_HEADER = ["RULE", "INTENT", "MATCH", "ON FAILURE", "STATE", "ACTIVE", "STEERED", "NOT STEERED", "INSTALLED"];
const TARGET_HEADER = ["INTENT", "TARGET", "SEGMENTS", "PATH"];
const PROBED_HEADER = ["PROBED PATH", "STATE", "LOSS", "RTT AVG", "INTERVAL", "MISSES", "USED BY"];

export function formatPathsTable(paths: PathsView): string {
  const agents = new Map<string, AgentView[]>();
  for (const a of paths.agents) agents.set(a.host, [...(agents.get(a.host) ?? []), a]);
  if (paths.hosts.length === 0) return "no hosts";
  return paths.hosts.map((h) => formatHost(h, agents.get(h.host) ?? [], paths.generation)).join("\n\n");
}

function formatHost(h: HostPathsView, agents: AgentView[], generation: string): string {
  const lines = [hostLine(h, agents, generation)];
  const watch = h.watch.map((w) => `  watch probe ${w.routers.join(">")}: ${w.reason}`);
  const probed = h.report?.paths?.length ? ["", indent(renderTable(PROBED_HEADER, h.report.paths.map(probedRow)))] : [];
  if (h.rules.length === 0) return [...lines, "  no rules", ...probed, ...watch].join("\n");
  const reports = new Map((h.report?.rules ?? []).map((r) => [r.key, r]));
  lines.push(indent(renderTable(RULE_HEADER, h.rules.map((r) => ruleRow(r, h.report, reports.get(r.key))))));
  const reasons = h.rules.flatMap((r) => {
    const why = reports.get(r.key)?.reason;
    return why ? [`  ${r.key}: ${reports.get(r.key)!.state}: ${why}`] : [];
  });
  if (reasons.length > 0) lines.push(...reasons);
  lines.push("", indent(renderTable(TARGET_HEADER, targetRows(h.rules))));
  lines.push(...probed);
  if (watch.length > 0) lines.push("", ...watch);
  return lines.join("\n");
}

function hostLine(h: HostPathsView, agents: AgentView[], generation: string): string {
  const agent = agents.length > 0 ? `agent ${agents.map((a) => `${a.peer} (sent v${a.lastSentVersion})`).join(", ")}` : "agent not connected";
  const at = h.topologyRevision ? ` at topology t${h.topologyRevision}, intents i${h.intentsRevision}` : "";
  return `${h.host}: rules v${h.version}${at}; ${agent}; ${reportSummary(h, generation)}`;
}

function reportSummary(h: HostPathsView, generation: string): string {
  const r = h.report;
  if (!r) return "no report";
  const behind = r.generation !== generation ? ` of another controller run (${r.generation || "none"})` : r.appliedVersion < h.version ? ` of v${h.version}` : "";
  const drops = Object.entries(r.datapathDrops).filter(([, n]) => n > 0);
  const dropText = drops.length > 0 ? `datapath drops: ${drops.map(([why, n]) => `${why} ${n}`).join(", ")}` : "no datapath drops";
  const revisions = r.topologyRevision || r.intentsRevision ? ` (t${r.topologyRevision ?? 0}/i${r.intentsRevision ?? 0})` : "";
  return `report ${r.receivedAt}: applied v${r.appliedVersion}${revisions}${behind}, ${dropText}`;
}

function ruleRow(r: HostRule, report: ReceivedReportView | undefined, rr: RuleReportView | undefined): string[] {
  const row = [r.key, r.intent, matchText(r), r.onFailure];
  if (!report) return [...row, "-", "-", "-", "-", "-"];
  if (!rr) return [...row, "unreported", "-", "-", "-", "-"];
  return [...row, rr.state, rr.active, String(rr.steeredPackets), notSteered(rr), rr.prefixes.join(", ") || "-"];
}

/** Matched but not steered, saying which: sent unsteered (onFailure open) or dropped (closed). */
function notSteered(rr: RuleReportView): string {
  const parts = [
    ...(rr.unsteeredPackets > 0 ? [`${rr.unsteeredPackets} unsteered`] : []),
    ...(rr.droppedPackets > 0 ? [`${rr.droppedPackets} dropped`] : []),
  ];
  return parts.join(", ") || "0";
}

/** "app web, user 1001, from 10.1.0.0/16, tcp/443, to video.example.com"; "any process" alone matches everything. */
export function matchText(r: Pick<HostRule, "match" | "dns">): string {
  const m = r.match;
  const parts = [m.app !== undefined ? `app ${m.app}` : m.cgroup !== undefined ? `cgroup ${m.cgroup}` : "any process"];
  if (m.user !== undefined) parts.push(`user ${m.user}`);
  if (m.source !== undefined) parts.push(`from ${m.source}`);
  const pp = protocolAndPorts(m);
  if (pp) parts.push(pp);
  if (r.dns !== undefined) parts.push(`to ${r.dns}`);
  return parts.join(", ");
}

function protocolAndPorts(m: RuleMatch): string | null {
  const anyPort = m.portFrom === 0 && m.portTo === 65535;
  if (m.protocol === 0 && anyPort) return null;
  const proto = m.protocol === 0 ? "any" : (PROTOCOL_NAMES.get(m.protocol) ?? `proto-${m.protocol}`);
  return anyPort ? proto : `${proto}/${m.portFrom === m.portTo ? m.portFrom : `${m.portFrom}-${m.portTo}`}`;
}

/** One row per target; the rules of one intent (one per port range) share their targets, shown once. */
function targetRows(rules: HostRule[]): string[][] {
  const shown = new Map<string, string>();
  const rows: string[][] = [];
  for (const r of rules) {
    const targets = JSON.stringify(r.targets);
    if (shown.get(r.intent) === targets) continue;
    const label = shown.has(r.intent) ? r.key : r.intent;
    shown.set(r.intent, targets);
    if (r.targets.length === 0) rows.push([label, "-", "-", r.dns !== undefined ? `no candidate destination for ${r.dns}` : "no target"]);
    for (const t of r.targets) rows.push([label, t.prefix, ...pathCells(t)]);
  }
  return rows;
}

function pathCells(t: RuleTarget): [string, string] {
  if (!t.result.ok) return ["-", `no path: ${t.result.reason}`];
  const { path, backup } = t.result;
  const segments = path.segments.map((s) => s.sid).join(",") || "(direct)";
  return [segments, `${path.nodes.join(">")}${backup ? `, backup ${backup.nodes.join(">")}` : ""}`];
}

/** A path the agent probes, from its report: health, the interval and misses it is probed with, who uses it. */
function probedRow(p: PathHealthView): string[] {
  const path = p.routers.join(">") || p.probeSids.join(",");
  const rtt = p.rttAvgUs > 0 ? formatDurationUs(Math.round(p.rttAvgUs)) : "-";
  const uses = p.uses.map((u) => `${u.rule} ${u.role}`);
  const usedBy = [...new Set(uses)].join(", ") || "watch probe";
  return [path, p.state, formatPercent(p.loss), rtt, p.intervalMs ? formatDurationUs(p.intervalMs * 1000) : "-", p.misses ? String(p.misses) : "-", usedBy];
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
