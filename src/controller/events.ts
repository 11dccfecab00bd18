// The controller's event ring: the last N events, each with a sequence number and a time, and
// followers that read it. The ring is the only buffer: a follower that falls further behind than it
// holds is told how many events it missed (a "lost" event) and carries on from the oldest held, so
// no follower can make the controller hold more than N events.
import type { EventDetailView, EventsView, EventView, RuleRefView } from "../api/types.js";
import type { Clock } from "./clock.js";

export const DEFAULT_EVENTS_CAPACITY = 1000;

/** An event to record: its detail, and optionally what caused it and how long it took. */
export type NewEvent = EventDetailView & { cause?: number; durationMs?: number };

/**
 * The `recompute` event of a change that recomputed rules, at revisions `at`; returns what caused what
 * follows (the pushes): this event, or `cause` when nothing was recomputed (and nothing is recorded).
 */
export function recordRecompute(
  events: EventLog,
  applied: { recomputed: RuleRefView[]; changed: RuleRefView[] },
  at: { topology: number; intents: number },
  cause: number,
  durationMs: number,
): number {
  if (applied.recomputed.length === 0) return cause;
  return events.record({ type: "recompute", cause, durationMs, rules: applied.recomputed, changed: applied.changed, topologyRevision: at.topology, intentsRevision: at.intents }).seq;
}

export class EventRingClosedError extends Error {
  constructor() {
    super("controller is shutting down");
    this.name = "EventRingClosedError";
  }
}

export class EventLog {
  /**
   * Event `seq` is held in slot (seq - 1) % capacity. A circular buffer, not push and shift: a ring
   * of 41,000 events (a 10,000-host fleet's) is a large object to V8, and shifting one moves every
   * element (with a write barrier each), once per event: that took most of the controller's time in
   * a 10,000-report burst.
   */
  private readonly slots: (EventView | undefined)[];
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private readonly observers = new Set<(e: EventView) => void>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    readonly capacity = DEFAULT_EVENTS_CAPACITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`events capacity must be a whole number ≥ 1, got ${capacity}`);
    this.slots = new Array<EventView | undefined>(capacity);
  }

  /** The oldest held event's sequence number (lastSeq + 1 when none is held). */
  private oldest(): number {
    return this.seq === 0 ? 1 : Math.max(1, this.seq - this.capacity + 1);
  }

  get lastSeq(): number {
    return this.seq;
  }

  record(e: NewEvent): EventView {
    const { cause = 0, durationMs = 0, ...detail } = e;
    const event = { seq: ++this.seq, at: new Date(this.clock.now()).toISOString(), cause, durationMs, ...detail } as EventView;
    this.slots[(event.seq - 1) % this.capacity] = event;
    for (const observe of this.observers) observe(event);
    for (const wake of [...this.waiters]) wake();
    return event;
  }

  /**
   * Calls `observer` with every event as it is recorded (synchronously: unlike a follower it never
   * misses one, however far the ring moves on). Returns the function that stops it.
   */
  observe(observer: (e: EventView) => void): () => void {
    this.observers.add(observer);
    return () => void this.observers.delete(observer);
  }

  /** A held event by its sequence number. */
  get(seq: number): EventView | undefined {
    if (!Number.isInteger(seq) || seq < this.oldest() || seq > this.seq) return undefined;
    return this.slots[(seq - 1) % this.capacity];
  }

  /** The held events after `afterSeq`, the newest `limit` of them (0: all), oldest first. */
  list(afterSeq = 0, limit = 0): EventsView {
    let from = Math.max(this.oldest(), Math.floor(afterSeq) + 1);
    if (limit > 0) from = Math.max(from, this.seq - limit + 1);
    const events: EventView[] = [];
    for (let s = from; s <= this.seq; s++) events.push(this.slots[(s - 1) % this.capacity]!);
    return { events, lastSeq: this.seq, capacity: this.capacity };
  }

  /**
   * The held events after `afterSeq`, then every new one, until `signal` aborts (the generator
   * returns) or the log closes (it throws EventRingClosedError). Events the ring dropped before the
   * follower read them come as one "lost" event (seq 0: it is not in the ring) with their count.
   */
  async *follow(afterSeq: number, signal: AbortSignal): AsyncGenerator<EventView> {
    let next = Math.max(afterSeq, 0) + 1;
    for (;;) {
      if (this.closed) throw new EventRingClosedError();
      if (signal.aborted) return;
      const oldest = this.oldest();
      if (next < oldest && next <= this.seq) {
        const count = oldest - next;
        next = oldest;
        yield { seq: 0, at: new Date(this.clock.now()).toISOString(), cause: 0, durationMs: 0, type: "lost", count };
        continue;
      }
      const e = this.get(next);
      if (e) {
        next++;
        yield e;
        continue;
      }
      await this.changed(signal);
    }
  }

  /** Ends every follower. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
