// A topology's SIDs as data: each router's End SID, each link end's End.X SID and each dual-stack
// host's End.DX4 SID, given in the file or derived from names, never from a line's position, so
// adding, removing or reordering other lines changes no existing SID (running steering keeps its
// segment lists). Pure.
//
// Scheme (the function lives in the low 32 bits under the locator, which every locator from /16 to
// /96 leaves free):
//   End      <locator>::1
//   End.X    <locator>::e000:0 + fnv1a("End.X <link id> <router>") folded to 28 bits
//   End.DX4  <locator>::d000:0 + fnv1a("End.DX4 <host>") folded to 28 bits
// Two derived SIDs of one router that hash alike (odds about n² / 2^29 for n of one kind) are an
// error asking for an explicit SID: any rule that resolved it by itself would, for some later
// addition, move a SID that was already in use.
import type { Host, Link, Router, ServiceFunction, Topology } from "./model.js";
import { addressInPrefix, formatAddress, formatPrefix, parseAddress, parsePrefix, prefixContains, type Prefix } from "./ipv6.js";
import { fnv1aBits } from "./fnv.js";

const END_FUNCTION = 0x1;
const END_X_BASE = 0xe0000000;
const END_X_BITS = 28;
const END_DX4_BASE = 0xd0000000;
const END_DX4_BITS = 28;
/** The lab puts <locator>::ffff:ffff on each router so IS-IS advertises the locator; no SID may be it. */
export const LOCATOR_ANCHOR = 0xffffffff;

export type RouterSpec = Omit<Router, "sid"> & { sid?: string };
export type HostSpec = Omit<Host, "dx4Sid"> & { dx4Sid?: string };
export type LinkSpec = Omit<Link, "sidA" | "sidB"> & { sidA?: string; sidB?: string };
/** A topology whose SIDs may be left out: `assignSids` fills them in. A Topology is one too. */
export interface TopologySpec {
  routers: RouterSpec[];
  hosts: HostSpec[];
  links: LinkSpec[];
  services: ServiceFunction[];
}

export type SidField = "sid" | "sidA" | "sidB" | "dx4Sid";

/** A SID that cannot be used, at the field of the element that carries (or would carry) it. */
export interface SidProblem {
  list: "routers" | "hosts" | "links";
  index: number;
  field: SidField;
  /** Whether the field was written (else the SID was derived and the field is where one would go). */
  explicit: boolean;
  reason: string;
}

export function derivedEndSid(locator: Prefix): string {
  return addressInPrefix(locator, END_FUNCTION);
}

/** The End.X SID `router` (one of its ends) derives for the link with id `linkId`. */
export function derivedEndXSid(locator: Prefix, linkId: string, router: string): string {
  return addressInPrefix(locator, END_X_BASE + fnv1aBits(`End.X ${linkId} ${router}`, END_X_BITS));
}

/** The End.DX4 SID a dual-stack host's router derives for it. */
export function derivedDx4Sid(locator: Prefix, host: string): string {
  return addressInPrefix(locator, END_DX4_BASE + fnv1aBits(`End.DX4 ${host}`, END_DX4_BITS));
}

/** The End.X SID `router` (one of the link's ends) uses over `link`. */
export function endXSidOf(link: Link, router: string): string {
  if (router === link.a) return link.sidA;
  if (router === link.b) return link.sidB;
  throw new Error(`${router} is not an end of link ${link.id}`);
}

interface Claim {
  what: string;
  list: SidProblem["list"];
  index: number;
  field: SidField;
  explicit: boolean;
}

/** Fills in every SID the spec leaves out and checks every one: inside its router's locator, unique. */
export function assignSids(spec: TopologySpec): { topology: Topology; problems: SidProblem[] } {
  const problems: SidProblem[] = [];
  const locators = new Map<string, Prefix>(); // by name; the first router of a name (a repeat is the loader's error)
  const ownLocators = spec.routers.map((r) => parsePrefix(r.locator));
  spec.routers.forEach((r, i) => {
    const p = ownLocators[i];
    if (p && !locators.has(r.name)) locators.set(r.name, p);
  });
  const claims = new Map<string, Claim>();
  const problem = (c: Omit<Claim, "what">, reason: string) => problems.push({ list: c.list, index: c.index, field: c.field, explicit: c.explicit, reason });

  // Written SIDs first, so that a derived SID meeting one blames the one written.
  const written = (text: string | undefined, router: string, c: Omit<Claim, "explicit">, loc = locators.get(router)): string | null => {
    if (text === undefined) return null;
    const at = { ...c, explicit: true };
    const bytes = parseAddress(text);
    if (!bytes) { problem(at, `${JSON.stringify(text)} is not an IPv6 address (a SID has no prefix length)`); return ""; }
    const sid = formatAddress(bytes);
    if (!loc) return sid;
    if (!prefixContains(loc, bytes)) problem(at, `SID ${sid} is outside ${router}'s locator ${formatPrefix(loc)}, so it would not be routed to ${router}`);
    else if (sid === formatAddress(loc.bytes)) problem(at, `SID ${sid} is ${router}'s locator address itself; use an address inside it`);
    else if (sid === addressInPrefix(loc, LOCATOR_ANCHOR)) problem(at, `SID ${sid} is reserved: the lab puts it on ${router} to advertise the locator`);
    else if (claims.has(sid)) problem(at, `SID ${sid} is already ${claims.get(sid)!.what}`);
    else claims.set(sid, at);
    return sid;
  };
  const routerSids = spec.routers.map((r, index) => written(r.sid, r.name, { what: `${r.name}'s End SID`, list: "routers", index, field: "sid" }, ownLocators[index] ?? undefined));
  const linkSids = spec.links.map((l, index) => [
    written(l.sidA, l.a, { what: `${l.a}'s End.X SID for link ${l.id}`, list: "links", index, field: "sidA" }),
    written(l.sidB, l.b, { what: `${l.b}'s End.X SID for link ${l.id}`, list: "links", index, field: "sidB" }),
  ]);
  const hostSids = spec.hosts.map((h, index) => {
    const c = { what: `${h.router}'s End.DX4 SID for host ${h.name}`, list: "hosts" as const, index, field: "dx4Sid" as const };
    if (h.dx4Sid !== undefined && h.address4 === undefined) {
      problem({ ...c, explicit: true }, "only a dual-stack host (one with address4) has an End.DX4 SID");
      return null;
    }
    return written(h.dx4Sid, h.router, c);
  });

  const derived = (router: string, make: (loc: Prefix) => string, c: Omit<Claim, "explicit">, loc = locators.get(router)): string => {
    if (!loc) return "";
    const sid = make(loc);
    const other = claims.get(sid);
    if (!other) claims.set(sid, { ...c, explicit: false });
    else if (other.explicit) problem(other, `SID ${sid} is ${c.what} (derived); choose another`);
    else problem({ ...c, explicit: false }, `${c.what}, derived as ${sid}, is also ${other.what}; give one of them an explicit SID (${other.list}[${other.index}].${other.field})`);
    return sid;
  };
  const routers = spec.routers.map((r, index): Router => ({
    ...r,
    sid: routerSids[index] ?? derived(r.name, derivedEndSid, { what: `${r.name}'s End SID`, list: "routers", index, field: "sid" }, ownLocators[index] ?? undefined),
  }));
  const links = spec.links.map((l, index): Link => ({
    ...l,
    sidA: linkSids[index]![0] ?? derived(l.a, (p) => derivedEndXSid(p, l.id, l.a), { what: `${l.a}'s End.X SID for link ${l.id}`, list: "links", index, field: "sidA" }),
    sidB: linkSids[index]![1] ?? derived(l.b, (p) => derivedEndXSid(p, l.id, l.b), { what: `${l.b}'s End.X SID for link ${l.id}`, list: "links", index, field: "sidB" }),
  }));
  const hosts = spec.hosts.map((h, index): Host => {
    const { dx4Sid: _, ...rest } = h;
    if (h.address4 === undefined) return rest;
    const c = { what: `${h.router}'s End.DX4 SID for host ${h.name}`, list: "hosts" as const, index, field: "dx4Sid" as const };
    return { ...rest, dx4Sid: hostSids[index] ?? derived(h.router, (p) => derivedDx4Sid(p, h.name), c) };
  });
  return { topology: { routers, hosts, links, services: spec.services }, problems };
}

/** `assignSids` for topologies built in code (tests, fixtures): a problem is a bug there, so it throws. */
export function withSids(spec: TopologySpec): Topology {
  const { topology, problems } = assignSids(spec);
  if (problems.length > 0) throw new Error(`topology SIDs: ${problems.map((p) => `${p.list}[${p.index}].${p.field}: ${p.reason}`).join("; ")}`);
  return topology;
}
