import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { HostRule } from "../core/assignments.js";
import type { Intent, PathResult } from "../core/model.js";
import { NO_CONSTRAINTS } from "../core/model.js";
import { hostRules } from "../core/assignments.js";
import type { ConfigError } from "../config/errors.js";
import { INTENTS_V1, testIntents, testTopology } from "../controller/testing.js";
import {
  AgentReportSchema,
  ApplyIntentsResponseSchema,
  GetTopologyResponseSchema,
  IntentSchema,
  ListPathsResponseSchema,
  PathUpdateSchema,
  ReportStatusResponseSchema,
  RuleSchema,
  RuleStatus,
  ValidationErrorsSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import {
  agentReportFromProto,
  agentReportToProto,
  applySummaryFromProto,
  applySummaryToProto,
  configErrorsFromProto,
  configErrorsToProto,
  ConversionError,
  intentFromProto,
  intentToProto,
  pathsViewFromProto,
  pathsViewToProto,
  pathUpdateFromProto,
  pathUpdateToProto,
  reportAckFromProto,
  reportAckToProto,
  ruleFromProto,
  ruleToProto,
} from "./convert.js";
import type { AgentReportView, ApplySummary, PathsView, PathUpdateView } from "./types.js";

const topology = testTopology();
const intents = testIntents(topology, INTENTS_V1);
const rules = ["h1", "h3"].flatMap((h) => hostRules(topology, intents, h));

const endX: HostRule = {
  key: "x#2",
  intent: "x",
  priority: 7,
  match: { protocol: 17, portFrom: 5000, portTo: 5100 },
  onFailure: "open",
  targets: [
    {
      prefix: "2001:db8::/32",
      result: {
        ok: true,
        path: {
          nodes: ["r1", "r3", "r4"],
          links: ["r1-r3", "r3-r4"],
          metrics: { latencyUs: 10_000, igp: 10, te: 10, hops: 2, jitterUs: 0, loss: 0, bottleneckBps: 1e9, maxUtilization: 0 },
          segments: [
            { sid: "fc00:0:1::e002", node: "r1", behavior: "End.X", link: ["r1", "r3"] },
            { sid: "fc00:0:4::1", node: "r4", behavior: "End" },
          ],
          srhBytes: 56,
        },
        backup: null,
        notes: [],
      },
    },
  ],
};
/** Every new path field: a service segment, a backup path, notes, non-zero metrics. */
const protectedRule: HostRule = {
  key: "z#0",
  intent: "z",
  priority: 3,
  match: { protocol: 6, portFrom: 443, portTo: 443 },
  onFailure: "closed",
  targets: [
    {
      prefix: "2001:db8:4::10/128",
      result: {
        ok: true,
        path: {
          nodes: ["r1", "r2", "r4", "r2", "r4"],
          links: ["r1-r2", "r2-r4", "r2-r4", "r2-r4"],
          metrics: { latencyUs: 4000, igp: 40, te: 400, hops: 4, jitterUs: 350, loss: 0.0019990000000000223, bottleneckBps: 6e8, maxUtilization: 0.4 },
          segments: [
            { sid: "fc00:0:4::f1", node: "r4", behavior: "Service", service: "fw" },
            { sid: "fc00:0:2::1", node: "r2", behavior: "End" },
          ],
          srhBytes: 56,
        },
        backup: {
          nodes: ["r1", "r3", "r4"],
          links: ["r1-r3", "r3-r4"],
          metrics: { latencyUs: 10_000, igp: 10, te: 10, hops: 2, jitterUs: 0, loss: 0, bottleneckBps: Infinity, maxUtilization: 0 },
          segments: [{ sid: "fc00:0:3::1", node: "r3", behavior: "End" }],
          srhBytes: 40,
        },
        notes: ["backup shares no link with the primary", "via fw: instance on r4 (r2's is unhealthy)"],
      },
    },
  ],
};
const infeasible: HostRule = {
  key: "y#0",
  intent: "y",
  priority: 0,
  match: { app: "video", protocol: 0, portFrom: 0, portTo: 65535 },
  onFailure: "open",
  targets: [{ prefix: "2001:db8:4::10/128", result: { ok: false, reason: "maxLatency 1ms cannot be met" } }],
};
/** Every v2 field: cgroup, user, source, a DNS name, IPv4 targets whose paths end with End.DX4, no targets at all. */
const v2Rules: HostRule[] = [
  {
    key: "dns#1",
    intent: "dns",
    priority: 4,
    match: { cgroup: "/system.slice/video.service", user: "1001", source: "10.1.0.0/16", protocol: 1, portFrom: 0, portTo: 65535 },
    onFailure: "closed",
    targets: [
      {
        prefix: "10.0.4.0/24",
        result: {
          ok: true,
          path: {
            nodes: ["r1", "r2", "r4"],
            links: ["r1-r2", "r2-r4"],
            metrics: { latencyUs: 2000, igp: 20, te: 20, hops: 2, jitterUs: 0, loss: 0, bottleneckBps: 1e9, maxUtilization: 0 },
            segments: [
              { sid: "fc00:0:2::1", node: "r2", behavior: "End" },
              { sid: "fc00:0:4::d400:1", node: "r4", behavior: "End.DX4" },
            ],
            srhBytes: 40,
          },
          backup: null,
          notes: [],
        },
      },
      { prefix: "10.0.2.0/24", result: { ok: false, reason: "no path" } },
    ],
    dns: "video.example.com",
  },
  { key: "user#0", intent: "user", priority: 5, match: { user: "alice", protocol: 0, portFrom: 0, portTo: 65535 }, onFailure: "open", targets: [] },
];

/** Through protobuf binary and JSON, as on the wire. */
function viaWire(r: HostRule): HostRule[] {
  const m = ruleToProto(r);
  return [
    ruleFromProto(fromBinary(RuleSchema, toBinary(RuleSchema, m))),
    ruleFromProto(fromJson(RuleSchema, toJson(RuleSchema, m))),
  ];
}

test("HostRule -> Rule -> HostRule is the identity (binary and JSON)", () => {
  for (const r of [...rules, endX, protectedRule, infeasible, ...v2Rules]) {
    for (const back of viaWire(r)) assert.deepEqual(back, r);
  }
  assert.ok(rules.length >= 4);
});

test("target status, app presence and End.X adjacency are explicit on the wire", () => {
  const m = ruleToProto(infeasible).targets[0]!;
  assert.equal(m.status, RuleStatus.INFEASIBLE);
  assert.equal(m.reason, "maxLatency 1ms cannot be met");
  assert.equal(m.path, undefined);
  assert.equal(ruleToProto(endX).match!.app, undefined);
  assert.equal(ruleToProto(infeasible).match!.app, "video");
  assert.deepEqual(toJson(RuleSchema, ruleToProto(endX)), {
    key: "x#2",
    intent: "x",
    priority: 7,
    match: { protocol: 17, portFrom: 5000, portTo: 5100 },
    onFailure: "open",
    targets: [
      {
        prefix: "2001:db8::/32",
        status: "RULE_STATUS_OK",
        path: {
          nodes: ["r1", "r3", "r4"],
          segments: [
            { sid: "fc00:0:1::e002", node: "r1", behavior: "SEGMENT_BEHAVIOR_END_X", link: { from: "r1", to: "r3" } },
            { sid: "fc00:0:4::1", node: "r4", behavior: "SEGMENT_BEHAVIOR_END" },
          ],
          metrics: { latencyUs: 10000, igp: 10, te: 10, hops: 2, bottleneckBps: 1e9 },
          links: ["r1-r3", "r3-r4"],
          srhBytes: 56,
        },
      },
    ],
  });
  const p = (toJson(RuleSchema, ruleToProto(protectedRule)) as { targets: { path: { segments: unknown[] }; backup: { metrics: unknown }; notes: string[] }[] }).targets[0]!;
  assert.deepEqual(p.path.segments[0], { sid: "fc00:0:4::f1", node: "r4", behavior: "SEGMENT_BEHAVIOR_SERVICE", service: "fw" });
  assert.deepEqual(p.backup.metrics, { latencyUs: 10000, igp: 10, te: 10, hops: 2, bottleneckBps: "Infinity" });
  assert.equal(p.notes.length, 2);
});

test("the v2 rule fields on the wire: match, onFailure, targets, dns, End.DX4", () => {
  const json = toJson(RuleSchema, ruleToProto(v2Rules[0]!)) as any;
  assert.deepEqual(json.match, { cgroup: "/system.slice/video.service", user: "1001", source: "10.1.0.0/16", protocol: 1, portTo: 65535 });
  assert.equal(json.onFailure, "closed");
  assert.equal(json.dns, "video.example.com");
  assert.deepEqual(json.targets.map((t: any) => [t.prefix, t.status]), [["10.0.4.0/24", "RULE_STATUS_OK"], ["10.0.2.0/24", "RULE_STATUS_INFEASIBLE"]]);
  assert.deepEqual(json.targets[0].path.segments[1], { sid: "fc00:0:4::d400:1", node: "r4", behavior: "SEGMENT_BEHAVIOR_END_DX4" });
  assert.equal(ruleToProto(endX).dns, undefined);
});

test("a target from a peer without backup or notes reads as backup null, notes []", () => {
  const m = ruleToProto(protectedRule);
  m.targets[0]!.backup = undefined;
  m.targets[0]!.notes = [];
  const r = ruleFromProto(m).targets[0]!.result as PathResult;
  assert.ok(r.ok);
  assert.deepEqual([r.backup, r.notes], [null, []]);
});

test("a rule without match or onFailure, or a target without status or with OK but no path, is rejected", () => {
  const m = ruleToProto(endX);
  m.targets[0]!.status = RuleStatus.UNSPECIFIED;
  assert.throws(() => ruleFromProto(m), ConversionError);
  const n = ruleToProto(endX);
  n.targets[0]!.path = undefined;
  assert.throws(() => ruleFromProto(n), /rule x#2: target 2001:db8::\/32: status OK without a path/);
  const o = ruleToProto(endX);
  o.match = undefined;
  assert.throws(() => ruleFromProto(o), /rule x#2: no match/);
  const p = ruleToProto(endX);
  p.onFailure = "";
  assert.throws(() => ruleFromProto(p), /rule x#2: unknown onFailure ""/);
  const q = ruleToProto(endX);
  q.targets[0]!.prefix = "h2";
  assert.throws(() => ruleFromProto(q), /rule x#2: target h2: "h2" is not an IP prefix/);
  const r = ruleToProto(v2Rules[0]!);
  r.dns = "no_dots";
  assert.throws(() => ruleFromProto(r), /rule dns#1: "no_dots" is not a DNS name/);
});

test("Intent round trip (host and prefix destinations, optional fields)", () => {
  const extra = testIntents(
    topology,
    `intents:\n  - name: p\n    match: { hosts: [h1, h3], to: "2001:db8:4::/64", protocol: udp, ports: [53] }\n    objective: hops\n    constraints: { maxLatency: 20ms, avoidNodes: [r3], avoidLinks: [r2-r4] }\n`,
  );
  for (const i of [...intents, ...extra]) {
    const m = intentToProto(i);
    assert.deepEqual(intentFromProto(fromBinary(IntentSchema, toBinary(IntentSchema, m))), i);
    assert.deepEqual(intentFromProto(fromJson(IntentSchema, toJson(IntentSchema, m))), i);
  }
  const bad = intentToProto(intents[0]!);
  bad.objective = "fastest";
  assert.throws(() => intentFromProto(bad), /unknown objective/);
});

/** Every field of the model, new ones included. */
const full: Intent = {
  name: "all",
  match: { hosts: ["h1"], app: "video", to: { host: "h2" }, protocol: "udp", ports: [{ from: 5000, to: 5100 }] },
  objective: "weighted",
  weights: { latency: 1, hops: 200, loss: 0.5, te: 2, igp: 3, jitter: 4 },
  constraints: {
    maxLatencyUs: 50_000,
    maxJitterUs: 0,
    maxLoss: 0.005,
    maxHops: 6,
    minBandwidthBps: 5e8,
    avoidNodes: ["r3"],
    avoidLinks: ["r2-r4"],
    avoidSrlgs: ["duct1", "1001"],
    avoidRegions: ["us"],
    excludeAny: ["red"],
    includeAny: ["gold", "blue"],
    includeAll: ["gold"],
  },
  via: ["fw", "r2", "dpi"],
  protection: "srlg",
  msd: 5,
};

test("Intent round trip with every new field (weights, affinities, via, protection, msd)", () => {
  const plain: Intent = { ...full, objective: "bandwidth", constraints: { ...NO_CONSTRAINTS }, via: [], protection: "none" };
  delete plain.weights;
  delete plain.msd;
  for (const i of [full, plain, ...(["link", "node", "none"] as const).map((protection) => ({ ...full, protection }))]) {
    const m = intentToProto(i);
    assert.deepEqual(intentFromProto(fromBinary(IntentSchema, toBinary(IntentSchema, m))), i);
    assert.deepEqual(intentFromProto(fromJson(IntentSchema, toJson(IntentSchema, m))), i);
  }
  assert.deepEqual(toJson(IntentSchema, intentToProto(full)), {
    name: "all",
    match: { hosts: ["h1"], app: "video", toHost: "h2", protocol: "udp", ports: [{ from: 5000, to: 5100 }] },
    objective: "weighted",
    constraints: {
      maxLatencyUs: 50000,
      avoidNodes: ["r3"],
      avoidLinks: ["r2-r4"],
      maxJitterUs: 0,
      maxLoss: 0.005,
      maxHops: 6,
      minBandwidthBps: 500000000,
      avoidSrlgs: ["duct1", "1001"],
      avoidRegions: ["us"],
      excludeAny: ["red"],
      includeAny: ["gold", "blue"],
      includeAll: ["gold"],
    },
    weights: { latency: 1, hops: 200, loss: 0.5, te: 2, igp: 3, jitter: 4 },
    via: ["fw", "r2", "dpi"],
    protection: "srlg",
    msd: 5,
  });
});

test("intents from a peer: empty protection is none; bad weights, protection or msd are rejected", () => {
  const old = intentToProto({ ...full, protection: "none" });
  old.protection = "";
  assert.equal(intentFromProto(old).protection, "none");
  const cases: [(m: ReturnType<typeof intentToProto>) => void, RegExp][] = [
    [(m) => (m.protection = "total"), /unknown protection "total"/],
    [(m) => (m.weights = {}), /objective "weighted" without weights/],
    [(m) => (m.weights = { bandwidth: 1 }), /unknown weight metric "bandwidth"/],
    [(m) => (m.weights = { latency: 0 }), /weight of latency must be a positive number, got 0/],
    [(m) => (m.objective = "latency"), /weights given for objective "latency"/],
    [(m) => (m.msd = 0), /msd must be at least 1/],
  ];
  for (const [mutate, message] of cases) {
    const m = intentToProto(full);
    mutate(m);
    assert.throws(() => intentFromProto(m), message);
  }
});

test("PathUpdate, ListPaths, ApplySummary and validation errors round trip", () => {
  const u: PathUpdateView = { host: "h1", generation: "g", version: 42n, full: false, upserts: [endX, protectedRule], removedKeys: ["a#0"], topologyRevision: 3, intentsRevision: 2 };
  assert.deepEqual(pathUpdateFromProto(fromBinary(PathUpdateSchema, toBinary(PathUpdateSchema, pathUpdateToProto(u)))), u);

  const v: PathsView = {
    generation: "g",
    hosts: [
      { host: "h1", version: 3, rules: [endX, protectedRule, infeasible], watch: [], topologyRevision: 4, intentsRevision: 2 },
      { host: "h2", version: 1, rules: [], watch: [{ probeSids: ["fc00:0:4::1"], routers: ["r2", "r4"], links: ["r2-r4"], reason: "link r2-r4 marked down" }], topologyRevision: 4, intentsRevision: 2 },
    ],
    agents: [{ host: "h1", agentVersion: "a/1", peer: "[::1]:5000", connectedAt: "2024-01-01T00:00:00.000Z", lastSentVersion: 3 }],
    topologyRevision: 4,
    intentsRevision: 2,
  };
  const vJson = toJson(ListPathsResponseSchema, pathsViewToProto(v));
  assert.deepEqual(pathsViewFromProto(fromJson(ListPathsResponseSchema, vJson)), v);

  const s: ApplySummary = {
    added: ["a"],
    changed: ["b"],
    removed: [],
    unchanged: ["c"],
    hostsPushed: [{ host: "h1", version: 2, upserts: 1, removals: 0 }],
  };
  assert.deepEqual(applySummaryFromProto(fromBinary(ApplyIntentsResponseSchema, toBinary(ApplyIntentsResponseSchema, applySummaryToProto(s)))), s);

  const errs: ConfigError[] = [{ file: "i.yaml", line: 3, column: 17, field: "intents[0].match.hosts[0]", reason: 'unknown host "h9"' }];
  assert.deepEqual(configErrorsFromProto(fromBinary(ValidationErrorsSchema, toBinary(ValidationErrorsSchema, configErrorsToProto(errs)))), errs);
});

/** The v2 match fields and onFailure; a DNS destination. */
const v2Intent: Intent = {
  name: "v2",
  match: { hosts: ["h1"], cgroup: "/system.slice/video.service", user: "alice", source: "10.1.0.0/16", to: { dns: "video.example.com" }, protocol: "icmp", ports: [] },
  objective: "latency",
  constraints: { ...NO_CONSTRAINTS },
  via: [],
  protection: "none",
  onFailure: "closed",
};

test("Intent round trip with cgroup, user, source, a DNS destination and onFailure", () => {
  const v4: Intent = { ...v2Intent, match: { ...v2Intent.match, to: { prefix: "10.0.4.0/24" } }, onFailure: "open" };
  const noPolicy: Intent = { ...v2Intent };
  delete noPolicy.onFailure;
  for (const i of [v2Intent, v4, noPolicy]) {
    const m = intentToProto(i);
    assert.deepEqual(intentFromProto(fromBinary(IntentSchema, toBinary(IntentSchema, m))), i);
    assert.deepEqual(intentFromProto(fromJson(IntentSchema, toJson(IntentSchema, m))), i);
  }
  const json = toJson(IntentSchema, intentToProto(v2Intent)) as any;
  assert.deepEqual(json.match, { hosts: ["h1"], cgroup: "/system.slice/video.service", user: "alice", source: "10.1.0.0/16", toDns: "video.example.com", protocol: "icmp" });
  assert.equal(json.onFailure, "closed");
  assert.equal(intentToProto(noPolicy).onFailure, undefined, "absent onFailure stays absent: the default is derived, not sent");
  const bad = intentToProto(v2Intent);
  bad.onFailure = "maybe";
  assert.throws(() => intentFromProto(bad), /intent v2: unknown onFailure "maybe"/);
});

test("liveliness round trips on intents and on rules: off, every setting, some; absent stays absent", () => {
  const settings: Intent[] = [
    { ...v2Intent, liveliness: { probes: false } },
    { ...v2Intent, liveliness: { probes: true, intervalMs: 20, misses: 5, lossThreshold: 0.025, holddownMs: 0 } },
    { ...v2Intent, liveliness: { probes: true, misses: 2 } },
  ];
  for (const i of settings) {
    const m = intentToProto(i);
    assert.deepEqual(intentFromProto(fromBinary(IntentSchema, toBinary(IntentSchema, m))), i);
    assert.deepEqual(intentFromProto(fromJson(IntentSchema, toJson(IntentSchema, m))), i);
    const [rule] = hostRules(topology, [{ ...i, match: { ...i.match, hosts: ["h1"], to: { host: "h2" } } }], "h1");
    assert.deepEqual(rule!.liveliness, i.liveliness, "the rule carries its intent's liveliness");
    for (const back of viaWire(rule!)) assert.deepEqual(back, rule);
  }
  assert.deepEqual((toJson(IntentSchema, intentToProto(settings[0]!)) as any).liveliness, { probesOff: true });
  assert.deepEqual((toJson(IntentSchema, intentToProto(settings[1]!)) as any).liveliness, { intervalMs: 20, misses: 5, lossThreshold: 0.025, holddownMs: 0 });
  assert.equal(intentToProto(v2Intent).liveliness, undefined);
  assert.equal("liveliness" in intentFromProto(intentToProto(v2Intent)), false);
  assert.equal(ruleToProto(endX).liveliness, undefined);
  assert.equal("liveliness" in ruleFromProto(ruleToProto(endX)), false);
});

test("liveliness from a peer: settings out of range, or given with probes off, are rejected naming the intent or rule", () => {
  const intent = (l: Record<string, unknown>) => {
    const m = intentToProto({ ...v2Intent, liveliness: { probes: true } });
    Object.assign(m.liveliness!, l);
    return () => intentFromProto(m);
  };
  assert.throws(intent({ probesOff: true, intervalMs: 20 }), /intent v2: liveliness: intervalMs given with probes off/);
  assert.throws(intent({ intervalMs: 0 }), /intent v2: liveliness: intervalMs 0 is out of range 1\.\.60000/);
  assert.throws(intent({ misses: 101 }), /misses 101 is out of range 1\.\.100/);
  assert.throws(intent({ holddownMs: 600_001 }), /holddownMs 600001 is out of range 0\.\.600000/);
  assert.throws(intent({ lossThreshold: 0 }), /lossThreshold 0 is not a share above 0 and below 1/);
  assert.throws(intent({ lossThreshold: 1 }), /lossThreshold 1 is not a share above 0 and below 1/);
  const rule = ruleToProto({ ...endX, liveliness: { probes: true } });
  rule.liveliness!.lossThreshold = Number.NaN;
  assert.throws(() => ruleFromProto(rule), /rule x#2: liveliness: lossThreshold NaN is not a share/);
});

const report: AgentReportView = {
  host: "h1",
  generation: "g",
  appliedVersion: 3,
  reportedAt: "2024-01-01T00:00:01.500Z",
  rules: [
    { key: "web#0", state: "installed", reason: "", prefixes: ["2001:db8:4::10/128", "10.0.4.10/32"], active: "primary", steeredPackets: 1000, steeredBytes: 96_000, unsteeredPackets: 0, droppedPackets: 0 },
    { key: "dns#0", state: "waiting", reason: "video.example.com not resolved yet", prefixes: [], active: "none", steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 0 },
    { key: "avoid#0", state: "not-steered", reason: "every path is down", prefixes: ["2001:db8:4::/64"], active: "none", steeredPackets: 5, steeredBytes: 500, unsteeredPackets: 2 ** 40, droppedPackets: 7 },
  ],
  datapathDrops: { mtu: 2, "fail-closed": 7 },
  paths: [
    {
      probeSids: ["fc00:0:2::1", "fc00:0:4::1"],
      routers: ["r1", "r2", "r4"],
      links: ["r1-r2", "r2-r4"],
      state: "degraded",
      since: "2024-01-01T00:00:00.250Z",
      loss: 0.25,
      rttMinUs: 310,
      rttAvgUs: 402.5,
      rttP99Us: 977,
      probesSent: 2 ** 40,
      probesReceived: 1000,
      uses: [{ rule: "web#0", prefix: "2001:db8:4::10/128", role: "primary", active: true }, { rule: "web#0", prefix: "10.0.4.10/32", role: "backup", active: false }],
      intervalMs: 20,
      misses: 4,
    },
    { probeSids: ["fc00:0:4::1"], routers: ["r1", "r3", "r4"], links: ["r1-r3", "r3-r4"], state: "unknown", since: "2024-01-01T00:00:01.000Z", loss: 0, rttMinUs: 0, rttAvgUs: 0, rttP99Us: 0, probesSent: 0, probesReceived: 0, uses: [] },
  ],
};

test("AgentReport round trip (binary and JSON); counters are uint64 on the wire", () => {
  const m = agentReportToProto(report);
  assert.deepEqual(agentReportFromProto(fromBinary(AgentReportSchema, toBinary(AgentReportSchema, m))), report);
  assert.deepEqual(agentReportFromProto(fromJson(AgentReportSchema, toJson(AgentReportSchema, m))), report);
  assert.equal(m.rules[2]!.unsteeredPackets, 2n ** 40n);
  assert.equal(m.datapathDrops["mtu"], 2n);
  const json = toJson(AgentReportSchema, m) as any;
  assert.deepEqual(json.rules[0], {
    key: "web#0",
    state: "installed",
    prefixes: ["2001:db8:4::10/128", "10.0.4.10/32"],
    active: "primary",
    steeredPackets: "1000",
    steeredBytes: "96000",
  });
  // A ReceivedReportView's receivedAt belongs to HostPaths, not to the report.
  assert.deepEqual(agentReportToProto({ ...report, receivedAt: "2024-01-01T00:00:02Z" } as AgentReportView), m);
  const ack = { generation: "g", version: 4, topologyRevision: 5, intentsRevision: 3 };
  assert.deepEqual(reportAckFromProto(fromBinary(ReportStatusResponseSchema, toBinary(ReportStatusResponseSchema, reportAckToProto(ack)))), ack);
});

test("reports with an unknown state or active path, or counters that are not whole numbers, are rejected", () => {
  const cases: [(m: ReturnType<typeof agentReportToProto>) => void, RegExp][] = [
    [(m) => (m.rules[0]!.state = "running"), /rule report web#0: unknown state "running"; expected one of installed, not-steered, waiting, error/],
    [(m) => (m.rules[1]!.active = ""), /rule report dns#0: unknown active path ""; expected one of primary, backup, none/],
  ];
  for (const [mutate, message] of cases) {
    const m = agentReportToProto(report);
    mutate(m);
    assert.throws(() => agentReportFromProto(m), message);
  }
  const r0 = report.rules[0]!;
  assert.throws(() => agentReportToProto({ ...report, rules: [{ ...r0, steeredBytes: 1.5 }] }), /rule report web#0: steeredBytes: 1.5 is not a counter/);
  assert.throws(() => agentReportToProto({ ...report, appliedVersion: -1 }), /appliedVersion: -1 is not a counter/);
});

test("ListPaths carries each host's latest report and when it arrived", () => {
  const v: PathsView = {
    generation: "g",
    hosts: [
      { host: "h1", version: 3, rules: [endX, ...v2Rules], report: { ...report, receivedAt: "2024-01-01T00:00:02.000Z" }, watch: [], topologyRevision: 1, intentsRevision: 1 },
      { host: "h2", version: 1, rules: [], watch: [], topologyRevision: 1, intentsRevision: 1 },
    ],
    agents: [],
    topologyRevision: 1,
    intentsRevision: 1,
  };
  const m = pathsViewToProto(v);
  assert.equal(m.hosts[0]!.reportReceivedAt, "2024-01-01T00:00:02.000Z");
  assert.equal(m.hosts[1]!.report, undefined);
  assert.deepEqual(pathsViewFromProto(fromBinary(ListPathsResponseSchema, toBinary(ListPathsResponseSchema, m))), v);
  assert.deepEqual(pathsViewFromProto(fromJson(ListPathsResponseSchema, toJson(ListPathsResponseSchema, m))), v);
});

test("GetTopology carries a link's reverse metrics when they differ, and parallel links by id", async () => {
  const { topologyToProto, topologyFromProto } = await import("./convert-apply.js");
  const { net } = await import("../core/testing.js");
  const rev = { igp: 30, te: 30, delayUs: 5000, jitterUs: 0, loss: 0, bandwidthBps: 1e8, utilization: 0.5 };
  const t = net(["r1", "r2"], [["r1", "r2", { id: "fast", reverse: rev }], ["r2", "r1", { id: "slow", igp: 50 }]]);
  const back = topologyFromProto(fromBinary(GetTopologyResponseSchema, toBinary(GetTopologyResponseSchema, topologyToProto(t))));
  assert.deepEqual(back.links, t.links);
  assert.equal("reverse" in back.links[1]!, false);
});
