// Turns a Topology into the concrete lab: namespaces, interface names, addresses, SIDs. Pure.
import { DEFAULT_LINK_MTU, metricsFrom, type Topology } from "../core/model.js";
import { gatewayAddress, gatewayAddress4, link4Addresses, linkAddresses } from "../core/addressing.js";
import { addressInPrefix, formatPrefix, parseAddress, parsePrefix } from "../core/ipv6.js";
import { LOCATOR_ANCHOR } from "../core/sids.js";
import { formatPrefix4, parseAddress4, parsePrefix4 } from "../core/ipv4.js";
import { HOST_UPLINK, checkNodeName, isisNet, parallelInterfaceName, routerInterfaceName } from "./naming.js";
import { nsName } from "./paths.js";
import { mgmtHostAddress, mgmtPortName } from "./mgmt.js";

export interface PlannedInterface {
  name: string;
  kind: "core" | "access";
  peerNode: string;
  peerInterface: string;
  /** "addr/len" configured on this interface. */
  address: string;
  /** IPv4 "addr/len": every core interface; access interfaces of dual-stack hosts. */
  address4?: string;
  /** IS-IS metric (core interfaces only). */
  metric?: number;
  /** Index in topology.links (core interfaces only). */
  linkIndex?: number;
}

export interface PlannedSid {
  sid: string;
  behavior: "End" | "End.X" | "End.DX4";
  /** Output device of the seg6local route. */
  ifname: string;
  /** End.X: the neighbour and its address on the link. */
  neighbour?: string;
  nextHop?: string;
  linkIndex?: number;
  /** End.DX4: the dual-stack host it decapsulates for, and that host's IPv4 address. */
  host?: string;
  nextHop4?: string;
}

export interface PlannedRouter {
  name: string;
  index: number;
  ns: string;
  isisNet: string;
  /** Normalised locator prefix. */
  locator: string;
  /** "addr/len" put on sid0 so that IS-IS advertises the locator; never one of the SIDs. */
  locatorAddress: string;
  interfaces: PlannedInterface[];
  sids: PlannedSid[];
}

export interface PlannedHost {
  name: string;
  index: number;
  ns: string;
  router: string;
  address: string;
  prefixLen: number;
  /** Normalised subnet prefix. */
  subnet: string;
  gateway: string;
  /** Dual-stack hosts: IPv4 address, prefix length, normalised subnet and the router's gateway address. */
  address4?: string;
  prefixLen4?: number;
  subnet4?: string;
  gateway4?: string;
  routerInterface: string;
  mgmtAddress: string;
  mgmtPort: string;
}

export interface PlannedEnd {
  node: string;
  ifname: string;
  /** "addr/len" */
  address: string;
  /** IPv4 "addr/len", when the link carries IPv4. */
  address4?: string;
}

export interface PlannedLink {
  /** Topology link id for core links; "<host>-<router>" for host uplinks. */
  id: string;
  kind: "core" | "access";
  a: PlannedEnd;
  b: PlannedEnd;
  linkIndex: number | null;
  /** MTU of both veth ends. */
  mtu: number;
}

export interface LabPlan {
  routers: PlannedRouter[];
  hosts: PlannedHost[];
  links: PlannedLink[];
}

export function normalisePrefix(text: string): string {
  const p = parsePrefix(text);
  if (!p) throw new Error(`invalid IPv6 prefix ${text}`);
  return formatPrefix(p);
}

/** The IPv4 side of a dual-stack host (undefined for an IPv6-only host). Throws on a malformed address. */
function plannedHost4(h: Topology["hosts"][number]): Required<Pick<PlannedHost, "address4" | "prefixLen4" | "subnet4" | "gateway4">> | undefined {
  if (h.address4 === undefined) return undefined;
  const len = h.prefixLen4 ?? -1;
  const subnet = parseAddress4(h.address4) !== null ? parsePrefix4(`${h.address4}/${len}`) : null;
  if (!subnet || len < 8 || len > 30) throw new Error(`host ${h.name}: invalid IPv4 address ${h.address4}/${String(h.prefixLen4)}`);
  return { address4: h.address4, prefixLen4: len, subnet4: formatPrefix4(subnet), gateway4: gatewayAddress4({ address4: h.address4, prefixLen4: len }) };
}

/** Validates the topology for the lab and derives every name and address. Throws on problems. */
export function buildPlan(topology: Topology): LabPlan {
  const names = new Set<string>();
  for (const n of [...topology.routers.map((r) => r.name), ...topology.hosts.map((h) => h.name)]) {
    checkNodeName(n);
    if (names.has(n)) throw new Error(`duplicate node name ${n}`);
    names.add(n);
  }
  const routerByName = new Map(topology.routers.map((r, i) => [r.name, { r, i }]));

  const routers: PlannedRouter[] = topology.routers.map((r, index) => {
    const loc = parsePrefix(r.locator);
    if (!loc) throw new Error(`router ${r.name}: invalid locator ${r.locator}`);
    return {
      name: r.name,
      index,
      ns: nsName(r.name),
      isisNet: isisNet(index),
      locator: formatPrefix(loc),
      locatorAddress: `${addressInPrefix(loc, LOCATOR_ANCHOR)}/${loc.len}`,
      interfaces: [],
      sids: [{ sid: r.sid, behavior: "End", ifname: "sid0" }],
    };
  });
  const planned = new Map(routers.map((r) => [r.name, r]));

  const links: PlannedLink[] = [];
  const pairCount = new Map<string, number>();
  for (const l of topology.links) {
    const key = [l.a, l.b].sort().join("\u0000");
    pairCount.set(key, (pairCount.get(key) ?? 0) + 1);
  }
  topology.links.forEach((l, i) => {
    const a = routerByName.get(l.a);
    const b = routerByName.get(l.b);
    if (!a || !b) throw new Error(`link ${l.id}: both ends must be routers (${l.a}, ${l.b})`);
    if (l.a === l.b) throw new Error(`link ${l.id} connects ${l.a} to itself`);
    const addr = linkAddresses(i);
    const addr4 = link4Addresses(i);
    const parallel = pairCount.get([l.a, l.b].sort().join("\u0000"))! > 1;
    const aIf = parallel ? parallelInterfaceName(l.b, l.id) : routerInterfaceName(l.b);
    const bIf = parallel ? parallelInterfaceName(l.a, l.id) : routerInterfaceName(l.a);
    const aEnd = { address: `${addr.a}/64`, address4: `${addr4.a}/31` };
    const bEnd = { address: `${addr.b}/64`, address4: `${addr4.b}/31` };
    links.push({
      id: l.id,
      kind: "core",
      linkIndex: i,
      a: { node: l.a, ifname: aIf, ...aEnd },
      b: { node: l.b, ifname: bIf, ...bEnd },
      mtu: l.mtu ?? DEFAULT_LINK_MTU,
    });
    const pa = planned.get(l.a)!;
    const pb = planned.get(l.b)!;
    // Each end advertises the metric of what it sends (IS-IS metrics are per outgoing interface).
    pa.interfaces.push({ name: aIf, kind: "core", peerNode: l.b, peerInterface: bIf, ...aEnd, metric: metricsFrom(l, l.a).igp, linkIndex: i });
    pb.interfaces.push({ name: bIf, kind: "core", peerNode: l.a, peerInterface: aIf, ...bEnd, metric: metricsFrom(l, l.b).igp, linkIndex: i });
    pa.sids.push({ sid: l.sidA, behavior: "End.X", ifname: aIf, neighbour: l.b, nextHop: addr.b, linkIndex: i });
    pb.sids.push({ sid: l.sidB, behavior: "End.X", ifname: bIf, neighbour: l.a, nextHop: addr.a, linkIndex: i });
  });

  const hosts: PlannedHost[] = topology.hosts.map((h, index) => {
    const router = planned.get(h.router);
    if (!router) throw new Error(`host ${h.name}: router ${h.router} is not in the topology`);
    if (!parseAddress(h.address)) throw new Error(`host ${h.name}: invalid address ${h.address}`);
    const subnet = normalisePrefix(`${h.address}/${h.prefixLen}`);
    const gateway = gatewayAddress(h);
    const v4 = plannedHost4(h);
    const routerIf = routerInterfaceName(h.name);
    const hostEnd = { address: `${h.address}/${h.prefixLen}`, ...(v4 ? { address4: `${v4.address4}/${v4.prefixLen4}` } : {}) };
    const routerEnd = { address: `${gateway}/${h.prefixLen}`, ...(v4 ? { address4: `${v4.gateway4}/${v4.prefixLen4}` } : {}) };
    router.interfaces.push({ name: routerIf, kind: "access", peerNode: h.name, peerInterface: HOST_UPLINK, ...routerEnd });
    if (v4) {
      if (h.dx4Sid === undefined) throw new Error(`host ${h.name}: dual-stack but no End.DX4 SID`);
      router.sids.push({ sid: h.dx4Sid, behavior: "End.DX4", ifname: routerIf, host: h.name, nextHop4: v4.address4 });
    }
    links.push({
      id: `${h.name}-${h.router}`,
      kind: "access",
      linkIndex: null,
      a: { node: h.name, ifname: HOST_UPLINK, ...hostEnd },
      b: { node: h.router, ifname: routerIf, ...routerEnd },
      mtu: DEFAULT_LINK_MTU,
    });
    return {
      name: h.name,
      index,
      ns: nsName(h.name),
      router: h.router,
      address: h.address,
      prefixLen: h.prefixLen,
      subnet,
      gateway,
      ...(v4 ?? {}),
      routerInterface: routerIf,
      mgmtAddress: mgmtHostAddress(index),
      mgmtPort: mgmtPortName(index),
    };
  });

  for (const r of routers) {
    const seen = new Map<string, string>();
    for (const itf of r.interfaces) {
      const other = seen.get(itf.name);
      if (other !== undefined) {
        throw new Error(`router ${r.name}: interfaces to ${other} and ${itf.peerNode} would both be named ${itf.name}; rename one of them`);
      }
      seen.set(itf.name, itf.peerNode);
    }
  }
  return { routers, hosts, links };
}
