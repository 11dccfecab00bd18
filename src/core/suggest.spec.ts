import { test } from "node:test";
import assert from "node:assert/strict";
import { editDistance, suggestNames } from "./suggest.js";
import { didYouMean, linkSpellings, unknownLinkHint, unknownNameHint } from "./name-hints.js";
import { parseGraphml } from "../config/graphml.js";
import { zoo } from "../config/zoo-data.js";

const chars = (s: string) => Array.from(s);

test("edit distance counts insertions, deletions, substitutions and swaps of neighbours, in code points", () => {
  assert.equal(editDistance(chars("kitten"), chars("sitting")), 3);
  assert.equal(editDistance(chars(""), chars("abc")), 3);
  assert.equal(editDistance(chars("abc"), chars("abc")), 0);
  assert.equal(editDistance(chars("Louisvlile"), chars("Louisville")), 1, "a swap is one edit");
  assert.equal(editDistance(chars("🦀x"), chars("🦀y")), 1, "an astral character is one character, not two UTF-16 units");
  assert.equal(editDistance(chars("abcdef"), chars("uvwxyz"), 2), 3, "past the limit: limit + 1");
  assert.equal(editDistance(chars("a"), chars("abcdefgh"), 2), 3, "lengths alone exceed the limit");
});

test("suggestions: case, accents and separators ignored; typos; prefixes and substrings; best first, at most 3", () => {
  const names = ["Zürich", "Geneva", "Bern", "Basel", "Lausanne", "St. Gallen", "New York", "r1", "r2", "r3", "r10", "r4"];
  assert.deepEqual(suggestNames("zurich", names), ["Zürich"]);
  assert.deepEqual(suggestNames("ZU-RICH", names), ["Zürich"]);
  assert.deepEqual(suggestNames("newyork", names), ["New York"]);
  assert.deepEqual(suggestNames("new_york", names), ["New York"]);
  assert.deepEqual(suggestNames("Genva", names), ["Geneva"]);
  assert.deepEqual(suggestNames("Lausane", names), ["Lausanne"]);
  assert.deepEqual(suggestNames("stgallen", names), ["St. Gallen"]);
  assert.deepEqual(suggestNames("Gall", names), ["St. Gallen"], "a substring");
  assert.deepEqual(suggestNames("Laus", names), ["Lausanne"], "a prefix");
  assert.deepEqual(suggestNames("r9", names), ["r1", "r2", "r3"], "ties in natural order, at most 3");
  assert.deepEqual(suggestNames("r9", names, 5), ["r1", "r2", "r3", "r4"], "r10 is two edits from r9: not close");
  assert.deepEqual(suggestNames("R1", names), ["r1"], "the same name in another case: only it");
});

test("no suggestion when nothing is close, for empty or odd input, or for the name itself", () => {
  const names = ["Zürich", "Geneva", "a", "b"];
  assert.deepEqual(suggestNames("Tokyo", names), []);
  assert.deepEqual(suggestNames("", names), []);
  assert.deepEqual(suggestNames("   ", names), [], "only separators");
  assert.deepEqual(suggestNames("z", names), [], "one letter is one edit from every one-letter name: not close");
  assert.deepEqual(suggestNames("Geneva", names), [], "a known name is not its own suggestion");
  assert.deepEqual(suggestNames("Genva", []), []);
  assert.deepEqual(suggestNames("Genva", ["", "-", "Geneva", "Geneva"]), ["Geneva"], "empty candidates skipped, duplicates once");
  assert.deepEqual(suggestNames("x".repeat(100_000), names), [], "long input is no typo (and costs nothing)");
  assert.deepEqual(suggestNames("Genva", names, 0), []);
});

test("unicode: code points, not UTF-16 units; accents and compatibility forms fold", () => {
  const names = ["東京", "大阪", "Kraków", "Ångström", "ﬁnland"];
  assert.deepEqual(suggestNames("東京都", names), ["東京"]);
  assert.deepEqual(suggestNames("Krakow", names), ["Kraków"]);
  assert.deepEqual(suggestNames("KRAKÓW", names), ["Kraków"]);
  assert.deepEqual(suggestNames("angstrom", names), ["Ångström"]);
  assert.deepEqual(suggestNames("finland", names), ["ﬁnland"], "the ligature ﬁ is f + i");
  assert.deepEqual(suggestNames("Kra\u0301ko\u0301w", names), ["Kraków"], "combining accents");
  assert.deepEqual(suggestNames("🦀", names), []);
});

// The Internet Topology Zoo's Kentucky Datalink: 726 routers, many of them sharing a label and named
// label#id by the import ("Louisville#487", "Louisville#694").
const kdl = (() => {
  const r = parseGraphml(zoo("Kdl.graphml"), "Kdl.graphml");
  assert.ok(r.ok);
  return r.value.topology.routers.map((x) => x.name);
})();

test("Kdl's names: typos, case, #id suffixes, separators", () => {
  assert.equal(kdl.length, 726);
  assert.deepEqual(suggestNames("Louisvile", kdl), ["Louisville#487", "Louisville#694"], "a label shared by two nodes: both");
  assert.deepEqual(suggestNames("louisville", kdl), ["Louisville#487", "Louisville#694"]);
  assert.deepEqual(suggestNames("Cincinati", kdl), ["Cincinnati"]);
  assert.deepEqual(suggestNames("lexingtn", kdl), ["Lexington"]);
  assert.deepEqual(suggestNames("stlouis", kdl), ["St Louis"]);
  assert.deepEqual(suggestNames("Bowling Green", kdl), ["Bowling Green#171", "Bowling Green#250"]);
  assert.ok(kdl.includes("Nashville") && !suggestNames("Nashville", kdl).includes("Nashville"), "a known name is not suggested to itself");
  assert.deepEqual(suggestNames("Indianapolis", kdl), []);
  assert.deepEqual(suggestNames("", kdl), []);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) suggestNames(`Louisvile${i}`, kdl);
  const ms = (performance.now() - t0) / 20;
  assert.ok(ms < 50, `one suggestion over Kdl's 726 names took ${ms.toFixed(1)} ms`);
});

test("hints: did you mean, else the few names there are, else a few and where to see them all", () => {
  assert.equal(didYouMean("Louisvile", kdl), 'did you mean "Louisville#487" or "Louisville#694"?');
  assert.equal(didYouMean("r9", ["r1", "r2", "r3", "r4"]), 'did you mean "r1", "r2" or "r3"?');
  assert.equal(didYouMean("Tokyo", kdl), null);
  assert.equal(unknownNameHint("Louisvile", kdl, { what: "routers" }), 'did you mean "Louisville#487" or "Louisville#694"?');
  assert.equal(unknownNameHint("Tokyo", ["h1", "h2"], { what: "hosts" }), 'the hosts are "h1" and "h2"');
  assert.equal(unknownNameHint("Tokyo", ["h1"], { what: "hosts" }), 'the hosts are "h1"');
  assert.equal(unknownNameHint("Tokyo", [], { what: "hosts" }), "the topology has no hosts");
  assert.equal(
    unknownNameHint("Tokyo", kdl, { what: "routers", listedBy: "cairn topology show Kdl.graphml" }),
    'the topology has 726 routers, e.g. "Rolla", "Sedalia", "Rogers"; `cairn topology show Kdl.graphml` lists them all',
  );
  assert.equal(unknownNameHint("Tokyo", kdl, { what: "routers" }), 'the topology has 726 routers, e.g. "Rolla", "Sedalia", "Rogers"');
  assert.equal(unknownNameHint("r\u001b[2J", ["r1", "r2"], { what: "routers" }).includes("\u001b"), false, "what is shown is escaped");
});

test("link hints: one spelling per link, the nearest to what was typed", () => {
  const t = { links: [{ id: "r1-r2", a: "r1", b: "r2" }, { id: "r2-r4", a: "r2", b: "r4" }, { id: "r1-r3", a: "r1", b: "r3" }, { id: "r3-r4", a: "r3", b: "r4" }] };
  const spellings = linkSpellings(t as never);
  assert.equal(unknownLinkHint("r1-r5", spellings), 'did you mean "r1-r2" or "r1-r3"?');
  assert.equal(unknownLinkHint("r5-r1", spellings), 'did you mean "r2-r1" or "r3-r1"?');
  assert.equal(unknownLinkHint("core", spellings), 'the links are "r1-r2", "r2-r4", "r1-r3" and "r3-r4"');
});
