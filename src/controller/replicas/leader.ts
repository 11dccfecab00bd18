// The one replica that computes. On taking over it rebuilds the controller's state from the store (the
// intents, the operator's topology layer, the overlay's marks), writes every host whose stored assignment
// differs from what it computes (what a leader that died mid-way left undone), then recomputes on every
// intents change, on every change of the operator's layer (through ControllerState.changeTopology: only
// what the change touches) and on every overlay change its liveliness makes from the reports in the
// store. It writes; every replica (itself too) serves what it wrote through the store's watch.
import { performance } from "node:perf_hooks";
import type { Intent, Topology } from "../../core/model.js";
import type { Clock } from "../clock.js";
import { recordRecompute, type EventLog } from "../events.js";
import { Liveliness } from "../liveliness.js";
import { planIntentsOffLoop, type PathComputer } from "../path-workers.js";
import { canonicalJson, createControllerState, ruleChanges, type ControllerState, type HostDelta } from "../state.js";
import { limitViolations, type DatapathLimitsConfig } from "../limits.js";
import { layerModel, type TopologyLayer } from "../topology-layer.js";
import type { StoreMirror } from "./mirror.js";
import { NotLeaderError, StoreUnavailableError, type ComputedRecord, type ControllerStore, type HostAssignment, type Leadership, type TopologyAppliedRecord } from "./store.js";

export interface LeaderOptions {
  store: ControllerStore;
  mirror: StoreMirror;
  leadership: Leadership;
  topology: Topology;
  events: EventLog;
  clock: Clock;
  log: (line: string) => void;
  holdDownMs?: number;
  staleAfterMs?: number;
  paths: PathComputer | null;
  limits: DatapathLimitsConfig;
}

/** A failed write is tried again after this. */
const RETRY_MS = 500;

export class Leader {
  readonly liveliness: Liveliness;
  private readonly state: ControllerState;
  /** The intents revision the state holds. */
  private revision: number;
  private readonly dirty = new Set<string>();
  private overlayDirty = false;
  private computed: ComputedRecord | null = null;
  /** The store revision of the operator's layer the state holds (0n: none). */
  private layerRevision: bigint;
  /** The leader's word on the layer it applied, to write with the hosts it changed. */
  private topologyApplied: TopologyAppliedRecord | null = null;
  private writing: Promise<void> | null = null;
  private intentsQueue: Promise<void> = Promise.resolve();
  private stopped = false;
  private storeDown = false;

  constructor(private readonly o: LeaderOptions) {
    const { mirror } = o;
    const t0 = performance.now();
    const record = mirror.intentsRecord();
    // The operator's layer first: the topology file with its metrics, then its drains.
    const model = this.model(mirror.topologyLayer());
    this.state = createControllerState(model.topology, mirror.intents(), { generation: mirror.generation });
    if (model.drained.links.length + model.drained.routers.length > 0) this.state.changeTopology({ drained: model.drained });
    this.layerRevision = mirror.topologyLayerRevision();
    this.revision = record.revision;
    this.liveliness = new Liveliness(
      {
        state: this.state,
        events: o.events,
        publish: (deltas) => this.changed(deltas),
        log: o.log,
        overlayChanged: () => {
          this.overlayDirty = true;
          this.flush();
        },
      },
      { clock: o.clock, ...(o.holdDownMs !== undefined ? { holdDownMs: o.holdDownMs } : {}), ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}) },
    );
    this.liveliness.restore(new Map(mirror.overlay()));
    // What the store holds that differs from what this leader computes: written now.
    const hostRules = [];
    for (const host of this.state.hosts()) {
      const mine = this.state.snapshot(host)!;
      const stored = mirror.assignment(host);
      if (stored && canonicalJson({ r: stored.rules, w: stored.watch }) === canonicalJson({ r: mine.rules, w: mine.watch })) continue;
      this.dirty.add(host);
      const c = ruleChanges(host, stored?.rules ?? [], mine.rules);
      if (c.added.length + c.changed.length + c.removed.length > 0) hostRules.push(c);
    }
    const last = mirror.computed();
    if (!last || last.record.intentsRevision < record.revision) {
      this.computed = { intentsRevision: record.revision, hostsPushed: [...this.dirty].map((host) => ({ host, upserts: 0, removals: 0 })), hostRules };
    }
    // A layer written while no one led (or whose leader died before saying it applied it): applied now.
    if (this.layerRevision > BigInt(mirror.topologyApplied()?.layerRevision ?? 0)) {
      this.topologyApplied = { layerRevision: Number(this.layerRevision), rulesRecomputed: 0, rulesChanged: 0, fullRecompute: false, hostsPushed: [...this.dirty].map((host) => ({ host, upserts: 0, removals: 0 })) };
    }
    const layer = mirror.topologyLayer();
    o.log(
      `leader: computed intents revision ${record.revision}, ${layer.drained.length} drain(s) and ${layer.links.length} metric change(s) of the operator (store revision ${this.layerRevision}) ` +
        `and ${mirror.overlay().length} overlay mark(s) in ${(performance.now() - t0).toFixed(0)} ms; ` +
        `${this.dirty.size} host(s) differ from the store and are written now`,
    );
    mirror.listeners.intents = (r, intents) => this.intentsChanged(r.revision, intents);
    mirror.listeners.topology = (l, revision) => this.topologyChanged(l, revision);
    mirror.listeners.report = (previous, report) => this.liveliness.reported(previous, report);
    this.flush();
    // Reports that arrived while no one led.
    const fed = mirror.fedReports();
    for (const r of fed) this.liveliness.know(r);
    o.log(`leader: localising from ${fed.length} stored report(s), ${fed.filter((r) => (r.paths ?? []).some((p) => p.state === "down" || p.state === "degraded")).length} with failing paths`);
    this.liveliness.evaluate();
    // Intents changed between the snapshot the mirror was built from and now.
    if (mirror.intentsRecord().revision > this.revision) this.intentsChanged(mirror.intentsRecord().revision, mirror.intents());
  }

  /** Recomputes for new intents, one change at a time (later ones wait). */
  private intentsChanged(revision: number, intents: Intent[]): void {
    this.intentsQueue = this.intentsQueue.then(async () => {
      if (this.stopped || revision <= this.revision) return;
      const t0 = performance.now();
      const plan = await planIntentsOffLoop(this.state, intents, this.o.paths);
      if (this.stopped) return;
      const over = limitViolations(plan.diff.hostRules.map((h) => h.host), plan.before, plan.after, this.o.limits);
      if (over.length > 0) this.o.log(`leader: intents revision ${revision} do not fit some hosts' datapaths (their agents will report the rules they cannot install): ${over.slice(0, 3).map((v) => v.message).join("; ")}`);
      const { summary, deltas } = this.state.commitIntents(plan);
      this.revision = revision;
      this.computed = {
        intentsRevision: revision,
        hostsPushed: summary.hostsPushed.map((p) => ({ host: p.host, upserts: p.upserts, removals: p.removals })),
        hostRules: plan.diff.hostRules,
      };
      this.o.log(`leader: intents revision ${revision} computed in ${(performance.now() - t0).toFixed(0)} ms: ${deltas.length} host(s) changed`);
      this.changed(deltas);
      if (deltas.length === 0) this.flush();
    });
  }

  /** The model of the operator's layer over this replica's topology file; what does not fit it is logged and left out. */
  private model(layer: TopologyLayer): ReturnType<typeof layerModel> {
    const model = layerModel(this.o.topology, layer);
    if (model.unknown.length > 0) this.o.log(`leader: the operator's topology layer names what this topology file does not have, left out: ${model.unknown.slice(0, 5).join(", ")}${model.unknown.length > 5 ? ", …" : ""}`);
    return model;
  }

  /** Applies the operator's new layer: recomputes what it touches, writes the hosts that changed and its word that it applied it. */
  private topologyChanged(layer: TopologyLayer, revision: bigint): void {
    if (this.stopped || revision <= this.layerRevision) return;
    const t0 = performance.now();
    const applied = this.state.changeTopology(this.model(layer));
    this.layerRevision = revision;
    this.topologyApplied = {
      layerRevision: Number(revision),
      rulesRecomputed: applied.recomputed.length,
      rulesChanged: applied.changed.length,
      fullRecompute: applied.full,
      hostsPushed: applied.deltas.map((d) => ({ host: d.host, upserts: d.upserts.length, removals: d.removed.length })),
    };
    recordRecompute(this.o.events, applied, this.o.mirror.revisions(), 0, performance.now() - t0);
    this.o.log(
      `leader: the operator's topology layer at store revision ${revision} applied in ${(performance.now() - t0).toFixed(0)} ms: ` +
        `recomputed ${applied.recomputed.length} rule(s)${applied.full ? " (full recompute)" : ""}, ${applied.changed.length} changed; ${applied.deltas.length} host(s) changed`,
    );
    this.changed(applied.deltas);
  }

  private changed(deltas: HostDelta[]): void {
    for (const d of deltas) this.dirty.add(d.host);
    this.flush();
  }

  /** Writes what is dirty, one write at a time; what changes meanwhile goes with the next. */
  private flush(): void {
    if (this.writing || this.stopped) return;
    if (this.dirty.size === 0 && !this.overlayDirty && !this.computed && !this.topologyApplied) return;
    this.writing = (async () => {
      const hosts = new Map<string, HostAssignment>();
      for (const h of this.dirty) {
        const s = this.state.snapshot(h)!;
        hosts.set(h, { rules: s.rules, watch: s.watch });
      }
      const overlay = this.overlayDirty ? [...this.liveliness.marks()] : undefined;
      const computed = this.computed;
      const topologyApplied = this.topologyApplied;
      this.dirty.clear();
      this.overlayDirty = false;
      this.computed = null;
      this.topologyApplied = null;
      try {
        const rev = await this.o.store.writeAssignments(this.o.leadership, { hosts, ...(overlay ? { overlay } : {}), ...(computed ? { computed } : {}), ...(topologyApplied ? { topologyApplied } : {}) });
        if (this.storeDown) this.o.log(`leader: the store is back; wrote ${hosts.size} host(s) at revision ${rev}`);
        this.storeDown = false;
      } catch (e) {
        // Put back what was not written (unless newer changes took its place), and try again.
        for (const h of hosts.keys()) this.dirty.add(h);
        if (overlay) this.overlayDirty = true;
        this.computed ??= computed;
        this.topologyApplied ??= topologyApplied;
        if (e instanceof NotLeaderError) {
          this.o.log("leader: no longer the leader; stopping");
          this.stop();
          return;
        }
        const why = e instanceof StoreUnavailableError ? e.message : `unexpected: ${(e as Error).message}`;
        if (!this.storeDown) this.o.log(`leader: cannot write (${why}); ${this.dirty.size} host(s) wait, retrying every ${RETRY_MS} ms`);
        this.storeDown = true;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      } finally {
        this.writing = null;
      }
      this.flush();
    })();
  }

  /** Stops computing and writing (leadership lost, or the replica stops). */
  stop(): void {
    this.stopped = true;
    this.liveliness.close();
    this.o.mirror.listeners.intents = undefined;
    this.o.mirror.listeners.report = undefined;
    this.o.mirror.listeners.topology = undefined;
  }
}
