import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_OPEN_STREAM_SEQS, createSequenceAccount, type StreamReport } from "./seq-account.js";
import { SEQ_HEADER_BYTES, decodeSeqHeader, encodeSeqHeader, type SeqHeader } from "./seq-header.js";
import { formatSinkSummary, sinkReport } from "./sink-report.js";

const MS = 1000; // µs

/** Feeds arrivals [seq, atMs] of one stream (1 ms apart at the sender, `total` datagrams) and reports at `atMs`. */
function account(arrivals: Array<[number, number]>, total: number, reportAtMs: number, streamId = 7): StreamReport {
  const a = createSequenceAccount();
  for (const [seq, atMs] of arrivals) a.arrive({ streamId, seq, total, intervalUs: 1 * MS, sendTimeUs: seq * MS }, atMs * MS, "[2001:db8::1]:4000");
  const [r] = a.report(reportAtMs * MS);
  return r!;
}

const inOrder = (from: number, to: number, offsetMs = 0.2): Array<[number, number]> =>
  Array.from({ length: to - from }, (_, i) => [from + i, from + i + offsetMs]);

test("the header round-trips, and datagrams without it are told apart", () => {
  const h: SeqHeader = { streamId: 0xdeadbeef, seq: 123456, total: 2000, intervalUs: 1000, sendTimeUs: 1_760_000_000_123_456 };
  const buf = Buffer.alloc(200, 0x63);
  encodeSeqHeader(h, buf);
  assert.deepEqual(decodeSeqHeader(buf), h);
  assert.equal(decodeSeqHeader(Buffer.alloc(200, 0x63)), null, "payload of the python sender");
  assert.equal(decodeSeqHeader(buf.subarray(0, SEQ_HEADER_BYTES - 1)), null);
  assert.throws(() => encodeSeqHeader(h, Buffer.alloc(16)), /at least 32 bytes/);
  assert.throws(() => encodeSeqHeader({ ...h, seq: -1 }, buf), /not a u32/);
});

test("a clean stream: nothing lost, gaps are the sender's own spacing", () => {
  const r = account(inOrder(0, 100), 100, 200);
  assert.deepEqual([r.received, r.unique, r.expected, r.lost, r.duplicates, r.reordered, r.ended], [100, 100, 100, 0, 0, 0, true]);
  assert.equal(r.longestGapMs, 1);
  assert.equal(r.longestGapMissing, 0);
  assert.equal(r.mostMissingInARow, 0);
  assert.deepEqual(r.delayMs, { min: 0.2, avg: 0.2, max: 0.2 });
  assert.equal(r.spanMs, 99);
});

test("a hole: lost, and the longest gap is the time across it with the missing count", () => {
  // 30..39 never arrive; 40 arrives 11 ms after 29.
  const r = account([...inOrder(0, 30), ...inOrder(40, 100)], 100, 200);
  assert.deepEqual([r.received, r.unique, r.lost], [90, 90, 10]);
  assert.equal(r.longestGapMs, 11);
  assert.equal(r.longestGapMissing, 10);
  assert.equal(r.longestGapAfterSeq, 29);
  assert.equal(r.mostMissingInARow, 10);
});

test("a pause of the sender without loss is a gap with nothing missing", () => {
  // The sender stops for 300 ms after 49, then catches up in a burst.
  const arrivals: Array<[number, number]> = [...inOrder(0, 50), ...Array.from({ length: 50 }, (_, i): [number, number] => [50 + i, 349.2 + i * 0.01])];
  const r = account(arrivals, 100, 1000);
  assert.equal(r.lost, 0);
  assert.equal(r.longestGapMs, 300);
  assert.equal(r.longestGapMissing, 0);
  assert.equal(r.longestGapAfterSeq, 49);
});

test("reordering and duplicates: a late datagram is not lost; a repeated one is counted once", () => {
  const arrivals: Array<[number, number]> = [[0, 0], [1, 1], [3, 3], [2, 3.5], [4, 4], [4, 4.1], [1, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 10]];
  const r = account(arrivals, 10, 100);
  assert.deepEqual([r.received, r.unique, r.lost, r.duplicates, r.reordered], [12, 10, 0, 2, 1]);
  assert.equal(r.mostMissingInARow, 0, "the late 2 filled its hole");
  assert.equal(r.longestGapMs, 2, "1 -> 3 took 2 ms");
  assert.equal(r.longestGapMissing, 1, "2 was missing at that moment");
});

test("a lost tail counts once the stream's end was due, and is a gap up to then", () => {
  const arrivals = inOrder(0, 60); // 60..99 never arrive; the last was due at 59.2 + 40 ms
  const early = account(arrivals, 100, 80);
  assert.deepEqual([early.ended, early.expected, early.lost], [false, 60, 0], "not due yet: not lost yet");
  const late = account(arrivals, 100, 120);
  assert.deepEqual([late.ended, late.expected, late.lost, late.mostMissingInARow], [true, 100, 40, 40]);
  assert.equal(late.longestGapMs, 40);
  assert.equal(late.longestGapMissing, 40);
  assert.equal(late.longestGapAfterSeq, 59);
});

test("a stream stopped early declares its real total in its last datagram", () => {
  const a = createSequenceAccount();
  for (let seq = 0; seq < 30; seq++) a.arrive({ streamId: 1, seq, total: 1000, intervalUs: MS, sendTimeUs: 0 }, seq * MS, "x");
  a.arrive({ streamId: 1, seq: 30, total: 31, intervalUs: MS, sendTimeUs: 0 }, 30 * MS, "x");
  const [r] = a.report(31 * MS);
  assert.deepEqual([r!.ended, r!.expected, r!.lost], [true, 31, 0]);
  assert.equal(a.endOfStreamsUs(), 30 * MS);
});

test("streams are kept apart by id; the end of all streams is the latest one's", () => {
  const a = createSequenceAccount();
  a.arrive({ streamId: 1, seq: 0, total: 10, intervalUs: MS, sendTimeUs: 0 }, 0, "a");
  a.arrive({ streamId: 2, seq: 5, total: 10, intervalUs: 2 * MS, sendTimeUs: 0 }, 0, "b");
  assert.equal(a.endOfStreamsUs(), 9 * MS, "stream 1's last is due at 9 ms, stream 2's at 8 ms");
  const rs = a.report(100 * MS);
  assert.deepEqual(rs.map((r) => [r.streamId, r.source, r.lost, r.firstSeq]), [[1, "a", 9, 0], [2, "b", 9, 5]]);
  a.arrive({ streamId: 3, seq: 0, total: 0, intervalUs: MS, sendTimeUs: 0 }, 0, "c");
  assert.equal(a.endOfStreamsUs(), null, "an open-ended stream has no end");
});

test("sequence numbers beyond the stream are counted and ignored", () => {
  const a = createSequenceAccount();
  a.arrive({ streamId: 1, seq: 0, total: 10, intervalUs: MS, sendTimeUs: 0 }, 0, "a");
  a.arrive({ streamId: 1, seq: 10, total: 10, intervalUs: MS, sendTimeUs: 0 }, 1, "a");
  a.arrive({ streamId: 2, seq: MAX_OPEN_STREAM_SEQS, total: 0, intervalUs: MS, sendTimeUs: 0 }, 1, "a");
  const [one, two] = a.report(0);
  assert.deepEqual([one!.received, one!.unique, one!.outOfRange, one!.highestSeq], [2, 1, 1, 0]);
  assert.deepEqual([two!.received, two!.unique, two!.outOfRange], [1, 0, 1]);
});

test("the sink's totals and its one-line summary", () => {
  const s1 = account([...inOrder(0, 30), ...inOrder(40, 100)], 100, 200, 1);
  const s2 = account(inOrder(0, 100), 100, 200, 2);
  const r = sinkReport({ port: 5000, listenedMs: 3100, stoppedBy: "last-datagram", received: 195, unsequenced: 5 }, [s1, s2]);
  assert.deepEqual([r.expected, r.unique, r.lost, r.lossPercent, r.longestGapMs, r.longestGapMissing, r.mostMissingInARow], [200, 190, 10, 5, 11, 10, 10]);
  assert.equal(
    formatSinkSummary(r),
    "received 195 (190 sequenced in 2 streams, 5 without a sequence number): lost 10 of 200 (5%), 0 duplicates, 0 reordered, longest gap 11.0 ms (10 missing); stopped after 3.1 s: the streams ended",
  );
  assert.equal(formatSinkSummary(sinkReport({ port: 1, listenedMs: 700, stoppedBy: "idle", received: 3, unsequenced: 3 }, [])), "received 3 (0 sequenced in 0 streams, 3 without a sequence number); stopped after 0.7 s: the traffic went idle");
  assert.match(formatSinkSummary(r), /^received \d+ /, "path-proof and people read the count first");
});

test("missing runs: each with the send times of the datagrams around it, null at the stream's ends", () => {
  const arrivals = [...inOrder(0, 10), ...inOrder(15, 20), ...inOrder(21, 97)].map(([seq, at]): [number, number] => [seq, at]);
  const a = createSequenceAccount();
  const base = 1_760_000_000_000_000;
  for (const [seq, atMs] of arrivals) a.arrive({ streamId: 1, seq, total: 100, intervalUs: 1 * MS, sendTimeUs: base + seq * MS + (seq >= 15 ? 7 : 0) }, atMs * MS, "x");
  const [r] = a.report(1_000 * MS);
  assert.deepEqual(r!.missing, [
    { from: 10, to: 14, prevSentUs: base + 9 * MS, nextSentUs: base + 15 * MS + 7 },
    { from: 20, to: 20, prevSentUs: base + 19 * MS + 7, nextSentUs: base + 21 * MS + 7 },
    { from: 97, to: 99, prevSentUs: base + 96 * MS + 7, nextSentUs: null },
  ]);
  assert.equal(r!.missingTruncated, false);
  assert.equal(r!.lost, 9);
  const lostHead = account(inOrder(3, 10), 10, 100);
  assert.deepEqual(lostHead.missing, [{ from: 0, to: 2, prevSentUs: null, nextSentUs: 3 * MS }]);
});
