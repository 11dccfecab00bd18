// Test fixtures shared by the lab's specs.
import { existsSync } from "node:fs";
import type { Topology } from "../core/model.js";
import { withSids, type LinkSpec } from "../core/sids.js";
import { link as coreLink } from "../core/testing.js";
import { labExecCapture } from "./exec.js";
import { labExists } from "./lab.js";
import { DNSMASQ } from "./dns.js";
import { readInterfaceCounters } from "./counters.js";

export const link = (a: string, b: string, igp: number): LinkSpec => coreLink(a, b, { igp, delayUs: 100 });

/**
 * r1-r2-r4 is the IGP's shortest path (10+10); r1-r3-r4 costs 20+20. h1 sits behind r1, h2 behind r4;
 * both are dual-stack (10.0.1.10/24 and 10.0.4.10/24).
 */
export function squareTopology(h2Address = "2001:db8:4::10"): Topology {
  return withSids({
    routers: [1, 2, 3, 4].map((i) => ({ name: `r${i}`, locator: `fc00:0:${i}::/48` })),
    hosts: [
      { name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64, address4: "10.0.1.10", prefixLen4: 24 },
      { name: "h2", router: "r4", address: h2Address, prefixLen: 64, address4: "10.0.4.10", prefixLen4: 24 },
    ],
    links: [link("r1", "r2", 10), link("r2", "r4", 10), link("r1", "r3", 20), link("r3", "r4", 20)],
    services: [],
  });
}

/** Why a lab spec cannot run here (false when it can): root, FRR, dnsmasq, and no lab already up. */
export function labSpecSkip(): string | false {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, FRR, cgroups)";
  if (!existsSync("/usr/lib/frr/isisd")) return "FRR is not installed (apt-get install frr)";
  if (!existsSync(DNSMASQ)) return "dnsmasq is not installed (apt-get install dnsmasq-base)";
  if (labExists()) return "a lab is already up on this machine; not touching it";
  return false;
}

/** Pings from a lab node (IPv6 or IPv4, by the address); resolves with the number of replies. */
export async function ping(node: string, address: string, count: number, intervalS = 0.01): Promise<number> {
  const family = address.includes(":") ? "-6" : "-4";
  const r = await labExecCapture(node, { command: ["ping", family, "-c", String(count), "-i", String(intervalS), "-W", "1", "-q", address] });
  const m = /(\d+) received/.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

/** Packets received so far on one interface of a lab node. */
export const rxPackets = (node: string, ifname: string): number => readInterfaceCounters(node)[ifname]?.rxPackets ?? NaN;
