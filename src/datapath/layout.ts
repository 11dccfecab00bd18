// Byte layouts of the map keys and values declared in cairn.h. layout.spec.ts checks every
// size and offset here against the BTF of the compiled object, and the constants against the
// header's #defines. Buffers start zero-filled: hash and LPM maps compare padding bytes too.
import { endianness } from "node:os";
import type { Prefix } from "../core/ipv6.js";

export const CAIRN_MAX_SEGMENTS = 8;
export const CAIRN_MAX_RULES = 1024;
export const CAIRN_MAX_RULES_PER_PREFIX = 16;
export const CAIRN_MAX_PREFIXES = 1024;
export const CAIRN_LPM_FIXED_BITS = 96;
export const CAIRN_DROP_ADJUST_ROOM = 1;
export const CAIRN_DROP_STORE = 2;
export const CAIRN_DROP_MTU = 3;
export const CAIRN_DROP_MAX = 4;

export const DROP_REASONS: ReadonlyMap<number, string> = new Map([
  [CAIRN_DROP_ADJUST_ROOM, "adjust_room"],
  [CAIRN_DROP_STORE, "store"],
  [CAIRN_DROP_MTU, "mtu"],
]);

/** Struct name → size and member offsets, mirroring cairn.h. */
export const LAYOUT = {
  cairn_lpm_key: { size: 32, members: { prefixlen: 0, pad: 4, cgroup_id: 8, addr: 16 } },
  cairn_rule_slot: {
    size: 12,
    members: { rule_id: 0, protocol: 4, pad: 5, port_from: 6, port_to: 8, pad2: 10 },
  },
  cairn_rule_set: { size: 8 + 12 * CAIRN_MAX_RULES_PER_PREFIX, members: { count: 0, pad: 4, slots: 8 } },
  cairn_path: { size: 8 + 16 * CAIRN_MAX_SEGMENTS, members: { nsegs: 0, pad: 4, segs: 8 } },
  cairn_counters: { size: 16, members: { packets: 0, bytes: 8 } },
} as const;

/** Map names in egress.bpf.c with their key and value sizes. */
export const MAPS = {
  cairn_rules: { keySize: LAYOUT.cairn_lpm_key.size, valueSize: LAYOUT.cairn_rule_set.size },
  cairn_paths: { keySize: 4, valueSize: LAYOUT.cairn_path.size },
  cairn_stats: { keySize: 4, valueSize: LAYOUT.cairn_counters.size },
  cairn_drops: { keySize: 4, valueSize: 8 },
} as const;
export type MapName = keyof typeof MAPS;
export const MAP_NAMES = Object.keys(MAPS) as MapName[];

const LE = endianness() === "LE";

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeU32(value: number): Uint8Array {
  const buf = new Uint8Array(4);
  view(buf).setUint32(0, value, LE);
  return buf;
}

export function decodeU32(buf: Uint8Array): number {
  return view(buf).getUint32(0, LE);
}

export function encodeLpmKey(cgroupId: bigint, prefix: Prefix): Uint8Array {
  const m = LAYOUT.cairn_lpm_key.members;
  const buf = new Uint8Array(LAYOUT.cairn_lpm_key.size);
  view(buf).setUint32(m.prefixlen, CAIRN_LPM_FIXED_BITS + prefix.len, LE);
  view(buf).setBigUint64(m.cgroup_id, cgroupId, LE);
  buf.set(prefix.bytes, m.addr);
  return buf;
}

export interface RuleSlot {
  ruleId: number;
  protocol: number;
  portFrom: number;
  portTo: number;
}

export function encodeRuleSet(slots: readonly RuleSlot[]): Uint8Array {
  if (slots.length > CAIRN_MAX_RULES_PER_PREFIX) throw new Error(`rule set has ${slots.length} slots`);
  const set = LAYOUT.cairn_rule_set;
  const slot = LAYOUT.cairn_rule_slot;
  const buf = new Uint8Array(set.size);
  const v = view(buf);
  v.setUint32(set.members.count, slots.length, LE);
  slots.forEach((s, i) => {
    const base = set.members.slots + i * slot.size;
    v.setUint32(base + slot.members.rule_id, s.ruleId, LE);
    v.setUint8(base + slot.members.protocol, s.protocol);
    v.setUint16(base + slot.members.port_from, s.portFrom, LE);
    v.setUint16(base + slot.members.port_to, s.portTo, LE);
  });
  return buf;
}

/** segments in travel order (first SID visited first); stored reversed, in SRH order. */
export function encodePath(segments: readonly Uint8Array[]): Uint8Array {
  if (segments.length > CAIRN_MAX_SEGMENTS) {
    throw new Error(`path has ${segments.length} segments`);
  }
  const p = LAYOUT.cairn_path;
  const buf = new Uint8Array(p.size);
  view(buf).setUint32(p.members.nsegs, segments.length, LE);
  segments.forEach((sid, i) => buf.set(sid, p.members.segs + 16 * (segments.length - 1 - i)));
  return buf;
}

/** Inverse of encodePath: SIDs in travel order. */
export function decodePath(buf: Uint8Array): Uint8Array[] {
  const p = LAYOUT.cairn_path;
  const n = view(buf).getUint32(p.members.nsegs, LE);
  const out: Uint8Array[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(buf.slice(p.members.segs + 16 * i, p.members.segs + 16 * (i + 1)));
  return out;
}

export function encodeCounters(packets: bigint, bytes: bigint): Uint8Array {
  const c = LAYOUT.cairn_counters;
  const buf = new Uint8Array(c.size);
  view(buf).setBigUint64(c.members.packets, packets, LE);
  view(buf).setBigUint64(c.members.bytes, bytes, LE);
  return buf;
}

/** Per-CPU map values are laid out one per possible CPU, each rounded up to 8 bytes. */
export function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

export function sumPerCpuCounters(buf: Uint8Array, ncpus: number): { packets: bigint; bytes: bigint } {
  const c = LAYOUT.cairn_counters;
  const stride = perCpuStride(c.size);
  const v = view(buf);
  let packets = 0n;
  let bytes = 0n;
  for (let cpu = 0; cpu < ncpus; cpu++) {
    packets += v.getBigUint64(cpu * stride + c.members.packets, LE);
    bytes += v.getBigUint64(cpu * stride + c.members.bytes, LE);
  }
  return { packets, bytes };
}

export function sumPerCpuU64(buf: Uint8Array, ncpus: number): bigint {
  const v = view(buf);
  let total = 0n;
  for (let cpu = 0; cpu < ncpus; cpu++) total += v.getBigUint64(cpu * 8, LE);
  return total;
}
