// Pushes and their acknowledgements: every published host delta becomes a push event, and the
// host's next report naming a rule-set version at or past it (under this controller's generation)
// acknowledges it, with the time since the push and since the event that started the chain (the
// push's cause, its cause, … : the report of a failed path, an intents change).
import type { HostDelta } from "./state.js";
import type { Clock } from "./clock.js";
import type { EventLog } from "./events.js";

/** Unacknowledged pushes kept per host (an agent that is away does not make the controller hold more). */
export const MAX_PENDING_PUSHES = 64;

interface Pending {
  version: number;
  pushSeq: number;
  pushedAtMs: number;
  rootSeq: number;
  rootAtMs: number;
}

/** Causes followed back at most (a chain is a handful: report, localisation, recompute, push). */
const MAX_CAUSE_DEPTH = 16;

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
    const root = this.rootOf(cause);
    for (const d of deltas) {
      const e = this.events.record({
        type: "push",
        cause,
        host: d.host,
        version: Number(d.version),
        upserts: d.upserts.length,
        removals: d.removed.length,
        watch: d.watch !== undefined,
        ...(d.topologyRevision !== undefined ? { topologyRevision: d.topologyRevision, intentsRevision: d.intentsRevision ?? 0 } : {}),
      });
      const list = this.pending.get(d.host) ?? [];
      list.push({ version: Number(d.version), pushSeq: e.seq, pushedAtMs: now, rootSeq: root?.seq ?? e.seq, rootAtMs: root ? Date.parse(root.at) : now });
      this.pending.set(d.host, list.slice(-MAX_PENDING_PUSHES));
    }
  }

  /** The first event of `seq`'s chain of causes that the ring still holds; undefined for 0. */
  private rootOf(seq: number) {
    let e = this.events.get(seq);
    for (let i = 0; e && e.cause > 0 && i < MAX_CAUSE_DEPTH; i++) {
      const up = this.events.get(e.cause);
      if (!up) break;
      e = up;
    }
    return e;
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
        sinceCauseMs: now - p.rootAtMs,
        rootCause: p.rootSeq,
      });
    }
    const left = list.filter((p) => p.version > appliedVersion);
    if (left.length > 0) this.pending.set(host, left);
    else this.pending.delete(host);
  }
}
