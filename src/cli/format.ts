// Human-readable output of `cairn apply` and `cairn apply --dry-run` (`cairn get paths`: format-paths.ts).
import type { ApplyResultView, HostRuleChangesView, IntentsDiffView, ValidateResultView } from "../api/types.js";

const named = (names: string[]) => (names.length ? ` (${names.join(", ")})` : "");

function intentLines(d: IntentsDiffView, removedVerb: string): string[] {
  const lines = [
    `intents: ${d.added.length} added${named(d.added)}, ${d.changed.length} changed${named(d.changed)}, ` +
      `${d.removed.length} removed${named(d.removed)}, ${d.unchanged.length} unchanged${d.reordered ? " (reordered)" : ""}`,
  ];
  if (d.removed.length > 0) lines.push(`${removedVerb} ${d.removed.length} intent${d.removed.length === 1 ? "" : "s"}: ${d.removed.join(", ")}`);
  return lines;
}

function ruleLine(h: HostRuleChangesView, version?: number): string {
  const parts = [
    ...(h.added.length ? [`added ${h.added.join(", ")}`] : []),
    ...(h.changed.length ? [`changed ${h.changed.join(", ")}`] : []),
    ...(h.removed.length ? [`removed ${h.removed.join(", ")}`] : []),
  ];
  return `  ${h.host}${version !== undefined ? ` (v${version})` : ""}: ${parts.join("; ")}`;
}

/** What `cairn apply` applied: the revisions, the intents by name, every changed host's rules. */
export function formatApplyResult(r: ApplyResultView, file: string): string {
  if (r.revision === r.previousRevision) return `${file}: no change; the controller already holds these intents (revision ${r.revision})`;
  const version = new Map(r.hostsPushed.map((h) => [h.host, h.version]));
  return [
    `applied ${file}: revision ${r.previousRevision} -> ${r.revision}`,
    ...intentLines(r, "removed"),
    r.hostRules.length ? "rules (pushed to the hosts' agents):" : "no host's rules changed",
    ...r.hostRules.map((h) => ruleLine(h, version.get(h.host))),
  ].join("\n");
}

/** What `cairn apply --dry-run` would apply, and how to apply exactly that. */
export function formatValidateResult(r: ValidateResultView, file: string): string {
  const changes = r.added.length + r.changed.length + r.removed.length > 0 || r.reordered;
  if (!changes) return `dry run of ${file}: no change against revision ${r.revision}; nothing applied`;
  return [
    `dry run of ${file} against revision ${r.revision}: nothing applied`,
    ...intentLines(r, "would remove"),
    r.hostRules.length ? "rules:" : "no host's rules would change",
    ...r.hostRules.map((h) => ruleLine(h)),
    `to apply exactly this: cairn apply -f ${file} --revision ${r.revision}`,
  ].join("\n");
}
