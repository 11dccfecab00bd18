// Operator changes to the topology (ChangeTopology): one request at a time, based on a topology
// revision (ABORTED when the topology moved on: an operator's change, or a liveliness mark or clear),
// checked whole (topology-check.ts) and applied all or nothing through the state, which recomputes
// only what the change touches. Each request is audited before it takes effect (and when refused),
// recorded as a `topology` event, then a `recompute` event and the pushes it caused. Keeps the
// changes in force (drains, metrics that differ from the topology file) for ListLinks. Held in
// memory: a restarted controller starts from its topology file.
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import type { LinkHealthView, LinksView, NodeHealthView, TopologyChangeResultView, TopologyOverrideView } from "../api/types.js";
import type { Link, Topology } from "../core/model.js";
import { elementKey } from "../core/elements.js";
import type { AuditLog, TopologyAuditRecord } from "./audit.js";
import { auditPrincipal } from "./audit.js";
import type { Clock } from "./clock.js";
import type { EventLog } from "./events.js";
import { describePrincipal, type Principal } from "./principal.js";
import type { ControllerState, HostDelta } from "./state.js";
import { checkTopologyChanges, metricName, type LinkMetricsInput, type ResolvedChange, type TopologyChangeRequest } from "./topology-check.js";

export interface TopologyChangesDeps {
  state: ControllerState;
  events: EventLog;
  /** Sends deltas to the hosts' agents and records the pushes, caused by event `cause`. */
  publish: (deltas: HostDelta[], cause: number) => void;
  log: (line: string) => void;
  clock: Clock;
  /** Appended to (and fsync'd) before each change takes effect; also records refusals. */
  audit?: AuditLog;
}

export interface TopologyChangeCall {
  /** The topology revision the changes are based on; 0: not given (refused). */
  baseRevision: number;
  changes: TopologyChangeRequest[];
  /** Why (a ticket, a note); may be "". */
  reason: string;
}

/** Who made the change in force on an element, when, at which revision, and why. */
interface Made {
  by: string;
  at: string;
  revision: number;
  reason: string;
  source: "operator" | "measurement";
}

const METRIC_KEYS: (keyof LinkMetricsInput)[] = ["igp", "te", "delayUs", "jitterUs", "loss", "bandwidthBps", "utilization"];
const codeName = (c: Code) => Code[c].replace(/[A-Z]/g, (x, i: number) => (i ? "_" : "") + x.toLowerCase());
/** A change as requested, for a refusal's event and audit line (the names as given). */
const requested = (c: TopologyChangeRequest): string =>
  c.kind === "drain" || c.kind === "undrain"
    ? `${c.kind} ${c.element}`
    : `${c.kind} ${c.link}: ${METRIC_KEYS.filter((k) => (c as LinkMetricsInput)[k] !== undefined).map((k) => `${metricName(k)}=${(c as LinkMetricsInput)[k]}`).join(" ")}`;

export class TopologyChanges {
  /** The topology the controller started with: metric overrides are told against it. */
  private readonly declared: Topology;
  private readonly drains = new Map<string, Made>();
  private readonly metrics = new Map<string, Made>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The last applied change, for a conflict's message. */
  private last: { revision: number; by: string; at: string } | null = null;

  constructor(private readonly deps: TopologyChangesDeps) {
    this.declared = deps.state.topology;
  }

  /** Applies one request after those before it; throws a ConnectError (after recording the refusal) when refused. */
  change(call: TopologyChangeCall, principal: Principal): Promise<TopologyChangeResultView> {
    const run = this.queue.then(() => this.changeNow(call, principal));
    this.queue = run.catch(() => {});
    return run;
  }

  private async changeNow(call: TopologyChangeCall, principal: Principal): Promise<TopologyChangeResultView> {
    const { state, events, publish, log, clock } = this.deps;
    const started = performance.now();
    const by = describePrincipal(principal);
    const at0 = state.revisions();
    if (call.baseRevision === 0) {
      throw await this.refused(call, principal, new ConnectError(`base_revision is required: the topology revision the changes are based on (the current one is ${at0.topology}: cairn topology revision, or ListLinks' topology_revision)`, Code.InvalidArgument));
    }
    if (call.baseRevision !== at0.topology) throw await this.refused(call, principal, this.conflict(call.baseRevision, at0.topology));
    const checked = checkTopologyChanges(state.topology, state.drained(), call.changes);
    if (!checked.ok) {
      const shown = checked.errors.slice(0, 20);
      if (checked.errors.length > 20) shown.push(`… and ${checked.errors.length - 20} more error(s)`);
      throw await this.refused(call, principal, new ConnectError(`topology change refused, nothing applied:\n${shown.join("\n")}`, Code.InvalidArgument));
    }
    const texts = checked.changes.map((c) => c.text);
    const effective = checked.changes.some((c) => c.effective);
    const now = new Date(clock.now()).toISOString();
    const record: TopologyAuditRecord = {
      at: now,
      action: "topology",
      outcome: effective ? "applied" : "unchanged",
      by: auditPrincipal(principal),
      baseTopologyRevision: call.baseRevision,
      previousTopologyRevision: at0.topology,
      topologyRevision: effective ? at0.topology + 1 : at0.topology,
      revision: at0.intents,
      changes: texts,
      reason: call.reason,
    };
    await this.audit(record);
    // Nothing awaited from here on. While the audit line was written, only liveliness can have changed
    // the model (operator changes run one at a time): its marks are its own, the drains and metrics
    // checked above are still the operator's, so the change applies as checked. (The event has the
    // revisions it applied at; the audit line those it was checked at.)
    const t1 = performance.now();
    const previous = state.revisions().topology;
    const applied = state.changeTopology({ topology: checked.topology, drained: checked.drained });
    const at = state.revisions();
    const event = events.record({
      type: "topology",
      durationMs: performance.now() - started,
      changes: texts,
      by,
      previousRevision: previous,
      revision: at.topology,
      baseRevision: call.baseRevision,
      refused: false,
      reason: call.reason,
      intentsRevision: at.intents,
      fullRecompute: applied.full,
    });
    let cause = event.seq;
    if (applied.recomputed.length > 0) {
      cause = events.record({
        type: "recompute",
        cause,
        durationMs: performance.now() - t1,
        rules: applied.recomputed,
        changed: applied.changed,
        topologyRevision: at.topology,
        intentsRevision: at.intents,
      }).seq;
    }
    if (applied.deltas.length > 0) publish(applied.deltas, cause);
    if (applied.topologyChanged) {
      this.remember(checked.changes, { by, at: now, revision: at.topology, reason: call.reason });
      this.last = { revision: at.topology, by, at: now };
    }
    log(
      `topology ${applied.topologyChanged ? `changed by ${by}: revision ${previous} -> ${at.topology}` : `unchanged (revision ${at.topology}) by ${by}`}: ${texts.join("; ")}; ` +
        `recomputed ${applied.recomputed.length} rule(s)${applied.full ? " (full recompute)" : ""}, ${applied.changed.length} changed; pushed to ${applied.deltas.length} host(s)` +
        (applied.deltas.length ? ` (${applied.deltas.map((d) => `${d.host}@v${d.version}`).join(", ")})` : ""),
    );
    return {
      previousRevision: previous,
      revision: at.topology,
      intentsRevision: at.intents,
      rulesRecomputed: applied.recomputed.length,
      rulesChanged: applied.changed.length,
      fullRecompute: applied.full,
      hostsPushed: applied.deltas.map((d) => ({ host: d.host, version: Number(d.version), upserts: d.upserts.length, removals: d.removed.length })),
      changes: texts,
    };
  }

  /** The changes in force, for ListLinks: drained elements, then links whose metrics differ from the topology file. */
  overrides(): TopologyOverrideView[] {
    const out: TopologyOverrideView[] = [];
    const drained = this.deps.state.drained();
    for (const [kind, ids] of [["link", drained.links], ["router", drained.routers]] as const) {
      for (const id of ids) {
        const m = this.drains.get(elementKey({ kind, id }));
        out.push({ kind, id, change: "drained", source: "operator", by: m?.by ?? "", at: m?.at ?? "", revision: m?.revision ?? 0, reason: m?.reason ?? "" });
      }
    }
    const declared = new Map(this.declared.links.map((l) => [l.id, l]));
    for (const link of this.deps.state.topology.links) {
      const parts = metricDiff(declared.get(link.id)!, link);
      if (parts.length === 0) continue;
      const m = this.metrics.get(link.id);
      out.push({ kind: "link", id: link.id, change: parts.join(", "), source: m?.source ?? "operator", by: m?.by ?? "", at: m?.at ?? "", revision: m?.revision ?? 0, reason: m?.reason ?? "" });
    }
    return out;
  }

  /** Liveliness's view with the drained elements down (source "operator"), the revisions and the changes in force. */
  decorate(view: LinksView): LinksView {
    const drained = this.deps.state.drained();
    const links = new Set(drained.links);
    const routers = new Set(drained.routers);
    const drain = <T extends LinkHealthView | NodeHealthView>(e: T, kind: "link" | "router", id: string): T => {
      const m = this.drains.get(elementKey({ kind, id }));
      const { clearsAt: _clears, ...rest } = e;
      return { ...rest, state: "down", source: "operator", since: m?.at ?? e.since } as T;
    };
    const at = this.deps.state.revisions();
    return {
      ...view,
      links: view.links.map((l) => (links.has(l.link) ? drain(l, "link", l.link) : l)),
      nodes: view.nodes.map((n) => (n.kind === "router" && routers.has(n.node) ? drain(n, "router", n.node) : n)),
      topologyRevision: at.topology,
      intentsRevision: at.intents,
      overrides: this.overrides(),
    };
  }

  private remember(changes: readonly ResolvedChange[], made: Omit<Made, "source">): void {
    for (const c of changes) {
      if (!c.effective) continue;
      if (c.action === "drain") this.drains.set(elementKey({ kind: c.kind, id: c.id }), { ...made, source: "operator" });
      else if (c.action === "undrain") this.drains.delete(elementKey({ kind: c.kind, id: c.id }));
      else this.metrics.set(c.id, { ...made, source: c.action === "measured" ? "measurement" : "operator" });
    }
  }

  /** ABORTED: the topology moved on since `base`. */
  private conflict(base: number, current: number): ConnectError {
    const last = this.last && this.last.revision > base ? `; the last operator change was revision ${this.last.revision} at ${this.last.at} by ${this.last.by}` : "";
    const never = base > current ? " (a revision this controller never had: it restarted or is another one)" : "";
    return new ConnectError(
      `conflict: the topology changed since revision ${base}, it is at revision ${current}${never}${last} (liveliness marks and clears count too). ` +
        `Nothing applied; look at the links (cairn get links) and change again based on revision ${current}`,
      Code.Aborted,
    );
  }

  /** Records a refusal (event, log line, audit line) and returns its error to throw. */
  private async refused(call: TopologyChangeCall, principal: Principal, error: ConnectError): Promise<ConnectError> {
    const { state, events, log, clock } = this.deps;
    const by = describePrincipal(principal);
    const at = state.revisions();
    const reason = error.rawMessage.length > 4000 ? `${error.rawMessage.slice(0, 4000)}…` : error.rawMessage;
    const changes = call.changes.slice(0, 100).map(requested);
    events.record({
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
    log(`topology change refused for ${by} (${codeName(error.code)}): ${reason.split("\n").slice(0, 3).join(" / ")}`);
    try {
      await this.deps.audit?.append({
        at: new Date(clock.now()).toISOString(),
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
      log(`audit log: could not record a refused topology change: ${(e as Error).message}`);
    }
    return error;
  }

  /** Appends to the audit log, if any; a failure refuses the change (Internal), which is then not made. */
  private async audit(record: TopologyAuditRecord): Promise<void> {
    if (!this.deps.audit) return;
    try {
      await this.deps.audit.append(record);
    } catch (e) {
      this.deps.log(`audit log ${this.deps.audit.path}: ${(e as Error).message}`);
      throw new ConnectError(`the audit log could not be written, so nothing was applied: ${(e as Error).message}`, Code.Internal);
    }
  }
}

/** "igp 10 -> 20, delay_us 1000 -> 5000": how `now` differs from `was`. */
function metricDiff(was: Link, now: Link): string[] {
  return METRIC_KEYS.filter((k) => was[k] !== now[k]).map((k) => `${metricName(k)} ${was[k]} -> ${now[k]}`);
}
