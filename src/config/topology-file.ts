// Topology YAML → Topology, with every error located (file, line, column, field, reason).
import type { Host, Link, Router, Topology } from "../core/model.js";
import { formatAddress, formatPrefix, parsePrefix, prefixContains } from "../core/ipv6.js";
import type { Prefix } from "../core/ipv6.js";
import { parseDurationUs, parseRateBps } from "../core/units.js";
import type { ParseResult } from "./errors.js";
import { Field, YamlReader, required } from "./yaml-reader.js";

export const NODE_NAME = /^[a-z][a-z0-9_]{0,9}$/;
export const NODE_NAME_RULE = "a lowercase letter, then up to 9 lowercase letters, digits or _";
const RESERVED_NAMES = ["mgmt"];
export const LINK_DEFAULTS = { igp: 10, delayUs: 1000, bandwidthBps: 1e9 };
const MAX_IGP = 16_777_215; // IS-IS wide metric

function name(f: Field | null): string | null {
  const v = f?.string() ?? null;
  if (v !== null && !NODE_NAME.test(v)) {
    f!.error(`"${v}" is not a valid node name: ${NODE_NAME_RULE}`);
    return null;
  }
  if (v !== null && RESERVED_NAMES.includes(v)) {
    f!.error(`"${v}" is reserved (the lab's management network uses it)`);
    return null;
  }
  return v;
}

function unit(f: Field | undefined, parse: typeof parseDurationUs, fallback: number): number | null {
  if (!f?.present) return fallback;
  const text = f.string();
  if (text === null) return null;
  const r = parse(text);
  if (!r.ok) {
    f.error(r.reason);
    return null;
  }
  if (r.value <= 0) {
    f.error(`must be greater than zero, got "${text}"`);
    return null;
  }
  return r.value;
}

export function parseTopology(text: string, file: string): ParseResult<Topology> {
  const y = new YamlReader(file, text);
  const top = y.root.present ? y.root.map(["routers", "hosts", "links"]) : null;
  if (!y.root.present) y.root.error("the file is empty: expected keys routers, hosts, links");

  const names = new Map<string, { field: Field; kind: "router" | "host" }>();
  const claim = (n: string, f: Field, kind: "router" | "host") => {
    const first = names.get(n);
    if (first) f.error(`duplicate node name "${n}" (first defined at line ${y.position(first.field.offset).line})`);
    else names.set(n, { field: f, kind });
  };

  const routers: Router[] = [];
  const locators: { router: string; prefix: Prefix; field: Field }[] = [];
  for (const item of required(y.root, top, "routers")?.list() ?? []) {
    const f = item.map(["name", "locator"]);
    if (!f) { if (!item.present) item.error("empty router entry"); continue; }
    const n = name(required(item, f, "name"));
    const locField = required(item, f, "locator");
    const locText = locField?.string() ?? null;
    let loc: Prefix | null = null;
    if (locText !== null) {
      loc = parsePrefix(locText);
      if (!loc) locField!.error(`"${locText}" is not an IPv6 prefix (addr/len)`);
      else if (loc.len < 16 || loc.len > 96) { locField!.error(`locator length /${loc.len} must be between /16 and /96 (SIDs use the low 32 bits)`); loc = null; }
    }
    if (n !== null) claim(n, f.get("name")!, "router");
    if (loc && locField) {
      const clash = locators.find((o) => prefixContains(o.prefix, loc!.bytes) || prefixContains(loc!, o.prefix.bytes));
      if (clash) locField.error(`locator ${formatPrefix(loc)} overlaps ${clash.router}'s locator ${formatPrefix(clash.prefix)}`);
      else if (n !== null) locators.push({ router: n, prefix: loc, field: locField });
    }
    if (n !== null && loc) routers.push({ name: n, locator: formatPrefix(loc) });
  }
  const routerNames = new Set(routers.map((r) => r.name));
  const knownRouter = (f: Field | null): string | null => {
    const v = f?.string() ?? null;
    if (v === null) return null;
    if (!routerNames.has(v)) {
      const kind = names.get(v)?.kind;
      // A router whose own entry had errors was already reported there.
      if (kind !== "router") f!.error(kind === "host" ? `"${v}" is a host, not a router` : `unknown router "${v}"`);
      return null;
    }
    return v;
  };

  const hosts: Host[] = [];
  const addresses = new Map<string, string>();
  for (const item of required(y.root, top, "hosts")?.list() ?? []) {
    const f = item.map(["name", "router", "address"]);
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
      if (!m || !p || !bytes) addrField!.error(`"${addrText}" is not an IPv6 address with prefix length, e.g. 2001:db8:1::10/64`);
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
    if (n !== null && router !== null && address !== null) hosts.push({ name: n, router, address, prefixLen });
  }

  const links: Link[] = [];
  const pairs = new Map<string, number>();
  for (const item of required(y.root, top, "links")?.list() ?? []) {
    const f = item.map(["a", "b", "igp", "delay", "bandwidth"]);
    if (!f) { if (!item.present) item.error("empty link entry"); continue; }
    const a = knownRouter(required(item, f, "a"));
    const b = knownRouter(required(item, f, "b"));
    const igp = f.get("igp")?.present ? f.get("igp")!.integer(1, MAX_IGP) : LINK_DEFAULTS.igp;
    const delayUs = unit(f.get("delay"), parseDurationUs, LINK_DEFAULTS.delayUs);
    const bandwidthBps = unit(f.get("bandwidth"), parseRateBps, LINK_DEFAULTS.bandwidthBps);
    if (a === null || b === null) continue;
    if (a === b) { f.get("b")!.error(`a link cannot connect ${a} to itself`); continue; }
    const pair = [a, b].sort().join("|");
    if (pairs.has(pair)) {
      item.error(`duplicate link between ${a} and ${b} (first at line ${pairs.get(pair)})`);
      continue;
    }
    pairs.set(pair, y.position(item.offset).line);
    if (igp !== null && delayUs !== null && bandwidthBps !== null) links.push({ id: `${a}-${b}`, a, b, igp, delayUs, bandwidthBps });
  }

  if (y.errors.length > 0) return { ok: false, errors: y.errors };
  return { ok: true, value: { routers, hosts, links } };
}
