// The host agent: wires the controller link, the desired rules, what the host knows (cgroups,
// users, DNS, its address), the reconciler that makes the datapath hold exactly that, and the
// status it reports. Level-triggered: every change re-derives the whole desired state. Losing
// the controller, or the agent itself, never touches the datapath.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, posix } from "node:path";
import type { HostRule } from "../core/assignments.js";
import type { ApplyResult, Datapath, DatapathLimits, DesiredDatapath, RuleCounters } from "../datapath/types.js";
import { findCgroup2Mount } from "../host/cgroup2.js";
import { realClock, type Clock, type Timer } from "./clock.js";
import { ControllerLink, DEFAULT_AGENT_KEEPALIVE, DEFAULT_BACKOFF, errorText, type Backoff, type Keepalive, type LinkState } from "./controller-link.js";
import { buildDesired, type CgroupFact, type RuleState, type RuleVerdict } from "./datapath-rules.js";
import { DesiredRules } from "./desired-rules.js";
import { DnsWatch, systemLookup, type Lookup } from "./dns-watch.js";
import { CgroupFacts, interfaceAddress6, lookupUser } from "./host-facts.js";
import { syncRoutes, wantedRoutes } from "./route-mtu.js";
import { DEFAULT_PROBE_SETTINGS, Prober, type PathHealthView, type ProbeSettings, type ProbeTransport } from "./prober.js";
import { probePlan, watchStreams, type ProbedPath } from "./probe-plan.js";
import type { WatchProbe } from "../core/elements.js";
import { DEFAULT_RETRANSMIT_WATCH, RetransmitWatch, retransmitRoutes, type RetransmitCounters, type RetransmitSource, type RetransmitWatchSettings } from "./retransmit-watch.js";
import { randomInt } from "node:crypto";
import type { ClientCredentials } from "../api/credentials.js";
import { pathLabels } from "./path-labels.js";
import type { AgentReportView, PathHealthView as PathHealthReport } from "../api/types.js";

export { backoffDelay, DEFAULT_AGENT_KEEPALIVE, DEFAULT_BACKOFF } from "./controller-link.js";
export const AGENT_VERSION = "cairn-agent/0.2.0";
/** Lab apps live in cgroups under this path (relative to the cgroup2 mount). */
export const DEFAULT_APP_CGROUP_ROOT = "/cairn/apps";
/** UDP port (source and destination) of the agent's probes: privileged, so no unprivileged process can pose as the prober. */
export const DEFAULT_PROBE_PORT = 864;

/** What the agent reads off its host; replaceable in tests. */
export interface HostProbe {
  /** The uplink's global IPv6 address (outer source of encapsulated IPv4), or null. */
  address6(): string | null;
  /** The uplink's MTU. */
  mtu(): number;
  user(name: string): number | null;
}

export interface AgentOptions {
  /** Controller base URL, e.g. "http://[::1]:50051". */
  controllerUrl: string;
  /** With replicas: every replica's URL (controllerUrl first); the agent moves to the next when its own goes away. */
  controllerUrls?: string[];
  /** This host's name in the topology. */
  host: string;
  /** The host's uplink interface (datapath attach point). */
  interface: string;
  /** bpffs directory for pinned maps; default /sys/fs/bpf/cairn/<host>. */
  pinDir?: string;
  /** Map sizes when the agent creates the maps (pinned maps keep theirs). */
  datapathLimits?: Partial<DatapathLimits>;
  /** The cgroup2 mount; default: found in /proc/mounts. */
  cgroupMount?: string;
  /** Where lab apps' cgroups live, relative to the cgroup2 mount; default /cairn/apps. */
  appCgroupRoot?: string;
  /** Injected datapath (tests); default: ../datapath/datapath.js openDatapath(). Not closed by stop() when injected. */
  datapath?: Datapath;
  /** Injected host probe (tests); default: the uplink's own address and MTU, users through NSS. */
  probe?: HostProbe;
  /** Install MTU routes for steered destinations (default: with the real datapath only). */
  routeMtu?: boolean;
  /**
   * Probe every installed path (default: with the real datapath only; false: never). `transport`
   * and `monotonicNs` replace the UDP socket and the kernel's clock in tests.
   */
  probes?: false | { port?: number; settings?: Partial<ProbeSettings>; transport?: ProbeTransport; monotonicNs?: () => bigint };
  /**
   * The passive signal: probe a path at once when this host's TCP flows on it retransmit (default:
   * with probes and the real datapath; false: never). `source` replaces the kernel's ring in tests.
   */
  tcpSignal?: false | { source?: RetransmitSource; settings?: Partial<RetransmitWatchSettings> };
  /** DNS servers for `to: <name>` rules ("addr" or "[addr]:port"); default: the system's. */
  dnsServers?: string[];
  /** Injected DNS lookup (tests). */
  lookup?: Lookup;
  /** Write status JSON here (atomically) on every change and every statusIntervalMs. */
  statusFile?: string;
  statusIntervalMs?: number;
  /** Report to the controller every reportIntervalMs (and soon after every change). */
  reportIntervalMs?: number;
  /** How often host facts (cgroups, address) are polled besides the cgroup watch. */
  pollIntervalMs?: number;
  /** How often drained datapath entries are freed. */
  collectIntervalMs?: number;
  backoff?: Backoff;
  keepalive?: Keepalive;
  agentVersion?: string;
  clock?: Clock;
  /** One line per state change. Default: stderr. */
  log?: (line: string) => void;
  /** The agent's certificate and key (its identity: its host), and the CA of the controller's. */
  credentials?: ClientCredentials;
  /** Told of probes, failovers, applied versions and the link's state (metrics). */
  observer?: AgentObserver;
}

export type AgentState = "starting" | LinkState | "stopped" | "failed";

export type ActivePathRole = "primary" | "backup" | "none";

/** What the agent tells as it happens (its metrics); everything else is read from status(). */
export interface AgentObserver {
  /** A probe came back over the path named `path` (path-labels.ts) after `rttUs` µs. */
  probeReturned(path: string, rttUs: number): void;
  /** A rule's packets moved from one of its paths to another (primary to backup: a failover). */
  ruleMoved(rule: string, from: ActivePathRole, to: ActivePathRole): void;
  /** The datapath took a new version of the host's rules from the controller. */
  versionApplied(version: number): void;
  /** The link to the controller changed state. */
  linkState(state: LinkState): void;
}

export interface AgentRuleStatus {
  key: string;
  intent: string;
  priority: number;
  app: string | null;
  cgroup: string | null;
  user: string | null;
  source: string | null;
  protocol: number;
  portFrom: number;
  portTo: number;
  onFailure: "open" | "closed";
  dns: string | null;
  /**
   * installed: every destination in the datapath on its path (with no SRH when plain IGP
   * forwarding already follows it); not-steered: installed, but some destination has no usable
   * path, so onFailure applies; waiting: for a cgroup to exist or a DNS answer; error: see reason.
   */
  state: RuleState;
  reason: string | null;
  /** Destination prefixes in the datapath (a DNS name's current addresses). */
  prefixes: string[];
  ruleIds: number[];
  /** The first destination's primary path (routers), and its SIDs. */
  nodes: string[];
  segments: string[];
  active: "primary" | "backup" | "none";
  packets: number;
  bytes: number;
  /** Of `packets`, those the kernel sent on the backup path. */
  backupPackets: number;
  /** Matched, no usable path: sent unsteered (onFailure open) / dropped (onFailure closed). */
  unsteeredPackets: number;
  droppedPackets: number;
}

/** A probed path as the status file and the report show it: its health, the settings it is probed with, what it is. */
export interface AgentPathStatus extends PathHealthView, ProbedPath {}

export interface AgentStatus {
  host: string;
  controllerUrl: string;
  interface: string;
  pid: number;
  state: AgentState;
  connected: boolean;
  generation: string | null;
  /** Version of the last update received (0 = none). */
  version: number;
  /** Version whose rule set the datapath holds (0 = none). */
  appliedVersion: number;
  /** The controller's topology and intents revisions named by the update of that version (0 = none). */
  appliedTopologyRevision: number;
  appliedIntentsRevision: number;
  /** Connected, and the datapath holds the latest version; no rule is in error (waiting ones may be). */
  synced: boolean;
  lastError: string | null;
  updatedAt: string;
  limits: DatapathLimits | null;
  /** Datapath-wide event counters (packets too big, torn reads, ...). */
  events: Record<string, number>;
  rules: AgentRuleStatus[];
  /** Every probed path (one probe stream each). */
  paths: AgentPathStatus[];
  /** TCP retransmissions on steered paths (the passive signal); null: not watched. */
  retransmits: RetransmitCounters | null;
}

export interface AgentHandle {
  /** Stops the subscription; leaves the datapath as it is. */
  stop(): Promise<void>;
  status(): AgentStatus;
  /** Settles when the agent ends: resolves after stop(), rejects on a fatal error (datapath cannot be opened). */
  done: Promise<void>;
}

export function defaultAgentLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} agent: ${line}\n`);
}

/** The real datapath (libbpf via koffi), loaded lazily so that the agent's logic runs and tests without it. */
async function openDefaultDatapath(ifname: string, pinDir: string, limits: Partial<DatapathLimits>): Promise<Datapath> {
  const { openDatapath } = await import("../datapath/datapath.js");
  const { enableSrhDelivery } = await import("../datapath/srh-delivery.js");
  // Open first: it checks the interface before anything on the host changes.
  const datapath = openDatapath({ interface: ifname, pinDir, limits });
  try {
    enableSrhDelivery(ifname);
  } catch (e) {
    datapath.close();
    throw e;
  }
  return datapath;
}

/** How long a user lookup (an NSS query, maybe a directory server) is reused. */
const USER_CACHE_MS = 30_000;

async function realProbe(ifname: string, clock: Clock): Promise<HostProbe> {
  const { interfaceMtu } = await import("../datapath/libc.js");
  const users = new Map<string, { uid: number | null; at: number }>();
  return {
    address6: () => interfaceAddress6(ifname),
    mtu: () => interfaceMtu(ifname),
    user: (name) => {
      const hit = users.get(name);
      if (hit && clock.now() - hit.at < USER_CACHE_MS) return hit.uid;
      const uid = lookupUser(name);
      users.set(name, { uid, at: clock.now() });
      return uid;
    },
  };
}

const ZERO: RuleCounters = { packets: 0n, bytes: 0n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n };

export function runAgent(opts: AgentOptions): AgentHandle {
  const log = opts.log ?? defaultAgentLog;
  const clock = opts.clock ?? realClock;
  const statusIntervalMs = opts.statusIntervalMs ?? 1_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const collectIntervalMs = opts.collectIntervalMs ?? 250;
  const appRoot = opts.appCgroupRoot ?? DEFAULT_APP_CGROUP_ROOT;
  const appPath = (app: string) => posix.join(appRoot, app);

  const store = new DesiredRules(opts.host);
  let datapath: Datapath | null = opts.datapath ?? null;
  let ownsDatapath = false;
  let probe: HostProbe | null = opts.probe ?? null;
  let cgroups: CgroupFacts | null = null;
  let state: AgentState = "starting";
  let lastError: string | null = null;
  let appliedVersion = 0n;
  let appliedRevisions = { topology: 0, intents: 0 };
  let verdicts: RuleVerdict[] = [];
  let ruleIds = new Map<string, number>();
  let factsSignature = "";
  let routeProblems = "";
  const dns = new DnsWatch(opts.lookup ?? systemLookup(opts.dnsServers), clock, () => scheduleReconcile(), {});
  let prober: Prober | null = null;
  let probeSettings: ProbeSettings = DEFAULT_PROBE_SETTINGS;
  let probeConfig: { port: number; secret: number } | null = null;
  let tcpWatch: RetransmitWatch | null = null;
  /** pathKey()s of primaries degraded by loss: their rules send on the backup. */
  const degraded = new Set<string>();
  /** What each probed path is, for the status and the report. */
  let probedPaths = new Map<string, ProbedPath>();
  /** Each probed path's name in metrics. */
  let probedLabels = new Map<string, string>();
  /** The path each rule's packets took when last looked at: a change is a failover (or back). */
  const lastActive = new Map<string, ActivePathRole>();
  const timers = new Set<Timer>();
  let stopped = false;

  const every = (ms: number, fn: () => void) => {
    const tick = () => {
      timers.delete(t);
      if (stopped) return;
      try {
        fn();
      } catch (e) {
        log(`internal error: ${errorText(e)}`);
      }
      t = clock.after(ms, tick);
      timers.add(t);
    };
    let t = clock.after(ms, tick);
    timers.add(t);
  };

  let reconcilePending: Timer | null = null;
  function scheduleReconcile(delayMs = 0): void {
    if (reconcilePending || stopped) return;
    reconcilePending = clock.after(delayMs, () => {
      reconcilePending = null;
      reconcile();
    });
  }

  /** cgroup path → fact, for every cgroup the rules name (lab apps' cgroups are created). */
  function cgroupFacts(rules: HostRule[]): Map<string, CgroupFact | null> {
    const out = new Map<string, CgroupFact | null>();
    if (!cgroups) return out;
    for (const r of rules) {
      if (r.match.app !== undefined) out.set(appPath(r.match.app), safe(() => cgroups!.ensure(appPath(r.match.app!))));
      else if (r.match.cgroup !== undefined) out.set(r.match.cgroup, cgroups.resolve(r.match.cgroup));
    }
    return out;
  }

  function safe<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch {
      return null;
    }
  }

  const signature = (c: Map<string, CgroupFact | null>, address6: string | null) =>
    `${address6}|${[...c].map(([p, f]) => `${p}=${f ? `${f.id}` : "-"}`).join(",")}`;

  /** Makes the datapath hold the desired rules. Never throws. */
  function reconcile(): void {
    if (!datapath || !probe || !store.known) return;
    const rules = store.rules();
    const cg = cgroupFacts(rules);
    const users = new Map<string, number | null>();
    for (const r of rules) if (r.match.user !== undefined && !users.has(r.match.user)) users.set(r.match.user, probe.user(r.match.user));
    dns.setNames(rules.flatMap((r) => (r.dns !== undefined ? [r.dns] : [])));
    cgroups?.watch([...cg.keys()]);
    const address6 = probe.address6();
    factsSignature = signature(cg, address6);
    const built = buildDesired(rules, { cgroups: cg, users, dns: dns.answers(), address6 }, appPath, probeConfig, degraded);
    if (probeConfig) built.desired.watch = watchStreams(built.desired, store.watch());
    let result: ApplyResult | null = null;
    try {
      result = datapath.apply(built.desired, clock.now());
    } catch (e) {
      const msg = `datapath refused the update (v${store.version}): ${errorText(e)}; it still holds the rules of v${appliedVersion}`;
      if (msg !== lastError) log(msg);
      lastError = msg;
      verdicts = built.verdicts.map((v) => (v.identities.every((i) => ruleIds.has(i)) ? v : { ...v, state: "error", reason: msg }));
      writeStatus();
      return;
    }
    ruleIds = result.ruleIds;
    const newVersion = appliedVersion !== store.version;
    appliedVersion = store.version;
    appliedRevisions = store.revisions;
    if (prober) probePaths(rules, built.desired, result.pathRefs, store.watch());
    if (lastError !== null) log("datapath holds the desired rules again");
    lastError = null;
    for (const v of built.verdicts) {
      const before = verdicts.find((x) => x.key === v.key);
      if (v.state !== "installed" && (before?.state !== v.state || before.reason !== v.reason)) log(`rule ${v.key} ${v.state}: ${v.reason}`);
    }
    verdicts = built.verdicts;
    if (opts.routeMtu ?? ownsDatapath) {
      const problems = syncRoutes(opts.interface, wantedRoutes(built.desired, probe.mtu())).join("; ");
      if (problems && problems !== routeProblems) log(`MTU routes: ${problems}`);
      routeProblems = problems;
    }
    noteActivePaths();
    writeStatus();
    if (newVersion) opts.observer?.versionApplied(Number(appliedVersion));
    // A new version applied is acknowledged at once; the report that describes it follows the coalescing wait.
    if (newVersion) acknowledge();
    scheduleReport();
  }

  function acknowledge(): void {
    const generation = store.generation;
    if (!link?.connected || generation === null) return;
    const ack = { generation, appliedVersion, topologyRevision: appliedRevisions.topology, intentsRevision: appliedRevisions.intents };
    link.ack(ack, 5_000).catch((e: unknown) => log(`cannot acknowledge v${ack.appliedVersion}: ${errorText(e)}; the next report does`));
  }

  let reportPending: Timer | null = null;
  let reporting = false;
  /** Something changed while a report was on its way: send another when it is done. */
  let reportAgain = false;
  let lastReportError: string | null = null;
  /** Sends the agent's view to the controller soon (coalescing bursts of changes); 0: now, ahead of a waiting one. */
  function scheduleReport(delayMs = 100): void {
    if (stopped) return;
    if (reportPending) {
      if (delayMs > 0) return;
      reportPending.cancel();
    }
    reportPending = clock.after(delayMs, () => {
      reportPending = null;
      void sendReport();
    });
  }

  async function sendReport(): Promise<void> {
    if (!link?.connected) return;
    if (reporting) {
      reportAgain = true;
      return;
    }
    reporting = true;
    reportAgain = false;
    try {
      await link.report(reportView(status()), 5_000);
      lastReportError = null;
    } catch (e) {
      const msg = errorText(e);
      if (msg !== lastReportError) log(`cannot report to the controller: ${msg}`);
      lastReportError = msg;
    } finally {
      reporting = false;
      if (reportAgain) scheduleReport(0);
    }
  }

  /** Probes exactly the installed paths that carry a probe, and the watch probes, each with its settings; remembers what each one is. */
  function probePaths(rules: HostRule[], desired: DesiredDatapath, refs: Map<string, number>, watch: WatchProbe[]): void {
    const plan = probePlan(rules, desired, refs, watch, probeSettings);
    probedPaths = plan.paths;
    if (opts.observer) probedLabels = pathLabels([...plan.paths].map(([key, p]) => ({ key, ...p })));
    prober!.setTargets(plan.targets);
    tcpWatch?.setRoutes(retransmitRoutes(desired.rules, (k) => plan.paths.has(k)));
    for (const k of degraded) if (!plan.paths.has(k)) degraded.delete(k);
  }

  function pathStatus(): AgentPathStatus[] {
    if (!prober) return [];
    return prober.health().flatMap((h) => {
      const p = probedPaths.get(h.key);
      return p ? [{ ...h, ...p }] : [];
    });
  }

  /** A probed path changed state: degraded primaries move their rules to the backup (down ones the kernel already moved). */
  function pathChanged(h: PathHealthView, before: string): void {
    const p = probedPaths.get(h.key);
    const name = p ? `path ${p.nodes.join(">") || p.sids.join(",")}` : `path ${h.key}`;
    log(`${name}: ${before} -> ${h.state} (loss ${(h.loss * 100).toFixed(1)}%, rtt ${h.rttAvgUs ?? "-"} us; used by ${p?.usedBy.map((u) => `${u.key} ${u.role}`).join(", ") ?? "-"})`);
    const wasDegraded = degraded.has(h.key);
    if (h.state === "degraded") degraded.add(h.key);
    else degraded.delete(h.key);
    if (wasDegraded !== degraded.has(h.key)) scheduleReconcile();
    noteActivePaths();
    writeStatus();
    scheduleReport(0);
  }

  /** Tells the observer of every rule whose packets moved to another of its paths since last looked at. */
  function noteActivePaths(): void {
    if (!opts.observer) return;
    const byKey = new Map(verdicts.map((v) => [v.key, v.state]));
    const seen = new Set<string>();
    for (const r of store.rules()) {
      seen.add(r.key);
      const now = activePath(r.key, byKey.get(r.key));
      const before = lastActive.get(r.key);
      lastActive.set(r.key, now);
      if (before !== undefined && before !== now) opts.observer.ruleMoved(r.key, before, now);
    }
    for (const k of lastActive.keys()) if (!seen.has(k)) lastActive.delete(k);
  }

  /** The passive signal on the prober (null, and a log line, when the kernel refuses the tracepoint program). */
  async function watchRetransmits(o: { source?: RetransmitSource; settings?: Partial<RetransmitWatchSettings> }): Promise<RetransmitWatch | null> {
    let source = o.source;
    if (!source) {
      try {
        source = (await import("../datapath/retransmits.js")).openRetransmitRing();
      } catch (e) {
        log(`TCP signal off: cannot attach to the tcp_retransmit_skb tracepoint: ${errorText(e)}`);
        return null;
      }
    }
    const describe = (key: string) => {
      const p = probedPaths.get(key);
      return p ? p.nodes.join(">") || p.sids.join(",") || p.probe.join(",") : key;
    };
    return new RetransmitWatch(source, clock, (keys) => prober?.probeNow(keys), log, describe, { ...DEFAULT_RETRANSMIT_WATCH, ...o.settings });
  }

  /** Re-reads host facts; reconciles when a cgroup came or went or the address changed. */
  function poll(): void {
    if (!probe || !store.known) return;
    if (lastError !== null) return scheduleReconcile();
    const sig = signature(cgroupFacts(store.rules()), probe.address6());
    if (sig !== factsSignature) scheduleReconcile();
  }

  function countersByIdentity(): Map<number, RuleCounters> {
    if (!datapath || ruleIds.size === 0) return new Map();
    try {
      return datapath.counters();
    } catch {
      return new Map(); // counters are best effort
    }
  }

  /** Which path a rule's packets take now, as the probes tell (the kernel decides the same way). */
  function activePath(key: string, state: RuleState | undefined): "primary" | "backup" | "none" {
    if (state !== "installed") return "none";
    if (!prober) return "primary";
    const health = new Map(prober.health().map((h) => [h.key, h.state]));
    const mine = [...probedPaths].filter(([, p]) => p.usedBy.some((u) => u.key === key));
    const primary = mine.find(([, p]) => p.usedBy.some((u) => u.key === key && u.role === "primary"));
    const backup = mine.find(([, p]) => p.usedBy.some((u) => u.key === key && u.role === "backup"));
    const ok = (k: string | undefined) => k !== undefined && health.get(k) !== "down";
    if (!primary || (health.get(primary[0]) === "up")) return "primary";
    if (backup && ok(backup[0])) return "backup";
    return health.get(primary[0]) === "degraded" ? "primary" : "none";
  }

  function status(): AgentStatus {
    const counters = countersByIdentity();
    const byKey = new Map(verdicts.map((v) => [v.key, v]));
    const rules = store.rules().map((r): AgentRuleStatus => {
      const v = byKey.get(r.key);
      const ids = (v?.identities ?? []).map((i) => ruleIds.get(i)).filter((id): id is number => id !== undefined);
      const c = ids.reduce((a, id) => {
        const x = counters.get(id) ?? ZERO;
        return {
          packets: a.packets + x.packets,
          bytes: a.bytes + x.bytes,
          openPackets: a.openPackets + x.openPackets,
          closedPackets: a.closedPackets + x.closedPackets,
          backupPackets: a.backupPackets + x.backupPackets,
        };
      }, ZERO);
      const first = r.targets[0]?.result;
      const path = first?.ok ? first.path : null;
      return {
        key: r.key,
        intent: r.intent,
        priority: r.priority,
        app: r.match.app ?? null,
        cgroup: r.match.cgroup ?? null,
        user: r.match.user ?? null,
        source: r.match.source ?? null,
        protocol: r.match.protocol,
        portFrom: r.match.portFrom,
        portTo: r.match.portTo,
        onFailure: r.onFailure,
        dns: r.dns ?? null,
        state: v?.state ?? "waiting",
        reason: v ? v.reason : "not applied yet",
        prefixes: v?.prefixes ?? [],
        ruleIds: ids,
        nodes: path?.nodes ?? [],
        segments: path?.segments.map((s) => s.sid) ?? [],
        active: activePath(r.key, v?.state),
        packets: Number(c.packets),
        bytes: Number(c.bytes),
        backupPackets: Number(c.backupPackets),
        unsteeredPackets: Number(c.openPackets),
        droppedPackets: Number(c.closedPackets),
      };
    });
    let events: Record<string, number> = {};
    try {
      events = datapath ? Object.fromEntries([...datapath.events()].map(([k, n]) => [k, Number(n)])) : {};
    } catch {
      /* best effort */
    }
    const connected = state === "connected";
    // Waiting (for a cgroup or a DNS answer) is a steady state, not a failure to sync.
    const settled = rules.every((r) => r.state !== "error");
    return {
      host: opts.host,
      controllerUrl: link?.url ?? opts.controllerUrl,
      interface: opts.interface,
      pid: process.pid,
      state,
      connected,
      generation: store.generation,
      version: Number(store.version),
      appliedVersion: Number(appliedVersion),
      appliedTopologyRevision: appliedRevisions.topology,
      appliedIntentsRevision: appliedRevisions.intents,
      synced: connected && store.version > 0n && appliedVersion === store.version && lastError === null && settled,
      lastError,
      updatedAt: new Date(clock.now()).toISOString(),
      limits: datapath?.limits ?? null,
      events,
      rules,
      paths: pathStatus(),
      retransmits: tcpWatch?.counters() ?? null,
    };
  }

  function writeStatus(): void {
    if (!opts.statusFile) return;
    const tmp = `${opts.statusFile}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(opts.statusFile), { recursive: true });
      writeFileSync(tmp, `${JSON.stringify(status(), null, 2)}\n`);
      renameSync(tmp, opts.statusFile);
    } catch (e) {
      log(`cannot write status file ${opts.statusFile}: ${errorText(e)}`);
    }
  }

  let link: ControllerLink | null = null;

  const done = (async () => {
    if (!datapath) {
      const pinDir = opts.pinDir ?? `/sys/fs/bpf/cairn/${opts.host}`;
      try {
        datapath = await openDefaultDatapath(opts.interface, pinDir, opts.datapathLimits ?? {});
        ownsDatapath = true;
      } catch (e) {
        state = "failed";
        lastError = `cannot open datapath on ${opts.interface} (pins ${pinDir}): ${errorText(e)}`;
        log(lastError);
        writeStatus();
        throw new Error(lastError, { cause: e });
      }
    }
    probe ??= await realProbe(opts.interface, clock);
    if (opts.probes !== false && (opts.probes !== undefined || ownsDatapath)) {
      const o = opts.probes || {};
      const port = o.port ?? DEFAULT_PROBE_PORT;
      const transport = o.transport ?? (await (await import("./probe-socket.js")).openProbeSocket(port));
      probeConfig = { port, secret: randomInt(1, 0xffffffff) };
      const monotonicNs = o.monotonicNs ?? (() => process.hrtime.bigint()); // CLOCK_MONOTONIC, as bpf_ktime_get_ns
      probeSettings = { ...DEFAULT_PROBE_SETTINGS, ...o.settings };
      prober = new Prober(transport, datapath!, clock, monotonicNs, probeConfig.secret, probeSettings, pathChanged);
      const observer = opts.observer;
      if (observer) prober.onReturn = (key, rttUs) => observer.probeReturned(probedLabels.get(key) ?? key, rttUs);
      if (opts.tcpSignal !== false && (opts.tcpSignal !== undefined || ownsDatapath)) tcpWatch = await watchRetransmits(opts.tcpSignal || {});
    }
    const mount = opts.cgroupMount ?? findCgroup2Mount();
    if (mount) cgroups = new CgroupFacts(mount, () => scheduleReconcile(20));
    else log("no cgroup2 mount: rules for apps and cgroups wait until there is one");
    if (stopped) return;
    every(statusIntervalMs, writeStatus);
    every(pollIntervalMs, poll);
    every(collectIntervalMs, () => datapath?.collect(clock.now()));
    every(opts.reportIntervalMs ?? 2_000, () => void sendReport());
    writeStatus();
    link = new ControllerLink({
      url: opts.controllerUrl,
      ...(opts.controllerUrls ? { urls: opts.controllerUrls } : {}),
      holds: () => store.holds(),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      host: opts.host,
      agentVersion: opts.agentVersion ?? AGENT_VERSION,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      keepalive: opts.keepalive ?? DEFAULT_AGENT_KEEPALIVE,
      clock,
      log,
      onUpdate: (u) => {
        const before = store.generation;
        const outcome = store.take(u);
        if (outcome === "stale") return log(`ignoring stale update v${u.version} (have v${store.version})`);
        if (outcome === "resumed") return log(`resumed at v${u.version}: the controller holds what this host holds`);
        if (outcome === "snapshot" && before !== null && u.generation !== before) log(`controller generation changed (${before} -> ${u.generation}): resyncing from its snapshot`);
        reconcile();
        log(`${outcome} v${u.version} (topology revision ${u.topologyRevision}, intents revision ${u.intentsRevision}): ${u.upserts.length} upserts, ${u.removedKeys.length} removals; ${store.rules().length} rules`);
      },
      onState: (s) => {
        state = s;
        opts.observer?.linkState(s);
        writeStatus();
        if (s === "connected") scheduleReport();
      },
    });
    await link.done;
  })();
  done.catch(() => {}); // reported through `done` and the log

  let stopping: Promise<void> | null = null;
  return {
    status,
    done,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await link?.stop();
        await done.catch(() => {});
        for (const t of timers) t.cancel();
        reconcilePending?.cancel();
        reportPending?.cancel();
        dns.stop();
        cgroups?.stop();
        tcpWatch?.stop();
        prober?.stop();
        if (state !== "failed") state = "stopped";
        writeStatus();
        log(`stopped; ${ruleIds.size} datapath rules stay installed`);
        if (ownsDatapath && datapath) datapath.close();
      })();
      return stopping;
    },
  };
}

/** The status as the controller's ReportStatus takes it. */
export function reportView(s: AgentStatus): AgentReportView {
  return {
    host: s.host,
    generation: s.generation ?? "",
    appliedVersion: s.appliedVersion,
    ...(s.appliedTopologyRevision || s.appliedIntentsRevision ? { topologyRevision: s.appliedTopologyRevision, intentsRevision: s.appliedIntentsRevision } : {}),
    reportedAt: s.updatedAt,
    rules: s.rules.map((r) => ({
      key: r.key,
      state: r.state,
      reason: r.reason ?? "",
      prefixes: r.prefixes,
      active: r.active,
      steeredPackets: r.packets,
      steeredBytes: r.bytes,
      unsteeredPackets: r.unsteeredPackets,
      droppedPackets: r.droppedPackets,
    })),
    datapathDrops: s.events,
    paths: pathReports(s),
  };
}

const SEVERITY: Record<string, number> = { up: 0, degraded: 1, down: 2 };

/**
 * One report per probe SID list: a dual-stack rule's IPv4 and IPv6 paths run the same probe (two
 * streams, one per datapath path, so the kernel judges each), reported as one with the worse state.
 */
export function pathReports(s: AgentStatus): PathHealthReport[] {
  const active = new Map(s.rules.map((r) => [r.key, r.active]));
  const out = new Map<string, PathHealthReport>();
  for (const p of s.paths) {
    const id = p.probe.join(",");
    const uses = p.usedBy.map((u) => ({ rule: u.key, prefix: u.prefix, role: u.role, active: active.get(u.key) === u.role }));
    const mine: PathHealthReport = {
      probeSids: p.probe,
      routers: p.nodes,
      links: p.links,
      state: p.state,
      since: new Date(p.sinceMs).toISOString(),
      loss: p.loss,
      rttMinUs: p.rttMinUs ?? 0,
      rttAvgUs: p.rttAvgUs ?? 0,
      rttP99Us: p.rttP99Us ?? 0,
      probesSent: p.sent,
      probesReceived: p.received,
      uses,
      intervalMs: p.intervalMs,
      misses: p.misses,
    };
    const seen = out.get(id);
    if (!seen) {
      out.set(id, mine);
      continue;
    }
    const worse = SEVERITY[mine.state]! > SEVERITY[seen.state]! ? mine : seen;
    out.set(id, { ...worse, loss: Math.max(seen.loss, mine.loss), probesSent: seen.probesSent + mine.probesSent, probesReceived: seen.probesReceived + mine.probesReceived, uses: [...seen.uses, ...mine.uses] });
  }
  return [...out.values()];
}

export type { DesiredDatapath };
