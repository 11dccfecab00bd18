// With convert-liveliness.ts and convert-apply.ts, the only place that converts between protobuf messages (src/api/gen)
// and the core model / plain API views. Everything else speaks plain data.
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HostRule, RuleMatch, RuleTarget } from "../core/assignments.js";
import type { AdditiveMetric, Constraints, FailurePolicy, Intent, IntentLiveliness, Objective, Path, PathResult, Protection, Protocol, Segment, Weights } from "../core/model.js";
import { ADDITIVE_METRICS, FAILURE_POLICIES, LIVELINESS_RANGES, OBJECTIVES, PROTECTIONS, PROTOCOL_NUMBERS } from "../core/model.js";
import { parseIpPrefix } from "../core/ip.js";
import { parseDnsName } from "../core/match-syntax.js";
import type { ConfigError } from "../config/errors.js";
import {
  AgentInfoSchema,
  AgentReportSchema,
  ApplyIntentsResponseSchema,
  ConstraintsSchema,
  HostPathsSchema,
  IntentSchema,
  ListPathsResponseSchema,
  LivelinessSchema,
  PathSchema,
  PathUpdateSchema,
  ReportStatusResponseSchema,
  RuleMatchSchema,
  RuleReportSchema,
  RuleSchema,
  RuleStatus,
  SegmentBehavior,
  SegmentSchema,
  TargetSchema,
  ValidationErrorsSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import type {
  AgentReport,
  ApplyIntentsResponse,
  Constraints as ConstraintsMsg,
  Intent as IntentMsg,
  ListIntentsResponse,
  ListPathsResponse,
  Liveliness as LivelinessMsg,
  Path as PathMsg,
  PathUpdate,
  ReportStatusResponse,
  Rule,
  RuleMatch as RuleMatchMsg,
  RuleReport,
  Segment as SegmentMsg,
  Target as TargetMsg,
  ValidationErrors,
} from "./gen/cairn/v1/cairn_pb.js";
import { ACTIVE_PATHS, RULE_STATES } from "./types.js";
import { ConversionError, counterFromProto, counterToProto } from "./convert-common.js";
import { label, quote } from "../core/quote.js";
import { pathHealthFromProto, pathHealthToProto, watchProbeFromProto, watchProbeToProto } from "./convert-liveliness.js";
import type {
  ActivePath,
  AgentReportView,
  AgentView,
  ApplySummary,
  HostPathsView,
  IntentsRevisionView,
  PathsView,
  PathUpdateView,
  ReportAckView,
  RuleReportView,
  RuleState,
} from "./types.js";

export { ConversionError } from "./convert-common.js";

// ---------------------------------------------------------------- segments & paths

const BEHAVIORS: readonly [Segment["behavior"], SegmentBehavior][] = [
  ["End", SegmentBehavior.END],
  ["End.X", SegmentBehavior.END_X],
  ["Service", SegmentBehavior.SERVICE],
  ["End.DX4", SegmentBehavior.END_DX4],
];

export function segmentToProto(s: Segment): SegmentMsg {
  return create(SegmentSchema, {
    sid: s.sid,
    node: s.node,
    behavior: BEHAVIORS.find(([b]) => b === s.behavior)![1],
    ...(s.link ? { link: { from: s.link[0], to: s.link[1] } } : {}),
    ...(s.service !== undefined ? { service: s.service } : {}),
  });
}

export function segmentFromProto(m: SegmentMsg): Segment {
  const behavior = BEHAVIORS.find(([, b]) => b === m.behavior)?.[0];
  if (behavior === undefined) throw new ConversionError(`segment ${m.sid}: unknown behavior ${m.behavior}`);
  return {
    sid: m.sid,
    node: m.node,
    behavior,
    ...(m.link ? { link: [m.link.from, m.link.to] as [string, string] } : {}),
    ...(m.service !== undefined ? { service: m.service } : {}),
  };
}

export function pathToProto(p: Path): PathMsg {
  const x = p.metrics;
  return create(PathSchema, {
    nodes: [...p.nodes],
    links: [...p.links],
    segments: p.segments.map(segmentToProto),
    metrics: {
      latencyUs: x.latencyUs,
      igp: x.igp,
      te: x.te,
      hops: x.hops,
      jitterUs: x.jitterUs,
      loss: x.loss,
      bottleneckBps: x.bottleneckBps,
      maxUtilization: x.maxUtilization,
    },
    srhBytes: p.srhBytes,
  });
}

export function pathFromProto(m: PathMsg): Path {
  const x = m.metrics;
  return {
    nodes: [...m.nodes],
    links: [...m.links],
    metrics: {
      latencyUs: x?.latencyUs ?? 0,
      igp: x?.igp ?? 0,
      te: x?.te ?? 0,
      hops: x?.hops ?? 0,
      jitterUs: x?.jitterUs ?? 0,
      loss: x?.loss ?? 0,
      bottleneckBps: x?.bottleneckBps ?? 0,
      maxUtilization: x?.maxUtilization ?? 0,
    },
    segments: m.segments.map(segmentFromProto),
    srhBytes: m.srhBytes,
  };
}

// ---------------------------------------------------------------- rules

function resultToProto(r: PathResult): MessageInitShape<typeof TargetSchema> {
  if (!r.ok) return { status: RuleStatus.INFEASIBLE, reason: r.reason };
  return {
    status: RuleStatus.OK,
    path: pathToProto(r.path),
    ...(r.backup ? { backup: pathToProto(r.backup) } : {}),
    notes: [...r.notes],
  };
}

function resultFromProto(m: TargetMsg, where: string): PathResult {
  if (m.status === RuleStatus.OK) {
    if (!m.path) throw new ConversionError(`${where}: status OK without a path`);
    return { ok: true, path: pathFromProto(m.path), backup: m.backup ? pathFromProto(m.backup) : null, notes: [...m.notes] };
  }
  if (m.status === RuleStatus.INFEASIBLE) return { ok: false, reason: m.reason };
  throw new ConversionError(`${where}: unknown status ${m.status}`);
}

export function targetToProto(t: RuleTarget): TargetMsg {
  return create(TargetSchema, {
    prefix: t.prefix,
    ...resultToProto(t.result),
    ...(t.probes ? { probeSids: [...t.probes.primary], backupProbeSids: [...(t.probes.backup ?? [])] } : {}),
  });
}

/** A target's probes: absent when it has no path, or from a controller that sent none. */
function probesFromProto(m: TargetMsg, result: PathResult, where: string): Pick<RuleTarget, "probes"> {
  if (!result.ok || m.probeSids.length === 0) {
    if (m.probeSids.length > 0 || m.backupProbeSids.length > 0) throw new ConversionError(`${where}: probe SIDs without a path`);
    return {};
  }
  if (!result.backup && m.backupProbeSids.length > 0) throw new ConversionError(`${where}: backup probe SIDs without a backup path`);
  return { probes: { primary: [...m.probeSids], backup: result.backup ? [...m.backupProbeSids] : null } };
}

export function targetFromProto(m: TargetMsg, where = `target ${m.prefix}`): RuleTarget {
  if (!parseIpPrefix(m.prefix)) throw new ConversionError(`${where}: "${m.prefix}" is not an IP prefix`);
  const result = resultFromProto(m, where);
  return { prefix: m.prefix, result, ...probesFromProto(m, result, where) };
}

/** The match's fields, from either side (the message and the model have the same ones). */
function matchFields(m: RuleMatch | RuleMatchMsg): RuleMatch {
  return {
    ...(m.app !== undefined ? { app: m.app } : {}),
    ...(m.cgroup !== undefined ? { cgroup: m.cgroup } : {}),
    ...(m.user !== undefined ? { user: m.user } : {}),
    ...(m.source !== undefined ? { source: m.source } : {}),
    protocol: m.protocol,
    portFrom: m.portFrom,
    portTo: m.portTo,
  };
}

const ruleMatchToProto = (m: RuleMatch): MessageInitShape<typeof RuleMatchSchema> => matchFields(m);
const ruleMatchFromProto = (m: RuleMatchMsg): RuleMatch => matchFields(m);

export function ruleToProto(r: HostRule): Rule {
  return create(RuleSchema, {
    key: r.key,
    intent: r.intent,
    priority: r.priority,
    match: ruleMatchToProto(r.match),
    onFailure: r.onFailure,
    targets: r.targets.map(targetToProto),
    ...(r.dns !== undefined ? { dns: r.dns } : {}),
    ...(r.liveliness ? { liveliness: livelinessToProto(r.liveliness) } : {}),
  });
}

export function ruleFromProto(m: Rule): HostRule {
  if (!m.match) throw new ConversionError(`rule ${m.key}: no match`);
  if (!FAILURE_POLICIES.includes(m.onFailure as FailurePolicy)) throw new ConversionError(`rule ${m.key}: unknown onFailure "${m.onFailure}"`);
  const dns = m.dns !== undefined ? parseDnsName(m.dns) : undefined;
  if (dns && !dns.ok) throw new ConversionError(`rule ${m.key}: ${dns.reason}`);
  return {
    key: m.key,
    intent: m.intent,
    priority: m.priority,
    match: ruleMatchFromProto(m.match),
    onFailure: m.onFailure as FailurePolicy,
    targets: m.targets.map((t) => targetFromProto(t, `rule ${m.key}: target ${t.prefix}`)),
    ...(m.dns !== undefined ? { dns: m.dns } : {}),
    ...(m.liveliness ? { liveliness: livelinessFromProto(m.liveliness, `rule ${m.key}`) } : {}),
  };
}

// ---------------------------------------------------------------- path updates

export function pathUpdateToProto(u: PathUpdateView): PathUpdate {
  return create(PathUpdateSchema, {
    host: u.host,
    generation: u.generation,
    version: u.version,
    full: u.full,
    upserts: u.upserts.map(ruleToProto),
    removedKeys: [...u.removedKeys],
    ...(u.watch ? { watch: { probes: u.watch.map(watchProbeToProto) } } : {}),
    topologyRevision: BigInt(u.topologyRevision),
    intentsRevision: BigInt(u.intentsRevision),
  });
}

export function pathUpdateFromProto(m: PathUpdate): PathUpdateView {
  return {
    host: m.host,
    generation: m.generation,
    version: m.version,
    full: m.full,
    upserts: m.upserts.map(ruleFromProto),
    removedKeys: [...m.removedKeys],
    ...(m.watch ? { watch: m.watch.probes.map((p, i) => watchProbeFromProto(p, `watch.probes[${i}]`)) } : {}),
    topologyRevision: counterFromProto(m.topologyRevision, "topology_revision"),
    intentsRevision: counterFromProto(m.intentsRevision, "intents_revision"),
  };
}

// ---------------------------------------------------------------- intents

export function livelinessToProto(l: IntentLiveliness): MessageInitShape<typeof LivelinessSchema> {
  return {
    probesOff: !l.probes,
    ...(l.intervalMs !== undefined ? { intervalMs: l.intervalMs } : {}),
    ...(l.misses !== undefined ? { misses: l.misses } : {}),
    ...(l.lossThreshold !== undefined ? { lossThreshold: l.lossThreshold } : {}),
    ...(l.holddownMs !== undefined ? { holddownMs: l.holddownMs } : {}),
  };
}

/** Checked as the intents file checks them: a peer's settings out of range, or with probes off, are refused. */
export function livelinessFromProto(m: LivelinessMsg, where: string): IntentLiveliness {
  const bad = (why: string): never => {
    throw new ConversionError(`${where}: liveliness: ${why}`);
  };
  const settings = (["intervalMs", "misses", "lossThreshold", "holddownMs"] as const).filter((k) => m[k] !== undefined);
  if (m.probesOff && settings.length > 0) bad(`${settings.join(", ")} given with probes off`);
  for (const k of ["intervalMs", "misses", "holddownMs"] as const) {
    const v = m[k];
    const { min, max } = LIVELINESS_RANGES[k];
    if (v !== undefined && !(v >= min && v <= max)) bad(`${k} ${v} is out of range ${min}..${max}`);
  }
  if (m.lossThreshold !== undefined && !(m.lossThreshold > 0 && m.lossThreshold < 1)) bad(`lossThreshold ${m.lossThreshold} is not a share above 0 and below 1`);
  return {
    probes: !m.probesOff,
    ...(m.intervalMs !== undefined ? { intervalMs: m.intervalMs } : {}),
    ...(m.misses !== undefined ? { misses: m.misses } : {}),
    ...(m.lossThreshold !== undefined ? { lossThreshold: m.lossThreshold } : {}),
    ...(m.holddownMs !== undefined ? { holddownMs: m.holddownMs } : {}),
  };
}

function constraintsToProto(c: Constraints): MessageInitShape<typeof ConstraintsSchema> {
  return {
    ...(c.maxLatencyUs !== undefined ? { maxLatencyUs: c.maxLatencyUs } : {}),
    ...(c.maxJitterUs !== undefined ? { maxJitterUs: c.maxJitterUs } : {}),
    ...(c.maxLoss !== undefined ? { maxLoss: c.maxLoss } : {}),
    ...(c.maxHops !== undefined ? { maxHops: c.maxHops } : {}),
    ...(c.minBandwidthBps !== undefined ? { minBandwidthBps: c.minBandwidthBps } : {}),
    avoidNodes: [...c.avoidNodes],
    avoidLinks: [...c.avoidLinks],
    avoidSrlgs: [...c.avoidSrlgs],
    avoidRegions: [...c.avoidRegions],
    excludeAny: [...c.excludeAny],
    includeAny: [...c.includeAny],
    includeAll: [...c.includeAll],
  };
}

function constraintsFromProto(c: ConstraintsMsg | undefined): Constraints {
  return {
    ...(c?.maxLatencyUs !== undefined ? { maxLatencyUs: c.maxLatencyUs } : {}),
    ...(c?.maxJitterUs !== undefined ? { maxJitterUs: c.maxJitterUs } : {}),
    ...(c?.maxLoss !== undefined ? { maxLoss: c.maxLoss } : {}),
    ...(c?.maxHops !== undefined ? { maxHops: c.maxHops } : {}),
    ...(c?.minBandwidthBps !== undefined ? { minBandwidthBps: c.minBandwidthBps } : {}),
    avoidNodes: [...(c?.avoidNodes ?? [])],
    avoidLinks: [...(c?.avoidLinks ?? [])],
    avoidSrlgs: [...(c?.avoidSrlgs ?? [])],
    avoidRegions: [...(c?.avoidRegions ?? [])],
    excludeAny: [...(c?.excludeAny ?? [])],
    includeAny: [...(c?.includeAny ?? [])],
    includeAll: [...(c?.includeAll ?? [])],
  };
}

export function intentToProto(i: Intent): IntentMsg {
  const to = i.match.to;
  return create(IntentSchema, {
    name: i.name,
    match: {
      hosts: [...i.match.hosts],
      ...(i.match.app !== undefined ? { app: i.match.app } : {}),
      ...(i.match.cgroup !== undefined ? { cgroup: i.match.cgroup } : {}),
      ...(i.match.user !== undefined ? { user: i.match.user } : {}),
      ...(i.match.source !== undefined ? { source: i.match.source } : {}),
      to:
        "host" in to
          ? { case: "toHost", value: to.host }
          : "prefix" in to
            ? { case: "toPrefix", value: to.prefix }
            : { case: "toDns", value: to.dns },
      ...(i.match.protocol !== undefined ? { protocol: i.match.protocol } : {}),
      ports: i.match.ports.map((p) => ({ from: p.from, to: p.to })),
    },
    objective: i.objective,
    constraints: constraintsToProto(i.constraints),
    weights: { ...(i.weights ?? {}) },
    via: [...i.via],
    protection: i.protection,
    ...(i.msd !== undefined ? { msd: i.msd } : {}),
    ...(i.onFailure !== undefined ? { onFailure: i.onFailure } : {}),
    ...(i.liveliness ? { liveliness: livelinessToProto(i.liveliness) } : {}),
  });
}

function weightsFromProto(m: IntentMsg): Weights | undefined {
  const entries = Object.entries(m.weights);
  if (m.objective !== "weighted") {
    if (entries.length > 0) throw new ConversionError(`intent ${m.name}: weights given for objective "${m.objective}"`);
    return undefined;
  }
  if (entries.length === 0) throw new ConversionError(`intent ${m.name}: objective "weighted" without weights`);
  const weights: Weights = {};
  for (const [metric, w] of entries) {
    if (!ADDITIVE_METRICS.includes(metric as AdditiveMetric)) throw new ConversionError(`intent ${m.name}: unknown weight metric "${metric}"`);
    if (!(w > 0 && Number.isFinite(w))) throw new ConversionError(`intent ${m.name}: weight of ${metric} must be a positive number, got ${w}`);
    weights[metric as AdditiveMetric] = w;
  }
  return weights;
}

/** ListIntents' answer: the intents, where they came from, and their revision. */
export function listIntentsFromProto(r: ListIntentsResponse): { intents: Intent[]; source: string } & IntentsRevisionView {
  return { intents: r.intents.map(intentFromProto), source: r.source, revision: Number(r.revision), changedAt: r.changedAt, changedBy: r.changedBy };
}

export function intentFromProto(m: IntentMsg): Intent {
  const match = m.match;
  if (!match) throw new ConversionError(`intent ${m.name}: no match`);
  let to: Intent["match"]["to"];
  if (match.to.case === "toHost") to = { host: match.to.value };
  else if (match.to.case === "toPrefix") to = { prefix: match.to.value };
  else if (match.to.case === "toDns") to = { dns: match.to.value };
  else throw new ConversionError(`intent ${m.name}: no destination`);
  if (!OBJECTIVES.includes(m.objective as Objective)) throw new ConversionError(`intent ${m.name}: unknown objective "${m.objective}"`);
  if (match.protocol !== undefined && !(match.protocol in PROTOCOL_NUMBERS)) {
    throw new ConversionError(`intent ${m.name}: unknown protocol "${match.protocol}"`);
  }
  const weights = weightsFromProto(m);
  // Empty: a peer that predates protection.
  const protection = m.protection === "" ? "none" : m.protection;
  if (!PROTECTIONS.includes(protection as Protection)) throw new ConversionError(`intent ${m.name}: unknown protection "${m.protection}"`);
  if (m.msd !== undefined && m.msd < 1) throw new ConversionError(`intent ${m.name}: msd must be at least 1, got ${m.msd}`);
  if (m.onFailure !== undefined && !FAILURE_POLICIES.includes(m.onFailure as FailurePolicy)) {
    throw new ConversionError(`intent ${m.name}: unknown onFailure "${m.onFailure}"`);
  }
  return {
    name: m.name,
    match: {
      hosts: [...match.hosts],
      ...(match.app !== undefined ? { app: match.app } : {}),
      ...(match.cgroup !== undefined ? { cgroup: match.cgroup } : {}),
      ...(match.user !== undefined ? { user: match.user } : {}),
      ...(match.source !== undefined ? { source: match.source } : {}),
      to,
      ...(match.protocol !== undefined ? { protocol: match.protocol as Protocol } : {}),
      ports: match.ports.map((p) => ({ from: p.from, to: p.to })),
    },
    objective: m.objective as Objective,
    ...(weights ? { weights } : {}),
    constraints: constraintsFromProto(m.constraints),
    via: [...m.via],
    protection: protection as Protection,
    ...(m.msd !== undefined ? { msd: m.msd } : {}),
    ...(m.onFailure !== undefined ? { onFailure: m.onFailure as FailurePolicy } : {}),
    ...(m.liveliness ? { liveliness: livelinessFromProto(m.liveliness, `intent ${m.name}`) } : {}),
  };
}

// ---------------------------------------------------------------- ListPaths

export function pathsViewToProto(v: PathsView): ListPathsResponse {
  return create(ListPathsResponseSchema, {
    generation: v.generation,
    hosts: v.hosts.map((h) =>
      create(HostPathsSchema, {
        host: h.host,
        version: BigInt(h.version),
        rules: h.rules.map(ruleToProto),
        ...(h.report ? { report: agentReportToProto(h.report), reportReceivedAt: h.report.receivedAt } : {}),
        watch: h.watch.map(watchProbeToProto),
        topologyRevision: BigInt(h.topologyRevision),
        intentsRevision: BigInt(h.intentsRevision),
      }),
    ),
    agents: v.agents.map((a) =>
      create(AgentInfoSchema, {
        host: a.host,
        agentVersion: a.agentVersion,
        peer: a.peer,
        connectedAt: a.connectedAt,
        lastSentVersion: BigInt(a.lastSentVersion),
      }),
    ),
    topologyRevision: BigInt(v.topologyRevision),
    intentsRevision: BigInt(v.intentsRevision),
  });
}

export function pathsViewFromProto(m: ListPathsResponse): PathsView {
  return {
    generation: m.generation,
    hosts: m.hosts.map(
      (h): HostPathsView => ({
        host: h.host,
        version: Number(h.version),
        rules: h.rules.map(ruleFromProto),
        ...(h.report ? { report: { ...agentReportFromProto(h.report), receivedAt: h.reportReceivedAt } } : {}),
        watch: h.watch.map((p, i) => watchProbeFromProto(p, `hosts.${h.host}.watch[${i}]`)),
        topologyRevision: Number(h.topologyRevision),
        intentsRevision: Number(h.intentsRevision),
      }),
    ),
    agents: m.agents.map(
      (a): AgentView => ({
        host: a.host,
        agentVersion: a.agentVersion,
        peer: a.peer,
        connectedAt: a.connectedAt,
        lastSentVersion: Number(a.lastSentVersion),
      }),
    ),
    topologyRevision: Number(m.topologyRevision),
    intentsRevision: Number(m.intentsRevision),
  };
}

// ---------------------------------------------------------------- ReportStatus


export function ruleReportToProto(r: RuleReportView): RuleReport {
  const c = (n: number, name: string) => counterToProto(n, `rule report ${r.key}: ${name}`);
  return create(RuleReportSchema, {
    key: r.key,
    state: r.state,
    reason: r.reason,
    prefixes: [...r.prefixes],
    active: r.active,
    steeredPackets: c(r.steeredPackets, "steeredPackets"),
    steeredBytes: c(r.steeredBytes, "steeredBytes"),
    unsteeredPackets: c(r.unsteeredPackets, "unsteeredPackets"),
    droppedPackets: c(r.droppedPackets, "droppedPackets"),
  });
}

export function ruleReportFromProto(m: RuleReport): RuleReportView {
  if (!RULE_STATES.includes(m.state as RuleState)) {
    throw new ConversionError(`rule report ${label(m.key)}: unknown state ${quote(m.state)}; expected one of ${RULE_STATES.join(", ")}`);
  }
  if (!ACTIVE_PATHS.includes(m.active as ActivePath)) {
    throw new ConversionError(`rule report ${label(m.key)}: unknown active path ${quote(m.active)}; expected one of ${ACTIVE_PATHS.join(", ")}`);
  }
  return {
    key: m.key,
    state: m.state as RuleState,
    reason: m.reason,
    prefixes: [...m.prefixes],
    active: m.active as ActivePath,
    steeredPackets: counterFromProto(m.steeredPackets, `rule report ${label(m.key)}: steeredPackets`),
    steeredBytes: counterFromProto(m.steeredBytes, `rule report ${label(m.key)}: steeredBytes`),
    unsteeredPackets: counterFromProto(m.unsteeredPackets, `rule report ${label(m.key)}: unsteeredPackets`),
    droppedPackets: counterFromProto(m.droppedPackets, `rule report ${label(m.key)}: droppedPackets`),
  };
}

/** The agent's report; a ReceivedReportView's receivedAt is not part of it (HostPaths carries it). */
export function agentReportToProto(r: AgentReportView): AgentReport {
  return create(AgentReportSchema, {
    host: r.host,
    generation: r.generation,
    appliedVersion: counterToProto(r.appliedVersion, "appliedVersion"),
    reportedAt: r.reportedAt,
    rules: r.rules.map(ruleReportToProto),
    datapathDrops: Object.fromEntries(Object.entries(r.datapathDrops).map(([why, n]) => [why, counterToProto(n, `datapathDrops.${why}`)])),
    paths: (r.paths ?? []).map((p, i) => pathHealthToProto(p, `paths[${i}]`)),
    topologyRevision: counterToProto(r.topologyRevision ?? 0, "topologyRevision"),
    intentsRevision: counterToProto(r.intentsRevision ?? 0, "intentsRevision"),
  });
}

export function agentReportFromProto(m: AgentReport): AgentReportView {
  return {
    host: m.host,
    generation: m.generation,
    appliedVersion: counterFromProto(m.appliedVersion, "appliedVersion"),
    reportedAt: m.reportedAt,
    rules: m.rules.map(ruleReportFromProto),
    datapathDrops: Object.fromEntries(Object.entries(m.datapathDrops).map(([why, n]) => [why, counterFromProto(n, `datapathDrops[${quote(why)}]`)])),
    paths: m.paths.map((p, i) => pathHealthFromProto(p, `paths[${i}]`)),
    ...(m.topologyRevision ? { topologyRevision: counterFromProto(m.topologyRevision, "topology_revision") } : {}),
    ...(m.intentsRevision ? { intentsRevision: counterFromProto(m.intentsRevision, "intents_revision") } : {}),
  };
}

export function reportAckToProto(a: ReportAckView): ReportStatusResponse {
  return create(ReportStatusResponseSchema, {
    generation: a.generation,
    version: BigInt(a.version),
    topologyRevision: BigInt(a.topologyRevision),
    intentsRevision: BigInt(a.intentsRevision),
  });
}

export function reportAckFromProto(m: ReportStatusResponse): ReportAckView {
  return { generation: m.generation, version: Number(m.version), topologyRevision: Number(m.topologyRevision), intentsRevision: Number(m.intentsRevision) };
}

// ---------------------------------------------------------------- ApplyIntents

export function applySummaryToProto(s: ApplySummary): ApplyIntentsResponse {
  return create(ApplyIntentsResponseSchema, {
    added: [...s.added],
    changed: [...s.changed],
    removed: [...s.removed],
    unchanged: [...s.unchanged],
    hostsPushed: s.hostsPushed.map((h) => ({
      host: h.host,
      version: BigInt(h.version),
      upserts: h.upserts,
      removals: h.removals,
    })),
  });
}

export function applySummaryFromProto(m: ApplyIntentsResponse): ApplySummary {
  return {
    added: [...m.added],
    changed: [...m.changed],
    removed: [...m.removed],
    unchanged: [...m.unchanged],
    hostsPushed: m.hostsPushed.map((h) => ({
      host: h.host,
      version: Number(h.version),
      upserts: h.upserts,
      removals: h.removals,
    })),
  };
}

export function configErrorsToProto(errors: ConfigError[]): ValidationErrors {
  return create(ValidationErrorsSchema, {
    errors: errors.map((e) => ({
      file: e.file,
      line: Math.max(0, e.line),
      column: Math.max(0, e.column),
      field: e.field,
      reason: e.reason,
      intent: e.intent ?? "",
    })),
  });
}

export function configErrorsFromProto(m: ValidationErrors): ConfigError[] {
  return m.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, field: e.field, reason: e.reason, ...(e.intent ? { intent: e.intent } : {}) }));
}
