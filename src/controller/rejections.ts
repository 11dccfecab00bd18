// Requests the controller refused before doing their work, by why: a small fixed set of reasons, so
// that /metrics (metrics.ts) can show them with bounded labels whatever the callers send.
export const REJECTION_REASONS = [
  /** No credentials, or credentials refused (401 / UNAUTHENTICATED). */
  "unauthenticated",
  /** The caller's role may not do it, or an agent acted for another host (403 / PERMISSION_DENIED). */
  "forbidden",
  /** A per-caller write rate limit (rate-limit.ts). */
  "rate_limited",
  /** A request body over maxRequestBytes. */
  "too_large",
  /** Every request together over maxInflightRequestBytes. */
  "busy",
  /** A request body that did not arrive within requestBodyTimeoutMs. */
  "body_timeout",
  /** A connection over maxConnections, dropped at once. */
  "too_many_connections",
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export class RejectionCounts {
  private readonly counts = new Map<RejectionReason, number>(REJECTION_REASONS.map((r) => [r, 0]));

  count(reason: RejectionReason): void {
    this.counts.set(reason, this.get(reason) + 1);
  }

  get(reason: RejectionReason): number {
    return this.counts.get(reason) ?? 0;
  }
}
