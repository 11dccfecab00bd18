// Liveliness messages ↔ plain views: probed paths in agents' reports, watch probes, ListLinks and
// the event ring. Strings that stand for closed sets (states, roles, kinds) are checked on the way in.
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ELEMENT_KINDS, ELEMENT_STATES, PATH_STATES } from "../core/elements.js";
import type { ElementKind, ElementState, PathState, WatchProbe } from "../core/elements.js";
import {
  ElementHealthSchema,
  EventSchema,
  ListEventsResponseSchema,
  ListLinksResponseSchema,
  PathHealthSchema,
  WatchProbeSchema,
} from "./gen/cairn/v1/cairn_pb.js";
import type {
  ElementHealth,
  Event,
  ListEventsResponse,
  ListLinksResponse,
  PathHealth,
  Suspect,
  WatchProbe as WatchProbeMsg,
} from "./gen/cairn/v1/cairn_pb.js";
import { ConversionError, counterToProto, oneOf, counterFromProto } from "./convert-common.js";
import { PATH_ROLES } from "./types.js";
import type {
  ElementHealthView,
  EventDetailView,
  EventsView,
  EventView,
  LinksView,
  PathHealthView,
  SuspectView,
  TopologyOverrideView,
} from "./types.js";

// ---------------------------------------------------------------- probed paths and watch probes

export function pathHealthToProto(p: PathHealthView, where = "path"): PathHealth {
  return create(PathHealthSchema, {
    probeSids: [...p.probeSids],
    routers: [...p.routers],
    links: [...p.links],
    state: p.state,
    since: p.since,
    loss: p.loss,
    rttMinUs: p.rttMinUs,
    rttAvgUs: p.rttAvgUs,
    rttP99Us: p.rttP99Us,
    probesSent: counterToProto(p.probesSent, `${where}.probesSent`),
    probesReceived: counterToProto(p.probesReceived, `${where}.probesReceived`),
    uses: p.uses.map((u) => ({ ...u })),
    intervalMs: p.intervalMs ?? 0,
    misses: p.misses ?? 0,
  });
}

export function pathHealthFromProto(m: PathHealth, where = "path"): PathHealthView {
  return {
    probeSids: [...m.probeSids],
    routers: [...m.routers],
    links: [...m.links],
    state: oneOf(m.state, PATH_STATES, `${where}.state`),
    since: m.since,
    loss: m.loss,
    rttMinUs: m.rttMinUs,
    rttAvgUs: m.rttAvgUs,
    rttP99Us: m.rttP99Us,
    probesSent: counterFromProto(m.probesSent, `${where}.probesSent`),
    probesReceived: counterFromProto(m.probesReceived, `${where}.probesReceived`),
    uses: m.uses.map((u, i) => ({ rule: u.rule, prefix: u.prefix, role: oneOf(u.role, PATH_ROLES, `${where}.uses[${i}].role`), active: u.active })),
    ...(m.intervalMs > 0 ? { intervalMs: m.intervalMs } : {}),
    ...(m.misses > 0 ? { misses: m.misses } : {}),
  };
}

export function watchProbeToProto(w: WatchProbe): WatchProbeMsg {
  return create(WatchProbeSchema, { probeSids: [...w.probeSids], routers: [...w.routers], links: [...w.links], reason: w.reason });
}

export function watchProbeFromProto(m: WatchProbeMsg, where = "watch probe"): WatchProbe {
  if (m.probeSids.length === 0) throw new ConversionError(`${where}: no probe SIDs`);
  return { probeSids: [...m.probeSids], routers: [...m.routers], links: [...m.links], reason: m.reason };
}

// ---------------------------------------------------------------- ListLinks

function elementHealthToProto(id: string, kind: ElementKind, e: ElementHealthView): ElementHealth {
  return create(ElementHealthSchema, {
    id,
    kind,
    state: e.state,
    suspect: e.suspect,
    since: e.since,
    confidence: e.confidence,
    unique: e.unique,
    source: e.source ?? "",
    clearsAt: e.clearsAt ?? "",
    downPaths: e.downPaths,
    degradedPaths: e.degradedPaths,
    upPaths: e.upPaths,
    reportedBy: [...e.reportedBy],
  });
}

function elementHealthFromProto(m: ElementHealth, where: string): ElementHealthView {
  return {
    state: oneOf(m.state, ELEMENT_STATES, `${where}.state`),
    suspect: m.suspect,
    since: m.since,
    confidence: m.confidence,
    unique: m.unique,
    ...(m.source !== "" ? { source: oneOf(m.source, ["localisation", "operator"] as const, `${where}.source`) } : {}),
    ...(m.clearsAt !== "" ? { clearsAt: m.clearsAt } : {}),
    downPaths: m.downPaths,
    degradedPaths: m.degradedPaths,
    upPaths: m.upPaths,
    reportedBy: [...m.reportedBy],
  };
}

export function linksViewToProto(v: LinksView): ListLinksResponse {
  return create(ListLinksResponseSchema, {
    holdDownMs: v.holdDownMs,
    links: v.links.map(({ link, ...e }) => elementHealthToProto(link, "link", e)),
    nodes: v.nodes.map(({ node, kind, ...e }) => elementHealthToProto(node, kind, e)),
    unexplained: v.unexplained.map((f) => ({ host: f.host, routers: [...f.routers], state: f.state })),
    topologyRevision: BigInt(v.topologyRevision ?? 0),
    intentsRevision: BigInt(v.intentsRevision ?? 0),
    overrides: (v.overrides ?? []).map((o) => ({ ...o, revision: BigInt(o.revision) })),
  });
}

export function linksViewFromProto(m: ListLinksResponse): LinksView {
  return {
    holdDownMs: m.holdDownMs,
    links: m.links.map((l) => ({ link: l.id, ...elementHealthFromProto(l, `links.${l.id}`) })),
    nodes: m.nodes.map((n) => ({
      node: n.id,
      kind: oneOf(n.kind, ["router", "host"] as const, `nodes.${n.id}.kind`),
      ...elementHealthFromProto(n, `nodes.${n.id}`),
    })),
    unexplained: m.unexplained.map((f, i) => ({ host: f.host, routers: [...f.routers], state: oneOf(f.state, ["down", "degraded"] as const, `unexplained[${i}].state`) })),
    ...(m.topologyRevision ? { topologyRevision: Number(m.topologyRevision) } : {}),
    ...(m.intentsRevision ? { intentsRevision: Number(m.intentsRevision) } : {}),
    ...(m.overrides.length ? { overrides: linkOverridesFromProto(m) } : {}),
  };
}

function linkOverridesFromProto(m: ListLinksResponse): TopologyOverrideView[] {
  return m.overrides.map((o, i) => ({
      kind: oneOf(o.kind, ["link", "router"] as const, `overrides[${i}].kind`),
      id: o.id,
      change: o.change,
      source: oneOf(o.source, ["operator", "measurement"] as const, `overrides[${i}].source`),
      by: o.by,
      at: o.at,
      revision: Number(o.revision),
      reason: o.reason,
  }));
}

/** Revision fields of an event as the view has them: absent when the wire says 0. */
function revisionsFromProto(v: { topologyRevision?: bigint; intentsRevision?: bigint }): { topologyRevision?: number; intentsRevision?: number } {
  return {
    ...(v.topologyRevision ? { topologyRevision: Number(v.topologyRevision) } : {}),
    ...(v.intentsRevision ? { intentsRevision: Number(v.intentsRevision) } : {}),
  };
}

// ---------------------------------------------------------------- events

type DetailInit = MessageInitShape<typeof EventSchema>["detail"];

function detailToProto(d: EventDetailView): DetailInit {
  switch (d.type) {
    case "path-state":
      return { case: "pathState", value: { host: d.host, probeSids: [...d.probeSids], routers: [...d.routers], state: d.state, previous: d.previous, rules: [...d.rules] } };
    case "localisation":
      return {
        case: "localisation",
        value: { suspects: d.suspects.map((s) => ({ ...s })), downPaths: d.downPaths, degradedPaths: d.degradedPaths, unexplainedPaths: d.unexplainedPaths, exact: d.exact },
      };
    case "overlay":
      return { case: "overlay", value: { kind: d.kind, id: d.id, state: d.state, previous: d.previous, source: d.source, reason: d.reason } };
    case "recompute":
      return {
        case: "recompute",
        value: { rules: d.rules.map((r) => ({ ...r })), changed: d.changed.map((r) => ({ ...r })), topologyRevision: BigInt(d.topologyRevision ?? 0), intentsRevision: BigInt(d.intentsRevision ?? 0) },
      };
    case "push":
      return {
        case: "push",
        value: { host: d.host, version: BigInt(d.version), upserts: d.upserts, removals: d.removals, watch: d.watch, topologyRevision: BigInt(d.topologyRevision ?? 0), intentsRevision: BigInt(d.intentsRevision ?? 0) },
      };
    case "ack":
      return {
        case: "ack",
        value: { host: d.host, version: BigInt(d.version), pushSeq: BigInt(d.pushSeq), sincePushMs: d.sincePushMs, sinceCauseMs: d.sinceCauseMs, rootCause: BigInt(d.rootCause) },
      };
    case "intents":
      return {
        case: "intents",
        value: {
          added: [...d.added],
          changed: [...d.changed],
          removed: [...d.removed],
          source: d.source,
          by: d.by,
          previousRevision: BigInt(d.previousRevision),
          revision: BigInt(d.revision),
          baseRevision: BigInt(d.baseRevision),
          refused: d.refused,
          reason: d.reason,
          topologyRevision: BigInt(d.topologyRevision ?? 0),
        },
      };
    case "topology":
      return {
        case: "topology",
        value: {
          changes: [...d.changes],
          by: d.by,
          previousRevision: BigInt(d.previousRevision),
          revision: BigInt(d.revision),
          baseRevision: BigInt(d.baseRevision),
          refused: d.refused,
          reason: d.reason,
          intentsRevision: BigInt(d.intentsRevision),
          fullRecompute: d.fullRecompute,
        },
      };
    case "lost":
      return { case: "lost", value: { count: BigInt(d.count) } };
  }
}

export function eventToProto(e: EventView): Event {
  const { seq, at, cause, durationMs, ...detail } = e;
  return create(EventSchema, { seq: BigInt(seq), at, cause: BigInt(cause), durationMs, detail: detailToProto(detail as EventDetailView) });
}

function suspectFromProto(s: Suspect, where: string): SuspectView {
  return {
    kind: oneOf(s.kind, ELEMENT_KINDS, `${where}.kind`),
    id: s.id,
    state: oneOf(s.state, ["down", "degraded"] as const, `${where}.state`),
    confidence: s.confidence,
    unique: s.unique,
    failingPaths: s.failingPaths,
    share: s.share,
  };
}

function detailFromProto(m: Event): EventDetailView {
  const d = m.detail;
  const where = `event ${m.seq}`;
  switch (d.case) {
    case "pathState": {
      const v = d.value;
      const previous = v.previous === "" ? "" : oneOf<PathState>(v.previous, PATH_STATES, `${where}.previous`);
      return { type: "path-state", host: v.host, probeSids: [...v.probeSids], routers: [...v.routers], state: oneOf(v.state, PATH_STATES, `${where}.state`), previous, rules: [...v.rules] };
    }
    case "localisation": {
      const v = d.value;
      return {
        type: "localisation",
        suspects: v.suspects.map((s, i) => suspectFromProto(s, `${where}.suspects[${i}]`)),
        downPaths: v.downPaths,
        degradedPaths: v.degradedPaths,
        unexplainedPaths: v.unexplainedPaths,
        exact: v.exact,
      };
    }
    case "overlay": {
      const v = d.value;
      return {
        type: "overlay",
        kind: oneOf(v.kind, ELEMENT_KINDS, `${where}.kind`),
        id: v.id,
        state: oneOf<ElementState>(v.state, ELEMENT_STATES, `${where}.state`),
        previous: oneOf<ElementState>(v.previous, ELEMENT_STATES, `${where}.previous`),
        source: oneOf(v.source, ["localisation"] as const, `${where}.source`),
        reason: v.reason,
      };
    }
    case "recompute":
      return {
        type: "recompute",
        rules: d.value.rules.map((r) => ({ host: r.host, rule: r.rule })),
        changed: d.value.changed.map((r) => ({ host: r.host, rule: r.rule })),
        ...revisionsFromProto(d.value),
      };
    case "push": {
      const v = d.value;
      return { type: "push", host: v.host, version: Number(v.version), upserts: v.upserts, removals: v.removals, watch: v.watch, ...revisionsFromProto(v) };
    }
    case "ack": {
      const v = d.value;
      return { type: "ack", host: v.host, version: Number(v.version), pushSeq: Number(v.pushSeq), sincePushMs: v.sincePushMs, sinceCauseMs: v.sinceCauseMs, rootCause: Number(v.rootCause) };
    }
    case "intents":
      return {
        type: "intents",
        added: [...d.value.added],
        changed: [...d.value.changed],
        removed: [...d.value.removed],
        source: d.value.source,
        by: d.value.by,
        previousRevision: Number(d.value.previousRevision),
        revision: Number(d.value.revision),
        baseRevision: Number(d.value.baseRevision),
        refused: d.value.refused,
        reason: d.value.reason,
        ...(d.value.topologyRevision ? { topologyRevision: Number(d.value.topologyRevision) } : {}),
      };
    case "topology": {
      const v = d.value;
      return {
        type: "topology",
        changes: [...v.changes],
        by: v.by,
        previousRevision: Number(v.previousRevision),
        revision: Number(v.revision),
        baseRevision: Number(v.baseRevision),
        refused: v.refused,
        reason: v.reason,
        intentsRevision: Number(v.intentsRevision),
        fullRecompute: v.fullRecompute,
      };
    }
    case "lost":
      return { type: "lost", count: Number(d.value.count) };
    default:
      throw new ConversionError(`${where}: no detail (an event type this client does not know)`);
  }
}

export function eventFromProto(m: Event): EventView {
  return { seq: Number(m.seq), at: m.at, cause: Number(m.cause), durationMs: m.durationMs, ...detailFromProto(m) };
}

export function eventsViewToProto(v: EventsView): ListEventsResponse {
  return create(ListEventsResponseSchema, { events: v.events.map(eventToProto), lastSeq: BigInt(v.lastSeq), capacity: v.capacity });
}

export function eventsViewFromProto(m: ListEventsResponse): EventsView {
  return { events: m.events.map(eventFromProto), lastSeq: Number(m.lastSeq), capacity: m.capacity };
}
