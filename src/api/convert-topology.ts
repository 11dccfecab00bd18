// ChangeTopology's messages as plain data (controller/topology-check.ts's requests, TopologyChangeResultView) and back.
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ChangeTopologyRequestSchema, ChangeTopologyResponseSchema } from "./gen/cairn/v1/cairn_pb.js";
import type { ChangeTopologyRequest, ChangeTopologyResponse } from "./gen/cairn/v1/cairn_pb.js";
import type { TopologyChangeRequest } from "../controller/topology-check.js";
import type { TopologyChangeResultView } from "./types.js";
import { ConversionError } from "./convert-common.js";

/** What the controller takes: the base revision (0: not given), the changes, why. */
export interface TopologyChangeCallView {
  baseRevision: number;
  changes: TopologyChangeRequest[];
  reason: string;
}

/** Numbers past 2^53 are no revision this controller had; refused rather than rounded. */
function revisionFromProto(r: bigint, what: string): number {
  if (r > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConversionError(`${what} ${r} is no revision this controller has had (they count changes from 1)`);
  return Number(r);
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function topologyChangeCallFromProto(m: ChangeTopologyRequest): TopologyChangeCallView {
  const changes = m.changes.map((c, i): TopologyChangeRequest => {
    const v = c.change;
    switch (v.case) {
      case "drain":
        return { kind: "drain", element: v.value };
      case "undrain":
        return { kind: "undrain", element: v.value };
      case "metrics":
        return defined({
          kind: "metrics" as const,
          link: v.value.link,
          igp: v.value.igp,
          te: v.value.te,
          delayUs: v.value.delayUs,
          jitterUs: v.value.jitterUs,
          loss: v.value.loss,
          bandwidthBps: v.value.bandwidthBps,
          utilization: v.value.utilization,
        });
      case "measured":
        return defined({ kind: "measured" as const, link: v.value.link, delayUs: v.value.delayUs, jitterUs: v.value.jitterUs, loss: v.value.loss });
      default:
        throw new ConversionError(`changes[${i}]: empty change (set one of drain, undrain, metrics, measured)`);
    }
  });
  return { baseRevision: revisionFromProto(m.baseRevision, "base_revision"), changes, reason: m.reason };
}

export function topologyChangeCallToProto(c: TopologyChangeCallView): ChangeTopologyRequest {
  type Init = NonNullable<MessageInitShape<typeof ChangeTopologyRequestSchema>["changes"]>[number];
  const changes = c.changes.map((x): Init => {
    switch (x.kind) {
      case "drain":
      case "undrain":
        return { change: { case: x.kind, value: x.element } };
      case "metrics": {
        const { kind: _k, ...value } = x;
        return { change: { case: "metrics", value } };
      }
      case "measured": {
        const { kind: _k, ...value } = x;
        return { change: { case: "measured", value } };
      }
    }
  });
  return create(ChangeTopologyRequestSchema, { baseRevision: BigInt(c.baseRevision), changes, reason: c.reason });
}

export function topologyChangeResultToProto(r: TopologyChangeResultView): ChangeTopologyResponse {
  return create(ChangeTopologyResponseSchema, {
    previousRevision: BigInt(r.previousRevision),
    revision: BigInt(r.revision),
    intentsRevision: BigInt(r.intentsRevision),
    rulesRecomputed: r.rulesRecomputed,
    rulesChanged: r.rulesChanged,
    fullRecompute: r.fullRecompute,
    hostsPushed: r.hostsPushed.map((h) => ({ host: h.host, version: BigInt(h.version), upserts: h.upserts, removals: h.removals })),
    changes: [...r.changes],
  });
}

export function topologyChangeResultFromProto(m: ChangeTopologyResponse): TopologyChangeResultView {
  return {
    previousRevision: Number(m.previousRevision),
    revision: Number(m.revision),
    intentsRevision: Number(m.intentsRevision),
    rulesRecomputed: m.rulesRecomputed,
    rulesChanged: m.rulesChanged,
    fullRecompute: m.fullRecompute,
    hostsPushed: m.hostsPushed.map((h) => ({ host: h.host, version: Number(h.version), upserts: h.upserts, removals: h.removals })),
    changes: [...m.changes],
  };
}
