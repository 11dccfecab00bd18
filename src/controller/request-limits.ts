// The controller's bounds on what a client may ask of it: sizes checked before a body is read in
// full, memory for bodies being read bounded across all connections, HTTP/2 settings, and the size
// of an apply. Every refusal is a Connect error (RESOURCE_EXHAUSTED) that names the limit and the
// option that sets it. Rate limits per caller are enforced in rate-limit.ts, intents per request in
// intents-apply.ts.
import type * as http2 from "node:http2";
import { MAX_REQUEST_BYTES } from "./reports.js";

export interface ControllerLimits {
  /** Largest request message of any RPC, refused from its Content-Length or gRPC/Connect envelope before it is read, and
   *  while it is read when neither says. */
  maxRequestBytes: number;
  /** Largest response message (connect's writeMaxBytes): a larger one fails the call instead of being sent. */
  maxResponseBytes: number;
  /** Request bodies being read at once, all connections together; a request that would go over is refused. */
  maxInflightRequestBytes: number;
  /** A request body must have arrived in full this long after its headers. */
  requestBodyTimeoutMs: number;
  /** Connections at once, per listen address. */
  maxConnections: number;
  /** Unary calls answered at once, all connections together; the others wait their turn (call-queue.ts). */
  maxConcurrentCalls: number;
  /** Concurrent HTTP/2 streams (calls) per connection. */
  maxStreamsPerConnection: number;
  /** Size of a request's header block (HTTP/2 header list, HTTP/1.1 headers). */
  maxHeaderBytes: number;
  /** Intents in one ValidateIntents or ApplyIntents request. */
  maxIntents: number;
  /** ApplyIntents per caller: a burst of this many, then `applyPerMinute`. */
  applyBurst: number;
  applyPerMinute: number;
  /** ValidateIntents per caller: a burst of this many, then `validatePerMinute`. */
  validateBurst: number;
  validatePerMinute: number;
}

export const DEFAULT_LIMITS: Readonly<ControllerLimits> = {
  maxRequestBytes: MAX_REQUEST_BYTES,
  maxResponseBytes: 64 * 1024 * 1024,
  maxInflightRequestBytes: 64 * 1024 * 1024,
  requestBodyTimeoutMs: 30_000,
  maxConnections: 1024,
  maxConcurrentCalls: 64,
  maxStreamsPerConnection: 100,
  maxHeaderBytes: 16 * 1024,
  maxIntents: 1000,
  applyBurst: 30,
  applyPerMinute: 60,
  validateBurst: 60,
  validatePerMinute: 300,
};

/** The option names, as `cairn controller` takes them, for messages. */
const OPTION: Record<keyof ControllerLimits, string> = {
  maxRequestBytes: "--max-request-bytes",
  maxResponseBytes: "--max-response-bytes",
  maxInflightRequestBytes: "--max-inflight-request-bytes",
  requestBodyTimeoutMs: "--request-body-timeout",
  maxConnections: "--max-connections",
  maxConcurrentCalls: "--max-concurrent-calls",
  maxStreamsPerConnection: "--max-streams-per-connection",
  maxHeaderBytes: "--max-header-bytes",
  maxIntents: "--max-intents",
  applyBurst: "--apply-burst",
  applyPerMinute: "--apply-per-minute",
  validateBurst: "--validate-burst",
  validatePerMinute: "--validate-per-minute",
};

export function limitOption(name: keyof ControllerLimits): string {
  return OPTION[name];
}

/** The limits among a command's options (named as ControllerLimits' fields), the others left out. */
export function pickLimits(options: object): Partial<ControllerLimits> {
  const given = options as Record<string, unknown>;
  // The CLI's durations are in ms without saying so in their names, like --hold-down.
  const o = given["requestBodyTimeout"] !== undefined ? { ...given, requestBodyTimeoutMs: given["requestBodyTimeout"] } : given;
  return Object.fromEntries(Object.keys(DEFAULT_LIMITS).filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<ControllerLimits>;
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
  };
}
