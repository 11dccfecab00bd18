// The replicas' store in memory: one MemoryBackend (keys with a revision counter, one leadership slot)
// shared by the MemoryStores of replicas in one process. It has the etcd store's semantics (a single
// revision over all keys, compare-and-swap, changes delivered in order, writes refused to a replica
// that no longer leads) without etcd: for tests of the replica logic, and one process that wants the
// replica code path without a cluster.
import type {
  AssignmentWrite,
  ComputedRecord,
  ControllerStore,
  IntentsRecord,
  Leadership,
  LinkListener,
  StoreChange,
  StoreContents,
  StoredOverlay,
  StoredTopologyLayer,
} from "./store.js";
import { NotLeaderError, StoreUnavailableError } from "./store.js";
import type { ReceivedReportView } from "../../api/types.js";

type Entry = { kind: "generation"; value: string } | StoreChange;

class MemoryLeadership implements Leadership {
  readonly lost: Promise<string>;
  end!: (why: string) => void;
  constructor(readonly resignFn: (l: MemoryLeadership) => void) {
    this.lost = new Promise((resolve) => (this.end = resolve));
  }
  resign(): Promise<void> {
    this.resignFn(this);
    return Promise.resolve();
  }
}

export class MemoryBackend {
  revision = 1n;
  generation: string | null = null;
  intents: Extract<StoreChange, { kind: "intents" }> | null = null;
  readonly hosts = new Map<string, Extract<StoreChange, { kind: "host" }>>();
  readonly reports = new Map<string, Extract<StoreChange, { kind: "report" }>>();
  overlay: Extract<StoreChange, { kind: "overlay" }> | null = null;
  computed: Extract<StoreChange, { kind: "computed" }> | null = null;
  topology: Extract<StoreChange, { kind: "topology" }> | null = null;
  topologyApplied: Extract<StoreChange, { kind: "topology-applied" }> | null = null;
  readonly followers = new Set<(c: StoreChange) => void>();
  leader: MemoryLeadership | null = null;
  readonly candidates: (() => void)[] = [];
  /** While true every call fails as if the store were unreachable (tests). */
  down = false;

  check(): void {
    if (this.down) throw new StoreUnavailableError("memory store unreachable (made so by a test)");
  }

  commit(changes: Entry[]): bigint {
    this.revision++;
    for (const e of changes) {
      if (e.kind === "generation") continue;
      const c = { ...e, revision: this.revision } as StoreChange;
      if (c.kind === "intents") this.intents = c;
      else if (c.kind === "host") this.hosts.set(c.host.host, { ...c, host: { ...c.host, version: this.revision } });
      else if (c.kind === "report") this.reports.set(c.host, c);
      else if (c.kind === "overlay") this.overlay = c;
      else if (c.kind === "computed") this.computed = c;
      else if (c.kind === "topology") this.topology = c;
      else if (c.kind === "topology-applied") this.topologyApplied = c;
      const delivered = c.kind === "host" ? this.hosts.get(c.host.host)! : c;
      // In order, after the caller's synchronous work, as a watch delivers them.
      for (const f of this.followers) queueMicrotask(() => f(delivered));
    }
    return this.revision;
  }
}

export class MemoryStore implements ControllerStore {
  readonly description = "memory";
  private follower: ((c: StoreChange) => void) | null = null;

  constructor(private readonly b: MemoryBackend) {}

  initialise(generation: string, initial: IntentsRecord): Promise<{ generation: string; seeded: boolean }> {
    this.b.check();
    this.b.generation ??= generation;
    const seeded = this.b.intents === null;
    if (seeded) this.b.commit([{ kind: "intents", revision: 0n, record: initial }]);
    return Promise.resolve({ generation: this.b.generation, seeded });
  }

  follow(onChange: (c: StoreChange) => void, _onLink: LinkListener): Promise<StoreContents> {
    this.b.check();
    const b = this.b;
    this.follower = onChange;
    b.followers.add(onChange);
    return Promise.resolve({
      revision: b.revision,
      intents: b.intents?.record ?? null,
      hosts: new Map([...b.hosts].map(([h, c]) => [h, c.host])),
      reports: new Map([...b.reports].filter(([, c]) => c.report).map(([h, c]) => [h, c.report!])),
      overlay: b.overlay?.overlay ?? ([] as StoredOverlay),
      overlayRevision: b.overlay?.revision ?? 0n,
      computed: b.computed?.computed ?? (null as ComputedRecord | null),
      topologyLayer: b.topology?.layer ?? null,
      topologyLayerRevision: b.topology?.revision ?? 0n,
      topologyApplied: b.topologyApplied?.applied ?? null,
    });
  }

  replaceIntents(expected: number, record: IntentsRecord): Promise<boolean> {
    this.b.check();
    if (this.b.intents?.record.revision !== expected) return Promise.resolve(false);
    this.b.commit([{ kind: "intents", revision: 0n, record }]);
    return Promise.resolve(true);
  }

  replaceTopologyLayer(expected: bigint, layer: StoredTopologyLayer): Promise<bigint | null> {
    this.b.check();
    if ((this.b.topology?.revision ?? 0n) !== expected) return Promise.resolve(null);
    return Promise.resolve(this.b.commit([{ kind: "topology", revision: 0n, layer }]));
  }

  putReport(report: ReceivedReportView): Promise<void> {
    this.b.check();
    this.b.commit([{ kind: "report", revision: 0n, host: report.host, report }]);
    return Promise.resolve();
  }

  campaign(_id: string, signal: AbortSignal): Promise<Leadership> {
    const b = this.b;
    const resign = (l: MemoryLeadership) => {
      if (b.leader !== l) return;
      b.leader = null;
      l.end("resigned");
      b.candidates.shift()?.();
    };
    return new Promise((resolve, reject) => {
      const take = () => {
        if (signal.aborted) return reject(new Error("campaign stopped"));
        b.leader = new MemoryLeadership(resign);
        resolve(b.leader);
      };
      if (b.leader === null) return take();
      b.candidates.push(take);
      signal.addEventListener("abort", () => {
        const i = b.candidates.indexOf(take);
        if (i >= 0) b.candidates.splice(i, 1);
        reject(new Error("campaign stopped"));
      }, { once: true });
    });
  }

  writeAssignments(leader: Leadership, w: AssignmentWrite): Promise<bigint> {
    this.b.check();
    if (this.b.leader !== leader) return Promise.reject(new NotLeaderError());
    // In the etcd store's order: the overlay before the hosts (their deltas name its revision), the leader's words last.
    const changes: Entry[] = w.overlay ? [{ kind: "overlay", revision: 0n, overlay: w.overlay }] : [];
    for (const [host, a] of w.hosts) changes.push({ kind: "host", revision: 0n, host: { host, version: 0n, ...a } });
    if (w.computed) changes.push({ kind: "computed", revision: 0n, computed: w.computed });
    if (w.topologyApplied) changes.push({ kind: "topology-applied", revision: 0n, applied: w.topologyApplied });
    return Promise.resolve(this.b.commit(changes));
  }

  close(): Promise<void> {
    if (this.follower) this.b.followers.delete(this.follower);
    return Promise.resolve();
  }
}
