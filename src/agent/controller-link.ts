// The agent's connection to the controller: one long-lived AgentSession stream over HTTP/2 (gRPC)
// that carries the host's updates one way and the agent's reports the other, reconnecting with
// backoff, watched by HTTP/2 PINGs.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createWritableIterable, type WritableIterable } from "@connectrpc/connect/protocol";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { createGrpcTransport, type Http2SessionManager } from "@connectrpc/connect-node";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "../api/credentials.js";
import { AgentMessageSchema, CairnService, type AgentMessage } from "../api/gen/cairn/v1/cairn_pb.js";
import { agentReportToProto, pathUpdateFromProto, reportAckFromProto } from "../api/convert.js";
import type { AgentReportView, PathUpdateView, ReportAckView } from "../api/types.js";
import type { Clock } from "./clock.js";

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface Keepalive {
  intervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 5_000 };
export const DEFAULT_AGENT_KEEPALIVE: Keepalive = { intervalMs: 10_000, timeoutMs: 5_000 };

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, b: Backoff, random = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = cause && typeof cause === "object" && "code" in cause ? String((cause as { code: unknown }).code) : "";
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}

export type LinkState = "connecting" | "connected" | "disconnected";

export interface ControllerLinkOptions {
  url: string;
  /**
   * Every replica's URL (url among them, first): when the one in use goes away the link moves to the
   * next at once, and backs off only after a whole round failed. Default [url].
   */
  urls?: string[];
  /** What the agent holds (generation and version): sent with Subscribe, so that a replica whose state is the same resumes the stream without a snapshot. */
  holds?: () => { generation: string; version: bigint } | null;
  /** The agent's certificate (its identity: its host name) and the CA of the controller's. */
  credentials?: ClientCredentials;
  host: string;
  agentVersion: string;
  backoff: Backoff;
  keepalive: Keepalive;
  clock: Clock;
  log: (line: string) => void;
  /** Called for every update, in order. Throwing ends the stream (the link resubscribes). */
  onUpdate: (u: PathUpdateView) => void;
  onState: (s: LinkState, detail: string | null) => void;
}

/** A report sent on the session, waiting for its answer (answers come in the reports' order). */
interface PendingReport {
  resolve(a: ReportAckView): void;
  reject(e: Error): void;
}

/** The session in use: where reports go, and those not answered yet. */
interface Session {
  requests: WritableIterable<AgentMessage>;
  pending: PendingReport[];
}

export class ControllerLink {
  private readonly stopCtl = new AbortController();
  private session: Session | null = null;
  private sessionManager: Http2SessionManager;
  private state: LinkState = "connecting";
  private readonly urls: string[];
  private index = 0;
  readonly done: Promise<void>;

  constructor(private readonly o: ControllerLinkOptions) {
    this.urls = o.urls && o.urls.length > 0 ? [...o.urls] : [o.url];
    this.sessionManager = this.newSessionManager();
    this.done = this.loop();
  }

  /** The controller (replica) in use. */
  get url(): string {
    return this.urls[this.index]!;
  }

  /** A Connect client on the link's HTTP/2 connection. */
  client(): Client<typeof CairnService> {
    return createClient(CairnService, createGrpcTransport({ baseUrl: this.url, sessionManager: this.sessionManager, interceptors: credentialInterceptors(this.o.credentials) }));
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  /**
   * Sends `report` on the session and waits for the controller's answer: the host's version after
   * it. Rejects when there is no session, when the controller refuses the report (with its code),
   * when the session ends first, or after `timeoutMs`.
   */
  report(report: AgentReportView, timeoutMs: number): Promise<ReportAckView> {
    return this.send({ kind: { case: "report", value: agentReportToProto(report) } }, "report", timeoutMs);
  }

  /**
   * Acknowledges the rules the datapath now holds, ahead of the report that describes them: the
   * controller counts its pushes up to `ack.appliedVersion` as applied. Answered as a report.
   */
  ack(ack: { generation: string; appliedVersion: bigint; topologyRevision: number; intentsRevision: number }, timeoutMs: number): Promise<ReportAckView> {
    const value = { generation: ack.generation, appliedVersion: ack.appliedVersion, topologyRevision: BigInt(ack.topologyRevision), intentsRevision: BigInt(ack.intentsRevision) };
    return this.send({ kind: { case: "ack", value } }, "acknowledgement", timeoutMs);
  }

  private send(message: MessageInitShape<typeof AgentMessageSchema>, what: string, timeoutMs: number): Promise<ReportAckView> {
    const s = this.session;
    if (!s) return Promise.reject(new ConnectError("not connected to the controller", Code.Unavailable));
    return new Promise<ReportAckView>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => settle(() => reject(new ConnectError(`the controller did not answer the ${what} within ${timeoutMs} ms`, Code.DeadlineExceeded))), timeoutMs);
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      // A message that timed out keeps its place: the answers come in order.
      s.pending.push({ resolve: (a) => settle(() => resolve(a)), reject: (e) => settle(() => reject(e)) });
      s.requests.write(create(AgentMessageSchema, message)).catch(() => {
        // The session ended before the report went out: ending it rejects every pending report.
      });
    });
  }

  /**
   * One HTTP/2 connection manager for the agent's lifetime: it reconnects by itself after errors and
   * GOAWAYs. It is only replaced when an attempt gets no snapshot in time (e.g. a connection stuck
   * before HTTP/2 settings). Aborting it right after a PING timeout would race with the session's
   * own error event, so failures alone never abort it.
   */
  private newSessionManager(): Http2SessionManager {
    return sessionManagerFor(this.url, this.o.credentials, {
      pingIntervalMs: this.o.keepalive.intervalMs,
      pingTimeoutMs: this.o.keepalive.timeoutMs,
      pingIdleConnection: false,
    });
  }

  private setState(s: LinkState, detail: string | null): void {
    this.state = s;
    this.o.onState(s, detail);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopCtl.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = this.o.clock.after(ms, done);
      function done() {
        t.cancel();
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async loop(): Promise<void> {
    const { o } = this;
    let attempt = 0;
    /** URLs tried since the last success or the last full round. */
    let triedInRound = 0;
    let lastFailure: string | null = null;
    const snapshotTimeoutMs = o.keepalive.intervalMs + o.keepalive.timeoutMs;
    while (!this.stopCtl.signal.aborted) {
      const streamCtl = new AbortController();
      const onStop = () => streamCtl.abort();
      this.stopCtl.signal.addEventListener("abort", onStop, { once: true });
      let gotSnapshot = false;
      let stalled = false;
      const watchdog = setTimeout(() => {
        if (gotSnapshot) return;
        stalled = true;
        streamCtl.abort();
      }, snapshotTimeoutMs);
      if (this.state !== "disconnected") this.setState("connecting", null);
      let reason = "controller ended the stream";
      try {
        const holds = o.holds?.() ?? null;
        const request = { host: o.host, agentVersion: o.agentVersion, ...(holds ? { generation: holds.generation, version: holds.version } : {}) };
        const requests = createWritableIterable<AgentMessage>();
        const session: Session = { requests, pending: [] };
        this.session = session;
        requests.write(create(AgentMessageSchema, { kind: { case: "subscribe", value: request } })).catch(() => {});
        const stream = this.client().agentSession(requests, { signal: streamCtl.signal });
        for await (const msg of stream) {
          if (msg.kind.case === "reportStatus") {
            session.pending.shift()?.resolve(reportAckFromProto(msg.kind.value));
            continue;
          }
          if (msg.kind.case === "reportRefused") {
            const { code, message } = msg.kind.value;
            session.pending.shift()?.reject(new ConnectError(message, codeFromString(code) ?? Code.Unknown));
            continue;
          }
          if (msg.kind.case !== "update") continue;
          gotSnapshot = true;
          const update = pathUpdateFromProto(msg.kind.value);
          if (this.state !== "connected") {
            attempt = 0;
            triedInRound = 0;
            lastFailure = null;
            const resumed = !update.full && holds !== null && update.generation === holds.generation && update.version === holds.version;
            o.log(`connected to ${this.url} as ${o.host} (generation ${update.generation}${resumed ? `; resumed at v${update.version}, no snapshot needed` : ""})`);
            this.setState("connected", null);
          }
          o.onUpdate(update);
        }
      } catch (e) {
        reason = errorText(e);
      } finally {
        this.endSession(reason);
        clearTimeout(watchdog);
        this.stopCtl.signal.removeEventListener("abort", onStop);
      }
      if (this.stopCtl.signal.aborted) break;
      if (stalled) reason = `no snapshot within ${snapshotTimeoutMs} ms`;
      const from = this.url;
      const wasConnected = this.state === "connected";
      triedInRound++;
      const moving = this.urls.length > 1;
      if (stalled || moving) {
        this.sessionManager.abort();
        if (moving) this.index = (this.index + 1) % this.urls.length;
        this.sessionManager = this.newSessionManager();
      }
      if (wasConnected) o.log(`lost controller ${from}: ${reason}; keeping the installed rules, ${moving ? `moving to ${this.url}` : "reconnecting"}`);
      else if (reason !== lastFailure) o.log(`cannot reach controller ${from}: ${reason}; ${moving ? `trying ${this.url}` : "retrying with backoff"}`);
      lastFailure = reason;
      this.setState("disconnected", reason);
      // Another replica is tried at once; the backoff applies once every one failed in a row.
      if (moving && triedInRound < this.urls.length) continue;
      triedInRound = 0;
      await this.sleep(backoffDelay(attempt++, o.backoff));
    }
  }

  private endSession(reason: string): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    s.requests.close();
    for (const p of s.pending.splice(0)) p.reject(new ConnectError(`the session ended before the controller answered: ${reason}`, Code.Unavailable));
  }

  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.done.catch(() => {});
    this.sessionManager.abort();
  }
}
