// Hostile and unusual YAML in both of Cairn's files: anchors and merges work, deep nesting and
// alias bombs get one clear error, errors come once each and escaped, and every error keeps its
// file:line:col.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatConfigError } from "./errors.js";
import { parseIntents } from "./intents-file.js";
import { parseTopology } from "./topology-file.js";
import { MAX_ERRORS, MAX_YAML_DEPTH } from "./yaml-reader.js";
import type { ParseResult } from "./errors.js";
import type { Topology } from "../core/model.js";

const demo = readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8");
const demoIntents = readFileSync(new URL("../../examples/demo/intents.yaml", import.meta.url), "utf8");
const T = parseTopology(demo, "t.yaml");
assert.ok(T.ok);
const topo: Topology = T.value;

const intents = (text: string) => parseIntents(text, "i.yaml", topo);
const topology = (text: string) => parseTopology(text, "t.yaml");

function errorsOf<T>(r: ParseResult<T>): string[] {
  assert.equal(r.ok, false, "expected errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("anchors, aliases and << merges read as if written out", () => {
  const aliased = intents(`intents:
  - name: video
    match: &m { hosts: [h1], app: video, to: h2 }
    constraints: &c { maxLatency: 20ms }
  - name: video2
    match: *m
    constraints: *c
`);
  assert.ok(aliased.ok, aliased.ok ? "" : aliased.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(aliased.value[1]!.match, aliased.value[0]!.match);
  assert.equal(aliased.value[1]!.constraints.maxLatencyUs, 20_000);

  const merged = intents(`intents:
  - &base
    name: video
    match: { hosts: [h1], to: h2 }
    objective: igp
  - <<: *base
    name: video2
  - <<: [*base]
    name: video3
    objective: hops
`);
  assert.ok(merged.ok, merged.ok ? "" : merged.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(merged.value.map((i) => [i.name, i.objective]), [["video", "igp"], ["video2", "igp"], ["video3", "hops"]], "own keys win over merged ones");

  const t = topology(`routers:
  - &r { name: r1, locator: "fc00:0:1::/48", region: eu }
  - { <<: *r, name: r2, locator: "fc00:0:2::/48" }
hosts: []
links:
  - &l { a: r1, b: r2, delay: 3ms }
`);
  assert.ok(t.ok, t.ok ? "" : t.errors.map(formatConfigError).join("\n"));
  assert.equal(t.value.routers[1]!.region, "eu");
});

test("an alias of nothing, a bad merge: located errors", () => {
  assert.deepEqual(errorsOf(intents("intents: *nope\n")), ['i.yaml:1:10: unknown alias "*nope": no anchor "&nope" before it']);
  assert.deepEqual(errorsOf(intents("intents:\n  - <<: 5\n    name: a\n    match: { hosts: [h1], to: h2 }\n")), [
    "i.yaml:2:9: intents[0].<<: << merges mappings: give an alias of a mapping (<<: *defaults) or a list of them",
  ]);
});

test("an alias bomb is one error, quickly", () => {
  // 2000 intents, each an alias of one whose hosts are an alias of 2000 names: 4 million reads if followed naively.
  const text = `hosts: &h [${Array(2000).fill("h1").join(", ")}]
one: &i { name: a, match: { hosts: *h, to: h2 } }
intents: [${Array(2000).fill("*i").join(", ")}]
`;
  const start = Date.now();
  const errs = errorsOf(intents(text));
  assert.ok(Date.now() - start < 2000, `${Date.now() - start} ms`);
  assert.ok(errs.length <= MAX_ERRORS + 1, `${errs.length} errors`);
  assert.match(errs.at(-1)!, /^i\.yaml:\d+:\d+: intents\[\d+\]\.match\.hosts\[\d+\]: aliases repeat parts of this file too many times \(more than 10 reads per value written\): write the values out instead$/);
});

test("deep nesting is a clear error in both files, never a stack overflow", () => {
  for (const [open, close] of [["[", "]"], ["{a: ", "}"], ["- ", ""]] as const) {
    for (const depth of [MAX_YAML_DEPTH + 1, 5000, ...(open === "[" ? [100_000] : [])]) {
      const nested = open === "- " ? Array.from({ length: Math.min(depth, 1000) }, (_, k) => `${" ".repeat(2 * k)}- `).join("\n") + "x\n" : `${open.repeat(depth)}1${close.repeat(depth)}`;
      for (const [name, r] of [["intents", intents(`intents: ${open === "- " ? "\n" : ""}${nested}\n`)], ["topology", topology(`routers: ${open === "- " ? "\n" : ""}${nested}\n`)]] as [string, ParseResult<unknown>][]) {
        const errs = errorsOf(r);
        assert.equal(errs.length, 1, `${name} ${open} ${depth}: ${errs.slice(0, 3).join("\n")}`);
        assert.match(errs[0]!, new RegExp(`^[it]\\.yaml:\\d+:\\d+: YAML nesting too deep: lists and mappings nested more than ${MAX_YAML_DEPTH} levels$`));
      }
    }
  }
});

test("each error once, syntax errors alone, at most MAX_ERRORS", () => {
  // A list where a mapping belongs, read through an alias twice: one error, not one per read.
  assert.deepEqual(errorsOf(intents("intents:\n  - name: a\n    match: { hosts: &h x, to: h2 }\n    via: *h\n")), [
    "i.yaml:3:24: intents[0].match.hosts: expected a list",
    "i.yaml:4:10: intents[0].via: expected a list",
  ]);
  assert.deepEqual(errorsOf(intents("intents:\n  - name: a\n   bad: [\n")), [
    "i.yaml:3:1: YAML syntax: Sequence item without - indicator",
    "i.yaml:4:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ]);
  const many = errorsOf(intents(`intents:\n${Array.from({ length: 300 }, (_, k) => `  - { name: n${k}, match: { hosts: [h9], to: h2 } }`).join("\n")}\n`));
  assert.equal(many.length, MAX_ERRORS + 1);
  assert.equal(new Set(many).size, many.length);
  assert.equal(many.at(-1), "i.yaml: … and 200 more errors");
});

test("control characters, invisible marks and long values: escaped and cut, in values, keys and syntax messages", () => {
  const long = "x".repeat(5000);
  const errs = errorsOf(intents(`intents:\n  - name: "a\\u0007\\e[31m${long}"\n    "k\\u202e\\u0000": 1\n    match: { hosts: ["h\\u0000\\u009b"], to: "${long}" }\n`));
  assert.equal(errs.length, 4, errs.join("\n"));
  for (const e of errs) {
    assert.ok(e.length < 400, `${e.length}: ${e.slice(0, 120)}`);
    assert.doesNotMatch(e, /[\u0000-\u001f\u007f-\u009f\u202e]/);
    assert.match(e, /^i\.yaml:\d+:\d+: /);
  }
  const name = errs.find((e) => e.includes("intents[0].name:")) ?? "";
  assert.ok(name.includes('"a\\u0007\\u001b[31mxxx') && name.includes("…"), name);
  assert.ok(errs.some((e) => e.includes('intents[0]."k\\u202e\\u0000": unknown key "k\\u202e\\u0000"')), errs.join("\n"));
  assert.ok(errs.some((e) => e.includes('unknown host "h\\u0000\\u009b"')), errs.join("\n"));
  const tag = errorsOf(topology(`routers: !${"t".repeat(3000)} x\n`));
  assert.ok(tag.every((e) => e.length < 400), tag.join("\n"));
});

test("hostile numbers: huge, infinite, not-a-number; never accepted as a measure", () => {
  const base = (link: string) => `routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b, ${link} }\n`;
  assert.deepEqual(errorsOf(topology(base(`delay: ${"9".repeat(400)}s`))), [`t.yaml:6:26: links[0].delay: "${"9".repeat(64)}…" is too large`]);
  assert.deepEqual(errorsOf(topology(base("bandwidth: 99999999Tbps"))), ['t.yaml:6:30: links[0].bandwidth: "99999999Tbps" is too large']);
  assert.deepEqual(errorsOf(topology(base("igp: .inf"))), ["t.yaml:6:24: links[0].igp: expected a whole number from 1 to 16777215, got Infinity"]);
  assert.deepEqual(errorsOf(topology(base("mtu: .nan"))), ["t.yaml:6:24: links[0].mtu: expected a whole number from 1280 to 65535, got NaN"]);
  assert.deepEqual(errorsOf(topology(base("igp: [1]"))), ["t.yaml:6:24: links[0].igp: expected a whole number from 1 to 16777215, got a list"]);
});

test("a BOM-marked document reads as without one", () => {
  const r = intents(`\uFEFF${demoIntents}`);
  assert.ok(r.ok);
  assert.deepEqual(r.value, (intents(demoIntents) as { value: unknown }).value);
});
