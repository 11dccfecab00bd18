// Builds and parses Ethernet/IPv6 frames for the datapath tests.
import { formatAddress, parseAddress } from "../core/ipv6.js";

export const ETH_HLEN = 14;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const NEXTHDR_ROUTING = 43;

function addr(text: string): Uint8Array {
  const a = parseAddress(text);
  if (!a) throw new Error(`bad address ${text}`);
  return a;
}

function ethernet(etherType: number): Uint8Array {
  const eth = new Uint8Array(ETH_HLEN);
  eth.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
  eth[12] = etherType >> 8;
  eth[13] = etherType & 0xff;
  return eth;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function onesComplementSum(parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  const ph = new Uint8Array(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  new DataView(ph.buffer).setUint32(32, length);
  ph[39] = proto;
  return ph;
}

/** True when an L4 segment (checksum field included) checksums to zero against src/dst. */
export function l4ChecksumValid(src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array): boolean {
  return onesComplementSum([pseudoHeader(src, dst, proto, l4.length), l4]) === 0xffff;
}

function withChecksum(src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array, at: number): Uint8Array {
  const c = ~onesComplementSum([pseudoHeader(src, dst, proto, l4.length), l4]) & 0xffff;
  l4[at] = c >> 8;
  l4[at + 1] = c & 0xff;
  return l4;
}

export function ipv6Frame(src: string, dst: string, nextHeader: number, l4: Uint8Array): Uint8Array {
  const ip = new Uint8Array(40);
  const v = new DataView(ip.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, l4.length);
  ip[6] = nextHeader;
  ip[7] = 64;
  ip.set(addr(src), 8);
  ip.set(addr(dst), 24);
  return concat(ethernet(0x86dd), ip, l4);
}

export function udp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(8 + data.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, l4.length);
  l4.set(data, 8);
  return ipv6Frame(src, dst, IPPROTO_UDP, withChecksum(addr(src), addr(dst), IPPROTO_UDP, l4, 6));
}

export function tcp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(20 + data.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, 1);
  l4[12] = 5 << 4;
  l4[13] = 0x18; // PSH|ACK
  v.setUint16(14, 65535);
  l4.set(data, 20);
  return ipv6Frame(src, dst, IPPROTO_TCP, withChecksum(addr(src), addr(dst), IPPROTO_TCP, l4, 16));
}

export function icmp6(src: string, dst: string, type: number, body: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(4 + body.length);
  l4[0] = type;
  l4.set(body, 4);
  return ipv6Frame(src, dst, IPPROTO_ICMPV6, withChecksum(addr(src), addr(dst), IPPROTO_ICMPV6, l4, 2));
}

/** A minimal IPv4/UDP frame (checksum 0: fine for IPv4). */
export function udp4(dport: number, data: Uint8Array): Uint8Array {
  const ip = new Uint8Array(20);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  v.setUint16(2, 20 + 8 + data.length);
  ip[8] = 64;
  ip[9] = IPPROTO_UDP;
  ip.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
  const l4 = new Uint8Array(8 + data.length);
  new DataView(l4.buffer).setUint16(2, dport);
  new DataView(l4.buffer).setUint16(4, l4.length);
  l4.set(data, 8);
  return concat(ethernet(0x0800), ip, l4);
}

export interface Srh {
  nextHeader: number;
  hdrExtLen: number;
  routingType: number;
  segmentsLeft: number;
  lastEntry: number;
  flags: number;
  tag: number;
  /** Segment List[0..n-1] as on the wire (index 0 = final destination). */
  segments: string[];
}

export interface ParsedIpv6 {
  payloadLength: number;
  nextHeader: number;
  src: Uint8Array;
  dst: Uint8Array;
  srh: Srh | null;
  /** Protocol and bytes after the IPv6 header and the SRH, if any. */
  l4Proto: number;
  l4: Uint8Array;
}

export function parseIpv6Frame(frame: Uint8Array): ParsedIpv6 | null {
  if (frame.length < ETH_HLEN + 40 || frame[12] !== 0x86 || frame[13] !== 0xdd) return null;
  const ip = frame.subarray(ETH_HLEN);
  const v = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const nextHeader = ip[6]!;
  let srh: Srh | null = null;
  let l4Off = 40;
  let l4Proto = nextHeader;
  if (nextHeader === NEXTHDR_ROUTING) {
    const hdrExtLen = ip[41]!;
    const segments: string[] = [];
    for (let i = 0; i < hdrExtLen / 2; i++) segments.push(formatAddress(ip.subarray(48 + 16 * i, 64 + 16 * i)));
    srh = {
      nextHeader: ip[40]!,
      hdrExtLen,
      routingType: ip[42]!,
      segmentsLeft: ip[43]!,
      lastEntry: ip[44]!,
      flags: ip[45]!,
      tag: v.getUint16(46),
      segments,
    };
    l4Off = 40 + 8 + 8 * hdrExtLen;
    l4Proto = srh.nextHeader;
  }
  return {
    payloadLength: v.getUint16(4),
    nextHeader,
    src: ip.slice(8, 24),
    dst: ip.slice(24, 40),
    srh,
    l4Proto,
    l4: ip.slice(l4Off),
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
