// Operator changes to the topology (ChangeTopology) on one controller: one request at a time, based
// on a topology revision (ABORTED when the topology moved on: an operator's change, or a liveliness
// mark or clear), checked whole (topology-request.ts) and applied all or nothing through the state,
// which recomputes only what the change touches. Each request is audited before it takes effect (and
// when refused), recorded as a `topology` event, then a `recompute` event and the pushes it caused.
// The changes in force (topology-layer.ts: drains, metrics that differ from the topology file, who
// made them) are held in memory for ListLinks: a restarted controller starts from its topology file.
// (Replicas keep them in the store: replicas/replica-topology.ts.)
import { performance } from "node:perf_hooks";
import type { LinksView, TopologyChangeResultView } from "../api/types.js";
import type { Topology } from "../core/model.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { recordRecompute, type EventLog } from "./events.js";
import { describePrincipal, type Principal } from "./principal.js";
import type { ControllerState, HostDelta } from "./state.js";
import { decorateLinks, EMPTY_LAYER, nextLayer, type TopologyLayer } from "./topology-layer.js";
import { auditOrRefuse, changeAuditRecord, changeEvent, changeLogLine, checkCall, refused, type TopologyChangeCall, type TopologyService } from "./topology-request.js";

export type { TopologyChangeCall } from "./topology-request.js";

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

export class TopologyChanges implements TopologyService {
  /** The topology the controller started with: metric overrides are told against it. */
  private readonly declared: Topology;
  /** The changes in force, with who made them. */
  private layer: TopologyLayer = EMPTY_LAYER;
  private queue: Promise<unknown> = Promise.resolve();

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
    const verdict = checkCall(call, { revisions: at0, topology: state.topology, drained: state.drained(), last: this.layer.last });
    if (!verdict.ok) throw await refused(this.deps, call, principal, verdict.error, at0);
    const checked = verdict.checked;
    const texts = checked.changes.map((c) => c.text);
    const now = new Date(clock.now()).toISOString();
    await auditOrRefuse(this.deps, changeAuditRecord({ at: now, principal, call, checked, revisions: at0, next: at0.topology + 1 }));
    // Nothing awaited from here on. While the audit line was written, only liveliness can have changed
    // the model (operator changes run one at a time): its marks are its own, the drains and metrics
    // checked above are still the operator's, so the change applies as checked. (The event has the
    // revisions it applied at; the audit line those it was checked at.)
    const t1 = performance.now();
    const previous = state.revisions().topology;
    const applied = state.changeTopology({ topology: checked.topology, drained: checked.drained });
    const at = state.revisions();
    const event = events.record(changeEvent({ call, by, changes: texts, previous, at, full: applied.full, durationMs: performance.now() - started }));
    const cause = recordRecompute(events, applied, at, event.seq, performance.now() - t1);
    if (applied.deltas.length > 0) publish(applied.deltas, cause);
    if (applied.topologyChanged) this.layer = nextLayer(this.layer, this.declared, checked, { by, at: now, revision: at.topology, reason: call.reason });
    log(
      changeLogLine({
        by,
        changed: applied.topologyChanged,
        previous,
        revision: at.topology,
        texts,
        recomputed: applied.recomputed.length,
        changedRules: applied.changed.length,
        full: applied.full,
        pushed: `pushed to ${applied.deltas.length} host(s)` + (applied.deltas.length ? ` (${applied.deltas.map((d) => `${d.host}@v${d.version}`).join(", ")})` : ""),
      }),
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

  /** Liveliness's view with the drained elements down (source "operator"), the revisions and the changes in force. */
  decorate(view: LinksView): LinksView {
    return decorateLinks(view, this.declared, this.layer, this.deps.state.revisions());
  }
}
