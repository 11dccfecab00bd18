// The agent's connection to the controller: one long-lived Subscribe stream over HTTP/2 (gRPC),
// reconnecting with backoff, watched by HTTP/2 PINGs; and the client for the agent's reports.
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, type Http2SessionManager } from "@connectrpc/connect-node";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "../api/credentials.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { pathUpdateFromProto } from "../api/convert.js";
import type { PathUpdateView } from "../api/types.js";
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

export class ControllerLink {
  private readonly stopCtl = new AbortController();
  private sessionManager: Http2SessionManager;
  private state: LinkState = "connecting";
  readonly done: Promise<void>;

  constructor(private readonly o: ControllerLinkOptions) {
    this.sessionManager = this.newSessionManager();
    this.done = this.loop();
  }

  /** A Connect client on the link's HTTP/2 connection (for reports). */
  client(): Client<typeof CairnService> {
    return createClient(CairnService, createGrpcTransport({ baseUrl: this.o.url, sessionManager: this.sessionManager, interceptors: credentialInterceptors(this.o.credentials) }));
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  /**
   * One HTTP/2 connection manager for the agent's lifetime: it reconnects by itself after errors and
   * GOAWAYs. It is only replaced when an attempt gets no snapshot in time (e.g. a connection stuck
   * before HTTP/2 settings). Aborting it right after a PING timeout would race with the session's
   * own error event, so failures alone never abort it.
   */
  private newSessionManager(): Http2SessionManager {
    return sessionManagerFor(this.o.url, this.o.credentials, {
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
        const stream = this.client().subscribe({ host: o.host, agentVersion: o.agentVersion }, { signal: streamCtl.signal });
        for await (const msg of stream) {
          gotSnapshot = true;
          const update = pathUpdateFromProto(msg);
          if (this.state !== "connected") {
            attempt = 0;
            lastFailure = null;
            o.log(`connected to ${o.url} as ${o.host} (generation ${update.generation})`);
            this.setState("connected", null);
          }
          o.onUpdate(update);
        }
      } catch (e) {
        reason = errorText(e);
      } finally {
        clearTimeout(watchdog);
        this.stopCtl.signal.removeEventListener("abort", onStop);
      }
      if (this.stopCtl.signal.aborted) break;
      if (stalled) {
        reason = `no snapshot within ${snapshotTimeoutMs} ms`;
        this.sessionManager.abort();
        this.sessionManager = this.newSessionManager();
      }
      if (this.state === "connected") o.log(`lost controller ${o.url}: ${reason}; keeping the installed rules, reconnecting`);
      else if (reason !== lastFailure) o.log(`cannot reach controller ${o.url}: ${reason}; retrying with backoff`);
      lastFailure = reason;
      this.setState("disconnected", reason);
      await this.sleep(backoffDelay(attempt++, o.backoff));
    }
  }

  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.done.catch(() => {});
    this.sessionManager.abort();
  }
}
