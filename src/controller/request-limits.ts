// The controller's bounds on what a client may ask of it: sizes checked before a body is read in
// full, memory for bodies being read bounded across all connections, HTTP/2 settings, and the size
// of an apply. Every refusal is a Connect error (RESOURCE_EXHAUSTED) that names the limit and the
// option that sets it. Rate limits per caller are in rate-limit.ts.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Intent, Topology } from "../core/model.js";
import { MAX_REQUEST_BYTES } from "./reports.js";

export interface ControllerLimits {
  /** Largest request message of any RPC, refused from its Content-Length or gRPC envelope before it is read, and
   *  while it is read when neither says (connect's readMaxBytes). */
  maxRequestBytes: number;
  /** Largest response message (connect's writeMaxBytes): a larger one fails the call instead of being sent. */
  maxResponseBytes: number;
  /** Request bodies being read at once, all connections together; a request that would go over is refused. */
  maxInflightRequestBytes: number;
  /** A request body must have arrived in full this long after its headers. */
  requestBodyTimeoutMs: number;
  /** Connections at once, per listen address. */
  maxConnections: number;
  /** Concurrent HTTP/2 streams (calls) per connection. */
  maxStreamsPerConnection: number;
  /** Size of a request's header block (HTTP/2 header list, HTTP/1.1 headers). */
  maxHeaderBytes: number;
  /** Intents in one apply. */
  maxIntents: number;
  /** Rules (intents × their port ranges) any host would hold after an apply. */
  maxRulesPerHost: number;
}

export const DEFAULT_LIMITS: Readonly<ControllerLimits> = {
  maxRequestBytes: MAX_REQUEST_BYTES,
  maxResponseBytes: 64 * 1024 * 1024,
  maxInflightRequestBytes: 64 * 1024 * 1024,
  requestBodyTimeoutMs: 30_000,
  maxConnections: 1024,
  maxStreamsPerConnection: 100,
  maxHeaderBytes: 16 * 1024,
  maxIntents: 1000,
  maxRulesPerHost: 1024,
};

/** The option names, as `cairn controller` takes them, for messages. */
const OPTION: Record<keyof ControllerLimits, string> = {
  maxRequestBytes: "--max-request-bytes",
  maxResponseBytes: "--max-response-bytes",
  maxInflightRequestBytes: "--max-inflight-request-bytes",
  requestBodyTimeoutMs: "--request-body-timeout",
  maxConnections: "--max-connections",
  maxStreamsPerConnection: "--max-streams-per-connection",
  maxHeaderBytes: "--max-header-bytes",
  maxIntents: "--max-intents",
  maxRulesPerHost: "--max-rules-per-host",
};

export function limitOption(name: keyof ControllerLimits): string {
  return OPTION[name];
}

/** `given` over the defaults; throws on a value that is not a positive whole number. */
export function resolveLimits(given: Partial<ControllerLimits> = {}): ControllerLimits {
  const out = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as ControllerLimits;
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`limit ${k} (${OPTION[k as keyof ControllerLimits]}) must be a whole number above 0, got ${v}`);
  }
  if (out.maxRequestBytes > 0xffffffff || out.maxResponseBytes > 0xffffffff) throw new Error("maxRequestBytes and maxResponseBytes must be at most 4 GiB");
  return out;
}

const MiB = 1024 * 1024;
/** "8 MiB", "1.5 KiB", "300 bytes". */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Options for http2.createServer: settings announced to every client, and the session's own bounds. */
export function http2ServerOptions(limits: ControllerLimits): http2.ServerOptions {
  return {
    settings: { maxConcurrentStreams: limits.maxStreamsPerConnection, maxHeaderListSize: limits.maxHeaderBytes, enablePush: false },
    // Bodies are bounded by maxInflightRequestBytes; this bounds what a session buffers besides (headers, frames).
    maxSessionMemory: 16,
  };
}

/** Options for http.createServer (HTTP/1.1 clients such as plain curl). */
export function http1ServerOptions(limits: ControllerLimits): http.ServerOptions {
  return { maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.requestBodyTimeoutMs, headersTimeout: Math.min(limits.requestBodyTimeoutMs, 60_000) };
}

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (req: NodeRequest, res: NodeResponse) => void;

export interface RequestGuard {
  (req: NodeRequest, res: NodeResponse): void;
  /** Body bytes of requests being read (or not yet answered) now. */
  readonly inflightBytes: number;
}

/**
 * Wraps the Connect adapter: counts every request's body bytes as they are read against
 * maxInflightRequestBytes (all requests together, released when the request is answered) and gives each
 * body requestBodyTimeoutMs to arrive. The adapter itself refuses a body over maxRequestBytes from its
 * Content-Length (or gRPC envelope) before reading it, and stops reading at the limit otherwise.
 */
export function guardRequests(handler: Handler, limits: ControllerLimits): RequestGuard {
  let inflight = 0;
  const guard = ((req: NodeRequest, res: NodeResponse) => {
    let counted = 0;
    let released = false;
    const deadline = Date.now() + limits.requestBodyTimeoutMs;
    res.once("close", () => {
      released = true;
      inflight -= counted;
      // Whatever the client still sends is of no use: stop it (an HTTP/2 stream is reset, nothing else on its connection).
      if (!req.complete) req.destroy();
    });

    const source = req[Symbol.asyncIterator].bind(req) as () => AsyncIterator<Buffer>;
    // The adapter reads the body with for await; count each chunk on its way, and stop waiting at the deadline.
    (req as unknown as { [Symbol.asyncIterator]: () => AsyncGenerator<Buffer> })[Symbol.asyncIterator] = async function* () {
      const it = source();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ConnectError(
                `the request body did not arrive within ${limits.requestBodyTimeoutMs} ms (${OPTION.requestBodyTimeoutMs})`,
                Code.DeadlineExceeded,
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
        timer.unref();
      });
      late.catch(() => {});
      try {
        for (;;) {
          const r = await Promise.race([it.next(), late]);
          if (r.done) return;
          const chunk = r.value;
          if (!released) {
            counted += chunk.length;
            inflight += chunk.length;
            if (inflight > limits.maxInflightRequestBytes) {
              throw new ConnectError(
                `the controller is reading ${formatBytes(inflight - counted)} of other requests and this one would take it over its limit of ` +
                  `${formatBytes(limits.maxInflightRequestBytes)} (${OPTION.maxInflightRequestBytes}); retry in a moment`,
                Code.ResourceExhausted,
              );
            }
          }
          yield chunk;
        }
      } finally {
        // The stream itself is left alone: the response still has to go out on it (see "close" above).
        clearTimeout(timer);
      }
    };
    handler(req, res);
  }) as RequestGuard;
  Object.defineProperty(guard, "inflightBytes", { get: () => inflight });
  return guard;
}

/** Why `intents` are over the apply limits, naming the limit and its option; null when they are within. */
export function applyLimitProblem(intents: readonly Intent[], topology: Topology, limits: ControllerLimits): string | null {
  if (intents.length > limits.maxIntents) {
    return `${intents.length} intents in one apply; at most ${limits.maxIntents} (${OPTION.maxIntents})`;
  }
  const rules = new Map<string, number>();
  const hosts = new Set(topology.hosts.map((h) => h.name));
  for (const intent of intents) {
    const n = Math.max(1, intent.match.ports.length);
    for (const host of new Set(intent.match.hosts)) if (hosts.has(host)) rules.set(host, (rules.get(host) ?? 0) + n);
  }
  const over = [...rules].filter(([, n]) => n > limits.maxRulesPerHost).sort((a, b) => b[1] - a[1]);
  if (over.length === 0) return null;
  const [host, n] = over[0]!;
  const more = over.length > 1 ? ` (and ${over.length - 1} more host${over.length > 2 ? "s" : ""})` : "";
  return `host ${host} would hold ${n} rules${more}; at most ${limits.maxRulesPerHost} per host (${OPTION.maxRulesPerHost}; a rule is one intent's port range)`;
}
