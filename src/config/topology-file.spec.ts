import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "./topology-file.js";
import { formatConfigError } from "./errors.js";

const demo = readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8");

function errorsOf(text: string): string[] {
  const r = parseTopology(text, "t.yaml");
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("parses the demo topology with units and defaults", () => {
  const r = parseTopology(demo, "topology.yaml");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.equal(r.value.routers.length, 7);
  assert.deepEqual(r.value.hosts[0], { name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64 });
  assert.deepEqual(r.value.links[0], { id: "r1-r2", a: "r1", b: "r2", igp: 30, delayUs: 1000, bandwidthBps: 10e9 });
});

test("applies link defaults and normalises addresses", () => {
  const r = parseTopology(
    `routers:\n  - { name: a, locator: "FC00:0:1:0::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b }\n`,
    "t.yaml",
  );
  assert.ok(r.ok);
  assert.equal(r.value.routers[0]!.locator, "fc00:0:1::/48");
  assert.deepEqual(r.value.links[0], { id: "a-b", a: "a", b: "b", igp: 10, delayUs: 1000, bandwidthBps: 1e9 });
});

test("every error names file, line, column, field and reason", () => {
  const errs = errorsOf(
    [
      "routers:",
      '  - { name: r1, locator: "fc00:0:1::/48" }',
      '  - { name: r1, locator: "fc00:0:2::/48" }',
      '  - { name: r3, locator: "not-a-prefix" }',
      "hosts:",
      '  - { name: h1, router: r9, address: "2001:db8:1::10/64" }',
      "links:",
      "  - { a: r1, b: r3, delay: 2 parsecs }",
      "  - { a: r1, b: r1, bandwidth: 10Gbps, colour: red }",
      "",
    ].join("\n"),
  );
  assert.deepEqual(errs, [
    't.yaml:3:13: routers[1].name: duplicate node name "r1" (first defined at line 2)',
    't.yaml:4:26: routers[2].locator: "not-a-prefix" is not an IPv6 prefix (addr/len)',
    't.yaml:6:25: hosts[0].router: unknown router "r9"',
    't.yaml:8:28: links[0].delay: unknown unit "parsecs" in "2 parsecs": use one of us, ms, s',
    't.yaml:9:40: links[1].colour: unknown key "colour"; expected one of a, b, igp, delay, bandwidth',
    "t.yaml:9:17: links[1].b: a link cannot connect r1 to itself",
  ]);
});

test("rejects bad units, missing keys, overlapping locators and duplicate links", () => {
  const errs = errorsOf(
    [
      "routers:",
      '  - { name: r1, locator: "fc00:0:1::/48" }',
      '  - { name: r2, locator: "fc00:0::/32" }',
      "  - { name: r3 }",
      "hosts:",
      '  - { name: h1, router: r1, address: "2001:db8:1::10" }',
      "links:",
      "  - { a: r1, b: r3, bandwidth: 10 }",
      "  - { a: r3, b: r1, igp: 0 }",
      "",
    ].join("\n"),
  );
  assert.match(errs[0]!, /^t\.yaml:3:26: routers\[1\]\.locator: locator fc00::\/32 overlaps r1's locator fc00:0:1::\/48$/);
  assert.match(errs[1]!, /^t\.yaml:4:5: routers\[2\]\.locator: missing required key "locator"$/);
  assert.ok(errs.some((e) => /hosts\[0\]\.address: "2001:db8:1::10" is not an IPv6 address with prefix length/.test(e)));
  assert.ok(!errs.some((e) => /links\[0\]\.b:/.test(e)), "r3's own entry is wrong; the link is not blamed for it");
  assert.ok(errs.some((e) => /links\[0\]\.bandwidth: "10" is not a rate: write a number and a unit/.test(e)));
  assert.ok(errs.some((e) => /links\[1\]\.igp: expected a whole number from 1 to 16777215, got 0/.test(e)));
});

test("reports YAML syntax errors with a position", () => {
  const errs = errorsOf("routers:\n  - { name: r1, locator: \"fc00:0:1::/48\"\nlinks: []\n");
  assert.match(errs[0]!, /^t\.yaml:\d+:\d+: YAML syntax: /);
});

test("an empty file is an error, not a crash", () => {
  assert.match(errorsOf("")[0]!, /the file is empty/);
  assert.match(errorsOf("- just\n- a list\n")[0]!, /expected a mapping with keys routers, hosts, links/);
});

test("a duplicate link is reported at the second one", () => {
  const errs = errorsOf('routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b }\n  - { a: b, b: a }\n');
  assert.deepEqual(errs, ["t.yaml:7:5: links[1]: duplicate link between b and a (first at line 6)"]);
});
