// Where an intent's packets go, by address family: which families a match admits, the subnet of a
// host per family, and the one host behind an IPv4 prefix (End.DX4 decapsulates to one host). Pure.
import type { Host, IntentMatch, Topology } from "./model.js";
import type { Family, IpPrefix } from "./ip.js";
import { FAMILIES, formatIpPrefix, ipPrefixContains, parseIpPrefix } from "./ip.js";

/** The families a packet matching `match` can have, by its source prefix and protocol (the destination aside). */
export function matchFamilies(match: Pick<IntentMatch, "source" | "protocol">): Family[] {
  const source = match.source !== undefined ? parseIpPrefix(match.source)?.family : undefined;
  const protocol = match.protocol === "icmp" ? 4 : match.protocol === "icmpv6" ? 6 : undefined;
  return FAMILIES.filter((f) => (source === undefined || source === f) && (protocol === undefined || protocol === f));
}

/** The host's subnet in `family` ("addr/len", host bits cleared); undefined for IPv4 on a host without it. */
export function hostSubnet(host: Host, family: Family): IpPrefix | undefined {
  if (family === 6) return parseIpPrefix(`${host.address}/${host.prefixLen}`) ?? undefined;
  if (host.address4 === undefined || host.prefixLen4 === undefined) return undefined;
  return parseIpPrefix(`${host.address4}/${host.prefixLen4}`) ?? undefined;
}

export function isDualStack(host: Host): boolean {
  return host.address4 !== undefined && host.prefixLen4 !== undefined;
}

export type Ipv4Owner = { ok: true; host: Host; hostIndex: number } | { ok: false; reason: string };

/**
 * The one dual-stack host whose IPv4 subnet holds `prefix`. The egress router's End.DX4 SID
 * cross-connects to a single next hop, so a prefix in no subnet, in several, or wider than a subnet
 * cannot be delivered.
 */
export function ipv4Owner(topology: Topology, prefix: IpPrefix): Ipv4Owner {
  const text = formatIpPrefix(prefix);
  const why = "End.DX4 decapsulates to one host, so an IPv4 destination must sit inside exactly one dual-stack host's IPv4 subnet";
  const inside: number[] = [];
  const covered: string[] = [];
  topology.hosts.forEach((h, i) => {
    const subnet = hostSubnet(h, 4);
    if (!subnet) return;
    if (ipPrefixContains(subnet, prefix)) inside.push(i);
    else if (ipPrefixContains(prefix, subnet)) covered.push(`${h.name}'s ${formatIpPrefix(subnet)}`);
  });
  if (inside.length === 1) return { ok: true, host: topology.hosts[inside[0]!]!, hostIndex: inside[0]! };
  if (inside.length > 1) {
    return { ok: false, reason: `${text} is in the IPv4 subnets of several hosts (${inside.map((i) => topology.hosts[i]!.name).join(", ")}); ${why}` };
  }
  if (covered.length > 0) return { ok: false, reason: `${text} is wider than ${covered.join(" and ")}; ${why}` };
  const none = topology.hosts.some(isDualStack) ? "" : " (no host of the topology has an IPv4 address)";
  return { ok: false, reason: `${text} is in no host's IPv4 subnet${none}; ${why}` };
}
