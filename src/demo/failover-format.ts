// The failover test's tables, one per fault, for people (and the README). Pure.
import { renderTable } from "../cli/table.js";
import type { Recovery } from "./failover-analysis.js";
import type { TrialResult } from "./failover-test.js";

const ms = (n: number | null) => (n === null ? "-" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const path = (p: string[]) => (p.length ? p.join(">") : "-");

function recovery(r: Recovery): string {
  if (r.kind === "no-loss") return "no loss";
  if (r.kind === "not-before-heal") return "not before heal";
  return `+${ms(r.afterMs)}`;
}

function controllerLine(r: TrialResult): string {
  const c = r.controller;
  if (c.firstReportMs === null) return "controller: no report of a failing path";
  const suspects = c.suspects.map((s) => `${s.id} ${s.state} ${Math.round(s.share * 100)}%`).join(", ");
  const parts = [`first report +${ms(c.firstReportMs)}`];
  parts.push(c.localisedMs === null ? "not localised" : `localised +${ms(c.localisedMs)} (${suspects})`);
  if (c.resteeredHosts.length === 0) parts.push("no host re-steered");
  else parts.push(c.resteeredMs === null ? `re-steer of ${c.resteeredHosts.join(", ")} not acknowledged` : `every affected host re-steered +${ms(c.resteeredMs)} (${c.resteeredHosts.join(", ")})`);
  if (c.restoredAfterHealMs !== null) parts.push(`original paths restored ${ms(c.restoredAfterHealMs)} after the heal`);
  return `controller: ${parts.join("; ")}`;
}

/** One fault: a title, the controller's timeline, and a row per flow. */
export function formatTrial(r: TrialResult): string {
  const header = ["FLOW", "OUTAGE", "LOST", "RECOVERED", "LOST AFTER HEAL", "PATH BEFORE", "DURING FAULT", "AFTER HEAL"];
  const rows = r.flows.map((f) => [f.label, ms(f.outageMs), `${f.lost}/${f.sent}`, recovery(f.recovery), String(f.lostAfterHeal), path(f.pathBefore), path(f.pathDuring), path(f.pathAfter)]);
  const t = r.times;
  const title = `${r.fault.title} (took effect ${ms(t.onsetAt - t.faultAt)} into an injection of ${ms(t.faultInPlaceAt - t.faultAt)}; held ${ms(t.healAt - t.faultAt)})`;
  return [title, controllerLine(r), renderTable(header, rows)].join("\n");
}

export const FAILOVER_LEGEND = `OUTAGE: the longest gap between received sequence numbers (by their send times).
LOST: datagrams that never arrived, of those sent. LOST AFTER HEAL: of those sent after the heal began.
RECOVERED: when the flow stopped losing datagrams, counted from the fault's first loss in any flow
(the send time of the first datagram to arrive after the flow's last loss during the fault): the
host's own failover with liveliness on, the controller's re-steer with it off, the IGP's
reconvergence for the unsteered flow. The controller's times count from the same moment.
PATHS: the routers that counted the flow's own packets (nftables, by port and incoming interface)
before the fault, in the last 1.5 s of the fault, and in the last 1.5 s of the stream.`;
