// Liveliness on the wire: probe SIDs on targets, watch probes, probed paths in reports, ListLinks and
// every event type, through binary and JSON; unknown states are refused naming the field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { hostRules } from "../core/assignments.js";
import type { HostRule } from "../core/assignments.js";
import { NO_CONSTRAINTS } from "../core/model.js";
import { testTopology } from "../controller/testing.js";
import {
  AgentReportSchema,
  EventSchema,
  ListEventsResponseSchema,
  ListLinksResponseSchema,
  PathHealthSchema,
  PathUpdateSchema,
  RuleSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import { agentReportFromProto, agentReportToProto, pathUpdateFromProto, pathUpdateToProto, ruleFromProto, ruleToProto } from "./convert.js";
import { eventFromProto, eventsViewFromProto, eventsViewToProto, eventToProto, linksViewFromProto, linksViewToProto, pathHealthFromProto, pathHealthToProto } from "./convert-liveliness.js";
import type { EventView, LinksView, PathHealthView, PathUpdateView } from "./types.js";

/** Both wire encodings of `m`, decoded again. */
function wire<D extends DescMessage>(schema: D, m: MessageShape<D>): MessageShape<D>[] {
  return [fromBinary(schema, toBinary(schema, m)), fromJson(schema, toJson(schema, m))];
}

const topology = testTopology();
/** h1 > h2 with link protection: a primary and a backup, each with its probe. */
const [protectedRule] = hostRules(
  topology,
  [{ name: "p", match: { hosts: ["h1"], to: { host: "h2" }, ports: [] }, objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "link" }],
  "h1",
) as [HostRule];

test("a target's probe SIDs (primary and backup) round trip, under their own names on the wire", () => {
  const t = protectedRule.targets[0]!;
  assert.ok(t.probes && t.probes.backup, "the fixture has both probes");
  for (const m of wire(RuleSchema, ruleToProto(protectedRule))) assert.deepEqual(ruleFromProto(m), protectedRule);
  const json = toJson(RuleSchema, ruleToProto(protectedRule)) as { targets: { probeSids: string[]; backupProbeSids: string[] }[] };
  assert.deepEqual(json.targets[0]!.probeSids, t.probes.primary);
  assert.deepEqual(json.targets[0]!.backupProbeSids, t.probes.backup);
  // Probes without a path, or a backup probe without a backup, are a broken peer.
  const noPath = ruleToProto({ ...protectedRule, targets: [{ prefix: t.prefix, result: { ok: false, reason: "none" } }] });
  noPath.targets[0]!.probeSids = ["fc00:0:4::1"];
  assert.throws(() => ruleFromProto(noPath), /rule p#0: target 2001:db8:4::10\/128: probe SIDs without a path/);
  const noBackup = ruleToProto(protectedRule);
  noBackup.targets[0]!.backup = undefined;
  assert.throws(() => ruleFromProto(noBackup), /backup probe SIDs without a backup path/);
});

test("watch probes: present replaces the set (even when empty), absent leaves it as it is", () => {
  const watch = [{ probeSids: ["fc00:0:2::1", "fc00:0:4::1"], routers: ["r1", "r2", "r4"], links: ["r1-r2", "r2-r4"], reason: "link r2-r4 marked down" }];
  const base: PathUpdateView = { host: "h1", generation: "g", version: 7n, full: false, upserts: [], removedKeys: [], topologyRevision: 2, intentsRevision: 1 };
  for (const u of [base, { ...base, watch }, { ...base, watch: [] }]) {
    for (const m of wire(PathUpdateSchema, pathUpdateToProto(u))) assert.deepEqual(pathUpdateFromProto(m), u);
  }
  const bad = pathUpdateToProto({ ...base, watch: [{ ...watch[0]!, probeSids: [] }] });
  assert.throws(() => pathUpdateFromProto(bad), /watch\.probes\[0\]: no probe SIDs/);
});

const degraded: PathHealthView = {
  probeSids: ["fc00:0:2::1", "fc00:0:4::1", "fc00:0:2::1"],
  routers: ["r1", "r2", "r4"],
  links: ["r1-r2", "r2-r4"],
  state: "degraded",
  since: "2024-01-01T00:00:00.250Z",
  loss: 0.2,
  rttMinUs: 120,
  rttAvgUs: 180.5,
  rttP99Us: 950,
  probesSent: 100,
  probesReceived: 80,
  uses: [
    { rule: "p#0", prefix: "2001:db8:4::10/128", role: "primary", active: true },
    { rule: "q#1", prefix: "2001:db8:4::/64", role: "backup", active: false },
  ],
};

test("a probed path round trips, alone and in a report; JSON says what each field is", () => {
  for (const m of wire(PathHealthSchema, pathHealthToProto(degraded))) assert.deepEqual(pathHealthFromProto(m), degraded);
  const report = { host: "h1", generation: "g", appliedVersion: 2, reportedAt: "2024-01-01T00:00:01Z", rules: [], datapathDrops: {}, paths: [degraded, { ...degraded, state: "up" as const, uses: [] }] };
  for (const m of wire(AgentReportSchema, agentReportToProto(report))) assert.deepEqual(agentReportFromProto(m), report);
  assert.deepEqual(toJson(PathHealthSchema, pathHealthToProto(degraded)), {
    probeSids: degraded.probeSids,
    routers: degraded.routers,
    links: degraded.links,
    state: "degraded",
    since: "2024-01-01T00:00:00.250Z",
    loss: 0.2,
    rttMinUs: 120,
    rttAvgUs: 180.5,
    rttP99Us: 950,
    probesSent: "100",
    probesReceived: "80",
    uses: [{ rule: "p#0", prefix: "2001:db8:4::10/128", role: "primary", active: true }, { rule: "q#1", prefix: "2001:db8:4::/64", role: "backup" }],
  });
  // An agent that predates probing sends no paths: none.
  const old = agentReportToProto({ ...report, paths: undefined as unknown as PathHealthView[] });
  assert.deepEqual(agentReportFromProto(old).paths, []);
});

test("a probed path with an unknown state or role is refused, naming the field; counters must be counters", () => {
  const report = { host: "h1", generation: "g", appliedVersion: 2, reportedAt: "2024-01-01T00:00:01Z", rules: [], datapathDrops: {}, paths: [degraded, degraded] };
  const state = agentReportToProto(report);
  state.paths[1]!.state = "flapping";
  assert.throws(() => agentReportFromProto(state), /^ConversionError: paths\[1\]\.state: unknown value "flapping"; expected one of up, degraded, down, unknown$/);
  const role = agentReportToProto(report);
  role.paths[0]!.uses[1]!.role = "spare";
  assert.throws(() => agentReportFromProto(role), /paths\[0\]\.uses\[1\]\.role: unknown value "spare"; expected one of primary, backup/);
  assert.throws(() => agentReportToProto({ ...report, paths: [{ ...degraded, probesSent: -1 }] }), /paths\[0\]\.probesSent: -1 is not a counter/);
});

test("ListLinks round trips: links, routers and hosts, marks, evidence, unexplained paths", () => {
  const up = { state: "up" as const, suspect: false, since: "2024-01-01T00:00:00.000Z", confidence: 0, unique: false, downPaths: 0, degradedPaths: 0, upPaths: 3, reportedBy: [] };
  const v: LinksView = {
    holdDownMs: 3000,
    links: [
      { link: "r1-r2", ...up },
      { link: "r2-r4", ...up, state: "down", suspect: true, since: "2024-01-01T00:00:05.000Z", confidence: 0.5, source: "localisation", downPaths: 2, upPaths: 0, reportedBy: ["h1", "h3"] },
      { link: "r1-r3", ...up, state: "degraded", source: "localisation", clearsAt: "2024-01-01T00:00:09.000Z", degradedPaths: 1 },
    ],
    nodes: [
      { node: "r2", kind: "router", ...up, state: "down", suspect: true, confidence: 0.5, source: "localisation", downPaths: 2, upPaths: 0, reportedBy: ["h1"] },
      { node: "h1", kind: "host", ...up, unique: true },
    ],
    unexplained: [{ host: "h3", routers: ["r2", "r1"], state: "degraded" }],
  };
  for (const m of wire(ListLinksResponseSchema, linksViewToProto(v))) assert.deepEqual(linksViewFromProto(m), v);
  const json = toJson(ListLinksResponseSchema, linksViewToProto(v)) as { links: Record<string, unknown>[] };
  assert.deepEqual(json.links[1], { id: "r2-r4", kind: "link", state: "down", suspect: true, since: "2024-01-01T00:00:05.000Z", confidence: 0.5, source: "localisation", downPaths: 2, reportedBy: ["h1", "h3"] });
  const bad = linksViewToProto(v);
  bad.nodes[0]!.kind = "link";
  assert.throws(() => linksViewFromProto(bad), /nodes\.r2\.kind: unknown value "link"; expected one of router, host/);
});

const at = "2024-01-01T00:00:01.000Z";
const events: EventView[] = [
  { seq: 1, at, cause: 0, durationMs: 0, type: "path-state", host: "h1", probeSids: ["fc00:0:4::1"], routers: ["r1", "r2", "r4"], state: "down", previous: "up", rules: ["p#0"] },
  { seq: 2, at, cause: 0, durationMs: 0, type: "path-state", host: "h1", probeSids: ["fc00:0:4::1"], routers: ["r1"], state: "unknown", previous: "", rules: [] },
  {
    seq: 3, at, cause: 1, durationMs: 0.25, type: "localisation",
    suspects: [{ kind: "link", id: "r2-r4", state: "down", confidence: 0.5, unique: false, failingPaths: 1, share: 1 }, { kind: "host", id: "h1", state: "degraded", confidence: 1, unique: true, failingPaths: 2, share: 0.5 }],
    downPaths: 1, degradedPaths: 2, unexplainedPaths: 0, exact: true,
  },
  { seq: 4, at, cause: 3, durationMs: 0, type: "overlay", kind: "link", id: "r2-r4", state: "down", previous: "up", source: "localisation", reason: "on 1 of 1 down path(s)" },
  { seq: 5, at, cause: 3, durationMs: 1.5, type: "recompute", rules: [{ host: "h1", rule: "p#0" }, { host: "h3", rule: "q#0" }], changed: [{ host: "h1", rule: "p#0" }] },
  { seq: 6, at, cause: 3, durationMs: 0, type: "push", host: "h1", version: 4, upserts: 1, removals: 0, watch: true },
  { seq: 7, at, cause: 6, durationMs: 0, type: "ack", host: "h1", version: 4, pushSeq: 6, sincePushMs: 12.5, sinceCauseMs: 40, rootCause: 1 },
  { seq: 8, at, cause: 0, durationMs: 3, type: "intents", added: ["a"], changed: [], removed: ["b"], source: "intents.yaml", by: "admin alice (token) from [::1]:4000", previousRevision: 3, revision: 4, baseRevision: 3, refused: false, reason: "" },
  { seq: 9, at, cause: 0, durationMs: 0, type: "intents", added: [], changed: [], removed: ["a"], source: "x.yaml", by: "no role anonymous (none) from [::1]:4001", previousRevision: 4, revision: 4, baseRevision: 2, refused: true, reason: "conflict" },
  { seq: 10, at, cause: 0, durationMs: 0, type: "lost", count: 120 },
];

test("every event type round trips, alone and in a ListEvents response", () => {
  for (const e of events) for (const m of wire(EventSchema, eventToProto(e))) assert.deepEqual(eventFromProto(m), e);
  const list = { events, lastSeq: 10, capacity: 1000 };
  for (const m of wire(ListEventsResponseSchema, eventsViewToProto(list))) assert.deepEqual(eventsViewFromProto(m), list);
  const json = toJson(EventSchema, eventToProto(events[6]!)) as Record<string, unknown>;
  assert.deepEqual(json, { seq: "7", at, cause: "6", ack: { host: "h1", version: "4", pushSeq: "6", sincePushMs: 12.5, sinceCauseMs: 40, rootCause: "1" } });
  const empty = eventToProto(events[0]!);
  empty.detail = { case: undefined };
  assert.throws(() => eventFromProto(empty), /event 1: no detail/);
});
