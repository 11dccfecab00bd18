// Unit tests: interface naming, lab plan, FRR config generation. No root needed (except the FRR syntax check).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { DEFAULT_LINK_MTU, type Topology } from "../core/model.js";
import { gatewayAddress, gatewayAddress4, link4Addresses, linkAddresses } from "../core/addressing.js";
import { endXSidOf, withSids } from "../core/sids.js";
import { parseAddress, parsePrefix, prefixContains } from "../core/ipv6.js";
import { HOST_UPLINK, interfaceName, isisNet, routerInterfaceName } from "./naming.js";
import { buildPlan } from "./plan.js";
import { isisdConfig, zebraConfig } from "./frr.js";
import { expectedIsisRoutes } from "./converge.js";
import { CONTROLLER_ADDRESS } from "./endpoint.js";
import { mgmtHostAddress } from "./mgmt.js";
import { sidRouteArgs } from "./srv6.js";
import { link, squareTopology } from "./testing.js";

const square: Topology = squareTopology("2001:db8:4::1");

test("interfaceName: neighbour names verbatim on routers, eth0 on hosts", () => {
  assert.equal(interfaceName(square, "r1", "r2"), "r2");
  assert.equal(interfaceName(square, "r2", "r1"), "r1");
  assert.equal(interfaceName(square, "r1", "h1"), "h1");
  assert.equal(interfaceName(square, "h1", "r1"), HOST_UPLINK);
  assert.equal(HOST_UPLINK, "eth0");
  assert.throws(() => interfaceName(square, "r1", "r4"), /no link/);
  assert.throws(() => interfaceName(square, "h1", "r2"), /not attached/);
  assert.throws(() => interfaceName(square, "zz", "r1"), /no node/);
});

test("routerInterfaceName: long, odd or reserved names get a short deterministic hashed name", () => {
  const long = "core-router-frankfurt-1";
  const n = routerInterfaceName(long);
  assert.equal(n, routerInterfaceName(long), "deterministic");
  assert.equal(n.length, 15);
  assert.match(n, /^core-rout-[0-9a-f]{5}$/);
  assert.notEqual(routerInterfaceName("core-router-frankfurt-2"), n);
  assert.match(routerInterfaceName("lo"), /^lo-[0-9a-f]{5}$/);
  assert.match(routerInterfaceName("sid0"), /^sid0-[0-9a-f]{5}$/);
  assert.match(routerInterfaceName("a.b"), /^a_b-[0-9a-f]{5}$/);
  assert.equal(routerInterfaceName("exactly15chars_"), "exactly15chars_");
  for (let i = 0; i < 500; i++) {
    const name = `node.${"x".repeat(i % 40)}${i}`;
    const itf = routerInterfaceName(name);
    assert.ok(itf.length <= 15 && /^[A-Za-z0-9_-]+$/.test(itf), itf);
  }
});

test("isisNet is deterministic from the router index", () => {
  assert.equal(isisNet(0), "49.0001.0000.0000.0001.00");
  assert.equal(isisNet(254), "49.0001.0000.0000.00ff.00");
  assert.throws(() => isisNet(-1));
});

test("buildPlan uses core/addressing for link addresses and gateways, and the model's SIDs", () => {
  const plan = buildPlan(square);
  square.links.forEach((l, i) => {
    const pl = plan.links.find((x) => x.id === l.id)!;
    const addr = linkAddresses(i);
    assert.equal(pl.a.address, `${addr.a}/64`);
    assert.equal(pl.b.address, `${addr.b}/64`);
    assert.equal(pl.linkIndex, i);
  });
  for (const r of square.routers) {
    const pr = plan.routers.find((x) => x.name === r.name)!;
    assert.equal(pr.sids[0]!.sid, r.sid);
    assert.equal(pr.sids[0]!.behavior, "End");
    const endX = pr.sids.filter((s) => s.behavior === "End.X");
    const adj = square.links.map((l, i) => ({ l, i })).filter(({ l }) => l.a === r.name || l.b === r.name);
    assert.equal(endX.length, adj.length);
    for (const { l, i } of adj) {
      const s = endX.find((x) => x.linkIndex === i)!;
      assert.equal(s.sid, endXSidOf(l, r.name));
      const neighbour = l.a === r.name ? l.b : l.a;
      assert.equal(s.neighbour, neighbour);
      assert.equal(s.ifname, interfaceName(square, r.name, neighbour));
      assert.equal(s.nextHop, l.a === r.name ? linkAddresses(i).b : linkAddresses(i).a);
    }
    // The locator address on sid0 lies in the locator and is none of the SIDs.
    const [addr, len] = pr.locatorAddress.split("/");
    assert.equal(Number(len), parsePrefix(r.locator)!.len);
    assert.ok(prefixContains(parsePrefix(r.locator)!, parseAddress(addr!)!));
    assert.ok(!pr.sids.some((s) => s.sid === addr));
  }
  const h2 = plan.hosts.find((h) => h.name === "h2")!;
  assert.equal(h2.gateway, gatewayAddress(square.hosts[1]!));
  assert.equal(h2.gateway, "2001:db8:4::2", "host took ::1, so the router takes ::2");
  assert.equal(h2.subnet, "2001:db8:4::/64");
  assert.equal(h2.routerInterface, "h2");
  assert.deepEqual(
    plan.hosts.map((h) => h.mgmtAddress),
    [mgmtHostAddress(0), mgmtHostAddress(1)],
  );
  assert.notEqual(mgmtHostAddress(0), CONTROLLER_ADDRESS);
  assert.equal(mgmtHostAddress(0), "fd00:ca:fe::100");
});

test("buildPlan: IPv4 /31s on router links, IPv4 gateways for dual-stack hosts, MTUs", () => {
  const withMtu: Topology = { ...square, links: square.links.map((l, i) => (i === 2 ? { ...l, mtu: 9000 } : l)) };
  const plan = buildPlan(withMtu);
  square.links.forEach((l, i) => {
    const pl = plan.links.find((x) => x.id === l.id)!;
    assert.equal(pl.a.address4, `${link4Addresses(i).a}/31`);
    assert.equal(pl.b.address4, `${link4Addresses(i).b}/31`);
    assert.equal(pl.mtu, i === 2 ? 9000 : DEFAULT_LINK_MTU);
  });
  assert.ok(plan.routers.every((r) => r.interfaces.filter((i) => i.kind === "core").every((i) => i.address4)));
  const access = plan.links.filter((l) => l.kind === "access");
  assert.deepEqual(access.map((l) => l.mtu), [1500, 1500]);
  assert.deepEqual(access.map((l) => [l.a.address4, l.b.address4]), [["10.0.1.10/24", "10.0.1.1/24"], ["10.0.4.10/24", "10.0.4.1/24"]]);
  const h1 = plan.hosts[0]!;
  assert.deepEqual([h1.address4, h1.prefixLen4, h1.subnet4, h1.gateway4], ["10.0.1.10", 24, "10.0.1.0/24", "10.0.1.1"]);
  assert.equal(h1.gateway4, gatewayAddress4({ address4: "10.0.1.10", prefixLen4: 24 }));

  const v6only = buildPlan({ ...square, hosts: [{ name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64 }] });
  assert.equal(v6only.hosts[0]!.address4, undefined);
  assert.equal(v6only.links.find((l) => l.kind === "access")!.b.address4, undefined);
  assert.equal(v6only.routers[0]!.interfaces.find((i) => i.kind === "access")!.address4, undefined);
  assert.ok(!v6only.routers.some((r) => r.sids.some((s) => s.behavior === "End.DX4")));
  assert.throws(() => buildPlan({ ...square, hosts: [{ ...square.hosts[0]!, address4: "10.0.1", prefixLen4: 24 }] }), /host h1: invalid IPv4 address 10.0.1\/24/);
});

test("buildPlan: one End.DX4 SID per dual-stack host, on its router, towards its IPv4 address", () => {
  const plan = buildPlan(square);
  const dx4 = plan.routers.flatMap((r) => r.sids.filter((s) => s.behavior === "End.DX4").map((s) => ({ router: r.name, ...s })));
  assert.deepEqual(dx4, [
    { router: "r1", sid: square.hosts[0]!.dx4Sid!, behavior: "End.DX4", ifname: "h1", host: "h1", nextHop4: "10.0.1.10" },
    { router: "r4", sid: square.hosts[1]!.dx4Sid!, behavior: "End.DX4", ifname: "h2", host: "h2", nextHop4: "10.0.4.10" },
  ]);
});

test("sidRouteArgs: End on sid0, End.X with nh6 and the adjacency's interface, End.DX4 with nh4 and the access interface", () => {
  const plan = buildPlan(square);
  const r1 = plan.routers[0]!;
  assert.deepEqual(sidRouteArgs(r1.sids[0]!), ["-6", "route", "add", "fc00:0:1::1/128", "encap", "seg6local", "action", "End", "dev", "sid0"]);
  const x = r1.sids.find((s) => s.neighbour === "r3")!;
  assert.deepEqual(sidRouteArgs(x), ["-6", "route", "add", `${endXSidOf(square.links[2]!, "r1")}/128`, "encap", "seg6local", "action", "End.X", "nh6", "fd00:0:0:3::2", "dev", "r3"]);
  const d = plan.routers[3]!.sids.find((s) => s.behavior === "End.DX4")!;
  assert.deepEqual(sidRouteArgs(d), ["-6", "route", "add", `${square.hosts[1]!.dx4Sid!}/128`, "encap", "seg6local", "action", "End.DX4", "nh4", "10.0.4.10", "dev", "h2"]);
  assert.throws(() => sidRouteArgs({ sid: "fc00:0:4::d400:1", behavior: "End.DX4", ifname: "h2" }), /has no IPv4 next hop/);
});

test("parallel links: each its own veth pair, named <neighbour>_<id>, its own End.X SIDs; each end's IS-IS metric is its direction's", () => {
  const t = withSids({
    ...square,
    links: [
      ...square.links.filter((l) => l.id !== "r1-r2"),
      { ...link("r1", "r2", 10), id: "fast", reverse: { igp: 30, te: 30, delayUs: 100, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0 } },
      { ...link("r2", "r1", 50), id: "slow" },
    ],
  });
  const plan = buildPlan(t);
  const r1 = plan.routers.find((r) => r.name === "r1")!;
  const r2 = plan.routers.find((r) => r.name === "r2")!;
  const itf = (r: typeof r1, name: string) => r.interfaces.find((i) => i.name === name);
  assert.deepEqual([itf(r1, "r2_fast")?.metric, itf(r2, "r1_fast")?.metric], [10, 30]);
  assert.deepEqual([itf(r1, "r2_slow")?.metric, itf(r2, "r1_slow")?.metric], [50, 50]);
  assert.equal(itf(r1, "r2"), undefined, "no interface named after the neighbour alone");
  assert.throws(() => interfaceName(t, "r1", "r2"), /r1 and r2 are joined by parallel links \(fast, slow\): each has its own interface, r2_fast, r2_slow/);
  const fast = t.links.find((l) => l.id === "fast")!;
  const slow = t.links.find((l) => l.id === "slow")!;
  assert.equal(r1.sids.find((x) => x.sid === fast.sidA)?.ifname, "r2_fast");
  assert.equal(r1.sids.find((x) => x.sid === slow.sidB)?.ifname, "r2_slow");
  assert.equal(r2.sids.find((x) => x.sid === slow.sidA)?.ifname, "r1_slow");
  const core = plan.links.filter((l) => l.kind === "core" && (l.id === "fast" || l.id === "slow"));
  assert.deepEqual(core.map((l) => [l.id, l.a.ifname, l.b.ifname]), [["fast", "r2_fast", "r1_fast"], ["slow", "r1_slow", "r2_slow"]]);
});

test("buildPlan rejects what the lab cannot build", () => {
  const dup: Topology = { ...square, hosts: [...square.hosts, { name: "r1", router: "r2", address: "2001:db8:9::1", prefixLen: 64 }] };
  assert.throws(() => buildPlan(dup), /duplicate node name r1/);
  assert.throws(() => buildPlan({ ...square, routers: [...square.routers, { name: "mgmt", locator: "fc00:0:9::/48", sid: "fc00:0:9::1" }] }), /reserved/);
  assert.throws(() => buildPlan({ ...square, routers: [...square.routers, { name: "t-x", locator: "fc00:0:9::/48", sid: "fc00:0:9::1" }] }), /reserved/);
  assert.throws(() => buildPlan({ ...square, routers: [...square.routers, { name: "a/b", locator: "fc00:0:9::/48", sid: "fc00:0:9::1" }] }), /not usable/);
  assert.throws(() => buildPlan({ ...square, links: [...square.links, { ...link("r1", "h1", 1), sidA: "fc00:0:1::e9", sidB: "fc00:0:1::ea" }] }), /must be routers/);
  // A parallel link's interface <neighbour>_<id> may not be another neighbour's name.
  const parallel = [...square.links, { ...link("r2", "r1", 5), id: "p2" }].map((l) => (l.a === "r1" && l.b === "r2" ? { ...l, id: "p1" } : l));
  const clash = { ...square, links: parallel, hosts: [...square.hosts, { name: "r2_p1", router: "r1", address: "2001:db8:9::1", prefixLen: 64 }] };
  assert.throws(() => buildPlan(withSids(clash)), /interfaces to r2 and r2_p1 would both be named r2_p1/);
  assert.throws(() => buildPlan({ ...square, hosts: [{ name: "h9", router: "r9", address: "2001:db8::1", prefixLen: 64 }] }), /r9 is not in the topology/);
});

test("expectedIsisRoutes: other routers' locators, remote IPv4 link /31s, remote host subnets of both families", () => {
  const exp = expectedIsisRoutes(buildPlan(square));
  // Links: 0 r1-r2, 1 r2-r4, 2 r1-r3, 3 r3-r4.
  assert.deepEqual([...exp.get("r1")!.keys()].sort(), ["10.0.4.0/24", "172.31.0.2/31", "172.31.0.6/31", "2001:db8:4::/64", "fc00:0:2::/48", "fc00:0:3::/48", "fc00:0:4::/48"]);
  assert.deepEqual([...exp.get("r4")!.keys()].sort(), ["10.0.1.0/24", "172.31.0.0/31", "172.31.0.4/31", "2001:db8:1::/64", "fc00:0:1::/48", "fc00:0:2::/48", "fc00:0:3::/48"]);
  assert.equal(exp.get("r2")!.size, 3 + 2 + 2 + 2);
  assert.equal(exp.get("r1")!.get("10.0.4.0/24"), "IPv4 subnet of h2");
  assert.equal(exp.get("r1")!.get("172.31.0.6/31"), "IPv4 of link r3-r4");
});

test("isisd.conf: area, fast timers, is-type after the timers, metrics, passive interfaces", () => {
  const plan = buildPlan(square);
  const r1 = plan.routers[0]!;
  const conf = isisdConfig(r1);
  assert.match(conf, /^router isis cairn$/m);
  assert.match(conf, /^ net 49\.0001\.0000\.0000\.0001\.00$/m);
  assert.match(conf, /^ metric-style wide$/m);
  assert.match(conf, /^ lsp-gen-interval 1$/m);
  assert.match(conf, /^ spf-delay-ietf init-delay 50 /m);
  assert.ok(conf.indexOf(" is-type level-2-only") > conf.indexOf(" lsp-gen-interval"), "is-type must follow the timers");
  const block = (name: string) => {
    const m = new RegExp(`^interface ${name}\\n((?: .*\\n)*)exit`, "m").exec(conf);
    assert.ok(m, `no interface ${name} block`);
    return m[1]!;
  };
  assert.match(block("r2"), /isis network point-to-point/);
  assert.match(block("r2"), /isis metric 10\n/);
  assert.match(block("r3"), /isis metric 20\n/);
  assert.match(block("r3"), /isis hello-interval 1\n/);
  assert.match(block("r3"), /isis hello-multiplier 3\n/);
  assert.match(block("r2"), /^ ip router isis cairn\n ipv6 router isis cairn\n/);
  assert.match(block("h1"), /^ ip router isis cairn\n ipv6 router isis cairn\n isis passive/);
  assert.match(block("sid0"), /^ ipv6 router isis cairn\n isis passive/);
  const v6only = isisdConfig(buildPlan({ ...square, hosts: [{ name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64 }] }).routers[0]!);
  assert.match(v6only, /^interface h1\n ipv6 router isis cairn\n isis passive/m, "an IPv6-only host's access interface runs IS-IS for IPv6 only");
  assert.doesNotMatch(block("h1"), /point-to-point/);
  assert.match(zebraConfig(r1), /^hostname r1$/m);
  assert.match(zebraConfig(r1), /^no zebra nexthop kernel enable$/m, "inline nexthops survive link flaps (FRRouting/frr#14481)");
});

const frrCheckSkip =
  process.getuid?.() !== 0 ? "needs root (isisd drops privileges to frr)" : !existsSync("/usr/lib/frr/isisd") ? "FRR not installed" : false;

test("isisd accepts the generated config (isisd -C)", { skip: frrCheckSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-frr-"));
  try {
    execFileSync("chown", ["frr:frr", dir]);
    for (const r of buildPlan(square).routers) {
      const file = join(dir, `${r.name}.conf`);
      writeFileSync(file, isisdConfig(r));
      const r2 = spawnSync(
        "/usr/lib/frr/isisd",
        ["-C", "-f", file, "-i", join(dir, "isisd.pid"), "--vty_socket", dir, "-z", join(dir, "zserv.api"), "-P", "0"],
        { encoding: "utf8", timeout: 20_000 },
      );
      if (r2.pid) rmSync(join("/var/tmp/frr", `isisd.${r2.pid}`), { recursive: true, force: true });
      const out = `${r2.stdout}${r2.stderr}`;
      assert.equal(r2.status, 0, out);
      // isisd -C exits 0 even on bad lines; it reports them as "No such command ..." / "[EC ...]".
      assert.doesNotMatch(out, /No such command|Command incomplete|Ambiguous|\[EC \d+\]/i, out);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync("/var/tmp/frr"); // isisd creates it; remove it when nothing else is in it
    } catch {
      /* not empty, or absent */
    }
  }
});
