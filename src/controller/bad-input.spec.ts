// Regression tests for what fuzzing the RPCs found: each bad request is refused with a clear error,
// and none leaves the controller unable to answer others.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AgentReportSchema, ApplyIntentsRequestSchema, CairnService, IntentSchema, ValidateIntentsRequestSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import { startController } from "./server.js";
import type { ControllerHandle } from "./server.js";
import { fileLabel } from "./intents-apply.js";
import { collectingLog, testIntents, testTopology } from "./testing.js";
import { WireClient } from "../testing/rpc-wire.js";

const topology = testTopology();
let controller: ControllerHandle;
let wire: WireClient;
const utf8 = (s: string) => new TextEncoder().encode(s);
const M = CairnService.method;

before(async () => {
  controller = await startController({ topology, intents: testIntents(topology), intentsFile: "intents.yaml", listen: [{ host: "127.0.0.1", port: 0 }], log: collectingLog("controller").log });
  wire = new WireClient(controller.urls[0]!);
});

after(async () => {
  wire.close();
  await controller.close();
});

async function stillAnswers(): Promise<void> {
  for (const m of [M.listIntents, M.listPaths, M.listLinks, M.listEvents]) {
    const o = await wire.call(m, "connect-json", utf8("{}"));
    assert.ok(o.ok, `${m.name}: ${o.code}: ${o.message}`);
  }
}

test("bytes that are no protobuf message: InvalidArgument in every protocol, unary and streaming, not Internal", async () => {
  for (const method of [M.listIntents, M.applyIntents, M.subscribe, M.watchEvents]) {
    for (const protocol of ["connect-proto", "grpc"] as const) {
      const o = await wire.call(method, protocol, Uint8Array.from([0x84]));
      assert.equal(o.code, "invalid_argument", `${method.name} over ${protocol}: ${o.code} ${o.message}`);
      assert.match(o.message ?? "", /^the request is not a valid protobuf message: /);
    }
  }
});

test("JSON the parser cannot read: the refusal escapes what it quotes", async () => {
  const o = await wire.call(M.listIntents, "connect-json", Uint8Array.from([0x10, 0x1b, 0x5b, 0x32, 0x4a]));
  assert.equal(o.code, "invalid_argument");
  assert.doesNotMatch(o.message!, /[\u0000-\u001f]/);
  assert.match(o.message!, /\\u001b/);
});

test("a base_revision past 2^53 is refused, and the events stay readable (it used to be rounded into an event no one could read)", async () => {
  for (const [method, schema] of [[M.applyIntents, ApplyIntentsRequestSchema], [M.validateIntents, ValidateIntentsRequestSchema]] as const) {
    const body = toBinary(schema, create(schema, { baseRevision: 2n ** 64n - 1n, intents: [create(IntentSchema, { name: "x" })] }));
    const o = await wire.call(method, "connect-proto", body);
    assert.equal(o.code, "invalid_argument", `${method.name}: ${o.message}`);
    assert.match(o.message!, /^base_revision 18446744073709551615 is no revision this controller has had/);
  }
  await stillAnswers();
});

test("a watch past the newest event is refused (OutOfRange), not left waiting forever", async () => {
  const o = await wire.call(M.watchEvents, "connect-json", utf8(JSON.stringify({ afterSeq: "123456789" })));
  assert.equal(o.code, "out_of_range");
  assert.match(o.message!, /^after_seq 123456789 is past the newest event \(\d+\); the controller may have restarted/);
});

test("unknown hosts and odd filenames are quoted and cut in refusals", async () => {
  const host = `h\u001b[2J${"x".repeat(500)}`;
  for (const [method, body] of [
    [M.subscribe, { host }],
    [M.reportStatus, { host, reportedAt: "2025-01-01T00:00:00Z" }],
    [M.listPaths, { hosts: [host, "[object Object]"] }],
  ] as const) {
    const o = await wire.call(method, "connect-json", utf8(JSON.stringify(body)));
    assert.equal(o.code, "not_found", method.name);
    assert.ok(o.message!.length < 300, `${method.name}: ${o.message!.length} characters`);
    assert.match(o.message!, /unknown host(\(s\))?:? "h\\u001b\[2Jx+…"/);
  }
  assert.equal(fileLabel(""), "<request>");
  assert.equal(fileLabel("examples/demo/intents.yaml"), "examples/demo/intents.yaml");
  assert.equal(fileLabel("[object Object]"), '"[object Object]"');
  assert.ok(fileLabel("a\n".repeat(500)).length < 120);
});

test("many long invalid-intent errors fit in gRPC's trailers: the client reads the refusal", async () => {
  const long = "z".repeat(200);
  const intents = Array.from({ length: 150 }, (_, k) => create(IntentSchema, { name: `i${k}`, match: { hosts: [`${long}${k}`, `${long}${k}b`], to: { case: "toHost", value: long } } }));
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: controller.urls[0]! }));
  await assert.rejects(client.validateIntents({ intents }), (e: unknown) => {
    assert.ok(e instanceof ConnectError && e.code === Code.InvalidArgument, String(e));
    assert.match(e.rawMessage, /… and \d+ more error\(s\)$/);
    assert.ok(e.rawMessage.length < 9 * 1024, `${e.rawMessage.length}`);
    return true;
  });
});

test("a report with a counter past 2^53 is refused, and the paths stay readable (it used to make ListPaths fail)", async () => {
  const report = create(AgentReportSchema, { host: "h1", reportedAt: new Date().toISOString(), datapathDrops: { mtu: 2n ** 53n + 1n } });
  const o = await wire.call(M.reportStatus, "grpc", toBinary(AgentReportSchema, report));
  assert.equal(o.code, "invalid_argument");
  assert.match(o.message!, /datapathDrops\["mtu"\]: 9007199254740993 is past 2\^53 − 1/);
  await stillAnswers();
});
