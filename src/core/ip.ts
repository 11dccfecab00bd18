// IP prefixes of either family: the one place that decides whether text is IPv6 or IPv4. Pure.
import { formatPrefix, parsePrefix } from "./ipv6.js";
import { formatPrefix4, parsePrefix4 } from "./ipv4.js";

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
  const p = family === 6 ? parsePrefix(full) : parsePrefix4(full);
  return p ? { family, bytes: p.bytes, len: p.len } : null;
}

/** RFC 5952 for IPv6, dotted quad for IPv4; always with the length. */
export function formatIpPrefix(p: IpPrefix): string {
  return p.family === 6 ? formatPrefix(p) : formatPrefix4(p);
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
