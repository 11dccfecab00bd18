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
}

interface Stream {
  streamId: number;
  source: string;
  total: number;
  intervalUs: number;
  seen: Uint8Array;
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

function mark(s: Stream, seq: number): void {
  const byte = seq >> 3;
  if (byte >= s.seen.length) {
    const grown = new Uint8Array(Math.max(byte + 1, s.seen.length * 2));
    grown.set(s.seen);
    s.seen = grown;
  }
  s.seen[byte]! |= 1 << (seq & 7);
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
  };
}

export function createSequenceAccount(): SequenceAccount {
  const streams = new Map<number, Stream>();
  return {
    arrive(h, atUs, source) {
      let s = streams.get(h.streamId);
      if (!s) {
        s = {
          streamId: h.streamId, source, total: h.total, intervalUs: h.intervalUs, seen: new Uint8Array(128),
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
      mark(s, h.seq);
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
