// Lab link addresses and gateways derived from the topology (SIDs: sids.ts). Pure.
import type { Link, Topology } from "./model.js";
import { addressInPrefix, parsePrefix } from "./ipv6.js";
import { addressInPrefix4, formatAddress4, formatPrefix4, parseAddress4, parsePrefix4, type Prefix4 } from "./ipv4.js";

/** Router-to-router link i gets fd00:0:0:<i+1>::/64; side a is ::1, side b is ::2. */
export function linkAddresses(linkIndex: number): { prefix: string; a: string; b: string } {
  const n = (linkIndex + 1).toString(16);
  return { prefix: `fd00:0:0:${n}::/64`, a: `fd00:0:0:${n}::1`, b: `fd00:0:0:${n}::2` };
}

/** Where router-to-router links get their IPv4 /31s: a private range (RFC 1918) that host subnets may not overlap. */
export const LINK4_RANGE = "172.31.0.0/16";
const LINK4: Prefix4 = parsePrefix4(LINK4_RANGE)!;
/** How many links LINK4_RANGE holds (one /31 each). */
export const MAX_LINK4_LINKS = 2 ** (32 - LINK4.len) / 2;

/** Router-to-router link i gets the /31 172.31.0.0 + 2i: side a the even address, side b the odd one. */
export function link4Addresses(linkIndex: number): { prefix: string; a: string; b: string } {
  if (!Number.isInteger(linkIndex) || linkIndex < 0 || linkIndex >= MAX_LINK4_LINKS) {
    throw new Error(`link index ${linkIndex} has no IPv4 /31 in ${LINK4_RANGE} (at most ${MAX_LINK4_LINKS} links)`);
  }
  const a = LINK4.network + 2 * linkIndex;
  return { prefix: formatPrefix4({ network: a, len: 31 }), a: formatAddress4(a), b: formatAddress4(a + 1) };
}

/** The IPv4 gateway a router uses on a dual-stack host's subnet: the first usable address, or the second when the host took it. */
export function gatewayAddress4(host: { address4: string; prefixLen4: number }): string {
  const p = parsePrefix4(`${host.address4}/${host.prefixLen4}`);
  if (!p || parseAddress4(host.address4) === null) throw new Error(`invalid IPv4 address ${host.address4}/${host.prefixLen4} (should have been validated)`);
  const first = addressInPrefix4(p, 1);
  return first === host.address4 ? addressInPrefix4(p, 2) : first;
}

/** The gateway address a router uses on a host's subnet: ::1, or ::2 when the host took ::1. */
export function gatewayAddress(host: { address: string; prefixLen: number }): string {
  const p = parsePrefix(`${host.address}/${host.prefixLen}`)!;
  const first = addressInPrefix(p, 1);
  return first === host.address ? addressInPrefix(p, 2) : first;
}

export function linkIndex(topology: Topology, a: string, b: string): number {
  return topology.links.findIndex((l: Link) => (l.a === a && l.b === b) || (l.a === b && l.b === a));
}
