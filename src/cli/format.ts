// Human-readable views of the controller's answers for `cairn get paths` and `cairn apply`.
import { PROTOCOL_NUMBERS } from "../core/model.js";
import type { ApplySummary, PathsView } from "../api/types.js";
import { renderTable } from "./table.js";

const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOL_NUMBERS).map(([name, n]) => [n, name]));

function destination(r: { prefix: string; protocol: number; portFrom: number; portTo: number }): string {
  const parts = [r.prefix];
  const anyPort = r.portFrom === 0 && r.portTo === 65535;
  if (r.protocol !== 0 || !anyPort) {
    const proto = r.protocol === 0 ? "any" : (PROTOCOL_NAMES.get(r.protocol) ?? `proto-${r.protocol}`);
    parts.push(anyPort ? proto : `${proto}/${r.portFrom === r.portTo ? r.portFrom : `${r.portFrom}-${r.portTo}`}`);
  }
  return parts.join(" ");
}

/** Human table of `cairn get paths`: one line per rule, then the agents. */
export function formatPathsTable(paths: PathsView): string {
  const rows: string[][] = [];
  for (const h of paths.hosts) {
    for (const r of h.rules) {
      rows.push([
        h.host,
        r.intent,
        r.app ?? "*",
        destination(r),
        r.result.ok ? "ok" : `infeasible: ${r.result.reason}`,
        r.result.ok ? r.result.path.nodes.join(">") : "-",
        r.result.ok ? r.result.path.segments.map((s) => s.sid).join(",") || "(direct)" : "-",
        r.result.ok && r.result.backup ? r.result.backup.nodes.join(">") : "-",
      ]);
    }
  }
  const out: string[] = [];
  out.push(
    rows.length > 0
      ? renderTable(["HOST", "INTENT", "APP", "DESTINATION", "STATUS", "PATH", "SEGMENTS", "BACKUP"], rows)
      : "no rules (no intents apply to any host)",
  );
  const byHost = new Map<string, string[]>();
  for (const a of paths.agents) {
    const list = byHost.get(a.host) ?? [];
    list.push(`${a.peer} v${a.lastSentVersion}`);
    byHost.set(a.host, list);
  }
  out.push("");
  out.push(
    renderTable(
      ["HOST", "VERSION", "AGENT"],
      paths.hosts.map((h) => [h.host, `v${h.version}`, byHost.get(h.host)?.join(", ") ?? "not connected"]),
    ),
  );
  return out.join("\n");
}

/** One-paragraph summary of ApplyIntents for the CLI. */
export function formatApplySummary(s: ApplySummary): string {
  const list = (names: string[]) => (names.length ? ` (${names.join(", ")})` : "");
  const lines = [
    `intents: ${s.added.length} added${list(s.added)}, ${s.changed.length} changed${list(s.changed)}, ` +
      `${s.removed.length} removed${list(s.removed)}, ${s.unchanged.length} unchanged`,
    s.hostsPushed.length
      ? `pushed to ${s.hostsPushed.map((h) => `${h.host} (v${h.version}: ${h.upserts} upserts, ${h.removals} removals)`).join(", ")}`
      : "no host's rules changed",
  ];
  return lines.join("\n");
}
