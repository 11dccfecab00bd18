// The replicas' store on etcd (the etcd3 client, etcd's v3 API over gRPC). Keys, under /cairn/:
//   generation      the controller generation agents see (created once, by the first replica)
//   intents         IntentsRecord: intents, revision, and who changed them when
//   hosts/<host>    HostAssignment: the rules and watch probes the leader computed; version = mod_revision
//   overlay         the liveliness overlay's marks
//   computed        the leader's word that it computed an intents revision
//   topology        the operator's topology layer (ChangeTopology: drains, metric changes, who made them)
//   topology-applied the leader's word that it applied the layer as of a store revision
//   reports/<host>  the host's latest agent report, on the lease of the replica that received it
// and etcd's election "cairn-leader" (keys under election/), whose lease is the leader's.
import { Etcd3, isRecoverableError, type IKeyValue, type Lease, type Campaign, type Watcher } from "etcd3";
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from "cockatiel";
import type {
  AssignmentWrite,
  ControllerStore,
  IntentsRecord,
  Leadership,
  LinkListener,
  StoreChange,
  StoreContents,
  StoredHost,
  StoredTopologyLayer,
  TopologyAppliedRecord,
} from "./store.js";
import { NotLeaderError, StoreUnavailableError } from "./store.js";

export const PREFIX = "/cairn/";
const K = {
  generation: `${PREFIX}generation`,
  intents: `${PREFIX}intents`,
  hosts: `${PREFIX}hosts/`,
  reports: `${PREFIX}reports/`,
  overlay: `${PREFIX}overlay`,
  computed: `${PREFIX}computed`,
  topology: `${PREFIX}topology`,
  topologyApplied: `${PREFIX}topology-applied`,
};
/** etcd's default --max-txn-ops is 128: a leader's write is cut into transactions of at most this many puts. */
const OPS_PER_TXN = 100;
/** Unary calls fail after this, so that a lost etcd is an error, not a hang. */
const CALL_TIMEOUT_MS = 3_000;

export interface EtcdStoreOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379. */
  endpoints: string[];
  /** etcd's TLS: the CA of its server certificate, and a client certificate and key when it asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd authentication. */
  auth?: { username: string; password: string };
  /** TTL (s) of the leader's and the reports' leases: how long a dead replica holds them. Default 3. */
  leaseTtlSeconds?: number;
  log: (line: string) => void;
}

/** Why an etcd call failed, in a line. */
export function etcdErrorText(e: unknown): string {
  if (e instanceof Error && (e as { isBrokenCircuitError?: boolean }).isBrokenCircuitError) return "etcd failed the last calls; it is tried again every 500 ms";
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0]!.replace(/\.? ?Resolution note:.*$/, "").slice(0, 300);
}

function unavailable(what: string, e: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`etcd unreachable (${what}): ${etcdErrorText(e)}`);
}

const json = (kv: IKeyValue): unknown => JSON.parse(kv.value.toString("utf8"));

class EtcdLeadership implements Leadership {
  readonly lost: Promise<string>;
  private markLost!: (why: string) => void;
  constructor(
    readonly campaign: Campaign,
    readonly key: string,
  ) {
    this.lost = new Promise((resolve) => (this.markLost = resolve));
    campaign.on("error", (e) => this.markLost(`leadership lost: ${etcdErrorText(e)}`));
  }
  end(why: string): void {
    this.markLost(why);
  }
  async resign(): Promise<void> {
    this.markLost("resigned");
    await this.campaign.resign().catch(() => {});
  }
}

export class EtcdStore implements ControllerStore {
  readonly description: string;
  private readonly client: Etcd3;
  private readonly ttl: number;
  private lease: Lease | null = null;
  private watcher: Watcher | null = null;
  private closed = false;

  constructor(private readonly o: EtcdStoreOptions) {
    this.description = `etcd ${o.endpoints.join(",")}`;
    this.ttl = o.leaseTtlSeconds ?? 3;
    this.client = new Etcd3({
      hosts: o.endpoints,
      dialTimeout: CALL_TIMEOUT_MS,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
      // The client's defaults retry every call three times and then refuse calls for 5 s after etcd
      // is back; here a call fails once (the callers retry or answer UNAVAILABLE), and etcd is tried
      // again 500 ms after a failure.
      faultHandling: {
        global: noop,
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
      },
      ...(o.tls ? { credentials: { rootCertificate: o.tls.ca, ...(o.tls.cert ? { certChain: o.tls.cert } : {}), ...(o.tls.key ? { privateKey: o.tls.key } : {}) } } : {}),
      ...(o.auth ? { auth: o.auth } : {}),
    });
  }

  async initialise(generation: string, initial: IntentsRecord): Promise<{ generation: string; seeded: boolean }> {
    try {
      await this.client.if(K.generation, "Create", "==", 0).then(this.client.put(K.generation).value(generation)).commit();
      const seeded = await this.client.if(K.intents, "Create", "==", 0).then(this.client.put(K.intents).value(JSON.stringify(initial))).commit();
      const gen = await this.client.get(K.generation).string();
      if (gen === null) throw new Error(`${K.generation} vanished`);
      return { generation: gen, seeded: seeded.succeeded };
    } catch (e) {
      throw unavailable("initialise", e);
    }
  }

  async follow(onChange: (c: StoreChange) => void, onLink: LinkListener): Promise<StoreContents> {
    let res;
    try {
      res = await this.client.getAll().prefix(PREFIX).exec();
    } catch (e) {
      throw unavailable("read", e);
    }
    const revision = BigInt(res.header.revision);
    const contents: StoreContents = {
      revision,
      intents: null,
      hosts: new Map(),
      reports: new Map(),
      overlay: [],
      overlayRevision: 0n,
      computed: null,
      topologyLayer: null,
      topologyLayerRevision: 0n,
      topologyApplied: null,
    };
    for (const kv of res.kvs) {
      const c = this.safeChange(kv, false);
      if (!c) continue;
      if (c.kind === "intents") contents.intents = c.record;
      else if (c.kind === "host") contents.hosts.set(c.host.host, c.host);
      else if (c.kind === "report" && c.report) contents.reports.set(c.host, c.report);
      else if (c.kind === "overlay") {
        contents.overlay = c.overlay;
        contents.overlayRevision = c.revision;
      }
      else if (c.kind === "computed") contents.computed = c.computed;
      else if (c.kind === "topology") {
        contents.topologyLayer = c.layer;
        contents.topologyLayerRevision = c.revision;
      } else if (c.kind === "topology-applied") contents.topologyApplied = c.applied;
    }
    const w = this.client.watch().prefix(PREFIX).startRevision(String(revision + 1n)).watcher();
    this.watcher = w;
    let up = true;
    w.on("put", (kv) => {
      const c = this.safeChange(kv, false);
      if (c) onChange(c);
    });
    w.on("delete", (kv) => {
      const c = this.safeChange(kv, true);
      if (c) onChange(c);
    });
    w.on("disconnected", (e) => {
      if (this.closed || !up) return;
      up = false;
      onLink(false, etcdErrorText(e));
    });
    w.on("connected", () => {
      if (up) return;
      up = true;
      onLink(true, "watch resumed");
    });
    w.on("error", (e) => {
      if (!this.closed) onLink(false, `watch failed: ${etcdErrorText(e)}`);
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(unavailable("watch", new Error(`no watch within ${CALL_TIMEOUT_MS} ms`))), CALL_TIMEOUT_MS);
      w.once("connected", () => {
        clearTimeout(t);
        resolve();
      });
    });
    return contents;
  }

  /** change(), with a value that is not JSON logged and skipped (someone else wrote under /cairn/). */
  private safeChange(kv: IKeyValue, deleted: boolean): StoreChange | null {
    try {
      return this.change(kv, deleted);
    } catch (e) {
      this.o.log(`etcd: ignoring ${kv.key.toString("utf8").slice(0, 200)} at revision ${kv.mod_revision}: not a value this controller wrote (${etcdErrorText(e)})`);
      return null;
    }
  }

  /** The change a key's put (or delete) is; null for keys of no interest (election, unknown). */
  private change(kv: IKeyValue, deleted: boolean): StoreChange | null {
    const key = kv.key.toString("utf8");
    const revision = BigInt(kv.mod_revision);
    if (key.startsWith(K.reports)) {
      const host = key.slice(K.reports.length);
      return { kind: "report", revision, host, report: deleted ? null : (json(kv) as NonNullable<Extract<StoreChange, { kind: "report" }>["report"]>) };
    }
    if (deleted) return null;
    if (key === K.intents) return { kind: "intents", revision, record: json(kv) as IntentsRecord };
    if (key.startsWith(K.hosts)) {
      const host = key.slice(K.hosts.length);
      const a = json(kv) as Omit<StoredHost, "host" | "version">;
      return { kind: "host", revision, host: { host, version: revision, rules: a.rules, watch: a.watch } };
    }
    if (key === K.overlay) return { kind: "overlay", revision, overlay: json(kv) as Extract<StoreChange, { kind: "overlay" }>["overlay"] };
    if (key === K.computed) return { kind: "computed", revision, computed: json(kv) as Extract<StoreChange, { kind: "computed" }>["computed"] };
    if (key === K.topology) return { kind: "topology", revision, layer: json(kv) as StoredTopologyLayer };
    if (key === K.topologyApplied) return { kind: "topology-applied", revision, applied: json(kv) as TopologyAppliedRecord };
    return null;
  }

  async replaceIntents(expected: number, record: IntentsRecord): Promise<boolean> {
    try {
      const cur = await this.client.get(K.intents).exec();
      const kv = cur.kvs[0];
      if (!kv || (json(kv) as IntentsRecord).revision !== expected) return false;
      const r = await this.client.if(K.intents, "Mod", "==", kv.mod_revision).then(this.client.put(K.intents).value(JSON.stringify(record))).commit();
      return r.succeeded;
    } catch (e) {
      throw unavailable("write intents", e);
    }
  }

  async replaceTopologyLayer(expected: bigint, layer: StoredTopologyLayer): Promise<bigint | null> {
    try {
      // A key never written compares as mod revision 0.
      const r = await this.client.if(K.topology, "Mod", "==", String(expected)).then(this.client.put(K.topology).value(JSON.stringify(layer))).commit();
      return r.succeeded ? BigInt(r.header.revision) : null;
    } catch (e) {
      throw unavailable("write the topology layer", e);
    }
  }

  private currentLease(): Lease {
    if (this.lease) return this.lease;
    const lease = this.client.lease(this.ttl);
    lease.on("lost", (e) => {
      if (this.lease === lease) this.lease = null;
      if (!this.closed) this.o.log(`etcd: the reports' lease was lost (${etcdErrorText(e)}); a new one is taken with the next report`);
    });
    this.lease = lease;
    return lease;
  }

  async putReport(report: Parameters<ControllerStore["putReport"]>[0]): Promise<void> {
    try {
      await this.currentLease().put(`${K.reports}${report.host}`).value(JSON.stringify(report));
    } catch (e) {
      this.lease = null;
      throw unavailable("store the report", e);
    }
  }

  async campaign(id: string, signal: AbortSignal): Promise<Leadership> {
    for (;;) {
      if (signal.aborted || this.closed) throw new Error("campaign stopped");
      const c = this.client.election("cairn-leader", this.ttl).campaign(id);
      c.on("error", () => {}); // every error after the first (the first one ends the campaign, below, or the leadership)
      const outcome = await new Promise<"elected" | Error>((resolve) => {
        const onAbort = () => resolve(new Error("campaign stopped"));
        signal.addEventListener("abort", onAbort, { once: true });
        c.once("elected", () => {
          signal.removeEventListener("abort", onAbort);
          resolve("elected");
        });
        c.once("error", (e) => {
          signal.removeEventListener("abort", onAbort);
          resolve(e);
        });
      });
      if (outcome === "elected") {
        try {
          return new EtcdLeadership(c, await c.getCampaignKey());
        } catch (e) {
          await c.resign().catch(() => {});
          this.o.log(`etcd: elected, but ${etcdErrorText(e)}; campaigning again`);
          continue;
        }
      }
      await c.resign().catch(() => {});
      if (signal.aborted || this.closed) throw new Error("campaign stopped");
      this.o.log(`etcd: campaign failed (${etcdErrorText(outcome)}); trying again in 1 s`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  async writeAssignments(leader: Leadership, w: AssignmentWrite): Promise<bigint> {
    const l = leader as EtcdLeadership;
    // The overlay first: the watch delivers a transaction's puts in order, so the hosts' deltas name
    // the topology revision it makes.
    const puts: [string, string][] = w.overlay ? [[K.overlay, JSON.stringify(w.overlay)]] : [];
    for (const [h, a] of w.hosts) puts.push([`${K.hosts}${h}`, JSON.stringify(a)]);
    // The leader's words go last: once one is there, every host it speaks of is written.
    if (w.computed) puts.push([K.computed, JSON.stringify(w.computed)]);
    if (w.topologyApplied) puts.push([K.topologyApplied, JSON.stringify(w.topologyApplied)]);
    let revision = 0n;
    for (let i = 0; i < Math.max(1, puts.length); i += OPS_PER_TXN) {
      const chunk = puts.slice(i, i + OPS_PER_TXN);
      let r;
      try {
        r = await this.client
          .if(l.key, "Create", ">", 0)
          .then(...chunk.map(([k, v]) => this.client.put(k).value(v)))
          .commit();
      } catch (e) {
        throw unavailable("write assignments", e);
      }
      if (!r.succeeded) {
        l.end("leadership lost: the election key is gone");
        throw new NotLeaderError();
      }
      revision = BigInt(r.header.revision);
    }
    return revision;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => {});
    await this.lease?.revoke().catch(() => {});
    this.client.close();
  }
}
