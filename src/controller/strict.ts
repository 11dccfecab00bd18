// Requests are read strictly: a field the schema does not have is an error, not something to skip.
// JSON: the router's JSON options (ignoreUnknownFields: false) make the parser refuse an unknown
// key, naming it. Binary (gRPC, Connect proto): protobuf-es keeps unknown fields in a message's
// $unknown; this interceptor refuses a request holding any, at any depth, naming where.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { asDecodeError } from "./decode-errors.js";

/** The JSON read options of every method: unknown keys are errors. */
export const STRICT_JSON = { ignoreUnknownFields: false } as const;

interface UnknownField {
  no: number;
  wireType: number;
}

/** Where in `value` (a protobuf-es message) an unknown field sits: "" for the top, "intents[2].match"; null when none does. */
export function findUnknownField(value: unknown, path = "", depth = 0): { path: string; field: UnknownField; type: string } | null {
  if (depth > 100 || value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = findUnknownField(value[i], `${path}[${i}]`, depth + 1);
      if (r) return r;
    }
    return null;
  }
  const o = value as Record<string, unknown>;
  const isMessage = typeof o["$typeName"] === "string";
  if (isMessage) {
    const unknown = o["$unknown"] as UnknownField[] | undefined;
    if (unknown && unknown.length > 0) return { path, field: unknown[0]!, type: o["$typeName"] as string };
  }
  for (const [k, v] of Object.entries(o)) {
    if (k === "$typeName" || k === "$unknown") continue;
    if (v instanceof Uint8Array || typeof v !== "object" || v === null) continue;
    // A oneof is { case, value }: its value sits at the case's name.
    const oneof = isMessage && "case" in (v as object) && "value" in (v as object);
    const r = oneof
      ? findUnknownField((v as { value: unknown }).value, join(path, String((v as { case: unknown }).case)), depth + 1)
      : findUnknownField(v, isMessage ? join(path, k) : `${path}[${JSON.stringify(k)}]`, depth + 1);
    if (r) return r;
  }
  return null;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function check(message: unknown): void {
  const u = findUnknownField(message);
  if (!u) return;
  const where = u.path ? ` at ${u.path}` : "";
  throw new ConnectError(
    `unknown field number ${u.field.no} (wire type ${u.field.wireType}) in ${u.type}${where}: this controller does not know it; nothing was done`,
    Code.InvalidArgument,
  );
}

/** Refuses requests with unknown binary fields before the method runs (unary) or reads them (streams). */
export const rejectUnknownFields: Interceptor = (next) => async (req) => {
  if (!req.stream) {
    check(req.message);
    return next(req);
  }
  const messages = req.message;
  return next({
    ...req,
    message: (async function* () {
      try {
        for await (const m of messages) {
          check(m);
          yield m;
        }
      } catch (e) {
        throw asDecodeError(e); // a stream's messages are decoded as they are read, here
      }
    })(),
  });
};
