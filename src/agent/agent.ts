// The host agent: subscribes to its host's rules on the controller and keeps
// the datapath holding exactly them. Level-triggered: every update re-applies
// the whole desired set. Losing the controller never touches the datapath.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { HostRule, RuleTarget } from "../core/assignments.js";
import type { PathResult } from "../core/model.js";
import type { Datapath, DatapathRule, RuleCounters } from "../datapath/types.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { pathUpdateFromProto } from "../api/convert.js";
import type { PathUpdateView } from "../api/types.js";
import { appCgroupId, defaultAppCgroupRoot } from "./cgroups.js";
import { CAIRN_MAX_SEGMENTS } from "../datapath/layout.js";
import { compareRules, DEFAULT_MAX_RULES, RuleIdAllocator } from "./rule-ids.js";

export const AGENT_VERSION = "cairn-agent/0.1.0";

export interface AgentOptions {
  /** Controller base URL, e.g. "http://[::1]:50051". */
  controllerUrl: string;
  /** This host's name in the topology. */
  host: string;
  /** The host's uplink interface (datapath attach point). */
  interface: string;
  /** bpffs directory for pinned maps; default /sys/fs/bpf/cairn/<host>. */
  pinDir?: string;
  /** Directory holding one cgroup per app; default <cgroup2 mount>/cairn/apps. */
  appCgroupRoot?: string;
  /** Injected datapath (tests); default: ../datapath/datapath.js openDatapath(). Not closed by stop() when injected. */
  datapath?: Datapath;
  /** Write status JSON here (atomically) on every change and every statusIntervalMs. */
  statusFile?: string;
  statusIntervalMs?: number;
  /** Reconnect backoff: doubles from initialMs up to maxMs, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** HTTP/2 PINGs on the controller connection. */
  keepalive?: { intervalMs: number; timeoutMs: number };
  /** Datapath rule id space: ids 1..maxRules-1 (CAIRN_MAX_RULES). */
  maxRules?: number;
  agentVersion?: string;
  /** One line per state change. Default: stderr. */
  log?: (line: string) => void;
}

export type AgentState = "starting" | "connecting" | "connected" | "disconnected" | "stopped" | "failed";

export interface AgentRuleStatus {
  key: string;
  intent: string;
  priority: number;
  app: string | null;
  prefix: string;
  protocol: number;
  portFrom: number;
  portTo: number;
  /**
   * installed: in the datapath (with no segments when plain IGP forwarding
   * already follows the path: then counted, not modified); infeasible: the
   * controller found no path; error: could not be installed (see reason).
   */
  state: "installed" | "infeasible" | "error";
  reason: string | null;
  ruleId: number | null;
  nodes: string[];
  segments: string[];
  packets: number;
  bytes: number;
}

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
  /** Connected, and the datapath holds the latest version without errors. */
  synced: boolean;
  lastError: string | null;
  updatedAt: string;
  rules: AgentRuleStatus[];
}

export interface AgentHandle {
  /** Stops the subscription; leaves the datapath as it is. */
  stop(): Promise<void>;
  status(): AgentStatus;
  /** Settles when the agent ends: resolves after stop(), rejects on a fatal error (datapath cannot be opened). */
  done: Promise<void>;
}

export const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 5_000 };
export const DEFAULT_AGENT_KEEPALIVE = { intervalMs: 10_000, timeoutMs: 5_000 };

export function defaultAgentLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} agent: ${line}\n`);
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number }, random = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = cause && typeof cause === "object" && "code" in cause ? String((cause as { code: unknown }).code) : "";
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The real datapath (libbpf via koffi), loaded lazily so that the agent's logic runs and tests without it. */
async function openDefaultDatapath(ifname: string, pinDir: string): Promise<Datapath> {
  const { openDatapath } = await import("../datapath/datapath.js");
  const { enableSrhDelivery } = await import("../datapath/srh-delivery.js");
  // Open first: it checks the interface before anything on the host changes.
  const datapath = openDatapath({ interface: ifname, pinDir });
  try {
    enableSrhDelivery(ifname);
  } catch (e) {
    datapath.close();
    throw e;
  }
  return datapath;
}

/**
 * What this datapath (v1: one IPv6 prefix per rule, for an app or any process) can install of a rule:
 * its first IPv6 target, or why the rule needs host datapath v2.
 */
function v1Target(rule: HostRule): { target: RuleTarget } | { reason: string } {
  const m = rule.match;
  const needs = rule.dns !== undefined ? "a DNS destination" : m.cgroup !== undefined ? "match.cgroup" : m.user !== undefined ? "match.user" : m.source !== undefined ? "match.source" : null;
  if (needs) return { reason: `${needs} needs host datapath v2` };
  const target = rule.targets.find((t) => t.prefix.includes(":"));
  return target ? { target } : { reason: "no IPv6 target (IPv4 needs host datapath v2)" };
}

function v1Result(rule: HostRule): PathResult | undefined {
  const t = v1Target(rule);
  return "target" in t ? t.target.result : undefined;
}

export function runAgent(opts: AgentOptions): AgentHandle {
  const log = opts.log ?? defaultAgentLog;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const keepalive = opts.keepalive ?? DEFAULT_AGENT_KEEPALIVE;
  const statusIntervalMs = opts.statusIntervalMs ?? 1_000;
  const allocator = new RuleIdAllocator(opts.maxRules ?? DEFAULT_MAX_RULES);

  const desired = new Map<string, HostRule>();
  let generation: string | null = null;
  let version = 0n;
  let appliedVersion = 0n;
  let state: AgentState = "starting";
  let lastError: string | null = null;
  /** Rules that could not be installed, by key. */
  let problems = new Map<string, string>();
  /** Ids of the rules the datapath holds (after the last successful apply). */
  let installed = new Map<string, number>();
  let retryApply = false;
  let datapath: Datapath | null = opts.datapath ?? null;
  let ownsDatapath = false;
  let appRoot: string | null = opts.appCgroupRoot ?? null;
  let statusTimer: NodeJS.Timeout | null = null;
  const stopCtl = new AbortController();

  const ruleCount = () => `${installed.size} installed, ${[...desired.values()].filter((r) => v1Result(r)?.ok === false).length} infeasible, ${problems.size} failed`;

  function cgroupIdFor(app: string | undefined): bigint {
    if (app === undefined) return 0n;
    appRoot ??= defaultAppCgroupRoot();
    return appCgroupId(appRoot, app);
  }

  /** Makes the datapath hold the desired rules. Never throws. */
  function applyDesired(): void {
    if (!datapath) return;
    const sorted = [...desired.values()].sort(compareRules);
    const nextProblems = new Map<string, string>();
    const candidates: { rule: HostRule; target: RuleTarget; cgroupId: bigint }[] = [];
    let retryable = false;
    for (const rule of sorted) {
      const v1 = v1Target(rule);
      if ("reason" in v1) {
        nextProblems.set(rule.key, v1.reason);
        continue;
      }
      const { target } = v1;
      if (!target.result.ok) continue;
      const nsegs = target.result.path.segments.length;
      if (nsegs > CAIRN_MAX_SEGMENTS) {
        nextProblems.set(rule.key, `the path needs ${nsegs} segments; the datapath holds at most ${CAIRN_MAX_SEGMENTS}`);
        continue;
      }
      if (candidates.length >= allocator.capacity) {
        nextProblems.set(rule.key, `no free rule id: the datapath holds at most ${allocator.capacity} rules`);
        continue;
      }
      try {
        candidates.push({ rule, target, cgroupId: cgroupIdFor(rule.match.app) });
      } catch (e) {
        nextProblems.set(rule.key, `app cgroup for "${rule.match.app}": ${errorText(e)}`);
        retryable = true;
      }
    }
    const ids = allocator.assign(candidates.map((c) => c.rule));
    const dpRules: DatapathRule[] = candidates.map(({ rule, target, cgroupId }) => ({
      ruleId: ids.get(rule.key)!,
      cgroupId,
      prefix: target.prefix,
      protocol: rule.match.protocol,
      portFrom: rule.match.portFrom,
      portTo: rule.match.portTo,
      segments: target.result.ok ? target.result.path.segments.map((s) => s.sid) : [],
    }));
    for (const [key, why] of nextProblems) if (problems.get(key) !== why) log(`rule ${key} not installed: ${why}`);
    problems = nextProblems;
    try {
      datapath.apply(dpRules);
      installed = ids;
      appliedVersion = version;
      if (lastError !== null) log("datapath apply succeeded again");
      lastError = null;
      retryApply = retryable;
    } catch (e) {
      const msg = `datapath apply failed: ${errorText(e)}`;
      if (msg !== lastError) log(msg);
      lastError = msg;
      retryApply = true;
    }
  }

  function handleUpdate(u: PathUpdateView): void {
    if (u.host !== opts.host) throw new Error(`controller sent an update for host "${u.host}", expected "${opts.host}"`);
    if (u.full) {
      if (generation !== null && generation !== u.generation) {
        log(`controller generation changed (${generation} -> ${u.generation}): resyncing from its snapshot`);
      }
      desired.clear();
      for (const r of u.upserts) desired.set(r.key, r);
      generation = u.generation;
      version = u.version;
    } else {
      if (generation === null || u.generation !== generation) {
        throw new Error(`delta for generation ${u.generation} without its snapshot; resubscribing`);
      }
      if (u.version <= version) {
        log(`ignoring stale update v${u.version} (have v${version})`);
        return;
      }
      for (const k of u.removedKeys) desired.delete(k);
      for (const r of u.upserts) desired.set(r.key, r);
      version = u.version;
    }
    applyDesired();
    log(
      `${u.full ? "snapshot" : "delta"} v${u.version}: ${u.upserts.length} upserts, ${u.removedKeys.length} removals; ` +
        `${desired.size} rules (${ruleCount()})`,
    );
    writeStatus();
  }

  function status(): AgentStatus {
    let counters = new Map<number, RuleCounters>();
    if (datapath && installed.size > 0) {
      try {
        counters = datapath.counters();
      } catch {
        // counters are best effort
      }
    }
    const rules = [...desired.values()].sort(compareRules).map((r): AgentRuleStatus => {
      const id = installed.get(r.key);
      const c = id !== undefined ? counters.get(id) : undefined;
      const problem = problems.get(r.key);
      const v1 = v1Target(r);
      const result = "target" in v1 ? v1.target.result : undefined;
      return {
        key: r.key,
        intent: r.intent,
        priority: r.priority,
        app: r.match.app ?? null,
        prefix: "target" in v1 ? v1.target.prefix : (r.targets[0]?.prefix ?? ""),
        protocol: r.match.protocol,
        portFrom: r.match.portFrom,
        portTo: r.match.portTo,
        state: result?.ok === false
          ? "infeasible"
          : problem
            ? "error"
            : id !== undefined
              ? "installed"
              : "error",
        reason: result?.ok === false
          ? result.reason
          : (problem ??
            (id !== undefined ? null : (lastError ?? "not installed yet"))),
        ruleId: id ?? null,
        nodes: result?.ok ? result.path.nodes : [],
        segments: result?.ok ? result.path.segments.map((s) => s.sid) : [],
        packets: c ? Number(c.packets) : 0,
        bytes: c ? Number(c.bytes) : 0,
      };
    });
    const connected = state === "connected";
    return {
      host: opts.host,
      controllerUrl: opts.controllerUrl,
      interface: opts.interface,
      pid: process.pid,
      state,
      connected,
      generation,
      version: Number(version),
      appliedVersion: Number(appliedVersion),
      synced: connected && version > 0n && appliedVersion === version && lastError === null && problems.size === 0,
      lastError,
      updatedAt: new Date().toISOString(),
      rules,
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

  function tick(): void {
    if (retryApply) applyDesired();
    writeStatus();
  }

  /**
   * One HTTP/2 connection manager for the agent's lifetime: it reconnects by
   * itself after errors and GOAWAYs. It is only replaced when an attempt gets
   * no snapshot in time (e.g. a connection stuck before HTTP/2 settings).
   * Aborting it right after a PING timeout would race with the session's own
   * error event, so failures alone never abort it.
   */
  const newSessionManager = () =>
    new Http2SessionManager(opts.controllerUrl, {
      pingIntervalMs: keepalive.intervalMs,
      pingTimeoutMs: keepalive.timeoutMs,
      pingIdleConnection: false,
    });
  let sessionManager = newSessionManager();

  async function loop(): Promise<void> {
    let attempt = 0;
    let lastFailure: string | null = null;
    const snapshotTimeoutMs = keepalive.intervalMs + keepalive.timeoutMs;
    while (!stopCtl.signal.aborted) {
      const streamCtl = new AbortController();
      const onStop = () => streamCtl.abort();
      stopCtl.signal.addEventListener("abort", onStop, { once: true });
      let gotSnapshot = false;
      let stalled = false;
      const watchdog = setTimeout(() => {
        if (gotSnapshot) return;
        stalled = true;
        streamCtl.abort();
      }, snapshotTimeoutMs);
      const client = createClient(CairnService, createGrpcTransport({ baseUrl: opts.controllerUrl, sessionManager }));
      if (state !== "disconnected") state = "connecting";
      let reason = "controller ended the stream";
      try {
        const stream = client.subscribe(
          { host: opts.host, agentVersion: opts.agentVersion ?? AGENT_VERSION },
          { signal: streamCtl.signal },
        );
        for await (const msg of stream) {
          gotSnapshot = true;
          const update = pathUpdateFromProto(msg);
          if (state !== "connected") {
            state = "connected";
            attempt = 0;
            lastFailure = null;
            log(`connected to ${opts.controllerUrl} as ${opts.host} (generation ${update.generation})`);
          }
          handleUpdate(update);
        }
      } catch (e) {
        reason = errorText(e);
      } finally {
        clearTimeout(watchdog);
        stopCtl.signal.removeEventListener("abort", onStop);
      }
      if (stopCtl.signal.aborted) break;
      if (stalled) {
        reason = `no snapshot within ${snapshotTimeoutMs} ms`;
        sessionManager.abort();
        sessionManager = newSessionManager();
      }
      if (state === "connected") {
        log(`lost controller ${opts.controllerUrl}: ${reason}; keeping ${installed.size} installed rules, reconnecting`);
      } else if (reason !== lastFailure) {
        log(`cannot reach controller ${opts.controllerUrl}: ${reason}; retrying with backoff`);
      }
      lastFailure = reason;
      state = "disconnected";
      writeStatus();
      await sleep(backoffDelay(attempt++, backoff), stopCtl.signal);
    }
  }

  const done = (async () => {
    if (!datapath) {
      const pinDir = opts.pinDir ?? `/sys/fs/bpf/cairn/${opts.host}`;
      try {
        datapath = await openDefaultDatapath(opts.interface, pinDir);
        ownsDatapath = true;
      } catch (e) {
        state = "failed";
        lastError = `cannot open datapath on ${opts.interface} (pins ${pinDir}): ${errorText(e)}`;
        log(lastError);
        writeStatus();
        throw new Error(lastError, { cause: e });
      }
    }
    if (stopCtl.signal.aborted) return;
    statusTimer = setInterval(tick, statusIntervalMs);
    statusTimer.unref();
    writeStatus();
    await loop();
  })();
  done.catch(() => {}); // reported through `done` and the log

  let stopping: Promise<void> | null = null;
  return {
    status,
    done,
    stop() {
      stopping ??= (async () => {
        stopCtl.abort();
        await done.catch(() => {});
        if (statusTimer) clearInterval(statusTimer);
        if (state !== "failed") state = "stopped";
        writeStatus();
        sessionManager.abort();
        log(`stopped; ${installed.size} rules stay installed`);
        if (ownsDatapath && datapath) datapath.close();
      })();
      return stopping;
    },
  };
}
