// IP prefixes of either family: the one place that decides whether text is IPv6 or IPv4. Pure.
import { formatPrefix, parsePrefix } from "./ipv6.js";
import { formatAddress4, parsePrefix4 } from "./ipv4.js";

export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [6, 4];

export interface IpPrefix {
  family: Family;
  /** The network address, host bits cleared: 16 bytes for IPv6, 4 for IPv4. */
  bytes: Uint8Array;
  len: number;
}

/** "IPv6" or "IPv4", for messages. */
export function familyName(f: Family): string {
  return `IPv${f}`;
}

/** The full-length prefix of one address: 128 for IPv6, 32 for IPv4. */
export function hostLength(f: Family): number {
  return f === 6 ? 128 : 32;
}

/** Parses "addr/len" of either family, host bits cleared; a bare address is its /128 or /32. Null when neither. */
export function parseIpPrefix(text: string): IpPrefix | null {
  const family: Family = text.includes(":") ? 6 : 4;
  const full = text.includes("/") ? text : `${text}/${hostLength(family)}`;
  if (family === 6) {
    const p = parsePrefix(full);
    return p ? { family, bytes: p.bytes, len: p.len } : null;
  }
  const p = parsePrefix4(full);
  return p ? { family, bytes: Uint8Array.of(p.network >>> 24, (p.network >>> 16) & 0xff, (p.network >>> 8) & 0xff, p.network & 0xff), len: p.len } : null;
}

/** RFC 5952 for IPv6, dotted quad for IPv4; always with the length. */
export function formatIpPrefix(p: IpPrefix): string {
  if (p.family === 6) return formatPrefix(p);
  return `${formatAddress4(((p.bytes[0]! << 24) | (p.bytes[1]! << 16) | (p.bytes[2]! << 8) | p.bytes[3]!) >>> 0)}/${p.len}`;
}

/** Whether `inner` lies inside `outer` (same family, at least as long, same network bits). */
export function ipPrefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  for (let bit = 0; bit < outer.len; bit += 8) {
    const i = bit / 8;
    const bits = Math.min(8, outer.len - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((outer.bytes[i]! & mask) !== (inner.bytes[i]! & mask)) return false;
  }
  return true;
}
