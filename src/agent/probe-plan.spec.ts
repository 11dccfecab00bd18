// Which paths the agent probes and with which settings: the installed rules (through the real rule
// builder and the in-memory datapath's refs), the intents' liveliness, the controller's watch probes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostRule, RuleTarget } from "../core/assignments.js";
import type { WatchProbe } from "../core/elements.js";
import type { IntentLiveliness, Path, PathResult } from "../core/model.js";
import { MemoryDatapath } from "../datapath/memory-datapath.js";
import { buildDesired, type HostFacts } from "./datapath-rules.js";
import { intentSettings, probePlan, strictest, watchStreams } from "./probe-plan.js";
import type { PathProbeSettings } from "./prober.js";

const AGENT: PathProbeSettings = { intervalMs: 10, misses: 3, lossThreshold: 0.05, holddownMs: 3_000 };
const metrics = { latencyUs: 1, igp: 1, te: 1, hops: 1, jitterUs: 0, loss: 0, bottleneckBps: 1e9, maxUtilization: 0 };

/** A path over `nodes` with one segment, and its probe (the segment, then this host's router's End SID). */
function routed(sid: string, ...nodes: string[]): { path: Path; probe: string[] } {
  const links = nodes.slice(1).map((n, i) => `${nodes[i]}-${n}`);
  return { path: { nodes, links, metrics, segments: [{ sid, node: nodes[1]!, behavior: "End" }], srhBytes: 40 }, probe: [sid, "fc00:0:1::1"] };
}
const P = routed("fc00:0:2::1", "r1", "r2", "r4");
const Q = routed("fc00:0:3::1", "r1", "r3", "r4");
const R = routed("fc00:0:5::1", "r1", "r5", "r4");

function target(prefix: string, primary: typeof P, backup: typeof P | null = null): RuleTarget {
  const result: PathResult = { ok: true, path: primary.path, backup: backup?.path ?? null, notes: [] };
  return { prefix, result, probes: { primary: primary.probe, backup: backup?.probe ?? null } };
}

function rule(key: string, t: RuleTarget, liveliness?: IntentLiveliness): HostRule {
  return {
    key,
    intent: key.split("#")[0]!,
    priority: 0,
    match: { protocol: 17, portFrom: 0, portTo: 65535 },
    onFailure: "open",
    targets: [t],
    ...(liveliness ? { liveliness } : {}),
  };
}

const facts: HostFacts = { cgroups: new Map(), users: new Map(), dns: new Map(), address6: "2001:db8:1::10" };

/** What the agent does on each reconcile: build, add the watch streams, apply, plan the probes. */
function plan(rules: HostRule[], watch: WatchProbe[] = []) {
  const { desired } = buildDesired(rules, facts, (a) => `/apps/${a}`, { port: 864, secret: 1 });
  desired.watch = watchStreams(desired, watch);
  const { pathRefs } = new MemoryDatapath().apply(desired, 0);
  const p = probePlan(rules, desired, pathRefs, watch, AGENT);
  const byRouters = new Map(p.targets.map((t) => [p.paths.get(t.key)!.nodes.join(">"), { target: t, path: p.paths.get(t.key)! }]));
  return { ...p, byRouters };
}

test("intentSettings: what the intent sets, over the agent's; strictest: shortest interval, fewest misses, lowest loss, longest hold-down", () => {
  assert.deepEqual(intentSettings(AGENT, undefined), AGENT);
  assert.deepEqual(intentSettings(AGENT, { probes: true, intervalMs: 50, holddownMs: 0 }), { intervalMs: 50, misses: 3, lossThreshold: 0.05, holddownMs: 0 });
  assert.deepEqual(
    strictest({ intervalMs: 20, misses: 5, lossThreshold: 0.01, holddownMs: 3_000 }, { intervalMs: 5, misses: 8, lossThreshold: 0.05, holddownMs: 10_000 }),
    { intervalMs: 5, misses: 5, lossThreshold: 0.01, holddownMs: 10_000 },
  );
});

test("two intents sharing a path: it is probed once, with the strictest of their settings; a path of one intent alone takes its own", () => {
  const a = rule("a#0", target("2001:db8:4::10/128", P), { probes: true, intervalMs: 20, misses: 5, lossThreshold: 0.01 });
  const b = rule("b#0", target("2001:db8:4::/64", P, Q), { probes: true, intervalMs: 5, misses: 8, holddownMs: 10_000 });
  const c = rule("c#0", target("2001:db8:2::/64", R));
  const p = plan([a, b, c]);
  assert.equal(p.targets.length, 3, "P (a and b), Q (b's backup), R (c)");
  const shared = p.byRouters.get("r1>r2>r4")!;
  assert.deepEqual(shared.target.settings, { intervalMs: 5, misses: 5, lossThreshold: 0.01, holddownMs: 10_000 });
  assert.deepEqual(shared.path.usedBy, [
    { key: "a#0", prefix: "2001:db8:4::10/128", role: "primary" },
    { key: "b#0", prefix: "2001:db8:4::/64", role: "primary" },
  ]);
  assert.deepEqual(p.byRouters.get("r1>r3>r4")!.target.settings, { intervalMs: 5, misses: 8, lossThreshold: 0.05, holddownMs: 10_000 }, "b's backup: b's settings over the agent's");
  assert.deepEqual(p.byRouters.get("r1>r5>r4")!.target.settings, AGENT, "c sets nothing: the agent's");
  assert.equal(shared.target.firstSid, "fc00:0:2::1");
});

test("probes off: a path only such intents use is not probed; shared with a probing intent, it is probed with that one's settings", () => {
  const off = rule("off#0", target("2001:db8:2::/64", R, Q), { probes: false });
  const alone = plan([off]);
  assert.deepEqual(alone.targets, [], "neither its primary nor its backup (it installs none)");
  const on = rule("on#0", target("2001:db8:4::/64", R), { probes: true, misses: 7 });
  const shared = plan([off, on]);
  assert.deepEqual(shared.targets.map((t) => [shared.paths.get(t.key)!.nodes.join(">"), t.settings]), [["r1>r5>r4", { ...AGENT, misses: 7 }]]);
  assert.deepEqual(shared.paths.get(shared.targets[0]!.key)!.usedBy.map((u) => u.key), ["on#0"], "the probes-off rule does not ride on the probed stream");
});

test("a watch probe of a path only a probes-off intent uses is still probed, with the agent's settings; one a probed rule runs needs no stream", () => {
  const off = rule("off#0", target("2001:db8:2::/64", R), { probes: false });
  const watchR: WatchProbe = { probeSids: R.probe, routers: R.path.nodes, links: R.path.links, reason: "link r5-r4 marked down" };
  const p = plan([off], [watchR]);
  assert.equal(p.targets.length, 1);
  assert.deepEqual(p.targets[0]!.settings, AGENT);
  assert.deepEqual({ ...p.paths.get(p.targets[0]!.key)! }, { sids: [], probe: R.probe, nodes: R.path.nodes, links: R.path.links, usedBy: [], watch: "link r5-r4 marked down" });

  const lively = rule("lively#0", target("2001:db8:2::/64", R), { probes: true, intervalMs: 40 });
  const q = plan([lively], [watchR]);
  assert.deepEqual(q.targets.map((t) => [q.paths.get(t.key)!.watch, t.settings?.intervalMs]), [[null, 40]], "the rule's stream serves the watch too");
});
