// One ChangeTopology request, the same on one controller (topology-changes.ts) and on replicas
// (replicas/replica-topology.ts): its checks against the current model (base revision required and
// current, every change valid: topology-check.ts), the refusals with their codes and messages, and how
// a refusal or a change is recorded (a `topology` event, a log line, an audit line). Where the model
// lives and how a change is applied is the callers'.
import { Code, ConnectError } from "@connectrpc/connect";
import type { LinksView, TopologyChangeResultView } from "../api/types.js";
import type { Topology } from "../core/model.js";
import type { ElementIds } from "../core/live-paths.js";
import type { AuditLog, TopologyAuditRecord } from "./audit.js";
import { auditPrincipal } from "./audit.js";
import type { Clock } from "./clock.js";
import type { EventLog, NewEvent } from "./events.js";
import { describePrincipal, type Principal } from "./principal.js";
import type { Revisions } from "./state.js";
import type { Made } from "./topology-layer.js";
import { checkTopologyChanges, metricName, type LinkMetricsInput, type TopologyCheck, type TopologyChangeRequest } from "./topology-check.js";

export interface TopologyChangeCall {
  /** The topology revision the changes are based on; 0: not given (refused). */
  baseRevision: number;
  changes: TopologyChangeRequest[];
  /** Why (a ticket, a note); may be "". */
  reason: string;
}

/** ChangeTopology, and the operator's changes in ListLinks: one controller's or a replica's. */
export interface TopologyService {
  /** Applies one request after those before it; throws a ConnectError (after recording the refusal) when refused. */
  change(call: TopologyChangeCall, principal: Principal): Promise<TopologyChangeResultView>;
  /** Liveliness's view with the drained elements down, the revisions and the changes in force. */
  decorate(view: LinksView): LinksView;
}

/** The model a request is checked against. */
export interface CurrentModel {
  revisions: Revisions;
  topology: Topology;
  drained: ElementIds;
  /** The last operator change, for a conflict's message. */
  last: Made | null;
}

export type Checked = Extract<TopologyCheck, { ok: true }>;

const METRIC_KEYS: (keyof LinkMetricsInput)[] = ["igp", "te", "delayUs", "jitterUs", "loss", "bandwidthBps", "utilization"];
export const codeName = (c: Code) => Code[c].replace(/[A-Z]/g, (x, i: number) => (i ? "_" : "") + x.toLowerCase());

/** A change as requested, for a refusal's event and audit line (the names as given). */
export const requested = (c: TopologyChangeRequest): string =>
  c.kind === "drain" || c.kind === "undrain"
    ? `${c.kind} ${c.element}`
    : `${c.kind} ${c.link}: ${METRIC_KEYS.filter((k) => (c as LinkMetricsInput)[k] !== undefined).map((k) => `${metricName(k)}=${(c as LinkMetricsInput)[k]}`).join(" ")}`;

/** The request checked against `now`: the model it makes, or the error to refuse it with (nothing applied). */
export function checkCall(call: TopologyChangeCall, now: CurrentModel): { ok: true; checked: Checked } | { ok: false; error: ConnectError } {
  const current = now.revisions.topology;
  if (call.baseRevision === 0) {
    return { ok: false, error: new ConnectError(`base_revision is required: the topology revision the changes are based on (the current one is ${current}: cairn topology revision, or ListLinks' topology_revision)`, Code.InvalidArgument) };
  }
  if (call.baseRevision !== current) return { ok: false, error: conflict(call.baseRevision, current, now.last) };
  const checked = checkTopologyChanges(now.topology, now.drained, call.changes);
  if (!checked.ok) {
    const shown = checked.errors.slice(0, 20);
    if (checked.errors.length > 20) shown.push(`… and ${checked.errors.length - 20} more error(s)`);
    return { ok: false, error: new ConnectError(`topology change refused, nothing applied:\n${shown.join("\n")}`, Code.InvalidArgument) };
  }
  return { ok: true, checked };
}

/** ABORTED: the topology moved on since `base`; names the last operator change when it came after `base`. */
export function conflict(base: number, current: number, last: Made | null): ConnectError {
  const lastText = last && last.revision > base ? `; the last operator change was revision ${last.revision} at ${last.at} by ${last.by}` : "";
  const never = base > current ? " (a revision this controller never had: it restarted or is another one)" : "";
  return new ConnectError(
    `conflict: the topology changed since revision ${base}, it is at revision ${current}${never}${lastText} (liveliness marks and clears count too). ` +
      `Nothing applied; look at the links (cairn get links) and change again based on revision ${current}`,
    Code.Aborted,
  );
}

export interface RecordDeps {
  events: EventLog;
  log: (line: string) => void;
  clock: Clock;
  audit?: AuditLog;
}

/** Records a refusal (a `topology` event, a log line, an audit line) at revisions `at`, and returns its error to throw. */
export async function refused(d: RecordDeps, call: TopologyChangeCall, principal: Principal, error: ConnectError, at: Revisions): Promise<ConnectError> {
  const by = describePrincipal(principal);
  const reason = error.rawMessage.length > 4000 ? `${error.rawMessage.slice(0, 4000)}…` : error.rawMessage;
  const changes = call.changes.slice(0, 100).map(requested);
  d.events.record({
    type: "topology",
    changes,
    by,
    previousRevision: at.topology,
    revision: at.topology,
    baseRevision: call.baseRevision,
    refused: true,
    reason: reason.split("\n").slice(0, 2).join(" "),
    intentsRevision: at.intents,
    fullRecompute: false,
  });
  d.log(`topology change refused for ${by} (${codeName(error.code)}): ${reason.split("\n").slice(0, 3).join(" / ")}`);
  try {
    await d.audit?.append({
      at: new Date(d.clock.now()).toISOString(),
      action: "topology",
      outcome: "refused",
      by: auditPrincipal(principal),
      baseTopologyRevision: call.baseRevision,
      previousTopologyRevision: at.topology,
      topologyRevision: at.topology,
      revision: at.intents,
      changes,
      reason: call.reason,
      code: codeName(error.code),
      error: reason,
    });
  } catch (e) {
    d.log(`audit log: could not record a refused topology change: ${(e as Error).message}`);
  }
  return error;
}

/**
 * The audit line of a checked request, written before it takes effect. `next`: the topology revision it
 * makes, when known before (one controller); absent on a replica, where it is the store's revision of
 * the write, known only after it.
 */
export function changeAuditRecord(o: { at: string; principal: Principal; call: TopologyChangeCall; checked: Checked; revisions: Revisions; next?: number }): TopologyAuditRecord {
  const effective = o.checked.changes.some((c) => c.effective);
  return {
    at: o.at,
    action: "topology",
    outcome: effective ? "applied" : "unchanged",
    by: auditPrincipal(o.principal),
    baseTopologyRevision: o.call.baseRevision,
    previousTopologyRevision: o.revisions.topology,
    ...(!effective ? { topologyRevision: o.revisions.topology } : o.next !== undefined ? { topologyRevision: o.next } : {}),
    revision: o.revisions.intents,
    changes: o.checked.changes.map((c) => c.text),
    reason: o.call.reason,
  };
}

/** Appends to the audit log, if any; a failure refuses the change (Internal), which is then not made. */
export async function auditOrRefuse(d: Pick<RecordDeps, "audit" | "log">, record: TopologyAuditRecord): Promise<void> {
  if (!d.audit) return;
  try {
    await d.audit.append(record);
  } catch (e) {
    d.log(`audit log ${d.audit.path}: ${(e as Error).message}`);
    throw new ConnectError(`the audit log could not be written, so nothing was applied: ${(e as Error).message}`, Code.Internal);
  }
}

/** The `topology` event of a request that was applied (or found in force already). */
export function changeEvent(o: { call: TopologyChangeCall; by: string; changes: string[]; previous: number; at: Revisions; full: boolean; durationMs: number }): NewEvent {
  return {
    type: "topology",
    durationMs: o.durationMs,
    changes: o.changes,
    by: o.by,
    previousRevision: o.previous,
    revision: o.at.topology,
    baseRevision: o.call.baseRevision,
    refused: false,
    reason: o.call.reason,
    intentsRevision: o.at.intents,
    fullRecompute: o.full,
  };
}

/** The log line of a change that was made (or found in force already). */
export function changeLogLine(o: { by: string; changed: boolean; previous: number; revision: number; texts: string[]; recomputed: number; changedRules: number; full: boolean; pushed: string }): string {
  return (
    `topology ${o.changed ? `changed by ${o.by}: revision ${o.previous} -> ${o.revision}` : `unchanged (revision ${o.revision}) by ${o.by}`}: ${o.texts.join("; ")}; ` +
    `recomputed ${o.recomputed} rule(s)${o.full ? " (full recompute)" : ""}, ${o.changedRules} changed; ${o.pushed}`
  );
}
