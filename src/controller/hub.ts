// Subscription fan-out. Each subscriber has its own pending state; publishing
// never waits for a subscriber, so a slow agent delays only itself. Pending
// deltas are coalesced into one message when the subscriber is ready, and a
// subscriber too far behind is sent a fresh full snapshot instead.
import type { HostRule } from "../core/assignments.js";
import type { PathUpdateView } from "../api/types.js";
import type { ControllerState, HostDelta } from "./state.js";

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
    if (this.needFull) return; // the snapshot taken at send time will include it
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
    while (!this.needFull && this.pending.length === 0 && !this.closed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    }
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
  return { host: last.host, version: last.version, upserts: ordered, removed: [...removed], ...(watch ? { watch } : {}) };
}

export class SubscriptionHub {
  private readonly subs = new Set<Subscriber>();
  /** The same subscribers by host: a publish touches only the hosts of its deltas. */
  private readonly byHost = new Map<string, Set<Subscriber>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly state: ControllerState) {}

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
   * `onOpen`/`onClose` bracket its registration.
   */
  async *stream(
    host: string,
    meta: { agentVersion: string; peer: string },
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
      for (;;) {
        await sub.ready(signal);
        if (signal.aborted) return;
        if (sub.closed) throw new HubClosedError();
        let update: PathUpdateView;
        if (sub.needFull) {
          const snap = this.state.snapshot(host);
          if (!snap) throw new Error(`unknown host ${host}`);
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
          };
        } else {
          const d = coalesceDeltas(sub.pending);
          sub.pending = [];
          update = {
            host,
            generation: this.state.generation,
            version: d.version,
            full: false,
            upserts: d.upserts,
            removedKeys: d.removed,
            ...(d.watch ? { watch: d.watch } : {}),
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
