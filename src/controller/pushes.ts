// Pushes and their acknowledgements: every published host delta becomes a push event, and the
// host's next report naming a rule-set version at or past it (under this controller's generation)
// acknowledges it, with the time since the push and since the event that caused it.
import type { HostDelta } from "./state.js";
import type { Clock } from "./clock.js";
import type { EventLog } from "./events.js";

/** Unacknowledged pushes kept per host (an agent that is away does not make the controller hold more). */
export const MAX_PENDING_PUSHES = 64;

interface Pending {
  version: number;
  pushSeq: number;
  pushedAtMs: number;
  causeAtMs: number;
}

export class PushTracker {
  private readonly pending = new Map<string, Pending[]>();

  constructor(
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly generation: string,
  ) {}

  /** Records one push event per delta, caused by event `cause` (0: none). */
  pushed(deltas: readonly HostDelta[], cause: number): void {
    const now = this.clock.now();
    const causeAt = this.events.get(cause);
    for (const d of deltas) {
      const e = this.events.record({
        type: "push",
        cause,
        host: d.host,
        version: Number(d.version),
        upserts: d.upserts.length,
        removals: d.removed.length,
        watch: d.watch !== undefined,
      });
      const list = this.pending.get(d.host) ?? [];
      list.push({ version: Number(d.version), pushSeq: e.seq, pushedAtMs: now, causeAtMs: causeAt ? Date.parse(causeAt.at) : now });
      this.pending.set(d.host, list.slice(-MAX_PENDING_PUSHES));
    }
  }

  /** A report from `host`: acknowledges the pushes up to its applied version, if it speaks of this generation. */
  reported(host: string, generation: string, appliedVersion: number): void {
    if (generation !== this.generation) return;
    const list = this.pending.get(host);
    if (!list) return;
    const now = this.clock.now();
    const acked = list.filter((p) => p.version <= appliedVersion);
    for (const p of acked) {
      this.events.record({
        type: "ack",
        cause: p.pushSeq,
        host,
        version: p.version,
        pushSeq: p.pushSeq,
        sincePushMs: now - p.pushedAtMs,
        sinceCauseMs: now - p.causeAtMs,
      });
    }
    const left = list.filter((p) => p.version > appliedVersion);
    if (left.length > 0) this.pending.set(host, left);
    else this.pending.delete(host);
  }
}
