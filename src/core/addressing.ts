// Deterministic SIDs and lab link addresses derived from the topology. Pure.
import type { Link, Router, Topology } from "./model.js";
import { addressInPrefix, parsePrefix } from "./ipv6.js";

const END_FUNCTION = 0x1;
const END_X_FUNCTION_BASE = 0xe000;
const END_DX4_FUNCTION_BASE = 0xd4000000;

function locatorOf(router: Router) {
  const p = parsePrefix(router.locator);
  if (!p) throw new Error(`invalid locator ${router.locator} on ${router.name} (should have been validated)`);
  return p;
}

/** The router's End SID: locator::1. */
export function endSid(router: Router): string {
  return addressInPrefix(locatorOf(router), END_FUNCTION);
}

/** The End.X SID that `router` uses for the link with index `linkIndex` in topology.links. */
export function endXSid(router: Router, linkIndex: number): string {
  return addressInPrefix(locatorOf(router), END_X_FUNCTION_BASE + linkIndex);
}

/** The End.DX4 SID on `router` that decapsulates IPv4 for the host with index `hostIndex` in topology.hosts
 *  (it cross-connects to that host's IPv4 address): locator::d400:0 + hostIndex. */
export function dx4Sid(router: Router, hostIndex: number): string {
  return addressInPrefix(locatorOf(router), END_DX4_FUNCTION_BASE + hostIndex);
}

/** Router-to-router link i gets fd00:0:0:<i+1>::/64; side a is ::1, side b is ::2. */
export function linkAddresses(linkIndex: number): { prefix: string; a: string; b: string } {
  const n = (linkIndex + 1).toString(16);
  return { prefix: `fd00:0:0:${n}::/64`, a: `fd00:0:0:${n}::1`, b: `fd00:0:0:${n}::2` };
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
