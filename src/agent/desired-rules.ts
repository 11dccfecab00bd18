// The rules the controller wants on this host: a snapshot, then deltas, per controller generation.
import type { HostRule } from "../core/assignments.js";
import type { PathUpdateView } from "../api/types.js";
import type { WatchProbe } from "../core/elements.js";

/** resumed: an empty delta at the version held (a replica resuming the stream without a snapshot). */
export type UpdateOutcome = "snapshot" | "delta" | "stale" | "resumed";

export class DesiredRules {
  private readonly byKey = new Map<string, HostRule>();
  private gen: string | null = null;
  private ver = 0n;
  private watchSet: WatchProbe[] = [];
  private revs = { topology: 0, intents: 0 };

  constructor(private readonly host: string) {}

  get generation(): string | null {
    return this.gen;
  }

  /** Version of the last update taken (0 = none yet). */
  get version(): bigint {
    return this.ver;
  }

  /** The controller's revisions named by the last update taken (0: none, or a controller that sends none). */
  get revisions(): { topology: number; intents: number } {
    return { ...this.revs };
  }

  /** True once a snapshot arrived: until then the agent leaves the datapath as it found it. */
  get known(): boolean {
    return this.gen !== null;
  }

  /**
   * Takes one update. Throws (the caller resubscribes) for another host's update or for a delta
   * without its snapshot; ignores a delta older than what it has.
   */
  take(u: PathUpdateView): UpdateOutcome {
    if (u.host !== this.host) throw new Error(`controller sent an update for host "${u.host}", expected "${this.host}"`);
    if (u.full) {
      this.byKey.clear();
      for (const r of u.upserts) this.byKey.set(r.key, r);
      this.gen = u.generation;
      this.ver = u.version;
      this.watchSet = u.watch ?? [];
      this.revs = { topology: u.topologyRevision, intents: u.intentsRevision };
      return "snapshot";
    }
    if (this.gen === null || u.generation !== this.gen) throw new Error(`delta for generation ${u.generation} without its snapshot; resubscribing`);
    if (u.version === this.ver && u.upserts.length === 0 && u.removedKeys.length === 0 && u.watch === undefined) return "resumed";
    if (u.version <= this.ver) return "stale";
    for (const k of u.removedKeys) this.byKey.delete(k);
    for (const r of u.upserts) this.byKey.set(r.key, r);
    if (u.watch !== undefined) this.watchSet = u.watch;
    this.ver = u.version;
    this.revs = { topology: u.topologyRevision, intents: u.intentsRevision };
    return "delta";
  }

  /** What Subscribe tells the controller this host holds (null before the first snapshot). */
  holds(): { generation: string; version: bigint } | null {
    return this.gen === null ? null : { generation: this.gen, version: this.ver };
  }

  /** Paths no rule uses that the controller wants probed (elements under watch). */
  watch(): WatchProbe[] {
    return [...this.watchSet];
  }

  /** In priority order. */
  rules(): HostRule[] {
    return [...this.byKey.values()].sort((a, b) => a.priority - b.priority || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
