// The fleet simulator's orchestrator: a fleet (generate.ts), its credentials, a real controller as a
// child process (so its memory and CPU are its own), W worker processes of simulated agents, then
// initial sync, rest, and network events measured from the agents' side and the controller's events.
import { DEFAULT_AGENT_KEEPALIVE } from "../agent/controller-link.js";
import { fork, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile, open, type FileHandle } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAnyTopology, loadIntents, loadTopology } from "../config/load.js";
import { findRepoRoot, zooPath } from "../config/zoo-data.js";
import { createControllerState } from "../controller/state.js";
import { createOperatorClient } from "../api/client.js";
import type { EventView } from "../api/types.js";
import { generateFleet, hostName, intentsYaml, topologyYaml } from "./generate.js";
import { fleetCredentials } from "./credentials.js";
import { cpuShare, sampleProc, type ProcSample } from "./proc-stats.js";
import { spread, type Spread } from "./stats.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { wallNow, type ReportsAs, type UpdateRecord } from "./sim-agent.js";
import { startEtcd, type EtcdFixture } from "../controller/replicas/etcd-fixture.js";

export interface FleetOptions {
  /** A Topology Zoo name (data/topology-zoo/NAME.graphml) or a GraphML path. */
  graph: string;
  hosts: number;
  rules: number;
  workers: number;
  attach: "round-robin" | "random";
  seed: number;
  /** The controller's --hold-down (ms): how long a repaired element waits before paths return. */
  holdDownMs: number;
  probeVerdictMs: number;
  /** HTTP/2 PING timeout of the controller (--keepalive-timeout) and of the simulated agents (ms). */
  keepaliveTimeoutMs: number;
  /** Reports as messages on each agent's session (the agent's way), or as a call each (to compare). */
  reportsAs: ReportsAs;
  /** Agents per worker waiting for their first update at once. */
  connectConcurrency: number;
  /** Credential cache directory; default per N under the temp dir. */
  pkiDir?: string;
  /** Skip the full recomputation timing (it takes as long as the controller's start). */
  skipFullRecompute?: boolean;
  /** Give up waiting for a phase after this long (ms). */
  timeoutMs: number;
  /** An event that brings no agent an update within this long (plus the hold-down for a repair) moves nobody. */
  firstUpdateWithinMs: number;
  /** Above 1: the controller runs as this many replicas on an etcd the run starts; agents are spread over them. */
  replicas?: number;
  /** With replicas: kill the leader (SIGKILL) right after the link failure; the figures are then the second replica's. */
  killLeader?: boolean;
  log: (line: string) => void;
}

export const DEFAULT_FLEET: Omit<FleetOptions, "log"> = {
  graph: "Geant2012",
  hosts: 1000,
  rules: 10_000,
  workers: cpus().length,
  attach: "round-robin",
  seed: 1,
  holdDownMs: 1000,
  probeVerdictMs: 30,
  keepaliveTimeoutMs: DEFAULT_AGENT_KEEPALIVE.timeoutMs,
  connectConcurrency: 100,
  reportsAs: "messages",
  timeoutMs: 300_000,
  firstUpdateWithinMs: 90_000,
};

export interface EventResult {
  name: string;
  element: string;
  /** Hosts whose probed primaries crossed the element before the event. */
  hostsCrossing: number;
  /** Hosts that got an update (agents' side) / push events (controller's side). */
  affectedHosts: number;
  pushes: number;
  /** From the event to each affected agent's acknowledgement (ms). */
  toAck: Spread;
  /** The controller's recompute and localisation times from its events (ms, summed over the event). */
  recomputeMs: number;
  localiseMs: number;
  bytes: number;
  controllerCpuMs: number;
  /** The worker processes' CPU ms for the event (the simulated agents: receiving, applying, acknowledging, reporting). */
  agentsCpuMs: number;
}

export interface FleetResult {
  graph: string;
  routers: number;
  links: number;
  hosts: number;
  rules: number;
  intents: number;
  workers: number;
  reportsAs: ReportsAs;
  /** Controller replicas on etcd (1: the single process); the controller figures are the leader's. */
  replicas: number;
  /** --kill-leader: when the next leader took over after the kill (ms), from its log. */
  takeoverMs?: number;
  /** After the last event: agents whose last acknowledged version is not the one the controller serves. */
  staleAgents: number;
  credentials: { issued: number; issuedMs: number; dir: string };
  controllerStartMs: number;
  initialSync: { ms: number; toAck: Spread; bytes: number; errors: number; synced: number };
  controller: {
    restRssBytes: number;
    /** Before any agent connected. */
    emptyRssBytes: number;
    rssPerAgentBytes: number;
    syncCpuMs: number;
    cpuPerAgentMs: number;
    /** CPU share with every agent connected and idle (keepalives). */
    idleCpuShare: number;
  };
  events: EventResult[];
  fullRecomputeMs: number | null;
  errors: string[];
}

export function graphPath(graph: string): string {
  if (graph.includes("/") || graph.endsWith(".graphml")) return resolve(graph);
  return zooPath(`${graph}.graphml`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An event is not settled while the controller uses more of a core than this (it is still working through reports). */
const SETTLED_CPU_SHARE = 0.2;

/** Throws why the run cannot go on (the controller died), or returns. */
type Guard = () => void;

async function waitFor(what: string, timeoutMs: number, ok: () => boolean, guard: Guard = () => {}, stepMs = 50): Promise<void> {
  const until = performance.now() + timeoutMs;
  // The guard first: `ok` may read the controller's /proc entry, gone once it died.
  while ((guard(), !ok())) {
    if (performance.now() > until) throw new Error(`fleet-sim: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Waits until the process's CPU share stays under `share` for `windowMs`. */

/** Options for a child from the environment (node's, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p": where its time goes; or the controller's). */
const nodeArgs = (variable: string): string[] => (process.env[variable] ?? "").split(/\s+/).filter(Boolean);

async function quiet(pid: number, timeoutMs: number, windowMs = 500, share = 0.05): Promise<void> {
  const until = performance.now() + timeoutMs;
  let a = sampleProc(pid);
  for (;;) {
    await sleep(windowMs);
    const b = sampleProc(pid);
    if (cpuShare(a, b) < share || performance.now() > until) return;
    a = b;
  }
}

/** Children killed however the run ends. */
class Children {
  private readonly all = new Set<ChildProcess>();
  add<T extends ChildProcess>(c: T): T {
    this.all.add(c);
    c.once("exit", () => this.all.delete(c));
    return c;
  }
  async stop(c: ChildProcess, graceMs: number): Promise<void> {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    await Promise.race([exited, sleep(graceMs)]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGKILL");
      await exited;
    }
  }
  killAll(): void {
    for (const c of this.all) c.kill("SIGKILL");
  }
}

export async function runFleetSim(o: FleetOptions): Promise<FleetResult> {
  const { topology: base } = await loadAnyTopology(graphPath(o.graph));
  const fleet = generateFleet(base, { hosts: o.hosts, rules: o.rules, attach: o.attach, seed: o.seed });
  const hosts = fleet.topology.hosts.map((h) => h.name);
  const tmp = await mkdtemp(join(tmpdir(), "cairn-fleet-"));
  const children = new Children();
  const onExit = () => children.killAll();
  const onSignal = (sig: NodeJS.Signals) => {
    children.killAll();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const errors: string[] = [];
  let stderrFile: FileHandle | undefined;
  let etcd: EtcdFixture | null = null;
  try {
    const topoFile = join(tmp, "topology.yaml");
    const intentsFile = join(tmp, "intents.yaml");
    await writeFile(topoFile, topologyYaml(fleet.topology));
    await writeFile(intentsFile, intentsYaml(fleet.intents));
    o.log(`fleet: ${o.graph} (${fleet.topology.routers.length} routers, ${fleet.topology.links.length} links), ${o.hosts} hosts, ${fleet.rules} rules in ${fleet.intents.length} intents`);

    const creds = await fleetCredentials(hosts, o.pkiDir);
    o.log(creds.issued > 0 ? `credentials: ${creds.issued} agent certificates in ${(creds.issuedMs / 1000).toFixed(1)} s (${creds.dir})` : `credentials: cached in ${creds.dir}`);

    // The controller, alone in its process; or K replicas on an etcd of the run's own, the first of
    // which (started first) leads: the figures below are the leader's.
    const replicas = Math.max(1, o.replicas ?? 1);
    if (o.killLeader && replicas < 2) throw new Error("fleet-sim: --kill-leader needs --replicas 2 or more");
    let leaderKilled = false;
    if (replicas > 1) {
      etcd = await startEtcd();
      o.log(`etcd: ${etcd.url} (for ${replicas} controller replicas)`);
    }
    const logFile = join(tmp, "controller.log");
    stderrFile = await open(logFile, "w");
    const startedAt = performance.now();
    const spawnController = (file: FileHandle) =>
      children.add(
        spawn(process.execPath, [
          ...nodeArgs("CAIRN_FLEET_CONTROLLER_NODE_ARGS"),
          join(findRepoRoot(), "dist", "cli", "main.js"), "controller",
          "--topology", topoFile, "--intents", intentsFile, "--tls-dir", creds.dir, "--listen", "127.0.0.1:0",
          "--max-connections", String(o.hosts + 64), "--events", String(4 * o.hosts + 1000),
          "--hold-down", `${o.holdDownMs}ms`,
          "--keepalive-timeout", `${o.keepaliveTimeoutMs}ms`,
          // Simulated agents report on change only (not every 2 s): their reports must stay evidence.
          "--stale-after", "86400s",
          ...(etcd ? ["--etcd", etcd.url] : []),
          // e.g. "--max-concurrent-calls 1000000": the controller's own options, to compare settings.
          ...nodeArgs("CAIRN_FLEET_CONTROLLER_ARGS"),
        ], { stdio: ["ignore", "pipe", file.fd] }),
      );
    const listening = (c: ChildProcess): (() => string) => {
      let found = "";
      let out = "";
      c.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m && !found) found = m[1]!;
      });
      return () => found;
    };
    const ctl = spawnController(stderrFile);
    const ctlUrl = listening(ctl);
    const others: { proc: ChildProcess; url: () => string; file: FileHandle }[] = [];
    const guard: Guard = () => {
      for (const [c, f] of [...(leaderKilled ? [] : [[ctl, logFile] as const]), ...others.map((x, i) => [x.proc, join(tmp, `replica-${i + 2}.log`)] as const)]) {
        if (c.exitCode !== null || c.signalCode !== null) {
          const tail = readFileSync(f, "utf8").trim().split("\n").slice(-5).join("\n  ");
          throw new Error(`the controller exited (${c.exitCode ?? c.signalCode}):\n  ${tail}`);
        }
      }
    };
    await waitFor("the controller to listen", o.timeoutMs, () => ctlUrl() !== "", guard);
    for (let i = 2; i <= replicas; i++) {
      const file = await open(join(tmp, `replica-${i}.log`), "w");
      const proc = spawnController(file);
      others.push({ proc, url: listening(proc), file });
    }
    await waitFor("the replicas to listen", o.timeoutMs, () => others.every((x) => x.url() !== ""), guard);
    const urls = [ctlUrl(), ...others.map((x) => x.url())];
    const url = urls[0]!;
    // What the figures are taken from: the leader, or (it will be killed) the second replica.
    const main = o.killLeader ? others[0]!.proc : ctl;
    const mainUrl = o.killLeader ? urls[1]! : url;
    const controllerStartMs = performance.now() - startedAt;
    o.log(`controller: listening on ${urls.join(", ")} after ${(controllerStartMs / 1000).toFixed(1)} s (every path computed)${replicas > 1 ? `; ${replicas} replicas on etcd, agents spread over them` : ""}`);
    await quiet(main.pid!, 10_000);
    const empty = sampleProc(main.pid!);
    const operator = createOperatorClient(mainUrl, { credentials: { ca: creds.caPem, ...creds.operator }, timeoutMs: 60_000 });

    // Workers and their agents.
    const records: UpdateRecord[] = [];
    let agentErrors = 0;
    let received = 0;
    let lastError = "";
    const usages: Extract<FromWorker, { type: "usage" }>[] = [];
    const workerJs = join(dirname(fileURLToPath(import.meta.url)), "worker.js");
    const workers = Array.from({ length: o.workers }, () => children.add(fork(workerJs, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: nodeArgs("CAIRN_FLEET_WORKER_NODE_ARGS") })));
    let ready = 0;
    for (const w of workers) {
      w.on("message", (m: FromWorker) => {
        if (m.type === "ready") ready++;
        else if (m.type === "updates") {
          for (const r of m.records) records.push(r);
          agentErrors += m.errors;
          received += m.received;
          lastError = m.errorSamples.at(-1) ?? lastError;
          for (const e of m.errorSamples) if (errors.length < 20) errors.push(e);
        } else if (m.type === "usage") usages.push(m);
      });
    }
    await waitFor("the workers", 30_000, () => ready === workers.length);
    const broadcast = (m: ToWorker) => workers.forEach((w) => w.send(m));

    const syncStart = wallNow();
    const beforeSync = sampleProc(main.pid!);
    workers.forEach((w, i) =>
      w.send({
        type: "start",
        url,
        ...(urls.length > 1 ? { urls } : {}),
        caPem: creds.caPem,
        agentDir: dirname(creds.agentFiles("x").cert),
        hosts: hosts.filter((_, j) => j % o.workers === i),
        probeVerdictMs: o.probeVerdictMs,
        keepaliveTimeoutMs: o.keepaliveTimeoutMs,
        connectConcurrency: o.connectConcurrency,
        reportsAs: o.reportsAs,
      } satisfies ToWorker),
    );
    const synced = new Map<string, UpdateRecord>();
    let seen = 0;
    let lastLog = performance.now();
    await waitFor(`all ${o.hosts} agents' first acknowledgements`, o.timeoutMs, () => {
      for (; seen < records.length; seen++) {
        const r = records[seen]!;
        if (r.full && !synced.has(r.host)) synced.set(r.host, r);
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        o.log(`initial sync: ${synced.size}/${o.hosts} agents acknowledged, ${agentErrors} errors`);
      }
      return synced.size === o.hosts;
    }, guard);
    const syncAcks = [...synced.values()].map((r) => r.ackedAt - syncStart);
    const syncBytes = [...synced.values()].reduce((s, r) => s + r.bytes, 0);
    await quiet(main.pid!, o.timeoutMs);
    const afterSync = sampleProc(main.pid!);
    const syncErrors = agentErrors;
    o.log(`initial sync: ${o.hosts} agents in ${(Math.max(...syncAcks) / 1000).toFixed(2)} s`);
    await sleep(3000);
    const idleEnd = sampleProc(main.pid!);

    // The busiest link and router: the failures that move the most hosts.
    broadcast({ type: "usage" });
    await waitFor("the workers' path usage", 60_000, () => usages.length === workers.length);
    const total = (k: "links" | "routers") => {
      const sum = new Map<string, number>();
      for (const u of usages) for (const [e, n] of Object.entries(u[k])) sum.set(e, (sum.get(e) ?? 0) + n);
      return sum;
    };
    const linkUse = total("links");
    const routerUse = total("routers");
    const busiest = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    const [link, linkHosts] = busiest(linkUse);
    const [router, routerHosts] = busiest(routerUse);
    const zoo = (r: string) => fleet.zooNames.get(r) ?? r;
    const linkRow = fleet.topology.links.find((l) => l.id === link)!;
    const linkName = `${link} (${zoo(linkRow.a)}-${zoo(linkRow.b)})`;

    const plan: { name: string; element: string; crossing: number; links: string[]; routers: string[] }[] = [
      { name: "link down", element: linkName, crossing: linkHosts, links: [link], routers: [] },
      { name: "link repaired", element: linkName, crossing: 0, links: [], routers: [] },
      { name: "router down", element: `${router} (${zoo(router)})`, crossing: routerHosts, links: [], routers: [router] },
      { name: "router repaired", element: `${router} (${zoo(router)})`, crossing: 0, links: [], routers: [] },
    ];
    const events: EventResult[] = [];
    let killedAt = 0;
    for (const step of plan) {
      const lastSeq = (await operator.listEvents(0, 1)).lastSeq;
      const cpu0 = sampleProc(main.pid!);
      const agentsCpu = () => workers.reduce((s, w) => s + (w.exitCode === null ? sampleProc(w.pid!).cpuMs : 0), 0);
      const agentsCpu0 = agentsCpu();
      const from = records.length;
      const t0 = wallNow();
      broadcast({ type: "network", links: step.links, routers: step.routers });
      const kill = o.killLeader && step === plan[0];
      if (kill) {
        await sleep(20); // the agents' reports are on their way
        leaderKilled = true;
        killedAt = Date.now();
        ctl.kill("SIGKILL");
        o.log(`killed the leader (pid ${ctl.pid}) 20 ms after the ${step.name}`);
      }
      // Settled: no update for a while (a repair waits for the hold-down first; a takeover for the
      // dead leader's lease, 3 s), controller idle. A large fleet's workers take seconds to tell
      // every agent, and the agents to report: no update yet is not settled, until
      // --first-update-within (firstUpdateWithinMs) says the event moves nobody.
      let lastCount = from + received;
      let lastChange = performance.now();
      const received0 = received;
      const errors0 = agentErrors;
      let lastProgress = performance.now();
      const holdDown = step.name.includes("repaired") ? o.holdDownMs : 0;
      const minQuietMs = 1500 + holdDown + (kill ? 5000 : 0);
      const started = performance.now();
      // The controller's CPU share over the last second: while it works through reports, more updates may come.
      let cpuWas = sampleProc(main.pid!);
      let busy = 1;
      await waitFor(`the fleet to settle after ${step.name}`, o.timeoutMs, () => {
        const cpuNow = sampleProc(main.pid!);
        if (cpuNow.atMs - cpuWas.atMs >= 1000) {
          busy = cpuShare(cpuWas, cpuNow);
          cpuWas = cpuNow;
        }
        if (performance.now() - lastProgress > 10_000) {
          lastProgress = performance.now();
          o.log(`${step.name}: ${received - received0} updates received, ${records.length - from} acknowledged, ${agentErrors - errors0} agent errors${lastError ? ` (last: ${lastError})` : ""}`);
        }
        // Activity: an update received or acknowledged. Settled: every update received acknowledged,
        // and nothing new for minQuietMs (a pause in a 10,000-agent burst is not the end of it).
        if (records.length + received !== lastCount) {
          lastCount = records.length + received;
          lastChange = performance.now();
        }
        if (records.length === from && received === received0) return performance.now() - started > o.firstUpdateWithinMs + holdDown;
        return records.length - from >= received - received0 && performance.now() - lastChange > minQuietMs && busy < SETTLED_CPU_SHARE;
      }, guard);
      await quiet(main.pid!, o.timeoutMs);
      const cpu1 = sampleProc(main.pid!);
      const agentsCpu1 = agentsCpu();
      const mine = records.slice(from);
      const lastAck = new Map<string, number>();
      for (const r of mine) lastAck.set(r.host, Math.max(lastAck.get(r.host) ?? 0, r.ackedAt - t0));
      const evs: EventView[] = (await operator.listEvents(lastSeq)).events;
      const sum = (type: string) => evs.filter((e) => e.type === type).reduce((s, e) => s + e.durationMs, 0);
      const result: EventResult = {
        name: step.name,
        element: step.element,
        hostsCrossing: step.crossing,
        affectedHosts: lastAck.size,
        pushes: evs.filter((e) => e.type === "push").length,
        toAck: spread([...lastAck.values()]),
        recomputeMs: sum("recompute"),
        localiseMs: sum("localisation"),
        bytes: mine.reduce((s, r) => s + r.bytes, 0),
        controllerCpuMs: cpu1.cpuMs - cpu0.cpuMs,
        agentsCpuMs: agentsCpu1 - agentsCpu0,
      };
      events.push(result);
      o.log(`${step.name} ${step.element}: ${result.affectedHosts} hosts re-steered, p99 ${result.toAck.p99.toFixed(0)} ms, max ${result.toAck.max.toFixed(0)} ms, recompute ${result.recomputeMs.toFixed(1)} ms`);
    }

    // A full recomputation of every (host, intent) pair, here, while the fleet is idle.
    let fullRecomputeMs: number | null = null;
    if (!o.skipFullRecompute) {
      const t = await loadTopology(topoFile);
      const i = await loadIntents(intentsFile, t);
      const t1 = performance.now();
      createControllerState(t, i);
      fullRecomputeMs = performance.now() - t1;
    }

    // No agent left behind: each one's last acknowledged version is the one the controller serves now.
    // In slices of hosts: every host's paths in one answer pass the controller's --max-response-bytes at 10,000 hosts.
    const acked = new Map<string, number>();
    for (const r of records) acked.set(r.host, Math.max(acked.get(r.host) ?? 0, r.version));
    let staleAgents = 0;
    for (let i = 0; i < hosts.length; i += 500) {
      const served = await operator.listPaths(hosts.slice(i, i + 500));
      staleAgents += served.hosts.filter((h) => acked.get(h.host) !== h.version).length;
    }
    let takeoverMs: number | undefined;
    if (o.killLeader) {
      const line = others.flatMap((_, i) => readFileSync(join(tmp, `replica-${i + 2}.log`), "utf8").split("\n")).find((l) => /leader: taking over took/.test(l));
      if (line) takeoverMs = Date.parse(line.slice(0, 24)) - killedAt;
      o.log(`leader killed: the next took over ${takeoverMs ?? "?"} ms later; ${staleAgents} agent(s) on a stale version`);
    }
    operator.close();
    broadcast({ type: "stop" });
    await Promise.all(workers.map((w) => children.stop(w, 10_000)));
    ctl.kill("SIGTERM");
    for (const x of others) x.proc.kill("SIGTERM");
    await children.stop(ctl, 5_000);
    for (const x of others) {
      await children.stop(x.proc, 5_000);
      await x.file.close().catch(() => {});
    }
    const rest: ProcSample = afterSync;
    return {
      graph: o.graph,
      routers: fleet.topology.routers.length,
      links: fleet.topology.links.length,
      hosts: o.hosts,
      rules: fleet.rules,
      intents: fleet.intents.length,
      workers: o.workers,
      reportsAs: o.reportsAs,
      replicas,
      ...(takeoverMs !== undefined ? { takeoverMs } : {}),
      staleAgents,
      credentials: { issued: creds.issued, issuedMs: creds.issuedMs, dir: creds.dir },
      controllerStartMs,
      initialSync: { ms: Math.max(...syncAcks), toAck: spread(syncAcks), bytes: syncBytes, errors: syncErrors, synced: synced.size },
      controller: {
        emptyRssBytes: empty.rssBytes,
        restRssBytes: rest.rssBytes,
        rssPerAgentBytes: (rest.rssBytes - empty.rssBytes) / o.hosts,
        syncCpuMs: afterSync.cpuMs - beforeSync.cpuMs,
        cpuPerAgentMs: (afterSync.cpuMs - beforeSync.cpuMs) / o.hosts,
        idleCpuShare: cpuShare(afterSync, idleEnd),
      },
      events,
      fullRecomputeMs,
      errors,
    };
  } finally {
    children.killAll();
    // $CAIRN_FLEET_LOGS=DIR keeps the controllers' logs there.
    const keep = process.env["CAIRN_FLEET_LOGS"];
    if (keep) await cp(tmp, keep, { recursive: true, filter: (f) => !f.endsWith(".yaml") }).catch(() => {});
    await etcd?.close().catch(() => {});
    await stderrFile?.close().catch(() => {});
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await rm(tmp, { recursive: true, force: true });
  }
}

export { hostName };
