// The evidence localisation works from: every host's probed paths from its latest report, if that
// report is fresh. A path's "since" is moved onto the controller's clock by the report's own offset
// (its reportedAt minus the path's since, both on the agent's clock), so hosts' clocks need not agree.
import { probedElements } from "../core/elements.js";
import type { ProbedPath } from "../core/overlay.js";
import type { ReceivedReportView } from "../api/types.js";

/** Reports older than this are no evidence (an agent reports every 2 s by default). */
export const DEFAULT_STALE_AFTER_MS = 10_000;

export function probedPaths(reports: readonly ReceivedReportView[], nowMs: number, staleAfterMs = DEFAULT_STALE_AFTER_MS): ProbedPath[] {
  const out: ProbedPath[] = [];
  for (const r of reports) {
    const receivedMs = Date.parse(r.receivedAt);
    if (nowMs - receivedMs > staleAfterMs) continue;
    const reportedMs = Date.parse(r.reportedAt);
    for (const p of r.paths ?? []) {
      out.push({
        id: pathId(r.host, p.probeSids),
        host: r.host,
        state: p.state,
        elements: probedElements(r.host, p.routers, p.links),
        probeSids: p.probeSids,
        routers: p.routers,
        links: p.links,
        sinceMs: receivedMs - Math.max(0, reportedMs - Date.parse(p.since)),
      });
    }
  }
  return out;
}

/** A probe stream's identity across reports: its host and its SIDs. */
export function pathId(host: string, probeSids: readonly string[]): string {
  return `${host} ${probeSids.join(",")}`;
}

/** When the next of these reports with paths goes stale (is older than staleAfterMs); null when none will. */
export function nextStaleMs(reports: readonly ReceivedReportView[], nowMs: number, staleAfterMs = DEFAULT_STALE_AFTER_MS): number | null {
  const due = reports
    .filter((r) => (r.paths ?? []).length > 0)
    .map((r) => Date.parse(r.receivedAt) + staleAfterMs + 1)
    .filter((t) => t > nowMs);
  return due.length > 0 ? Math.min(...due) : null;
}
