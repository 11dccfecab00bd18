// The controller process: CairnService (service.ts) over HTTP/2 with TLS (gRPC for agents,
// Connect JSON for the operator CLI and curl, HTTP/1.1 through ALPN too), one listener per address;
// every caller authenticated (authn.ts) and authorised (authz.ts). Without TLS material it is an
// open controller on loopback only, in cleartext (tests, a laptop).
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
import { Turns } from "./turns.js";
import { authenticate, type Authenticator } from "./authn.js";
import { authorisation } from "./authz.js";
import { ANONYMOUS, kPrincipal } from "./principal.js";
import { createControllerState } from "./state.js";
import type { HostDelta } from "./state.js";
import { realClock, type Clock } from "./clock.js";
import { DEFAULT_EVENTS_CAPACITY, EventLog } from "./events.js";
import { Liveliness } from "./liveliness.js";
import { PushTracker } from "./pushes.js";
import { AuditLog } from "./audit.js";
import { IntentsApplier } from "./intents-apply.js";
import { TopologyChanges } from "./topology-changes.js";
import type { TopologyService } from "./topology-request.js";
import { DEFAULT_DATAPATH_LIMITS, limitViolations, type DatapathLimitsConfig } from "./limits.js";
import { formatIntentsYaml } from "../config/intents-yaml.js";
import { isLoopbackHost } from "../certs/names.js";
import { http2ServerOptions, limitOption, resolveLimits, type ControllerLimits } from "./request-limits.js";
import { guardRequests } from "./request-guard.js";
import { withHttpRoutes } from "./http-routes.js";
import { UiSessions } from "./ui-sessions.js";
import { uiLoginRoute } from "./ui-login-route.js";
import { uiRoute } from "./ui-route.js";
import type { LabFaultsService } from "./lab-faults.js";
import { RejectionCounts } from "./rejections.js";
import { createControllerMetrics } from "./metrics.js";
import { metricsRoute } from "./metrics-route.js";
import { queueCalls } from "./call-queue.js";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { RateLimiter } from "./rate-limit.js";
import { createPathWorkers, DEFAULT_PATH_WORKERS } from "./path-workers.js";
import type { ControllerStore } from "./replicas/store.js";
import { startReplica, type Replica } from "./replicas/replica.js";
import type { ReportSink, ServedState } from "./service.js";
import type { IntentsService } from "./intents-apply.js";

export type { ListenAddress };

/** Authentication and authorisation: TLS with client certificates, or bearer tokens. */
export interface ControllerSecurity {
  tls: TlsMaterial;
  authenticator: Authenticator;
}

export interface ControllerOptions {
  topology: Topology;
  intents: Intent[];
  /** Where the initial intents came from; shown by ListIntents, and the target of persistIntents. */
  intentsFile?: string;
  /**
   * With `security`: TLS listeners, every caller authenticated and authorised. Without: an open
   * controller (no authentication), which listens only on loopback, in cleartext.
   */
  listen: ListenAddress[];
  security?: ControllerSecurity;
  /** With `security`, cleartext HTTP/2 listeners besides (loopback only); callers still authenticate (tokens). */
  cleartextListen?: ListenAddress[];
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
  /** Bounds on requests (sizes, memory, HTTP/2, intents per request, write rates); default DEFAULT_LIMITS. */
  limits?: Partial<ControllerLimits>;
  /** Worker threads computing the paths of an apply; 0 computes them on the event loop. Default DEFAULT_PATH_WORKERS. */
  pathWorkers?: number;
  /**
   * Run as one of several replicas sharing this store (replicas/): intents, overlay, assignments and
   * versions live there; `intents` only seed a fresh store. Without: the single-process controller.
   */
  store?: ControllerStore;
  /** A lab's controller: the lab's faults, served to admins (InjectLabFault, HealLabFault) and viewers (ListLabFaults). */
  labFaults?: LabFaultsService;
  /** Serve GET /metrics (Prometheus; viewers and admins, anyone on an open controller). Default true. */
  metrics?: boolean;
}


export interface ControllerHandle {
  close(): Promise<void>;
  /** One base URL per listen address, e.g. "https://[::1]:50051", then the cleartext ones. */
  urls: string[];
  /** New certificates and client CA for every TLS listener, for new connections (rotation). */
  reloadTls(m: TlsMaterial): void;
}

export const DEFAULT_KEEPALIVE = { intervalMs: 10_000, timeoutMs: 5_000 };
const CLOSE_GRACE_MS = 1_000;

export function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} controller: ${line}\n`);
}


function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } | null | undefined): string {
  if (!socket?.remoteAddress) return "unknown";
  return formatListenAddress({ host: socket.remoteAddress, port: socket.remotePort ?? 0 });
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

/** HTTP/2's connection preface starts so; no HTTP/1 request line does ("PRI" is reserved for it). */
const H2_PREFACE_START = Buffer.from("PRI ");

/** A connection that has not said which protocol it speaks by then is closed (it holds one of maxConnections). */
const SNIFF_TIMEOUT_MS = 10_000;

/** Hands a cleartext connection to the HTTP/2 server or the HTTP/1.1 one, by its first bytes. */
function sniffProtocol(socket: net.Socket, h2: net.Server, h1: net.Server): void {
  let seen = Buffer.alloc(0);
  const silent = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  silent.unref();
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    if (seen.length < H2_PREFACE_START.length && H2_PREFACE_START.subarray(0, seen.length).equals(seen)) return;
    clearTimeout(silent);
    socket.off("data", onData);
    if (seen.subarray(0, H2_PREFACE_START.length).equals(H2_PREFACE_START)) {
      // The HTTP/2 session reads what is buffered on the socket before anything else.
      socket.pause();
      socket.unshift(seen);
      h2.emit("connection", socket);
    } else {
      // The HTTP/1 server's parser takes the socket's later bytes from its handle, past the stream's
      // buffer, and these first ones through its 'data' listener.
      h1.emit("connection", socket);
      socket.emit("data", seen);
    }
  };
  socket.on("data", onData);
  socket.on("error", () => {});
  socket.once("close", () => clearTimeout(silent));
}

interface Listener {
  url: string;
  /** TLS listeners take new certificates and CA here (rotation without a restart). */
  reloadTls?(m: TlsMaterial): void;
  close(): Promise<void>;
}

/** PEM texts: the controller's certificate chain and key, and the CA its clients' certificates must chain to. */
export interface TlsMaterial {
  cert: string;
  key: string;
  clientCa: string;
}

/** True for a loopback address: the only place a cleartext listener may listen. */
export const isLoopback = isLoopbackHost;

function tlsOptions(m: TlsMaterial): http2.SecureServerOptions {
  // Client certificates are asked for, not required: operators may use a bearer token instead.
  // Whether one was presented and verified is read per request (authn.ts).
  return { cert: m.cert, key: m.key, ca: m.clientCa, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" };
}

/**
 * One listener on one address: HTTP/2 over TLS (with HTTP/1.1 through ALPN, for curl and plain
 * HTTPS clients), or, when `tls` is null, cleartext HTTP/2 with prior knowledge (h2c) only.
 */
async function listen(
  addr: ListenAddress,
  handler: ReturnType<typeof connectNodeAdapter>,
  keepalive: { intervalMs: number; timeoutMs: number },
  tls: TlsMaterial | null,
  limits: ControllerLimits,
  log: (line: string) => void,
  rejections: RejectionCounts,
): Promise<Listener> {
  const safe = safeHandler(handler);
  const h2 = http2ServerOptions(limits);
  const server = tls ? http2.createSecureServer({ ...tlsOptions(tls), ...h2, allowHTTP1: true }, safe) : http2.createServer(h2, safe);
  // Cleartext: HTTP/2 with prior knowledge (agents, the CLI) and HTTP/1.1 (browsers, which speak
  // HTTP/2 over TLS only) on the same port, told apart by the connection's first bytes.
  const http1 = tls ? null : http.createServer({ maxHeaderSize: limits.maxHeaderBytes }, safe);
  const front: net.Server = http1 ? net.createServer((socket) => sniffProtocol(socket, server, http1)) : server;
  front.maxConnections = limits.maxConnections;
  let refusedConnections = 0;
  front.on("drop", () => {
    rejections.count("too_many_connections");
    // One line per 100 refused, not per connection: a flood must not flood the log too.
    if (refusedConnections++ % 100 === 0) log(`connection refused on ${formatListenAddress(addr)}: ${limits.maxConnections} connections already (${limitOption("maxConnections")}); ${refusedConnections} refused so far`);
  });
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
    s.on("error", () => {}); // reported through the streams; never crash the controller
    keepSessionAlive(s, keepalive.intervalMs, keepalive.timeoutMs);
  });
  front.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  server.on("tlsClientError", () => {}); // a failed handshake is the client's problem, and says so to it
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen({ host: addr.host, port: addr.port }, () => {
      front.off("error", reject);
      resolve();
    });
  });
  const bound = front.address() as net.AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://${formatListenAddress({ host: addr.host, port: bound.port })}`,
    ...(tls ? { reloadTls: (m: TlsMaterial) => (server as http2.Http2SecureServer).setSecureContext(tlsOptions(m)) } : {}),
    async close() {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of sessions) if (!s.closed) s.close();
      http1?.closeIdleConnections();
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
  const requestLimits = resolveLimits(opts.limits);
  const limits = { ...DEFAULT_DATAPATH_LIMITS, ...opts.datapathLimits };
  if (!Number.isInteger(limits.maxRules) || limits.maxRules < 2) throw new Error(`the agents' max rules must be a whole number ≥ 2, got ${limits.maxRules}`);
  const clock = opts.clock ?? realClock;
  const events = new EventLog(clock, opts.eventsCapacity ?? DEFAULT_EVENTS_CAPACITY);
  const rejections = new RejectionCounts();
  // The audit log first: the intents revision carries on from its last one, and the state starts at it.
  const audit = opts.auditLog !== undefined ? await AuditLog.open(opts.auditLog) : undefined;
  const workers = opts.pathWorkers ?? DEFAULT_PATH_WORKERS;
  const paths = workers > 0 ? createPathWorkers(opts.topology, { workers }) : null;
  let state: ServedState;
  let hub: SubscriptionHub;
  let pushes: PushTracker;
  let reports: ReportStore;
  let liveliness: ReportSink & { close?(): void };
  let applier: IntentsService;
  /** Operator topology changes: in memory on one controller, in the store with replicas. */
  let topologyChanges: TopologyService;
  let replica: Replica | null = null;
  let publish: (deltas: HostDelta[], cause: number) => void;
  if (opts.store) {
    try {
      replica = await startReplica({
        store: opts.store,
        topology: opts.topology,
        intents: opts.intents,
        intentsFile: opts.intentsFile ?? "",
        events,
        clock,
        log,
        limits,
        maxIntents: requestLimits.maxIntents,
        paths,
        ...(audit ? { audit } : {}),
        ...(opts.holdDownMs !== undefined ? { holdDownMs: opts.holdDownMs } : {}),
        ...(opts.staleAfterMs !== undefined ? { staleAfterMs: opts.staleAfterMs } : {}),
      });
    } catch (e) {
      await opts.store.close().catch(() => {});
      await paths?.close();
      await audit?.close();
      throw e;
    }
    state = replica.mirror;
    hub = replica.hub;
    pushes = replica.pushes;
    reports = replica.mirror.reports;
    liveliness = replica.reports;
    applier = replica.applier;
    topologyChanges = replica.topology;
    publish = () => {};
  } else {
    const local = createControllerState(opts.topology, opts.intents, { ...(opts.generation ? { generation: opts.generation } : {}), intentsRevision: (audit?.lastRevision ?? 0) + 1 });
    state = local;
    const tooBig = limitViolations(local.hosts(), new Map(), new Map(local.hosts().map((h) => [h, local.snapshot(h)!.rules])), limits);
    if (tooBig.length > 0) {
      await paths?.close();
      await audit?.close();
      throw new Error(`the intents${opts.intentsFile ? ` of ${opts.intentsFile}` : ""} do not fit the hosts' datapaths:\n${tooBig.map((v) => v.message).join("\n")}`);
    }
    hub = new SubscriptionHub(local);
    pushes = new PushTracker(events, clock, local.generation);
    reports = new ReportStore(() => new Date(clock.now()));
    const h = hub;
    const p = pushes;
    publish = (deltas: HostDelta[], cause: number) => {
      h.publish(deltas);
      p.pushed(deltas, cause);
    };
    const localApplier = new IntentsApplier({
      state: local,
      events,
      publish,
      log,
      clock,
      limits,
      maxIntents: requestLimits.maxIntents,
      paths,
      source: opts.intentsFile ?? "",
      ...(audit ? { audit } : {}),
      ...(opts.persistIntents && opts.intentsFile ? { persist: (intents: Intent[]) => writeFileAtomic(opts.intentsFile!, formatIntentsYaml(intents)) } : {}),
    });
    try {
      await localApplier.loaded();
    } catch (e) {
      await paths?.close();
      await audit?.close();
      throw e;
    }
    applier = localApplier;
    topologyChanges = new TopologyChanges({ state: local, events, publish, log, clock, ...(audit ? { audit } : {}) });
    liveliness = new Liveliness(
      { state: local, events, publish, log },
      { clock, ...(opts.holdDownMs !== undefined ? { holdDownMs: opts.holdDownMs } : {}), ...(opts.staleAfterMs !== undefined ? { staleAfterMs: opts.staleAfterMs } : {}) },
    );
  }

  const rateLimits = {
    apply: new RateLimiter("ApplyIntents", { burst: requestLimits.applyBurst, perMinute: requestLimits.applyPerMinute, options: `${limitOption("applyBurst")}, ${limitOption("applyPerMinute")}` }),
    // Topology changes are writes too: the same budget as applies, counted apart.
    topology: new RateLimiter("ChangeTopology", { burst: requestLimits.applyBurst, perMinute: requestLimits.applyPerMinute, options: `${limitOption("applyBurst")}, ${limitOption("applyPerMinute")}` }),
    validate: new RateLimiter("ValidateIntents", {
      burst: requestLimits.validateBurst,
      perMinute: requestLimits.validatePerMinute,
      options: `${limitOption("validateBurst")}, ${limitOption("validatePerMinute")}`,
    }),
  };
  // One budget for unary calls and agents' session messages handled at once (call-queue.ts).
  const turns = new Turns(requestLimits.maxConcurrentCalls);
  const uiSessions = new UiSessions(() => clock.now());
  const routes = cairnRoutes({
    ui: { sessions: uiSessions, ...(opts.labFaults ? { labFaults: opts.labFaults } : {}) },
    turns,
    enforceOwnHost: opts.security !== undefined,
    ...(opts.security ? { interceptors: [authorisation(log, rejections)] } : {}),
    rejections,
    state,
    hub,
    reports,
    events,
    pushes,
    liveliness,
    publish,
    log,
    applier,
    topologyChanges,
    rateLimits,
    readMaxBytes: requestLimits.maxRequestBytes,
    writeMaxBytes: requestLimits.maxResponseBytes,
  });

  const security = opts.security ?? null;
  const cleartext = security ? (opts.cleartextListen ?? []) : opts.listen;
  const outside = cleartext.filter((a) => !isLoopback(a.host));
  if (outside.length > 0) {
    await replica?.close();
    throw new Error(`cleartext listener on ${outside.map(formatListenAddress).join(", ")} refused: without TLS the controller listens on loopback only (::1, 127.0.0.1)`);
  }
  const principalOf = (req: http.IncomingMessage | http2.Http2ServerRequest) => {
    const peer = peerOf(req.socket);
    return security ? authenticate(req, security.authenticator, peer, uiSessions) : { ...ANONYMOUS, peer };
  };
  const adapter = connectNodeAdapter({
    routes,
    contextValues: (req) => {
      const principal = principalOf(req);
      return createContextValues().set(kPeer, principal.peer).set(kPrincipal, principal);
    },
  });
  const pathsOf = (kinds: string[]) => new Set(CairnService.methods.filter((m) => kinds.includes(m.methodKind)).map((m) => `/${CairnService.typeName}/${m.name}`));
  const streams = pathsOf(["server_streaming", "client_streaming", "bidi_streaming"]);
  const api = queueCalls(guardRequests(adapter, requestLimits, pathsOf(["client_streaming", "bidi_streaming"]), rejections), { maxConcurrent: requestLimits.maxConcurrentCalls, turns, streams });
  const metrics =
    opts.metrics === false
      ? null
      : createControllerMetrics({
          events,
          connectedAgents: () => new Set(hub.subscribers().map((s) => s.host)).size,
          hosts: () => state.hosts().length,
          reports: () => reports.all(),
          links: () => topologyChanges.decorate(liveliness.links()),
          rejections,
        });
  const httpRoutes = [
    uiLoginRoute(uiSessions, log),
    ...(metrics ? [metricsRoute(metrics.registry, rejections)] : []),
    uiRoute(),
  ];
  const handler = withHttpRoutes(httpRoutes, api, (req) => ({ principal: principalOf(req), open: security === null }));

  const listeners: Listener[] = [];
  try {
    if (security) for (const addr of opts.listen) listeners.push(await listen(addr, handler, keepalive, security.tls, requestLimits, log, rejections));
    for (const addr of cleartext) listeners.push(await listen(addr, handler, keepalive, null, requestLimits, log, rejections));
  } catch (e) {
    metrics?.close();
    await Promise.all(listeners.map((l) => l.close()));
    await replica?.close();
    await paths?.close();
    await audit?.close();
    throw e;
  }
  const urls = listeners.map((l) => l.url);
  log(
    `listening on ${urls.join(", ")} (generation ${state.generation}; ${state.hosts().length} hosts, ${state.intents().length} intents${replica ? `; a replica on ${opts.store!.description}` : ""})`,
  );

  let closing: Promise<void> | null = null;
  return {
    urls,
    reloadTls(m) {
      for (const l of listeners) l.reloadTls?.(m);
      log("TLS certificates reloaded");
    },
    close() {
      closing ??= (async () => {
        metrics?.close();
        hub.close();
        events.close();
        liveliness.close?.();
        await replica?.close();
        await Promise.all(listeners.map((l) => l.close()));
        await paths?.close();
        await audit?.close();
        log("stopped");
      })();
      return closing;
    },
  };
}
