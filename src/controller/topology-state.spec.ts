// The state's topology revision and operator changes (changeTopology): what a drain, an undrain and a
// metric change recompute, that the result is what a state built on the changed model computes from
// scratch, and that the revisions bump exactly once per change that changes something.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { hostRules, type HostRule } from "../core/assignments.js";
import { parseTopology } from "../config/topology-file.js";
import { parseIntents } from "../config/intents-file.js";
import type { ParseResult } from "../config/errors.js";
import type { Topology } from "../core/model.js";
import { NOTHING_UNAVAILABLE, type Unavailable } from "../core/live-paths.js";
import { canonicalJson, createControllerState, withDrained, type ControllerState } from "./state.js";
import { checkTopologyChanges } from "./topology-check.js";
import { testIntents, testTopology } from "./testing.js";

const topology = testTopology();
const intents = testIntents(topology);
const NONE = { links: [], routers: [] };
const parsed = <T>(r: ParseResult<T>): T => {
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.errors));
  return r.value;
};

/** Every host's rules, comparable. */
const rulesOf = (s: ControllerState) => canonicalJson(s.hosts().map((h) => s.snapshot(h)!.rules));
const refs = (l: { host: string; rule: string }[]) => [...new Set(l.map((r) => `${r.host}/${r.rule.split("#")[0]}`))].sort();

/** The topology with one link's metrics changed. */
function withLink(t: Topology, id: string, change: Partial<Topology["links"][number]>): Topology {
  return { ...t, links: t.links.map((l) => (l.id === id ? { ...l, ...change } : l)) };
}

test("a drain recomputes only the pairs whose paths cross the element; an undrain restores every rule", () => {
  const s = createControllerState(topology, intents);
  const before = rulesOf(s);
  const versions = s.hosts().map((h) => s.snapshot(h)!.version);
  // h1's web (latency) and bulk (avoids r3) go r1 > r2 > r4; h3-out goes r2 > r1 > r3 > r4 (it avoids r2-r4).
  const drained = s.changeTopology({ drained: { links: ["r2-r4"], routers: [] } });
  assert.equal(drained.topologyChanged, true);
  assert.equal(drained.full, false);
  assert.deepEqual(refs(drained.recomputed), ["h1/bulk", "h1/web"]);
  assert.deepEqual(drained.deltas.map((d) => d.host), ["h1"], "only h1's rules changed");
  assert.deepEqual(drained.deltas.map((d) => [d.topologyRevision, d.intentsRevision]), [[2, 1]], "the delta names both revisions");
  const web = s.snapshot("h1")!.rules.find((r) => r.intent === "web")!;
  assert.ok(web.targets[0]!.result.ok && !web.targets[0]!.result.path.links.includes("r2-r4"), "web avoids the drained link");
  assert.deepEqual(s.unavailable().down.links, ["r2-r4"]);
  assert.equal(s.snapshot("h3")!.version, versions[2], "h3 keeps its version");

  const undrained = s.changeTopology({ drained: NONE });
  assert.equal(s.revisions().topology, 3);
  assert.deepEqual(refs(undrained.recomputed), ["h1/bulk", "h1/web"]);
  assert.equal(rulesOf(s), before, "the rules are those before the drain");
});

test("a drain joins the liveliness overlay's marks, and probes' clears do not clear it", () => {
  const s = createControllerState(topology, intents);
  const mark: Unavailable = { down: { links: ["r1-r3"], routers: [] }, degraded: { links: ["r2-r4"], routers: [] } };
  s.setLiveliness(mark, new Map());
  s.changeTopology({ drained: { links: ["r2-r4"], routers: ["r3"] } });
  assert.deepEqual(s.unavailable(), withDrained(mark, { links: ["r2-r4"], routers: ["r3"] }));
  assert.deepEqual(s.unavailable().degraded.links, [], "a drained link marked degraded is down");
  s.setLiveliness(NOTHING_UNAVAILABLE, new Map()); // the overlay clears everything
  assert.deepEqual(s.unavailable().down, { links: ["r2-r4"], routers: ["r3"] }, "the drains stay");
  assert.deepEqual(s.drained(), { links: ["r2-r4"], routers: ["r3"] });
});

test("a metric change gives the rules a state built on the changed topology computes: worse ones incrementally, better ones and IGP changes in full", () => {
  const cases: { change: Partial<Topology["links"][number]>; link: string; full: boolean }[] = [
    { link: "r1-r2", change: { delayUs: 20_000 }, full: false }, // web leaves r1 > r2 > r4 for r3
    { link: "r1-r3", change: { delayUs: 100 }, full: true }, // a better link may improve anything
    { link: "r3-r4", change: { te: 50, loss: 0.01 }, full: false },
    { link: "r1-r2", change: { bandwidthBps: 1e6 }, full: false },
    { link: "r1-r3", change: { igp: 50 }, full: true }, // the IGP: segment lists follow it everywhere
  ];
  for (const c of cases) {
    const s = createControllerState(topology, intents);
    const next = withLink(s.topology, c.link, c.change);
    const applied = s.changeTopology({ topology: next });
    assert.equal(applied.full, c.full, `${c.link} ${JSON.stringify(c.change)}`);
    assert.equal(s.topology, next);
    assert.equal(rulesOf(s), rulesOf(createControllerState(next, intents)), `${c.link} ${JSON.stringify(c.change)}: as computed from scratch`);
    if (!c.full) {
      const crossing = refs(applied.recomputed);
      assert.ok(crossing.length < s.hosts().length * intents.length, "not every pair");
    }
  }
  // Marked and changed: the result is still what a fresh state under the same marks computes.
  const s = createControllerState(topology, intents);
  const mark: Unavailable = { down: { links: ["r1-r3"], routers: [] }, degraded: { links: [], routers: [] } };
  s.setLiveliness(mark, new Map());
  const next = withLink(s.topology, "r1-r2", { delayUs: 9_000 });
  s.changeTopology({ topology: next });
  const fresh = createControllerState(next, intents);
  fresh.setLiveliness(mark, new Map());
  assert.equal(rulesOf(s), rulesOf(fresh));
  s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.equal(rulesOf(s), rulesOf(createControllerState(next, intents)), "and once the mark clears, the declared paths over the new metrics");
});

test("the topology revision bumps once per change that changes something, never for one that does not; the intents revision per intents change", () => {
  const s = createControllerState(topology, intents, { intentsRevision: 7 });
  assert.deepEqual(s.revisions(), { topology: 1, intents: 7 });
  const mark: Unavailable = { down: { links: ["r1-r3"], routers: [] }, degraded: { links: [], routers: [] } };
  s.setLiveliness(mark, new Map());
  assert.equal(s.revisions().topology, 2, "a mark");
  s.setLiveliness({ down: { links: ["r1-r3"], routers: [] }, degraded: { links: [], routers: [] } }, new Map([["h1", []]]));
  assert.equal(s.revisions().topology, 2, "the same marks again (a new object) change nothing");
  s.changeTopology({ drained: { links: ["r2-r4"], routers: ["r3"] } });
  assert.equal(s.revisions().topology, 3, "two drains in one change: one revision");
  const noop = s.changeTopology({ drained: { routers: ["r3"], links: ["r2-r4"] }, topology: s.topology });
  assert.equal(noop.topologyChanged, false);
  assert.deepEqual([noop.deltas, noop.recomputed], [[], []]);
  assert.equal(s.revisions().topology, 3, "what is in force already");
  s.changeTopology({ topology: withLink(s.topology, "r1-r2", { te: s.topology.links[0]!.te }) });
  assert.equal(s.revisions().topology, 3, "a metric set to its value");
  s.setLiveliness(NOTHING_UNAVAILABLE, new Map());
  assert.equal(s.revisions().topology, 4, "a clear");
  assert.equal(s.revisions().intents, 7, "no intents change");
  const r = s.setIntents(testIntents(topology).slice(0, 2));
  assert.deepEqual(s.revisions(), { topology: 4, intents: 8 });
  assert.ok(r.deltas.every((d) => d.intentsRevision === 8 && d.topologyRevision === 4));
  s.setIntents(testIntents(topology).slice(0, 2));
  assert.equal(s.revisions().intents, 8, "the same intents again");
  s.commitIntents(s.planIntents(testIntents(topology)), 12);
  assert.equal(s.revisions().intents, 12, "the applier's revision");
  const snap = s.snapshot("h1")!;
  assert.deepEqual([snap.topologyRevision, snap.intentsRevision], [4, 12]);
});

test("changes are checked whole: unknown names with the nearest ones, hosts, values out of range; link ids either way round", () => {
  const bad = checkTopologyChanges(topology, NONE, [
    { kind: "drain", element: "r2-r4" },
    { kind: "drain", element: "r2-r5" },
    { kind: "undrain", element: "h1" },
    { kind: "metrics", link: "r4-r9", igp: 20 },
    { kind: "metrics", link: "r1-r2", igp: 0, loss: 1 },
    { kind: "measured", link: "r1-r2" },
  ]);
  assert.ok(!bad.ok);
  assert.equal(bad.errors.length, 6, bad.errors.join("\n"));
  assert.match(bad.errors[0]!, /changes\[1\] \(drain\): no link or router named "r2-r5"; did you mean "r2-r4"/);
  assert.match(bad.errors[1]!, /changes\[2\] \(undrain\): "h1" is a host; hosts cannot be drained \(drain its router "r1" or a link\)/);
  assert.match(bad.errors[2]!, /changes\[3\] \(metrics\): no link named "r4-r9"; the links are "r1-r2", "r2-r4", "r1-r3" and "r3-r4"/);
  assert.match(bad.errors[3]!, /link r1-r2: igp 0 is out of range/);
  assert.match(bad.errors[4]!, /link r1-r2: loss 1 is out of range: a ratio with 0 ≤ loss < 1/);
  assert.match(bad.errors[5]!, /link r1-r2: sets no metric \(give one or more of delay_us, jitter_us, loss\)/);

  const ok = checkTopologyChanges(topology, { links: ["r1-r3"], routers: [] }, [
    { kind: "drain", element: "r4-r2" },
    { kind: "drain", element: "r3" },
    { kind: "undrain", element: "r3-r1" },
    { kind: "metrics", link: "r2-r1", igp: 20, delayUs: 1000 },
    { kind: "measured", link: "r3-r4", loss: 0.02 },
    { kind: "drain", element: "r2-r4" },
  ]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.drained, { links: ["r2-r4"], routers: ["r3"] });
  assert.deepEqual(ok.changes.map((c) => c.text), [
    "drain link r2-r4",
    "drain router r3",
    "undrain link r1-r3",
    "link r1-r2: igp 10 -> 20",
    "link r3-r4: measured loss 0 -> 0.02",
    "drain link r2-r4 (already drained)",
  ]);
  assert.equal(ok.topology.links.find((l) => l.id === "r1-r2")!.igp, 20);
  assert.equal(topology.links.find((l) => l.id === "r1-r2")!.igp, 10, "the given topology is left as it was");
  assert.ok(!checkTopologyChanges(topology, NONE, []).ok, "no changes");
});

test("property: after any sequence of liveliness marks, drains and metric changes, every host's rules are a full recomputation over the changed model, and each step bumps the topology revision at most once", () => {
  const demo = parsed(parseTopology(readFileSync(new URL("../../examples/demo/topology.yaml", import.meta.url), "utf8"), "topology.yaml"));
  const demoIntents = parsed(parseIntents(readFileSync(new URL("../../examples/demo/intents-changed.yaml", import.meta.url), "utf8"), "intents.yaml", demo));
  const links = demo.links.map((l) => l.id);
  const routers = demo.routers.map((r) => r.name);
  const subset = (ids: string[]) => fc.subarray(ids, { maxLength: 2 });
  const step = fc.oneof(
    fc.record({ kind: fc.constant("marks" as const), down: subset(links), degraded: subset([...links, ...routers]) }),
    fc.record({ kind: fc.constant("drains" as const), links: subset(links), routers: subset(routers) }),
    fc.record({
      kind: fc.constant("metric" as const),
      link: fc.constantFrom(...links),
      field: fc.constantFrom("igp" as const, "te" as const, "delayUs" as const, "loss" as const),
      factor: fc.constantFrom(0.5, 2, 3),
    }),
  );
  let full = 0;
  let partial = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), (steps) => {
      const s = createControllerState(demo, demoIntents);
      let live: Unavailable = NOTHING_UNAVAILABLE;
      let sawMarks = false;
      for (const st of steps) {
        const rev = s.revisions().topology;
        if (st.kind === "marks") {
          live = { down: { links: st.down, routers: [] }, degraded: { links: st.degraded.filter((x) => links.includes(x) && !st.down.includes(x)), routers: st.degraded.filter((x) => routers.includes(x)) } };
          s.setLiveliness(live, new Map());
        } else if (st.kind === "drains") {
          s.changeTopology({ drained: { links: st.links, routers: st.routers } });
        } else {
          const l = s.topology.links.find((x) => x.id === st.link)!;
          const value = st.field === "loss" ? Math.min(0.5, (l.loss || 0.001) * st.factor) : st.field === "delayUs" ? Math.round(l.delayUs * st.factor) : Math.max(1, Math.round(l[st.field] * st.factor));
          const r = s.changeTopology({ topology: withLink(s.topology, st.link, { [st.field]: value }) });
          if (r.topologyChanged) (r.full ? full++ : partial++);
        }
        assert.ok(s.revisions().topology - rev <= 1, "one step, at most one revision");
        const u = withDrained(live, s.drained());
        // A liveliness mark does not recompute a pair that has no path (it crosses nothing), so the
        // reason it gives may name the marks of before; a topology change recomputes it.
        const rules = (l: HostRule[]) => (st.kind === "marks" || sawMarks ? canonicalJson(l).replace(/"reason":"[^"]*"/g, '"reason":"…"') : canonicalJson(l));
        sawMarks ||= st.kind === "marks";
        for (const h of s.hosts()) assert.equal(rules(s.snapshot(h)!.rules), rules(hostRules(s.topology, demoIntents, h, u)), `${h} after ${JSON.stringify(st)}`);
      }
    }),
    { numRuns: 40, seed: Number(process.env.FC_SEED ?? 20261130), includeErrorInReport: true },
  );
  assert.ok(full > 5 && partial > 5, `not vacuous: ${full} full and ${partial} incremental metric changes`);
});
