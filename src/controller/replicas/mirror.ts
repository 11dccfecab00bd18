// A replica's copy of what the store holds, kept by its watch: what the replica serves (agents'
// streams, ListPaths, ListIntents, the operator's topology layer for ListLinks and ChangeTopology),
// whether or not it leads. Each change of a host's assignment becomes a delta at the store revision that
// made it, so every replica sends the same versions. The topology revision is the later of the
// overlay's and the operator's layer's store revisions: it moves with either, and, store revisions being
// one counter for the whole store, it is the same on every replica that has seen the same writes.
import type { Intent, Topology } from "../../core/model.js";
import type { ReceivedReportView } from "../../api/types.js";
import type { ServedState } from "../service.js";
import type { HostDelta, HostSnapshot, Revisions } from "../state.js";
import { canonicalJson, diffRules } from "../state.js";
import { ReportStore } from "../reports.js";
import { EMPTY_LAYER, layerModel, resolveLayer, type TopologyLayer } from "../topology-layer.js";
import { decodeIntents } from "./intents-codec.js";
import type { ComputedRecord, IntentsRecord, StoreChange, StoreContents, StoredHost, StoredOverlay, TopologyAppliedRecord } from "./store.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const METRICS = ["igp", "te", "delayUs", "jitterUs", "loss", "bandwidthBps", "utilization"];
const isMetrics = (v: unknown) => isObject(v) && METRICS.every((k) => typeof v[k] === "number" && Number.isFinite(v[k]));
const isMade = (v: Record<string, unknown>) => typeof v.by === "string" && typeof v.at === "string" && Number.isSafeInteger(v.revision) && typeof v.reason === "string";

/** Why a stored topology layer is not one (null: it is). */
function layerProblem(l: unknown): string | null {
  if (!isObject(l) || !Array.isArray(l.drained) || !Array.isArray(l.links) || !(l.last === null || (isObject(l.last) && isMade(l.last)))) return "topology: not {drained: [...], links: [...], last}";
  for (const d of l.drained as unknown[]) if (!isObject(d) || (d.kind !== "link" && d.kind !== "router") || typeof d.id !== "string" || !isMade(d)) return "topology: a drained element is not {kind, id, by, at, revision, reason}";
  for (const k of l.links as unknown[]) {
    if (!isObject(k) || typeof k.id !== "string" || !isMade(k) || (k.source !== "operator" && k.source !== "measurement") || !isMetrics(k.metrics) || (k.reverse !== undefined && !isMetrics(k.reverse))) {
      return "topology: a link is not {id, source, metrics, by, at, revision, reason}";
    }
  }
  return null;
}

/** Why a change read from the store is not what replicas write (someone else wrote there), or null. */
export function shapeProblem(c: StoreChange): string | null {
  switch (c.kind) {
    case "host":
      return Array.isArray(c.host.rules) && Array.isArray(c.host.watch) && c.host.rules.every((r) => isObject(r) && typeof r.key === "string" && Array.isArray(r.targets)) ? null : `host ${c.host.host}: not {rules: [...], watch: [...]}`;
    case "intents":
      return isObject(c.record) && Array.isArray(c.record.intents) && Number.isSafeInteger(c.record.revision) && c.record.revision >= 1 ? null : "not {intents: [...], revision: N, ...}";
    case "report":
      return c.report === null || (isObject(c.report) && typeof c.report.host === "string" && typeof c.report.receivedAt === "string" && Array.isArray(c.report.rules)) ? null : `report for ${c.host}: not an agent report`;
    case "overlay":
      return Array.isArray(c.overlay) && c.overlay.every((e) => Array.isArray(e) && typeof e[0] === "string" && isObject(e[1])) ? null : "overlay: not [[element, mark], ...]";
    case "computed":
      return isObject(c.computed) && Number.isSafeInteger(c.computed.intentsRevision) && Array.isArray(c.computed.hostsPushed) && Array.isArray(c.computed.hostRules) ? null : "computed: not {intentsRevision, hostsPushed, hostRules}";
    case "topology":
      return layerProblem(c.layer);
    case "topology-applied":
      return isObject(c.applied) && Number.isSafeInteger(c.applied.layerRevision) && Array.isArray(c.applied.hostsPushed) && Number.isSafeInteger(c.applied.rulesRecomputed) && Number.isSafeInteger(c.applied.rulesChanged)
        ? null
        : "topology-applied: not {layerRevision, rulesRecomputed, rulesChanged, fullRecompute, hostsPushed}";
  }
}

export interface MirrorListeners {
  /** Deltas of hosts' assignments, in store order (the hub's publish). */
  deltas(d: HostDelta[]): void;
  /** New intents (the leader computes them). */
  intents?(record: IntentsRecord, intents: Intent[]): void;
  /** A host's new report, with the one it replaced (the leader's liveliness). */
  report?(previous: ReceivedReportView | undefined, report: ReceivedReportView): void;
  /** The operator's new topology layer (revisions resolved) and the store revision of its write (the leader applies it). */
  topology?(layer: TopologyLayer, revision: bigint): void;
}

export class StoreMirror implements ServedState {
  readonly reports = new ReportStore();
  private readonly hostSet: Set<string>;
  /** The topology file's model, before the operator's layer. */
  readonly declared: Topology;
  private readonly assigned = new Map<string, StoredHost>();
  private record: IntentsRecord;
  private current: Intent[];
  private overlayMarks: StoredOverlay;
  /** The store revision of the overlay's last write: replicas' topology revision (the same on each). */
  private overlayRevision: bigint;
  private computedRecord: ComputedRecord | null;
  private computedAt = 0n;
  private layer: TopologyLayer;
  /** The store revision of the operator layer's last write (0: never written). */
  private layerRevision: bigint;
  /** The declared topology with the layer's metrics, for layerRevision. */
  private layered: { revision: bigint; topology: Topology } | null = null;
  private appliedRecord: TopologyAppliedRecord | null;
  /** The latest store revision seen. */
  revision: bigint;
  /** Reports as last handed to listeners.report (the ReportStore also holds this replica's own at once). */
  private readonly fed = new Map<string, ReceivedReportView>();
  private readonly waiters = new Set<() => void>();
  listeners: MirrorListeners = { deltas: () => {} };

  constructor(
    readonly generation: string,
    topology: Topology,
    contents: StoreContents,
    private readonly log: (line: string) => void,
  ) {
    this.declared = topology;
    this.hostSet = new Set(topology.hosts.map((h) => h.name));
    if (!contents.intents || shapeProblem({ kind: "intents", revision: 0n, record: contents.intents })) throw new Error("the store holds no intents this controller can read (/cairn/intents)");
    this.record = contents.intents;
    const decoded = decodeIntents(contents.intents.intents, topology);
    if (!decoded.ok) throw new Error(`the intents in the store (revision ${contents.intents.revision}) do not fit this topology: ${decoded.reason}`);
    this.current = decoded.intents;
    const fine = (c: StoreChange) => {
      const bad = shapeProblem(c);
      if (bad) log(`ignoring what the store holds: ${bad}`);
      return bad === null;
    };
    for (const [h, a] of contents.hosts) if (this.hostSet.has(h) && fine({ kind: "host", revision: 0n, host: a })) this.assigned.set(h, a);
    for (const r of contents.reports.values()) if (this.hostSet.has(r.host) && fine({ kind: "report", revision: 0n, host: r.host, report: r })) this.take(r);
    this.overlayMarks = fine({ kind: "overlay", revision: 0n, overlay: contents.overlay }) ? contents.overlay : [];
    this.overlayRevision = contents.overlayRevision;
    this.computedRecord = contents.computed && fine({ kind: "computed", revision: 0n, computed: contents.computed }) ? contents.computed : null;
    const layerFine = contents.topologyLayer !== null && fine({ kind: "topology", revision: 0n, layer: contents.topologyLayer });
    this.layer = layerFine ? resolveLayer(contents.topologyLayer!, contents.topologyLayerRevision) : EMPTY_LAYER;
    this.layerRevision = contents.topologyLayerRevision;
    this.appliedRecord = contents.topologyApplied && fine({ kind: "topology-applied", revision: 0n, applied: contents.topologyApplied }) ? contents.topologyApplied : null;
    this.revision = contents.revision;
  }

  intents(): Intent[] {
    return [...this.current];
  }
  intentsRecord(): IntentsRecord {
    return this.record;
  }
  overlay(): StoredOverlay {
    return this.overlayMarks;
  }
  computed(): { record: ComputedRecord; revision: bigint } | null {
    return this.computedRecord ? { record: this.computedRecord, revision: this.computedAt } : null;
  }
  /** The operator's topology layer, its revisions resolved. */
  topologyLayer(): TopologyLayer {
    return this.layer;
  }
  /** The store revision of the layer's last write (0n: never written): the expected revision of the next one. */
  topologyLayerRevision(): bigint {
    return this.layerRevision;
  }
  /** The leader's word on the latest layer it applied. */
  topologyApplied(): TopologyAppliedRecord | null {
    return this.appliedRecord;
  }
  /** The topology with the operator's metric changes (GetTopology; drains are in the layer). */
  get topology(): Topology {
    let l = this.layered;
    if (!l || l.revision !== this.layerRevision) this.layered = l = { revision: this.layerRevision, topology: layerModel(this.declared, this.layer).topology };
    return l.topology;
  }
  hosts(): string[] {
    return this.declared.hosts.map((h) => h.name);
  }
  hasHost(host: string): boolean {
    return this.hostSet.has(host);
  }
  snapshot(host: string): HostSnapshot | undefined {
    const a = this.assigned.get(host);
    return a ? { host, version: a.version, ...this.revisionFields(), rules: [...a.rules], watch: [...a.watch] } : undefined;
  }
  /**
   * Topology: the later of the overlay's and the operator layer's store revisions (1 before either was
   * written), which ChangeTopology's base_revision is checked against; intents: the stored intents' revision.
   */
  revisions(): Revisions {
    return { topology: Math.max(1, Number(this.overlayRevision), Number(this.layerRevision)), intents: this.record.revision };
  }
  private revisionFields(): { topologyRevision: number; intentsRevision: number } {
    const r = this.revisions();
    return { topologyRevision: r.topology, intentsRevision: r.intents };
  }
  assignment(host: string): StoredHost | undefined {
    return this.assigned.get(host);
  }
  /** The reports as the leader's liveliness sees them. */
  fedReports(): ReceivedReportView[] {
    return [...this.fed.values()];
  }

  private take(r: ReceivedReportView): ReceivedReportView | undefined {
    const previous = this.fed.get(r.host);
    this.fed.set(r.host, r);
    this.reports.set(r);
    return previous;
  }

  /** One change from the store's watch, in order; one that does not have the shape this controller writes is logged and skipped. */
  apply(c: StoreChange): void {
    if (c.revision > this.revision) this.revision = c.revision;
    const bad = shapeProblem(c);
    if (bad) {
      this.log(`ignoring a ${c.kind} change at store revision ${c.revision}: ${bad}`);
      // The layer in force stays; the next change is checked against it and replaces what is there.
      if (c.kind === "topology") this.layerRevision = c.revision;
      return;
    }
    try {
      this.take1(c);
    } catch (e) {
      this.log(`ignoring a ${c.kind} change at store revision ${c.revision}: ${(e as Error).message}`);
    }
    for (const w of [...this.waiters]) w();
  }

  private take1(c: StoreChange): void {
    switch (c.kind) {
      case "host": {
        if (!this.hostSet.has(c.host.host)) break;
        const prev = this.assigned.get(c.host.host);
        this.assigned.set(c.host.host, c.host);
        const { upserts, removed } = diffRules(prev?.rules ?? [], c.host.rules);
        const watchChanged = !prev || canonicalJson(prev.watch) !== canonicalJson(c.host.watch);
        this.listeners.deltas([{ host: c.host.host, version: c.host.version, upserts, removed, ...(watchChanged ? { watch: c.host.watch } : {}), ...this.revisionFields() }]);
        break;
      }
      case "intents": {
        const decoded = decodeIntents(c.record.intents, this.declared);
        if (!decoded.ok) {
          this.log(`the store's intents at revision ${c.record.revision} do not fit this topology (${decoded.reason}): keeping revision ${this.record.revision}`);
          break;
        }
        this.record = c.record;
        this.current = decoded.intents;
        this.listeners.intents?.(c.record, decoded.intents);
        break;
      }
      case "report": {
        if (!this.hostSet.has(c.host)) break;
        if (c.report === null) {
          // The lease of the replica that stored it ended; the report itself stays as evidence until stale.
          break;
        }
        const previous = this.take(c.report);
        this.listeners.report?.(previous, c.report);
        break;
      }
      case "overlay":
        this.overlayMarks = c.overlay;
        this.overlayRevision = c.revision;
        break;
      case "computed":
        this.computedRecord = c.computed;
        this.computedAt = c.revision;
        break;
      case "topology":
        this.layer = resolveLayer(c.layer, c.revision);
        this.layerRevision = c.revision;
        this.listeners.topology?.(this.layer, c.revision);
        break;
      case "topology-applied":
        this.appliedRecord = c.applied;
        break;
    }
  }

  /** Resolves true once `ok()` holds after a change (or now), false after `ms`. */
  waitUntil(ok: () => boolean, ms: number): Promise<boolean> {
    if (ok()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!ok()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), ms);
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      this.waiters.add(check);
    });
  }
}
