// Topology YAML → Topology, with every error located (file, line, column, field, reason).
import { quote } from "../core/quote.js";
import { unknownNameHint } from "../core/name-hints.js";
import type { Host, ServiceFunction, ServiceInstance, Topology } from "../core/model.js";
import { withDirections } from "../core/model.js";
import { LINK4_RANGE, gatewayAddress4 } from "../core/addressing.js";
import { assignSids, type HostSpec, type LinkSpec, type RouterSpec, type SidProblem } from "../core/sids.js";
import { addressInPrefix, formatAddress, formatPrefix, parseAddress, parsePrefix, prefixContains } from "../core/ipv6.js";
import type { Prefix } from "../core/ipv6.js";
import { formatAddress4, formatPrefix4, lastAddress4, parseAddress4, parsePrefix4, prefixes4Overlap, type Prefix4 } from "../core/ipv4.js";
import type { ParseResult } from "./errors.js";
import { linkIdField, linkMetrics, parallelLinkProblems, type LinkLine } from "./link-entry.js";
import { Field, YamlReader, required } from "./yaml-reader.js";

export const NODE_NAME = /^[a-z][a-z0-9_]{0,9}$/;
export const NODE_NAME_RULE = "a lowercase letter, then up to 9 lowercase letters, digits or _";
const RESERVED_NAMES = ["mgmt"];
/** Service function names: like intent names (letters, digits, _ . -; up to 63). */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Largest maximum SID depth a router or intent may declare. */
export const MAX_MSD = 16;
/** A link's MTU: IPv6's minimum up to the largest a veth takes. */
export const MIN_LINK_MTU = 1280;
export const MAX_LINK_MTU = 65535;
/** Prefix lengths of a host's IPv4 subnet: room for the host, its gateway and more. */
const MIN_PREFIX4 = 8;
const MAX_PREFIX4 = 30;

function name(f: Field | null): string | null {
  const v = f?.string() ?? null;
  if (v !== null && !NODE_NAME.test(v)) {
    f!.error(`${quote(v)} is not a valid node name: ${NODE_NAME_RULE}`);
    return null;
  }
  if (v !== null && RESERVED_NAMES.includes(v)) {
    f!.error(`${quote(v)} is reserved (the lab's management network uses it)`);
    return null;
  }
  return v;
}

/** A list of distinct non-empty strings (SRLGs, colours); reports repeats. */
function tags(f: Field | undefined, what: string): string[] {
  if (!f?.present) return [];
  const out: string[] = [];
  for (const item of f.list() ?? []) {
    const v = item.string();
    if (v === null) continue;
    if (out.includes(v)) item.error(`${what} ${quote(v)} is listed twice`);
    else out.push(v);
  }
  return out;
}

export function parseTopology(text: string, file: string): ParseResult<Topology> {
  const y = new YamlReader(file, text);
  const top = y.root.present ? y.root.map(["routers", "hosts", "links", "services"]) : null;
  if (!y.root.present) y.root.error("the file is empty: expected keys routers, hosts, links");

  const names = new Map<string, { field: Field; kind: "router" | "host" }>();
  const claim = (n: string, f: Field, kind: "router" | "host") => {
    const first = names.get(n);
    if (first) f.error(`duplicate node name ${quote(n)} (first defined at line ${y.position(first.field.offset).line})`);
    else names.set(n, { field: f, kind });
  };

  // Each entry kept, with its fields, to place the SID problems found once all are read.
  const entries: Record<SidProblem["list"], { item: Field; fields: Map<string, Field> }[]> = { routers: [], hosts: [], links: [] };
  const routers: RouterSpec[] = [];
  const locators: { router: string; prefix: Prefix; field: Field }[] = [];
  for (const item of required(y.root, top, "routers")?.list() ?? []) {
    const f = item.map(["name", "locator", "region", "msd", "sid", "latitude", "longitude"]);
    if (!f) { if (!item.present) item.error("empty router entry"); continue; }
    const n = name(required(item, f, "name"));
    const locField = required(item, f, "locator");
    const locText = locField?.string() ?? null;
    let loc: Prefix | null = null;
    if (locText !== null) {
      loc = parsePrefix(locText);
      if (!loc) locField!.error(`${quote(locText)} is not an IPv6 prefix (addr/len)`);
      else if (loc.len < 16 || loc.len > 96) { locField!.error(`locator length /${loc.len} must be between /16 and /96 (SIDs use the low 32 bits)`); loc = null; }
    }
    if (n !== null) claim(n, f.get("name")!, "router");
    if (loc && locField) {
      const clash = locators.find((o) => prefixContains(o.prefix, loc!.bytes) || prefixContains(loc!, o.prefix.bytes));
      // Not kept: its SIDs would be another router's too.
      if (clash) { locField.error(`locator ${formatPrefix(loc)} overlaps ${clash.router}'s locator ${formatPrefix(clash.prefix)}`); loc = null; }
      else if (n !== null) locators.push({ router: n, prefix: loc, field: locField });
    }
    const regionField = f.get("region");
    const region = regionField?.present ? regionField.string() : undefined;
    const msdField = f.get("msd");
    const msd = msdField?.present ? msdField.integer(1, MAX_MSD) : undefined;
    const sid = sidText(f.get("sid"));
    const latitude = degrees(f.get("latitude"), 90);
    const longitude = degrees(f.get("longitude"), 180);
    if ((latitude === undefined) !== (longitude === undefined)) item.error(`${latitude === undefined ? "longitude" : "latitude"} without ${latitude === undefined ? "latitude" : "longitude"}: give both or neither`);
    if (n !== null && loc && region !== null && msd !== null && sid !== null && latitude !== null && longitude !== null) {
      routers.push({
        name: n,
        locator: formatPrefix(loc),
        ...(region !== undefined ? { region } : {}),
        ...(msd !== undefined ? { msd } : {}),
        ...(sid !== undefined ? { sid } : {}),
        ...(latitude !== undefined && longitude !== undefined ? { latitude, longitude } : {}),
      });
      entries.routers.push({ item, fields: f });
    }
  }
  const routerNames = new Set(routers.map((r) => r.name));
  const knownRouter = (f: Field | null): string | null => {
    const v = f?.string() ?? null;
    if (v === null) return null;
    if (!routerNames.has(v)) {
      const kind = names.get(v)?.kind;
      // A router whose own entry had errors was already reported there.
      if (kind !== "router") f!.error(kind === "host" ? `${quote(v)} is a host, not a router` : `unknown router ${quote(v)}; ${unknownNameHint(v, [...routerNames], { what: "routers" })}`);
      return null;
    }
    return v;
  };

  const hosts: HostSpec[] = [];
  const addresses = new Map<string, string>();
  const subnets4: Subnet4[] = [];
  for (const item of required(y.root, top, "hosts")?.list() ?? []) {
    const f = item.map(["name", "router", "address", "address4", "dx4Sid"]);
    if (!f) { if (!item.present) item.error("empty host entry"); continue; }
    const n = name(required(item, f, "name"));
    if (n !== null) claim(n, f.get("name")!, "host");
    const router = knownRouter(required(item, f, "router"));
    const addrField = required(item, f, "address");
    const addrText = addrField?.string() ?? null;
    let address: string | null = null;
    let prefixLen = 0;
    if (addrText !== null) {
      const m = /^([^/]+)\/(\d+)$/.exec(addrText);
      const p = m ? parsePrefix(addrText) : null;
      const bytes = p ? (parsePrefix(`${m![1]}/128`)?.bytes ?? null) : null;
      if (!m || !p || !bytes) addrField!.error(`${quote(addrText)} is not an IPv6 address with prefix length, e.g. 2001:db8:1::10/64`);
      else if (p.len > 126 || p.len < 48) addrField!.error(`prefix length /${p.len} must be between /48 and /126`);
      else {
        address = formatAddress(bytes);
        prefixLen = p.len;
        const inLocator = locators.find((l) => prefixContains(l.prefix, bytes));
        if (inLocator) { addrField!.error(`address ${address} is inside ${inLocator.router}'s locator`); address = null; }
        else if (addresses.has(address)) { addrField!.error(`address ${address} is already used by host ${addresses.get(address)}`); address = null; }
        else if (n !== null) addresses.set(address, n);
      }
    }
    const v4 = hostAddress4(f.get("address4"), n, router, subnets4);
    const dx4Sid = sidText(f.get("dx4Sid"));
    if (n !== null && router !== null && address !== null && v4 !== null && dx4Sid !== null) {
      hosts.push({ name: n, router, address, prefixLen, ...v4, ...(dx4Sid !== undefined ? { dx4Sid } : {}) });
      entries.hosts.push({ item, fields: f });
    }
  }

  const read: { spec: LinkSpec; line: LinkLine; fields: Map<string, Field> }[] = [];
  for (const item of required(y.root, top, "links")?.list() ?? []) {
    const f = item.map(["a", "b", "id", "igp", "te", "delay", "jitter", "loss", "bandwidth", "utilization", "srlgs", "colors", "mtu", "sidA", "sidB"]);
    if (!f) { if (!item.present) item.error("empty link entry"); continue; }
    const a = knownRouter(required(item, f, "a"));
    const b = knownRouter(required(item, f, "b"));
    const id = linkIdField(f.get("id"));
    const metrics = linkMetrics(f, a, b);
    const srlgs = tags(f.get("srlgs"), "srlg");
    const colors = tags(f.get("colors"), "colour");
    const mtu = f.get("mtu")?.present ? f.get("mtu")!.integer(MIN_LINK_MTU, MAX_LINK_MTU) : undefined;
    const sidA = sidText(f.get("sidA"));
    const sidB = sidText(f.get("sidB"));
    if (a === null || b === null) continue;
    if (a === b) { f.get("b")!.error(`a link cannot connect ${a} to itself`); continue; }
    if (id !== null && metrics !== null && mtu !== null && sidA !== null && sidB !== null) {
      const spec = withDirections({
        id: id ?? `${a}-${b}`, a, b, srlgs, colors,
        ...(mtu !== undefined ? { mtu } : {}), ...(sidA !== undefined ? { sidA } : {}), ...(sidB !== undefined ? { sidB } : {}),
      }, metrics[0], metrics[1]);
      const idField = f.get("id");
      read.push({ spec, fields: f, line: { a, b, ...(id !== undefined ? { id } : {}), line: y.position(item.offset).line, item, ...(idField ? { idField } : {}) } });
    }
  }
  const dropped = parallelLinkProblems(read.map((r) => r.line));
  const links: LinkSpec[] = [];
  read.forEach((r, i) => {
    if (dropped.has(i)) return;
    links.push(r.spec);
    entries.links.push({ item: r.line.item, fields: r.fields });
  });

  const { topology, problems } = assignSids({ routers, hosts, links, services: [] });
  // Written SIDs are reported at their field; a derived one where it would be written, else at its entry.
  for (const p of problems) {
    const { item, fields } = entries[p.list][p.index]!;
    const at = fields.get(p.field);
    if (at?.present) at.error(p.reason);
    else item.unwrittenError(p.field, p.reason);
  }

  const services = parseServices(top?.get("services"), { topology, names, locators, knownRouter, lineOf: (f) => y.position(f.offset).line });

  if (y.errors.length > 0) return { ok: false, errors: y.errors };
  return { ok: true, value: { ...topology, services } };
}

/** An IPv4 subnet a host has claimed, for the checks of the hosts after it. */
interface Subnet4 {
  host: string | null;
  router: string | null;
  address: number;
  subnet: Prefix4;
  gateway: number;
}

/**
 * A host's `address4` ("10.0.1.10/24"): `{}` when absent, null after reporting a problem. Hosts behind
 * different routers need disjoint subnets (the IGP routes a subnet to one router); behind the same
 * router no host may hold the address the router uses as another's gateway.
 */
function hostAddress4(f: Field | undefined, host: string | null, router: string | null, claimed: Subnet4[]): Pick<Host, "address4" | "prefixLen4"> | null {
  if (!f?.present) return {};
  const text = f.string();
  if (text === null) return null;
  const m = /^([^/]+)\/(\d+)$/.exec(text);
  const address = m ? parseAddress4(m[1]!) : null;
  const subnet = address !== null ? parsePrefix4(text) : null;
  if (address === null || !subnet) {
    f.error(`${quote(text)} is not an IPv4 address with prefix length, e.g. 10.0.1.10/24`);
    return null;
  }
  const shown = formatAddress4(address);
  const subnetText = formatPrefix4(subnet);
  if (subnet.len < MIN_PREFIX4 || subnet.len > MAX_PREFIX4) {
    f.error(`prefix length /${subnet.len} must be between /${MIN_PREFIX4} and /${MAX_PREFIX4}`);
    return null;
  }
  if (address === subnet.network || address === lastAddress4(subnet)) {
    f.error(`${shown} is the ${address === subnet.network ? "network" : "broadcast"} address of ${subnetText}; use an address inside the subnet`);
    return null;
  }
  if (prefixes4Overlap(subnet, parsePrefix4(LINK4_RANGE)!)) {
    f.error(`subnet ${subnetText} overlaps ${LINK4_RANGE}, which the lab uses for router links`);
    return null;
  }
  const gateway = parseAddress4(gatewayAddress4({ address4: shown, prefixLen4: subnet.len }))!;
  for (const o of claimed) {
    const owner = o.host ?? "another host";
    if (o.address === address) {
      f.error(`address ${shown} is already used by host ${owner}`);
      return null;
    }
    if (router === null || o.router === null || !prefixes4Overlap(subnet, o.subnet)) continue;
    if (o.router !== router) {
      f.error(`subnet ${subnetText} overlaps ${owner}'s subnet ${formatPrefix4(o.subnet)} behind ${o.router}; hosts behind different routers need separate subnets`);
      return null;
    }
    if (o.gateway === address) {
      f.error(`address ${shown} is the gateway address ${router} uses on ${owner}'s subnet`);
      return null;
    }
    if (o.address === gateway) {
      f.error(`${router} would use ${formatAddress4(gateway)} as this host's gateway, but it is ${owner}'s address`);
      return null;
    }
  }
  claimed.push({ host, router, address, subnet, gateway });
  return { address4: shown, prefixLen4: subnet.len };
}

/** A router's latitude (limit 90) or longitude (limit 180), in degrees; undefined when absent, null when wrong (reported). */
function degrees(f: Field | undefined, limit: number): number | undefined | null {
  if (!f?.present) return undefined;
  const v = f.number();
  if (v === null) return null;
  if (v < -limit || v > limit) { f.error(`expected degrees from ${-limit} to ${limit}, got ${v}`); return null; }
  return v;
}

/** An optional SID field's text (checked by assignSids): undefined when absent, null after reporting a problem. */
function sidText(f: Field | undefined): string | undefined | null {
  if (!f?.present) return undefined;
  return f.string();
}

interface ServiceContext {
  /** Routers, hosts and links, with their SIDs. */
  topology: Topology;
  names: Map<string, { field: Field; kind: "router" | "host" }>;
  locators: { router: string; prefix: Prefix }[];
  knownRouter: (f: Field | null) => string | null;
  lineOf: (f: Field) => number;
}

/** `services:`: service functions, each with instances on routers reached at SIDs of those routers' locators. */
function parseServices(list: Field | undefined, ctx: ServiceContext): ServiceFunction[] {
  if (!list?.present) return [];
  const services: ServiceFunction[] = [];
  const serviceLines = new Map<string, number>();
  const sids = new Map<string, string>(); // SID → "service on node"
  // The SIDs the routers already own: a service SID equal to one would be taken for the router's.
  const routerSids = new Map<string, string>();
  for (const r of ctx.topology.routers) routerSids.set(r.sid, `${r.name}'s End SID`);
  for (const l of ctx.topology.links) {
    routerSids.set(l.sidA, `${l.a}'s End.X SID for link ${l.id}`);
    routerSids.set(l.sidB, `${l.b}'s End.X SID for link ${l.id}`);
  }
  for (const h of ctx.topology.hosts) if (h.dx4Sid !== undefined) routerSids.set(h.dx4Sid, `${h.router}'s End.DX4 SID for host ${h.name}`);

  for (const item of list.list() ?? []) {
    const f = item.map(["name", "instances"]);
    if (!f) { if (!item.present) item.error("empty service entry"); continue; }
    const nameField = required(item, f, "name");
    const written = nameField?.string() ?? null;
    let name = written;
    if (name !== null) {
      const node = ctx.names.get(name);
      if (!SERVICE_NAME.test(name)) { nameField!.error(`${quote(name)} is not a valid service name (letters, digits, _ . -; up to 63)`); name = null; }
      else if (node) { nameField!.error(`service name ${quote(name)} is already a ${node.kind} name; a via entry names a router or a service, so they must differ`); name = null; }
      else if (serviceLines.has(name)) { nameField!.error(`duplicate service name ${quote(name)} (first at line ${serviceLines.get(name)})`); name = null; }
      else serviceLines.set(name, ctx.lineOf(nameField!));
    }

    const instancesField = required(item, f, "instances");
    const instanceItems = instancesField?.list() ?? null;
    if (instancesField && instanceItems?.length === 0) instancesField.error("must list at least one instance");
    const instances: ServiceInstance[] = [];
    let bad = false;
    for (const inst of instanceItems ?? []) {
      const g = inst.map(["node", "sid", "healthy"]);
      if (!g) { if (!inst.present) inst.error("empty instance entry"); bad = true; continue; }
      const node = ctx.knownRouter(required(inst, g, "node"));
      const sidField = required(inst, g, "sid");
      const sidText = sidField?.string() ?? null;
      let sid: string | null = null;
      if (sidText !== null) {
        const bytes = parseAddress(sidText);
        if (!bytes) sidField!.error(`${quote(sidText)} is not an IPv6 address (a SID has no prefix length)`);
        else {
          const text = formatAddress(bytes);
          const loc = node !== null ? ctx.locators.find((l) => l.router === node) : undefined;
          if (node !== null && loc && !prefixContains(loc.prefix, bytes)) {
            sidField!.error(`SID ${text} is outside ${node}'s locator ${formatPrefix(loc.prefix)}, so it would not be routed to ${node}`);
          } else if (loc && text === formatAddress(loc.prefix.bytes)) {
            sidField!.error(`SID ${text} is ${node}'s locator address itself; use an address inside it, e.g. ${addressInPrefix(loc.prefix, 0x100)}`);
          } else if (routerSids.has(text)) {
            sidField!.error(`SID ${text} is ${routerSids.get(text)}`);
          } else if (sids.has(text)) {
            sidField!.error(`SID ${text} is already used by ${sids.get(text)}`);
          } else {
            sid = text;
            sids.set(text, `service ${written ?? "?"} on ${node ?? "?"}`);
          }
        }
      }
      const healthyField = g.get("healthy");
      const healthy = healthyField?.present ? healthyField.boolean() : true;
      if (node === null || sid === null || healthy === null) { bad = true; continue; }
      instances.push({ node, sid, healthy });
    }
    if (name !== null && !bad && instances.length > 0) services.push({ name, instances });
  }
  return services;
}
