import { test } from "node:test";
import assert from "node:assert/strict";
import { hostRules } from "../core/assignments.js";
import type { HostRule } from "../core/assignments.js";
import { canonicalJson, createControllerState, diffRules } from "./state.js";
import { INTENTS_V1, INTENTS_V2, R1_END, R2_END, testIntents, testTopology } from "./testing.js";

const topology = testTopology();
const v1 = testIntents(topology, INTENTS_V1);
const v2 = testIntents(topology, INTENTS_V2);

test("initial snapshots: every host at version 1 with hostRules' rules", () => {
  const s = createControllerState(topology, v1, { generation: "g1" });
  assert.equal(s.generation, "g1");
  assert.deepEqual(s.hosts(), ["h1", "h2", "h3"]);
  const h1 = s.snapshot("h1")!;
  assert.equal(h1.version, 1n);
  assert.deepEqual(h1.rules, hostRules(topology, v1, "h1"));
  assert.deepEqual(
    h1.rules.map((r) => [r.key, r.targets.map((t) => t.prefix).join(), r.match.portFrom, r.match.portTo]),
    [
      ["web#0", "2001:db8:4::10/128", 443, 443],
      ["web#1", "2001:db8:4::10/128", 8000, 8080],
      ["bulk#0", "2001:db8:4::10/128", 0, 65535],
    ],
  );
  assert.deepEqual(s.snapshot("h2")!.rules, []);
  assert.equal(s.snapshot("nope"), undefined);
  assert.equal(s.hasHost("h3"), true);
});

test("the path engine's paths are in the rules (latency via r2, avoidLinks via r1)", () => {
  const s = createControllerState(topology, v1);
  const only = (r: HostRule | undefined) => {
    assert.equal(r?.targets.length, 1);
    const result = r!.targets[0]!.result;
    assert.ok(result.ok);
    return result.path;
  };
  const [web0, , bulk] = s.snapshot("h1")!.rules;
  assert.deepEqual(only(web0).nodes, ["r1", "r2", "r4"]);
  assert.deepEqual(only(web0).segments.map((x) => x.sid), [R2_END]);
  assert.deepEqual(only(bulk).nodes, ["r1", "r2", "r4"]);
  const [h3out] = s.snapshot("h3")!.rules;
  assert.deepEqual(only(h3out).nodes, ["r2", "r1", "r3", "r4"]);
  assert.deepEqual(only(h3out).segments.map((x) => x.sid), [R1_END]);
});

test("applying the same intents changes nothing and bumps no version", () => {
  const s = createControllerState(topology, v1);
  const { summary, deltas } = s.setIntents(testIntents(topology, INTENTS_V1));
  assert.deepEqual(deltas, []);
  assert.deepEqual(summary, { added: [], changed: [], removed: [], unchanged: ["web", "bulk", "h3-out"], hostsPushed: [] });
  assert.equal(s.snapshot("h1")!.version, 1n);
});

test("a changed intent yields upserts/removals for the affected host only", () => {
  const s = createControllerState(topology, v1);
  const { summary, deltas } = s.setIntents(v2);
  assert.deepEqual(summary.changed, ["web", "bulk"]);
  assert.deepEqual(summary.unchanged, ["h3-out"]);
  assert.equal(deltas.length, 1);
  const d = deltas[0]!;
  assert.equal(d.host, "h1");
  assert.equal(d.version, 2n);
  // web#0 is identical (same port, path, priority): not re-sent.
  assert.deepEqual(d.upserts.map((r) => [r.key, r.targets.map((t) => t.prefix)]), [["bulk#0", ["2001:db8:4::/64"]]]);
  assert.deepEqual(d.removed, ["web#1"]);
  assert.deepEqual(summary.hostsPushed, [{ host: "h1", version: 2, upserts: 1, removals: 1 }]);
  assert.equal(s.snapshot("h3")!.version, 1n);
  assert.equal(s.snapshot("h2")!.version, 1n);
  assert.deepEqual(s.snapshot("h1")!.rules, hostRules(topology, v2, "h1"));
});

test("versions increase per host on every effective change; added/removed intents are reported", () => {
  const s = createControllerState(topology, v1);
  s.setIntents(v2);
  const extra = testIntents(
    topology,
    `intents:\n  - name: back\n    match: { hosts: [h2], to: h1 }\n` + INTENTS_V2.replace(/^intents:\n/, ""),
  );
  const r = s.setIntents(extra);
  assert.deepEqual(r.summary.added, ["back"]);
  // Every other intent moved down one priority: their rules change too.
  assert.deepEqual(r.summary.changed, []);
  assert.deepEqual(r.deltas.map((d) => [d.host, d.version]), [
    ["h1", 3n],
    ["h2", 2n],
    ["h3", 2n],
  ]);
  const back = s.setIntents([]);
  assert.deepEqual(back.summary.removed, ["back", "web", "bulk", "h3-out"]);
  assert.deepEqual(back.deltas.map((d) => [d.host, d.version, d.upserts.length, d.removed.length]), [
    ["h1", 4n, 0, 2],
    ["h2", 3n, 0, 1],
    ["h3", 3n, 0, 1],
  ]);
});

test("diffRules and canonicalJson ignore key order and undefined fields", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ y: 2, x: undefined }] }), canonicalJson({ a: [{ y: 2 }], b: 1 }));
  const rules = hostRules(topology, v1, "h1");
  assert.deepEqual(diffRules(rules, rules.map((r) => ({ ...r }))), { upserts: [], removed: [] });
  const moved = rules.map((r) => ({ ...r, priority: r.priority + 1 }));
  assert.equal(diffRules(rules, moved).upserts.length, 3);
});

test("a change that only moves a rule's onFailure or adds a target is pushed", () => {
  const s = createControllerState(topology, v1);
  const closed = testIntents(topology, INTENTS_V1.replace("    objective: latency\n", "    objective: latency\n    onFailure: closed\n"));
  const { deltas } = s.setIntents(closed);
  assert.deepEqual(deltas.map((d) => [d.host, d.upserts.map((r) => [r.key, r.onFailure]), d.removed]), [
    ["h1", [["web#0", "closed"], ["web#1", "closed"]], []],
  ]);
  const dns = testIntents(topology, INTENTS_V1.replace('to: "2001:db8:4::/64"', "to: video.example.com"));
  const d = s.setIntents(dns).deltas;
  assert.deepEqual(d.map((x) => [x.host, x.upserts.map((r) => [r.key, r.dns, r.targets.map((t) => t.prefix)])]), [
    ["h1", [["web#0", undefined, ["2001:db8:4::10/128"]], ["web#1", undefined, ["2001:db8:4::10/128"]]]],
    ["h3", [["h3-out#0", "video.example.com", ["2001:db8:1::/64", "2001:db8:4::/64"]]]],
  ]);
});

test("rules carry their intent's liveliness; a change of only the liveliness is a changed intent, pushed to its hosts", () => {
  const s = createControllerState(topology, v1);
  assert.ok(s.snapshot("h1")!.rules.every((r) => !("liveliness" in r)), "no liveliness: the agents' own settings");
  const lively = INTENTS_V1.replace("    objective: igp\n", "    objective: igp\n    liveliness: { intervalMs: 20, loss: 2% }\n");
  const { summary, deltas } = s.setIntents(testIntents(topology, lively));
  assert.deepEqual(summary.changed, ["bulk"]);
  assert.deepEqual(deltas.map((d) => [d.host, d.version, d.upserts.map((r) => [r.key, r.liveliness]), d.removed]), [
    ["h1", 2n, [["bulk#0", { probes: true, intervalMs: 20, lossThreshold: 0.02 }]], []],
  ]);
  assert.deepEqual(s.snapshot("h1")!.rules.find((r) => r.key === "bulk#0")!.liveliness, { probes: true, intervalMs: 20, lossThreshold: 0.02 });
  const off = s.setIntents(testIntents(topology, INTENTS_V1.replace("    objective: latency\n", "    objective: latency\n    liveliness: off\n")));
  assert.deepEqual(off.summary.changed, ["web", "bulk"]);
  assert.deepEqual(off.deltas.map((d) => [d.host, d.upserts.map((r) => [r.key, r.liveliness])]), [
    ["h1", [["web#0", { probes: false }], ["web#1", { probes: false }], ["bulk#0", undefined]]],
  ]);
  assert.deepEqual(s.setIntents(testIntents(topology, INTENTS_V1.replace("    objective: latency\n", "    objective: latency\n    liveliness: off\n"))).deltas, [], "the same again: nothing to push");
});
