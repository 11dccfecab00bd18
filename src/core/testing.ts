// Test fixtures for the pure core: small hand-made topologies written compactly.
import type { Link, Router, ServiceFunction, Topology } from "./model.js";
import { LINK_DEFAULTS } from "./model.js";

export type LinkFields = Partial<Omit<Link, "id" | "a" | "b">>;
type LinkSpec = [a: string, b: string, fields?: LinkFields];

/** A link a-b with the topology file's defaults (te = igp) and the given fields. */
export function link(a: string, b: string, f: LinkFields = {}): Link {
  const igp = f.igp ?? LINK_DEFAULTS.igp;
  return { ...LINK_DEFAULTS, te: igp, srlgs: [], colors: [], ...f, igp, id: `${a}-${b}`, a, b };
}

/** Routers get locators fc00:0:<i+1>::/48 in the order given; links default like the topology file's. */
export function net(routers: (string | Omit<Router, "locator">)[], links: LinkSpec[], services: ServiceFunction[] = []): Topology {
  return {
    routers: routers.map((r, i) => ({ ...(typeof r === "string" ? { name: r } : r), locator: `fc00:0:${(i + 1).toString(16)}::/48` })),
    hosts: [],
    links: links.map(([a, b, f]) => link(a, b, f)),
    services,
  };
}

/** A copy of `t` whose named hosts are dual-stack: `{ h1: "10.0.1.10/24" }` (the topology file's lab side fills these). */
export function withIpv4(t: Topology, addresses: Record<string, string>): Topology {
  return {
    ...t,
    hosts: t.hosts.map((h) => {
      const a = addresses[h.name];
      if (a === undefined) return h;
      const [address4, len] = a.split("/");
      return { ...h, address4: address4!, prefixLen4: Number(len) };
    }),
  };
}
