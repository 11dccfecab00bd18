// IPv6 address and prefix arithmetic on 16-byte arrays. Pure; no node:net.

export interface Prefix {
  bytes: Uint8Array;
  len: number;
}

/** Parses an IPv6 address; returns null when it is not one. */
export function parseAddress(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes(".")) {
        const v4 = p.split(".").map(Number);
        if (v4.length !== 4 || v4.some((n, j) => !/^\d{1,3}$/.test(p.split(".")[j]!) || n > 255)) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** RFC 5952 text form. */
export function formatAddress(bytes: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((n) => n.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Parses "addr/len"; returns null when malformed. */
export function parsePrefix(text: string): Prefix | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const bytes = parseAddress(m[1]!);
  const len = Number(m[2]);
  if (!bytes || len > 128) return null;
  return { bytes: maskBytes(bytes, len), len };
}

export function maskBytes(bytes: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function prefixContains(prefix: Prefix, address: Uint8Array): boolean {
  const masked = maskBytes(address, prefix.len);
  return masked.every((b, i) => b === prefix.bytes[i]);
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatAddress(prefix.bytes)}/${prefix.len}`;
}

/** Sets the low 32 bits of a prefix's network address to `value`. */
export function addressInPrefix(prefix: Prefix, value: number): string {
  const out = Uint8Array.from(prefix.bytes);
  out[12] = (value >>> 24) & 0xff;
  out[13] = (value >>> 16) & 0xff;
  out[14] = (value >>> 8) & 0xff;
  out[15] = value & 0xff;
  return formatAddress(out);
}
