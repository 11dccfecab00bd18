// Incremental recomputation in the controller state: an overlay change recomputes exactly the path
// groups whose paths cross what got worse, and when something comes back, the groups the overlay
// displaced (declared-topology paths crossing a mark); it names as recomputed exactly the (host,
// intent) pairs whose paths cross those; the result always equals a full recomputation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { hostRules } from "../core/assignments.js";
import type { RuleTarget } from "../core/assignments.js";
import type { Intent, PathSpec, Topology } from "../core/model.js";
import { destinationRouter } from "../core/path-engine.js";
import { crossedElements } from "../core/crossing-index.js";
import { elementKey } from "../core/elements.js";
import { NOTHING_UNAVAILABLE, type Unavailable } from "../core/live-paths.js";
import { computeLiveRouterPath } from "../core/live-paths.js";
import { pathSpecKey } from "../core/path-groups.js";
import { ruleTargets } from "../core/targets.js";
import { parseTopology } from "../config/topology-file.js";
import { createControllerState } from "./state.js";
import type { RouterPathOf } from "./path-group-table.js";
import { INTENTS_V1, INTENTS_V2, testIntents, testTopology } from "./testing.js";

/** computeLiveRouterPath, counting its calls as "from>to names" (the names of `intents` with the spec's path requirements). */
function counting(intents: readonly Intent[]): { paths: RouterPathOf; calls: string[]; names: (spec: PathSpec) => string } {
  const calls: string[] = [];
  const names = (spec: PathSpec) => intents.filter((i) => pathSpecKey(i) === pathSpecKey(spec)).map((i) => i.name).join("+");
  return { calls, names, paths: (t, spec, from, to, u) => (calls.push(`${from}>${to} ${names(spec)}`), computeLiveRouterPath(t, spec, from, to, u)) };
}

const mark = (down: string[], degraded: string[] = []): Unavailable => ({
  down: { links: down.filter((x) => x.includes("-")), routers: down.filter((x) => !x.includes("-")) },
  degraded: { links: degraded.filter((x) => x.includes("-")), routers: degraded.filter((x) => !x.includes("-")) },
});

const nodesOf = (t: RuleTarget | undefined) => (t?.result.ok ? t.result.path.nodes.join(">") : `no path: ${t?.result.ok === false ? t.result.reason : "?"}`);

// r1 -- r2 -- r4 (1 ms links) and r1 -- r3 -- r4 (5 ms); h1@r1, h2@r4, h3@r2. INTENTS_V1: web and
// bulk from h1 (both r1>r2>r4; bulk avoids r3), h3-out from h3 (r2>r1>r3>r4, it avoids r2-r4).
const topology = testTopology();
const v1 = testIntents(topology, INTENTS_V1);

test("a link marked down recomputes the pairs crossing it, and pushes to their host only", () => {
  const c = counting(v1);
  const s = createControllerState(topology, v1, { paths: c.paths });
  assert.deepEqual(c.calls.sort(), ["r1>r4 bulk", "r1>r4 web", "r2>r4 h3-out"], "initially every group once, and no declared twin");
  c.calls.length = 0;
  const r = s.setLiveliness(mark(["r2-r4"]), new Map());
  assert.deepEqual(c.calls.sort(), ["r1>r4 bulk", "r1>r4 web"]);
  assert.deepEqual(r.recomputed, [{ host: "h1", rule: "bulk#0" }, { host: "h1", rule: "web#0" }, { host: "h1", rule: "web#1" }]);
  assert.deepEqual(r.changed, r.recomputed);
  assert.deepEqual(r.deltas.map((d) => [d.host, d.version, d.upserts.map((u) => u.key), d.removed, d.watch]), [["h1", 2n, ["web#0", "web#1", "bulk#0"], [], undefined]]);
  const [web, , bulk] = s.snapshot("h1")!.rules;
  assert.equal(nodesOf(web!.targets[0]), "r1>r3>r4");
  assert.equal(nodesOf(bulk!.targets[0]), "no path: avoidNodes [r3] and links marked down [r2-r4] together cut every path from r1 to r4");
  assert.equal(s.snapshot("h3")!.version, 1n);
});

test("degraded on top: the pairs crossing it are recomputed and keep it, with a note", () => {
  const c = counting(v1);
  const s = createControllerState(topology, v1, { paths: c.paths });
  s.setLiveliness(mark(["r2-r4"]), new Map());
  c.calls.length = 0;
  const r = s.setLiveliness(mark(["r2-r4"], ["r1-r3"]), new Map());
  assert.deepEqual(c.calls.sort(), ["r1>r4 web", "r2>r4 h3-out"]);
  assert.deepEqual(r.deltas.map((d) => [d.host, d.version]), [["h1", 3n], ["h3", 2n]]);
  const web = s.snapshot("h1")!.rules[0]!.targets[0]!.result;
  assert.ok(web.ok && web.notes.includes("crosses link r1-r3, marked degraded: no path that avoids them meets the intent"));
});

test("an element coming back recomputes the pairs the overlay displaced, and the original paths return", () => {
  const c = counting(v1);
  const s = createControllerState(topology, v1, { paths: c.paths });
  const original = s.snapshot("h1")!.rules;
  s.setLiveliness(mark(["r2-r4"], ["r1-r3"]), new Map());
  c.calls.length = 0;
  // r2-r4 up again: no current path crosses it; web and bulk would, over the declared topology, and
  // h3-out's declared path crosses r1-r3, still degraded (it is recomputed, and stays as it is).
  const back = s.setLiveliness(mark([], ["r1-r3"]), new Map());
  assert.deepEqual(c.calls.sort(), ["r1>r4 bulk", "r1>r4 web", "r2>r4 h3-out"]);
  assert.deepEqual(back.changed.map((x) => x.rule), ["bulk#0", "web#0", "web#1"]);
  assert.deepEqual(s.snapshot("h1")!.rules, original);
  c.calls.length = 0;
  const clear = s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.deepEqual(c.calls, ["r2>r4 h3-out"]);
  assert.deepEqual(clear.deltas.map((d) => d.host), ["h3"]);
  for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(topology, v1, h));
  // Nothing changed: nothing computed, nothing pushed.
  c.calls.length = 0;
  assert.deepEqual(s.setLiveliness(NOTHING_UNAVAILABLE, new Map()), { deltas: [], recomputed: [], changed: [] });
  assert.deepEqual(c.calls, []);
});

test("watch probes: a host's new set is pushed (alone if its rules did not change), and only when it changed", () => {
  const s = createControllerState(topology, v1);
  const probe = { probeSids: ["fc00:0:4::1", "fc00:0:2::e001"], routers: ["r2", "r4"], links: ["r2-r4"], reason: "link r2-r4 marked down" };
  const r = s.setLiveliness(NOTHING_UNAVAILABLE, new Map([["h3", [probe]]]));
  assert.deepEqual(r.deltas, [{ host: "h3", version: 2n, upserts: [], removed: [], watch: [probe], topologyRevision: 1, intentsRevision: 1 }]);
  assert.deepEqual(s.snapshot("h3")!.watch, [probe]);
  assert.deepEqual(s.setLiveliness(NOTHING_UNAVAILABLE, new Map([["h3", [{ ...probe }]]])).deltas, []);
  assert.deepEqual(s.setLiveliness(NOTHING_UNAVAILABLE, new Map()).deltas, [{ host: "h3", version: 3n, upserts: [], removed: [], watch: [], topologyRevision: 1, intentsRevision: 1 }]);
});

test("intent changes compute only the groups not computed yet; under an overlay also their declared paths", () => {
  const v3 = testIntents(topology, INTENTS_V1.replace("objective: latency", "objective: hops"));
  const c = counting([...v1, ...v3.filter((i) => i.name === "web").map((i) => ({ ...i, name: "web-hops" }))]);
  const s = createControllerState(topology, v1, { paths: c.paths });
  c.calls.length = 0;
  s.setIntents(testIntents(topology, INTENTS_V1));
  assert.deepEqual(c.calls, [], "the same intents: nothing computed");
  s.setIntents(testIntents(topology, INTENTS_V2));
  assert.deepEqual(c.calls, [], "web lost a port range and bulk aims at h2's /64 (behind r4 too): the same groups");
  for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(topology, testIntents(topology, INTENTS_V2), h));
  s.setIntents(v3);
  assert.deepEqual(c.calls, ["r1>r4 web-hops"], "web's new objective is a new group");
  s.setLiveliness(mark(["r1-r3"]), new Map());
  c.calls.length = 0;
  s.setIntents(v1);
  assert.deepEqual(c.calls, ["r1>r4 web", "r1>r4 web"], "latency from r1 to r4 again (the group was dropped), with and without the overlay");
  for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(topology, v1, h, mark(["r1-r3"])));
  // The declared crossings came from the declared paths: clearing r1-r3 brings back web's... and h3-out's.
  c.calls.length = 0;
  s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.deepEqual(c.calls.sort(), ["r2>r4 h3-out"]);
});

test("hosts behind one router share one computation per path requirement, and an element touches exactly the groups whose paths cross it", () => {
  // h1 and h4 behind r1; two intents with the same requirements to h2 (r4) share one group with h3-out's? No: h3 is behind r2.
  const t: Topology = { ...topology, hosts: [...topology.hosts, { ...topology.hosts[0]!, name: "h4", address: "2001:db8:1::11" }] };
  const intents = testIntents(
    t,
    `intents:
  - name: a
    match: { hosts: [h1, h4, h3], to: h2 }
    objective: latency
  - name: b
    match: { hosts: [h1, h4], to: h2, app: other }
    objective: latency
  - name: c
    match: { hosts: [h1, h4, h3], to: h2 }
    objective: igp
    constraints: { avoidNodes: [r3] }
`,
  );
  const c = counting(intents);
  const s = createControllerState(t, intents, { paths: c.paths });
  assert.deepEqual(c.calls.sort(), ["r1>r4 a+b", "r1>r4 c", "r2>r4 a+b", "r2>r4 c"], "4 groups for 8 pairs");
  for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(t, intents, h));
  // Each element touches exactly the groups whose current paths cross it (computed here, group by group).
  for (const id of [...t.links.map((l) => l.id), ...t.routers.map((r) => r.name)]) {
    const kind = id.includes("-") ? "link" : "router";
    const crossing = ["r1>r4 a+b", "r1>r4 c", "r2>r4 a+b", "r2>r4 c"].filter((g) => {
      const [ends, name] = g.split(" ");
      const [from, to] = ends!.split(">");
      const spec = intents.find((i) => i.name === name!.split("+")[0])!;
      return crossedElements([{ prefix: "", result: computeLiveRouterPath(t, spec, from!, to!, NOTHING_UNAVAILABLE) }]).includes(elementKey({ kind, id }));
    });
    const probe = createControllerState(t, intents, { paths: c.paths });
    c.calls.length = 0;
    const r = probe.setLiveliness(mark([id]), new Map());
    assert.deepEqual(c.calls.sort(), crossing, `groups recomputed for ${id} down`);
    const hosts = new Set(r.recomputed.map((x) => x.host));
    for (const h of hosts) assert.ok(crossing.some((g) => g.startsWith(h === "h3" ? "r2>" : "r1>")), `${h} recomputed for ${id}`);
    for (const h of probe.hosts()) assert.deepEqual(probe.snapshot(h)!.rules, hostRules(t, intents, h, mark([id])), `${h} with ${id} down`);
  }
});

// ---------------------------------------------------------------------------------------------
// Property: random overlay changes on the demo network, intents from both hosts.

const demo: Topology = (() => {
  const r = parseTopology(readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();
const demoIntents: Intent[] = testIntents(
  demo,
  `intents:
  - name: video
    match: { hosts: [h1], to: h2, protocol: udp, ports: [5000, 6000] }
    objective: latency
    protection: link
  - name: bulk
    match: { hosts: [h1, h2], to: "2001:db8:2::/64" }
    objective: bandwidth
  - name: back
    match: { hosts: [h2], to: h1 }
    objective: igp
    constraints: { avoidNodes: [r7] }
  - name: names
    match: { hosts: [h2], to: media.example.com }
    objective: hops
`,
  "intents.yaml",
);
const ELEMENTS = [...demo.links.map((l) => l.id), ...demo.routers.map((r) => r.name)];

/** The routers a pair's paths go to: its destination's, or for a DNS name every other host's. */
const toRouters = (i: Intent, h: string): string[] => {
  const d = destinationRouter(demo, i);
  return d.ok ? [d.router] : [...new Set(demo.hosts.filter((x) => x.name !== h).map((x) => x.router))];
};
const routerOf = (h: string) => demo.hosts.find((x) => x.name === h)!.router;

/** What a recompute must touch: the units crossing an element whose mark changed, and when one came back, those whose declared paths cross an element marked before. */
function touched(prev: Unavailable, next: Unavailable, crossing: Map<string, (u: Unavailable) => Set<string>>): Set<string> {
  const rank = (u: Unavailable, kind: "link" | "router", id: string) => (u.down[`${kind}s`].includes(id) ? 2 : u.degraded[`${kind}s`].includes(id) ? 1 : 0);
  const kindOf = (x: string) => (x.includes("-") ? "link" : "router");
  const before = new Map([...crossing].map(([k, f]) => [k, f(prev)]));
  const declared = new Map([...crossing].map(([k, f]) => [k, f(NOTHING_UNAVAILABLE)]));
  const expected = new Set<string>();
  for (const id of ELEMENTS) {
    const key = elementKey({ kind: kindOf(id), id });
    const was = rank(prev, kindOf(id), id);
    const now = rank(next, kindOf(id), id);
    if (was === now) continue;
    for (const [p, els] of before) if (els.has(key)) expected.add(p);
    if (now < was) {
      const markedBefore = ELEMENTS.filter((x) => rank(prev, kindOf(x), x) > 0).map((x) => elementKey({ kind: kindOf(x), id: x }));
      for (const [p, els] of declared) if (markedBefore.some((k) => els.has(k))) expected.add(p);
    }
  }
  return expected;
}

/** Variants of the demo's intents an intent change picks from: each intent as it is, with another objective, or left out. */
const VARIANTS: Intent[][] = demoIntents.map((i) => [i, { ...i, objective: i.objective === "hops" ? "latency" : "hops" }]);

test("property: after any sequence of overlay and intent changes the rules equal a full recomputation; exactly the groups crossing a change (or displaced, when something comes back) were computed, and exactly the pairs crossing it named as recomputed", () => {
  let recomputedSome = 0;
  let skippedSome = 0;
  let intentChanges = 0;
  const arbMarks = fc.array(fc.constantFrom<"up" | "degraded" | "down">("up", "up", "degraded", "down"), { minLength: ELEMENTS.length, maxLength: ELEMENTS.length });
  const arbIntents = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: VARIANTS.length, maxLength: VARIANTS.length });
  const arbStep = fc.oneof({ arbitrary: arbMarks.map((m) => ({ marks: m })), weight: 3 }, { arbitrary: arbIntents.map((v) => ({ variants: v })), weight: 1 });
  fc.assert(
    fc.property(fc.array(arbStep, { minLength: 1, maxLength: 5 }), (steps) => {
      const c = counting([...demoIntents, ...VARIANTS.map((v) => ({ ...v[1]!, name: `${v[1]!.name}'` }))]);
      let intents = demoIntents;
      const s = createControllerState(demo, intents, { paths: c.paths });
      let prev: Unavailable = NOTHING_UNAVAILABLE;
      for (const step of steps) {
        if ("variants" in step) {
          intents = VARIANTS.flatMap((v, i) => (step.variants[i] === 2 ? [] : [v[step.variants[i]!]!]));
          s.setIntents(intents);
          intentChanges++;
        } else {
          const marked = (st: string) => ELEMENTS.filter((_, i) => step.marks[i] === st);
          const next = mark(marked("down"), marked("degraded"));
          const pairs = intents.flatMap((i) => i.match.hosts.map((h) => ({ h, i })));
          const pairCrossing = new Map(pairs.map(({ h, i }) => [`${h}/${i.name}`, (u: Unavailable) => new Set(crossedElements(ruleTargets(demo, i, h, u)))]));
          const groupCrossing = new Map(
            pairs.flatMap(({ h, i }) =>
              toRouters(i, h).map((to) => [`${routerOf(h)}>${to} ${c.names(i)}`, (u: Unavailable) => new Set(crossedElements([{ prefix: "", result: computeLiveRouterPath(demo, i, routerOf(h), to, u) }]))] as const),
            ),
          );
          const expectedPairs = touched(prev, next, pairCrossing);
          const expectedGroups = touched(prev, next, groupCrossing);
          c.calls.length = 0;
          const r = s.setLiveliness(next, new Map());
          assert.deepEqual([...c.calls].sort(), [...expectedGroups].sort(), `groups computed for ${JSON.stringify(next)}`);
          assert.deepEqual([...new Set(r.recomputed.map((x) => `${x.host}/${x.rule.split("#")[0]}`))].sort(), [...expectedPairs].sort(), `pairs recomputed for ${JSON.stringify(next)}`);
          if (expectedGroups.size > 0) recomputedSome++;
          if (expectedGroups.size < groupCrossing.size) skippedSome++;
          prev = next;
        }
        for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(demo, intents, h, prev), `${h} under ${JSON.stringify(prev)}`);
      }
    }),
    { numRuns: 60, seed: Number(process.env.FC_SEED ?? 20240611), includeErrorInReport: true },
  );
  assert.ok(recomputedSome > 20 && skippedSome > 20 && intentChanges > 10, `not vacuous: ${recomputedSome} steps recomputed some, ${skippedSome} skipped some, ${intentChanges} intent changes`);
});
