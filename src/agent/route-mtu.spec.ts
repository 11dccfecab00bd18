import assert from "node:assert/strict";
import { test } from "node:test";
import { ROUTE_PROTOCOL, syncRoutes, wantedRoutes } from "./route-mtu.js";
import type { DatapathRule, DesiredDatapath } from "../datapath/types.js";

function rule(destinations: string[], sids: string[] | null, mode: "inline" | "encap" = "inline", backup: string[] | null = null): DatapathRule {
  return {
    identity: destinations.join(),
    classId: 0,
    destinations,
    uid: null,
    source: null,
    protocol: 0,
    portFrom: 0,
    portTo: 65535,
    priority: 0,
    closed: false,
    primary: sids ? { mode, sids } : null,
    backup: backup ? { mode, sids: backup } : null,
    useBackup: false,
    noLiveness: false,
  };
}

const desired = (rules: DatapathRule[]): DesiredDatapath => ({ rules, cgroups: [], encapSource: "2001:db8:1::10" });

test("wanted routes: the uplink MTU minus the largest SRH (and outer header) of any rule to the destination", () => {
  const routes = wantedRoutes(
    desired([
      rule(["2001:db8:2::10/128"], ["fc00::1"]), // SRH 8 + 32 = 40
      rule(["2001:db8:2::10/128"], ["fc00::1", "fc00::2"], "inline", ["fc00::1", "fc00::2", "fc00::3"]), // backup SRH 72
      rule(["10.0.2.10/32"], ["fc00::1", "fc00:4::d400:1"], "encap"), // 40 + 8 + 32 = 80
      rule(["2001:db8:3::/64"], []), // the IGP's own path: no SRH, no route
      rule(["::/0"], ["fc00::1"]), // never the default route
      rule(["2001:db8:5::/64"], null), // no path
    ]),
    1500,
  );
  assert.deepEqual(routes, [
    { prefix: "10.0.2.10/32", mtu: 1420 },
    { prefix: "2001:db8:2::10/128", mtu: 1428 },
  ]);
});

test("wanted routes never go below the protocol minimums", () => {
  assert.deepEqual(wantedRoutes(desired([rule(["2001:db8:2::/64"], Array(8).fill("fc00::1"))]), 1300), [{ prefix: "2001:db8:2::/64", mtu: 1280 }]);
});

/** A fake `ip` holding a routing table; records the commands it ran. */
function fakeIp(routes: { dst: string; gateway?: string; dev?: string; protocol?: string; metrics?: { mtu: number }[] }[]) {
  const ran: string[] = [];
  return {
    ran,
    ip(args: string[]): string {
      const cmd = args.join(" ");
      if (args.includes("show")) {
        const fam = args[0];
        return JSON.stringify(routes.filter((r) => (fam === "-4") === r.dst.includes(".")));
      }
      if (args.includes("get")) {
        const target = args.at(-1)!;
        return JSON.stringify([{ dst: target, gateway: target.includes(".") ? "10.0.1.1" : "2001:db8:1::1", dev: target.startsWith("2001:db8:1::") ? "other0" : "eth0" }]);
      }
      ran.push(cmd);
      return "";
    },
  };
}

test("syncRoutes adds, changes and removes only its own (protocol 202) routes", () => {
  const p = String(ROUTE_PROTOCOL);
  const f = fakeIp([
    { dst: "2001:db8:2::10", gateway: "2001:db8:1::1", dev: "eth0", protocol: p, metrics: [{ mtu: 1460 }] }, // stale MTU
    { dst: "2001:db8:9::/64", gateway: "2001:db8:1::1", dev: "eth0", protocol: p, metrics: [{ mtu: 1460 }] }, // no longer wanted
    { dst: "2001:db8:7::/64", gateway: "2001:db8:1::1", dev: "eth0", protocol: "static" }, // the operator's
    { dst: "default", gateway: "2001:db8:1::1", dev: "eth0", protocol: "boot" },
  ]);
  const problems = syncRoutes(
    "eth0",
    [
      { prefix: "2001:db8:2::10/128", mtu: 1428 },
      { prefix: "2001:db8:7::/64", mtu: 1428 },
      { prefix: "10.0.2.10/32", mtu: 1420 },
      { prefix: "2001:db8:1::/64", mtu: 1428 },
    ],
    f.ip,
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(f.ran, [
    `-6 route del 2001:db8:9::/64 proto ${p}`,
    `-6 route replace 2001:db8:2::10/128 via 2001:db8:1::1 dev eth0 mtu 1428 proto ${p}`,
    `-4 route replace 10.0.2.10/32 via 10.0.1.1 dev eth0 mtu 1420 proto ${p}`,
  ]);
});
