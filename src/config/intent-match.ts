// An intent's `match:` → IntentMatch, validated against the topology: who sends (hosts, app or cgroup,
// user, source), to where (a host, an IPv6 or IPv4 prefix, a DNS name), with which protocol and ports,
// and whether those agree on one address family. Every error located.
import { quote } from "../core/quote.js";
import type { IntentMatch, PortRange, Protocol, Topology, TopologyNames } from "../core/model.js";
import { APP_NAME, PROTOCOL_NUMBERS } from "../core/model.js";
import type { Family, IpPrefix } from "../core/ip.js";
import { familyName, formatIpPrefix, parseIpPrefix } from "../core/ip.js";
import { ipv4Owner, isDualStack } from "../core/destinations.js";
import type { SyntaxResult } from "../core/match-syntax.js";
import { parseCgroupPath, parseDnsName, parseUser } from "../core/match-syntax.js";
import { Field, required, stringList } from "./yaml-reader.js";
import { LIST_TOPOLOGY, unknownNameHint } from "../core/name-hints.js";

const hostHint = (name: string, names: TopologyNames) => unknownNameHint(name, [...names.hosts], { what: "hosts", listedBy: LIST_TOPOLOGY });

export const MATCH_KEYS = ["hosts", "app", "cgroup", "user", "source", "to", "protocol", "ports"] as const;

/** A value read from a field, with the field for later errors. */
interface Located<T> {
  value: T;
  field: Field;
}

interface Destination {
  to: IntentMatch["to"];
  /** For prefix destinations. */
  prefix?: IpPrefix;
}

/** `match:` below `item`; null when it is missing or its destination is unusable (errors reported). */
export function parseMatch(item: Field, fields: Map<string, Field>, topology: Topology, names: TopologyNames): IntentMatch | null {
  const matchField = required(item, fields, "match");
  if (!matchField) return null;
  const m = matchField.map(MATCH_KEYS);

  const hostsField = required(matchField, m, "hosts");
  const srcHosts = stringList(hostsField ?? undefined);
  if (hostsField && hostsField.list()?.length === 0) hostsField.error("must name at least one host");
  for (const h of srcHosts) {
    if (!names.hosts.has(h.value)) h.field.error(names.routers.has(h.value) ? `${quote(h.value)} is a router; intents apply on hosts` : `unknown host ${quote(h.value)}; ${hostHint(h.value, names)}`);
  }

  const app = optional(m?.get("app"), (text) =>
    APP_NAME.test(text) ? { ok: true, value: text } : { ok: false, reason: `${quote(text)} is not a valid app name (letters, digits, _ . -)` },
  );
  const cgroup = optional(m?.get("cgroup"), parseCgroupPath);
  if (app && cgroup) {
    cgroup.field.error(`app ${quote(app.value)} already names a cgroup (the lab app's); give app or cgroup, not both`);
  }
  const user = optional(m?.get("user"), parseUser);
  const source = optionalPrefix(m?.get("source"));

  const toField = required(matchField, m, "to");
  const dest = toField ? parseDestination(toField, srcHosts, topology, names) : null;

  const protoField = m?.get("protocol");
  const protocolText = protoField?.present ? protoField.string() : null;
  let protocol: Located<Protocol> | null = null;
  if (protocolText !== null && !(protocolText in PROTOCOL_NUMBERS)) {
    protoField!.error(`unknown protocol ${quote(protocolText)}; use one of ${Object.keys(PROTOCOL_NUMBERS).join(", ")}`);
  } else if (protocolText !== null) protocol = { value: protocolText as Protocol, field: protoField! };
  const ports = parsePorts(m?.get("ports"));
  if (ports.length > 0 && (protocol?.value === "icmp" || protocol?.value === "icmpv6")) m!.get("ports")!.error("ports apply only to tcp and udp");

  if (dest && toField) checkFamilies({ source, protocol, dest, toField, srcHosts, topology });
  if (!dest) return null;
  return {
    hosts: srcHosts.map((h) => h.value),
    ...(app ? { app: app.value } : {}),
    ...(cgroup ? { cgroup: cgroup.value } : {}),
    ...(user ? { user: user.value } : {}),
    ...(source ? { source: formatIpPrefix(source.value) } : {}),
    to: dest.to,
    ...(protocol ? { protocol: protocol.value } : {}),
    ports,
  };
}

/** An optional string checked by `parse`: null when absent or invalid (then reported). */
function optional(f: Field | undefined, parse: (text: string) => SyntaxResult): Located<string> | null {
  if (!f?.present) return null;
  const text = f.string();
  if (text === null) return null;
  const r = parse(text);
  if (!r.ok) {
    f.error(r.reason);
    return null;
  }
  return { value: r.value, field: f };
}

function optionalPrefix(f: Field | undefined): Located<IpPrefix> | null {
  if (!f?.present) return null;
  const text = f.string();
  if (text === null) return null;
  const p = parseIpPrefix(text);
  if (!p) {
    f.error(`${quote(text)} is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:1::/64, 10.1.0.0/16, 10.1.0.7)`);
    return null;
  }
  return { value: p, field: f };
}

/** `to:`, tried in order: a host of the topology, an IPv6 prefix, an IPv4 prefix, a DNS name. */
function parseDestination(f: Field, srcHosts: Located<string>[], topology: Topology, names: TopologyNames): Destination | null {
  const text = f.string();
  if (text === null) return null;
  const fail = (reason: string): null => {
    f.error(reason);
    return null;
  };
  if (names.hosts.has(text)) {
    if (srcHosts.some((h) => h.value === text)) return fail(`destination ${quote(text)} is also one of the hosts this intent applies on`);
    return { to: { host: text } };
  }
  if (text.includes(":")) {
    const p = parseIpPrefix(text);
    return p ? { to: { prefix: formatIpPrefix(p) }, prefix: p } : fail(`${quote(text)} is neither a host nor an IPv6 prefix`);
  }
  if (/^[\d.]+(?:\/.*)?$/.test(text)) {
    const p = parseIpPrefix(text);
    if (!p) return fail(`${quote(text)} is not an IPv4 address or prefix (e.g. 10.0.4.0/24 or 10.0.4.10)`);
    const owner = ipv4Owner(topology, p);
    return owner.ok ? { to: { prefix: formatIpPrefix(p) }, prefix: p } : fail(owner.reason);
  }
  if (text.includes(".")) {
    const name = parseDnsName(text);
    return name.ok ? { to: { dns: name.value } } : fail(name.reason);
  }
  return fail(
    names.routers.has(text)
      ? `${quote(text)} is a router; use a host name, an IPv6 or IPv4 prefix, or a DNS name`
      : `unknown host ${quote(text)} (and not an IP prefix, nor a DNS name, which has a dot); ${hostHint(text, names)}`,
  );
}

const ICMP_FAMILY: Partial<Record<Protocol, Family>> = { icmp: 4, icmpv6: 6 };
const ICMP_OF: Record<Family, Protocol> = { 4: "icmp", 6: "icmpv6" };

/**
 * One packet has one family: the source prefix, an ICMP protocol and a prefix destination must agree.
 * A host destination covers both families, but a match restricted to IPv4 needs IPv4 at both ends.
 */
function checkFamilies(c: {
  source: Located<IpPrefix> | null;
  protocol: Located<Protocol> | null;
  dest: Destination;
  toField: Field;
  srcHosts: Located<string>[];
  topology: Topology;
}): void {
  const { source, protocol, dest } = c;
  const protoFamily = protocol ? ICMP_FAMILY[protocol.value] : undefined;
  const sourceText = source ? formatIpPrefix(source.value) : "";
  if (source && protoFamily !== undefined && source.value.family !== protoFamily) {
    protocol!.field.error(`${protocol!.value} is ${familyName(protoFamily)} only, but source ${sourceText} is ${familyName(source.value.family)}`);
    return;
  }
  if (dest.prefix) {
    const d = dest.prefix;
    const destText = `the destination ${formatIpPrefix(d)} is ${familyName(d.family)}`;
    if (source && source.value.family !== d.family) {
      source.field.error(`source ${sourceText} is ${familyName(source.value.family)}, but ${destText}; a packet has one family`);
    }
    if (protocol && protoFamily !== undefined && protoFamily !== d.family) {
      protocol.field.error(`${protocol.value} is ${familyName(protoFamily)} only, but ${destText}: use ${ICMP_OF[d.family]}`);
    }
    return;
  }
  if (!("host" in dest.to)) return;
  const only = source?.value.family ?? protoFamily;
  if (only !== 4) return;
  const why = source ? `source ${sourceText} is IPv4` : `protocol ${protocol!.value} is IPv4 only`;
  const destName = dest.to.host;
  const host = (name: string) => c.topology.hosts.find((h) => h.name === name);
  if (!isDualStack(host(destName)!)) c.toField.error(`${destName} has no IPv4 address, and this intent matches only IPv4 (${why})`);
  for (const s of c.srcHosts) {
    const h = host(s.value);
    if (h && !isDualStack(h)) s.field.error(`${quote(s.value)} has no IPv4 address, so no IPv4 path to ${destName}, and this intent matches only IPv4 (${why})`);
  }
}

function parsePorts(f: Field | undefined): PortRange[] {
  if (!f?.present) return [];
  const out: PortRange[] = [];
  for (const item of f.list() ?? []) {
    const text = item.string();
    if (text === null) continue;
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from > 65535 || to > 65535) item.error(`${quote(text)} is not a port or port range (e.g. 443 or "5000-5100", ports 0-65535)`);
    else if (from > to) item.error(`port range ${quote(text)} runs backwards`);
    else out.push({ from, to });
  }
  return out;
}
