import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_MAX_RULES, RuleIdAllocator, rangeIndex } from "./rule-ids.js";

const r = (key: string, priority: number) => ({ key, priority });
const ids = (m: Map<string, number>, keys: string[]) => keys.map((k) => m.get(k));

function assertOrdered(m: Map<string, number>, keysInOrder: string[], max = DEFAULT_MAX_RULES) {
  const list = ids(m, keysInOrder) as number[];
  for (const id of list) assert.ok(Number.isInteger(id) && id >= 1 && id < max, `id ${id} out of range`);
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]! < list[i]!, `ids not increasing: ${list.join(",")}`);
}

test("rangeIndex reads the key suffix", () => {
  assert.equal(rangeIndex("web#3"), 3);
  assert.equal(rangeIndex("a#b#12"), 12);
  assert.equal(rangeIndex("plain"), 0);
});

test("ids follow priority, then port range index, with gaps", () => {
  const a = new RuleIdAllocator();
  const m = a.assign([r("bulk#0", 1), r("web#1", 0), r("web#0", 0)]);
  assert.deepEqual(ids(m, ["web#0", "web#1", "bulk#0"]), [16, 32, 48]);
});

test("ids are stable per key across updates; inserts go in between", () => {
  const a = new RuleIdAllocator();
  a.assign([r("a#0", 0), r("c#0", 2)]);
  const m = a.assign([r("a#0", 0), r("b#0", 1), r("c#0", 2), r("d#0", 3)]);
  assert.equal(m.get("a#0"), 16);
  assert.equal(m.get("c#0"), 32);
  assertOrdered(m, ["a#0", "b#0", "c#0", "d#0"]);
  // Removing b and re-adding keeps a, c, d where they are.
  const m2 = a.assign([r("a#0", 0), r("c#0", 2), r("d#0", 3)]);
  assert.deepEqual(ids(m2, ["a#0", "c#0", "d#0"]), ids(m, ["a#0", "c#0", "d#0"]));
});

test("a reorder that contradicts existing ids renumbers everything in order", () => {
  const a = new RuleIdAllocator();
  a.assign([r("x#0", 0), r("y#0", 1)]);
  const m = a.assign([r("y#0", 0), r("x#0", 1)]);
  assertOrdered(m, ["y#0", "x#0"]);
});

test("no room between neighbours renumbers; capacity is enforced", () => {
  const a = new RuleIdAllocator(8); // ids 1..7
  a.assign([r("a#0", 0), r("b#0", 2)]); // step min(16, 8/3=2) -> 2, 4
  const keys = ["a#0", "n1#0", "n2#0", "b#0"];
  const m = a.assign([r("a#0", 0), r("n1#0", 1), r("n2#0", 1), r("b#0", 2)].map((x, i) => ({ ...x, key: keys[i]! })));
  assertOrdered(m, ["a#0", "n1#0", "n2#0", "b#0"], 8);
  const full = Array.from({ length: 7 }, (_, i) => r(`k${i}#0`, i));
  assertOrdered(a.assign(full), full.map((x) => x.key), 8);
  assert.throws(() => a.assign([...full, r("k7#0", 7)]), /exceed/);
});

test("1023 rules fit the default id space in order", () => {
  const a = new RuleIdAllocator();
  const many = Array.from({ length: 1023 }, (_, i) => r(`i${i}#0`, i));
  const m = a.assign(many);
  assertOrdered(m, many.map((x) => x.key));
  assert.equal(Math.max(...m.values()), 1023);
});
