// Minimum hitting sets against enumeration of every subset, on random small set families; the greedy
// fallback against its guarantee (a hitting set, irredundant, at most H(d) times the minimum).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { harmonic, minimumHittingSets } from "./hitting-set.js";

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 300);

/** Every minimum hitting set of `sets` over the elements they name, by enumerating subsets by size. */
function bruteMinimum(sets: number[][]): number[][] {
  const elements = [...new Set(sets.flat())].sort((a, b) => a - b);
  const hits = (h: Set<number>) => sets.every((s) => s.some((e) => h.has(e)));
  for (let k = 0; k <= elements.length; k++) {
    const found: number[][] = [];
    const pick = (from: number, acc: number[]) => {
      if (acc.length === k) {
        if (hits(new Set(acc))) found.push([...acc]);
        return;
      }
      for (let i = from; i < elements.length; i++) pick(i + 1, [...acc, elements[i]!]);
    };
    pick(0, []);
    if (found.length > 0) return found;
  }
  throw new Error("unreachable: all elements hit every set");
}

// Up to 8 sets over up to 10 elements, each set 1..4 elements: small enough to enumerate every subset.
const arbFamily = fc.array(fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });

test("hand cases: a shared element, indistinguishable elements, independent parts", () => {
  // One element on every set: the unique minimum.
  let r = minimumHittingSets([[1, 2], [1, 3], [1, 4]]);
  assert.deepEqual([r.size, r.count, r.share.get(1), r.uniqueInComponent.get(1), r.share.get(2)], [1, 1, 1, true, 0]);
  // Elements in exactly the same sets: any one of them, each a third of the time.
  r = minimumHittingSets([[5, 6, 7]]);
  assert.deepEqual([r.size, r.count, r.share.get(5), r.share.get(7), r.uniqueInComponent.get(6)], [1, 3, 1 / 3, 1 / 3, false]);
  // Two independent parts: sizes add, counts multiply; {1} is certain whatever the other part does.
  r = minimumHittingSets([[1], [1, 2], [3, 4]]);
  assert.deepEqual([r.size, r.count, r.share.get(1), r.uniqueInComponent.get(1), r.share.get(3)], [2, 2, 1, true, 0.5]);
  assert.throws(() => minimumHittingSets([[1], []]), /set 1 is empty/);
  assert.deepEqual(minimumHittingSets([]).size, 0);
});

test("property: size, count and every element's share equal the brute force's", () => {
  const stats = { unique: 0, ambiguous: 0, sizeAbove1: 0 };
  fc.assert(
    fc.property(arbFamily, (sets) => {
      const all = bruteMinimum(sets);
      const r = minimumHittingSets(sets);
      assert.ok(r.exact);
      assert.equal(r.size, all[0]!.length, `size for ${JSON.stringify(sets)}`);
      assert.equal(r.count, all.length, `count for ${JSON.stringify(sets)}: ${JSON.stringify(all)}`);
      for (const e of new Set(sets.flat())) {
        const want = all.filter((h) => h.includes(e)).length / all.length;
        assert.ok(Math.abs((r.share.get(e) ?? 0) - want) < 1e-9, `share of ${e} in ${JSON.stringify(sets)}: ${r.share.get(e)} vs ${want}`);
      }
      if (all.length === 1) stats.unique++;
      else stats.ambiguous++;
      if (all[0]!.length > 1) stats.sizeAbove1++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  for (const [k, v] of Object.entries(stats)) assert.ok(v >= RUNS * 0.05, `only ${v} runs with ${k}: ${JSON.stringify(stats)}`);
});

test("property: the greedy answer hits every set, is irredundant, and is within H(d) of the minimum", () => {
  let worse = 0;
  fc.assert(
    fc.property(arbFamily, (sets) => {
      const r = minimumHittingSets(sets, 0);
      assert.equal(r.exact, false);
      // The chosen elements: every element with a share (all elements of each chosen class).
      const chosen = new Set([...r.share].filter(([, s]) => s > 0).map(([e]) => e));
      assert.ok(sets.every((s) => s.some((e) => chosen.has(e))), `greedy misses a set of ${JSON.stringify(sets)}`);
      // Irredundant over classes: taking away any chosen element's whole class leaves a set unhit.
      for (const e of chosen) {
        const cls = [...chosen].filter((x) => sets.every((s) => s.includes(x) === s.includes(e)));
        const rest = new Set([...chosen].filter((x) => !cls.includes(x)));
        assert.ok(sets.some((s) => !s.some((x) => rest.has(x))), `class of ${e} is redundant in ${JSON.stringify(sets)}`);
      }
      const min = bruteMinimum(sets)[0]!.length;
      const d = Math.max(...[...new Set(sets.flat())].map((e) => sets.filter((s) => s.includes(e)).length));
      assert.ok(r.size <= harmonic(d) * min + 1e-9, `greedy ${r.size} > H(${d}) × ${min} for ${JSON.stringify(sets)}`);
      if (r.size > min) worse++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  console.log(`# greedy larger than the minimum in ${worse} of ${RUNS} runs`);
});

test("a component beyond the search budget falls back to greedy and says so", () => {
  // A ring: set i holds elements i and i+1 (mod 16), one component with two minimum answers (odds or evens).
  const ring = Array.from({ length: 16 }, (_, i) => [i, (i + 1) % 16]);
  const exact = minimumHittingSets(ring);
  assert.deepEqual([exact.exact, exact.size, exact.count], [true, 8, 2]);
  const cut = minimumHittingSets(ring, 10);
  assert.equal(cut.exact, false);
  assert.ok(cut.size >= 8 && cut.size <= Math.ceil(harmonic(2) * 8));
});
