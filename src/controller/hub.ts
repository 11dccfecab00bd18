// Subscription fan-out. Each subscriber has its own pending state; publishing
// never waits for a subscriber, so a slow agent delays only itself. Pending
// deltas are coalesced into one message when the subscriber is ready, and a
// subscriber too far behind is sent a fresh full snapshot instead.
import type { HostRule } from "../core/assignments.js";
import type { PathUpdateView } from "../api/types.js";
import type { HostDelta, HostSnapshot, Revisions } from "./state.js";

/** What a hub serves: the controller's state, or (replicas) its mirror of the store. */
export interface HubSource {
  readonly generation: string;
  /** Undefined while the host has no assignment yet (a replica before the leader's first write). */
  snapshot(host: string): HostSnapshot | undefined;
  /** The (topology, intents) revisions the served rules are at. */
  revisions(): Revisions;
}

/** What the agent says it holds when it subscribes: resumes without a snapshot when it is current. */
export interface AgentHolds {
  generation: string;
  version: bigint;
}

/** How long a subscriber that holds a version newer than this replica has seen waits for it to arrive. */
export const CATCH_UP_MS = 5_000;

export interface SubscriberInfo {
  id: number;
  host: string;
  agentVersion: string;
  peer: string;
  connectedAt: Date;
  /** Version last handed to the stream; 0n before the snapshot. */
  lastSentVersion: bigint;
}

export class HubClosedError extends Error {
  constructor() {
    super("controller is shutting down");
    this.name = "HubClosedError";
  }
}

/** Beyond this many pending deltas a subscriber gets a full snapshot instead. */
export const MAX_PENDING_DELTAS = 32;

class Subscriber {
  readonly info: SubscriberInfo;
  /** Send a snapshot of the current state next (initially, and after overflow). */
  needFull = true;
  pending: HostDelta[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  constructor(info: SubscriberInfo) {
    this.info = info;
  }

  push(d: HostDelta): void {
    if (this.needFull) {
      this.notify(); // a stream waiting for its host's first assignment
      return; // the snapshot taken at send time will include it
    }
    this.pending.push(d);
    if (this.pending.length > MAX_PENDING_DELTAS) {
      this.pending = [];
      this.needFull = true;
    }
    this.notify();
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves when there is something to send, the hub closes, or `signal` aborts. */
  async ready(signal: AbortSignal): Promise<void> {
    while (!this.needFull && this.pending.length === 0 && !this.closed && !signal.aborted) await this.nextNotice(signal);
  }

  /** Resolves at the next push or notify, or when `signal` aborts, or after `ms`. */
  nextNotice(signal: AbortSignal, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms !== undefined ? setTimeout(() => done(), ms) : null;
      const done = () => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}

/** Merges consecutive deltas of one host into one (later wins, for rules and for the watch set). */
export function coalesceDeltas(deltas: HostDelta[]): HostDelta {
  const last = deltas[deltas.length - 1];
  if (!last) throw new Error("coalesceDeltas: no deltas");
  const upserts = new Map<string, HostRule>();
  const removed = new Set<string>();
  for (const d of deltas) {
    for (const r of d.upserts) {
      upserts.set(r.key, r);
      removed.delete(r.key);
    }
    for (const k of d.removed) {
      upserts.delete(k);
      removed.add(k);
    }
  }
  const ordered = [...upserts.values()].sort((a, b) => a.priority - b.priority || a.key.localeCompare(b.key));
  const watch = deltas.reduce<HostDelta["watch"]>((w, d) => d.watch ?? w, undefined);
  const revisions = last.topologyRevision !== undefined ? { topologyRevision: last.topologyRevision, intentsRevision: last.intentsRevision ?? 0 } : {};
  return { host: last.host, version: last.version, upserts: ordered, removed: [...removed], ...(watch ? { watch } : {}), ...revisions };
}

export class SubscriptionHub {
  private readonly subs = new Set<Subscriber>();
  /** The same subscribers by host: a publish touches only the hosts of its deltas. */
  private readonly byHost = new Map<string, Set<Subscriber>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly state: HubSource) {}

  /** How many streams are open. */
  count(): number {
    return this.subs.size;
  }

  subscribers(): SubscriberInfo[] {
    return [...this.subs].map((s) => ({ ...s.info }));
  }

  publish(deltas: HostDelta[]): void {
    for (const d of deltas) for (const s of this.byHost.get(d.host) ?? []) s.push(d);
  }

  /** Ends every stream (they fail with HubClosedError). */
  close(): void {
    this.closed = true;
    for (const s of this.subs) {
      s.closed = true;
      s.notify();
    }
  }

  /**
   * The update stream of one agent: a full snapshot, then deltas. Ends when
   * `signal` aborts (client gone); throws HubClosedError when the hub closes.
   * `onOpen`/`onClose` bracket its registration. An agent that `holds` the current version of this
   * generation gets an empty delta at that version first instead of the snapshot (it resumes); one
   * that holds a newer version (a replica whose watch lags) waits for it, at most CATCH_UP_MS.
   */
  async *stream(
    host: string,
    meta: { agentVersion: string; peer: string; holds?: AgentHolds },
    signal: AbortSignal,
    hooks: { onOpen?: (i: SubscriberInfo) => void; onClose?: (i: SubscriberInfo) => void } = {},
  ): AsyncGenerator<PathUpdateView> {
    if (this.closed) throw new HubClosedError();
    const sub = new Subscriber({
      id: this.nextId++,
      host,
      agentVersion: meta.agentVersion,
      peer: meta.peer,
      connectedAt: new Date(),
      lastSentVersion: 0n,
    });
    this.subs.add(sub);
    let mine = this.byHost.get(host);
    if (!mine) this.byHost.set(host, (mine = new Set()));
    mine.add(sub);
    hooks.onOpen?.({ ...sub.info });
    try {
      const holds = meta.holds && meta.holds.generation === this.state.generation && meta.holds.version > 0n ? meta.holds : null;
      if (holds) {
        const until = Date.now() + CATCH_UP_MS;
        let snap = this.state.snapshot(host);
        while ((!snap || snap.version < holds.version) && Date.now() < until && !signal.aborted && !sub.closed) {
          await sub.nextNotice(signal, until - Date.now());
          snap = this.state.snapshot(host);
        }
        if (snap && snap.version === holds.version) {
          sub.needFull = false;
          sub.pending = [];
          sub.info.lastSentVersion = snap.version;
          yield { host, generation: this.state.generation, version: snap.version, full: false, upserts: [], removedKeys: [], topologyRevision: snap.topologyRevision, intentsRevision: snap.intentsRevision };
        }
      }
      for (;;) {
        await sub.ready(signal);
        if (signal.aborted) return;
        if (sub.closed) throw new HubClosedError();
        let update: PathUpdateView;
        if (sub.needFull) {
          const snap = this.state.snapshot(host);
          if (!snap) {
            await sub.nextNotice(signal); // no assignment yet: wait for the leader's first write
            continue;
          }
          sub.needFull = false;
          sub.pending = [];
          update = {
            host,
            generation: this.state.generation,
            version: snap.version,
            full: true,
            upserts: snap.rules,
            removedKeys: [],
            watch: snap.watch,
            topologyRevision: snap.topologyRevision,
            intentsRevision: snap.intentsRevision,
          };
        } else {
          const d = coalesceDeltas(sub.pending);
          sub.pending = [];
          const now = this.state.revisions();
          update = {
            host,
            generation: this.state.generation,
            version: d.version,
            full: false,
            upserts: d.upserts,
            removedKeys: d.removed,
            ...(d.watch ? { watch: d.watch } : {}),
            // The revisions the delta was computed at (a delta made without them: the current ones).
            topologyRevision: d.topologyRevision ?? now.topology,
            intentsRevision: d.intentsRevision ?? now.intents,
          };
        }
        sub.info.lastSentVersion = update.version;
        yield update;
      }
    } finally {
      this.subs.delete(sub);
      mine.delete(sub);
      if (mine.size === 0 && this.byHost.get(host) === mine) this.byHost.delete(host);
      hooks.onClose?.({ ...sub.info });
    }
  }
}
