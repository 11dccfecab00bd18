// Intents as the store keeps them: the API's Intent messages in proto JSON, checked again when read,
// so that whatever is in the store reaches the path engine only through the checks every request passes.
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { IntentSchema } from "../../api/gen/cairn/v1/cairn_pb.js";
import { intentToProto } from "../../api/convert.js";
import { checkIntents } from "../../api/intents-check.js";
import { formatConfigError } from "../../config/errors.js";
import type { Intent, Topology } from "../../core/model.js";

export function encodeIntents(intents: readonly Intent[]): unknown[] {
  return intents.map((i) => toJson(IntentSchema, intentToProto(i)));
}

/** The stored intents as the model's, or why they are not valid for `topology`. */
export function decodeIntents(stored: unknown[], topology: Topology): { ok: true; intents: Intent[] } | { ok: false; reason: string } {
  let msgs;
  try {
    msgs = stored.map((j) => fromJson(IntentSchema, j as JsonValue));
  } catch (e) {
    return { ok: false, reason: `not Intent messages: ${(e as Error).message}` };
  }
  const checked = checkIntents(msgs, topology, "<store>");
  if (!checked.ok) return { ok: false, reason: checked.errors.slice(0, 3).map(formatConfigError).join("; ") };
  return { ok: true, intents: checked.value };
}
