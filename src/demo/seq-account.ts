// A sink's accounting of sequenced datagrams, per stream: received, lost, duplicates, reordered, and
// the longest gap. Pure: arrival times are given (microseconds on one clock, the sink's).
import type { SeqHeader } from "./seq-header.js";

/** Streams with no declared total are tracked up to this many sequence numbers (a bitmap of 8 MiB). */
export const MAX_OPEN_STREAM_SEQS = 1 << 26;

export interface StreamReport {
  streamId: number;
  /** Address and port the stream's first datagram came from. */
  source: string;
  /** Datagrams that arrived, duplicates included. */
  received: number;
  /** Distinct sequence numbers that arrived. */
  unique: number;
  /** The stream's total once it has ended, else the highest sequence number seen + 1. */
  expected: number;
  /** expected − unique: datagrams that never arrived (a late one is not lost). */
  lost: number;
  duplicates: number;
  /** Arrived after a higher sequence number had (late, not duplicated). */
  reordered: number;
  /** Sequence numbers at or above the stream's total (or MAX_OPEN_STREAM_SEQS), ignored. */
  outOfRange: number;
  firstSeq: number;
  highestSeq: number;
  /** The last datagram arrived, or the time it was due has passed. */
  ended: boolean;
  /**
   * The longest time between two arrivals that moved the stream forward (across a hole, or a pause
   * of the sender), in ms; a tail still missing when the stream ended counts until its last datagram
   * was due. With the sequence numbers missing in that gap, and the one received just before it.
   */
  longestGapMs: number;
  longestGapMissing: number;
  longestGapAfterSeq: number;
  /** The longest run of consecutive sequence numbers that never arrived. */
  mostMissingInARow: number;
  /** Arrival time minus the sender's send time (ms; meaningful when sender and sink share a clock, as in the lab). */
  delayMs: { min: number; avg: number; max: number };
  /** From the first arrival to the last, in ms. */
  spanMs: number;
  /**
   * Runs of sequence numbers that never arrived, in order (at most MAX_REPORTED_RUNS of them), each
   * with the send times (µs, the sender's wall clock) of the datagrams that arrived just before and
   * just after it, null at the stream's ends: when the loss began and ended, as the sender saw it.
   */
  missing: MissingRun[];
  /** More runs were missing than reported. */
  missingTruncated: boolean;
}

export interface MissingRun {
  from: number;
  to: number;
  prevSentUs: number | null;
  nextSentUs: number | null;
}

export const MAX_REPORTED_RUNS = 10_000;

interface Stream {
  streamId: number;
  source: string;
  total: number;
  intervalUs: number;
  seen: Uint8Array;
  /** Send time of each sequence number that arrived, µs after baseSendUs (4 bytes a datagram). */
  sentAt: Int32Array;
  baseSendUs: number;
  received: number;
  unique: number;
  duplicates: number;
  reordered: number;
  outOfRange: number;
  firstSeq: number;
  highest: number;
  firstArrivalUs: number;
  lastArrivalUs: number;
  /** Arrival time of the datagram that last moved the stream forward. */
  advancedAtUs: number;
  gap: { us: number; missing: number; afterSeq: number };
  delay: { min: number; sum: number; max: number };
}

export interface SequenceAccount {
  arrive(h: SeqHeader, atUs: number, source: string): void;
  /** When every stream seen should have ended (µs), or null when none arrived or one has no declared total. */
  endOfStreamsUs(): number | null;
  report(atUs: number): StreamReport[];
}

function has(s: Stream, seq: number): boolean {
  return seq >> 3 < s.seen.length && (s.seen[seq >> 3]! & (1 << (seq & 7))) !== 0;
}

function mark(s: Stream, seq: number, sendTimeUs: number): void {
  const byte = seq >> 3;
  if (byte >= s.seen.length) {
    const grown = new Uint8Array(Math.max(byte + 1, s.seen.length * 2));
    grown.set(s.seen);
    s.seen = grown;
  }
  s.seen[byte]! |= 1 << (seq & 7);
  if (seq >= s.sentAt.length) {
    const grown = new Int32Array(Math.max(seq + 1, s.sentAt.length * 2));
    grown.set(s.sentAt);
    s.sentAt = grown;
  }
  s.sentAt[seq] = Math.max(-0x80000000, Math.min(0x7fffffff, sendTimeUs - s.baseSendUs));
}

function missingRuns(s: Stream, expected: number): { runs: MissingRun[]; truncated: boolean } {
  const runs: MissingRun[] = [];
  const sentUs = (seq: number) => (seq >= 0 && seq < expected && has(s, seq) ? s.baseSendUs + s.sentAt[seq]! : null);
  for (let seq = 0; seq < expected; seq++) {
    if (has(s, seq)) continue;
    const from = seq;
    while (seq + 1 < expected && !has(s, seq + 1)) seq++;
    if (runs.length === MAX_REPORTED_RUNS) return { runs, truncated: true };
    runs.push({ from, to: seq, prevSentUs: sentUs(from - 1), nextSentUs: sentUs(seq + 1) });
  }
  return { runs, truncated: false };
}

/** When the stream's last datagram is due: the last forward arrival plus the sender's gap per datagram still to come. */
function dueEndUs(s: Stream): number | null {
  if (s.total === 0) return null;
  return s.advancedAtUs + Math.max(0, s.total - 1 - s.highest) * s.intervalUs;
}

function longestMissingRun(s: Stream, expected: number): number {
  let best = 0;
  let run = 0;
  for (let seq = 0; seq < expected; seq++) {
    if (has(s, seq)) run = 0;
    else best = Math.max(best, ++run);
  }
  return best;
}

const ms = (us: number) => Math.round(us) / 1000;

function streamReport(s: Stream, atUs: number): StreamReport {
  const due = dueEndUs(s);
  const ended = due !== null && (s.highest >= s.total - 1 || atUs >= due);
  const expected = ended ? s.total : s.highest + 1;
  let gap = s.gap;
  if (ended && s.highest < s.total - 1 && due! - s.advancedAtUs > gap.us) gap = { us: due! - s.advancedAtUs, missing: s.total - 1 - s.highest, afterSeq: s.highest };
  const withDelay = s.received - s.outOfRange;
  const { runs, truncated } = missingRuns(s, expected);
  return {
    streamId: s.streamId,
    source: s.source,
    received: s.received,
    unique: s.unique,
    expected,
    lost: expected - s.unique,
    duplicates: s.duplicates,
    reordered: s.reordered,
    outOfRange: s.outOfRange,
    firstSeq: s.firstSeq,
    highestSeq: s.highest,
    ended,
    longestGapMs: ms(gap.us),
    longestGapMissing: gap.missing,
    longestGapAfterSeq: gap.afterSeq,
    mostMissingInARow: longestMissingRun(s, expected),
    delayMs: withDelay > 0 ? { min: ms(s.delay.min), avg: ms(s.delay.sum / withDelay), max: ms(s.delay.max) } : { min: 0, avg: 0, max: 0 },
    spanMs: ms(s.lastArrivalUs - s.firstArrivalUs),
    missing: runs,
    missingTruncated: truncated,
  };
}

export function createSequenceAccount(): SequenceAccount {
  const streams = new Map<number, Stream>();
  return {
    arrive(h, atUs, source) {
      let s = streams.get(h.streamId);
      if (!s) {
        s = {
          streamId: h.streamId, source, total: h.total, intervalUs: h.intervalUs, seen: new Uint8Array(128), sentAt: new Int32Array(1024), baseSendUs: h.sendTimeUs,
          received: 0, unique: 0, duplicates: 0, reordered: 0, outOfRange: 0, firstSeq: h.seq, highest: -1,
          firstArrivalUs: atUs, lastArrivalUs: atUs, advancedAtUs: atUs, gap: { us: 0, missing: 0, afterSeq: -1 },
          delay: { min: Infinity, sum: 0, max: -Infinity },
        };
        streams.set(h.streamId, s);
      }
      s.received++;
      s.lastArrivalUs = atUs;
      if (h.seq >= (s.total > 0 ? s.total : MAX_OPEN_STREAM_SEQS)) {
        s.outOfRange++;
        return;
      }
      const delay = atUs - h.sendTimeUs;
      s.delay.min = Math.min(s.delay.min, delay);
      s.delay.max = Math.max(s.delay.max, delay);
      s.delay.sum += delay;
      if (has(s, h.seq)) {
        s.duplicates++;
        return;
      }
      mark(s, h.seq, h.sendTimeUs);
      s.unique++;
      if (h.seq < s.highest) {
        s.reordered++;
        return;
      }
      if (s.highest >= 0 && atUs - s.advancedAtUs > s.gap.us) s.gap = { us: atUs - s.advancedAtUs, missing: h.seq - s.highest - 1, afterSeq: s.highest };
      s.highest = h.seq;
      s.advancedAtUs = atUs;
      s.total = h.total; // a sender stopped early lowers it in its last datagram
      s.intervalUs = h.intervalUs;
    },
    endOfStreamsUs() {
      let end = -Infinity;
      for (const s of streams.values()) {
        const due = dueEndUs(s);
        if (due === null) return null;
        end = Math.max(end, due);
      }
      return streams.size ? end : null;
    },
    report(atUs) {
      return [...streams.values()].map((s) => streamReport(s, atUs));
    },
  };
}
