// Agents' reports: checked against bounds at the edge, then the latest one per host kept in memory
// (one per topology host, so memory is bounded by the topology).
import type { AgentReportView, ReceivedReportView } from "../api/types.js";
import type { Topology } from "../core/model.js";
import { isPrefix, isRfc3339, pathReportProblem } from "./path-reports.js";

export const REPORT_LIMITS = {
  /** Rule reports beyond the host's current rule count: an agent may still hold a larger, older rule set. */
  extraRules: 64,
  /** Installed prefixes per rule (a DNS name's addresses). */
  prefixesPerRule: 64,
  keyChars: 128,
  reasonChars: 1024,
  generationChars: 128,
  dropReasons: 64,
  dropReasonChars: 64,
} as const;

/** Largest request body read for any method, checked before the body is read in full. A report at every
 *  limit for a host at the datapath's 1024 rules stays under it. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Why `report` is out of bounds for a host that holds `ruleCount` rules, or its probed paths do not fit
 *  `topology`; null when it is fine. */
export function reportProblem(report: AgentReportView, ruleCount: number, topology: Topology): string | null {
  const L = REPORT_LIMITS;
  const long = (what: string, s: string, max: number) => (s.length > max ? `${what} is ${s.length} characters long; at most ${max}` : null);
  const maxRules = ruleCount + L.extraRules;
  if (report.rules.length > maxRules) {
    return `${report.rules.length} rule reports, but the host has ${ruleCount} rules (at most ${maxRules} reports accepted)`;
  }
  const top =
    long("generation", report.generation, L.generationChars) ??
    (isRfc3339(report.reportedAt) ? null : `reportedAt "${report.reportedAt.slice(0, 40)}" is not an RFC 3339 time`);
  if (top) return top;
  const drops = Object.keys(report.datapathDrops);
  if (drops.length > L.dropReasons) return `${drops.length} datapath drop reasons; at most ${L.dropReasons}`;
  for (const why of drops) {
    const p = long(`datapath drop reason "${why.slice(0, 20)}…"`, why, L.dropReasonChars);
    if (p) return p;
  }
  const keys = new Set<string>();
  for (const [i, r] of report.rules.entries()) {
    const at = `rules[${i}]`;
    const p =
      long(`${at}.key`, r.key, L.keyChars) ??
      (r.key === "" ? `${at}.key is empty` : null) ??
      (keys.has(r.key) ? `${at}: rule ${r.key} is reported twice` : null) ??
      long(`${at}.reason`, r.reason, L.reasonChars) ??
      (r.prefixes.length > L.prefixesPerRule ? `${at} has ${r.prefixes.length} prefixes; at most ${L.prefixesPerRule}` : null);
    if (p) return p;
    keys.add(r.key);
    for (const [j, prefix] of r.prefixes.entries()) {
      if (!isPrefix(prefix)) return `${at}.prefixes[${j}]: "${prefix.slice(0, 50)}" is not an IP prefix`;
    }
  }
  return pathReportProblem(report.paths ?? [], topology);
}

export class ReportStore {
  private readonly latest = new Map<string, ReceivedReportView>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Keeps `report` as its host's latest, stamped with the time it arrived. */
  put(report: AgentReportView): ReceivedReportView {
    const received: ReceivedReportView = { ...report, receivedAt: this.now().toISOString() };
    this.latest.set(report.host, received);
    return received;
  }

  /** Keeps a report received elsewhere (another replica), with the time it arrived there. */
  set(report: ReceivedReportView): void {
    this.latest.set(report.host, report);
  }

  delete(host: string): void {
    this.latest.delete(host);
  }

  get(host: string): ReceivedReportView | undefined {
    return this.latest.get(host);
  }

  /** Every host's latest report. */
  all(): ReceivedReportView[] {
    return [...this.latest.values()];
  }
}
