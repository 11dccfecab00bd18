import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { IndexHeap, MinHeap } from "./heap.js";

test("MinHeap pops by key, then tie, then insertion order", () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }))), (items) => {
    const h = new MinHeap<number>();
    items.forEach(([k, t], i) => h.push(k, i, t));
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!.value);
    const expected = items.map(([k, t], i) => ({ k, t, i })).sort((a, b) => a.k - b.k || a.t - b.t || a.i - b.i).map((x) => x.i);
    assert.deepEqual(out, expected);
  }));
});

test("IndexHeap pops keys in order and grows past its capacity", () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 300 }), (keys) => {
    const h = new IndexHeap(2);
    keys.forEach((k, i) => h.push(k, i));
    const popped: number[] = [];
    while (h.size > 0) {
      const k = h.topKey;
      const id = h.pop();
      assert.equal(keys[id], k);
      popped.push(k);
    }
    assert.deepEqual(popped, [...keys].sort((a, b) => a - b));
  }));
});
