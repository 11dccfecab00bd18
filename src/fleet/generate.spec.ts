import { test } from "node:test";
import assert from "node:assert/strict";
import { generateFleet, intentsYaml, topologyYaml } from "./generate.js";
import { parseTopology } from "../config/topology-file.js";
import { parseIntents } from "../config/intents-file.js";
import type { Topology } from "../core/model.js";
import { LINK_DEFAULTS } from "../core/model.js";
import { withSids } from "../core/sids.js";
import { spread } from "./stats.js";

const link = (a: string, b: string) => ({ id: `${a}-${b}`, a, b, ...LINK_DEFAULTS, te: 10, srlgs: [], colors: [] });
const base: Topology = withSids({
  routers: ["New York", "Chicago", "Denver", "Lonely"].map((name, i) => ({ name, locator: `fc00:0:${i + 1}::/48` })),
  links: [link("New York", "Chicago"), link("Chicago", "Denver"), link("Denver", "New York")],
  hosts: [],
  services: [],
});

test("a fleet has N hosts on linked routers, M rules, and files the controller accepts", () => {
  const f = generateFleet(base, { hosts: 50, rules: 120, attach: "round-robin", seed: 7 });
  assert.equal(f.topology.hosts.length, 50);
  assert.ok(f.topology.hosts.every((h) => h.router !== "r4"), "no host on a router without links");
  assert.deepEqual(f.topology.hosts.slice(0, 4).map((h) => h.router), ["r1", "r2", "r3", "r1"]);
  assert.equal(f.zooNames.get("r1"), "New York");
  assert.equal(f.intents.reduce((s, i) => s + i.match.hosts.length, 0), 120);
  for (const i of f.intents) assert.ok(!i.match.hosts.includes(i.match.to), "no intent steers a host to itself");
  const t = parseTopology(topologyYaml(f.topology), "t.yaml");
  assert.ok(t.ok, JSON.stringify(!t.ok && t.errors.slice(0, 3)));
  const i = parseIntents(intentsYaml(f.intents), "i.yaml", t.value);
  assert.ok(i.ok, JSON.stringify(!i.ok && i.errors.slice(0, 3)));
  assert.equal(i.value.length, f.intents.length);
});

test("the same seed gives the same fleet; random attachment uses the seed", () => {
  const a = generateFleet(base, { hosts: 30, rules: 60, attach: "random", seed: 3 });
  const b = generateFleet(base, { hosts: 30, rules: 60, attach: "random", seed: 3 });
  const c = generateFleet(base, { hosts: 30, rules: 60, attach: "random", seed: 4 });
  assert.deepEqual(a.topology.hosts, b.topology.hosts);
  assert.deepEqual(a.intents, b.intents);
  assert.notDeepEqual(a.topology.hosts.map((h) => h.router), c.topology.hosts.map((h) => h.router));
  assert.equal(new Set(a.topology.hosts.map((h) => h.address)).size, 30);
});

test("bad sizes are refused", () => {
  assert.throws(() => generateFleet(base, { hosts: 1, rules: 1, attach: "round-robin", seed: 1 }), /at least 2 hosts/);
  assert.throws(() => generateFleet(base, { hosts: 5, rules: 0, attach: "round-robin", seed: 1 }), /at least 1 rule/);
});

test("spread: nearest-rank quantiles", () => {
  assert.deepEqual(spread([]), { count: 0, p50: 0, p99: 0, max: 0 });
  const s = spread(Array.from({ length: 100 }, (_, i) => 100 - i));
  assert.deepEqual(s, { count: 100, p50: 50, p99: 99, max: 100 });
});

test("parallel links and per-direction metrics of the graph survive into a topology file the controller accepts", async () => {
  const { parseGraphml } = await import("../config/graphml.js");
  const { zoo } = await import("../config/zoo-data.js");
  const g = parseGraphml(zoo("Cogentco.graphml"), "Cogentco.graphml");
  assert.ok(g.ok);
  const withReverse = { ...g.value.topology, links: g.value.topology.links.map((l, i) => (i === 0 ? { ...l, reverse: { ...l, igp: l.igp + 5, te: l.te + 5 } } : l)) };
  const f = generateFleet(withReverse, { hosts: 10, rules: 10, attach: "round-robin", seed: 1 });
  const t = parseTopology(topologyYaml(f.topology), "t.yaml");
  assert.ok(t.ok, JSON.stringify(!t.ok && t.errors.slice(0, 3)));
  assert.deepEqual(t.value.links.map((l) => [l.id, l.igp, l.reverse?.igp]), f.topology.links.map((l) => [l.id, l.igp, l.reverse?.igp]));
  assert.ok(t.value.links.filter((l) => /_\d+$/.test(l.id)).length === 4, "Cogentco's 2 parallel pairs are 4 links with ids");
  assert.equal(t.value.links[0]!.reverse?.igp, t.value.links[0]!.igp + 5);
});
