// Per-caller rate limits on writes: a token bucket per caller and kind of call (a burst, then a
// steady rate). A caller is its authenticated principal (role and name: every connection of one
// operator shares a bucket); an anonymous caller is its peer's address without the port, so that
// reconnecting does not refill it. Buckets that refilled completely are forgotten, and the number
// of buckets is capped, so the limiter's memory is bounded whatever the callers.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "./principal.js";

export interface RateLimit {
  /** Calls allowed at once after a quiet spell. */
  burst: number;
  perMinute: number;
  /** The options that set them, for messages ("--apply-burst, --apply-per-minute"). */
  options: string;
}

/** Buckets kept at most; beyond, the fullest are dropped first (forgetting a caller can only favour it). */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** The key a caller is limited by. */
export function callerKey(p: Principal): string {
  if (p.role !== null && p.via !== "none") return `${p.via}:${p.role}:${p.name}`;
  const m = /^\[(.*)\]:\d+$/.exec(p.peer) ?? /^([^:]*):\d+$/.exec(p.peer);
  return `peer:${m ? m[1] : p.peer}`;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly what: string,
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one call for `caller`, or throws RESOURCE_EXHAUSTED saying when to retry (also as a retry-after header, in seconds). */
  take(caller: Principal): void {
    const key = callerKey(caller);
    const now = this.now();
    const perMs = this.limit.perMinute / 60_000;
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.limit.burst, b.tokens + (now - b.at) * perMs) : this.limit.burst;
    if (tokens < 1) {
      const waitS = Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
      this.buckets.set(key, { tokens, at: now });
      throw new ConnectError(
        `rate limit: too many ${this.what} calls from ${key.replace(/^[^:]*:/, "")}; at most ${this.limit.burst} at once, then ${this.limit.perMinute} a minute ` +
          `(controller ${this.limit.options}); retry in ${waitS} s`,
        Code.ResourceExhausted,
        { "retry-after": String(waitS) },
      );
    }
    this.buckets.delete(key); // re-inserted last: the map's order is then least recently used first
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.forget(now);
  }

  /** Callers being tracked (tests). */
  get size(): number {
    return this.buckets.size;
  }

  private forget(now: number): void {
    const perMs = this.limit.perMinute / 60_000;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * perMs >= this.limit.burst) this.buckets.delete(key);
    }
    // Still too many: drop the least recently used.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= MAX_BUCKETS) break;
      this.buckets.delete(key);
    }
  }
}
