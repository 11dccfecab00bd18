import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "../config/topology-file.js";
import { parseIntents } from "../config/intents-file.js";
import type { Intent, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import { computePath } from "./path-engine.js";
import { hostRules } from "./assignments.js";
import { endXSidOf } from "./sids.js";

/** The End.X SID of `router` over the demo's link `id`. */
function x(id: string, router: string): string {
  return endXSidOf(topo.links.find((l) => l.id === id)!, router);
}

const read = (f: string) => readFileSync(new URL(`../../examples/demo/${f}`, import.meta.url), "utf8");
const topo: Topology = (() => {
  const r = parseTopology(read("topology.yaml"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();

function intent(partial: Partial<Intent["constraints"]> & { objective?: Intent["objective"]; to?: Intent["match"]["to"] } = {}): Intent {
  const { objective = "latency", to = { host: "h2" }, ...c } = partial;
  return { name: "t", match: { hosts: ["h1"], to, ports: [] }, objective, constraints: { ...NO_CONSTRAINTS, ...c }, via: [], protection: "none" };
}

function route(i: Intent) {
  const r = computePath(topo, i, "h1");
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.path;
}

test("latency objective takes the low-latency core with one End.X SID (the fewest SIDs that pin it)", () => {
  const p = route(intent());
  assert.deepEqual(p.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(p.metrics, { latencyUs: 3000, igp: 90, te: 90, hops: 3, jitterUs: 0, loss: 0, bottleneckBps: 10e9, maxUtilization: 0 });
  assert.equal(p.srhBytes, 8 + 16 * 2);
  // r1→r2 is the IGP's own choice; r2's End.X forces r2-r3 (the IGP would take r2-r7); r3→r4 is the IGP's again.
  assert.deepEqual(p.segments, [{ sid: x("r2-r3", "r2"), node: "r2", behavior: "End.X", link: ["r2", "r3"] }]);
});

test("igp objective is the IGP's own path and needs no segment at all", () => {
  const p = route(intent({ objective: "igp" }));
  assert.deepEqual(p.nodes, ["r1", "r7", "r4"]);
  assert.deepEqual(p.segments, []);
});

test("hops objective: fewest links, ties broken deterministically", () => {
  const p = route(intent({ objective: "hops" }));
  assert.equal(p.metrics.hops, 2);
  assert.deepEqual(p.nodes, ["r1", "r7", "r4"]);
});

test("avoidance moves the path; an ECMP-ambiguous leg is pinned", () => {
  const p = route(intent({ objective: "igp", avoidNodes: ["r2", "r3", "r7"] }));
  assert.deepEqual(p.nodes, ["r1", "r5", "r6", "r4"]);
  // r1→r5 is the IGP's; r5→r4 has two equal IGP paths (via r6, or back via r1-r7), so r5's End.X pins r5-r6;
  // r6→r4 is the IGP's. One SID instead of End r5 + End r6.
  assert.deepEqual(p.segments, [{ sid: x("r5-r6", "r5"), node: "r5", behavior: "End.X", link: ["r5", "r6"] }]);
  const viaLink = route(intent({ avoidLinks: ["r2-r3"] }));
  assert.ok(!viaLink.nodes.join().includes("r2,r3"));
});

test("a link that is not the IGP's choice is forced with an End.X SID", () => {
  // Latency-best without r2: r1-r7-r6? no: r1-r5-r6-r4 is 30 ms; r1-r7-r4 is 16 ms; r1-r7-r6-r4 is 23 ms.
  // Forbid the r7-r4 link: r1-r7-r6-r4 (23 ms) beats r1-r5-r6-r4 (30 ms). r7→r6 (igp 30) is not r7's IGP
  // path to r6 (r7-r1-r5-r6 is 50, r7-r4-r6 is 30: a tie), so r7 must be forced over the link.
  const p = route(intent({ avoidNodes: ["r2"], avoidLinks: ["r7-r4"] }));
  assert.deepEqual(p.nodes, ["r1", "r7", "r6", "r4"]);
  assert.deepEqual(p.segments, [{ sid: x("r7-r6", "r7"), node: "r7", behavior: "End.X", link: ["r7", "r6"] }]);
});

test("maxLatency is a hard constraint, not a preference", () => {
  const ok = route(intent({ objective: "igp", maxLatencyUs: 20_000 }));
  assert.deepEqual(ok.nodes, ["r1", "r7", "r4"]);
  const tight = route(intent({ objective: "igp", maxLatencyUs: 10_000 }));
  assert.deepEqual(tight.nodes, ["r1", "r2", "r3", "r4"], "the only path within 10 ms, although the IGP's worst");
  const r = computePath(topo, intent({ maxLatencyUs: 2_000 }), "h1");
  assert.deepEqual(r, { ok: false, reason: "maxLatency 2ms cannot be met: the lowest-latency path from r1 to r4 takes 3ms" });
});

test("infeasible intents give a reason instead of throwing", () => {
  assert.deepEqual(computePath(topo, intent({ avoidNodes: ["r2", "r5", "r7"] }), "h1"), { ok: false, reason: "avoidNodes [r2, r5, r7] cuts every path from r1 to r4" });
  assert.deepEqual(computePath(topo, intent({ avoidNodes: ["r4"] }), "h1"), { ok: false, reason: "the destination router r4 is excluded by avoidNodes [r4]" });
  assert.deepEqual(computePath(topo, intent({ to: { prefix: "2001:db8:99::/64" } }), "h1"), { ok: false, reason: "no router of the topology reaches 2001:db8:99::/64" });
  assert.deepEqual(computePath(topo, intent({ to: { prefix: "2001:db8::/32" } }), "h1"), { ok: false, reason: "2001:db8::/32 sits behind several routers (r1, r4); use a narrower prefix" });
  const island: Topology = { ...topo, routers: [...topo.routers, { name: "r9", locator: "fc00:0:9::/48", sid: "fc00:0:9::1" }], hosts: [...topo.hosts, { name: "h9", router: "r9", address: "2001:db8:9::1", prefixLen: 64 }] };
  assert.deepEqual(computePath(island, intent({ to: { host: "h9" } }), "h1"), { ok: false, reason: "no path from r1 to r9 in the topology" });
});

test("a prefix destination resolves to the router behind it", () => {
  assert.deepEqual(route(intent({ to: { prefix: "2001:db8:2::/64" } })).nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(route(intent({ to: { prefix: "fc00:0:4::/48" } })).nodes, ["r1", "r2", "r3", "r4"]);
});

test("hostRules expands port ranges and keeps intents off other hosts; a dual-stack destination gets both families", () => {
  const r = parseIntents('intents:\n  - name: web\n    match: { hosts: [h1], to: h2, protocol: tcp, ports: [443, "8000-8080"] }\n', "i.yaml", topo);
  assert.ok(r.ok);
  const rules = hostRules(topo, r.value, "h1");
  assert.deepEqual(rules.map((x) => [x.key, x.targets.map((t) => t.prefix), x.match.protocol, x.match.portFrom, x.match.portTo]), [
    ["web#0", ["2001:db8:2::10/128", "10.0.2.10/32"], 6, 443, 443],
    ["web#1", ["2001:db8:2::10/128", "10.0.2.10/32"], 6, 8000, 8080],
  ]);
  assert.deepEqual(hostRules(topo, r.value, "h2"), []);
});
