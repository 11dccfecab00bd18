// Deterministic interface and node naming for the lab. Pure.
//
// Interface naming rule (Linux limits names to 15 bytes):
// - A host's uplink to its router is always HOST_UPLINK ("eth0"); its management port is MGMT_IFACE ("mgmt0").
// - On a router, the interface towards neighbour N (a router or a host) is named N itself when N
//   matches /^[A-Za-z0-9_-]{1,15}$/ and is not reserved (lo, sid0, all, default).
// - Otherwise it is the first 9 characters of N with every character outside [A-Za-z0-9_-]
//   replaced by "_", then "-", then 5 hex digits of the FNV-1a hash of N (15 characters in all).
// - Parallel links (several between the same two routers): the interface over each is named after
//   the neighbour and the link's id, `<neighbour>_<id>`, by the same rule (verbatim when it fits,
//   else cut and hashed), so each gets its own, stable whatever other lines the file has.
// - If two neighbours of the same router end up with the same name, buildPlan fails with an error.
import type { Topology } from "../core/model.js";

export const HOST_UPLINK = "eth0";
export const MGMT_IFACE = "mgmt0";
/** The blackhole device on every router that carries the locator prefix (IS-IS advertises it). */
export const SID_IFACE = "sid0";

const RESERVED_IFNAMES = new Set(["lo", SID_IFACE, "all", "default"]);
const VERBATIM = /^[A-Za-z0-9_-]{1,15}$/;
/** Node names become namespace names (cairn-<node>) and FRR hostnames. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The name a router gives its interface towards `neighbour` (see the rule above). */
export function routerInterfaceName(neighbour: string): string {
  if (VERBATIM.test(neighbour) && !RESERVED_IFNAMES.has(neighbour)) return neighbour;
  const stem = neighbour.slice(0, 9).replace(/[^A-Za-z0-9_-]/g, "_");
  return `${stem}-${fnv1a32(neighbour).toString(16).padStart(8, "0").slice(0, 5)}`;
}

/** The name a router gives its interface over parallel link `linkId` towards `neighbour`. */
export function parallelInterfaceName(neighbour: string, linkId: string): string {
  return routerInterfaceName(`${neighbour}_${linkId}`);
}

/**
 * The interface on `node` that leads to `neighbour` (not for parallel links: their interfaces are
 * the plan's). Throws when the two are not adjacent
 * (a router-router link, or a host and its gateway router).
 */
export function interfaceName(topology: Topology, node: string, neighbour: string): string {
  const host = topology.hosts.find((h) => h.name === node);
  if (host) {
    if (host.router !== neighbour) throw new Error(`host ${node} is not attached to ${neighbour} (its router is ${host.router})`);
    return HOST_UPLINK;
  }
  if (!topology.routers.some((r) => r.name === node)) throw new Error(`no node named ${node}`);
  const between = topology.links.filter((l) => (l.a === node && l.b === neighbour) || (l.b === node && l.a === neighbour));
  const adjacent = between.length > 0 || topology.hosts.some((h) => h.name === neighbour && h.router === node);
  if (!adjacent) throw new Error(`${node} has no link to ${neighbour}`);
  if (between.length > 1) throw new Error(`${node} and ${neighbour} are joined by parallel links (${between.map((l) => l.id).join(", ")}): each has its own interface, ${between.map((l) => parallelInterfaceName(neighbour, l.id)).join(", ")}`);
  return routerInterfaceName(neighbour);
}

/** Throws unless `name` can be a lab node name. */
export function checkNodeName(name: string): void {
  if (!NODE_NAME.test(name)) {
    throw new Error(`node name "${name}" is not usable in the lab (letters, digits, "_", "." and "-", starting with a letter or digit, at most 63)`);
  }
  if (name === "mgmt") throw new Error(`node name "mgmt" is reserved for the lab's management namespace`);
  if (name.startsWith("t-")) throw new Error(`node name "${name}" is reserved: namespaces cairn-t-* belong to tests`);
}

/** IS-IS NET of the router with index i in topology.routers: 49.0001.0000.0000.XXXX.00 (XXXX = hex of i+1). */
export function isisNet(routerIndex: number): string {
  if (!Number.isInteger(routerIndex) || routerIndex < 0 || routerIndex > 0xfffe) throw new Error(`router index ${routerIndex} out of range`);
  return `49.0001.0000.0000.${(routerIndex + 1).toString(16).padStart(4, "0")}.00`;
}
