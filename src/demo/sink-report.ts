// What `cairn lab sink` reports: totals over its streams, each stream, and one line for people. Pure.
import type { StreamReport } from "./seq-account.js";

export type SinkStopReason = "last-datagram" | "duration" | "idle" | "timeout" | "signal";

export interface SinkReport {
  port: number;
  /** From listening to stopping, in ms. */
  listenedMs: number;
  stoppedBy: SinkStopReason;
  /** Every datagram that arrived, sequenced or not. */
  received: number;
  /** Datagrams without the sequence header (e.g. another sender's), counted in `received` only. */
  unsequenced: number;
  /** Over every stream: sums, and the worst gap. */
  expected: number;
  unique: number;
  lost: number;
  /** lost / expected, in percent (0 when nothing was expected). */
  lossPercent: number;
  duplicates: number;
  reordered: number;
  longestGapMs: number;
  longestGapMissing: number;
  mostMissingInARow: number;
  streams: StreamReport[];
}

export function sinkReport(base: Pick<SinkReport, "port" | "listenedMs" | "stoppedBy" | "received" | "unsequenced">, streams: StreamReport[]): SinkReport {
  const sum = (f: (s: StreamReport) => number) => streams.reduce((n, s) => n + f(s), 0);
  const worst = streams.reduce<StreamReport | null>((w, s) => (w === null || s.longestGapMs > w.longestGapMs ? s : w), null);
  const expected = sum((s) => s.expected);
  const lost = sum((s) => s.lost);
  return {
    ...base,
    expected,
    unique: sum((s) => s.unique),
    lost,
    lossPercent: expected > 0 ? Math.round((lost / expected) * 1e6) / 1e4 : 0,
    duplicates: sum((s) => s.duplicates),
    reordered: sum((s) => s.reordered),
    longestGapMs: worst?.longestGapMs ?? 0,
    longestGapMissing: worst?.longestGapMissing ?? 0,
    mostMissingInARow: Math.max(0, ...streams.map((s) => s.mostMissingInARow)),
    streams,
  };
}

const STOPPED_BY: Record<SinkStopReason, string> = {
  "last-datagram": "the streams ended",
  duration: "its duration was up",
  idle: "the traffic went idle",
  timeout: "it timed out",
  signal: "it was told to",
};

/**
 * One line: "received 2000 (2000 sequenced in 1 stream): lost 0 of 2000 (0%), 0 duplicates,
 * 0 reordered, longest gap 301.2 ms (0 missing); stopped after 3.1 s: the streams ended".
 */
export function formatSinkSummary(r: SinkReport): string {
  const streams = r.streams.length;
  const sequenced = r.received - r.unsequenced;
  const head = `received ${r.received} (${sequenced} sequenced in ${streams} stream${streams === 1 ? "" : "s"}${r.unsequenced ? `, ${r.unsequenced} without a sequence number` : ""})`;
  const stopped = `stopped after ${(r.listenedMs / 1000).toFixed(1)} s: ${STOPPED_BY[r.stoppedBy]}`;
  if (streams === 0) return `${head}; ${stopped}`;
  return (
    `${head}: lost ${r.lost} of ${r.expected} (${r.lossPercent}%), ${r.duplicates} duplicates, ${r.reordered} reordered, ` +
    `longest gap ${r.longestGapMs.toFixed(1)} ms (${r.longestGapMissing} missing); ${stopped}`
  );
}
