// Destination and source prefixes as the datapath keys them: IPv6 as is, IPv4 IPv4-mapped
// (::ffff:a.b.c.d, prefix length + 96), so one LPM trie holds both families. Pure.
import { formatPrefix, maskBytes, parseAddress, parsePrefix, type Prefix } from "../core/ipv6.js";

export interface FamilyPrefix {
  family: 4 | 6;
  /** IPv6, or IPv4-mapped. */
  prefix: Prefix;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 dotted quad → 4 bytes, or null. */
export function parseAddress4(text: string): Uint8Array | null {
  const m = V4.exec(text);
  if (!m) return null;
  const bytes = m.slice(1).map(Number);
  if (bytes.some((b, i) => b > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith("0")))) return null;
  return Uint8Array.from(bytes);
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
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? null : text.slice(slash + 1);
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return null;
  const v4 = parseAddress4(addr);
  if (v4) {
    const len = lenText === null ? 32 : Number(lenText);
    if (len > 32) return null;
    return { family: 4, prefix: { bytes: maskBytes(mapped4(v4), 96 + len), len: 96 + len } };
  }
  if (!parseAddress(addr)) return null;
  const p = parsePrefix(`${addr}/${lenText ?? 128}`);
  return p ? { family: 6, prefix: p } : null;
}

/** The text form of a FamilyPrefix ("10.0.0.0/8" for IPv4-mapped ones). */
export function formatFamilyPrefix(p: FamilyPrefix): string {
  if (p.family === 4) return `${[...p.prefix.bytes.subarray(12)].join(".")}/${p.prefix.len - 96}`;
  return formatPrefix(p.prefix);
}
