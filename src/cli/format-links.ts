// `cairn get links` for people: every link, then every router and host, with its liveliness and the
// probed paths that speak for it. The JSON output carries the same, field for field.
import type { ElementHealthView, LinksView } from "../api/types.js";
import { formatDurationUs } from "../core/units.js";
import { renderTable } from "./table.js";
import { formatOverrides } from "./format-topology-change.js";

const COLUMNS = ["STATE", "SUSPECT", "CONFIDENCE", "SINCE", "DOWN", "DEGRADED", "UP", "REPORTED BY", "NOTE"];

export function formatLinksTable(v: LinksView): string {
  const lines = [
    renderTable(["LINK", ...COLUMNS], v.links.map((l) => [l.link, ...cells(l)])),
    "",
    renderTable(["NODE", "KIND", ...COLUMNS], v.nodes.map((n) => [n.node, n.kind, ...cells(n)])),
  ];
  if (v.unexplained.length > 0) {
    lines.push("", "failing paths no single link or node explains (each of their elements works on another path):");
    for (const p of v.unexplained) lines.push(`  ${p.host} ${p.routers.join(">")} ${p.state}`);
  }
  if (v.overrides && v.overrides.length > 0) lines.push("", "operator changes in force (cairn topology undrain / set-metric):", formatOverrides(v.overrides));
  if (v.topologyRevision) lines.push("", `topology revision ${v.topologyRevision}, intents revision ${v.intentsRevision ?? 0}`);
  lines.push("", `DOWN, DEGRADED, UP: probed paths crossing it in every host's latest report; marks clear after ${formatDurationUs(v.holdDownMs * 1000)} of healthy probes`);
  return lines.join("\n");
}

function cells(e: ElementHealthView): string[] {
  return [
    e.state,
    e.suspect ? (e.unique ? "yes (unique)" : "yes") : "-",
    e.suspect ? `${+(e.confidence * 100).toFixed(1)}%` : "-",
    e.since,
    String(e.downPaths),
    String(e.degradedPaths),
    String(e.upPaths),
    e.reportedBy.join(",") || "-",
    note(e),
  ];
}

function note(e: ElementHealthView): string {
  if (e.clearsAt) return `healthy again: clears at ${e.clearsAt}`;
  if (e.state === "up") return "";
  if (e.source === "operator") return "drained by the operator (cairn topology undrain clears it)";
  if (!e.suspect && e.downPaths + e.degradedPaths === 0) return `marked by ${e.source}; no probe crosses it yet`;
  return `marked by ${e.source}`;
}
