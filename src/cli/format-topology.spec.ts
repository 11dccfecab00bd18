import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTopology } from "../config/topology-file.js";
import { topologyView } from "../core/topology-view.js";
import { formatTopology } from "./format-topology.js";

const TOPOLOGY = `routers:
  - { name: r1, locator: "fc00:0:1::/48" }
  - { name: r2, locator: "fc00:0:2::/48", region: eu-west, msd: 6 }
  - { name: r3, locator: "fc00:0:3::/48" }
hosts:
  - { name: h1, router: r1, address: "2001:db8:1::10/64" }
links:
  - { a: r1, b: r2, delay: 2ms, bandwidth: 10Gbps, mtu: 9000, colors: [gold, encrypted], srlgs: [duct-7], loss: "0.1%", jitter: 300us, utilization: 40% }
  - { a: r2, b: r3 }
services:
  - name: fw
    instances:
      - { node: r3, sid: "fc00:0:3::f1" }
      - { node: r2, sid: "fc00:0:2::f1", healthy: false }
`;

test("columns some row fills are shown ('-' where a row has none), the others left out; services listed per instance", () => {
  const r = parseTopology(TOPOLOGY, "t.yaml");
  assert.ok(r.ok);
  assert.equal(formatTopology("t.yaml", "yaml", topologyView(r.value), []), [
    "t.yaml: Cairn topology YAML, 3 routers, 1 host, 2 links, 1 service",
    "",
    "routers:",
    "  NAME  LOCATOR        END SID      REGION   MSD",
    "  r1    fc00:0:1::/48  fc00:0:1::1  -        -",
    "  r2    fc00:0:2::/48  fc00:0:2::1  eu-west  6",
    "  r3    fc00:0:3::/48  fc00:0:3::1  -        -",
    "",
    "hosts:",
    "  NAME  ROUTER  ADDRESS",
    "  h1    r1      2001:db8:1::10/64",
    "",
    "links:",
    "  ID     A   B   IGP  TE  DELAY  JITTER  LOSS  BANDWIDTH  UTIL  COLORS          SRLGS   MTU   END.X SID A          END.X SID B",
    "  r1-r2  r1  r2  10   10  2ms    300us   0.1%  10Gbps     40%   gold,encrypted  duct-7  9000  fc00:0:1::ebe1:d6bb  fc00:0:2::e8e1:d202",
    "  r2-r3  r2  r3  10   10  1ms    -       -     1Gbps      -     -               -       1500  fc00:0:2::ee2b:6230  fc00:0:3::ef2b:63c3",
    "",
    "services:",
    "  SERVICE  NODE  SID           HEALTHY",
    "  fw       r3    fc00:0:3::f1  yes",
    "  fw       r2    fc00:0:2::f1  no",
  ].join("\n"));
});

test("GraphML routers: node id and coordinates, the label only where the name is not it; control characters escaped", () => {
  const view = topologyView(
    { routers: [{ name: "A#1", locator: "fc00:0:1::/48", sid: "fc00:0:1::1" }, { name: "B", locator: "fc00:0:2::/48", sid: "fc00:0:2::1" }, { name: "#3", locator: "fc00:0:3::/48", sid: "fc00:0:3::1" }], hosts: [], links: [], services: [] },
    [{ id: "1", label: "A\u001b[2J", latitude: 1.5, longitude: -2 }, { id: "2", label: "B", latitude: 0, longitude: 0 }, { id: "3", label: "", latitude: 3, longitude: 4 }],
  );
  const out = formatTopology("z.graphml", "graphml", view, ["dropped 1 node: \"x\""]);
  assert.deepEqual(out.split("\n").slice(0, 10), [
    "z.graphml: Topology Zoo GraphML, 3 routers, 0 hosts, 0 links",
    "notes:",
    '  - dropped 1 node: "x"',
    "",
    "routers:",
    "  NAME  LOCATOR        END SID      NODE ID  LABEL       LAT  LON",
    "  A#1   fc00:0:1::/48  fc00:0:1::1  1        A\\u001b[2J  1.5  -2",
    "  B     fc00:0:2::/48  fc00:0:2::1  2        -           0    0",
    "  #3    fc00:0:3::/48  fc00:0:3::1  3        (none)      3    4",
    "",
  ]);
  assert.match(out, /\nhosts: none\n\nlinks: none$/);
});

test("a metric that differs by direction shows both, a→b/b→a, with a legend; parallel links by id; --json has reverse", () => {
  const r = parseTopology(`routers:
  - { name: r1, locator: "fc00:0:1::/48" }
  - { name: r2, locator: "fc00:0:2::/48" }
hosts: []
links:
  - { id: fast, a: r1, b: r2, igp: { r1: 10, r2: 30 }, delay: { r1: 2ms, r2: 2ms } }
  - { id: slow, a: r2, b: r1, igp: 50 }
`, "t.yaml");
  assert.ok(r.ok);
  const v = topologyView(r.value);
  const out = formatTopology("t.yaml", "yaml", v, []).split("\n");
  const row = (id: string) => out.find((l) => l.trimStart().startsWith(`${id} `))!.trim().split(/\s+/);
  assert.deepEqual(row("fast").slice(0, 6), ["fast", "r1", "r2", "10/30", "10/30", "2ms"]);
  assert.deepEqual(row("slow").slice(0, 6), ["slow", "r2", "r1", "50", "50", "1ms"]);
  assert.ok(out.includes("  (X/Y: X from A to B, Y from B to A)"));
  assert.deepEqual(v.links[0]!.reverse, { igp: 30, te: 30, delayUs: 2000, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0 });
  assert.equal("reverse" in v.links[1]!, false);
});
