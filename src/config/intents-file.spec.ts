import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { parseTopology } from "./topology-file.js";
import { parseIntents } from "./intents-file.js";
import { formatConfigError } from "./errors.js";
import { NO_CONSTRAINTS } from "../core/model.js";
import type { Topology } from "../core/model.js";
import { withIpv4 } from "../core/testing.js";

const read = (f: string) => readFileSync(new URL(`../../examples/demo/${f}`, import.meta.url), "utf8");
const topo = (() => {
  const r = parseTopology(read("topology.yaml"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();

function errorsOf(text: string): string[] {
  const r = parseIntents(text, "i.yaml", topo);
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("parses the demo intents", () => {
  const r = parseIntents(read("intents.yaml"), "intents.yaml", topo);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(r.value[0], {
    name: "video",
    match: { hosts: ["h1"], app: "video", to: { host: "h2" }, protocol: "udp", ports: [{ from: 5000, to: 5100 }] },
    objective: "latency",
    constraints: { ...NO_CONSTRAINTS, maxLatencyUs: 20000 },
    via: [],
    protection: "none",
  });
  assert.equal("weights" in r.value[0]!, false);
  assert.equal("msd" in r.value[0]!, false);
  assert.deepEqual(r.value[1]!.constraints.avoidNodes, ["r2", "r3", "r7"]);
});

test("prefix destinations, single ports, reversed link names and the default objective", () => {
  const r = parseIntents(
    'intents:\n  - name: web\n    match: { hosts: [h1], to: "2001:db8:2::/64", protocol: tcp, ports: [443, "8000-8080"] }\n    constraints: { avoidLinks: [r2-r1] }\n',
    "i.yaml",
    topo,
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  const i = r.value[0]!;
  assert.deepEqual(i.match.to, { prefix: "2001:db8:2::/64" });
  assert.deepEqual(i.match.ports, [{ from: 443, to: 443 }, { from: 8000, to: 8080 }]);
  assert.deepEqual(i.constraints.avoidLinks, ["r1-r2"]);
  assert.equal(i.objective, "latency");
});

test("every error names file, line, column, field and reason", () => {
  const errs = errorsOf(
    [
      "intents:",
      "  - name: video",
      "    match: { hosts: [h1, h9], to: r4, ports: [\"99999\"], colour: red }",
      "    objective: fastest",
      "    constraints: { maxLatency: 20 ms, avoidNodes: [r5, h2], avoidLinks: [r1-r4, r1r2] }",
      "  - name: video",
      "    match: { hosts: [h1], to: 2001:db8:zz::/64, protocol: sctp }",
      "    constraints: { maxLatency: 20 }",
      "",
    ].join("\n"),
  );
  assert.deepEqual(errs, [
    'i.yaml:3:57: intents[0].match.colour: unknown key "colour"; expected one of hosts, app, cgroup, user, source, to, protocol, ports',
    'i.yaml:3:26: intents[0].match.hosts[1]: unknown host "h9"; did you mean "h1" or "h2"?',
    'i.yaml:3:35: intents[0].match.to: "r4" is a router; use a host name, an IPv6 or IPv4 prefix, or a DNS name',
    'i.yaml:3:47: intents[0].match.ports[0]: "99999" is not a port or port range (e.g. 443 or "5000-5100", ports 0-65535)',
    'i.yaml:4:16: intents[0].objective: unknown objective "fastest"; use one of igp, te, latency, hops, jitter, loss, bandwidth, utilization, or weights such as { latency: 1, hops: 200 }',
    'i.yaml:5:56: intents[0].constraints.avoidNodes[1]: "h2" is a host; avoidNodes takes routers',
    'i.yaml:5:74: intents[0].constraints.avoidLinks[0]: no link "r1-r4" in the topology; did you mean "r1-r2", "r1-r5" or "r1-r7"?',
    'i.yaml:5:81: intents[0].constraints.avoidLinks[1]: no link "r1r2" in the topology: write a link\'s id, or a-b for the links between routers a and b, e.g. r1-r2; did you mean "r1-r2"?',
    'i.yaml:6:11: intents[1].name: duplicate intent name "video" (first at line 2)',
    'i.yaml:7:31: intents[1].match.to: "2001:db8:zz::/64" is neither a host nor an IPv6 prefix',
    'i.yaml:7:59: intents[1].match.protocol: unknown protocol "sctp"; use one of tcp, udp, icmp, icmpv6',
    'i.yaml:8:32: intents[1].constraints.maxLatency: "20" is not a duration: write a number and a unit (us, ms, s)',
  ]);
});

test("missing keys, empty host lists and a destination among the sources", () => {
  const errs = errorsOf("intents:\n  - name: a\n    match: { hosts: [], to: h2 }\n  - name: b\n    match: { hosts: [h1], to: h1 }\n  - match: { hosts: [h1] }\n");
  assert.deepEqual(errs, [
    "i.yaml:3:21: intents[0].match.hosts: must name at least one host",
    'i.yaml:5:31: intents[1].match.to: destination "h1" is also one of the hosts this intent applies on',
    'i.yaml:6:5: intents[2].name: missing required key "name"',
    'i.yaml:6:12: intents[2].match.to: missing required key "to"',
  ]);
});

/**
 * a(eu) -- b(eu) -- d(us), a -- c(us) -- d; srlgs and colours on links; services fw (on b, c) and dpi (on d).
 */
const rich = (() => {
  const r = parseTopology(
    `routers:
  - { name: a, locator: "fc00:0:1::/48", region: eu }
  - { name: b, locator: "fc00:0:2::/48", region: eu }
  - { name: c, locator: "fc00:0:3::/48", region: us, msd: 4 }
  - { name: d, locator: "fc00:0:4::/48", region: us }
hosts:
  - { name: h1, router: a, address: "2001:db8:1::10/64" }
  - { name: h2, router: d, address: "2001:db8:4::10/64" }
links:
  - { a: a, b: b, srlgs: [duct1], colors: [gold] }
  - { a: b, b: d, srlgs: [duct1, duct2], colors: [gold, blue] }
  - { a: a, b: c, colors: [red] }
  - { a: c, b: d, srlgs: [duct2] }
services:
  - name: fw
    instances: [{ node: b, sid: "fc00:0:2::f1" }, { node: c, sid: "fc00:0:3::f1", healthy: false }]
  - name: dpi
    instances: [{ node: d, sid: "fc00:0:4::d1" }]
`,
    "topology.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value;
})();

/** One intent `name: x` from h1 to h2 with `extra` lines (indented by 4) added. */
const one = (extra: string) => `intents:\n  - name: x\n    match: { hosts: [h1], to: h2 }\n${extra}`;
function richIntent(extra: string) {
  const r = parseIntents(one(extra), "i.yaml", rich);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value[0]!;
}
function richErrors(extra: string): string[] {
  const r = parseIntents(one(extra), "i.yaml", rich);
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("objective: every named objective; weights as a map make it weighted", () => {
  for (const o of ["igp", "te", "latency", "hops", "jitter", "loss", "bandwidth", "utilization"] as const) {
    const i = richIntent(`    objective: ${o}\n`);
    assert.equal(i.objective, o);
    assert.equal("weights" in i, false);
  }
  const w = richIntent("    objective: { latency: 1, hops: 200, loss: 0.5 }\n");
  assert.equal(w.objective, "weighted");
  assert.deepEqual(w.weights, { latency: 1, hops: 200, loss: 0.5 });
  const block = richIntent("    objective:\n      te: 2\n      jitter: 1\n");
  assert.deepEqual([block.objective, block.weights], ["weighted", { te: 2, jitter: 1 }]);
});

test("objective: 'weighted' by name, bad weights and unknown metrics are rejected", () => {
  assert.deepEqual(richErrors("    objective: weighted\n"), [
    "i.yaml:4:16: intents[0].objective: write a weighted objective as a map of metric weights, e.g. objective: { latency: 1, hops: 200 } (metrics: igp, te, latency, hops, jitter, loss)",
  ]);
  assert.deepEqual(richErrors("    objective: { latency: 0, hops: -1, igp: lots, bandwidth: 1 }\n"), [
    "i.yaml:4:51: intents[0].objective.bandwidth: unknown key \"bandwidth\"; expected one of igp, te, latency, hops, jitter, loss",
    "i.yaml:4:27: intents[0].objective.latency: a weight must be greater than zero, got 0; leave latency out to ignore it",
    "i.yaml:4:36: intents[0].objective.hops: a weight must be greater than zero, got -1; leave hops out to ignore it",
    'i.yaml:4:45: intents[0].objective.igp: expected a number, got "lots"',
  ]);
  assert.deepEqual(richErrors("    objective: {}\n"), [
    "i.yaml:4:16: intents[0].objective: give at least one weight, e.g. objective: { latency: 1, hops: 200 }",
  ]);
  assert.deepEqual(richErrors('    objective: { latency: "1" }\n'), ['i.yaml:4:27: intents[0].objective.latency: expected a number, got "1"']);
});

test("constraints: maxJitter, maxLoss, maxHops and minBandwidth", () => {
  const i = richIntent("    constraints: { maxLatency: 30ms, maxJitter: 2ms, maxLoss: 0.5%, maxHops: 4, minBandwidth: 1Gbps }\n");
  assert.deepEqual(i.constraints, { ...NO_CONSTRAINTS, maxLatencyUs: 30_000, maxJitterUs: 2000, maxLoss: 0.005, maxHops: 4, minBandwidthBps: 1e9 });
  assert.deepEqual(richIntent("    constraints: { maxJitter: 0, maxLoss: 0.001 }\n").constraints, { ...NO_CONSTRAINTS, maxJitterUs: 0, maxLoss: 0.001 });
  assert.deepEqual(
    richErrors("    constraints: { maxJitter: 2, maxLoss: 100%, maxHops: 0, minBandwidth: 0Gbps }\n"),
    [
      'i.yaml:4:31: intents[0].constraints.maxJitter: "2" is not a duration: write a number and a unit (us, ms, s)',
      'i.yaml:4:43: intents[0].constraints.maxLoss: "100%" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1',
      "i.yaml:4:58: intents[0].constraints.maxHops: expected a whole number from 1 to 255, got 0",
      'i.yaml:4:75: intents[0].constraints.minBandwidth: must be greater than zero, got "0Gbps"',
    ],
  );
  assert.deepEqual(richErrors("    constraints: { maxLoss: 2, minBandwidth: fast }\n"), [
    'i.yaml:4:29: intents[0].constraints.maxLoss: "2" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1; for 2 percent write "2%"',
    'i.yaml:4:46: intents[0].constraints.minBandwidth: "fast" is not a rate: write a number and a unit (bps, Kbps, Mbps, Gbps, Tbps)',
  ]);
});

test("constraints: avoidSrlgs and avoidRegions must name ones the topology has", () => {
  const i = richIntent("    constraints: { avoidSrlgs: [duct2], avoidRegions: [us] }\n");
  assert.deepEqual(i.constraints, { ...NO_CONSTRAINTS, avoidSrlgs: ["duct2"], avoidRegions: ["us"] });
  assert.deepEqual(richErrors("    constraints: { avoidSrlgs: [duct1, duct9], avoidRegions: [eu, mars] }\n"), [
    'i.yaml:4:40: intents[0].constraints.avoidSrlgs[1]: no link has srlg "duct9"',
    'i.yaml:4:67: intents[0].constraints.avoidRegions[1]: no router has region "mars"',
  ]);
});

test("constraints: colour affinities take any non-empty names", () => {
  const i = richIntent("    constraints: { excludeAny: [red], includeAny: [gold, blue], includeAll: [gold, purple] }\n");
  assert.deepEqual(i.constraints, { ...NO_CONSTRAINTS, excludeAny: ["red"], includeAny: ["gold", "blue"], includeAll: ["gold", "purple"] });
  assert.deepEqual(richErrors('    constraints: { excludeAny: [""], includeAny: blue, includeAll: [gold] }\n'), [
    "i.yaml:4:33: intents[0].constraints.excludeAny[0]: expected a non-empty string",
    "i.yaml:4:50: intents[0].constraints.includeAny: expected a list",
  ]);
  assert.deepEqual(richErrors("    constraints: { excludeAny: [gold], includeAll: [gold] }\n"), [
    'i.yaml:4:33: intents[0].constraints.excludeAny[0]: colour "gold" is both excluded here and required by includeAll',
  ]);
});

test("via: routers and services of the topology, in order", () => {
  assert.deepEqual(richIntent("    via: [fw, c, dpi]\n").via, ["fw", "c", "dpi"]);
  assert.deepEqual(richErrors("    via: [fw, h2, nat, \"\"]\n    constraints: { avoidNodes: [c] }\n"), [
    "i.yaml:4:24: intents[0].via[3]: expected a non-empty string",
    'i.yaml:4:15: intents[0].via[1]: "h2" is a host; via takes routers and services',
    'i.yaml:4:19: intents[0].via[2]: unknown router or service "nat"; the routers and services are "a", "b", "c", "d", "fw" and "dpi"',
  ]);
  assert.deepEqual(richErrors("    via: [c]\n    constraints: { avoidNodes: [c] }\n"), [
    'i.yaml:4:11: intents[0].via[0]: "c" is both a via point and in constraints.avoidNodes',
  ]);
  assert.deepEqual(richErrors("    via: fw\n"), ["i.yaml:4:10: intents[0].via: expected a list"]);
});

test("protection: none (default), link, node or srlg", () => {
  assert.equal(richIntent("").protection, "none");
  for (const p of ["none", "link", "node", "srlg"] as const) assert.equal(richIntent(`    protection: ${p}\n`).protection, p);
  assert.deepEqual(richErrors("    protection: full\n"), [
    'i.yaml:4:17: intents[0].protection: unknown protection "full"; use one of none, link, node, srlg',
  ]);
});

test("msd: a whole number from 1 to 16", () => {
  assert.equal(richIntent("    msd: 3\n").msd, 3);
  assert.equal("msd" in richIntent(""), false);
  assert.deepEqual(richErrors("    msd: 17\n"), ["i.yaml:4:10: intents[0].msd: expected a whole number from 1 to 16, got 17"]);
  assert.deepEqual(richErrors("    msd: 0\n"), ["i.yaml:4:10: intents[0].msd: expected a whole number from 1 to 16, got 0"]);
});

test("an intent using every new field at once", () => {
  const i = richIntent(
    [
      "    objective: { latency: 1, hops: 200 }",
      "    via: [fw]",
      "    protection: srlg",
      "    msd: 5",
      "    constraints:",
      "      maxLatency: 50ms",
      "      maxJitter: 5ms",
      '      maxLoss: "1%"',
      "      maxHops: 6",
      "      minBandwidth: 500Mbps",
      "      avoidSrlgs: [duct2]",
      "      avoidRegions: [us]",
      "      excludeAny: [red]",
      "      includeAny: [gold]",
      "      includeAll: [gold]",
      "",
    ].join("\n"),
  );
  assert.deepEqual(i, {
    name: "x",
    match: { hosts: ["h1"], to: { host: "h2" }, ports: [] },
    objective: "weighted",
    weights: { latency: 1, hops: 200 },
    constraints: {
      maxLatencyUs: 50_000, maxJitterUs: 5000, maxLoss: 0.01, maxHops: 6, minBandwidthBps: 5e8,
      avoidNodes: [], avoidLinks: [], avoidSrlgs: ["duct2"], avoidRegions: ["us"], excludeAny: ["red"], includeAny: ["gold"], includeAll: ["gold"],
    },
    via: ["fw"],
    protection: "srlg",
    msd: 5,
  });
});

/** The demo network with h1 and h2 dual-stack, and h3 (IPv6 only) behind r4 too. */
const dual: Topology = withIpv4(
  { ...topo, hosts: [...topo.hosts, { name: "h3", router: "r4", address: "2001:db8:3::10", prefixLen: 64 }] },
  { h1: "10.0.1.10/24", h2: "10.0.2.10/24" },
);
/** `match:` of one intent `x` (flow mapping text), with `extra` lines (indented by 4) after it. */
const m = (match: string, extra = "") => `intents:\n  - name: x\n    match: { ${match} }\n${extra}`;
function matchOf(match: string, extra = "") {
  const r = parseIntents(m(match, extra), "i.yaml", dual);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value[0]!;
}
function matchErrors(match: string, extra = ""): string[] {
  const r = parseIntents(m(match, extra), "i.yaml", dual);
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("match.cgroup: a cgroup v2 path from the cgroup2 mount; not together with app", () => {
  assert.equal(matchOf('hosts: [h1], to: h2, cgroup: "/system.slice/video.service"').match.cgroup, "/system.slice/video.service");
  assert.deepEqual(matchErrors('hosts: [h1], to: h2, cgroup: "/"'), [
    'i.yaml:3:43: intents[0].match.cgroup: "/" is the root cgroup, which holds every process: leave cgroup out to match any process',
  ]);
  assert.deepEqual(matchErrors("hosts: [h1], to: h2, cgroup: system.slice/x"), [
    'i.yaml:3:43: intents[0].match.cgroup: "system.slice/x" is not absolute: write the path from the cgroup2 mount, e.g. /system.slice/video.service',
  ]);
  assert.deepEqual(matchErrors('hosts: [h1], to: h2, cgroup: "/a/../b"'), [
    'i.yaml:3:43: intents[0].match.cgroup: "/a/../b" has a ".." component; write the path without . and ..',
  ]);
  assert.deepEqual(matchErrors('hosts: [h1], to: h2, cgroup: "/a//b"'), ['i.yaml:3:43: intents[0].match.cgroup: "/a//b" has an empty component (a doubled or trailing /)']);
  assert.deepEqual(matchErrors('hosts: [h1], to: h2, app: video, cgroup: "/system.slice/video.service"'), [
    'i.yaml:3:55: intents[0].match.cgroup: app "video" already names a cgroup (the lab app\'s); give app or cgroup, not both',
  ]);
});

test("match.user: a uid or a portable user name, kept as a string", () => {
  assert.equal(matchOf("hosts: [h1], to: h2, user: 1001").match.user, "1001");
  assert.equal(matchOf('hosts: [h1], to: h2, user: "0"').match.user, "0");
  assert.equal(matchOf("hosts: [h1], to: h2, user: www-data").match.user, "www-data");
  assert.deepEqual(matchErrors("hosts: [h1], to: h2, user: 4294967295"), [
    "i.yaml:3:41: intents[0].match.user: uid 4294967295 is out of range: 0 to 4294967294",
  ]);
  assert.deepEqual(matchErrors('hosts: [h1], to: h2, user: "-x"'), [
    'i.yaml:3:41: intents[0].match.user: "-x" is neither a uid nor a portable user name (letters, digits, . _ -, not starting with -)',
  ]);
});

test("match.source: an IPv6 or IPv4 prefix, an address being its /128 or /32", () => {
  assert.equal(matchOf('hosts: [h1], to: h2, source: "2001:db8:1::/64"').match.source, "2001:db8:1::/64");
  assert.equal(matchOf("hosts: [h1], to: h2, source: 10.1.2.3").match.source, "10.1.2.3/32");
  assert.equal(matchOf("hosts: [h1], to: h2, source: 10.1.2.3/16").match.source, "10.1.0.0/16");
  assert.deepEqual(matchErrors("hosts: [h1], to: h2, source: 10.1.2/16"), [
    'i.yaml:3:43: intents[0].match.source: "10.1.2/16" is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:1::/64, 10.1.0.0/16, 10.1.0.7)',
  ]);
});

test("to: a host, an IPv6 or IPv4 prefix or address, or a DNS name", () => {
  assert.deepEqual(matchOf("hosts: [h1], to: h2").match.to, { host: "h2" });
  assert.deepEqual(matchOf('hosts: [h1], to: "2001:db8:2::10"').match.to, { prefix: "2001:db8:2::10/128" });
  assert.deepEqual(matchOf("hosts: [h1], to: 10.0.2.10").match.to, { prefix: "10.0.2.10/32" });
  assert.deepEqual(matchOf("hosts: [h1], to: 10.0.2.77/25").match.to, { prefix: "10.0.2.0/25" });
  assert.deepEqual(matchOf("hosts: [h1], to: Video.Example.com.").match.to, { dns: "video.example.com" });
  assert.deepEqual(matchErrors("hosts: [h1], to: 10.0.2.300"), [
    'i.yaml:3:31: intents[0].match.to: "10.0.2.300" is not an IPv4 address or prefix (e.g. 10.0.4.0/24 or 10.0.4.10)',
  ]);
  assert.deepEqual(matchErrors("hosts: [h1], to: video"), [
    'i.yaml:3:31: intents[0].match.to: unknown host "video" (and not an IP prefix, nor a DNS name, which has a dot); the hosts are "h1", "h2" and "h3"',
  ]);
  assert.deepEqual(matchErrors("hosts: [h1], to: bad_name.example"), [
    'i.yaml:3:31: intents[0].match.to: "bad_name.example" is not a DNS name: label "bad_name" may hold only letters, digits and -, and may not start or end with -',
  ]);
});

test("to: an IPv4 prefix must sit inside exactly one dual-stack host's IPv4 subnet", () => {
  const why = "End.DX4 decapsulates to one host, so an IPv4 destination must sit inside exactly one dual-stack host's IPv4 subnet";
  assert.deepEqual(matchErrors("hosts: [h1], to: 10.0.9.0/24"), [`i.yaml:3:31: intents[0].match.to: 10.0.9.0/24 is in no host's IPv4 subnet; ${why}`]);
  assert.deepEqual(matchErrors("hosts: [h1], to: 10.0.0.0/16"), [
    `i.yaml:3:31: intents[0].match.to: 10.0.0.0/16 is wider than h1's 10.0.1.0/24 and h2's 10.0.2.0/24; ${why}`,
  ]);
  const singleStack = { ...topo, hosts: topo.hosts.map(({ address4: _a, prefixLen4: _l, ...h }) => h) };
  const r = parseIntents(m("hosts: [h1], to: 10.0.2.0/24"), "i.yaml", singleStack);
  assert.deepEqual(r.ok ? [] : r.errors.map(formatConfigError), [
    `i.yaml:3:31: intents[0].match.to: 10.0.2.0/24 is in no host's IPv4 subnet (no host of the topology has an IPv4 address); ${why}`,
  ]);
});

test("protocol icmp; ports only with tcp and udp", () => {
  assert.equal(matchOf("hosts: [h1], to: 10.0.2.10, protocol: icmp").match.protocol, "icmp");
  assert.deepEqual(matchErrors("hosts: [h1], to: h2, protocol: icmp, ports: [80]"), ["i.yaml:3:58: intents[0].match.ports: ports apply only to tcp and udp"]);
});

test("family consistency: source, icmp/icmpv6 and a prefix destination agree; IPv4-only to a host needs IPv4 at both ends", () => {
  assert.deepEqual(matchErrors('hosts: [h1], to: "2001:db8:2::/64", source: 10.0.1.0/24'), [
    "i.yaml:3:58: intents[0].match.source: source 10.0.1.0/24 is IPv4, but the destination 2001:db8:2::/64 is IPv6; a packet has one family",
  ]);
  assert.deepEqual(matchErrors('hosts: [h1], to: 10.0.2.0/24, source: "2001:db8:1::/64"'), [
    "i.yaml:3:52: intents[0].match.source: source 2001:db8:1::/64 is IPv6, but the destination 10.0.2.0/24 is IPv4; a packet has one family",
  ]);
  assert.deepEqual(matchErrors('hosts: [h1], to: "2001:db8:2::/64", protocol: icmp'), [
    "i.yaml:3:60: intents[0].match.protocol: icmp is IPv4 only, but the destination 2001:db8:2::/64 is IPv6: use icmpv6",
  ]);
  assert.deepEqual(matchErrors("hosts: [h1], to: 10.0.2.10, protocol: icmpv6"), [
    "i.yaml:3:52: intents[0].match.protocol: icmpv6 is IPv6 only, but the destination 10.0.2.10/32 is IPv4: use icmp",
  ]);
  assert.deepEqual(matchErrors("hosts: [h1], to: h2, source: 10.0.1.0/24, protocol: icmpv6"), [
    "i.yaml:3:66: intents[0].match.protocol: icmpv6 is IPv6 only, but source 10.0.1.0/24 is IPv4",
  ]);
  // A host destination covers both families: fine with either restriction when both ends are dual-stack.
  for (const restrict of ["protocol: icmp", "protocol: icmpv6", "source: 10.0.1.0/24", 'source: "2001:db8:1::/64"']) matchOf(`hosts: [h1], to: h2, ${restrict}`);
  matchOf("hosts: [h1], to: h3, protocol: icmpv6");
  assert.deepEqual(matchErrors("hosts: [h1], to: h3, protocol: icmp"), [
    "i.yaml:3:31: intents[0].match.to: h3 has no IPv4 address, and this intent matches only IPv4 (protocol icmp is IPv4 only)",
  ]);
  assert.deepEqual(matchErrors("hosts: [h3], to: h2, source: 10.0.3.0/24"), [
    'i.yaml:3:22: intents[0].match.hosts[0]: "h3" has no IPv4 address, so no IPv4 path to h2, and this intent matches only IPv4 (source 10.0.3.0/24 is IPv4)',
  ]);
  // A DNS name covers both families whatever the restriction.
  matchOf("hosts: [h1], to: video.example.com, protocol: icmp");
});

test("onFailure: open or closed; absent leaves the default to failurePolicy()", () => {
  assert.equal(matchOf("hosts: [h1], to: h2", "    onFailure: closed\n").onFailure, "closed");
  assert.equal(matchOf("hosts: [h1], to: h2", "    onFailure: open\n").onFailure, "open");
  assert.equal("onFailure" in matchOf("hosts: [h1], to: h2"), false);
  assert.deepEqual(matchErrors("hosts: [h1], to: h2", "    onFailure: drop\n"), [
    'i.yaml:4:16: intents[0].onFailure: unknown onFailure "drop"; use open (send unsteered) or closed (drop)',
  ]);
});

/** The liveliness of intent `x` to h2, written as `lines` (indented by 4) under the intent. */
const lively = (lines: string) => matchOf("hosts: [h1], to: h2", lines).liveliness;
const livelyErrors = (lines: string) => matchErrors("hosts: [h1], to: h2", lines);

test("liveliness: off, or settings (loss written like every share in the file: \"5%\" or 0.05); absent leaves the agents' own", () => {
  assert.equal("liveliness" in matchOf("hosts: [h1], to: h2"), false);
  assert.deepEqual(lively("    liveliness: off\n"), { probes: false });
  assert.deepEqual(lively("    liveliness: { probes: off }\n"), { probes: false });
  assert.deepEqual(lively("    liveliness:\n      probes: on\n      intervalMs: 20\n      misses: 5\n      loss: 2.5%\n      holddownMs: 0\n"), {
    probes: true,
    intervalMs: 20,
    misses: 5,
    lossThreshold: 0.025,
    holddownMs: 0,
  });
  assert.deepEqual(lively("    liveliness: { misses: 2 }\n"), { probes: true, misses: 2 }, "only what is set; probes on by default");
  assert.deepEqual(lively("    liveliness: { loss: 0.05 }\n"), { probes: true, lossThreshold: 0.05 });
  assert.deepEqual(lively('    liveliness: { loss: "99.5%", intervalMs: 60000, misses: 100, holddownMs: 600000 }\n'), { probes: true, lossThreshold: 0.995, intervalMs: 60000, misses: 100, holddownMs: 600000 });
});

test("liveliness: unknown keys and values, out-of-range settings and settings with probes off are errors, each located", () => {
  assert.deepEqual(livelyErrors("    liveliness: never\n"), [
    'i.yaml:4:17: intents[0].liveliness: unknown liveliness "never"; write off (no probes for this intent) or settings such as { intervalMs: 20, misses: 3, loss: "5%", holddownMs: 3000 }',
  ]);
  assert.deepEqual(livelyErrors("    liveliness: { interval: 20 }\n"), [
    'i.yaml:4:19: intents[0].liveliness.interval: unknown key "interval"; expected one of probes, intervalMs, misses, loss, holddownMs',
  ]);
  assert.deepEqual(livelyErrors("    liveliness: {}\n"), [
    "i.yaml:4:17: intents[0].liveliness: no settings; leave liveliness out for the agents' own, or give some of probes, intervalMs, misses, loss, holddownMs",
  ]);
  assert.deepEqual(livelyErrors("    liveliness: { probes: maybe }\n"), ['i.yaml:4:27: intents[0].liveliness.probes: unknown probes "maybe"; use on or off']);
  assert.deepEqual(
    livelyErrors("    liveliness:\n      intervalMs: 0\n      misses: 101\n      loss: 100%\n      holddownMs: -1\n"),
    [
      "i.yaml:5:19: intents[0].liveliness.intervalMs: expected a whole number from 1 to 60000, got 0",
      "i.yaml:6:15: intents[0].liveliness.misses: expected a whole number from 1 to 100, got 101",
      'i.yaml:7:13: intents[0].liveliness.loss: "100%" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1',
      "i.yaml:8:19: intents[0].liveliness.holddownMs: expected a whole number from 0 to 600000, got -1",
    ],
  );
  assert.deepEqual(livelyErrors("    liveliness: { intervalMs: 2.5, loss: 5 }\n"), [
    "i.yaml:4:31: intents[0].liveliness.intervalMs: expected a whole number from 1 to 60000, got 2.5",
    'i.yaml:4:42: intents[0].liveliness.loss: "5" is out of range: write a percentage from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1; for 5 percent write "5%"',
  ]);
  assert.deepEqual(livelyErrors("    liveliness: { loss: 0% }\n"), [
    'i.yaml:4:25: intents[0].liveliness.loss: a loss threshold of 0 would call a path degraded for a single lost probe; write a share above 0, e.g. "5%" or 0.05',
  ]);
  assert.deepEqual(livelyErrors("    liveliness:\n      probes: off\n      intervalMs: 20\n      loss: 5%\n"), [
    "i.yaml:6:19: intents[0].liveliness.intervalMs: intervalMs has no effect with probes: off (this intent's paths are not probed); remove one or the other",
    "i.yaml:7:13: intents[0].liveliness.loss: loss has no effect with probes: off (this intent's paths are not probed); remove one or the other",
  ]);
});

test("every new match field at once", () => {
  const i = matchOf('hosts: [h1], cgroup: "/system.slice/video.service", user: alice, source: "2001:db8:1::/64", to: video.example.com, protocol: udp, ports: [5004]', "    onFailure: closed\n");
  assert.deepEqual(i.match, {
    hosts: ["h1"],
    cgroup: "/system.slice/video.service",
    user: "alice",
    source: "2001:db8:1::/64",
    to: { dns: "video.example.com" },
    protocol: "udp",
    ports: [{ from: 5004, to: 5004 }],
  });
  assert.equal(i.onFailure, "closed");
});

test("every example intents file is valid against the demo topology", () => {
  const dir = new URL("../../examples/demo/", import.meta.url);
  const files = readdirSync(dir).filter((f) => /^intents.*\.yaml$/.test(f));
  assert.ok(files.length >= 3, files.join());
  for (const f of files) {
    const r = parseIntents(read(f), f, topo);
    assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  }
});

test("unknown hosts, routers and links suggest the nearest names of the topology", () => {
  const intent = (match: string, constraints = "{}", via = "[]") =>
    `intents:\n  - name: x\n    match: ${match}\n    constraints: ${constraints}\n    via: ${via}\n`;
  assert.deepEqual(errorsOf(intent("{ hosts: [H1], to: h22 }", "{ avoidNodes: [R7, r77], avoidLinks: [r2-r33] }", "[r55]")), [
    'i.yaml:3:22: intents[0].match.hosts[0]: unknown host "H1"; did you mean "h1"?',
    'i.yaml:3:31: intents[0].match.to: unknown host "h22" (and not an IP prefix, nor a DNS name, which has a dot); did you mean "h2"?',
    'i.yaml:4:33: intents[0].constraints.avoidNodes[0]: unknown router "R7"; did you mean "r7"?',
    'i.yaml:4:37: intents[0].constraints.avoidNodes[1]: unknown router "r77"; did you mean "r7"?',
    'i.yaml:4:56: intents[0].constraints.avoidLinks[0]: no link "r2-r33" in the topology; did you mean "r2-r3"?',
    'i.yaml:5:11: intents[0].via[0]: unknown router or service "r55"; did you mean "r5"?',
  ]);
  assert.deepEqual(errorsOf(intent("{ hosts: [h1], to: web }")), [
    'i.yaml:3:31: intents[0].match.to: unknown host "web" (and not an IP prefix, nor a DNS name, which has a dot); the hosts are "h1" and "h2"',
  ]);
});
