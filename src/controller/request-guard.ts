// Bounds on request bodies, in front of the Connect adapter (request-limits.ts has the limits):
// - a body larger than maxRequestBytes is refused from what announces its size, before a byte of it
//   is read: its Content-Length, or a gRPC / Connect streaming envelope's length prefix; a body that
//   announces nothing is cut off as soon as it passes the limit;
// - the bytes of all bodies being read are bounded together (maxInflightRequestBytes): a body's
//   announced size is reserved when it is announced, so six concurrent 450 MB announcements take
//   nothing; the reservation lasts until the call is answered;
// - a body must arrive within requestBodyTimeoutMs.
// A method that streams its requests (AgentSession) has a body that lasts as long as the call: there
// each message is a body of its own, bounded, reserved and timed from its first byte to its last,
// and the wait between messages is not bounded here (the connection's keepalive is).
// A refusal is a ConnectError thrown where the adapter reads the body, so the caller gets it in its
// own protocol (Connect, gRPC, gRPC-web) with code RESOURCE_EXHAUSTED; the stream is then closed so
// that the client stops sending.
import type * as http from "node:http";
import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { connectNodeAdapter } from "@connectrpc/connect-node";
import { formatBytes, limitOption, type ControllerLimits } from "./request-limits.js";
import type { RejectionCounts, RejectionReason } from "./rejections.js";

/** The Connect adapter's Node handler, and what it takes: what the layers in front of it (this guard, call-queue.ts) wrap. */
export type Handler = ReturnType<typeof connectNodeAdapter>;
export type NodeRequest = Parameters<Handler>[0];
export type NodeResponse = Parameters<Handler>[1];

export interface RequestGuard {
  (req: NodeRequest, res: NodeResponse): void;
  /** Body bytes reserved by requests being read or answered now. */
  readonly inflightBytes: number;
}

/** gRPC, gRPC-web and Connect streaming bodies are a sequence of envelopes: flags (1 byte), length (4). */
const ENVELOPED = /^application\/(grpc|connect\+)/i;
const ENVELOPE_HEADER = 5;

function tooLarge(size: number, how: string, max: number): ConnectError {
  return new ConnectError(
    `request too large: ${how} ${formatBytes(size)} (${size} bytes); the controller takes at most ${formatBytes(max)} per request (${limitOption("maxRequestBytes")})`,
    Code.ResourceExhausted,
  );
}

function declaredLength(req: NodeRequest): number | null {
  const v = req.headers["content-length"];
  if (typeof v !== "string" || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** How often, and how long at most, to wait for an answer's last frame to go out before resetting its stream. */
const FLUSH_POLL_MS = 5;
const FLUSH_WAIT_MS = 2_000;

/**
 * Tells an HTTP/2 client to stop sending a body nobody reads (RST_STREAM NO_ERROR, RFC 9113 §8.1)
 * once the answer is out. Node does this by itself only for a stream whose body was never read;
 * and the reset must wait until the answer's last frame (END_STREAM, often with the gRPC trailers)
 * has been sent, or the client loses the answer: there is no event for that, so it is polled.
 */
function stopBody(req: NodeRequest, res: NodeResponse): void {
  if (req.complete) return;
  if (!("stream" in req)) {
    // HTTP/1.1 cannot stop one request's body without dropping the connection.
    (res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
    req.socket?.destroySoon();
    return;
  }
  const stream = req.stream;
  const started = Date.now();
  const poll = setInterval(() => {
    if (stream.destroyed || stream.closed) return void clearInterval(poll);
    const sent = stream.state.localClose === 1;
    if (!sent && Date.now() - started < FLUSH_WAIT_MS) return;
    clearInterval(poll);
    stream.close(sent ? http2.constants.NGHTTP2_NO_ERROR : http2.constants.NGHTTP2_CANCEL);
  }, FLUSH_POLL_MS);
  poll.unref();
}

/** `streamed`: the request paths ("/package.Service/Method") whose requests are a stream of messages. */
export function guardRequests(handler: Handler, limits: ControllerLimits, streamed: ReadonlySet<string> = new Set(), rejections?: RejectionCounts): RequestGuard {
  const max = limits.maxRequestBytes;
  let inflight = 0;
  /** Counts a refusal (a request is refused once: the body's reading stops at it). */
  const refused = <E extends ConnectError | null>(reason: RejectionReason, e: E): E => {
    if (e) rejections?.count(reason);
    return e;
  };

  const guard = ((req: NodeRequest, res: NodeResponse) => {
    let reserved = 0;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inflight -= reserved;
    };
    /** Raises this request's reservation to `total` bytes (`lower`: or lowers it); refuses when that takes every request over the limit. */
    const reserve = (total: number, lower = false): ConnectError | null => {
      if (released || (total <= reserved && !lower)) return null;
      const others = inflight - reserved;
      if (others + total > limits.maxInflightRequestBytes) {
        return refused("busy", new ConnectError(
          `the controller is busy reading ${formatBytes(others)} of other requests, and this one (${formatBytes(total)}) would take it over its limit of ` +
            `${formatBytes(limits.maxInflightRequestBytes)} at once (${limitOption("maxInflightRequestBytes")}); retry in a moment`,
          Code.ResourceExhausted,
        ));
      }
      inflight += total - reserved;
      reserved = total;
      return null;
    };
    // The HTTP/2 stream's own "finish": the response's waits for the whole stream to close.
    if ("stream" in req) req.stream.once("finish", () => stopBody(req, res));
    else res.once("finish", () => stopBody(req, res));
    res.once("close", () => {
      release();
      if (!req.complete) req.destroy();
    });

    // Refused before the adapter sees the request: it would answer first, from the same header, without naming the option.
    const enveloped = ENVELOPED.test(String(req.headers["content-type"] ?? ""));
    // Messages, each in its own envelope, until the call ends (the adapter refuses a stream that is not enveloped).
    const stream = enveloped && streamed.has((req.url ?? "").split("?")[0]!);
    // A body holds one message, in an envelope when enveloped, maybe with an end-of-stream one.
    const maxBody = enveloped ? max + 2 * ENVELOPE_HEADER + 64 : max;
    const declared = stream ? null : declaredLength(req);
    let refusal: ConnectError | null = null;
    if (declared !== null) {
      refusal = declared > maxBody ? refused("too_large", tooLarge(declared, "its Content-Length announces", max)) : reserve(declared);
      if (refusal) delete req.headers["content-length"];
    }

    const source = req[Symbol.asyncIterator].bind(req) as () => AsyncIterator<Buffer>;
    // The adapter reads the body with for await: check each chunk before it passes, and stop waiting at the deadline.
    (req as unknown as { [Symbol.asyncIterator]: () => AsyncGenerator<Buffer> })[Symbol.asyncIterator] = async function* () {
      if (refusal) throw refusal;
      const it = source();
      let timer: NodeJS.Timeout | undefined;
      let rejectLate!: (e: ConnectError) => void;
      const late = new Promise<never>((_, reject) => (rejectLate = reject));
      late.catch(() => {});
      const what = stream ? "a message of the request stream" : "the request body";
      const arm = () => {
        if (timer) return;
        timer = setTimeout(
          () => rejectLate(refused("body_timeout", new ConnectError(`${what} did not arrive within ${limits.requestBodyTimeoutMs} ms (${limitOption("requestBodyTimeoutMs")})`, Code.DeadlineExceeded))),
          limits.requestBodyTimeoutMs,
        );
        timer.unref();
      };
      const disarm = () => {
        clearTimeout(timer);
        timer = undefined;
      };
      arm();
      let read = 0;
      // Envelope parsing: the header bytes seen of the current envelope, and the payload bytes still to come.
      const header = Buffer.alloc(ENVELOPE_HEADER);
      let headerSeen = 0;
      let payloadLeft = 0;
      try {
        for (;;) {
          const r = await Promise.race([it.next(), late]);
          if (r.done) return;
          const chunk = r.value;
          if (enveloped) {
            for (let at = 0; at < chunk.length; ) {
              if (payloadLeft > 0) {
                const n = Math.min(payloadLeft, chunk.length - at);
                payloadLeft -= n;
                at += n;
                continue;
              }
              const n = Math.min(ENVELOPE_HEADER - headerSeen, chunk.length - at);
              chunk.copy(header, headerSeen, at, at + n);
              headerSeen += n;
              at += n;
              if (headerSeen < ENVELOPE_HEADER) break;
              headerSeen = 0;
              payloadLeft = header.readUInt32BE(1);
              if (payloadLeft > max) throw refused("too_large", tooLarge(payloadLeft, "its message envelope announces", max));
              const problem = stream ? reserve(chunk.length + payloadLeft, true) : reserve(read + at + payloadLeft);
              if (problem) throw problem;
            }
          }
          read += chunk.length;
          if (!stream) {
            if (read > maxBody) throw refused("too_large", tooLarge(read, "its body, with no size announced, passed", max));
            const problem = reserve(read);
            if (problem) throw problem;
          } else if (headerSeen === 0 && payloadLeft === 0) {
            // Between messages: waiting for the next one is the agent's business, and holds nothing.
            disarm();
          } else {
            arm();
          }
          yield chunk;
          if (stream && headerSeen === 0 && payloadLeft === 0) reserve(0, true);
        }
      } finally {
        // The stream itself is left alone: the answer still has to go out on it (stopBody closes it after).
        disarm();
      }
    };
    handler(req, res);
  }) as RequestGuard;
  Object.defineProperty(guard, "inflightBytes", { get: () => inflight });
  return guard;
}
