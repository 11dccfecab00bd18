// IPv4 address and prefix arithmetic on unsigned 32-bit numbers. Pure; no node:net.

export interface Prefix4 {
  /** Network address, host bits zero. */
  network: number;
  len: number;
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Parses a dotted quad ("10.0.1.10"); null when it is not one. Leading zeros are refused (octal or decimal?). */
export function parseAddress4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatAddress4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** The netmask of a prefix length, as a number. */
export function mask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses "a.b.c.d/len" (host bits are cleared); null when malformed. */
export function parsePrefix4(text: string): Prefix4 | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const address = parseAddress4(m[1]!);
  const len = Number(m[2]);
  if (address === null || len > 32) return null;
  return { network: (address & mask4(len)) >>> 0, len };
}

export function formatPrefix4(p: Prefix4): string {
  return `${formatAddress4(p.network)}/${p.len}`;
}

export function prefix4Contains(p: Prefix4, address: number): boolean {
  return ((address & mask4(p.len)) >>> 0) === p.network;
}

export function prefixes4Overlap(a: Prefix4, b: Prefix4): boolean {
  return prefix4Contains(a, b.network) || prefix4Contains(b, a.network);
}

/** The last address of a prefix (the broadcast address of a subnet). */
export function lastAddress4(p: Prefix4): number {
  return (p.network | ~mask4(p.len)) >>> 0;
}

/** The address `offset` places after the prefix's network address. */
export function addressInPrefix4(p: Prefix4, offset: number): string {
  return formatAddress4((p.network + offset) >>> 0);
}
