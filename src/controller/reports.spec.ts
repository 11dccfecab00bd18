import { test } from "node:test";
import assert from "node:assert/strict";
import type { AgentReportView, RuleReportView } from "../api/types.js";
import { REPORT_LIMITS, ReportStore, reportProblem } from "./reports.js";
import { testTopology } from "./testing.js";

const topology = testTopology();

const rule = (key: string, over: Partial<RuleReportView> = {}): RuleReportView => ({
  key,
  state: "installed",
  reason: "",
  prefixes: ["2001:db8:4::10/128", "10.0.4.10/32"],
  active: "primary",
  steeredPackets: 1,
  steeredBytes: 100,
  unsteeredPackets: 0,
  droppedPackets: 0,
  ...over,
});
const report = (over: Partial<AgentReportView> = {}): AgentReportView => ({
  host: "h1",
  generation: "g",
  appliedVersion: 1,
  reportedAt: "2024-01-01T00:00:01.123+02:00",
  rules: [rule("web#0"), rule("web#1")],
  datapathDrops: { mtu: 1 },
  ...over,
});

test("a report within bounds passes; the rule count may exceed the host's by the margin, not more", () => {
  assert.equal(reportProblem(report(), 2, topology), null);
  const many = Array.from({ length: 2 + REPORT_LIMITS.extraRules }, (_, i) => rule(`r#${i}`));
  assert.equal(reportProblem(report({ rules: many }), 2, topology), null);
  assert.equal(
    reportProblem(report({ rules: [...many, rule("one-more#0")] }), 2, topology),
    `67 rule reports, but the host has 2 rules (at most 66 reports accepted)`,
  );
});

test("every string and list is bounded, states are checked by the converter, prefixes must be prefixes", () => {
  const cases: [Partial<AgentReportView>, RegExp][] = [
    [{ generation: "g".repeat(129) }, /^generation is 129 characters long; at most 128$/],
    [{ reportedAt: "yesterday" }, /^reportedAt "yesterday" is not an RFC 3339 time$/],
    [{ reportedAt: "2024-13-45T99:00:00Z" }, /is not an RFC 3339 time/],
    [{ datapathDrops: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`r${i}`, 1])) }, /^65 datapath drop reasons; at most 64$/],
    [{ datapathDrops: { ["x".repeat(65)]: 1 } }, /^datapath drop reason "x{20}…" is 65 characters long; at most 64$/],
    [{ rules: [rule("k".repeat(129))] }, /^rules\[0\]\.key is 129 characters long; at most 128$/],
    [{ rules: [rule("")] }, /^rules\[0\]\.key is empty$/],
    [{ rules: [rule("a#0"), rule("a#0")] }, /^rules\[1\]: rule a#0 is reported twice$/],
    [{ rules: [rule("a#0", { reason: "r".repeat(1025) })] }, /^rules\[0\]\.reason is 1025 characters long; at most 1024$/],
    [{ rules: [rule("a#0", { prefixes: Array.from({ length: 65 }, () => "10.0.0.1/32") })] }, /^rules\[0\] has 65 prefixes; at most 64$/],
    [{ rules: [rule("a#0", { prefixes: ["10.0.0.1/32", "video.example.com"] })] }, /^rules\[0\]\.prefixes\[1\]: "video\.example\.com" is not an IP prefix$/],
  ];
  for (const [over, reason] of cases) assert.match(reportProblem(report(over), 2, topology) ?? "(no problem)", reason);
});

test("the store keeps the latest report per host, stamped with the injected clock", () => {
  let now = new Date("2024-01-01T00:00:00.000Z");
  const store = new ReportStore(() => now);
  assert.equal(store.get("h1"), undefined);
  store.put(report({ appliedVersion: 1 }));
  now = new Date("2024-01-01T00:00:05.000Z");
  const second = store.put(report({ appliedVersion: 2 }));
  store.put(report({ host: "h2" }));
  assert.equal(second.receivedAt, "2024-01-01T00:00:05.000Z");
  assert.deepEqual([store.get("h1")!.appliedVersion, store.get("h1")!.receivedAt], [2, "2024-01-01T00:00:05.000Z"]);
  assert.equal(store.get("h2")!.host, "h2");
});
