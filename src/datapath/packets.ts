// Builds and parses Ethernet/IPv6/IPv4 frames for the datapath tests.
import { formatAddress, parseAddress } from "../core/ipv6.js";
import { parseIpPrefix } from "../core/ip.js";

export const ETH_HLEN = 14;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const NEXTHDR_HOP = 0;
export const NEXTHDR_ROUTING = 43;
export const NEXTHDR_FRAGMENT = 44;
export const NEXTHDR_AUTH = 51;
export const NEXTHDR_DEST = 60;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;

function addr(text: string): Uint8Array {
  const a = parseAddress(text);
  if (!a) throw new Error(`bad address ${text}`);
  return a;
}

function addr4(text: string): Uint8Array {
  const a = parseIpPrefix(text);
  if (!a || a.family !== 4 || a.len !== 32) throw new Error(`bad IPv4 address ${text}`);
  return a.bytes;
}

export const SRC_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
export const DST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);

function ethernet(etherType: number): Uint8Array {
  const eth = new Uint8Array(ETH_HLEN);
  eth.set(DST_MAC, 0);
  eth.set(SRC_MAC, 6);
  eth[12] = etherType >> 8;
  eth[13] = etherType & 0xff;
  return eth;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function onesComplementSum(parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudoHeader6(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  const ph = new Uint8Array(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  new DataView(ph.buffer).setUint32(32, length);
  ph[39] = proto;
  return ph;
}

function pseudoHeader4(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  const ph = new Uint8Array(12);
  ph.set(src, 0);
  ph.set(dst, 4);
  ph[9] = proto;
  new DataView(ph.buffer).setUint16(10, length);
  return ph;
}

/** True when an L4 segment (checksum field included) checksums to zero against IPv6 src/dst. */
export function l4ChecksumValid(src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array): boolean {
  return onesComplementSum([pseudoHeader6(src, dst, proto, l4.length), l4]) === 0xffff;
}

function withChecksum(pseudo: Uint8Array, l4: Uint8Array, at: number): Uint8Array {
  const c = ~onesComplementSum([pseudo, l4]) & 0xffff;
  l4[at] = c >> 8;
  l4[at + 1] = c & 0xff;
  return l4;
}

export interface ExtHeader {
  type: number;
  /** The header without its first byte (next header), which the chain fills in. */
  body: Uint8Array;
}

/** Hop-by-hop or destination options of `size` bytes (a multiple of 8), padded with PadN. */
export function optionsHeader(type: typeof NEXTHDR_HOP | typeof NEXTHDR_DEST, size = 8): ExtHeader {
  const body = new Uint8Array(size - 1);
  body[0] = size / 8 - 1;
  body[1] = 1; // PadN
  body[2] = size - 4;
  return { type, body };
}

export function fragmentHeader(offset: number, more: boolean, id: number): ExtHeader {
  const body = new Uint8Array(7);
  const v = new DataView(body.buffer);
  v.setUint16(1, (offset << 3) | (more ? 1 : 0));
  v.setUint32(3, id);
  return { type: NEXTHDR_FRAGMENT, body };
}

export function authHeader(): ExtHeader {
  const body = new Uint8Array(15);
  body[0] = 2; // 16 bytes
  return { type: NEXTHDR_AUTH, body };
}

export function ipv6Frame(src: string, dst: string, nextHeader: number, l4: Uint8Array, exts: ExtHeader[] = []): Uint8Array {
  const chain: Uint8Array[] = exts.map((e, i) => concat(Uint8Array.of(exts[i + 1]?.type ?? nextHeader), e.body));
  const payload = concat(...chain, l4);
  const ip = new Uint8Array(40);
  const v = new DataView(ip.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, payload.length);
  ip[6] = exts[0]?.type ?? nextHeader;
  ip[7] = 64;
  ip.set(addr(src), 8);
  ip.set(addr(dst), 24);
  return concat(ethernet(ETH_P_IPV6), ip, payload);
}

function udpSegment(sport: number, dport: number, data: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(8 + data.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, l4.length);
  l4.set(data, 8);
  return l4;
}

export function udp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array, exts: ExtHeader[] = []): Uint8Array {
  const l4 = withChecksum(pseudoHeader6(addr(src), addr(dst), IPPROTO_UDP, 8 + data.length), udpSegment(sport, dport, data), 6);
  return ipv6Frame(src, dst, IPPROTO_UDP, l4, exts);
}

function tcpSegment(sport: number, dport: number, data: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(20 + data.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, 1);
  l4[12] = 5 << 4;
  l4[13] = 0x18; // PSH|ACK
  v.setUint16(14, 65535);
  l4.set(data, 20);
  return l4;
}

export function tcp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const l4 = withChecksum(pseudoHeader6(addr(src), addr(dst), IPPROTO_TCP, 20 + data.length), tcpSegment(sport, dport, data), 16);
  return ipv6Frame(src, dst, IPPROTO_TCP, l4);
}

export function icmp6(src: string, dst: string, type: number, body: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(4 + body.length);
  l4[0] = type;
  l4.set(body, 4);
  return ipv6Frame(src, dst, IPPROTO_ICMPV6, withChecksum(pseudoHeader6(addr(src), addr(dst), IPPROTO_ICMPV6, l4.length), l4, 2));
}

export interface Ipv4Options {
  df?: boolean;
  tos?: number;
  id?: number;
  /** Fragment offset in 8-byte units, and more fragments. */
  fragOffset?: number;
  moreFragments?: boolean;
}

export function ipv4Header(src: string, dst: string, proto: number, payloadLength: number, o: Ipv4Options = {}): Uint8Array {
  const ip = new Uint8Array(20);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  ip[1] = o.tos ?? 0;
  v.setUint16(2, 20 + payloadLength);
  v.setUint16(4, o.id ?? 0x1234);
  v.setUint16(6, (o.df ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | (o.fragOffset ?? 0));
  ip[8] = 64;
  ip[9] = proto;
  ip.set(addr4(src), 12);
  ip.set(addr4(dst), 16);
  const c = ~onesComplementSum([ip]) & 0xffff;
  v.setUint16(10, c);
  return ip;
}

export function udp4(src: string, dst: string, sport: number, dport: number, data: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const l4 = withChecksum(pseudoHeader4(addr4(src), addr4(dst), IPPROTO_UDP, 8 + data.length), udpSegment(sport, dport, data), 6);
  return concat(ethernet(ETH_P_IP), ipv4Header(src, dst, IPPROTO_UDP, l4.length, o), l4);
}

export function tcp4(src: string, dst: string, sport: number, dport: number, data: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const l4 = withChecksum(pseudoHeader4(addr4(src), addr4(dst), IPPROTO_TCP, 20 + data.length), tcpSegment(sport, dport, data), 16);
  return concat(ethernet(ETH_P_IP), ipv4Header(src, dst, IPPROTO_TCP, l4.length, o), l4);
}

/** A non-IP frame (ARP). */
export function arpFrame(): Uint8Array {
  return concat(ethernet(0x0806), new Uint8Array(28));
}

export interface Srh {
  nextHeader: number;
  hdrExtLen: number;
  routingType: number;
  segmentsLeft: number;
  lastEntry: number;
  flags: number;
  tag: number;
  /** Segment List[0..n-1] as on the wire (index 0 = the last segment). */
  segments: string[];
}

export interface ParsedIpv4 {
  src: string;
  dst: string;
  proto: number;
  tos: number;
  totalLength: number;
  checksumValid: boolean;
  /** Bytes after the IPv4 header. */
  payload: Uint8Array;
}

export interface ParsedIpv6 {
  payloadLength: number;
  /** Next header of the IPv6 header itself. */
  nextHeader: number;
  trafficClass: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Extension header types in order, e.g. [0, 43, 44]. */
  chain: number[];
  srh: Srh | null;
  /** Protocol and bytes after the last extension header. */
  l4Proto: number;
  l4: Uint8Array;
  /** For IPv4-in-IPv6. */
  inner4: ParsedIpv4 | null;
}

export function parseIpv4(ip: Uint8Array): ParsedIpv4 | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4) return null;
  const ihl = (ip[0]! & 0xf) * 4;
  const v = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  return {
    src: [...ip.subarray(12, 16)].join("."),
    dst: [...ip.subarray(16, 20)].join("."),
    proto: ip[9]!,
    tos: ip[1]!,
    totalLength: v.getUint16(2),
    checksumValid: onesComplementSum([ip.subarray(0, ihl)]) === 0xffff,
    payload: ip.slice(ihl),
  };
}

export function parseIpv4Frame(frame: Uint8Array): ParsedIpv4 | null {
  if (frame.length < ETH_HLEN + 20 || frame[12] !== 0x08 || frame[13] !== 0x00) return null;
  return parseIpv4(frame.subarray(ETH_HLEN));
}

const EXTENSION_HEADERS = new Set([NEXTHDR_HOP, NEXTHDR_ROUTING, NEXTHDR_FRAGMENT, NEXTHDR_AUTH, NEXTHDR_DEST]);

export function parseIpv6Frame(frame: Uint8Array): ParsedIpv6 | null {
  if (frame.length < ETH_HLEN + 40 || frame[12] !== 0x86 || frame[13] !== 0xdd) return null;
  const ip = frame.subarray(ETH_HLEN);
  const v = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const nextHeader = ip[6]!;
  let srh: Srh | null = null;
  const chain: number[] = [];
  let off = 40;
  let nh = nextHeader;
  while (EXTENSION_HEADERS.has(nh) && off + 8 <= ip.length) {
    chain.push(nh);
    const next = ip[off]!;
    let len: number;
    if (nh === NEXTHDR_FRAGMENT) len = 8;
    else if (nh === NEXTHDR_AUTH) len = (ip[off + 1]! + 2) * 4;
    else len = (ip[off + 1]! + 1) * 8;
    if (nh === NEXTHDR_ROUTING && ip[off + 2] === 4) {
      const hdrExtLen = ip[off + 1]!;
      const segments: string[] = [];
      for (let i = 0; i < hdrExtLen / 2; i++) segments.push(formatAddress(ip.subarray(off + 8 + 16 * i, off + 24 + 16 * i)));
      srh = {
        nextHeader: next,
        hdrExtLen,
        routingType: ip[off + 2]!,
        segmentsLeft: ip[off + 3]!,
        lastEntry: ip[off + 4]!,
        flags: ip[off + 5]!,
        tag: v.getUint16(off + 6),
        segments,
      };
    }
    off += len;
    nh = next;
  }
  const l4 = ip.slice(off);
  return {
    payloadLength: v.getUint16(4),
    nextHeader,
    trafficClass: (v.getUint32(0) >>> 20) & 0xff,
    src: ip.slice(8, 24),
    dst: ip.slice(24, 40),
    chain,
    srh,
    l4Proto: nh,
    l4,
    inner4: nh === IPPROTO_IPIP ? parseIpv4(l4) : null,
  };
}

/** Frames of a classic pcap file (as written by tcpdump -w). */
export function readPcap(file: Uint8Array): Uint8Array[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && v.getUint32(0, false) !== 0xa1b2c3d4 && v.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error("not a pcap file");
  }
  const frames: Uint8Array[] = [];
  for (let off = 24; off + 16 <= file.length; ) {
    const caplen = v.getUint32(off + 8, le);
    frames.push(new Uint8Array(file.subarray(off + 16, off + 16 + caplen)));
    off += 16 + caplen;
  }
  return frames;
}
