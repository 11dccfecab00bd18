// Requests are read strictly: a field the schema does not have is an error, not something to skip.
// JSON: the router's JSON options (ignoreUnknownFields: false) make the parser refuse an unknown
// key, naming it. Binary (gRPC, Connect proto): protobuf-es keeps unknown fields in a message's
// $unknown; this interceptor refuses a request holding any, at any depth, naming where.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { asDecodeError } from "./decode-errors.js";

/** The JSON read options of every method: unknown keys are errors. */
export const STRICT_JSON = { ignoreUnknownFields: false } as const;

interface UnknownField {
  no: number;
  wireType: number;
}

/**
 * Where in `value` (a protobuf-es message of type `desc`) an unknown field sits: "" for the top,
 * "intents[2].match"; null when none does. Walks the message fields the schema has (every report
 * passes here, so not every property of every value).
 */
export function findUnknownField(desc: DescMessage, value: Message, path = "", depth = 0): { path: string; field: UnknownField; type: string } | null {
  if (depth > 100) return null;
  const unknown = (value as { $unknown?: UnknownField[] }).$unknown;
  if (unknown && unknown.length > 0) return { path, field: unknown[0]!, type: value.$typeName };
  const o = value as unknown as Record<string, unknown>;
  for (const f of desc.fields) {
    if (f.fieldKind === "message") {
      const v = f.oneof ? oneofValue(o, f.oneof.localName, f.localName) : o[f.localName];
      const r = v ? findUnknownField(f.message, v as Message, join(path, f.localName), depth + 1) : null;
      if (r) return r;
    } else if (f.fieldKind === "list" && f.listKind === "message") {
      const items = o[f.localName] as Message[];
      for (let i = 0; i < items.length; i++) {
        const r = findUnknownField(f.message, items[i]!, `${join(path, f.localName)}[${i}]`, depth + 1);
        if (r) return r;
      }
    } else if (f.fieldKind === "map" && f.mapKind === "message") {
      for (const [k, v] of Object.entries(o[f.localName] as Record<string, Message>)) {
        const r = findUnknownField(f.message, v, `${join(path, f.localName)}[${JSON.stringify(k)}]`, depth + 1);
        if (r) return r;
      }
    }
  }
  return null;
}

function oneofValue(o: Record<string, unknown>, oneof: string, field: string): unknown {
  const v = o[oneof] as { case?: string; value?: unknown } | undefined;
  return v?.case === field ? v.value : undefined;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function check(desc: DescMessage, message: Message): void {
  const u = findUnknownField(desc, message);
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
    check(req.method.input, req.message);
    return next(req);
  }
  const messages = req.message;
  return next({
    ...req,
    message: (async function* () {
      try {
        for await (const m of messages) {
          check(req.method.input, m);
          yield m;
        }
      } catch (e) {
        throw asDecodeError(e); // a stream's messages are decoded as they are read, here
      }
    })(),
  });
};
