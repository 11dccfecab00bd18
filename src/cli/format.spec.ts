import { test } from "node:test";
import assert from "node:assert/strict";
import { hostRules } from "../core/assignments.js";
import { INTENTS_V1, testIntents, testTopology } from "../controller/testing.js";
import { formatApplySummary, formatPathsTable } from "./format.js";
import type { PathsView } from "../api/types.js";

test("formatPathsTable: one line per rule, then hosts with their agents", () => {
  const topology = testTopology();
  const intents = testIntents(topology, INTENTS_V1);
  const view: PathsView = {
    generation: "g",
    hosts: ["h1", "h2", "h3"].map((h, i) => ({ host: h, version: i + 1, rules: hostRules(topology, intents, h) })),
    agents: [{ host: "h1", agentVersion: "a", peer: "[::1]:4000", connectedAt: "", lastSentVersion: 1 }],
  };
  view.hosts[2]!.rules.push({ ...view.hosts[2]!.rules[0]!, key: "nope#0", intent: "nope", result: { ok: false, reason: "no path" } });
  const first = view.hosts[0]!.rules[0]!;
  if (first.result.ok) first.result = { ...first.result, backup: { ...first.result.path, nodes: ["r1", "r3", "r4"] } };
  const lines = formatPathsTable(view).split("\n");
  assert.match(lines[0]!, /^HOST\s+INTENT\s+APP\s+DESTINATION\s+STATUS\s+PATH\s+SEGMENTS\s+BACKUP$/);
  assert.match(lines[1]!, /^h1\s+web\s+web\s+2001:db8:4::10\/128 tcp\/443\s+ok\s+r1>r2>r4\s+fc00:0:2::1\s+r1>r3>r4$/);
  assert.match(lines[2]!, /^h1\s+web\s+web\s+2001:db8:4::10\/128 tcp\/8000-8080\s+ok\s+r1>r2>r4\s+fc00:0:2::1\s+-$/);
  assert.match(lines[3]!, /^h1\s+bulk\s+\*\s+2001:db8:4::10\/128\s+ok\s+r1>r2>r4\s+fc00:0:2::1\s+-$/);
  assert.match(lines[4]!, /^h3\s+h3-out\s+\*\s+2001:db8:4::\/64\s+ok\s+r2>r1>r3>r4\s+fc00:0:1::1\s+-$/);
  assert.match(lines[5]!, /^h3\s+nope\s+\*\s+2001:db8:4::\/64\s+infeasible: no path\s+-\s+-\s+-$/);
  assert.equal(lines[6], "");
  assert.match(lines[7]!, /^HOST\s+VERSION\s+AGENT$/);
  assert.match(lines[8]!, /^h1\s+v1\s+\[::1\]:4000 v1$/);
  assert.match(lines[9]!, /^h2\s+v2\s+not connected$/);
});

test("formatApplySummary", () => {
  assert.equal(
    formatApplySummary({ added: ["a"], changed: [], removed: ["b"], unchanged: ["c"], hostsPushed: [{ host: "h1", version: 2, upserts: 1, removals: 1 }] }),
    "intents: 1 added (a), 0 changed, 1 removed (b), 1 unchanged\npushed to h1 (v2: 1 upserts, 1 removals)",
  );
});
