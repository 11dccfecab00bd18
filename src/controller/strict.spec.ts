// Strict reading of binary requests: an unknown field anywhere in a message is found and named by
// where it sits, through lists, maps, nested messages and oneofs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { AgentMessageSchema, AgentReportSchema, ApplyIntentsRequestSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import { findUnknownField } from "./strict.js";

/** `field` 99 (varint 1) as an unknown field, as a decoder keeps it. */
const unknown99 = [{ no: 99, wireType: 0, data: new Uint8Array([0x01]) }];

/** Encoded and decoded again, as the server sees it. */
function roundTrip<T extends Message>(desc: DescMessage, m: T): T {
  return fromBinary(desc, toBinary(desc, m)) as T;
}

test("findUnknownField finds an unknown field at any depth of a decoded message, and names where", () => {
  const intents = create(ApplyIntentsRequestSchema, { intents: [{ name: "a" }, { name: "b", match: { hosts: ["h1"] } }], baseRevision: 1n });
  assert.equal(findUnknownField(ApplyIntentsRequestSchema, roundTrip(ApplyIntentsRequestSchema, intents)), null, "a message without one");

  intents.intents[1]!.match!.$unknown = unknown99;
  const deep = findUnknownField(ApplyIntentsRequestSchema, roundTrip(ApplyIntentsRequestSchema, intents));
  assert.deepEqual(deep && { path: deep.path, no: deep.field.no, type: deep.type }, { path: "intents[1].match", no: 99, type: "cairn.v1.IntentMatch" });

  const top = create(ApplyIntentsRequestSchema);
  top.$unknown = unknown99;
  assert.equal(findUnknownField(ApplyIntentsRequestSchema, roundTrip(ApplyIntentsRequestSchema, top))?.path, "");

  // Through a oneof, a list and a map of the report.
  const report = create(AgentReportSchema, { host: "h1", paths: [{ probeSids: ["fc00::1"] }, { probeSids: ["fc00::2"], uses: [{ rule: "r#0" }] }] });
  report.paths[1]!.uses[0]!.$unknown = unknown99;
  const session = create(AgentMessageSchema, { kind: { case: "report", value: report } });
  assert.equal(findUnknownField(AgentMessageSchema, roundTrip(AgentMessageSchema, session))?.path, "report.paths[1].uses[0]");
});
