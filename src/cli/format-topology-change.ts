// What `cairn topology drain|undrain|set-metric` did, and `cairn topology revision`, for people.
import type { TopologyChangeResultView, TopologyOverrideView } from "../api/types.js";
import { renderTable } from "./table.js";

export function formatTopologyChange(r: TopologyChangeResultView): string {
  const lines = r.changes.map((c) => `  ${c}`);
  if (r.revision === r.previousRevision) return [`no change: already in force (topology revision ${r.revision}, intents revision ${r.intentsRevision})`, ...lines].join("\n");
  lines.unshift(`topology revision ${r.previousRevision} -> ${r.revision} (intents revision ${r.intentsRevision}):`);
  lines.push(
    `recomputed ${r.rulesRecomputed} rule${r.rulesRecomputed === 1 ? "" : "s"}${r.fullRecompute ? " (every pair: a metric made better or an IGP change)" : ""}, ${r.rulesChanged} changed; ` +
      (r.hostsPushed.length ? `pushed to ${r.hostsPushed.map((h) => `${h.host} v${h.version}`).join(", ")}` : "no host's rules changed"),
  );
  return lines.join("\n");
}

export function formatTopologyRevision(v: { topologyRevision: number; intentsRevision: number; overrides: TopologyOverrideView[] }): string {
  const head = `topology revision ${v.topologyRevision}, intents revision ${v.intentsRevision}`;
  if (v.overrides.length === 0) return `${head}\nno operator changes in force: the topology is the controller's file (liveliness marks: cairn get links)`;
  return [head, "", formatOverrides(v.overrides)].join("\n");
}

/** The operator's changes in force, one row each. */
export function formatOverrides(o: readonly TopologyOverrideView[]): string {
  return renderTable(
    ["ELEMENT", "CHANGE", "SOURCE", "REVISION", "BY", "AT", "REASON"],
    o.map((x) => [`${x.kind} ${x.id}`, x.change, x.source, String(x.revision), x.by || "-", x.at || "-", x.reason || "-"]),
  );
}
