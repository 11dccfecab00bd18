// Typed intents are checked as completely as the intents file: every example file survives the
// wire unchanged, every rule refuses with its field path and the intent's name, and on random
// intents (valid or not) the typed check and the file's parser agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { clone, create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import fc from "fast-check";
import { formatConfigError } from "../config/errors.js";
import { parseIntents } from "../config/intents-file.js";
import { formatIntentsYaml } from "../config/intents-yaml.js";
import { parseTopology } from "../config/topology-file.js";
import type { Intent, Topology } from "../core/model.js";
import { NO_CONSTRAINTS } from "../core/model.js";
import { intentToProto } from "./convert.js";
import { IntentSchema } from "./gen/cairn/v1/cairn_pb.js";
import type { Intent as IntentMsg } from "./gen/cairn/v1/cairn_pb.js";
import { checkIntents } from "./intents-check.js";
import { fuzzRuns, fuzzSeed } from "../testing/fuzz.js";

function topologyOf(text: string, file = "t.yaml"): Topology {
  const r = parseTopology(text, file);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value;
}

/** Dual-stack h1 and h2, IPv6-only h3; SRLGs, regions, colours and a service. */
const T = topologyOf(`routers:
  - { name: r1, locator: "fc00:0:1::/48", region: eu }
  - { name: r2, locator: "fc00:0:2::/48" }
  - { name: r3, locator: "fc00:0:3::/48", region: us }
  - { name: r4, locator: "fc00:0:4::/48" }
hosts:
  - { name: h1, router: r1, address: "2001:db8:1::10/64", address4: "10.0.1.10/24" }
  - { name: h2, router: r4, address: "2001:db8:4::10/64", address4: "10.0.4.10/24" }
  - { name: h3, router: r2, address: "2001:db8:2::10/64" }
links:
  - { a: r1, b: r2, srlgs: [duct-1], colors: [gold] }
  - { a: r2, b: r4, colors: [gold] }
  - { a: r1, b: r3, srlgs: [duct-2] }
  - { a: r3, b: r4 }
services:
  - name: fw
    instances: [{ node: r3, sid: "fc00:0:3::f1" }]
`);

const base: Intent = {
  name: "x",
  match: { hosts: ["h1"], to: { host: "h2" }, ports: [] },
  objective: "latency",
  constraints: { ...NO_CONSTRAINTS },
  via: [],
  protection: "none",
};

/** The formatted errors of one intent: `base` changed by `edit`. */
function errorsOf(edit: (m: IntentMsg) => void, start: Intent = base): string[] {
  const m = intentToProto(start);
  edit(m);
  const r = checkIntents([m], T, "<request>");
  assert.equal(r.ok, false, "expected errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

function ok(edit: (m: IntentMsg) => void, start: Intent = base): Intent {
  const m = intentToProto(start);
  edit(m);
  const r = checkIntents([m], T, "<request>");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value[0]!;
}

const err = (field: string, reason: string, intent = "x") => `<request>: intents[0].${field}: intent "${intent}": ${reason}`;

test("every example intents file reaches the controller unchanged: parsed, sent (binary and JSON), checked", () => {
  const cases: [string, string][] = [
    ["examples/demo/topology.yaml", "examples/demo/"],
    ["examples/failover/topology.yaml", "examples/failover/"],
  ];
  let n = 0;
  for (const [topo, dir] of cases) {
    const topology = topologyOf(readFileSync(new URL(`../../${topo}`, import.meta.url), "utf8"), topo);
    for (const f of readdirSync(new URL(`../../${dir}`, import.meta.url)).filter((f) => /^intents.*\.yaml$/.test(f))) {
      const parsed = parseIntents(readFileSync(new URL(`../../${dir}${f}`, import.meta.url), "utf8"), f, topology);
      assert.ok(parsed.ok, f);
      const msgs = parsed.value.map(intentToProto);
      for (const wire of [
        msgs.map((m) => fromBinary(IntentSchema, toBinary(IntentSchema, m))),
        msgs.map((m) => fromJson(IntentSchema, toJson(IntentSchema, m))),
      ]) {
        const checked = checkIntents(wire, topology, f);
        assert.ok(checked.ok, checked.ok ? "" : checked.errors.map(formatConfigError).join("\n"));
        assert.deepEqual(checked.value, parsed.value, f);
      }
      n++;
    }
  }
  assert.ok(n >= 4, `${n} files`);
});

test("defaults and normal forms: as the intents file gives them", () => {
  const m = create(IntentSchema, { name: "x", match: { hosts: ["h1"], to: { case: "toHost", value: "h2" } } });
  const r = checkIntents([m], T, "<request>");
  assert.ok(r.ok);
  assert.deepEqual(r.value[0], base, 'objective "" is latency, protection "" none');
  const i = ok((m) => {
    m.match!.user = "0012";
    m.match!.to = { case: "toDns", value: "Video.Example.COM." };
    m.match!.source = "2001:db8:1::7/64";
    m.constraints!.avoidLinks = ["r2-r1", "r1-r2"];
    m.constraints!.avoidNodes = ["r3", "r3"];
  });
  assert.deepEqual([i.match.user, i.match.to, i.match.source, i.constraints.avoidLinks, i.constraints.avoidNodes], ["12", { dns: "video.example.com" }, "2001:db8:1::/64", ["r1-r2"], ["r3"]]);
  assert.deepEqual(ok((m) => (m.match!.to = { case: "toPrefix", value: "10.0.4.7" })).match.to, { prefix: "10.0.4.7/32" });
  assert.deepEqual(ok((m) => (m.liveliness = create(IntentSchema, { liveliness: {} }).liveliness)).liveliness, { probes: true }, "an empty liveliness is the agents' own settings, as `probes: on`");
});

test("every check names the field path and the intent", () => {
  const cases: [(m: IntentMsg) => void, string, string][] = [
    [(m) => (m.name = ""), "name", "missing: every intent needs a name"],
    [(m) => (m.name = "bad name"), "name", '"bad name" is not a valid intent name (letters, digits, _ . -; up to 63)'],
    [(m) => (m.match = undefined), "match", "missing: every intent needs a match (hosts and a destination)"],
    [(m) => (m.match!.hosts = []), "match.hosts", "must name at least one host"],
    [(m) => (m.match!.hosts = ["h1", "h9"]), "match.hosts[1]", 'unknown host "h9"; did you mean "h1", "h2" or "h3"?'],
    [(m) => (m.match!.hosts = ["r1"]), "match.hosts[0]", '"r1" is a router; intents apply on hosts'],
    [(m) => (m.match!.hosts = [""]), "match.hosts[0]", "expected a non-empty string"],
    [(m) => (m.match!.app = "a/b"), "match.app", '"a/b" is not a valid app name (letters, digits, _ . -)'],
    [(m) => (m.match!.app = ""), "match.app", "expected a non-empty string (leave the field out for any)"],
    [(m) => ((m.match!.app = "web"), (m.match!.cgroup = "/a.slice")), "match.cgroup", 'app "web" already names a cgroup (the lab app\'s); give app or cgroup, not both'],
    [(m) => (m.match!.cgroup = "/"), "match.cgroup", '"/" is the root cgroup, which holds every process: leave cgroup out to match any process'],
    [(m) => (m.match!.cgroup = "a/b"), "match.cgroup", '"a/b" is not absolute: write the path from the cgroup2 mount, e.g. /system.slice/video.service'],
    [(m) => (m.match!.user = "-x"), "match.user", '"-x" is neither a uid nor a portable user name (letters, digits, . _ -, not starting with -)'],
    [(m) => (m.match!.user = "4294967295"), "match.user", "uid 4294967295 is out of range: 0 to 4294967294"],
    [(m) => (m.match!.source = "10.1.2/16"), "match.source", '"10.1.2/16" is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:1::/64, 10.1.0.0/16, 10.1.0.7)'],
    [(m) => (m.match!.to = { case: undefined }), "match.to", "missing: give the destination as toHost, toPrefix or toDns"],
    [(m) => (m.match!.to = { case: "toHost", value: "" }), "match.toHost", "expected a non-empty string"],
    [(m) => (m.match!.to = { case: "toHost", value: "h9" }), "match.toHost", 'unknown host "h9"; did you mean "h1", "h2" or "h3"?'],
    [(m) => (m.match!.to = { case: "toHost", value: "r2" }), "match.toHost", '"r2" is a router; give a host (toHost), a prefix (toPrefix) or a DNS name (toDns)'],
    [(m) => (m.match!.to = { case: "toHost", value: "h1" }), "match.toHost", 'destination "h1" is also one of the hosts this intent applies on'],
    [(m) => (m.match!.to = { case: "toPrefix", value: "2001:zz::/64" }), "match.toPrefix", '"2001:zz::/64" is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:4::/64, 10.0.4.0/24, 10.0.4.10)'],
    [
      (m) => (m.match!.to = { case: "toPrefix", value: "10.9.0.0/24" }),
      "match.toPrefix",
      "10.9.0.0/24 is in no host's IPv4 subnet; End.DX4 decapsulates to one host, so an IPv4 destination must sit inside exactly one dual-stack host's IPv4 subnet",
    ],
    [(m) => (m.match!.to = { case: "toDns", value: "bad_name.example" }), "match.toDns", '"bad_name.example" is not a DNS name: label "bad_name" may hold only letters, digits and -, and may not start or end with -'],
    [(m) => (m.match!.protocol = "sctp"), "match.protocol", 'unknown protocol "sctp"; use one of tcp, udp, icmp, icmpv6'],
    [(m) => (m.match!.ports = [{ $typeName: "cairn.v1.PortRange", from: 70000, to: 70000 }]), "match.ports[0]", "70000-70000 is not a port range (ports 0-65535)"],
    [(m) => (m.match!.ports = [{ $typeName: "cairn.v1.PortRange", from: 5100, to: 5000 }]), "match.ports[0]", "port range 5100-5000 runs backwards"],
    [(m) => ((m.match!.protocol = "icmp"), (m.match!.ports = [{ $typeName: "cairn.v1.PortRange", from: 1, to: 1 }])), "match.ports", "ports apply only to tcp and udp"],
    [
      (m) => ((m.match!.source = "10.0.1.0/24"), (m.match!.to = { case: "toPrefix", value: "2001:db8:4::/64" })),
      "match.source",
      "source 10.0.1.0/24 is IPv4, but the destination 2001:db8:4::/64 is IPv6; a packet has one family",
    ],
    [
      (m) => ((m.match!.protocol = "icmp"), (m.match!.to = { case: "toPrefix", value: "2001:db8:4::/64" })),
      "match.protocol",
      "icmp is IPv4 only, but the destination 2001:db8:4::/64 is IPv6: use icmpv6",
    ],
    [(m) => ((m.match!.protocol = "icmpv6"), (m.match!.source = "10.0.1.0/24")), "match.protocol", "icmpv6 is IPv6 only, but source 10.0.1.0/24 is IPv4"],
    [(m) => ((m.match!.protocol = "icmp"), (m.match!.to = { case: "toHost", value: "h3" })), "match.toHost", "h3 has no IPv4 address, and this intent matches only IPv4 (protocol icmp is IPv4 only)"],
    [
      (m) => ((m.match!.protocol = "icmp"), (m.match!.hosts = ["h3"])),
      "match.hosts[0]",
      '"h3" has no IPv4 address, so no IPv4 path to h2, and this intent matches only IPv4 (protocol icmp is IPv4 only)',
    ],
    [(m) => (m.objective = "fastest"), "objective", 'unknown objective "fastest"; use one of igp, te, latency, hops, jitter, loss, bandwidth, utilization, or "weighted" with weights'],
    [(m) => (m.objective = "weighted"), "weights", 'objective "weighted" needs at least one weight, e.g. { "latency": 1, "hops": 200 } (metrics: igp, te, latency, hops, jitter, loss)'],
    [(m) => (m.weights = { latency: 1 }), "weights", 'weights apply only to objective "weighted", not "latency"'],
    [(m) => ((m.objective = "weighted"), (m.weights = { bandwidth: 1 })), "weights.bandwidth", 'unknown metric "bandwidth"; expected one of igp, te, latency, hops, jitter, loss'],
    [(m) => ((m.objective = "weighted"), (m.weights = { hops: 0 })), "weights.hops", "a weight must be greater than zero, got 0; leave hops out to ignore it"],
    [(m) => ((m.objective = "weighted"), (m.weights = { latency: NaN })), "weights.latency", "a weight must be greater than zero, got NaN; leave latency out to ignore it"],
    [(m) => (m.constraints!.maxLatencyUs = 1.5), "constraints.maxLatencyUs", `expected a whole number of microseconds from 0 to ${Number.MAX_SAFE_INTEGER}, got 1.5`],
    [(m) => (m.constraints!.maxJitterUs = -1), "constraints.maxJitterUs", `expected a whole number of microseconds from 0 to ${Number.MAX_SAFE_INTEGER}, got -1`],
    [(m) => (m.constraints!.maxLoss = 1), "constraints.maxLoss", "1 is out of range: a loss ratio from 0 up to (not including) 1"],
    [(m) => (m.constraints!.maxHops = 0), "constraints.maxHops", "expected a whole number from 1 to 255, got 0"],
    [(m) => (m.constraints!.maxHops = 256), "constraints.maxHops", "expected a whole number from 1 to 255, got 256"],
    [(m) => (m.constraints!.minBandwidthBps = 0), "constraints.minBandwidthBps", `expected a whole number of bits per second from 1 to ${Number.MAX_SAFE_INTEGER}, got 0`],
    [(m) => (m.constraints!.avoidNodes = ["h2"]), "constraints.avoidNodes[0]", '"h2" is a host; avoidNodes takes routers'],
    [(m) => (m.constraints!.avoidNodes = ["r1", "r9"]), "constraints.avoidNodes[1]", 'unknown router "r9"; did you mean "r1", "r2" or "r3"?'],
    [(m) => (m.constraints!.avoidLinks = ["r1-r4"]), "constraints.avoidLinks[0]", 'no link "r1-r4" in the topology; did you mean "r1-r2", "r1-r3" or "r2-r4"?'],
    [(m) => (m.constraints!.avoidLinks = ["r1r2"]), "constraints.avoidLinks[0]", 'no link "r1r2" in the topology: write a link\'s id, or a-b for the links between routers a and b, e.g. r1-r2; did you mean "r1-r2"?'],
    [(m) => (m.constraints!.avoidSrlgs = ["duct-9"]), "constraints.avoidSrlgs[0]", 'no link has srlg "duct-9"'],
    [(m) => (m.constraints!.avoidRegions = ["mars"]), "constraints.avoidRegions[0]", 'no router has region "mars"'],
    [(m) => ((m.constraints!.excludeAny = ["gold"]), (m.constraints!.includeAll = ["gold"])), "constraints.excludeAny[0]", 'colour "gold" is both excluded here and required by includeAll'],
    [(m) => (m.constraints!.includeAny = [""]), "constraints.includeAny[0]", "expected a non-empty string"],
    [(m) => (m.via = ["h2"]), "via[0]", '"h2" is a host; via takes routers and services'],
    [(m) => (m.via = ["fw", "nat"]), "via[1]", 'unknown router or service "nat"; the routers and services are "r1", "r2", "r3", "r4" and "fw"'],
    [(m) => ((m.via = ["r3"]), (m.constraints!.avoidNodes = ["r3"])), "via[0]", '"r3" is both a via point and in constraints.avoidNodes'],
    [(m) => (m.protection = "full"), "protection", 'unknown protection "full"; use one of none, link, node, srlg'],
    [(m) => (m.msd = 0), "msd", "expected a whole number from 1 to 16, got 0"],
    [(m) => (m.msd = 17), "msd", "expected a whole number from 1 to 16, got 17"],
    [(m) => (m.onFailure = "drop"), "onFailure", 'unknown onFailure "drop"; use open (send unsteered) or closed (drop)'],
    [
      (m) => (m.liveliness = create(IntentSchema, { liveliness: { probesOff: true, intervalMs: 20 } }).liveliness),
      "liveliness.intervalMs",
      "intervalMs has no effect with probesOff (this intent's paths are not probed); remove one or the other",
    ],
    [(m) => (m.liveliness = create(IntentSchema, { liveliness: { intervalMs: 0 } }).liveliness), "liveliness.intervalMs", "expected a whole number from 1 to 60000, got 0"],
    [(m) => (m.liveliness = create(IntentSchema, { liveliness: { misses: 101 } }).liveliness), "liveliness.misses", "expected a whole number from 1 to 100, got 101"],
    [(m) => (m.liveliness = create(IntentSchema, { liveliness: { holddownMs: 600001 } }).liveliness), "liveliness.holddownMs", "expected a whole number from 0 to 600000, got 600001"],
    [(m) => (m.liveliness = create(IntentSchema, { liveliness: { lossThreshold: 0 } }).liveliness), "liveliness.lossThreshold", "0 is out of range: a share above 0 and below 1, e.g. 0.05"],
    [(m) => (m.liveliness = create(IntentSchema, { liveliness: { lossThreshold: 1 } }).liveliness), "liveliness.lossThreshold", "1 is out of range: a share above 0 and below 1, e.g. 0.05"],
  ];
  for (const [edit, field, reason] of cases) {
    const named = field === "name" && reason.startsWith("missing") ? "" : undefined;
    assert.deepEqual(errorsOf(edit), [named === "" ? `<request>: intents[0].name: ${reason}` : err(field, reason, field === "name" ? "bad name" : "x")], `${field}: ${reason}`);
  }
});

test("every problem of every intent, not just the first; duplicates; long and odd values quoted and cut", () => {
  const a = intentToProto(base);
  const b = clone(IntentSchema, a);
  b.name = "y";
  b.match!.hosts = ["h9"];
  b.match!.protocol = "sctp";
  b.constraints!.maxHops = 0;
  const c = clone(IntentSchema, a);
  const r = checkIntents([a, b, c], T, "f.yaml");
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.errors.map(formatConfigError), [
    'f.yaml: intents[1].match.hosts[0]: intent "y": unknown host "h9"; did you mean "h1", "h2" or "h3"?',
    'f.yaml: intents[1].match.protocol: intent "y": unknown protocol "sctp"; use one of tcp, udp, icmp, icmpv6',
    'f.yaml: intents[1].constraints.maxHops: intent "y": expected a whole number from 1 to 255, got 0',
    'f.yaml: intents[2].name: intent "x": duplicate intent name "x" (first at intents[0])',
  ]);
  const odd = errorsOf((m) => (m.match!.hosts = [`h\u0000${"z".repeat(200)}`]));
  assert.equal(odd.length, 1);
  assert.ok(odd[0]!.includes('unknown host "h\\u0000zzz') && odd[0]!.includes("…") && odd[0]!.length < 200, odd[0]);
});

/**
 * Random intents, valid or not, through both doors: as typed messages (checkIntents) and as an
 * intents file (formatIntentsYaml → parseIntents). Both accept the same intents and read them the
 * same way; both refuse the same ones.
 */
test("the typed check and the intents file agree on random intents", (t) => {
  const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
  /** Mostly one of `good`, now and then one of `bad`. */
  const mostly = <T>(good: T[], bad: T[]) => fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 30 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
  const subset = (good: string[], bad: string[]) =>
    fc.oneof({ arbitrary: fc.subarray(good, { maxLength: Math.min(2, good.length) }), weight: 30 }, { arbitrary: fc.subarray([...good, ...bad], { minLength: 1 }), weight: 1 });
  const intent: fc.Arbitrary<Intent> = fc
    .record({
      name: mostly(["a", "b", "c", "d", "e", "f", "web-1", "v.2"], ["bad name", "-x"]),
      hosts: mostly<string[]>([["h1"], ["h1", "h3"], ["h3"]], [[], ["h9"], ["r1"], ["h1", "h2"]]),
      app: maybe(mostly(["video", "v.2"], ["a/b"])),
      cgroup: maybe(mostly(["/system.slice/x.service"], ["/", "rel/x"])),
      user: maybe(mostly(["alice", "1001", "007"], ["-x"])),
      source: maybe(mostly(["2001:db8:1::/64", "2001:db8:1::9/64"], ["10.0.1.0/24", "10.0.1.7", "zz"])),
      to: mostly<Intent["match"]["to"]>(
        [{ host: "h2" }, { prefix: "2001:db8:4::/64" }, { prefix: "10.0.4.0/24" }, { dns: "video.example.com" }],
        [{ host: "h3" }, { host: "h1" }, { prefix: "10.9.0.0/24" }, { dns: "Bad_name.example" }],
      ),
      protocol: maybe(mostly<NonNullable<Intent["match"]["protocol"]>>(["tcp", "udp"], ["icmp", "icmpv6"])),
      ports: mostly<Intent["match"]["ports"]>([[], [{ from: 443, to: 443 }], [{ from: 5000, to: 5100 }, { from: 6000, to: 6000 }]], [[{ from: 80, to: 79 }]]),
      objective: pick<Intent["objective"]>("latency", "igp", "bandwidth", "weighted"),
      weights: mostly<NonNullable<Intent["weights"]>>([{ latency: 1, hops: 200 }, { te: 0.5 }], [{ igp: -1 }]),
      maxLatencyUs: maybe(pick(0, 20_000, 1_500_000, 7)),
      maxLoss: maybe(mostly([0, 0.005, 1e-7], [1])),
      maxHops: maybe(mostly([6, 255], [0, 256])),
      minBandwidthBps: maybe(pick(1e9, 1_500_000, 123)),
      avoidNodes: subset(["r2"], ["h2", "r9"]),
      avoidLinks: subset(["r1-r2", "r4-r2"], ["r1-r4", "x"]),
      avoidSrlgs: subset(["duct-1"], ["duct-9"]),
      avoidRegions: subset(["eu"], ["mars"]),
      excludeAny: subset(["red"], ["gold"]),
      includeAll: subset(["gold"], []),
      via: subset(["fw", "r3"], ["h2", "nat", "r2"]),
      protection: pick<Intent["protection"]>("none", "link", "srlg"),
      msd: maybe(mostly([1, 9, 16], [17])),
      onFailure: maybe(pick<NonNullable<Intent["onFailure"]>>("open", "closed")),
      liveliness: maybe(mostly<NonNullable<Intent["liveliness"]>>([{ probes: false }, { probes: true }, { probes: true, intervalMs: 20, lossThreshold: 0.05, holddownMs: 0 }], [{ probes: true, misses: 0 }, { probes: true, lossThreshold: 1 }])),
    })
    .map((r): Intent => ({
      name: r.name,
      match: {
        hosts: r.hosts,
        ...(r.app !== undefined ? { app: r.app } : {}),
        ...(r.cgroup !== undefined ? { cgroup: r.cgroup } : {}),
        ...(r.user !== undefined ? { user: r.user } : {}),
        ...(r.source !== undefined ? { source: r.source } : {}),
        to: r.to,
        ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
        ports: r.ports,
      },
      objective: r.objective,
      ...(r.objective === "weighted" ? { weights: r.weights } : {}),
      constraints: {
        ...NO_CONSTRAINTS,
        ...(r.maxLatencyUs !== undefined ? { maxLatencyUs: r.maxLatencyUs } : {}),
        ...(r.maxLoss !== undefined ? { maxLoss: r.maxLoss } : {}),
        ...(r.maxHops !== undefined ? { maxHops: r.maxHops } : {}),
        ...(r.minBandwidthBps !== undefined ? { minBandwidthBps: r.minBandwidthBps } : {}),
        avoidNodes: r.avoidNodes,
        avoidLinks: r.avoidLinks,
        avoidSrlgs: r.avoidSrlgs,
        avoidRegions: r.avoidRegions,
        excludeAny: r.excludeAny,
        includeAll: r.includeAll,
      },
      via: r.via,
      protection: r.protection,
      ...(r.msd !== undefined ? { msd: r.msd } : {}),
      ...(r.onFailure !== undefined ? { onFailure: r.onFailure } : {}),
      ...(r.liveliness !== undefined ? { liveliness: r.liveliness } : {}),
    }));
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(fc.array(intent, { minLength: 1, maxLength: 2 }), (intents) => {
      const typed = checkIntents(intents.map(intentToProto), T, "<request>");
      const file = parseIntents(formatIntentsYaml(intents), "i.yaml", T);
      assert.equal(typed.ok, file.ok, `typed: ${typed.ok ? "ok" : typed.errors.map(formatConfigError).join("; ")}\nfile: ${file.ok ? "ok" : file.errors.map(formatConfigError).join("; ")}\n${formatIntentsYaml(intents)}`);
      if (typed.ok && file.ok) {
        assert.deepEqual(typed.value, file.value);
        accepted++;
      } else refused++;
    }),
    { seed: fuzzSeed(), numRuns: fuzzRuns(400) },
  );
  t.diagnostic(`fuzz: ${accepted + refused} cases (seed ${fuzzSeed()})`);
  assert.ok(accepted > 50 && refused > 50, `accepted ${accepted}, refused ${refused}`);
});
