// `cairn events` for people: one line per event, its time, number, type and what happened; the
// event that caused it and how long it took where that applies.
import type { EventView } from "../api/types.js";

export function formatEvent(e: EventView): string {
  const took = e.durationMs > 0 ? ` in ${formatMs(e.durationMs)}` : "";
  const after = e.cause > 0 ? ` (after #${e.cause})` : "";
  const seq = e.seq > 0 ? `#${e.seq}` : "-";
  return `${e.at}  ${seq.padEnd(6)}  ${e.type.padEnd(12)}  ${eventDetail(e)}${took}${after}`;
}

export function eventDetail(e: EventView): string {
  switch (e.type) {
    case "path-state":
      return `${e.host} ${e.routers.join(">")} ${e.previous || "new"} -> ${e.state}${e.rules.length ? ` (${e.rules.join(", ")})` : " (watch probe)"}`;
    case "localisation": {
      const list = (state: "down" | "degraded") =>
        e.suspects.filter((s) => s.state === state).map((s) => `${s.kind} ${s.id} ${+(s.confidence * 100).toFixed(1)}%${s.unique ? " unique" : ""}`);
      const parts = [
        ...(list("down").length ? [`down: ${list("down").join(", ")}`] : []),
        ...(list("degraded").length ? [`degraded: ${list("degraded").join(", ")}`] : []),
      ];
      const unexplained = e.unexplainedPaths > 0 ? `, ${e.unexplainedPaths} unexplained` : "";
      return `${parts.join("; ") || "no suspects"} (${e.downPaths} down, ${e.degradedPaths} degraded paths${unexplained}${e.exact ? "" : "; greedy"})`;
    }
    case "overlay":
      return `${e.kind} ${e.id} ${e.previous} -> ${e.state}: ${e.reason}`;
    case "recompute": {
      const shown = e.rules.slice(0, 8).map((r) => `${r.host}/${r.rule}`).join(", ");
      return `${e.rules.length} rule${e.rules.length === 1 ? "" : "s"} (${shown}${e.rules.length > 8 ? ", …" : ""}), ${e.changed.length} changed${revisions(e)}`;
    }
    case "push":
      return `${e.host} v${e.version}${revisions(e)}: ${e.upserts} upserts, ${e.removals} removals${e.watch ? ", watch probes replaced" : ""}`;
    case "ack":
      return `${e.host} applied v${e.version} (push #${e.pushSeq}): ${formatMs(e.sincePushMs)} after the push, ${formatMs(e.sinceCauseMs)} after #${e.rootCause}`;
    case "intents": {
      const what = `added [${e.added.join(", ")}], changed [${e.changed.join(", ")}], removed [${e.removed.join(", ")}]`;
      const by = e.by ? ` by ${e.by}` : "";
      if (e.refused) return `REFUSED from ${e.source || "(request)"}${by} (based on r${e.baseRevision}, at r${e.revision}): ${e.reason}`;
      return `r${e.previousRevision} -> r${e.revision} from ${e.source || "(request)"}${by}: ${what}${e.topologyRevision ? ` (topology t${e.topologyRevision})` : ""}`;
    }
    case "topology": {
      const by = e.by ? ` by ${e.by}` : "";
      if (e.refused) return `REFUSED${by} (based on t${e.baseRevision}, at t${e.revision}): ${e.reason}`;
      const what = e.changes.join("; ");
      if (e.revision === e.previousRevision) return `no change (t${e.revision})${by}: ${what}`;
      return `t${e.previousRevision} -> t${e.revision}${by}: ${what}${e.fullRecompute ? " (full recompute)" : ""}`;
    }
    case "lost":
      return `${e.count} events not shown: this watcher fell behind the controller's ring`;
  }
}

/** " at t3/i2": the topology and intents revisions an event names, when it names them. */
function revisions(e: { topologyRevision?: number; intentsRevision?: number }): string {
  return e.topologyRevision || e.intentsRevision ? ` at t${e.topologyRevision ?? 0}/i${e.intentsRevision ?? 0}` : "";
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(3)} s` : `${+ms.toFixed(3)} ms`;
}
