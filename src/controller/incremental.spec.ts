// Incremental recomputation in the controller state: an overlay change recomputes exactly the
// (host, intent) pairs whose paths cross what got worse, and when something comes back, the pairs the
// overlay displaced (declared-topology paths crossing a mark); the result always equals a full
// recomputation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { hostRules } from "../core/assignments.js";
import type { RuleTarget } from "../core/assignments.js";
import type { Intent, Topology } from "../core/model.js";
import { crossedElements } from "../core/crossing-index.js";
import { elementKey } from "../core/elements.js";
import { NOTHING_UNAVAILABLE, type Unavailable } from "../core/live-paths.js";
import { ruleTargets } from "../core/targets.js";
import { parseTopology } from "../config/topology-file.js";
import { createControllerState, type TargetsOf } from "./state.js";
import { INTENTS_V1, INTENTS_V2, testIntents, testTopology } from "./testing.js";

/** ruleTargets, counting its calls as "host/intent". */
function counting(): { targets: TargetsOf; calls: string[] } {
  const calls: string[] = [];
  return { calls, targets: (t, i, h, u) => (calls.push(`${h}/${i.name}`), ruleTargets(t, i, h, u)) };
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
  const c = counting();
  const s = createControllerState(topology, v1, { targets: c.targets });
  assert.deepEqual(c.calls.sort(), ["h1/bulk", "h1/web", "h3/h3-out"], "initially every pair once, and no declared twin");
  c.calls.length = 0;
  const r = s.setLiveliness(mark(["r2-r4"]), new Map());
  assert.deepEqual(c.calls, ["h1/bulk", "h1/web"]);
  assert.deepEqual(r.recomputed, [{ host: "h1", rule: "bulk#0" }, { host: "h1", rule: "web#0" }, { host: "h1", rule: "web#1" }]);
  assert.deepEqual(r.changed, r.recomputed);
  assert.deepEqual(r.deltas.map((d) => [d.host, d.version, d.upserts.map((u) => u.key), d.removed, d.watch]), [["h1", 2n, ["web#0", "web#1", "bulk#0"], [], undefined]]);
  const [web, , bulk] = s.snapshot("h1")!.rules;
  assert.equal(nodesOf(web!.targets[0]), "r1>r3>r4");
  assert.equal(nodesOf(bulk!.targets[0]), "no path: avoidNodes [r3] and links marked down [r2-r4] together cut every path from r1 to r4");
  assert.equal(s.snapshot("h3")!.version, 1n);
});

test("degraded on top: the pairs crossing it are recomputed and keep it, with a note", () => {
  const c = counting();
  const s = createControllerState(topology, v1, { targets: c.targets });
  s.setLiveliness(mark(["r2-r4"]), new Map());
  c.calls.length = 0;
  const r = s.setLiveliness(mark(["r2-r4"], ["r1-r3"]), new Map());
  assert.deepEqual(c.calls, ["h1/web", "h3/h3-out"]);
  assert.deepEqual(r.deltas.map((d) => [d.host, d.version]), [["h1", 3n], ["h3", 2n]]);
  const web = s.snapshot("h1")!.rules[0]!.targets[0]!.result;
  assert.ok(web.ok && web.notes.includes("crosses link r1-r3, marked degraded: no path that avoids them meets the intent"));
});

test("an element coming back recomputes the pairs the overlay displaced, and the original paths return", () => {
  const c = counting();
  const s = createControllerState(topology, v1, { targets: c.targets });
  const original = s.snapshot("h1")!.rules;
  s.setLiveliness(mark(["r2-r4"], ["r1-r3"]), new Map());
  c.calls.length = 0;
  // r2-r4 up again: no current path crosses it; web and bulk would, over the declared topology, and
  // h3-out's declared path crosses r1-r3, still degraded (it is recomputed, and stays as it is).
  const back = s.setLiveliness(mark([], ["r1-r3"]), new Map());
  assert.deepEqual(c.calls, ["h1/bulk", "h1/web", "h3/h3-out"]);
  assert.deepEqual(back.changed.map((x) => x.rule), ["bulk#0", "web#0", "web#1"]);
  assert.deepEqual(s.snapshot("h1")!.rules, original);
  c.calls.length = 0;
  const clear = s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.deepEqual(c.calls, ["h3/h3-out"]);
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

test("intent changes recompute only new or changed intents' pairs; under an overlay also their declared paths", () => {
  const c = counting();
  const s = createControllerState(topology, v1, { targets: c.targets });
  c.calls.length = 0;
  s.setIntents(testIntents(topology, INTENTS_V1));
  assert.deepEqual(c.calls, [], "the same intents: nothing computed");
  s.setIntents(testIntents(topology, INTENTS_V2));
  assert.deepEqual(c.calls.sort(), ["h1/bulk", "h1/web"], "web and bulk changed, h3-out did not");
  s.setLiveliness(mark(["r1-r3"]), new Map());
  c.calls.length = 0;
  const { deltas } = s.setIntents(testIntents(topology, INTENTS_V1));
  assert.deepEqual(c.calls.sort(), ["h1/bulk", "h1/bulk", "h1/web", "h1/web"], "each with and without the overlay");
  assert.deepEqual(deltas.map((d) => d.host), ["h1"]);
  for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(topology, v1, h, mark(["r1-r3"])));
  // The declared crossings came from the declared paths: clearing r1-r3 brings back web's... and h3-out's.
  c.calls.length = 0;
  s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.deepEqual(c.calls.sort(), ["h3/h3-out"]);
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

test("property: after any sequence of overlay changes the rules equal a full recomputation, and exactly the pairs crossing a change (or displaced, when something comes back) were recomputed", () => {
  let recomputedSome = 0;
  let skippedSome = 0;
  const arbStep = fc.array(fc.constantFrom<"up" | "degraded" | "down">("up", "up", "degraded", "down"), { minLength: ELEMENTS.length, maxLength: ELEMENTS.length });
  fc.assert(
    fc.property(fc.array(arbStep, { minLength: 1, maxLength: 4 }), (steps) => {
      const c = counting();
      const s = createControllerState(demo, demoIntents, { targets: c.targets });
      let prev: Unavailable = NOTHING_UNAVAILABLE;
      for (const states of steps) {
        const marked = (st: string) => ELEMENTS.filter((_, i) => states[i] === st);
        const next = mark(marked("down"), marked("degraded"));
        // What each pair crosses before the change, now and over the declared topology.
        const pairs = demoIntents.flatMap((i) => i.match.hosts.map((h) => ({ h, i })));
        const before = new Map(pairs.map(({ h, i }) => [`${h}/${i.name}`, new Set(crossedElements(ruleTargets(demo, i, h, prev)))]));
        const declared = new Map(pairs.map(({ h, i }) => [`${h}/${i.name}`, new Set(crossedElements(ruleTargets(demo, i, h, NOTHING_UNAVAILABLE)))]));
        const rank = (u: Unavailable, kind: "link" | "router", id: string) => (u.down[`${kind}s`].includes(id) ? 2 : u.degraded[`${kind}s`].includes(id) ? 1 : 0);
        const expected = new Set<string>();
        for (const id of ELEMENTS) {
          const kind = id.includes("-") ? "link" : "router";
          const key = elementKey({ kind, id });
          const was = rank(prev, kind, id);
          const now = rank(next, kind, id);
          if (was === now) continue;
          for (const [p, els] of before) if (els.has(key)) expected.add(p);
          // Something came back: every pair whose declared paths cross an element marked before.
          if (now < was) {
            const markedBefore = ELEMENTS.filter((x) => rank(prev, x.includes("-") ? "link" : "router", x) > 0).map((x) => elementKey({ kind: x.includes("-") ? "link" : "router", id: x }));
            for (const [p, els] of declared) if (markedBefore.some((k) => els.has(k))) expected.add(p);
          }
        }
        c.calls.length = 0;
        s.setLiveliness(next, new Map());
        assert.deepEqual([...c.calls].sort(), [...expected].sort(), `recomputed pairs for ${JSON.stringify(next)}`);
        if (expected.size > 0) recomputedSome++;
        if (expected.size < pairs.length) skippedSome++;
        for (const h of s.hosts()) assert.deepEqual(s.snapshot(h)!.rules, hostRules(demo, demoIntents, h, next), `${h} under ${JSON.stringify(next)}`);
        prev = next;
      }
    }),
    { numRuns: 60, seed: Number(process.env.FC_SEED ?? 20240611), includeErrorInReport: true },
  );
  assert.ok(recomputedSome > 20 && skippedSome > 20, `not vacuous: ${recomputedSome} steps recomputed some, ${skippedSome} skipped some`);
});
