// Destination and source prefixes as the datapath keys them: IPv6 as is, IPv4 IPv4-mapped
// (::ffff:a.b.c.d, prefix length + 96), so one LPM trie holds both families. Pure.
import { parseIpPrefix, formatIpPrefix } from "../core/ip.js";
import type { Prefix } from "../core/ipv6.js";

export interface FamilyPrefix {
  family: 4 | 6;
  /** IPv6, or IPv4-mapped. */
  prefix: Prefix;
}

/** ::ffff:a.b.c.d */
export function mapped4(addr4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(addr4.subarray(0, 4), 12);
  return out;
}

/** "addr/len" or a bare address (/128 or /32), either family; null when malformed. */
export function parseFamilyPrefix(text: string): FamilyPrefix | null {
  const p = parseIpPrefix(text);
  if (!p) return null;
  if (p.family === 6) return { family: 6, prefix: { bytes: p.bytes, len: p.len } };
  return { family: 4, prefix: { bytes: mapped4(p.bytes), len: 96 + p.len } };
}

/** The text form of a FamilyPrefix ("10.0.0.0/8" for IPv4-mapped ones). */
export function formatFamilyPrefix(p: FamilyPrefix): string {
  if (p.family === 6) return formatIpPrefix({ family: 6, bytes: p.prefix.bytes, len: p.prefix.len });
  return formatIpPrefix({ family: 4, bytes: p.prefix.bytes.subarray(12), len: p.prefix.len - 96 });
}
