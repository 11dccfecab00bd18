// Fuzzing agent reports: ReportStatus messages that are structurally valid and name what the
// controller knows (its hosts, rule keys, probe SIDs, routers, links), with hostile values: huge
// and non-finite numbers, unknown hosts, repeated ids, long strings, bad times. Each is accepted or
// refused clearly, and afterwards every view built from the reports (ListPaths, ListLinks,
// ListEvents) still answers: an accepted report must never poison what others read.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { AgentReportSchema, CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { createOperatorClient } from "../api/client.js";
import { RULE_STATES, ACTIVE_PATHS } from "../api/types.js";
import { PATH_STATES } from "../core/elements.js";
import { startController } from "./server.js";
import type { ControllerHandle } from "./server.js";
import { collectingLog, testIntents, testTopology } from "./testing.js";
import { fuzz, fuzzRuns } from "../testing/fuzz.js";
import { hostileDouble, hostileString } from "../testing/fuzz-arbitraries.js";
import { WireClient, unclearRefusal } from "../testing/rpc-wire.js";
import type { WireProtocol } from "../testing/rpc-wire.js";

const topology = testTopology();
let controller: ControllerHandle;
let client: WireClient;
let generation = "";
const ruleKeys = new Map<string, string[]>();
const sidLists: string[][] = [];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

before(async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
  controller = await startController({ topology, intents: testIntents(topology), listen: [{ host: "127.0.0.1", port: 0 }], log: collectingLog("controller").log });
  client = new WireClient(controller.urls[0]!);
  const op = createOperatorClient(controller.urls[0]!);
  try {
    const paths = await op.listPaths();
    generation = paths.generation;
    for (const h of paths.hosts) {
      ruleKeys.set(h.host, h.rules.map((r) => r.key));
      for (const r of h.rules) for (const t of r.targets) if (t.probes) sidLists.push(t.probes.primary, ...(t.probes.backup ? [t.probes.backup] : []));
    }
  } finally {
    op.close();
  }
  assert.ok(sidLists.length > 0, "the test intents have probed paths");
});

after(async () => {
  client.close();
  await controller.close();
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
});

/** Mostly what an agent would send, now and then the extremes: most reports get past the first check. */
const U64 = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 100_000n }), weight: 12 },
  { arbitrary: fc.constantFrom(2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n), weight: 1 },
  { arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), weight: 1 },
);
const U32 = fc.oneof({ arbitrary: fc.constantFrom(0, 10, 100), weight: 6 }, { arbitrary: fc.constantFrom(1, 2 ** 32 - 1), weight: 1 }, { arbitrary: fc.nat({ max: 2 ** 32 - 1 }), weight: 1 });
const SHARE = fc.oneof({ arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 5 }, { arbitrary: hostileDouble, weight: 1 });
const MICROS = fc.oneof({ arbitrary: fc.double({ min: 0, max: 100_000, noNaN: true }), weight: 5 }, { arbitrary: hostileDouble, weight: 1 });
const TIMES = ["2025-01-01T00:00:00Z", new Date().toISOString(), "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2025-02-30T00:00:00Z", "2025-01-01T00:00:00+25:00", "", "now", "2025-01-01T00:00:00.0000000001Z"];

function reportArb(): fc.Arbitrary<{ report: ReturnType<typeof create<typeof AgentReportSchema>>; protocol: WireProtocol }> {
  const hosts = topology.hosts.map((h) => h.name);
  const routers = topology.routers.map((r) => r.name);
  const links = topology.links.map((l) => l.id);
  const allKeys = [...ruleKeys.values()].flat();
  const word = (known: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 6 }, { arbitrary: hostileString(), weight: 1 });
  const rule = fc.record({
    key: word(allKeys),
    state: word([...RULE_STATES]),
    reason: fc.oneof({ arbitrary: fc.constant(""), weight: 4 }, { arbitrary: hostileString(), weight: 1 }),
    prefixes: fc.array(word(["2001:db8:4::/64", "2001:db8:4::10/128", "10.0.4.0/24", "::/0", "0.0.0.0/0"]), { maxLength: 3 }),
    active: word([...ACTIVE_PATHS]),
    steeredPackets: U64, steeredBytes: U64, unsteeredPackets: U64, droppedPackets: U64,
  });
  const path = fc.record({
    probeSids: fc.oneof({ arbitrary: fc.constantFrom(...sidLists), weight: 6 }, { arbitrary: fc.array(hostileString(["fc00:0:2::1", "fc00:0:1::1"]), { maxLength: 3 }), weight: 1 }),
    routers: fc.array(word(routers), { maxLength: 4 }),
    links: fc.array(word(links), { maxLength: 3 }),
    state: word([...PATH_STATES]),
    since: word(TIMES),
    loss: SHARE, rttMinUs: MICROS, rttAvgUs: MICROS, rttP99Us: MICROS,
    probesSent: U64, probesReceived: U64,
    uses: fc.array(fc.record({ rule: word(allKeys), prefix: word(["2001:db8:4::/64", "10.0.4.0/24"]), role: word(["primary", "backup"]), active: fc.boolean() }), { maxLength: 3 }),
    intervalMs: U32, misses: U32,
  });
  const report = fc.record({
    host: fc.oneof({ arbitrary: fc.constantFrom(...hosts), weight: 8 }, { arbitrary: hostileString(), weight: 1 }),
    generation: fc.oneof({ arbitrary: fc.constant(generation), weight: 4 }, { arbitrary: hostileString(), weight: 1 }),
    appliedVersion: U64,
    reportedAt: word(TIMES),
    // Repeated rules and paths on purpose: the same key or SID list twice.
    rules: fc.oneof({ arbitrary: fc.constant([] as never[]), weight: 2 }, { arbitrary: fc.array(rule, { maxLength: 4 }), weight: 3 }, { arbitrary: rule.map((r) => [r, r]), weight: 1 }),
    datapathDrops: fc.dictionary(word(["mtu", "no-path", "closed"]), U64, { maxKeys: 3 }),
    paths: fc.oneof({ arbitrary: fc.constant([] as never[]), weight: 3 }, { arbitrary: fc.array(path, { maxLength: 4 }), weight: 3 }, { arbitrary: path.map((p) => [p, p]), weight: 1 }),
  });
  return fc.record({ report: report.map((r) => create(AgentReportSchema, r)), protocol: fc.constantFrom<WireProtocol>("connect-json", "connect-proto", "grpc") });
}

const utf8 = (s: string) => new TextEncoder().encode(s);

async function viewsAnswer(): Promise<void> {
  for (const m of [CairnService.method.listPaths, CairnService.method.listLinks, CairnService.method.listEvents]) {
    const o = await client.call(m, "connect-json", utf8("{}"));
    assert.ok(o.ok, `${m.name} after the report: ${o.code}: ${o.message?.slice(0, 300)}`);
  }
  assert.deepEqual(unhandled, [], "something was thrown unhandled");
}

test("fuzz: agent reports with hostile values; the views built from them still answer", async (t) => {
  const outcomes = new Map<string, number>();
  await fuzz(t, reportArb(), fuzzRuns(250, 1), async ({ report, protocol }) => {
    const body = protocol === "connect-json" ? utf8(toJsonString(AgentReportSchema, report)) : toBinary(AgentReportSchema, report);
    const o = await client.call(CairnService.method.reportStatus, protocol, body);
    assert.equal(unclearRefusal(o), null, `ReportStatus over ${protocol}: ${unclearRefusal(o)}`);
    const k = o.ok ? "accepted" : o.code!;
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    await viewsAnswer();
  });
  t.diagnostic(`outcomes: ${[...outcomes].sort().map(([k, n]) => `${k}=${n}`).join(" ")}`);
  assert.ok((outcomes.get("accepted") ?? 0) > 0, "some reports were accepted (the generator reaches past the checks)");
});
