// Test fixtures for the pure core: small hand-made topologies written compactly.
import type { Link, Router, ServiceFunction, Topology } from "./model.js";
import { LINK_DEFAULTS } from "./model.js";
import { endXSidOf, withSids, type LinkSpec } from "./sids.js";

export type LinkFields = Partial<Omit<Link, "a" | "b" | "sidA" | "sidB">> & { sidA?: string; sidB?: string };
type LinkEntry = [a: string, b: string, fields?: LinkFields];

/** A link a-b (id "a-b" unless given) with the topology file's defaults (te = igp) and the given fields; `withSids` gives it its SIDs. */
export function link(a: string, b: string, f: LinkFields = {}): LinkSpec {
  const igp = f.igp ?? LINK_DEFAULTS.igp;
  return { ...LINK_DEFAULTS, te: igp, srlgs: [], colors: [], ...f, igp, id: f.id ?? `${a}-${b}`, a, b };
}

/** Routers get locators fc00:0:<i+1>::/48 in the order given; links default like the topology file's. */
export function net(routers: (string | Omit<Router, "locator" | "sid">)[], links: LinkEntry[], services: ServiceFunction[] = []): Topology {
  return withSids({
    routers: routers.map((r, i) => ({ ...(typeof r === "string" ? { name: r } : r), locator: `fc00:0:${(i + 1).toString(16)}::/48` })),
    hosts: [],
    links: links.map(([a, b, f]) => link(a, b, f)),
    services,
  });
}

/** A copy of `t` whose named hosts are dual-stack: `{ h1: "10.0.1.10/24" }` (the topology file's lab side fills these). */
export function withIpv4(t: Topology, addresses: Record<string, string>): Topology {
  return withSids({
    ...t,
    hosts: t.hosts.map((h) => {
      const a = addresses[h.name];
      if (a === undefined) return h;
      const [address4, len] = a.split("/");
      return { ...h, address4: address4!, prefixLen4: Number(len) };
    }),
  });
}

/** The End.X SID of router `from` over its link to `to`. */
export function endX(t: Topology, from: string, to: string): string {
  const l = t.links.find((x) => (x.a === from && x.b === to) || (x.a === to && x.b === from));
  if (!l) throw new Error(`no link ${from}-${to}`);
  return endXSidOf(l, from);
}

/** The End.DX4 SID of dual-stack host `host`. */
export function dx4(t: Topology, host: string): string {
  const sid = t.hosts.find((h) => h.name === host)?.dx4Sid;
  if (sid === undefined) throw new Error(`no dual-stack host ${host}`);
  return sid;
}
