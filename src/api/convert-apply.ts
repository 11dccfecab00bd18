// With convert.ts and convert-liveliness.ts, the protobuf conversions of the safe-change API: the
// diff and revisions of ValidateIntents and ApplyIntents, ListIntents' revision, and the topology
// (GetTopology) the CLI checks intents files against.
import { create } from "@bufbuild/protobuf";
import type { Topology } from "../core/model.js";
import { pickMetrics } from "../core/model.js";
import {
  ApplyIntentsResponseSchema,
  GetTopologyResponseSchema,
  ValidateIntentsResponseSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import type { ApplyIntentsResponse, GetTopologyResponse, HostRuleChanges, ValidateIntentsResponse } from "./gen/cairn/v1/cairn_pb.js";
import type { ApplyResultView, HostRuleChangesView, ValidateResultView } from "./types.js";
import { applySummaryFromProto, applySummaryToProto } from "./convert.js";

const hostRulesToProto = (l: HostRuleChangesView[]) => l.map((h) => ({ host: h.host, added: [...h.added], changed: [...h.changed], removed: [...h.removed] }));
const hostRulesFromProto = (l: HostRuleChanges[]): HostRuleChangesView[] =>
  l.map((h) => ({ host: h.host, added: [...h.added], changed: [...h.changed], removed: [...h.removed] }));

export function applyResultToProto(r: ApplyResultView): ApplyIntentsResponse {
  const summary = applySummaryToProto(r);
  return create(ApplyIntentsResponseSchema, {
    added: summary.added,
    changed: summary.changed,
    removed: summary.removed,
    unchanged: summary.unchanged,
    hostsPushed: summary.hostsPushed,
    previousRevision: BigInt(r.previousRevision),
    revision: BigInt(r.revision),
    hostRules: hostRulesToProto(r.hostRules),
    reordered: r.reordered,
  });
}

export function applyResultFromProto(m: ApplyIntentsResponse): ApplyResultView {
  return {
    ...applySummaryFromProto(m),
    hostRules: hostRulesFromProto(m.hostRules),
    reordered: m.reordered,
    previousRevision: Number(m.previousRevision),
    revision: Number(m.revision),
  };
}

export function validateResultToProto(r: ValidateResultView): ValidateIntentsResponse {
  return create(ValidateIntentsResponseSchema, {
    revision: BigInt(r.revision),
    added: [...r.added],
    changed: [...r.changed],
    removed: [...r.removed],
    unchanged: [...r.unchanged],
    hostRules: hostRulesToProto(r.hostRules),
    reordered: r.reordered,
  });
}

export function validateResultFromProto(m: ValidateIntentsResponse): ValidateResultView {
  return {
    revision: Number(m.revision),
    added: [...m.added],
    changed: [...m.changed],
    removed: [...m.removed],
    unchanged: [...m.unchanged],
    hostRules: hostRulesFromProto(m.hostRules),
    reordered: m.reordered,
  };
}

export function topologyToProto(t: Topology): GetTopologyResponse {
  return create(GetTopologyResponseSchema, copyTopology(t));
}

/** The controller's topology, as it sent it (the controller checked it when it loaded its file). */
export function topologyFromProto(m: GetTopologyResponse): Topology {
  return copyTopology(m);
}

/** The model and the message have the same fields: one copy serves both directions. */
function copyTopology(t: Topology | GetTopologyResponse): Topology {
  return {
    routers: t.routers.map((r) => ({
      name: r.name,
      locator: r.locator,
      ...(r.region !== undefined ? { region: r.region } : {}),
      ...(r.msd !== undefined ? { msd: r.msd } : {}),
      sid: r.sid,
      ...(r.latitude !== undefined ? { latitude: r.latitude } : {}),
      ...(r.longitude !== undefined ? { longitude: r.longitude } : {}),
    })),
    hosts: t.hosts.map((h) => ({
      name: h.name,
      router: h.router,
      address: h.address,
      prefixLen: h.prefixLen,
      ...(h.address4 !== undefined ? { address4: h.address4 } : {}),
      ...(h.prefixLen4 !== undefined ? { prefixLen4: h.prefixLen4 } : {}),
      ...(h.dx4Sid !== undefined ? { dx4Sid: h.dx4Sid } : {}),
    })),
    links: t.links.map((l) => ({
      id: l.id,
      a: l.a,
      b: l.b,
      igp: l.igp,
      te: l.te,
      delayUs: l.delayUs,
      jitterUs: l.jitterUs,
      loss: l.loss,
      bandwidthBps: l.bandwidthBps,
      utilization: l.utilization,
      srlgs: [...l.srlgs],
      colors: [...l.colors],
      ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
      sidA: l.sidA,
      sidB: l.sidB,
      ...(l.reverse ? { reverse: pickMetrics(l.reverse) } : {}),
    })),
    services: t.services.map((s) => ({ name: s.name, instances: s.instances.map((i) => ({ node: i.node, sid: i.sid, healthy: i.healthy })) })),
  };
}
