// ChangeTopology and the operator's changes in ListLinks on a replica, leader or not. A request is
// checked against the operator's layer in the store (this replica's copy) and the topology revision
// every replica names (the later of the overlay's and the layer's store revisions), with the same checks
// and refusals as on one controller (topology-request.ts); the new layer is written with a
// compare-and-swap on the layer key's store revision (a change through another replica in between is a
// conflict, ABORTED), so the new topology revision is the store revision of that write. The leader
// applies it (leader.ts); the request waits for its word (the store's `topology-applied` record) to say
// what it recomputed and pushed, and answers without that when the leader does not answer in time (the
// change is stored and will be applied).
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import type { LinksView, TopologyChangeResultView } from "../../api/types.js";
import type { AuditLog } from "../audit.js";
import type { Clock } from "../clock.js";
import type { EventLog } from "../events.js";
import { describePrincipal, type Principal } from "../principal.js";
import { decorateLinks, layerModel, nextLayer } from "../topology-layer.js";
import { auditOrRefuse, changeAuditRecord, changeEvent, changeLogLine, checkCall, conflict, refused, type TopologyChangeCall, type TopologyService } from "../topology-request.js";
import type { StoreMirror } from "./mirror.js";
import { StoreUnavailableError, type ControllerStore } from "./store.js";

export interface ReplicaTopologyDeps {
  store: ControllerStore;
  mirror: StoreMirror;
  events: EventLog;
  clock: Clock;
  log: (line: string) => void;
  audit?: AuditLog;
  /** How long a change waits for the leader to apply it; default 10 s. */
  appliedWaitMs?: number;
}

export class ReplicaTopology implements TopologyService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: ReplicaTopologyDeps) {}

  change(call: TopologyChangeCall, principal: Principal): Promise<TopologyChangeResultView> {
    const run = this.queue.then(() => this.changeNow(call, principal));
    this.queue = run.catch(() => {});
    return run;
  }

  decorate(view: LinksView): LinksView {
    const { mirror } = this.d;
    return decorateLinks(view, mirror.declared, mirror.topologyLayer(), mirror.revisions());
  }

  private async changeNow(call: TopologyChangeCall, principal: Principal): Promise<TopologyChangeResultView> {
    const { store, mirror, events, log, clock } = this.d;
    const started = performance.now();
    const by = describePrincipal(principal);
    const at0 = mirror.revisions();
    const layer = mirror.topologyLayer();
    const expected = mirror.topologyLayerRevision();
    const model = layerModel(mirror.declared, layer);
    const verdict = checkCall(call, { revisions: at0, topology: model.topology, drained: model.drained, last: layer.last });
    if (!verdict.ok) throw await refused(this.d, call, principal, verdict.error, at0);
    const checked = verdict.checked;
    const texts = checked.changes.map((c) => c.text);
    const now = new Date(clock.now()).toISOString();
    await auditOrRefuse(this.d, changeAuditRecord({ at: now, principal, call, checked, revisions: at0 }));
    const nothing = { previousRevision: at0.topology, revision: at0.topology, intentsRevision: at0.intents, rulesRecomputed: 0, rulesChanged: 0, fullRecompute: false, hostsPushed: [], changes: texts };
    if (!checked.changes.some((c) => c.effective)) {
      events.record(changeEvent({ call, by, changes: texts, previous: at0.topology, at: at0, full: false, durationMs: performance.now() - started }));
      log(changeLogLine({ by, changed: false, previous: at0.topology, revision: at0.topology, texts, recomputed: 0, changedRules: 0, full: false, pushed: "nothing stored" }));
      return nothing;
    }
    // Revision 0: the store revision of this write, which every replica reads it with.
    const next = nextLayer(layer, mirror.declared, checked, { by, at: now, revision: 0, reason: call.reason });
    let written: bigint | null;
    try {
      written = await store.replaceTopologyLayer(expected, next);
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw await refused(this.d, call, principal, new ConnectError(`${e.message}; nothing applied, try again`, Code.Unavailable), at0);
      throw e;
    }
    if (written === null) {
      // Another replica's change came first: name the revision it made once this copy has it.
      await mirror.waitUntil(() => mirror.topologyLayerRevision() !== expected, 2_000);
      throw await refused(this.d, call, principal, conflict(call.baseRevision, mirror.revisions().topology, mirror.topologyLayer().last), mirror.revisions());
    }
    const revision = Number(written);
    // The leader's application of this layer (or of a later one, which includes it).
    const done = await mirror.waitUntil(() => (mirror.topologyApplied()?.layerRevision ?? 0) >= revision, this.d.appliedWaitMs ?? 10_000);
    const applied = mirror.topologyApplied();
    const mine = done && applied && applied.layerRevision === revision ? applied : null;
    const hostsPushed = (mine?.hostsPushed ?? []).map((p) => ({ ...p, version: Number(mirror.assignment(p.host)?.version ?? 0n) }));
    const intents = mirror.revisions().intents;
    events.record(changeEvent({ call, by, changes: texts, previous: at0.topology, at: { topology: revision, intents }, full: mine?.fullRecompute ?? false, durationMs: performance.now() - started }));
    log(
      changeLogLine({
        by,
        changed: true,
        previous: at0.topology,
        revision,
        texts,
        recomputed: mine?.rulesRecomputed ?? 0,
        changedRules: mine?.rulesChanged ?? 0,
        full: mine?.fullRecompute ?? false,
        pushed: mine
          ? `the leader pushed to ${hostsPushed.length} host(s)${hostsPushed.length ? ` (${hostsPushed.map((p) => `${p.host}@v${p.version}`).join(", ")})` : ""}`
          : done
            ? "a later change was applied before the leader reported this one"
            : "the leader has not applied it yet",
      }),
    );
    return {
      ...nothing,
      revision,
      intentsRevision: intents,
      rulesRecomputed: mine?.rulesRecomputed ?? 0,
      rulesChanged: mine?.rulesChanged ?? 0,
      fullRecompute: mine?.fullRecompute ?? false,
      hostsPushed,
    };
  }
}
