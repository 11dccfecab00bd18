// One simulated agent: the real agent's controller link (its own HTTP/2 connection, client
// certificate, backoff, keepalive) and rule store, with the datapath and the prober replaced by a
// model of the network: a path is down when it crosses a failed link or router, else up. Like the
// agent, it reports at once after applying a new version (the acknowledgement), its new paths still
// `unknown`, and again once their first probes would have come back.
import { toBinary } from "@bufbuild/protobuf";
import { ControllerLink, DEFAULT_AGENT_KEEPALIVE, DEFAULT_BACKOFF } from "../agent/controller-link.js";
import { DesiredRules } from "../agent/desired-rules.js";
import { realClock } from "../agent/clock.js";
import { reportStatus } from "../api/client.js";
import type { ClientCredentials } from "../api/credentials.js";
import { pathUpdateToProto } from "../api/convert.js";
import { PathUpdateSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import type { AgentReportView, PathHealthView, PathUpdateView } from "../api/types.js";
import type { PathState } from "../core/elements.js";
import type { HostRule } from "../core/assignments.js";

/** What the network is doing: the failed elements. */
export interface Network {
  links: ReadonlySet<string>;
  routers: ReadonlySet<string>;
}

/** A path the agent probes: its identity is its probe SID list. */
export interface ProbedPath {
  probeSids: string[];
  routers: string[];
  links: string[];
  uses: PathHealthView["uses"];
}

/** One update taken and acknowledged: times are ms since the epoch (performance.timeOrigin + now). */
export interface UpdateRecord {
  host: string;
  version: number;
  full: boolean;
  bytes: number;
  receivedAt: number;
  ackedAt: number;
}

/** A report's deadline, and the wait (1–2×, jittered) before a failed one is made again. */
const REPORT_TIMEOUT_MS = 30_000;
const RETRY_MS = 2_000;

export const wallNow = () => performance.timeOrigin + performance.now();

/** The distinct probed paths of the rules (primaries and backups) and the watch probes. */
export function probedPaths(rules: readonly HostRule[], watch: PathUpdateView["watch"]): ProbedPath[] {
  const out = new Map<string, ProbedPath>();
  const add = (sids: string[], routers: string[], links: string[], use: PathHealthView["uses"][number] | null) => {
    const id = sids.join(",");
    const p = out.get(id) ?? { probeSids: sids, routers, links, uses: [] };
    if (use) p.uses.push(use);
    out.set(id, p);
  };
  for (const r of rules) {
    for (const t of r.targets) {
      if (!t.result.ok || !t.probes) continue;
      add(t.probes.primary, t.result.path.nodes, t.result.path.links, { rule: r.key, prefix: t.prefix, role: "primary", active: true });
      if (t.probes.backup && t.result.backup) add(t.probes.backup, t.result.backup.nodes, t.result.backup.links, { rule: r.key, prefix: t.prefix, role: "backup", active: false });
    }
  }
  for (const w of watch ?? []) if (!out.has(w.probeSids.join(","))) add(w.probeSids, w.routers, w.links, null);
  return [...out.values()];
}

export function crosses(p: { routers: string[]; links: string[] }, net: Network): boolean {
  return p.links.some((l) => net.links.has(l)) || p.routers.some((r) => net.routers.has(r));
}

/** How reports reach the controller: messages on the agent's session (as the agent does), or a ReportStatus call each (as before AgentSession, to compare). */
export type ReportsAs = "messages" | "calls";

export interface SimAgentOptions {
  url: string;
  /** Every replica's URL (url first), when the controller runs as replicas. */
  urls?: string[];
  host: string;
  credentials: ClientCredentials;
  network: () => Network;
  /** After a new path is installed, its first probes' verdict comes this much later. */
  probeVerdictMs: number;
  /** The agent's keepalive PING timeout (ms). */
  keepaliveTimeoutMs: number;
  reportsAs: ReportsAs;
  onUpdate: (r: UpdateRecord) => void;
  /** An update arrived (before it is applied and acknowledged). */
  onReceived?: () => void;
  onError: (host: string, message: string) => void;
}

export class SimAgent {
  private readonly store: DesiredRules;
  private readonly link: ControllerLink;
  /** Probe id → state and since (ms), as last reported. */
  private readonly seen = new Map<string, { state: PathState; sinceMs: number }>();
  private verdictTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Updates applied whose acknowledging report has not gone through yet. */
  private readonly unacked: UpdateRecord[] = [];
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: SimAgentOptions) {
    this.store = new DesiredRules(o.host);
    this.link = new ControllerLink({
      url: o.url,
      ...(o.urls ? { urls: o.urls } : {}),
      holds: () => this.store.holds(),
      credentials: o.credentials,
      host: o.host,
      agentVersion: "fleet-sim",
      backoff: DEFAULT_BACKOFF,
      keepalive: { ...DEFAULT_AGENT_KEEPALIVE, timeoutMs: o.keepaliveTimeoutMs },
      clock: realClock,
      log: () => {},
      onUpdate: (u) => this.take(u),
      onState: (s, detail) => {
        if (s === "disconnected" && !this.stopped) o.onError(o.host, detail ?? "disconnected");
        // As the agent does: a report at once on every (re)connection, so that one lost with the
        // connection (to a replica that died) is made again to the one it moved to.
        if (s === "connected" && this.store.known) this.report(null);
      },
    });
  }

  /** The elements this agent's probed paths cross (for choosing what to fail). */
  paths(): ProbedPath[] {
    return probedPaths(this.store.rules(), this.store.watch());
  }

  /** The network changed: report if any probed path changed state (as the prober would). */
  networkChanged(): void {
    if (!this.store.known) return;
    const net = this.o.network();
    if (this.paths().some((p) => this.seen.get(p.probeSids.join(","))?.state !== this.stateOf(p, net, true))) this.report(null);
  }

  private take(u: PathUpdateView): void {
    const receivedAt = wallNow();
    const outcome = this.store.take(u);
    if (outcome === "stale" || outcome === "resumed") return;
    this.o.onReceived?.();
    const bytes = toBinary(PathUpdateSchema, pathUpdateToProto(u)).length;
    const record = { host: this.o.host, version: Number(u.version), full: u.full, bytes, receivedAt, ackedAt: 0 };
    // Calls: the acknowledging report (new paths unknown), as agents did before sessions.
    if (this.o.reportsAs === "calls") this.report(record);
    else this.acknowledge(record);
  }

  /** As the agent does on a session: an acknowledgement at once, then the report once the new paths' probes have their verdict. */
  private acknowledge(record: UpdateRecord): void {
    this.inOrder(record, "ack", async () => {
      const { topology, intents } = this.store.revisions;
      await this.link.ack({ generation: this.store.generation ?? "", appliedVersion: this.store.version, topologyRevision: topology, intentsRevision: intents }, REPORT_TIMEOUT_MS);
      return true;
    });
  }

  private stateOf(p: ProbedPath, net: Network, verdict: boolean): PathState {
    if (crosses(p, net)) return "down";
    return verdict ? "up" : "unknown";
  }

  /** Reports in order (one at a time, as the agent does); `ack` is the update this report acknowledges. */
  private report(ack: UpdateRecord | null): void {
    this.inOrder(ack, "report", async (acking) => {
      const view = this.view(!acking);
      if (this.o.reportsAs === "calls") await reportStatus(this.link.client(), view, { timeoutMs: REPORT_TIMEOUT_MS });
      else await this.link.report(view, REPORT_TIMEOUT_MS);
      return (view.paths ?? []).some((p) => p.state === "unknown");
    });
  }

  /**
   * Sends one message at a time, in order, carrying every update not yet acknowledged (a failed
   * message's too: as the agent's periodic report would, the next one carries them). `send` says
   * whether probe verdicts are still to come (then a report follows once they are).
   */
  private inOrder(ack: UpdateRecord | null, what: string, send: (acking: boolean) => Promise<boolean>): void {
    if (ack) this.unacked.push(ack);
    this.sending = this.sending.then(async () => {
      if (this.stopped) return;
      const acks = this.unacked.splice(0);
      let verdictsDue = false; // after a failure the retry reports, and schedules what it needs
      try {
        verdictsDue = await send(acks.length > 0);
        const ackedAt = wallNow();
        for (const a of acks) this.o.onUpdate({ ...a, ackedAt });
      } catch (e) {
        this.o.onError(this.o.host, `${what}: ${(e as Error).message}`);
        this.unacked.unshift(...acks);
        this.scheduleRetry();
      }
      if (verdictsDue) this.scheduleVerdict();
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.report(null);
    }, RETRY_MS * (1 + Math.random()));
  }

  private scheduleVerdict(): void {
    if (this.verdictTimer) return;
    this.verdictTimer = setTimeout(() => {
      this.verdictTimer = null;
      this.report(null);
    }, this.o.probeVerdictMs);
  }

  private view(verdicts: boolean): AgentReportView {
    const now = Date.now();
    const net = this.o.network();
    const rules = this.store.rules();
    const paths: PathHealthView[] = this.paths().map((p) => {
      const id = p.probeSids.join(",");
      const before = this.seen.get(id);
      // A path seen before has had its probes' verdict; a new one is `unknown` until the next report.
      const state = this.stateOf(p, net, verdicts || (before !== undefined && before.state !== "unknown"));
      const sinceMs = before && before.state === state ? before.sinceMs : now;
      this.seen.set(id, { state, sinceMs });
      const up = state === "up";
      return {
        ...p,
        state,
        since: new Date(sinceMs).toISOString(),
        loss: state === "down" ? 1 : 0,
        rttMinUs: up ? 1000 : 0,
        rttAvgUs: up ? 1000 : 0,
        rttP99Us: up ? 1000 : 0,
        probesSent: 100,
        probesReceived: up ? 100 : 0,
        intervalMs: 10,
        misses: 3,
      };
    });
    return {
      host: this.o.host,
      generation: this.store.generation ?? "",
      appliedVersion: Number(this.store.version),
      topologyRevision: this.store.revisions.topology,
      intentsRevision: this.store.revisions.intents,
      reportedAt: new Date(now).toISOString(),
      rules: rules.map((r) => ({
        key: r.key,
        state: "installed",
        reason: "",
        prefixes: r.targets.map((t) => t.prefix),
        active: "primary",
        steeredPackets: 0,
        steeredBytes: 0,
        unsteeredPackets: 0,
        droppedPackets: 0,
      })),
      datapathDrops: {},
      paths,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.verdictTimer) clearTimeout(this.verdictTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.link.stop();
  }
}
