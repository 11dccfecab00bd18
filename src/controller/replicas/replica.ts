// One controller replica over a shared store: it serves from its mirror of the store (every replica),
// campaigns for leadership all along, and computes while it leads (leader.ts).
import { randomUUID } from "node:crypto";
import type { Intent, Topology } from "../../core/model.js";
import type { Clock } from "../clock.js";
import type { EventLog } from "../events.js";
import { SubscriptionHub } from "../hub.js";
import type { DatapathLimitsConfig } from "../limits.js";
import type { PathComputer } from "../path-workers.js";
import { PushTracker } from "../pushes.js";
import type { AuditLog } from "../audit.js";
import { encodeIntents } from "./intents-codec.js";
import { Leader } from "./leader.js";
import { StoreMirror } from "./mirror.js";
import { ReplicaIntents } from "./replica-intents.js";
import { ReplicaTopology } from "./replica-topology.js";
import { ReportRelay } from "./report-relay.js";
import type { ControllerStore, StoreChange } from "./store.js";

export interface ReplicaOptions {
  store: ControllerStore;
  /** Shown to the other replicas as the leader's id (e.g. its URLs). */
  id?: string;
  topology: Topology;
  /** The intents a fresh store is seeded with (the --intents file); ignored when the store has intents. */
  intents: Intent[];
  intentsFile: string;
  events: EventLog;
  clock: Clock;
  log: (line: string) => void;
  limits: DatapathLimitsConfig;
  maxIntents: number;
  paths: PathComputer | null;
  audit?: AuditLog;
  holdDownMs?: number;
  staleAfterMs?: number;
}

export interface Replica {
  mirror: StoreMirror;
  hub: SubscriptionHub;
  pushes: PushTracker;
  applier: ReplicaIntents;
  /** ChangeTopology and the operator's changes in ListLinks. */
  topology: ReplicaTopology;
  reports: ReportRelay;
  /** True while this replica computes. */
  leading(): boolean;
  close(): Promise<void>;
}

export async function startReplica(o: ReplicaOptions): Promise<Replica> {
  const { store, log } = o;
  const initial = { intents: encodeIntents(o.intents), revision: 1, changedAt: new Date(o.clock.now()).toISOString(), changedBy: "", source: o.intentsFile };
  const { generation, seeded } = await store.initialise(randomUUID(), initial);
  let mirror: StoreMirror | null = null;
  const early: StoreChange[] = [];
  const contents = await store.follow(
    (c) => (mirror ? mirror.apply(c) : early.push(c)),
    (up, detail) =>
      log(up ? `${store.description}: back (${detail}); serving and writing again` : `${store.description}: unreachable (${detail}); serving the last known state, changes fail with UNAVAILABLE until it is back`),
  );
  const m = new StoreMirror(generation, o.topology, contents, log);
  mirror = m;
  for (const c of early) m.apply(c);
  const record = m.intentsRecord();
  log(
    seeded
      ? `${store.description}: a fresh store, seeded with ${o.intentsFile}'s ${o.intents.length} intents (revision 1); generation ${generation}`
      : `${store.description}: generation ${generation}, intents revision ${record.revision} (from ${record.source || "?"}${record.changedBy ? ` by ${record.changedBy}` : ""}); the --intents file is not read again`,
  );

  const hub = new SubscriptionHub(m);
  const pushes = new PushTracker(o.events, o.clock, generation);
  m.listeners.deltas = (d) => {
    hub.publish(d);
    pushes.pushed(d, 0);
  };
  const applier = new ReplicaIntents({ store, mirror: m, topology: o.topology, limits: o.limits, maxIntents: o.maxIntents, events: o.events, clock: o.clock, log, ...(o.audit ? { audit: o.audit } : {}) });
  const topology = new ReplicaTopology({ store, mirror: m, events: o.events, clock: o.clock, log, ...(o.audit ? { audit: o.audit } : {}) });
  let leader: Leader | null = null;
  const reports = new ReportRelay({ store, mirror: m, leading: () => leader?.liveliness ?? null, events: o.events, clock: o.clock, ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}) });

  const stop = new AbortController();
  let leadership: Awaited<ReturnType<ControllerStore["campaign"]>> | null = null;
  const campaigning = (async () => {
    while (!stop.signal.aborted) {
      let l;
      try {
        l = await store.campaign(o.id ?? randomUUID(), stop.signal);
      } catch {
        return; // stopped
      }
      leadership = l;
      const t0 = performance.now();
      log(`leader: elected; computing from the store (revision ${m.revision})`);
      try {
        leader = new Leader({
          store,
          mirror: m,
          leadership: l,
          topology: o.topology,
          events: o.events,
          clock: o.clock,
          log,
          paths: o.paths,
          limits: o.limits,
          ...(o.holdDownMs !== undefined ? { holdDownMs: o.holdDownMs } : {}),
          ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}),
        });
        log(`leader: taking over took ${(performance.now() - t0).toFixed(0)} ms`);
      } catch (e) {
        log(`leader: could not compute the store's state (${(e as Error).message}); resigning, and campaigning again in 5 s`);
        await l.resign();
        await new Promise((r) => setTimeout(r, 5_000));
      }
      const why = await l.lost;
      leader?.stop();
      leader = null;
      leadership = null;
      if (!stop.signal.aborted) log(`leader: ${why}; campaigning again`);
    }
  })();

  return {
    mirror: m,
    hub,
    pushes,
    applier,
    topology,
    reports,
    leading: () => leader !== null,
    async close() {
      stop.abort();
      leader?.stop();
      await (leadership as { resign(): Promise<void> } | null)?.resign();
      hub.close();
      await campaigning;
      await store.close();
    },
  };
}
