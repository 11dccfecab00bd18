import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "./clock.js";
import { DnsWatch, type DnsAnswer } from "./dns-watch.js";

/** A lookup that answers from a table the test edits, counting calls; "fail" makes it reject. */
function table() {
  const records = new Map<string, DnsAnswer | "fail">();
  const calls: string[] = [];
  return {
    records,
    calls,
    lookup: async (name: string): Promise<DnsAnswer> => {
      calls.push(name);
      const r = records.get(name);
      if (r === "fail") throw new Error("connection refused");
      return r ?? { addresses: [], ttlSec: 30 };
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test("a name is looked up at once, again when its TTL runs out, and a change is reported", async () => {
  const clock = new ManualClock();
  const t = table();
  t.records.set("video.example", { addresses: ["2001:db8:2::10"], ttlSec: 5 });
  const changes: string[] = [];
  const w = new DnsWatch(t.lookup, clock, (n) => changes.push(n));
  w.setNames(["video.example"]);
  assert.equal(w.get("video.example"), undefined, "nothing before the first answer");
  await flush();
  assert.deepEqual(w.get("video.example"), { addresses: ["2001:db8:2::10"], error: null });
  assert.deepEqual(changes, ["video.example"]);
  t.records.set("video.example", { addresses: ["10.0.3.10", "2001:db8:3::10"], ttlSec: 5 });
  clock.advance(4_999);
  await flush();
  assert.equal(t.calls.length, 1, "not before the TTL");
  clock.advance(1);
  await flush();
  assert.equal(t.calls.length, 2);
  assert.deepEqual(w.get("video.example")?.addresses, ["10.0.3.10", "2001:db8:3::10"]);
  assert.deepEqual(changes, ["video.example", "video.example"]);
  clock.advance(5_000);
  await flush();
  assert.equal(changes.length, 2, "the same answer is not a change");
  w.stop();
});

test("TTLs are clamped: 0 s means 1 s, a day means 5 minutes", async () => {
  const clock = new ManualClock();
  const t = table();
  t.records.set("a.example", { addresses: ["2001:db8::1"], ttlSec: 0 });
  t.records.set("b.example", { addresses: ["2001:db8::2"], ttlSec: 86_400 });
  const w = new DnsWatch(t.lookup, clock, () => {});
  w.setNames(["a.example", "b.example"]);
  await flush();
  clock.advance(1_000);
  await flush();
  assert.equal(t.calls.filter((c) => c === "a.example").length, 2);
  clock.advance(298_000);
  await flush();
  assert.equal(t.calls.filter((c) => c === "b.example").length, 1);
  clock.advance(1_000);
  await flush();
  assert.equal(t.calls.filter((c) => c === "b.example").length, 2);
  w.stop();
});

test("a failed lookup keeps the last good answer and retries with backoff", async () => {
  const clock = new ManualClock();
  const t = table();
  t.records.set("x.example", { addresses: ["2001:db8::9"], ttlSec: 1 });
  const w = new DnsWatch(t.lookup, clock, () => {}, { retryMs: 100 });
  w.setNames(["x.example"]);
  await flush();
  t.records.set("x.example", "fail");
  clock.advance(1_000);
  await flush();
  assert.deepEqual(w.get("x.example"), { addresses: ["2001:db8::9"], error: "lookup failed: connection refused" });
  clock.advance(100);
  await flush();
  clock.advance(200);
  await flush();
  assert.equal(t.calls.length, 4, "retried after 100 ms, then 200 ms");
  t.records.set("x.example", { addresses: ["2001:db8::8"], ttlSec: 1 });
  clock.advance(400);
  await flush();
  assert.deepEqual(w.get("x.example"), { addresses: ["2001:db8::8"], error: null });
  w.stop();
});

test("a name that fails from the start is reported with its error and no addresses", async () => {
  const clock = new ManualClock();
  const t = table();
  t.records.set("down.example", "fail");
  const changes: string[] = [];
  const w = new DnsWatch(t.lookup, clock, (n) => changes.push(n));
  w.setNames(["down.example"]);
  await flush();
  assert.deepEqual(w.get("down.example"), { addresses: [], error: "lookup failed: connection refused" });
  assert.deepEqual(changes, ["down.example"]);
  w.stop();
});

test("dropped names are forgotten and no longer looked up", async () => {
  const clock = new ManualClock();
  const t = table();
  t.records.set("a.example", { addresses: ["2001:db8::1"], ttlSec: 1 });
  const w = new DnsWatch(t.lookup, clock, () => {});
  w.setNames(["a.example"]);
  await flush();
  w.setNames([]);
  assert.equal(clock.pending, 0);
  clock.advance(10_000);
  await flush();
  assert.equal(t.calls.length, 1);
  assert.equal(w.get("a.example"), undefined);
});
