// IPv4 address and prefix arithmetic on 4-byte arrays. Pure; no node:net.
import type { Prefix } from "./ipv6.js";

/** Parses a dotted quad ("10.0.4.10"); null when it is not one. Leading zeros are refused: some tools read them as octal. */
export function parseAddress4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

export function formatAddress4(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}

export function maskBytes4(bytes: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Parses "addr/len" (len 0..32), host bits cleared; null when malformed. */
export function parsePrefix4(text: string): Prefix | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const bytes = parseAddress4(m[1]!);
  const len = Number(m[2]);
  if (!bytes || len > 32) return null;
  return { bytes: maskBytes4(bytes, len), len };
}

export function formatPrefix4(prefix: Prefix): string {
  return `${formatAddress4(prefix.bytes)}/${prefix.len}`;
}
