// The pure rule builder: controller rules + host facts → the datapath's desired state and verdicts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostRule, RuleTarget } from "../core/assignments.js";
import type { Path, PathResult } from "../core/model.js";
import { buildDesired, classIds, overheadBytes, type HostFacts } from "./datapath-rules.js";

const metrics = { latencyUs: 1, igp: 1, te: 1, hops: 1, jitterUs: 0, loss: 0, bottleneckBps: 1e9, maxUtilization: 0 };
const path = (...sids: string[]): Path => ({
  nodes: ["r1", "r2"],
  links: ["r1-r2"],
  metrics,
  segments: sids.map((sid) => ({ sid, node: "r2", behavior: sid.includes("d400") ? "End.DX4" : "End" })),
  srhBytes: 8 + 16 * (sids.length + 1),
});
const ok = (p: Path, backup: Path | null = null): PathResult => ({ ok: true, path: p, backup, notes: [] });
const target = (prefix: string, result: PathResult): RuleTarget => ({ prefix, result });

function rule(key: string, over: Partial<HostRule> = {}, match: Partial<HostRule["match"]> = {}): HostRule {
  return {
    key,
    intent: key.split("#")[0]!,
    priority: 0,
    match: { protocol: 17, portFrom: 0, portTo: 65535, ...match },
    onFailure: "open",
    targets: [target("2001:db8:2::10/128", ok(path("fc00:0:2::1")))],
    ...over,
  };
}

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ cgroups: new Map(), users: new Map(), dns: new Map(), address6: "2001:db8:1::10", ...over });
const appPath = (app: string) => `/cairn/apps/${app}`;

test("class ids: the same set of cgroup paths gives the same ids, never 0, colliding hashes probe to the next", () => {
  const a = classIds(["/a.service", "/b.service", "/a.service"]);
  const b = classIds(["/b.service", "/a.service"]);
  assert.deepEqual([...a], [...b]);
  assert.equal(a.size, 2);
  for (const id of a.values()) assert.ok(id > 0 && id <= 0xffffffff);
  assert.notEqual(a.get("/a.service"), a.get("/b.service"));
});

test("static targets: one datapath rule per target, IPv6 inline and IPv4 encapsulated, with the match and onFailure", () => {
  const r = rule("video#0", {
    onFailure: "closed",
    priority: 3,
    targets: [target("2001:db8:2::10/128", ok(path("fc00:0:2::1"), path("fc00:0:5::1"))), target("10.0.2.10/32", ok(path("fc00:0:2::1", "fc00:0:4::d400:1")))],
  }, { app: "video", portFrom: 5000, portTo: 5100 });
  const { desired, verdicts } = buildDesired([r], facts({ cgroups: new Map([["/cairn/apps/video", { id: 77n, level: 3 }]]) }), appPath);
  assert.equal(desired.rules.length, 2);
  const [v6, v4] = desired.rules;
  assert.deepEqual([v6!.destinations, v6!.primary, v6!.backup, v6!.closed, v6!.priority, v6!.portFrom], [["2001:db8:2::10/128"], { mode: "inline", sids: ["fc00:0:2::1"] }, { mode: "inline", sids: ["fc00:0:5::1"] }, true, 3, 5000]);
  assert.deepEqual(v4!.primary, { mode: "encap", sids: ["fc00:0:2::1", "fc00:0:4::d400:1"] });
  assert.equal(v6!.classId, v4!.classId);
  assert.deepEqual(desired.cgroups, [{ id: 77n, level: 3, classId: v6!.classId }]);
  assert.equal(desired.encapSource, "2001:db8:1::10");
  assert.deepEqual(verdicts, [{ key: "video#0", state: "installed", reason: null, identities: [v6!.identity, v4!.identity], prefixes: ["2001:db8:2::10/128", "10.0.2.10/32"] }]);
});

test("the identity changes with the match, not with the path", () => {
  const a = buildDesired([rule("x#0")], facts(), appPath).desired.rules[0]!.identity;
  const b = buildDesired([rule("x#0", { targets: [target("2001:db8:2::10/128", ok(path("fc00:0:9::1")))] })], facts(), appPath).desired.rules[0]!.identity;
  const c = buildDesired([rule("x#0", {}, { portFrom: 80, portTo: 80 })], facts(), appPath).desired.rules[0]!.identity;
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test("verdicts: waiting for a cgroup or a DNS answer, error for an unknown user, not-steered without a usable path", () => {
  const rules = [
    rule("svc#0", {}, { cgroup: "/system.slice/x.service" }),
    rule("ghost#0", {}, { user: "ghost" }),
    rule("dns#0", { dns: "a.example" }),
    rule("none#0", { onFailure: "closed", targets: [target("2001:db8:2::10/128", { ok: false, reason: "no path within maxLatency 1us" })] }),
    rule("long#0", { targets: [target("2001:db8:2::10/128", ok(path(...Array.from({ length: 9 }, (_, i) => `fc00:0:${i + 1}::1`))))] }),
    rule("v4#0", { targets: [target("10.0.2.10/32", ok(path("fc00:0:4::d400:1")))] }),
  ];
  const { desired, verdicts } = buildDesired(rules, facts({ cgroups: new Map([["/system.slice/x.service", null]]), users: new Map([["ghost", null]]), address6: null }), appPath);
  const v = Object.fromEntries(verdicts.map((x) => [x.key, [x.state, x.reason]]));
  assert.deepEqual(v["svc#0"], ["waiting", "cgroup /system.slice/x.service does not exist on this host (yet); the rule is installed once it does"]);
  assert.deepEqual(v["ghost#0"], ["error", "user ghost does not exist on this host"]);
  assert.deepEqual(v["dns#0"], ["waiting", "resolving a.example"]);
  assert.match(v["none#0"]![1]!, /no path within maxLatency 1us; its packets are dropped \(onFailure closed\)/);
  assert.match(v["long#0"]![1]!, /the primary path needs 9 SIDs; the datapath holds 8 for IPv6; its packets are sent unsteered/);
  assert.match(v["v4#0"]![1]!, /this host has no IPv6 address to encapsulate IPv4 from/);
  assert.deepEqual(desired.rules.map((r) => [r.identity.split("|")[0], r.primary]), [["none#0", null], ["long#0", null], ["v4#0", null]], "rules without a usable path are installed without one, for onFailure");
});

test("a DNS name's addresses: grouped by the target holding them, the rest unrouted; a family the rule cannot match is left out", () => {
  const r = rule("dns#0", {
    dns: "media.example",
    targets: [target("2001:db8:2::/64", ok(path("fc00:0:2::1"))), target("10.0.2.0/24", ok(path("fc00:0:2::1", "fc00:0:4::d400:1"))), target("2001:db8:3::/64", ok(path("fc00:0:3::1")))],
  });
  const answer = { addresses: ["10.0.2.10", "2001:db8:2::10", "2001:db8:2::11", "2001:db8:99::1"], error: null };
  const { desired, verdicts } = buildDesired([r], facts({ dns: new Map([["media.example", answer]]) }), appPath);
  const groups = desired.rules.map((x) => [x.identity.split("|").at(-1), x.destinations, x.primary?.sids ?? null]);
  assert.deepEqual(groups, [
    ["10.0.2.0/24", ["10.0.2.10/32"], ["fc00:0:2::1", "fc00:0:4::d400:1"]],
    ["2001:db8:2::/64", ["2001:db8:2::10/128", "2001:db8:2::11/128"], ["fc00:0:2::1"]],
    ["unrouted-v6", ["2001:db8:99::1/128"], null],
  ]);
  assert.equal(verdicts[0]!.state, "not-steered");
  assert.match(verdicts[0]!.reason!, /2001:db8:99::1\/128: not behind any destination of the topology/);

  const fromV6 = rule("dns#1", { dns: "media.example", targets: r.targets }, { source: "2001:db8:1::/64" });
  const only6 = buildDesired([fromV6], facts({ dns: new Map([["media.example", answer]]) }), appPath).desired.rules;
  assert.ok(only6.every((x) => !x.destinations.some((d) => d.includes("."))), "an IPv6 source never meets an IPv4 address");
  const v4only = buildDesired([fromV6], facts({ dns: new Map([["media.example", { addresses: ["10.0.2.10"], error: null }]]) }), appPath);
  assert.deepEqual([v4only.verdicts[0]!.state, v4only.verdicts[0]!.reason], ["waiting", "media.example has no addresses of IPv6"]);
});

test("overhead: an inline SRH holds the SIDs and the destination; encapsulation adds the outer header", () => {
  assert.equal(overheadBytes(null), 0);
  assert.equal(overheadBytes({ mode: "inline", sids: [] }), 0);
  assert.equal(overheadBytes({ mode: "inline", sids: ["a", "b"] }), 8 + 16 * 3);
  assert.equal(overheadBytes({ mode: "encap", sids: ["a", "b"] }), 40 + 8 + 16 * 2);
});

test("probes off for the intent: no probe, no backup, never useBackup, and the kernel told to ignore liveness", () => {
  const probes = { primary: ["fc00:0:2::1", "fc00:0:1::1"], backup: ["fc00:0:5::1", "fc00:0:1::1"] };
  const protectedTarget: RuleTarget = { ...target("2001:db8:2::10/128", ok(path("fc00:0:2::1"), path("fc00:0:5::1"))), probes };
  const probe = { port: 864, secret: 7 };
  const degraded = new Set(["inline|fc00:0:2::1|fc00:0:2::1,fc00:0:1::1", "inline|fc00:0:2::1|"]);
  const [on, off] = buildDesired(
    [rule("on#0", { targets: [protectedTarget] }), rule("off#0", { targets: [protectedTarget], liveliness: { probes: false } })],
    facts(),
    appPath,
    probe,
    degraded,
  ).desired.rules;
  assert.deepEqual([on!.primary, on!.backup, on!.useBackup, on!.noLiveness], [
    { mode: "inline", sids: ["fc00:0:2::1"], probe: probes.primary },
    { mode: "inline", sids: ["fc00:0:5::1"], probe: probes.backup },
    true,
    false,
  ]);
  assert.deepEqual([off!.primary, off!.backup, off!.useBackup, off!.noLiveness], [{ mode: "inline", sids: ["fc00:0:2::1"] }, null, false, true]);
  const settingsOnly = buildDesired([rule("x#0", { targets: [protectedTarget], liveliness: { probes: true, intervalMs: 50 } })], facts(), appPath, probe).desired.rules[0]!;
  assert.deepEqual([settingsOnly.primary?.probe, settingsOnly.backup?.probe, settingsOnly.noLiveness], [probes.primary, probes.backup, false], "settings alone change nothing in the datapath");
});
