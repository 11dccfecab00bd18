// Test fixtures shared by the lab's specs.
import type { Link, Topology } from "../core/model.js";
import { link as coreLink } from "../core/testing.js";

export const link = (a: string, b: string, igp: number): Link => coreLink(a, b, { igp, delayUs: 100 });

/**
 * r1-r2-r4 is the IGP's shortest path (10+10); r1-r3-r4 costs 20+20. h1 sits behind r1, h2 behind r4;
 * both are dual-stack (10.0.1.10/24 and 10.0.4.10/24).
 */
export function squareTopology(h2Address = "2001:db8:4::10"): Topology {
  return {
    routers: [1, 2, 3, 4].map((i) => ({ name: `r${i}`, locator: `fc00:0:${i}::/48` })),
    hosts: [
      { name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64, address4: "10.0.1.10", prefixLen4: 24 },
      { name: "h2", router: "r4", address: h2Address, prefixLen: 64, address4: "10.0.4.10", prefixLen4: 24 },
    ],
    links: [link("r1", "r2", 10), link("r2", "r4", 10), link("r1", "r3", 20), link("r3", "r4", 20)],
    services: [],
  };
}
