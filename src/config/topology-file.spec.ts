import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "./topology-file.js";
import { formatConfigError } from "./errors.js";
import { LINK_DEFAULTS } from "../core/model.js";

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
  // SIDs derived from names (README, Configuration): these values are the scheme's, pinned.
  assert.deepEqual(r.value.hosts[0], { name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64, address4: "10.0.1.10", prefixLen4: 24, dx4Sid: "fc00:0:1::d616:8d58" });
  assert.deepEqual(r.value.links[0], {
    id: "r1-r2", a: "r1", b: "r2", igp: 30, te: 30, delayUs: 1000, jitterUs: 0, loss: 0, bandwidthBps: 10e9, utilization: 0, srlgs: [], colors: [],
    sidA: "fc00:0:1::ebe1:d6bb", sidB: "fc00:0:2::e8e1:d202",
  });
  assert.equal(r.value.routers[0]!.sid, "fc00:0:1::1");
  assert.deepEqual(r.value.services, []);
  assert.equal("region" in r.value.routers[0]!, false);
  assert.equal("msd" in r.value.routers[0]!, false);
});

test("applies link defaults and normalises addresses", () => {
  const r = parseTopology(
    `routers:\n  - { name: a, locator: "FC00:0:1:0::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b }\n`,
    "t.yaml",
  );
  assert.ok(r.ok);
  assert.equal(r.value.routers[0]!.locator, "fc00:0:1::/48");
  assert.deepEqual(r.value.links[0], {
    id: "a-b", a: "a", b: "b", igp: 10, te: 10, delayUs: 1000, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0, srlgs: [], colors: [],
    sidA: "fc00:0:1::e7cd:42da", sidB: "fc00:0:2::e8cd:4477",
  });
  const { igp, delayUs, jitterUs, loss, bandwidthBps, utilization } = r.value.links[0]!;
  assert.deepEqual({ igp, delayUs, jitterUs, loss, bandwidthBps, utilization }, LINK_DEFAULTS);
  assert.deepEqual(r.value.services, []);
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
    't.yaml:6:25: hosts[0].router: unknown router "r9"; did you mean "r1"?',
    't.yaml:8:28: links[0].delay: unknown unit "parsecs" in "2 parsecs": use one of us, ms, s',
    't.yaml:9:40: links[1].colour: unknown key "colour"; expected one of a, b, id, igp, te, delay, jitter, loss, bandwidth, utilization, srlgs, colors, mtu, sidA, sidB',
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
  assert.match(errorsOf("- just\n- a list\n")[0]!, /expected a mapping with keys routers, hosts, links, services/);
});

test("two links between the same routers without ids are reported at each, naming the other's line", () => {
  const errs = errorsOf('routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b }\n  - { a: b, b: a }\n');
  assert.deepEqual(errs, [
    "t.yaml:6:5: links[0].id: a and b are joined by 2 links (also at line 7): parallel links need an id each, since a-b names them all; to keep a link's SIDs while giving it an id, write them as sidA and sidB (cairn topology show prints them)",
    "t.yaml:7:5: links[1].id: b and a are joined by 2 links (also at line 6): parallel links need an id each, since b-a names them all; to keep a link's SIDs while giving it an id, write them as sidA and sidB (cairn topology show prints them)",
  ]);
});

const PAIR = 'routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n';
const linksOf = (...entries: string[]) => {
  const r = parseTopology(`${PAIR}${entries.map((e) => `  - ${e}\n`).join("")}`, "t.yaml");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value.links;
};

test("parallel links: each with its own id, End.X SIDs and SRLGs; one parallel link without an id is an error", () => {
  const [fast, slow] = linksOf("{ id: fast, a: a, b: b, igp: 10, srlgs: [duct1] }", "{ id: slow, a: b, b: a, igp: 50, srlgs: [duct2] }");
  assert.deepEqual([fast!.id, slow!.id], ["fast", "slow"]);
  assert.deepEqual([fast!.srlgs, slow!.srlgs], [["duct1"], ["duct2"]]);
  assert.equal(new Set([fast!.sidA, fast!.sidB, slow!.sidA, slow!.sidB]).size, 4);
  // SIDs hash the id: the same link line gets the same SIDs wherever it is, whatever else is listed.
  const [alone] = linksOf("{ id: fast, a: a, b: b, igp: 10, srlgs: [duct1] }");
  assert.deepEqual([alone!.sidA, alone!.sidB], [fast!.sidA, fast!.sidB]);
  const errs = errorsOf(`${PAIR}  - { id: fast, a: a, b: b }\n  - { a: a, b: b, igp: 20 }\n`);
  assert.deepEqual(errs, ["t.yaml:7:5: links[1].id: a and b are joined by 2 links (also at line 6): parallel links need an id each, since a-b names them all; to keep a link's SIDs while giving it an id, write them as sidA and sidB (cairn topology show prints them)"]);
});

test("a lone link keeps the id a-b and its SIDs; an explicit id is checked and unique", () => {
  const [l] = linksOf("{ a: a, b: b }");
  assert.equal(l!.id, "a-b");
  assert.deepEqual(
    errorsOf(`${PAIR}  - { id: x, a: a, b: b }\n  - { id: x, a: b, b: a }\n`),
    ['t.yaml:7:11: links[1].id: duplicate link id "x" (first at line 6)'],
  );
  assert.deepEqual(
    errorsOf(`${PAIR}  - { id: a-b, a: a, b: b }\n`),
    ['t.yaml:6:11: links[0].id: "a-b" is not a valid link id: a letter or digit, then up to 31 letters, digits, _ or . (no -: "a-b" names every link between a and b)'],
  );
});

test("directed metrics: a mapping keyed by the sending router sets each direction; a value alone sets both", () => {
  const [l] = linksOf("{ a: a, b: b, igp: { a: 10, b: 30 }, delay: { b: 5ms, a: 2ms }, bandwidth: 10Gbps, utilization: { a: 10%, b: 0 } }");
  assert.deepEqual([l!.igp, l!.te, l!.delayUs, l!.bandwidthBps, l!.utilization], [10, 10, 2000, 10e9, 0.1]);
  assert.deepEqual(l!.reverse, { igp: 30, te: 30, delayUs: 5000, jitterUs: 0, loss: 0, bandwidthBps: 10e9, utilization: 0 });
  // Written per direction but equal: a symmetric link, no reverse.
  const [same] = linksOf("{ a: a, b: b, igp: { a: 10, b: 10 } }");
  assert.equal("reverse" in same!, false);
  // te defaults to each direction's igp; a te per direction overrides it.
  const [te] = linksOf("{ a: a, b: b, igp: { a: 10, b: 30 }, te: { a: 7, b: 8 } }");
  assert.deepEqual([te!.te, te!.reverse?.te], [7, 8]);
});

test("directed metrics: a missing end, an unknown router key and a bad value are located", () => {
  assert.deepEqual(errorsOf(`${PAIR}  - { a: a, b: b, igp: { a: 10 } }\n`), [
    "t.yaml:6:24: links[0].igp.b: missing b's igp (from b towards a): a value per direction is a mapping of both ends, a and b, each to the value of what it sends",
  ]);
  assert.deepEqual(errorsOf(`${PAIR}  - { a: a, b: b, delay: { a: 1ms, c: 2ms } }\n`), [
    't.yaml:6:36: links[0].delay.c: unknown key "c"; expected one of a, b',
    "t.yaml:6:26: links[0].delay.b: missing b's delay (from b towards a): a value per direction is a mapping of both ends, a and b, each to the value of what it sends",
  ]);
  assert.deepEqual(errorsOf(`${PAIR}  - { a: a, b: b, loss: { a: 0, b: 100% } }\n`), [
    't.yaml:6:36: links[0].loss.b: "100%" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1',
  ]);
});

const TWO = 'routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\n';
const linkOf = (entry: string) => {
  const r = parseTopology(`${TWO}links:\n  - ${entry}\n`, "t.yaml");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value.links[0]!;
};
const linkErrors = (entry: string) => errorsOf(`${TWO}links:\n  - ${entry}\n`);

test("link te: an integer like igp, defaulting to the link's igp", () => {
  assert.equal(linkOf("{ a: a, b: b, igp: 7 }").te, 7);
  assert.deepEqual([linkOf("{ a: a, b: b, igp: 7, te: 300 }").igp, linkOf("{ a: a, b: b, igp: 7, te: 300 }").te], [7, 300]);
  assert.deepEqual(linkErrors("{ a: a, b: b, te: 1.5 }"), ["t.yaml:6:23: links[0].te: expected a whole number from 1 to 16777215, got 1.5"]);
  assert.deepEqual(linkErrors("{ a: a, b: b, te: 0 }"), ["t.yaml:6:23: links[0].te: expected a whole number from 1 to 16777215, got 0"]);
});

test("link jitter: a duration that may be zero", () => {
  assert.equal(linkOf("{ a: a, b: b, jitter: 250us }").jitterUs, 250);
  assert.equal(linkOf("{ a: a, b: b, jitter: 1.5ms }").jitterUs, 1500);
  assert.equal(linkOf("{ a: a, b: b, jitter: 0 }").jitterUs, 0);
  assert.equal(linkOf("{ a: a, b: b, jitter: 0ms }").jitterUs, 0);
  assert.deepEqual(linkErrors("{ a: a, b: b, jitter: 3 }"), [
    't.yaml:6:27: links[0].jitter: "3" is not a duration: write a number and a unit (us, ms, s)',
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, jitter: -1ms }"), [
    't.yaml:6:27: links[0].jitter: "-1ms" is not a duration: write a number and a unit (us, ms, s)',
  ]);
  // delay still must be positive
  assert.deepEqual(linkErrors("{ a: a, b: b, delay: 0ms }"), ['t.yaml:6:26: links[0].delay: must be greater than zero, got "0ms"']);
});

test("link loss: a percentage or a ratio, from 0 up to (not including) 1", () => {
  assert.equal(linkOf('{ a: a, b: b, loss: "0.1%" }').loss, 0.001);
  assert.equal(linkOf("{ a: a, b: b, loss: 0.1% }").loss, 0.001);
  assert.equal(linkOf("{ a: a, b: b, loss: 0.02 }").loss, 0.02);
  assert.equal(linkOf("{ a: a, b: b, loss: 0 }").loss, 0);
  assert.equal(linkOf("{ a: a, b: b, loss: 0.0000001 }").loss, 1e-7);
  assert.equal(linkOf('{ a: a, b: b, loss: "0.02" }').loss, 0.02);
  assert.deepEqual(linkErrors("{ a: a, b: b, loss: 1 }"), [
    't.yaml:6:25: links[0].loss: "1" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1; for 1 percent write "1%"',
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, loss: 100% }"), [
    't.yaml:6:25: links[0].loss: "100%" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1',
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, loss: lots }"), [
    't.yaml:6:25: links[0].loss: "lots" is not a ratio: write a percentage like 0.5% or a number like 0.005',
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, loss: -0.1 }"), [
    't.yaml:6:25: links[0].loss: cannot be negative, got -0.1',
  ]);
});

test("link utilization: a percentage or a ratio from 0 to 1", () => {
  assert.equal(linkOf("{ a: a, b: b, utilization: 40% }").utilization, 0.4);
  assert.equal(linkOf("{ a: a, b: b, utilization: 0.25 }").utilization, 0.25);
  assert.equal(linkOf("{ a: a, b: b, utilization: 100% }").utilization, 1);
  assert.equal(linkOf("{ a: a, b: b, utilization: 0 }").utilization, 0);
  assert.deepEqual(linkErrors("{ a: a, b: b, utilization: 40 }"), [
    't.yaml:6:32: links[0].utilization: "40" is out of range: write a percentage from 0% to 100%, or a ratio from 0 to 1; for 40 percent write "40%"',
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, utilization: 120% }"), [
    't.yaml:6:32: links[0].utilization: "120%" is out of range: write a percentage from 0% to 100%, or a ratio from 0 to 1',
  ]);
});

test("link srlgs and colors: lists of distinct names", () => {
  const l = linkOf("{ a: a, b: b, srlgs: [duct-7, 1001], colors: [gold, blue] }");
  assert.deepEqual(l.srlgs, ["duct-7", "1001"]);
  assert.deepEqual(l.colors, ["gold", "blue"]);
  assert.deepEqual(linkErrors('{ a: a, b: b, srlgs: [duct-7, duct-7], colors: [""] }'), [
    't.yaml:6:35: links[0].srlgs[1]: srlg "duct-7" is listed twice',
    "t.yaml:6:53: links[0].colors[0]: expected a non-empty string",
  ]);
  assert.deepEqual(linkErrors("{ a: a, b: b, colors: gold }"), ["t.yaml:6:27: links[0].colors: expected a list"]);
});

test("router region and msd", () => {
  const r = parseTopology(
    'routers:\n  - { name: a, locator: "fc00:0:1::/48", region: eu-west, msd: 5 }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks: []\n',
    "t.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(r.value.routers, [{ name: "a", locator: "fc00:0:1::/48", region: "eu-west", msd: 5, sid: "fc00:0:1::1" }, { name: "b", locator: "fc00:0:2::/48", sid: "fc00:0:2::1" }]);
  assert.deepEqual(
    errorsOf('routers:\n  - { name: a, locator: "fc00:0:1::/48", region: "", msd: 17 }\n  - { name: b, locator: "fc00:0:2::/48", msd: 0 }\nhosts: []\nlinks: []\n'),
    [
      "t.yaml:2:50: routers[0].region: expected a non-empty string",
      "t.yaml:2:59: routers[0].msd: expected a whole number from 1 to 16, got 17",
      "t.yaml:3:47: routers[1].msd: expected a whole number from 1 to 16, got 0",
    ],
  );
});

const WITH_LINK = `${TWO}  - { name: h1, router: a, address: "2001:db8:1::10/64" }\nlinks:\n  - { a: a, b: b }\n`.replace("hosts: []\n", "hosts:\n");

test("services: named functions with instances at SIDs inside their routers' locators", () => {
  const r = parseTopology(
    `${WITH_LINK}services:\n  - name: fw\n    instances:\n      - { node: a, sid: "FC00:0:1::f1" }\n      - { node: b, sid: "fc00:0:2::f1", healthy: false }\n  - name: dpi.v2\n    instances: [{ node: b, sid: "fc00:0:2::d1", healthy: true }]\n`,
    "t.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(r.value.services, [
    { name: "fw", instances: [{ node: "a", sid: "fc00:0:1::f1", healthy: true }, { node: "b", sid: "fc00:0:2::f1", healthy: false }] },
    { name: "dpi.v2", instances: [{ node: "b", sid: "fc00:0:2::d1", healthy: true }] },
  ]);
  assert.deepEqual(parseTopology(`${WITH_LINK}services: []\n`, "t.yaml"), parseTopology(WITH_LINK, "t.yaml"));
});

test("services: names, nodes, SIDs and health are checked", () => {
  const errs = errorsOf(
    [
      WITH_LINK + "services:",
      "  - name: a",
      '    instances: [{ node: a, sid: "fc00:0:1::f1" }]',
      "  - name: h1",
      '    instances: [{ node: a, sid: "fc00:0:1::f2" }]',
      "  - name: fw",
      "    instances:",
      '      - { node: h1, sid: "fc00:0:1::f3" }',
      '      - { node: a, sid: "fc00:0:2::f3" }',
      '      - { node: a, sid: "fc00:0:1::f1" }',
      '      - { node: a, sid: "fc00:0:1::/64" }',
      '      - { node: a, sid: "fc00:0:1::1" }',
      '      - { node: b, sid: "fc00:0:2::e8cd:4477" }',
      '      - { node: b, sid: "fc00:0:2::" }',
      '      - { node: z, sid: "fc00:0:2::f9", healthy: "yes" }',
      "  - name: fw",
      "    instances: []",
      "  - name: bad name",
      "",
    ].join("\n"),
  );
  assert.deepEqual(errs, [
    't.yaml:9:11: services[0].name: service name "a" is already a router name; a via entry names a router or a service, so they must differ',
    't.yaml:11:11: services[1].name: service name "h1" is already a host name; a via entry names a router or a service, so they must differ',
    't.yaml:15:17: services[2].instances[0].node: "h1" is a host, not a router',
    "t.yaml:16:25: services[2].instances[1].sid: SID fc00:0:2::f3 is outside a's locator fc00:0:1::/48, so it would not be routed to a",
    "t.yaml:17:25: services[2].instances[2].sid: SID fc00:0:1::f1 is already used by service a on a",
    't.yaml:18:25: services[2].instances[3].sid: "fc00:0:1::/64" is not an IPv6 address (a SID has no prefix length)',
    "t.yaml:19:25: services[2].instances[4].sid: SID fc00:0:1::1 is a's End SID",
    "t.yaml:20:25: services[2].instances[5].sid: SID fc00:0:2::e8cd:4477 is b's End.X SID for link a-b",
    "t.yaml:21:25: services[2].instances[6].sid: SID fc00:0:2:: is b's locator address itself; use an address inside it, e.g. fc00:0:2::100",
    't.yaml:22:17: services[2].instances[7].node: unknown router "z"; the routers are "a" and "b"',
    't.yaml:22:50: services[2].instances[7].healthy: expected true or false, got "yes"',
    't.yaml:23:11: services[3].name: duplicate service name "fw" (first at line 13)',
    "t.yaml:24:16: services[3].instances: must list at least one instance",
    't.yaml:25:11: services[4].name: "bad name" is not a valid service name (letters, digits, _ . -; up to 63)',
    't.yaml:25:5: services[4].instances: missing required key "instances"',
  ]);
});

test("link mtu: a whole number from 1280 to 65535; absent means the default", () => {
  assert.equal(linkOf("{ a: a, b: b, mtu: 9000 }").mtu, 9000);
  assert.equal(linkOf("{ a: a, b: b, mtu: 1280 }").mtu, 1280);
  assert.equal("mtu" in linkOf("{ a: a, b: b }"), false);
  assert.deepEqual(linkErrors("{ a: a, b: b, mtu: 1279 }"), ["t.yaml:6:24: links[0].mtu: expected a whole number from 1280 to 65535, got 1279"]);
  assert.deepEqual(linkErrors("{ a: a, b: b, mtu: 65536 }"), ["t.yaml:6:24: links[0].mtu: expected a whole number from 1280 to 65535, got 65536"]);
  assert.deepEqual(linkErrors('{ a: a, b: b, mtu: "1500" }'), ['t.yaml:6:24: links[0].mtu: expected a whole number from 1280 to 65535, got "1500"']);
  assert.deepEqual(linkErrors("{ a: a, b: b, mtu: 1500.5 }"), ["t.yaml:6:24: links[0].mtu: expected a whole number from 1280 to 65535, got 1500.5"]);
});

const hostsOf = (entries: string[]) => parseTopology(`${TWO.replace("hosts: []\n", "hosts:\n")}${entries.map((e) => `  - ${e}\n`).join("")}links: []\n`, "t.yaml");
const hostErrors = (entries: string[]) => {
  const r = hostsOf(entries);
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
};

test("host address4: an IPv4 address with prefix length makes the host dual-stack", () => {
  const r = hostsOf([
    '{ name: h1, router: a, address: "2001:db8:1::10/64", address4: "10.0.1.10/24" }',
    '{ name: h2, router: b, address: "2001:db8:2::10/64" }',
    '{ name: h3, router: a, address: "2001:db8:3::10/64", address4: "10.0.1.11/24" }',
  ]);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(r.value.hosts, [
    { name: "h1", router: "a", address: "2001:db8:1::10", prefixLen: 64, address4: "10.0.1.10", prefixLen4: 24, dx4Sid: "fc00:0:1::d616:8d58" },
    { name: "h2", router: "b", address: "2001:db8:2::10", prefixLen: 64 },
    { name: "h3", router: "a", address: "2001:db8:3::10", prefixLen: 64, address4: "10.0.1.11", prefixLen4: 24, dx4Sid: "fc00:0:1::d816:9082" },
  ]);
});

test("host address4: format, prefix length, network and broadcast addresses, the lab's link range", () => {
  const h = (v: string) => `{ name: h1, router: a, address: "2001:db8:1::10/64", address4: ${v} }`;
  assert.deepEqual(hostErrors([h('"10.0.1.10"')]), ['t.yaml:5:68: hosts[0].address4: "10.0.1.10" is not an IPv4 address with prefix length, e.g. 10.0.1.10/24']);
  assert.deepEqual(hostErrors([h('"10.0.1.300/24"')]), ['t.yaml:5:68: hosts[0].address4: "10.0.1.300/24" is not an IPv4 address with prefix length, e.g. 10.0.1.10/24']);
  assert.deepEqual(hostErrors([h('"2001:db8::1/64"')]), ['t.yaml:5:68: hosts[0].address4: "2001:db8::1/64" is not an IPv4 address with prefix length, e.g. 10.0.1.10/24']);
  assert.deepEqual(hostErrors([h('"10.0.1.10/31"')]), ["t.yaml:5:68: hosts[0].address4: prefix length /31 must be between /8 and /30"]);
  assert.deepEqual(hostErrors([h('"10.0.1.10/7"')]), ["t.yaml:5:68: hosts[0].address4: prefix length /7 must be between /8 and /30"]);
  assert.deepEqual(hostErrors([h('"10.0.1.0/24"')]), ["t.yaml:5:68: hosts[0].address4: 10.0.1.0 is the network address of 10.0.1.0/24; use an address inside the subnet"]);
  assert.deepEqual(hostErrors([h('"10.0.1.255/24"')]), ["t.yaml:5:68: hosts[0].address4: 10.0.1.255 is the broadcast address of 10.0.1.0/24; use an address inside the subnet"]);
  assert.deepEqual(hostErrors([h('"172.31.7.10/24"')]), ["t.yaml:5:68: hosts[0].address4: subnet 172.31.7.0/24 overlaps 172.31.0.0/16, which the lab uses for router links"]);
  assert.deepEqual(hostErrors([h("[10.0.1.10/24]")]), ["t.yaml:5:68: hosts[0].address4: expected a non-empty string"]);
});

test("host address4: unique, no overlap behind different routers, no clash with a gateway", () => {
  assert.deepEqual(
    hostErrors([
      '{ name: h1, router: a, address: "2001:db8:1::10/64", address4: "10.0.1.10/24" }',
      '{ name: h2, router: b, address: "2001:db8:2::10/64", address4: "10.0.1.10/24" }',
      '{ name: h3, router: b, address: "2001:db8:3::10/64", address4: "10.0.0.20/16" }',
      '{ name: h4, router: a, address: "2001:db8:4::10/64", address4: "10.0.1.1/24" }',
      '{ name: h5, router: a, address: "2001:db8:5::10/64", address4: "10.0.2.1/24" }',
      '{ name: h6, router: a, address: "2001:db8:6::10/64", address4: "10.0.2.20/24" }',
      '{ name: h7, router: b, address: "2001:db8:7::10/64", address4: "10.0.3.10/24" }',
    ]),
    [
      "t.yaml:6:68: hosts[1].address4: address 10.0.1.10 is already used by host h1",
      "t.yaml:7:68: hosts[2].address4: subnet 10.0.0.0/16 overlaps h1's subnet 10.0.1.0/24 behind a; hosts behind different routers need separate subnets",
      "t.yaml:8:68: hosts[3].address4: address 10.0.1.1 is the gateway address a uses on h1's subnet",
      "t.yaml:10:68: hosts[5].address4: a would use 10.0.2.1 as this host's gateway, but it is h5's address",
    ],
  );
});

test("a service SID may not be a router's End.DX4 SID", () => {
  const errs = errorsOf(
    `${TWO.replace("hosts: []\n", "hosts:\n")}  - { name: h1, router: a, address: "2001:db8:1::10/64", address4: "10.0.1.10/24" }\nlinks: []\nservices:\n  - { name: fw, instances: [{ node: a, sid: "fc00:0:1::d616:8d58" }] }\n`,
  );
  assert.deepEqual(errs, ["t.yaml:8:45: services[0].instances[0].sid: SID fc00:0:1::d616:8d58 is a's End.DX4 SID for host h1"]);
});

test("explicit SIDs: router sid, link sidA/sidB, host dx4Sid are kept (canonical form); the rest are derived", () => {
  const r = parseTopology(
    [
      "routers:",
      '  - { name: a, locator: "fc00:0:1::/48", sid: "FC00:0:1:0::100" }',
      '  - { name: b, locator: "fc00:0:2::/48" }',
      "hosts:",
      '  - { name: h1, router: a, address: "2001:db8:1::10/64", address4: "10.0.1.10/24", dx4Sid: "fc00:0:1::4:1" }',
      "links:",
      '  - { a: a, b: b, sidA: "fc00:0:1::a:b" }',
      "",
    ].join("\n"),
    "t.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.equal(r.value.routers[0]!.sid, "fc00:0:1::100");
  assert.equal(r.value.routers[1]!.sid, "fc00:0:2::1");
  assert.equal(r.value.hosts[0]!.dx4Sid, "fc00:0:1::4:1");
  assert.equal(r.value.links[0]!.sidA, "fc00:0:1::a:b");
  assert.equal(r.value.links[0]!.sidB, "fc00:0:2::e8cd:4477");
});

test("explicit SIDs are checked, each error at its field's line and column", () => {
  assert.deepEqual(
    errorsOf(
      [
        "routers:",
        '  - { name: a, locator: "fc00:0:1::/48", sid: "fc00:0:2::1" }',
        '  - { name: b, locator: "fc00:0:2::/48", sid: 7 }',
        '  - { name: c, locator: "fc00:0:3::/48", sid: "fc00:0:3::" }',
        '  - { name: d, locator: "fc00:0:4::/48" }',
        "hosts:",
        '  - { name: h1, router: a, address: "2001:db8:1::10/64", dx4Sid: "fc00:0:1::d" }',
        '  - { name: h2, router: d, address: "2001:db8:2::10/64", address4: "10.0.2.10/24", dx4Sid: "fc00:0:4::1" }',
        "links:",
        '  - { a: a, b: b, sidA: "fc00:0:1::5", sidB: "fc00:0:2::ffff:ffff" }',
        '  - { a: b, b: c, sidA: "fc00:0:2::/64", sidB: "fc00:0:3::9" }',
        '  - { a: c, b: a, sidA: "fc00:0:3::9", sidB: "fc00:0:1::5" }',
        "",
      ].join("\n"),
    ),
    [
      "t.yaml:2:47: routers[0].sid: SID fc00:0:2::1 is outside a's locator fc00:0:1::/48, so it would not be routed to a",
      't.yaml:3:47: routers[1].sid: "7" is not an IPv6 address (a SID has no prefix length)',
      "t.yaml:4:47: routers[2].sid: SID fc00:0:3:: is c's locator address itself; use an address inside it",
      "t.yaml:10:46: links[0].sidB: SID fc00:0:2::ffff:ffff is reserved: the lab puts it on b to advertise the locator",
      't.yaml:11:25: links[1].sidA: "fc00:0:2::/64" is not an IPv6 address (a SID has no prefix length)',
      "t.yaml:12:25: links[2].sidA: SID fc00:0:3::9 is already c's End.X SID for link b-c",
      "t.yaml:12:46: links[2].sidB: SID fc00:0:1::5 is already a's End.X SID for link a-b",
      "t.yaml:7:66: hosts[0].dx4Sid: only a dual-stack host (one with address4) has an End.DX4 SID",
      "t.yaml:8:92: hosts[1].dx4Sid: SID fc00:0:4::1 is d's End SID (derived); choose another",
    ],
  );
});

test("two derived SIDs of one router that hash alike: an error at the entry, asking for an explicit SID", () => {
  // r-n29997 and r-n40454 hash alike at r (see core/sids.spec.ts).
  const text = [
    "routers:",
    '  - { name: r, locator: "fc00:0:1::/48" }',
    '  - { name: n29997, locator: "fc00:0:2::/48" }',
    '  - { name: n40454, locator: "fc00:0:3::/48" }',
    "hosts: []",
    "links:",
    "  - { a: r, b: n29997 }",
    "  - { a: r, b: n40454 }",
    "",
  ].join("\n");
  assert.deepEqual(errorsOf(text), [
    "t.yaml:8:5: links[1].sidA: r's End.X SID for link r-n40454, derived as fc00:0:1::e01a:fad9, is also r's End.X SID for link r-n29997; give one of them an explicit SID (links[0].sidA)",
  ]);
  assert.ok(parseTopology(text.replace("{ a: r, b: n40454 }", '{ a: r, b: n40454, sidA: "fc00:0:1::e2" }'), "t.yaml").ok);
});

test("routers may say where they are: latitude and longitude, both or neither, in range", () => {
  const head = `hosts: []\nlinks: []\nrouters:\n`;
  const r = parseTopology(`${head}  - { name: a, locator: "fc00:0:1::/48", latitude: 38.25, longitude: -85.76 }\n`, "t.yaml");
  assert.ok(r.ok);
  assert.equal(r.value.routers[0]!.latitude, 38.25);
  assert.equal(r.value.routers[0]!.longitude, -85.76);
  assert.deepEqual(errorsOf(`${head}  - { name: a, locator: "fc00:0:1::/48", latitude: 91, longitude: 0 }\n`), [
    "t.yaml:4:52: routers[0].latitude: expected degrees from -90 to 90, got 91",
  ]);
  assert.equal(errorsOf(`${head}  - { name: a, locator: "fc00:0:1::/48", latitude: 10 }\n`)[0]!.includes("latitude without longitude"), true);
});
