// Raw calls to a controller over HTTP/2, in each of the three wire protocols it serves (Connect
// with JSON, Connect with binary protobuf, gRPC), with any bytes as the request: what fuzzing needs
// and a generated client cannot send. The outcome is reduced to ok, or an error code and message.
// Tests only.
import * as http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";

export type WireProtocol = "connect-json" | "connect-proto" | "grpc";
export const WIRE_PROTOCOLS: readonly WireProtocol[] = ["connect-json", "connect-proto", "grpc"];

export interface WireOutcome {
  /** The call succeeded (a streaming call: it opened and sent or was still sending when we left). */
  ok: boolean;
  /** Connect's code names ("invalid_argument"); gRPC status numbers are mapped to them. */
  code?: string;
  message?: string;
  ms: number;
}

const GRPC_CODES = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];

/** A 5-byte envelope (flags, big-endian length) around `payload`, as Connect streams and gRPC frame messages. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/**
 * Calls to the controller at `url`, each on a connection of its own: a failure is then the call's
 * own, and the streams this client cancels (a watch, once it answered) never add up to what Node's
 * HTTP/2 server takes for a rapid-reset attack (it sends GOAWAY after a few thousand on one connection).
 */
export class WireClient {
  constructor(private readonly url: string) {}

  private connect(): http2.ClientHttp2Session {
    const session = http2.connect(this.url);
    session.on("error", () => {});
    return session;
  }

  close(): void {}

  /**
   * Calls `method` with `body` as the request (a stream of requests: that one message): for Connect unary the body as is; for Connect
   * streams and gRPC inside one envelope unless `raw`. Within `timeoutMs` or it is a hang.
   */
  call(method: DescMethod, protocol: WireProtocol, body: Uint8Array, opts: { raw?: boolean; timeoutMs?: number; quietOk?: boolean } = {}): Promise<WireOutcome> {
    const streaming = method.methodKind !== "unary";
    const path = `/${method.parent.typeName}/${method.name}`;
    const json = protocol === "connect-json";
    const contentType = protocol === "grpc" ? "application/grpc+proto" : streaming ? `application/connect+${json ? "json" : "proto"}` : `application/${json ? "json" : "proto"}`;
    const framed = protocol === "grpc" || streaming;
    const payload = framed && !opts.raw ? envelope(body) : body;
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": path, "content-type": contentType, ...(protocol === "grpc" ? { te: "trailers" } : {}) };
    const timeoutMs = opts.timeoutMs ?? 5000;
    const start = performance.now();

    return new Promise((resolve, reject) => {
      const session = this.connect();
      const req = session.request(headers);
      let status = 0;
      let grpc: { status?: string; message?: string } = {};
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (o: Omit<WireOutcome, "ms"> | Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(openTimer);
        clearTimeout(quiet);
        if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
        session.close();
        if (o instanceof Error) reject(o);
        else resolve({ ...o, ms: performance.now() - start });
      };
      const timer = setTimeout(() => finish(new Error(`${method.name} over ${protocol}: no complete answer within ${timeoutMs} ms (a hang)`)), timeoutMs);
      // A stream sends its headers with its first message: a watch with nothing to say yet is silent, and open.
      const quiet = streaming && opts.quietOk ? setTimeout(() => { if (status === 0) finish({ ok: true }); }, 1000) : undefined;
      // A stream that opened fine and is still open after a while (a subscription, a watch) is a success.
      let openTimer: NodeJS.Timeout | undefined;
      req.on("response", (h) => {
        status = Number(h[":status"]);
        if (h["grpc-status"] !== undefined) grpc = { status: String(h["grpc-status"]), message: decodeGrpcMessage(h["grpc-message"]) };
        if (streaming && status === 200 && grpc.status === undefined) openTimer = setTimeout(() => finish({ ok: true }), 300);
      });
      req.on("trailers", (h) => {
        if (h["grpc-status"] !== undefined) grpc = { status: String(h["grpc-status"]), message: decodeGrpcMessage(h["grpc-message"]) };
      });
      req.on("data", (c: Buffer) => {
        chunks.push(c);
        // One whole message of a stream is enough: it works; leave it there.
        if (streaming && status === 200) {
          const firstFrame = firstEnvelope(Buffer.concat(chunks));
          if (firstFrame && (firstFrame.flags & 0x02) === 0) finish({ ok: true });
        }
      });
      req.on("error", (e) => finish(new Error(`${method.name} over ${protocol}: the stream failed: ${e.message}`)));
      // The answer is complete at its end, even when the server answered before reading the whole request (too large).
      const complete = () => {
        if (done) return;
        const data = Buffer.concat(chunks);
        if (protocol === "grpc") {
          if (grpc.status === undefined) return finish(new Error(`${method.name} over gRPC: HTTP ${status}, no grpc-status`));
          const n = Number(grpc.status);
          return finish(n === 0 ? { ok: true } : { ok: false, code: GRPC_CODES[n] ?? `grpc-${n}`, message: grpc.message ?? "" });
        }
        if (streaming) {
          const end = lastEnvelope(data);
          if (status !== 200 || !end) return finish(connectError(status, data, `${method.name}: HTTP ${status} without an end-of-stream message`));
          try {
            const e = (JSON.parse(Buffer.from(end.payload).toString("utf8")) as { error?: { code?: string; message?: string } }).error;
            return finish(e ? { ok: false, code: e.code ?? "", message: e.message ?? "" } : { ok: true });
          } catch {
            return finish(new Error(`${method.name}: an end-of-stream message that is not JSON`));
          }
        }
        if (status === 200) return finish({ ok: true });
        finish(connectError(status, data, `${method.name}: HTTP ${status}`));
      };
      req.on("end", complete);
      req.on("close", () => {
        if (!done && req.rstCode !== undefined && req.rstCode !== http2.constants.NGHTTP2_NO_ERROR) finish(new Error(`${method.name} over ${protocol}: the server reset the stream (HTTP/2 error ${req.rstCode})`));
        else complete();
      });
      req.end(payload);
    });
  }
}

function connectError(status: number, data: Buffer, fallback: string): Omit<WireOutcome, "ms"> | Error {
  try {
    const e = JSON.parse(data.toString("utf8")) as { code?: string; message?: string };
    return { ok: false, code: e.code ?? `http-${status}`, message: e.message ?? "" };
  } catch {
    return new Error(`${fallback}, and a body that is not a Connect error: ${JSON.stringify(data.subarray(0, 200).toString("utf8"))}`);
  }
}

function decodeGrpcMessage(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(",") : v;
  try { return decodeURIComponent(s); } catch { return s; }
}

function firstEnvelope(b: Buffer): { flags: number; payload: Uint8Array } | null {
  if (b.length < 5) return null;
  const n = b.readUInt32BE(1);
  return b.length >= 5 + n ? { flags: b[0]!, payload: b.subarray(5, 5 + n) } : null;
}

function lastEnvelope(b: Buffer): { flags: number; payload: Uint8Array } | null {
  let k = 0;
  let last: { flags: number; payload: Uint8Array } | null = null;
  while (k + 5 <= b.length) {
    const n = b.readUInt32BE(k + 1);
    if (k + 5 + n > b.length) break;
    last = { flags: b[k]!, payload: b.subarray(k + 5, k + 5 + n) };
    k += 5 + n;
  }
  return last && (last.flags & 0x02) !== 0 ? last : null;
}

/** Why `o` is not a clear refusal (null when it is, or when the call succeeded). */
export function unclearRefusal(o: WireOutcome): string | null {
  if (o.ok) return null;
  const m = o.message ?? "";
  if (o.code === "internal" || o.code === "unknown") return `code ${o.code}: ${m.slice(0, 300)}`;
  if (m.trim() === "") return `code ${o.code} without a message`;
  // What the caller sent may say anything: look outside the quoted values.
  const own = m.replace(/"(?:[^"\\]|\\.)*"?/g, '""');
  if (/\bundefined\b|\[object Object\]|^\s+at |\bat .*\.js:\d+|TypeError|RangeError|ReferenceError/m.test(own)) return `code ${o.code}, a message with a stack or a JavaScript slip: ${m.slice(0, 300)}`;
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(m)) return `code ${o.code}, a message with raw control characters: ${JSON.stringify(m.slice(0, 300))}`;
  // At most 100 located errors of a few hundred characters each.
  if (m.length > 40_000) return `code ${o.code}, a message ${m.length} characters long: ${m.slice(0, 200)}…`;
  return null;
}
