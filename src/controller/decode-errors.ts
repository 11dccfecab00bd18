// What leaves the controller as a refusal is clear, whoever raised it. connect-es answers a request
// whose bytes are not a protobuf message with Internal ("parse binary: premature EOF": gRPC's
// convention for a server that cannot read its own messages), and JSON it cannot read with the
// parser's message, which quotes the request raw; both before any interceptor runs for unary calls.
// So the router's handlers are wrapped: a decoding failure is InvalidArgument, and every refusal's
// message has its control characters escaped and is cut to a bound, in the Connect unary JSON body
// and in the gRPC status. (Streams decode their messages inside the interceptors; strict.ts applies
// the same there.)
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { escapeControls } from "../core/quote.js";

/** Longest refusal message sent: room for the 100 located errors an apply lists. */
export const MAX_ERROR_MESSAGE = 32 * 1024;
const PARSE = /^parse binary: /;
const GRPC_INTERNAL = String(Code.Internal);
const GRPC_INVALID_ARGUMENT = String(Code.InvalidArgument);

/** `e` as the caller should see it: a decoding failure as InvalidArgument, a message escaped and cut. */
export function asDecodeError(e: unknown): unknown {
  if (!(e instanceof ConnectError)) return e;
  const decoding = e.code === Code.Internal && PARSE.test(e.rawMessage);
  const message = clean(decoding ? `the request is not a valid protobuf message: ${e.rawMessage.replace(PARSE, "")}` : e.rawMessage);
  if (!decoding && message === e.rawMessage) return e;
  return new ConnectError(message, decoding ? Code.InvalidArgument : e.code, e.metadata, e.details as never, e.cause);
}

function clean(message: string): string {
  const m = escapeControls(message, { lines: true });
  return m.length > MAX_ERROR_MESSAGE ? `${m.slice(0, MAX_ERROR_MESSAGE)}… (cut)` : m;
}

/** Wraps every handler `router` holds from index `from` on. */
export function decodeErrorsAsInvalidArgument(router: ConnectRouter, from = 0): void {
  const handlers = router.handlers as UniversalHandler[];
  for (let i = from; i < handlers.length; i++) {
    const h = handlers[i]!;
    const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => remap(await h(req));
    handlers[i] = Object.assign(wrapped, h);
  }
}

async function remap(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  fixGrpcStatus(res.trailer);
  fixGrpcStatus(res.header);
  const type = res.header?.get("content-type") ?? "";
  if (res.status >= 400 && type.startsWith("application/json") && res.body) {
    // A Connect unary error: one JSON object.
    const chunks: Uint8Array[] = [];
    for await (const c of res.body) chunks.push(c);
    const text = Buffer.concat(chunks).toString("utf8");
    let body = Buffer.from(text);
    let status = res.status;
    try {
      const e = JSON.parse(text) as { code?: string; message?: string };
      if (typeof e.message === "string") {
        const decoding = e.code === "internal" && PARSE.test(e.message);
        const fixed = asDecodeError(new ConnectError(e.message, decoding ? Code.Internal : Code.Unknown)) as ConnectError;
        body = Buffer.from(JSON.stringify({ ...e, ...(decoding ? { code: "invalid_argument" } : {}), message: fixed.rawMessage }));
        if (decoding) status = 400;
      }
    } catch {
      // not an error object: leave it as it was
    }
    const header = new Headers(res.header);
    if (header.has("content-length")) header.set("content-length", String(body.length));
    return { ...res, status, header, body: once(body) };
  }
  // gRPC sets its status in the trailer as the body ends.
  if (res.body && res.trailer) {
    const body = res.body;
    const trailer = res.trailer;
    return {
      ...res,
      body: (async function* () {
        try {
          yield* body;
        } finally {
          fixGrpcStatus(trailer);
        }
      })(),
    };
  }
  return res;
}

function fixGrpcStatus(h: Headers | undefined): void {
  const status = h?.get("grpc-status");
  if (!h || status === null || status === undefined || status === "0") return;
  const raw = h.get("grpc-message") ?? "";
  let message = raw;
  try { message = decodeURIComponent(raw); } catch { /* as sent */ }
  const fixed = asDecodeError(new ConnectError(message, status === GRPC_INTERNAL ? Code.Internal : Code.Unknown)) as ConnectError;
  if (status === GRPC_INTERNAL && fixed.code === Code.InvalidArgument) h.set("grpc-status", GRPC_INVALID_ARGUMENT);
  if (fixed.rawMessage !== message) h.set("grpc-message", encodeURIComponent(fixed.rawMessage));
}

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}
