// What controller replicas share, and the operations they share it by: the store interface, with an
// etcd implementation (etcd-store.ts) and an in-memory one (memory-store.ts, one process).
//
// Every value is JSON. Intents are kept in the API's form (Intent messages as proto JSON) and checked
// again (api/intents-check.ts) when read, like any request. Every change has the store's revision, a
// single counter over all keys: a host's version is the revision that last changed its assignment, so
// it is the same whichever replica serves it, and grows across leader changes.
import type { HostRule } from "../../core/assignments.js";
import type { WatchProbe } from "../../core/elements.js";
import type { OverlayMark } from "../../core/overlay.js";
import type { HostRuleChangesView, ReceivedReportView } from "../../api/types.js";
import type { TopologyLayer } from "../topology-layer.js";

/** The intents and the audit identity of their last change. */
export interface IntentsRecord {
  /** Intent messages, proto JSON (toJson(IntentSchema)). */
  intents: unknown[];
  /** Counts changes from 1. */
  revision: number;
  /** RFC 3339. */
  changedAt: string;
  /** The principal that made the change ("" for the intents the first replica loaded). */
  changedBy: string;
  /** The file the intents came from. */
  source: string;
}

/** What the leader computed for one host: served to its agents as they are. */
export interface HostAssignment {
  rules: HostRule[];
  watch: WatchProbe[];
}

export interface StoredHost extends HostAssignment {
  host: string;
  /** The store revision of the write that last changed it. */
  version: bigint;
}

/** The leader's word that it computed an intents revision: what it pushed and how each host's rules changed. */
export interface ComputedRecord {
  intentsRevision: number;
  hostsPushed: { host: string; upserts: number; removals: number }[];
  hostRules: HostRuleChangesView[];
}

/** The liveliness overlay: marks by element key (core/overlay.ts). */
export type StoredOverlay = [string, OverlayMark][];

/**
 * The operator's layer over the topology file (ChangeTopology: drains, metric changes, with who made
 * them), as stored: a revision of 0 in it stands for the store revision of the write that holds it
 * (resolveLayer in topology-layer.ts).
 */
export type StoredTopologyLayer = TopologyLayer;

/** The leader's word that it applied the operator's layer as of a store revision: what that recomputed and pushed. */
export interface TopologyAppliedRecord {
  /** The store revision of the layer's write. */
  layerRevision: number;
  rulesRecomputed: number;
  rulesChanged: number;
  fullRecompute: boolean;
  hostsPushed: { host: string; upserts: number; removals: number }[];
}

/** Everything the store holds, at one revision. */
export interface StoreContents {
  revision: bigint;
  intents: IntentsRecord | null;
  hosts: Map<string, StoredHost>;
  reports: Map<string, ReceivedReportView>;
  overlay: StoredOverlay;
  /** The store revision of the overlay's last write (0: never written). */
  overlayRevision: bigint;
  computed: ComputedRecord | null;
  /** The operator's layer (null: never written) and the store revision of its last write (0: never). */
  topologyLayer: StoredTopologyLayer | null;
  topologyLayerRevision: bigint;
  topologyApplied: TopologyAppliedRecord | null;
}

/** One change, in store order. */
export type StoreChange =
  | { kind: "intents"; revision: bigint; record: IntentsRecord }
  | { kind: "host"; revision: bigint; host: StoredHost }
  | { kind: "report"; revision: bigint; host: string; report: ReceivedReportView | null }
  | { kind: "overlay"; revision: bigint; overlay: StoredOverlay }
  | { kind: "computed"; revision: bigint; computed: ComputedRecord }
  | { kind: "topology"; revision: bigint; layer: StoredTopologyLayer }
  | { kind: "topology-applied"; revision: bigint; applied: TopologyAppliedRecord };

/** The link to the store went down or came back. */
export type LinkListener = (up: boolean, detail: string) => void;

/** Being the leader: writes carry it, and fail once it is lost. */
export interface Leadership {
  /** Resolves when leadership ends (lease lost, store gone, resigned). */
  readonly lost: Promise<string>;
  resign(): Promise<void>;
}

/** What the leader writes in one go. */
export interface AssignmentWrite {
  hosts: Map<string, HostAssignment>;
  overlay?: StoredOverlay;
  computed?: ComputedRecord;
  topologyApplied?: TopologyAppliedRecord;
}

/** The store is unreachable, or refused: callers answer UNAVAILABLE and try again later. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

/** A leader's write found the leadership gone: nothing was written. */
export class NotLeaderError extends Error {
  constructor() {
    super("no longer the leader: nothing written");
    this.name = "NotLeaderError";
  }
}

export interface ControllerStore {
  /** Where it is, for logs ("etcd http://127.0.0.1:2379", "memory"). */
  readonly description: string;
  /**
   * The generation (created when absent) and the intents (set to `initial` when absent): the first
   * replica of a fresh store seeds it with its intents file; later ones take what is there.
   */
  initialise(generation: string, initial: IntentsRecord): Promise<{ generation: string; seeded: boolean }>;
  /** Everything now, then every later change to `onChange` in order, until close. */
  follow(onChange: (c: StoreChange) => void, onLink: LinkListener): Promise<StoreContents>;
  /** Replaces the intents if they are still at `expected` (their revision); false: they changed since. */
  replaceIntents(expected: number, record: IntentsRecord): Promise<boolean>;
  /**
   * Replaces the operator's topology layer if its key is still at store revision `expected` (0n: never
   * written); returns the store revision of the write, or null when it changed since (nothing written).
   */
  replaceTopologyLayer(expected: bigint, layer: StoredTopologyLayer): Promise<bigint | null>;
  /** Keeps a host's latest report while this replica lives (with its lease, when the store has leases). */
  putReport(report: ReceivedReportView): Promise<void>;
  /** Waits until this replica leads; `id` is shown to the others. */
  campaign(id: string, signal: AbortSignal): Promise<Leadership>;
  /** The leader's writes, all or nothing; NotLeaderError when it no longer leads. */
  writeAssignments(leader: Leadership, w: AssignmentWrite): Promise<bigint>;
  close(): Promise<void>;
}
