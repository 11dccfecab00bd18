// Fuzzing every RPC of cairn.v1.CairnService over real HTTP/2 against an in-process controller,
// in all three wire protocols: random bytes, mutations of valid messages, random JSON, and valid
// messages with hostile values. The controller never crashes (it answers a health call after each
// test, and nothing is thrown unhandled), never hangs (every call answers within 5 s), and refuses
// with a clear error: a code other than internal or unknown, and a message that says what is
// wrong, without a stack, "undefined" or "[object Object]".
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { toBinary, toJsonString } from "@bufbuild/protobuf";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { startController } from "./server.js";
import type { ControllerHandle } from "./server.js";
import { collectingLog, testIntents, testTopology } from "./testing.js";
import { fuzz, fuzzRuns } from "../testing/fuzz.js";
import { messageArb, mutatedBytes } from "../testing/fuzz-arbitraries.js";
import { WIRE_PROTOCOLS, WireClient, unclearRefusal } from "../testing/rpc-wire.js";
import type { WireProtocol } from "../testing/rpc-wire.js";

const topology = testTopology();
/** Names the controller knows, so that hostile values reach past the first checks. */
const KNOWN = [
  ...topology.hosts.map((h) => h.name), ...topology.routers.map((r) => r.name), ...topology.links.map((l) => l.id),
  "web", "bulk", "h3-out", "installed", "error", "waiting", "not-steered", "primary", "backup", "none", "up", "down", "degraded", "unknown",
  "latency", "igp", "weighted", "link", "node", "srlg", "open", "closed", "tcp", "udp", "icmp", "2001:db8:4::/64", "10.0.4.0/24", "fc00:0:2::1", "2025-01-01T00:00:00Z", "intents.yaml",
];

let controller: ControllerHandle;
let client: WireClient;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

before(async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
  controller = await startController({
    topology,
    intents: testIntents(topology),
    intentsFile: "intents.yaml",
    listen: [{ host: "127.0.0.1", port: 0 }],
    log: collectingLog("controller").log,
  });
  client = new WireClient(controller.urls[0]!);
});

after(async () => {
  client.close();
  await controller.close();
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
});

type Body = { kind: "random-bytes" | "mutated-binary" | "random-json" | "mutated-json" | "hostile-binary" | "hostile-json" | "unframed"; protocol: WireProtocol; body: Uint8Array };

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Every kind of request body for `method`, each with the protocols that carry it. */
function bodies(method: DescMethod): fc.Arbitrary<Body> {
  const valid = messageArb(method.input, { known: KNOWN });
  const binary = valid.map((m: Message) => toBinary(method.input, m));
  const json = valid.map((m: Message) => toJsonString(method.input, m));
  const binaryProtocol = fc.constantFrom<WireProtocol>("connect-proto", "grpc");
  const any = fc.constantFrom(...WIRE_PROTOCOLS);
  return fc.oneof(
    fc.record({ kind: fc.constant("random-bytes" as const), protocol: binaryProtocol, body: fc.uint8Array({ maxLength: 512 }) }),
    fc.record({ kind: fc.constant("mutated-binary" as const), protocol: binaryProtocol, body: binary.chain((b) => mutatedBytes(b)) }),
    fc.record({ kind: fc.constant("random-json" as const), protocol: fc.constant<WireProtocol>("connect-json"), body: fc.oneof(fc.json(), fc.string()).map(utf8) }),
    fc.record({ kind: fc.constant("mutated-json" as const), protocol: fc.constant<WireProtocol>("connect-json"), body: json.chain((j) => mutatedBytes(utf8(j))) }),
    fc.record({ kind: fc.constant("hostile-binary" as const), protocol: binaryProtocol, body: binary }),
    fc.record({ kind: fc.constant("hostile-json" as const), protocol: fc.constant<WireProtocol>("connect-json"), body: json.map(utf8) }),
    fc.record({ kind: fc.constant("unframed" as const), protocol: any, body: fc.uint8Array({ maxLength: 64 }) }),
  );
}

async function healthy(): Promise<void> {
  const o = await client.call(CairnService.method.listIntents, "connect-json", utf8("{}"));
  assert.ok(o.ok, `the controller stopped answering: ${o.code}: ${o.message}`);
  assert.deepEqual(unhandled, [], "something was thrown unhandled");
}

let total = 0;
for (const method of CairnService.methods) {
  test(`fuzz: ${method.name}, every body kind over Connect JSON, Connect binary and gRPC`, async (t) => {
    const seen = new Map<string, number>();
    total += await fuzz(t, bodies(method), fuzzRuns(120, 1), async (b) => {
      const o = await client.call(method, b.protocol, b.body, { raw: b.kind === "unframed", quietOk: method === CairnService.method.watchEvents });
      const why = unclearRefusal(o);
      assert.equal(why, null, `${method.name} over ${b.protocol}, ${b.kind} body of ${b.body.length} bytes: ${why}`);
      const k = `${b.protocol}:${o.ok ? "ok" : o.code}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    });
    t.diagnostic(`outcomes: ${[...seen].sort().map(([k, n]) => `${k}=${n}`).join(" ")}`);
    await healthy();
  });
}

test("fuzz: every RPC in turn, interleaved, then the controller still answers", async (t) => {
  const arb = fc.nat({ max: CairnService.methods.length - 1 }).chain((i) => bodies(CairnService.methods[i]!).map((b) => ({ method: CairnService.methods[i]!, b })));
  total += await fuzz(t, arb, fuzzRuns(150, 1), async ({ method, b }) => {
    const o = await client.call(method, b.protocol, b.body, { raw: b.kind === "unframed", quietOk: method === CairnService.method.watchEvents });
    assert.equal(unclearRefusal(o), null, `${method.name} over ${b.protocol}, ${b.kind}`);
  });
  await healthy();
  t.diagnostic(`fuzz: ${total} RPC cases in this file`);
});
