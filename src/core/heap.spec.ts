import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { IndexHeap } from "./heap.js";

test("IndexHeap pops by key, then tie", () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }))), (items) => {
    const h = new IndexHeap(1);
    items.forEach(([k, t], i) => h.push(k, i, t));
    const out: [number, number][] = [];
    while (h.size > 0) {
      const k = h.topKey;
      const t = h.topTie;
      const id = h.pop();
      assert.deepEqual(items[id], [k, t]);
      out.push([k, t]);
    }
    assert.deepEqual(out, items.map(([k, t]) => [k, t]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
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
