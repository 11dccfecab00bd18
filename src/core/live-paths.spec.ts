// Paths over the live network (live-paths.ts) and the probes targets carry (targets.ts), on the demo
// network: r1 > r2 > r3 > r4 is the low-latency core, r1 > r7 > r4 the IGP's path, r1 > r5 > r6 > r4 bulk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "../config/topology-file.js";
import type { Intent, PathResult, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import { hostRules } from "./assignments.js";
import { computePathToRouter } from "./path-engine.js";
import { computeLivePath, NOTHING_UNAVAILABLE, type Unavailable } from "./live-paths.js";
import { probeSids } from "./probes.js";
import { IgpView, replay } from "./brute-force.js";

const demo: Topology = (() => {
  const r = parseTopology(readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();

function intent(over: Partial<Intent> = {}): Intent {
  return { name: "video", match: { hosts: ["h1"], to: { host: "h2" }, ports: [] }, objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "none", ...over };
}

function marked(over: { downLinks?: string[]; downRouters?: string[]; degradedLinks?: string[]; degradedRouters?: string[] }): Unavailable {
  return {
    down: { links: over.downLinks ?? [], routers: over.downRouters ?? [] },
    degraded: { links: over.degradedLinks ?? [], routers: over.degradedRouters ?? [] },
  };
}

function live(u: Unavailable, i: Intent = intent()): PathResult {
  return computeLivePath(demo, i, "h1", "r4", u);
}

function ok(r: PathResult) {
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r;
}

test("nothing marked: the declared topology's path", () => {
  assert.deepEqual(live(NOTHING_UNAVAILABLE), computePathToRouter(demo, intent(), "h1", "r4"));
  assert.deepEqual(ok(live(NOTHING_UNAVAILABLE)).path.nodes, ["r1", "r2", "r3", "r4"]);
});

test("a link marked down is crossed by no path, primary or backup", () => {
  const r = ok(live(marked({ downLinks: ["r2-r3"] })));
  assert.deepEqual(r.path.nodes, ["r1", "r2", "r7", "r4"]);
  assert.deepEqual(r.notes, []);
  const p = ok(live(marked({ downLinks: ["r2-r3"] }), intent({ protection: "link" })));
  assert.ok(!p.path.links.includes("r2-r3") && !p.backup!.links.includes("r2-r3"));
  assert.deepEqual(p.backup!.nodes, ["r1", "r7", "r6", "r4"]);
});

test("a link marked down stays in the IGP the segment list is computed on: for a gray failure the routers still forward over it", () => {
  const r = ok(live(marked({ downLinks: ["r1-r7"] }), intent({ objective: "igp" })));
  assert.deepEqual(r.path.nodes, ["r1", "r5", "r6", "r4"]);
  // Without r1-r7 the IGP itself would take r1 > r5 > r6 > r4 and no SID would be needed; with it
  // (the routers' IGP, which saw no failure) r5 > r4 ties with r5 > r1 > r7 > r4, so End.X r5>r6 pins it.
  assert.deepEqual(r.path.segments.map((s) => `${s.behavior}@${s.node}`), ["End.X@r5"]);
  const igp = new IgpView(demo);
  const replayed = replay(demo, igp, "r1", "r4", r.path.segments);
  assert.ok(replayed.ok && replayed.walk.nodes.join(">") === "r1>r5>r6>r4");
});

test("a router marked down is avoided; the query's own ends cannot be, and the target says so", () => {
  assert.deepEqual(ok(live(marked({ downRouters: ["r2"] }))).path.nodes, ["r1", "r7", "r4"]);
  const src = ok(live(marked({ downRouters: ["r1", "r2"] })));
  assert.deepEqual(src.path.nodes, ["r1", "r7", "r4"]);
  assert.deepEqual(src.notes, ["the source router r1 is marked down by liveliness; no path can avoid it"]);
  const dst = ok(live(marked({ degradedRouters: ["r4"] })));
  assert.deepEqual(dst.path.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(dst.notes, ["the destination router r4 is marked degraded by liveliness; no path can avoid it"]);
});

test("marked down beyond what the intent allows: infeasible, naming the overlay and the constraint that cut together", () => {
  const onlyCore = intent({ constraints: { ...NO_CONSTRAINTS, avoidNodes: ["r7", "r5"] } });
  const r = live(marked({ downLinks: ["r2-r3"] }), onlyCore);
  assert.ok(!r.ok);
  assert.equal(r.reason, "avoidNodes [r7, r5] and links marked down [r2-r3] together cut every path from r1 to r4");
  const alone = live(marked({ downLinks: ["r1-r2", "r1-r7", "r1-r5"] }));
  assert.ok(!alone.ok);
  assert.equal(alone.reason, "links marked down [r1-r2, r1-r5, r1-r7] cuts every path from r1 to r4");
});

test("degraded elements are avoided when a path without them meets the intent, kept with a note when none does", () => {
  const avoided = ok(live(marked({ degradedLinks: ["r2-r3"] })));
  assert.deepEqual(avoided.path.nodes, ["r1", "r2", "r7", "r4"]);
  assert.deepEqual(avoided.notes, []);
  const onlyCore = intent({ constraints: { ...NO_CONSTRAINTS, avoidNodes: ["r7", "r5"] } });
  const kept = ok(live(marked({ degradedLinks: ["r2-r3"], degradedRouters: ["r3", "r6"] }), onlyCore));
  assert.deepEqual(kept.path.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(kept.notes, ["crosses link r2-r3, router r3, marked degraded: no path that avoids them meets the intent"]);
  // Down wins over degraded: r2-r3 down leaves nothing for onlyCore, degraded or not.
  assert.ok(!live(marked({ downLinks: ["r2-r3"], degradedRouters: ["r3"] }), onlyCore).ok);
});

test("targets carry their probes; an IPv4 target has its IPv6 twin's, a backup its own; no path, no probe", () => {
  const [rule] = hostRules(demo, [intent({ protection: "link" })], "h1");
  const [v6, v4] = rule!.targets;
  assert.deepEqual([v6!.prefix, v4!.prefix], ["2001:db8:2::10/128", "10.0.2.10/32"]);
  assert.ok(v6!.result.ok && v4!.result.ok);
  assert.deepEqual(v6!.probes, { primary: probeSids(demo, v6!.result.path), backup: probeSids(demo, v6!.result.backup!) });
  assert.deepEqual(v4!.probes, v6!.probes);
  assert.notDeepEqual(v6!.probes!.primary, v6!.probes!.backup);
  const [plain] = hostRules(demo, [intent()], "h1");
  assert.equal(plain!.targets[0]!.probes!.backup, null);
  const [none] = hostRules(demo, [intent({ constraints: { ...NO_CONSTRAINTS, maxLatencyUs: 10 } })], "h1");
  assert.equal(none!.targets[0]!.result.ok, false);
  assert.equal(none!.targets[0]!.probes, undefined);
  // hostRules takes the overlay too.
  const [moved] = hostRules(demo, [intent()], "h1", marked({ downLinks: ["r2-r3"] }));
  assert.ok(moved!.targets[0]!.result.ok && moved!.targets[0]!.result.path.nodes.join(">") === "r1>r2>r7>r4");
});
