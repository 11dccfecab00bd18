import { test } from "node:test";
import assert from "node:assert/strict";
import { Lru } from "./lru.js";

test("Lru computes once per key, keeps at most its capacity, and evicts the least recently used", () => {
  const lru = new Lru<string, number>(2);
  let computed = 0;
  const get = (k: string) => lru.get(k, () => (computed++, k.length));
  get("a");
  get("bb");
  get("a"); // a is now the most recent
  assert.equal(computed, 2);
  get("ccc"); // evicts bb
  assert.equal(lru.size, 2);
  get("a");
  assert.equal(computed, 3, "a was kept");
  get("bb");
  assert.equal(computed, 4, "bb was evicted and is computed again");
});
