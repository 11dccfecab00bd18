// Human-readable summary of `cairn apply` (`cairn get paths`: format-paths.ts).
import type { ApplySummary } from "../api/types.js";

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
