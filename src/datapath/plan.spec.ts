// The planner on its own: ids, sharing, ordering, capacity refusals. The kernel side of the same
// contract (the program reading what these writes produce) is egress.spec.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CAIRN_MAX_RULES_PER_PREFIX, CAIRN_RULE_CLOSED, CAIRN_RULE_NO_LIVENESS, CAIRN_RULE_USE_BACKUP, decodeConfig, decodeLpmKey, decodeRuleSetIds } from "./layout.js";
import { applyWrites, emptySnapshot } from "./memory-datapath.js";
import { planApply, unreferenced, type MapSnapshot } from "./plan.js";
import { CapacityError, type DatapathLimits, type DatapathRule, type DesiredDatapath } from "./types.js";

const LIMITS: DatapathLimits = { maxRules: 8, maxPaths: 8, maxPrefixes: 8, maxCgroups: 2, maxFragments: 8 };
const empty = emptySnapshot;
const simulate = applyWrites;

function rule(identity: string, over: Partial<DatapathRule> = {}): DatapathRule {
  return {
    identity,
    classId: 0,
    destinations: ["2001:db8:2::10/128"],
    uid: null,
    source: null,
    protocol: 17,
    portFrom: 0,
    portTo: 65535,
    priority: 0,
    closed: false,
    primary: { mode: "inline", sids: ["fc00:0:2::1"] },
    backup: null,
    useBackup: false,
    noLiveness: false,
    ...over,
  };
}

const want = (rules: DatapathRule[], extra: Partial<DesiredDatapath> = {}): DesiredDatapath => ({ rules, cgroups: [], encapSource: "2001:db8:1::10", ...extra });

function step(s: MapSnapshot, d: DesiredDatapath, limits = LIMITS) {
  const plan = planApply(s, d, limits);
  return { plan, after: simulate(s, plan.writes) };
}

test("a fresh datapath: paths before rule states before LPM entries; config first", () => {
  const { plan, after } = step(empty(), want([rule("a"), rule("b", { destinations: ["2001:db8:3::/64"] })]));
  const order: string[] = plan.writes.map((w) => (w.op === "resetCounters" ? "reset" : w.map));
  assert.equal(order[0], "cairn_config");
  const last = (m: string) => order.lastIndexOf(m);
  const first = (m: string) => order.indexOf(m);
  assert.ok(last("cairn_paths") < first("cairn_rule_state"), "paths first");
  assert.ok(last("cairn_rule_state") < first("cairn_rules"), "then rule states, then LPM");
  assert.ok(first("reset") < first("cairn_rule_state"), "a new rule's counters start at zero");
  assert.deepEqual([...plan.ruleIds.values()].sort(), [1, 2]);
  assert.equal([...after.paths.values()].filter((p) => p.content).length, 1, "two rules with the same path share one slot");
  assert.equal(after.lpm.size, 2);
});

test("applying the same state again writes nothing and keeps every id", () => {
  const d = want([rule("a"), rule("b", { priority: 1, primary: { mode: "inline", sids: ["fc00:0:3::1"] } })]);
  const one = step(empty(), d);
  const two = step(one.after, d);
  assert.deepEqual(two.plan.writes, []);
  assert.deepEqual(two.plan.ruleIds, one.plan.ruleIds);
});

test("a path change keeps the rule id, takes a new slot and leaves the old one unreferenced to drain", () => {
  const one = step(empty(), want([rule("a")]));
  const two = step(one.after, want([rule("a", { primary: { mode: "inline", sids: ["fc00:0:9::1"] } })]));
  assert.equal(two.plan.ruleIds.get("a"), one.plan.ruleIds.get("a"));
  const pathWrites = two.plan.writes.filter((w) => w.op === "update" && w.map === "cairn_paths");
  assert.equal(pathWrites.length, 1);
  const stateWrites = two.plan.writes.filter((w) => w.op === "update" && w.map === "cairn_rule_state");
  assert.equal(stateWrites.length, 1, "one write switches the rule");
  assert.ok(two.plan.writes.indexOf(pathWrites[0]!) < two.plan.writes.indexOf(stateWrites[0]!));
  assert.deepEqual(unreferenced(two.after, new Set([1])).paths, [1], "the old slot drains");
});

test("rule flags: closed, USE_BACKUP only with a backup, NO_LIVENESS; a flag alone changing is one rule-state write", () => {
  const backup = { mode: "inline" as const, sids: ["fc00:0:5::1"] };
  const flagsOf = (r: DatapathRule) => {
    const { plan, after } = step(empty(), want([r]));
    return after.ruleStates.get(plan.ruleIds.get(r.identity)!)!.flags;
  };
  assert.equal(flagsOf(rule("a")), 0);
  assert.equal(flagsOf(rule("a", { closed: true, backup, useBackup: true })), CAIRN_RULE_CLOSED | CAIRN_RULE_USE_BACKUP);
  assert.equal(flagsOf(rule("a", { useBackup: true })), 0, "no backup to use");
  assert.equal(flagsOf(rule("a", { noLiveness: true })), CAIRN_RULE_NO_LIVENESS);
  const one = step(empty(), want([rule("a")]));
  const two = step(one.after, want([rule("a", { noLiveness: true })]));
  assert.deepEqual(two.plan.writes.map((w) => (w.op === "resetCounters" ? "reset" : `${w.op} ${w.map}`)), ["update cairn_rule_state"]);
});

test("a reused slot gets the next generation, so a stale ref never matches its new content", () => {
  const s = empty();
  s.paths.set(1, { ref: 1 | (41 << 16), content: null }); // freed earlier at generation 41
  const { after } = step(s, want([rule("a")]));
  assert.equal(after.paths.get(1)!.ref, 1 | (42 << 16));
  assert.equal(after.ruleStates.get(1)!.primary, 1 | (42 << 16));
});

test("a new identity gets a new id; the old rule stays until it drains", () => {
  const one = step(empty(), want([rule("a")]));
  const two = step(one.after, want([rule("a2")]));
  assert.notEqual(two.plan.ruleIds.get("a2"), one.plan.ruleIds.get("a"));
  const named = new Set([...two.after.lpm.values()].flatMap((e) => decodeRuleSetIds(e.value)));
  assert.deepEqual(unreferenced(two.after, named).rules, [one.plan.ruleIds.get("a")]);
});

test("slot order: longest destination prefix, then priority", () => {
  const { after, plan } = step(empty(), want([
    rule("wide", { destinations: ["2001:db8::/32"], priority: 0 }),
    rule("late", { priority: 5 }),
    rule("early", { priority: 1, primary: { mode: "inline", sids: ["fc00:0:4::1"] } }),
  ]));
  const host = [...after.lpm.values()].find((e) => decodeLpmKey(e.key).prefix.len === 128)!;
  assert.deepEqual(decodeRuleSetIds(host.value), ["early", "late", "wide"].map((i) => plan.ruleIds.get(i)));
});

test("the config admits old and new rules during the switch, then only the new", () => {
  const one = step(empty(), want([rule("v6")]));
  const two = step(one.after, want([rule("v4", { destinations: ["10.0.2.0/24"], primary: { mode: "encap", sids: ["fc00:0:4::d400:1"] } })]));
  const configs = two.plan.writes.filter((w) => w.op === "update" && w.map === "cairn_config").map((w) => decodeConfig((w as { value: Uint8Array }).value).flags);
  assert.deepEqual(configs, [1 | 2 | 4 | 8, 2 | 8]);
});

test("an overflow is refused before any write, naming the limit", () => {
  const full = step(empty(), want(Array.from({ length: 7 }, (_, i) => rule(`r${i}`, { destinations: [`2001:db8:${i}::/48`] }))), { ...LIMITS, maxPrefixes: 16 });
  assert.throws(() => planApply(full.after, want([rule("new")]), { ...LIMITS, maxPrefixes: 16 }), (e: unknown) => {
    assert.ok(e instanceof CapacityError);
    assert.equal(e.limit, "maxRules");
    assert.match(e.message, /needs 1 new rule ids but only 0 are free \(the datapath holds 7 rules; 7 in use or draining; agent option --max-rules\)/);
    return true;
  });
  const paths = Array.from({ length: 8 }, (_, i) => rule(`p${i}`, { primary: { mode: "inline", sids: [`fc00:0:${i + 1}::1`] } }));
  assert.throws(() => planApply(empty(), want(paths), { ...LIMITS, maxRules: 16 }), /needs 8 new paths but only 7 path slots are free.*--max-paths/);
  assert.throws(
    () => planApply(full.after, want([rule("x", { destinations: ["2001:db8:98::/48", "2001:db8:99::/48"] })]), { ...LIMITS, maxRules: 16 }),
    /needs 2 destination entries \(9 while old and new coexist during the switch\); the datapath holds 8/,
  );
  const crowded = Array.from({ length: CAIRN_MAX_RULES_PER_PREFIX + 1 }, (_, i) => rule(`c${i}`, { portFrom: i, portTo: i }));
  assert.throws(() => planApply(empty(), want(crowded), { ...LIMITS, maxRules: 64 }), /is matched by 17 rules .*at most 16 per destination/);
  const cg = (n: number) => ({ id: BigInt(100 + n), level: 2, classId: n + 1 });
  assert.throws(
    () => planApply(empty(), want([0, 1, 2].map((n) => rule(`g${n}`, { classId: n + 1 })), { cgroups: [cg(0), cg(1), cg(2)] }), LIMITS),
    /needs 3 cgroups .*holds 2 \(agent option --max-cgroups\)/,
  );
});

test("invalid rules are refused naming the rule", () => {
  const cases: [DatapathRule, RegExp][] = [
    [rule("bad-dst", { destinations: ["2001:db8::/129"] }), /rule bad-dst: destination "2001:db8::\/129" is not a prefix/],
    [rule("mixed", { destinations: ["2001:db8::/64", "10.0.0.0/8"] }), /rule mixed: destinations mix IPv4 and IPv6/],
    [rule("src", { source: "10.0.0.0/8" }), /rule src: source 10.0.0.0\/8 is IPv4, destinations IPv6/],
    [rule("long", { primary: { mode: "inline", sids: Array(9).fill("fc00::1") } }), /rule long: primary path: has 9 SIDs; inline paths hold 0..8/],
    [rule("mode", { primary: { mode: "encap", sids: ["fc00::1"] } }), /rule mode: primary path: mode encap does not suit IPv6/],
    [rule("sid", { primary: { mode: "inline", sids: ["x"] } }), /rule sid: primary path: SID "x" is not an IPv6 address/],
    [rule("ports", { portFrom: 9, portTo: 1 }), /rule ports: port range 9..1/],
    [rule("class", { classId: 3 }), /rule class: class 3 is not one of the cgroup classes/],
  ];
  for (const [r, re] of cases) assert.throws(() => planApply(empty(), want([r]), LIMITS), re);
  assert.throws(() => planApply(empty(), want([rule("a"), rule("a")]), LIMITS), /rule a: duplicate identity/);
  assert.throws(
    () => planApply(empty(), want([rule("v4", { destinations: ["10.0.0.0/8"], primary: { mode: "encap", sids: ["fc00::1"] } })], { encapSource: null }), LIMITS),
    /IPv4 rules need the host's IPv6 address/,
  );
});

test("a rule with no destinations (a DNS name not resolved yet) takes no id and no entry", () => {
  const { plan, after } = step(empty(), want([rule("dns", { destinations: [] })]));
  assert.equal(plan.ruleIds.size, 0);
  assert.equal(after.lpm.size, 0);
});
