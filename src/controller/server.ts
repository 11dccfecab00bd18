// The controller process: CairnService (service.ts) over HTTP/2 cleartext (gRPC
// for agents, Connect JSON for curl and the operator CLI), one listener per address.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { rename, writeFile } from "node:fs/promises";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Intent, Topology } from "../core/model.js";
import { SubscriptionHub } from "./hub.js";
import { ReportStore } from "./reports.js";
import { cairnRoutes, kPeer } from "./service.js";
import { createControllerState } from "./state.js";
import type { HostDelta } from "./state.js";
import { realClock, type Clock } from "./clock.js";
import { DEFAULT_EVENTS_CAPACITY, EventLog } from "./events.js";
import { Liveliness } from "./liveliness.js";
import { PushTracker } from "./pushes.js";
import { AuditLog } from "./audit.js";
import { IntentsApplier } from "./intents-apply.js";
import { DEFAULT_DATAPATH_LIMITS, limitViolations, type DatapathLimitsConfig } from "./limits.js";
import { formatIntentsYaml } from "../config/intents-yaml.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ControllerOptions {
  topology: Topology;
  intents: Intent[];
  /** Where the initial intents came from; shown by ListIntents, and the target of persistIntents. */
  intentsFile?: string;
  listen: ListenAddress[];
  /** Write successfully applied intents back to intentsFile (atomically), so a restart keeps them. Default false. */
  persistIntents?: boolean;
  /** HTTP/2 PINGs to every connection; a connection not answering within timeoutMs is dropped. */
  keepalive?: { intervalMs: number; timeoutMs: number };
  /** One line per notable event. Default: stderr. */
  log?: (line: string) => void;
  /** Controller instance id sent to agents; default random. */
  generation?: string;
  /** How long probes must show a marked link or node healthy before it is cleared; default 3 s. */
  holdDownMs?: number;
  /** Agents' reports older than this are no evidence for localisation; default 10 s. */
  staleAfterMs?: number;
  /** Events kept in memory (the ring ListEvents and WatchEvents read); default 1000. */
  eventsCapacity?: number;
  /** Time for liveliness (hold-downs, staleness, event times); default the real clock. */
  clock?: Clock;
  /**
   * Append one JSON line per intents change (and refusal, and the set loaded at the start) to this
   * file, fsync'd before the change takes effect; revisions carry on from the file's last one.
   */
  auditLog?: string;
  /** The agents' datapath limits intent sets are checked against; default the agents' defaults. */
  datapathLimits?: Partial<DatapathLimitsConfig>;
}

export interface ControllerHandle {
  close(): Promise<void>;
  /** One base URL per listen address, e.g. "http://[::1]:50051". */
  urls: string[];
}

export const DEFAULT_KEEPALIVE = { intervalMs: 10_000, timeoutMs: 5_000 };
const CLOSE_GRACE_MS = 1_000;
const SNIFF_TIMEOUT_MS = 10_000;

export function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} controller: ${line}\n`);
}

function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } | null | undefined): string {
  if (!socket?.remoteAddress) return "unknown";
  return formatHostPort(socket.remoteAddress, socket.remotePort ?? 0);
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, "utf8");
  await rename(tmp, path);
}

/** HTTP/2 PINGs on a server session; destroys it when a PING goes unanswered. */
function keepSessionAlive(session: http2.ServerHttp2Session, intervalMs: number, timeoutMs: number): void {
  const timer = setInterval(() => {
    if (session.closed || session.destroyed) return;
    const deadline = setTimeout(() => {
      if (!session.destroyed) session.destroy(new Error("keepalive PING timed out"));
    }, timeoutMs);
    deadline.unref();
    try {
      const sent = session.ping((err) => {
        clearTimeout(deadline);
        if (err && !session.destroyed) session.destroy(err);
      });
      if (!sent) clearTimeout(deadline);
    } catch {
      clearTimeout(deadline);
    }
  }, intervalMs);
  timer.unref();
  session.once("close", () => clearInterval(timer));
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n");

/**
 * Node's own http2 client sends an IPv6 :authority without brackets
 * ("::1:50051"), which is not a valid URL authority and makes the Connect
 * adapter throw; bracket it. Missing authorities get a placeholder.
 */
function normalizeAuthority(req: http.IncomingMessage | http2.Http2ServerRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const key = "authority" in req ? ":authority" : "host";
  const a = headers[key];
  if (typeof a === "string" && a !== "") {
    try {
      new URL(`http://${a}`);
      return;
    } catch {
      const m = /^(.*):(\d+)$/.exec(a);
      const fixed = m && m[1]!.includes(":") ? `[${m[1]}]:${m[2]}` : a.includes(":") ? `[${a}]` : "";
      headers[key] = fixed || "localhost";
      return;
    }
  }
  headers[key] = "localhost";
}

/** The adapter, made safe for odd requests: a throw must never reach the server's event emitter. */
function safeHandler(handler: ReturnType<typeof connectNodeAdapter>) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    try {
      normalizeAuthority(req);
      handler(req, res);
    } catch (e) {
      try {
        if (!res.headersSent) {
          res.writeHead(400, { "content-type": "text/plain" });
          res.end(`bad request: ${e instanceof Error ? e.message : String(e)}\n`);
        } else res.destroy();
      } catch {
        // connection already gone
      }
    }
  };
}

interface Listener {
  url: string;
  close(): Promise<void>;
}

/**
 * One TCP listener that hands HTTP/2 (prior knowledge, as gRPC clients and
 * `curl --http2-prior-knowledge` use) to an http2 server and anything else to
 * an HTTP/1.1 server, both serving the same handler — so plain `curl -d`
 * works too.
 */
async function listen(
  addr: ListenAddress,
  handler: ReturnType<typeof connectNodeAdapter>,
  keepalive: { intervalMs: number; timeoutMs: number },
): Promise<Listener> {
  const safe = safeHandler(handler);
  const h2 = http2.createServer({}, safe);
  const h1 = http.createServer(safe);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
    s.on("error", () => {}); // reported through the streams; never crash the controller
    keepSessionAlive(s, keepalive.intervalMs, keepalive.timeoutMs);
  });
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let seen = Buffer.alloc(0);
    // A connection that never says which protocol it speaks is dropped.
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && seen.length < H2_PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(seen);
      if (isH2) {
        // The http2 session takes over the socket and drains what is buffered.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen({ host: addr.host, port: addr.port }, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const bound = tcp.address() as net.AddressInfo;
  return {
    url: `http://${formatHostPort(addr.host, bound.port)}`,
    async close() {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const s of sessions) if (!s.closed) s.close();
      h1.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const log = opts.log ?? defaultLog;
  const keepalive = opts.keepalive ?? DEFAULT_KEEPALIVE;
  const state = createControllerState(opts.topology, opts.intents, opts.generation ? { generation: opts.generation } : {});
  const limits = { ...DEFAULT_DATAPATH_LIMITS, ...opts.datapathLimits };
  if (!Number.isInteger(limits.maxRules) || limits.maxRules < 2) throw new Error(`the agents' max rules must be a whole number ≥ 2, got ${limits.maxRules}`);
  const tooBig = limitViolations(state.hosts(), new Map(), new Map(state.hosts().map((h) => [h, state.snapshot(h)!.rules])), limits);
  if (tooBig.length > 0) throw new Error(`the intents${opts.intentsFile ? ` of ${opts.intentsFile}` : ""} do not fit the hosts' datapaths:\n${tooBig.map((v) => v.message).join("\n")}`);
  const hub = new SubscriptionHub(state);
  const clock = opts.clock ?? realClock;
  const events = new EventLog(clock, opts.eventsCapacity ?? DEFAULT_EVENTS_CAPACITY);
  const pushes = new PushTracker(events, clock, state.generation);
  const reports = new ReportStore(() => new Date(clock.now()));
  const publish = (deltas: HostDelta[], cause: number) => {
    hub.publish(deltas);
    pushes.pushed(deltas, cause);
  };
  const audit = opts.auditLog !== undefined ? await AuditLog.open(opts.auditLog) : undefined;
  const applier = new IntentsApplier({
    state,
    events,
    publish,
    log,
    clock,
    limits,
    source: opts.intentsFile ?? "",
    ...(audit ? { audit } : {}),
    ...(opts.persistIntents && opts.intentsFile ? { persist: (intents: Intent[]) => writeFileAtomic(opts.intentsFile!, formatIntentsYaml(intents)) } : {}),
  });
  try {
    await applier.loaded();
  } catch (e) {
    await audit?.close();
    throw e;
  }
  const liveliness = new Liveliness(
    { state, reports, events, publish, log },
    { clock, ...(opts.holdDownMs !== undefined ? { holdDownMs: opts.holdDownMs } : {}), ...(opts.staleAfterMs !== undefined ? { staleAfterMs: opts.staleAfterMs } : {}) },
  );

  const routes = cairnRoutes({ state, hub, reports, events, pushes, liveliness, publish, log, applier });

  const handler = connectNodeAdapter({
    routes,
    contextValues: (req) => createContextValues().set(kPeer, peerOf(req.socket)),
  });

  const listeners: Listener[] = [];
  try {
    for (const addr of opts.listen) listeners.push(await listen(addr, handler, keepalive));
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    await audit?.close();
    throw e;
  }
  const urls = listeners.map((l) => l.url);
  log(
    `listening on ${urls.join(", ")} (generation ${state.generation}; ${state.hosts().length} hosts, ${state.intents().length} intents)`,
  );

  let closing: Promise<void> | null = null;
  return {
    urls,
    close() {
      closing ??= (async () => {
        hub.close();
        events.close();
        liveliness.close();
        await Promise.all(listeners.map((l) => l.close()));
        await audit?.close();
        log("stopped");
      })();
      return closing;
    },
  };
}
