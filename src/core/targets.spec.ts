// hostRules and its targets: families, IPv4 encapsulation with End.DX4, DNS candidates, msd.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "../config/topology-file.js";
import type { Intent, Path, PathResult, Topology } from "./model.js";
import { NO_CONSTRAINTS } from "./model.js";
import { hostRules } from "./assignments.js";
import type { RuleTarget } from "./assignments.js";
import { derivedDx4Sid, endXSidOf } from "./sids.js";
import { parsePrefix } from "./ipv6.js";
import { ipv4Owner } from "./destinations.js";
import { encapsulatedPath } from "./encap.js";
import { parseIpPrefix } from "./ip.js";
import { computePath, destinationRouter } from "./path-engine.js";
import { sidDepth } from "./path-problem.js";
import { withIpv4 } from "./testing.js";

const read = (f: string) => readFileSync(new URL(`../../examples/demo/${f}`, import.meta.url), "utf8");
const demo: Topology = (() => {
  const r = parseTopology(read("topology.yaml"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();

/**
 * The demo network (h1@r1, h2@r4) plus h3@r4, h4@r2 and h5@r6. Dual-stack: h1..h4; h5 is IPv6 only.
 * Host indices: h1 0, h2 1, h3 2, h4 3, h5 4.
 */
const topo: Topology = withIpv4(
  {
    ...demo,
    hosts: [
      ...demo.hosts,
      { name: "h3", router: "r4", address: "2001:db8:3::10", prefixLen: 64 },
      { name: "h4", router: "r2", address: "2001:db8:5::10", prefixLen: 64 },
      { name: "h5", router: "r6", address: "2001:db8:6::10", prefixLen: 64 },
    ],
  },
  { h1: "10.0.1.10/24", h2: "10.0.2.10/24", h3: "10.0.3.10/24", h4: "10.0.4.10/24" },
);
const r4 = topo.routers.find((r) => r.name === "r4")!;
const dx4Of = (host: string) => topo.hosts.find((h) => h.name === host)!.dx4Sid!;
const DX4_H2 = { sid: dx4Of("h2"), node: "r4", behavior: "End.DX4" as const };
/** The latency path r1>r2>r3>r4: one End.X SID (see path-engine.spec.ts). */
const R2_X = { sid: endXSidOf(topo.links.find((l) => l.id === "r2-r3")!, "r2"), node: "r2", behavior: "End.X" as const, link: ["r2", "r3"] as [string, string] };

function intent(over: Partial<Omit<Intent, "match">> & { match?: Partial<Intent["match"]> } = {}): Intent {
  const { match, ...rest } = over;
  return {
    name: "t",
    match: { hosts: ["h1"], to: { host: "h2" }, ports: [], ...match },
    objective: "latency",
    constraints: NO_CONSTRAINTS,
    via: [],
    protection: "none",
    ...rest,
  };
}

function targets(i: Intent, host = "h1"): RuleTarget[] {
  const rules = hostRules(topo, [i], host);
  assert.equal(rules.length, 1);
  return rules[0]!.targets;
}

function okPath(r: PathResult): Path {
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.path;
}

test("a dual-stack host's End.DX4 SID is derived from its name, under its router's locator", () => {
  assert.equal(DX4_H2.sid, derivedDx4Sid(parsePrefix(r4.locator)!, "h2"));
  assert.match(DX4_H2.sid, /^fc00:0:4::d[0-9a-f]{3}:[0-9a-f]{1,4}$/);
  assert.equal(topo.hosts.find((h) => h.name === "h5")!.dx4Sid, undefined, "IPv6-only h5 has none");
});

test("to: a dual-stack host from a dual-stack host: its IPv6 /128, then its IPv4 /32 on the same path + End.DX4", () => {
  const [v6, v4, ...more] = targets(intent());
  assert.deepEqual(more, []);
  assert.equal(v6!.prefix, "2001:db8:2::10/128");
  assert.equal(v4!.prefix, "10.0.2.10/32");
  const p6 = okPath(v6!.result);
  const p4 = okPath(v4!.result);
  assert.deepEqual(p6.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(p6.segments, [R2_X]);
  assert.equal(p6.srhBytes, 8 + 16 * 2, "inline: the segment + the packet's own destination");
  assert.deepEqual(p4.segments, [R2_X, DX4_H2]);
  assert.equal(p4.srhBytes, 8 + 16 * 2, "encapsulated: the segments, the DX4 SID last; no separate destination");
  assert.deepEqual([p4.nodes, p4.links, p4.metrics], [p6.nodes, p6.links, p6.metrics]);
});

test("a path the IGP already follows: no SRH for IPv6, a one-entry SRH (the DX4 SID) for IPv4", () => {
  const [v6, v4] = targets(intent({ objective: "igp" }));
  assert.deepEqual([okPath(v6!.result).segments, okPath(v6!.result).srhBytes], [[], 0]);
  assert.deepEqual([okPath(v4!.result).segments, okPath(v4!.result).srhBytes], [[DX4_H2], 24]);
});

test("families: IPv6 only when either end is IPv6-only, or the protocol or source says so", () => {
  const prefixes = (i: Intent, host = "h1") => targets(i, host).map((t) => t.prefix);
  assert.deepEqual(prefixes(intent({ match: { to: { host: "h5" } } })), ["2001:db8:6::10/128"], "h5 has no IPv4");
  assert.deepEqual(prefixes(intent({ match: { hosts: ["h5"] } }), "h5"), ["2001:db8:2::10/128"], "h5 sends no IPv4");
  assert.deepEqual(prefixes(intent({ match: { protocol: "icmpv6" } })), ["2001:db8:2::10/128"]);
  assert.deepEqual(prefixes(intent({ match: { protocol: "icmp" } })), ["10.0.2.10/32"]);
  assert.deepEqual(prefixes(intent({ match: { source: "10.0.1.0/24" } })), ["10.0.2.10/32"]);
  assert.deepEqual(prefixes(intent({ match: { source: "2001:db8:1::/64" } })), ["2001:db8:2::10/128"]);
  assert.deepEqual(prefixes(intent({ match: { protocol: "tcp" } })), ["2001:db8:2::10/128", "10.0.2.10/32"]);
});

test("to: an IPv4 prefix: the encapsulated path to the one host whose IPv4 subnet holds it", () => {
  const [t, ...more] = targets(intent({ match: { to: { prefix: "10.0.2.128/25" } } }));
  assert.deepEqual(more, []);
  assert.equal(t!.prefix, "10.0.2.128/25");
  assert.deepEqual(okPath(t!.result).segments, [R2_X, DX4_H2]);
  const [h3] = targets(intent({ match: { to: { prefix: "10.0.3.10/32" } } }));
  assert.deepEqual(okPath(h3!.result).segments.at(-1), { sid: dx4Of("h3"), node: "r4", behavior: "End.DX4" });
  const [outside] = targets(intent({ match: { to: { prefix: "10.9.0.0/16" } } }));
  assert.deepEqual(outside!.result, {
    ok: false,
    reason: "10.9.0.0/16 is in no host's IPv4 subnet; End.DX4 decapsulates to one host, so an IPv4 destination must sit inside exactly one dual-stack host's IPv4 subnet",
  });
  const [v6] = targets(intent({ match: { to: { prefix: "2001:db8:2::/64" } } }));
  assert.deepEqual([v6!.prefix, okPath(v6!.result).segments], ["2001:db8:2::/64", [R2_X]]);
});

test("ipv4Owner: inside exactly one host's subnet; several, wider, or none is a reason", () => {
  const p = (t: string) => parseIpPrefix(t)!;
  const one = ipv4Owner(topo, p("10.0.4.10"));
  assert.ok(one.ok);
  assert.deepEqual([one.host.name, one.hostIndex], ["h4", 3]);
  const overlapping = withIpv4(topo, { h5: "10.0.2.99/16" });
  assert.match((ipv4Owner(overlapping, p("10.0.2.0/24")) as { reason: string }).reason, /^10\.0\.2\.0\/24 is in the IPv4 subnets of several hosts \(h2, h5\); End\.DX4/);
  assert.match((ipv4Owner(topo, p("10.0.0.0/8")) as { reason: string }).reason, /^10\.0\.0\.0\/8 is wider than h1's 10\.0\.1\.0\/24 and h2's 10\.0\.2\.0\/24 and h3's 10\.0\.3\.0\/24 and h4's 10\.0\.4\.0\/24; End\.DX4/);
  const singleStack = { ...demo, hosts: demo.hosts.map(({ address4: _a, prefixLen4: _l, ...h }) => h) };
  assert.match((ipv4Owner(singleStack, p("10.0.2.0/24")) as { reason: string }).reason, /in no host's IPv4 subnet \(no host of the topology has an IPv4 address\)/);
});

test("destinationRouter: IPv4 prefixes by the hosts' IPv4 subnets; a DNS name has none", () => {
  assert.deepEqual(destinationRouter(topo, intent({ match: { to: { prefix: "10.0.4.0/24" } } })), { ok: true, router: "r2" });
  assert.deepEqual(destinationRouter(topo, intent({ match: { to: { prefix: "2001:db8:5::/64" } } })), { ok: true, router: "r2" });
  assert.equal(destinationRouter(topo, intent({ match: { to: { prefix: "10.0.0.0/8" } } })).ok, false);
  assert.deepEqual(destinationRouter(topo, intent({ match: { to: { dns: "video.example.com" } } })), {
    ok: false,
    reason: "video.example.com is a DNS name: each of its addresses has its own router",
  });
});

test("msd counts the same SRH entries for both families: segments + the destination, or segments ending with DX4", () => {
  // The latency path needs 1 segment: 2 SRH entries either way.
  const fits = targets(intent({ msd: 2 }));
  const [p6, p4] = fits.map((t) => okPath(t.result));
  assert.equal(sidDepth(p6!), 2);
  assert.equal(p4!.segments.length, 2, "the IPv4 SRH holds exactly msd entries");
  assert.equal(p4!.srhBytes, 8 + 16 * 2);
  const tight = targets(intent({ msd: 1 }));
  const reason = "the best path r1>r2>r3>r4 needs 2 SIDs (1 segment + the destination), more than msd 1";
  assert.deepEqual(tight.map((t) => t.result), [{ ok: false, reason }, { ok: false, reason }]);
  // Whatever the path, the encapsulated SRH has as many entries as the inline one (when there is one).
  for (const objective of ["latency", "igp", "hops", "bandwidth"] as const) {
    const p = okPath(computePath(topo, intent({ objective }), "h1"));
    const e = encapsulatedPath(p, DX4_H2);
    assert.equal(e.segments.length, Math.max(1, sidDepth(p)), objective);
    assert.equal(e.srhBytes, 8 + 16 * e.segments.length, objective);
  }
});

test("protection: the IPv4 target's backup ends with the same DX4 SID", () => {
  const [v6, v4] = targets(intent({ protection: "link" }));
  assert.ok(v6!.result.ok && v6!.result.backup);
  assert.ok(v4!.result.ok && v4!.result.backup);
  assert.deepEqual(v4!.result.backup.segments, [...v6!.result.backup.segments, DX4_H2]);
  assert.deepEqual(v4!.result.backup.nodes, v6!.result.backup.nodes);
});

test("to: a DNS name: every other host's subnet per family it has; one path computation per router", () => {
  const ts = targets(intent({ match: { to: { dns: "video.example.com" } } }));
  assert.deepEqual(ts.map((t) => t.prefix), [
    "2001:db8:2::/64", "10.0.2.0/24",
    "2001:db8:3::/64", "10.0.3.0/24",
    "2001:db8:5::/64", "10.0.4.0/24",
    "2001:db8:6::/64",
  ]);
  const byPrefix = new Map(ts.map((t) => [t.prefix, t.result]));
  // h2 and h3 sit behind r4: one computed path, shared (also by their IPv4 targets, which only add a segment).
  assert.equal(byPrefix.get("2001:db8:2::/64"), byPrefix.get("2001:db8:3::/64"));
  assert.equal(okPath(byPrefix.get("10.0.3.0/24")!).nodes, okPath(byPrefix.get("2001:db8:2::/64")!).nodes);
  assert.deepEqual(okPath(byPrefix.get("10.0.3.0/24")!).segments, [R2_X, { sid: dx4Of("h3"), node: "r4", behavior: "End.DX4" }]);
  assert.deepEqual(okPath(byPrefix.get("2001:db8:5::/64")!).nodes, ["r1", "r2"]);
  assert.deepEqual(okPath(byPrefix.get("2001:db8:6::/64")!).nodes.at(-1), "r6");
  const icmp = targets(intent({ match: { to: { dns: "video.example.com" }, protocol: "icmp" } }));
  assert.deepEqual(icmp.map((t) => t.prefix), ["10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24"]);
  assert.deepEqual(targets(intent({ match: { hosts: ["h5"], to: { dns: "a.example" } } }), "h5").map((t) => t.prefix).slice(0, 2), ["2001:db8:1::/64", "10.0.1.0/24"]);
});

test("DNS candidates: a subnet shared by hosts that need different paths becomes each host's own address", () => {
  // h3 shares h2's IPv6 /64 behind the same router (one path: the subnet stays) and h2's IPv4 /24 (two DX4 SIDs: /32s);
  // h4 shares nothing.
  const shared = withIpv4(
    { ...topo, hosts: topo.hosts.map((h) => (h.name === "h3" ? { ...h, address: "2001:db8:2::20" } : h)) },
    { h3: "10.0.2.20/24" },
  );
  const dns = intent({ match: { to: { dns: "video.example.com" } } });
  const prefixes = (t: Topology) => hostRules(t, [dns], "h1")[0]!.targets.map((x) => x.prefix);
  assert.deepEqual(prefixes(shared).slice(0, 3), ["2001:db8:2::/64", "10.0.2.10/32", "10.0.2.20/32"]);
  // Behind different routers, the shared IPv6 subnet splits too.
  const apart = { ...shared, hosts: shared.hosts.map((h) => (h.name === "h3" ? { ...h, router: "r6" } : h)) };
  assert.deepEqual(prefixes(apart).slice(0, 4), ["2001:db8:2::10/128", "10.0.2.10/32", "2001:db8:2::20/128", "10.0.2.20/32"]);
});

test("hostRules: one rule per port range sharing the targets; match, onFailure (default and explicit), dns", () => {
  const i = intent({
    name: "web",
    match: { cgroup: "/system.slice/web.service", user: "1001", source: "2001:db8:1::/64", protocol: "tcp", ports: [{ from: 443, to: 443 }, { from: 8000, to: 8080 }] },
  });
  const rules = hostRules(topo, [intent({ name: "first" }), i], "h1");
  assert.deepEqual(rules.map((r) => [r.key, r.priority]), [["first#0", 0], ["web#0", 1], ["web#1", 1]]);
  assert.deepEqual(rules[1]!.match, { cgroup: "/system.slice/web.service", user: "1001", source: "2001:db8:1::/64", protocol: 6, portFrom: 443, portTo: 443 });
  assert.deepEqual(rules[2]!.match.portFrom, 8000);
  assert.equal(rules[1]!.targets, rules[2]!.targets, "computed once per intent");
  assert.deepEqual(rules[0]!.match, { protocol: 0, portFrom: 0, portTo: 65535 });
  assert.equal("dns" in rules[0]!, false);
  assert.equal(rules[0]!.onFailure, "open", "no avoidance: open by default");
  const avoid = { ...NO_CONSTRAINTS, avoidNodes: ["r7"] };
  assert.equal(hostRules(topo, [intent({ constraints: avoid })], "h1")[0]!.onFailure, "closed", "avoidance: closed by default");
  assert.equal(hostRules(topo, [intent({ constraints: avoid, onFailure: "open" })], "h1")[0]!.onFailure, "open");
  const dns = hostRules(topo, [intent({ match: { to: { dns: "video.example.com" }, app: "video" } })], "h1")[0]!;
  assert.equal(dns.dns, "video.example.com");
  assert.equal(dns.match.app, "video");
  assert.deepEqual(hostRules(topo, [i], "h2"), []);
});
