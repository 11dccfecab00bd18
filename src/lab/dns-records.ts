// DNS records of the lab and the hosts file that holds them: validation, parsing, formatting. Pure.
import { formatAddress, parseAddress } from "../core/ipv6.js";
import { formatAddress4, parseAddress4 } from "../core/ipv4.js";

export interface DnsRecord {
  /** Lowercase, without a trailing dot. */
  name: string;
  /** IPv6 (AAAA) and IPv4 (A) addresses, normalised, in the order given. */
  addresses: string[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME_LENGTH = 253;

/** The name in its stored form (lowercase, no trailing dot); throws when it is not a host name. */
export function normaliseDnsName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, "");
  const why =
    n.length === 0
      ? "it is empty"
      : n.length > MAX_NAME_LENGTH
        ? `it is longer than ${MAX_NAME_LENGTH} characters`
        : n.split(".").every((l) => LABEL.test(l))
          ? null
          : "each dot-separated label must be 1-63 letters, digits or '-', not starting or ending with '-'";
  if (why) throw new Error(`"${name}" is not a valid DNS name: ${why}`);
  return n;
}

/** The address in normalised text form; throws when it is neither IPv6 nor IPv4. */
export function normaliseDnsAddress(address: string): string {
  const v6 = parseAddress(address);
  if (v6) return formatAddress(v6);
  const v4 = parseAddress4(address);
  if (v4 !== null) return formatAddress4(v4);
  throw new Error(`"${address}" is not an IPv6 or IPv4 address`);
}

/** A validated record: at least one address, no address twice. */
export function dnsRecord(name: string, addresses: string[]): DnsRecord {
  const n = normaliseDnsName(name);
  if (addresses.length === 0) throw new Error(`no address for ${n}: give at least one IPv6 or IPv4 address`);
  const out: string[] = [];
  for (const a of addresses.map(normaliseDnsAddress)) {
    if (out.includes(a)) throw new Error(`address ${a} is listed twice for ${n}`);
    out.push(a);
  }
  return { name: n, addresses: out };
}

const HEADER = "# The lab's DNS records, served by its dnsmasq. Written by cairn; change them with `cairn lab dns`.";

/** hosts(5) text: one "address name" line per address, records sorted by name. */
export function formatHostsFile(records: DnsRecord[]): string {
  const lines = [...records].sort((a, b) => a.name.localeCompare(b.name)).flatMap((r) => r.addresses.map((a) => `${a} ${r.name}`));
  return [HEADER, ...lines, ""].join("\n");
}

/** Records from hosts(5) text (comments and blank lines skipped), grouped by name, sorted by name. */
export function parseHostsFile(text: string): DnsRecord[] {
  const byName = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [address, ...names] = line.split(/\s+/);
    for (const name of names) {
      const list = byName.get(name) ?? [];
      if (!list.includes(address!)) list.push(address!);
      byName.set(name, list);
    }
  }
  return [...byName].map(([name, addresses]) => ({ name, addresses })).sort((a, b) => a.name.localeCompare(b.name));
}
