// The only place that converts between protobuf messages (src/api/gen) and the
// core model / plain API views. Everything else speaks plain data.
import { create } from "@bufbuild/protobuf";
import type { HostRule } from "../core/assignments.js";
import type { Intent, Objective, Path, Protocol, Segment } from "../core/model.js";
import { OBJECTIVES, PROTOCOL_NUMBERS } from "../core/model.js";
import type { ConfigError } from "../config/errors.js";
import {
  AgentInfoSchema,
  ApplyIntentsResponseSchema,
  HostPathsSchema,
  IntentSchema,
  ListPathsResponseSchema,
  PathSchema,
  PathUpdateSchema,
  RuleSchema,
  RuleStatus,
  SegmentBehavior,
  SegmentSchema,
  ValidationErrorsSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import type {
  ApplyIntentsResponse,
  Intent as IntentMsg,
  ListPathsResponse,
  Path as PathMsg,
  PathUpdate,
  Rule,
  Segment as SegmentMsg,
  ValidationErrors,
} from "./gen/cairn/v1/cairn_pb.js";
import type { AgentView, ApplySummary, HostPathsView, PathsView, PathUpdateView } from "./types.js";

/** A message that does not describe a valid model value (e.g. from a newer or broken peer). */
export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConversionError";
  }
}

// ---------------------------------------------------------------- segments & paths

export function segmentToProto(s: Segment): SegmentMsg {
  return create(SegmentSchema, {
    sid: s.sid,
    node: s.node,
    behavior: s.behavior === "End" ? SegmentBehavior.END : SegmentBehavior.END_X,
    ...(s.link ? { link: { from: s.link[0], to: s.link[1] } } : {}),
  });
}

export function segmentFromProto(m: SegmentMsg): Segment {
  let behavior: Segment["behavior"];
  if (m.behavior === SegmentBehavior.END) behavior = "End";
  else if (m.behavior === SegmentBehavior.END_X) behavior = "End.X";
  else throw new ConversionError(`segment ${m.sid}: unknown behavior ${m.behavior}`);
  return {
    sid: m.sid,
    node: m.node,
    behavior,
    ...(m.link ? { link: [m.link.from, m.link.to] as [string, string] } : {}),
  };
}

export function pathToProto(p: Path): PathMsg {
  return create(PathSchema, {
    nodes: [...p.nodes],
    segments: p.segments.map(segmentToProto),
    metrics: { latencyUs: p.metrics.latencyUs, igp: p.metrics.igp, hops: p.metrics.hops },
  });
}

export function pathFromProto(m: PathMsg): Path {
  return {
    nodes: [...m.nodes],
    metrics: { latencyUs: m.metrics?.latencyUs ?? 0, igp: m.metrics?.igp ?? 0, hops: m.metrics?.hops ?? 0 },
    segments: m.segments.map(segmentFromProto),
  };
}

// ---------------------------------------------------------------- rules

export function ruleToProto(r: HostRule): Rule {
  return create(RuleSchema, {
    key: r.key,
    intent: r.intent,
    priority: r.priority,
    ...(r.app !== undefined ? { app: r.app } : {}),
    prefix: r.prefix,
    protocol: r.protocol,
    portFrom: r.portFrom,
    portTo: r.portTo,
    ...(r.result.ok
      ? { status: RuleStatus.OK, path: pathToProto(r.result.path) }
      : { status: RuleStatus.INFEASIBLE, reason: r.result.reason }),
  });
}

export function ruleFromProto(m: Rule): HostRule {
  let result: HostRule["result"];
  if (m.status === RuleStatus.OK) {
    if (!m.path) throw new ConversionError(`rule ${m.key}: status OK without a path`);
    result = { ok: true, path: pathFromProto(m.path) };
  } else if (m.status === RuleStatus.INFEASIBLE) {
    result = { ok: false, reason: m.reason };
  } else {
    throw new ConversionError(`rule ${m.key}: unknown status ${m.status}`);
  }
  return {
    key: m.key,
    intent: m.intent,
    priority: m.priority,
    ...(m.app !== undefined ? { app: m.app } : {}),
    prefix: m.prefix,
    protocol: m.protocol,
    portFrom: m.portFrom,
    portTo: m.portTo,
    result,
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
  };
}

// ---------------------------------------------------------------- intents

export function intentToProto(i: Intent): IntentMsg {
  const to = i.match.to;
  return create(IntentSchema, {
    name: i.name,
    match: {
      hosts: [...i.match.hosts],
      ...(i.match.app !== undefined ? { app: i.match.app } : {}),
      to: "host" in to ? { case: "toHost", value: to.host } : { case: "toPrefix", value: to.prefix },
      ...(i.match.protocol !== undefined ? { protocol: i.match.protocol } : {}),
      ports: i.match.ports.map((p) => ({ from: p.from, to: p.to })),
    },
    objective: i.objective,
    constraints: {
      ...(i.constraints.maxLatencyUs !== undefined ? { maxLatencyUs: i.constraints.maxLatencyUs } : {}),
      avoidNodes: [...i.constraints.avoidNodes],
      avoidLinks: [...i.constraints.avoidLinks],
    },
  });
}

export function intentFromProto(m: IntentMsg): Intent {
  const match = m.match;
  if (!match) throw new ConversionError(`intent ${m.name}: no match`);
  let to: Intent["match"]["to"];
  if (match.to.case === "toHost") to = { host: match.to.value };
  else if (match.to.case === "toPrefix") to = { prefix: match.to.value };
  else throw new ConversionError(`intent ${m.name}: no destination`);
  if (!OBJECTIVES.includes(m.objective as Objective)) throw new ConversionError(`intent ${m.name}: unknown objective "${m.objective}"`);
  if (match.protocol !== undefined && !(match.protocol in PROTOCOL_NUMBERS)) {
    throw new ConversionError(`intent ${m.name}: unknown protocol "${match.protocol}"`);
  }
  const c = m.constraints;
  return {
    name: m.name,
    match: {
      hosts: [...match.hosts],
      ...(match.app !== undefined ? { app: match.app } : {}),
      to,
      ...(match.protocol !== undefined ? { protocol: match.protocol as Protocol } : {}),
      ports: match.ports.map((p) => ({ from: p.from, to: p.to })),
    },
    objective: m.objective as Objective,
    constraints: {
      ...(c?.maxLatencyUs !== undefined ? { maxLatencyUs: c.maxLatencyUs } : {}),
      avoidNodes: [...(c?.avoidNodes ?? [])],
      avoidLinks: [...(c?.avoidLinks ?? [])],
    },
  };
}

// ---------------------------------------------------------------- ListPaths

export function pathsViewToProto(v: PathsView): ListPathsResponse {
  return create(ListPathsResponseSchema, {
    generation: v.generation,
    hosts: v.hosts.map((h) =>
      create(HostPathsSchema, { host: h.host, version: BigInt(h.version), rules: h.rules.map(ruleToProto) }),
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
  });
}

export function pathsViewFromProto(m: ListPathsResponse): PathsView {
  return {
    generation: m.generation,
    hosts: m.hosts.map(
      (h): HostPathsView => ({ host: h.host, version: Number(h.version), rules: h.rules.map(ruleFromProto) }),
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
  };
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
    })),
  });
}

export function configErrorsFromProto(m: ValidationErrors): ConfigError[] {
  return m.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, field: e.field, reason: e.reason }));
}
