// Byte layouts of the map keys and values declared in cairn.h. layout.spec.ts checks every
// size and offset here against the BTF of the compiled object, the constants against the
// header's #defines, and ruleCheck against the program itself. Buffers start zero-filled:
// hash and LPM maps compare padding bytes too.
import { endianness } from "node:os";
import type { Prefix } from "../core/ipv6.js";

export const CAIRN_MAX_SIDS = 9;
export const CAIRN_MAX_PROBE_SIDS = 17;
export const CAIRN_PROBE_MAGIC = 0x4352504e;
export const CAIRN_MAX_RULES_PER_PREFIX = 16;
export const CAIRN_LPM_FIXED_BITS = 32;
export const CAIRN_MAX_CGROUP_LEVEL = 31;
export const CAIRN_MAX_CLASSES = 4;
export const CAIRN_MAX_HBH = 64;
export const CAIRN_PTB6_QUOTE = 256;
export const CAIRN_PTB4_QUOTE = 68;
export const CAIRN_DEFAULT_MAX_RULES = 1024;
export const CAIRN_DEFAULT_MAX_PATHS = 1024;
export const CAIRN_DEFAULT_MAX_PREFIXES = 1024;
export const CAIRN_DEFAULT_MAX_CGROUPS = 256;
export const CAIRN_DEFAULT_MAX_FRAGMENTS = 4096;
export const CAIRN_ANY_UID = 0xffffffff;
export const CAIRN_PATH_SLOT_MASK = 0xffff;
export const CAIRN_MODE_INLINE = 1;
export const CAIRN_MODE_ENCAP = 2;
export const CAIRN_RULE_CLOSED = 1;
export const CAIRN_RULE_USE_BACKUP = 2;
export const CAIRN_RULE_NO_LIVENESS = 4;
export const CAIRN_CFG_V6 = 1;
export const CAIRN_CFG_V4 = 2;
export const CAIRN_CFG_ANY_V6 = 4;
export const CAIRN_CFG_ANY_V4 = 8;
export const CAIRN_CFG_UID = 16;
export const CAIRN_EV_TOO_BIG = 1;
export const CAIRN_EV_TOO_BIG_LOST = 2;
export const CAIRN_EV_ADJUST_ROOM = 3;
export const CAIRN_EV_STORE = 4;
export const CAIRN_EV_TORN = 5;
export const CAIRN_EV_UNSUPPORTED = 6;
export const CAIRN_EV_FRAGMENT = 7;
export const CAIRN_EV_PROBE_UNKNOWN = 8;
export const CAIRN_EV_MAX = 9;

/** Event counters by name (cairn_events), as the agent reports them. */
export const EVENT_NAMES: ReadonlyMap<number, string> = new Map([
  [CAIRN_EV_TOO_BIG, "too_big_icmp_sent"],
  [CAIRN_EV_TOO_BIG_LOST, "too_big_dropped"],
  [CAIRN_EV_ADJUST_ROOM, "adjust_room_failed"],
  [CAIRN_EV_STORE, "header_write_failed"],
  [CAIRN_EV_TORN, "torn_read"],
  [CAIRN_EV_UNSUPPORTED, "unsupported_headers"],
  [CAIRN_EV_FRAGMENT, "orphan_fragment"],
  [CAIRN_EV_PROBE_UNKNOWN, "probe_for_unknown_path"],
]);

/** Struct name → size and member offsets, mirroring cairn.h. */
export const LAYOUT = {
  cairn_lpm_key: { size: 24, members: { prefixlen: 0, class_id: 4, addr: 8 } },
  cairn_rule_slot: {
    size: 32,
    members: { rule_id: 0, uid: 4, protocol: 8, src_len: 9, port_from: 10, port_to: 12, pad: 14, src: 16 },
  },
  cairn_rule_set: { size: 8 + 32 * CAIRN_MAX_RULES_PER_PREFIX, members: { count: 0, pad: 4, slots: 8 } },
  cairn_rule_state: { size: 32, members: { primary: 0, backup: 4, flags: 8, check: 12, key: 16 } },
  cairn_path: { size: 8 + 16 * CAIRN_MAX_SIDS, members: { ref: 0, nsegs: 4, mode: 5, pad: 6, segs: 8 } },
  cairn_probe_path: { size: 8 + 16 * CAIRN_MAX_PROBE_SIDS, members: { ref: 0, nsegs: 4, pad: 5, segs: 8 } },
  cairn_live: {
    size: 48,
    members: { last_sent_ns: 0, last_return_ns: 8, up_since_ns: 16, first_unanswered_ns: 24, ref: 32, threshold_us: 36, stale_us: 40, holddown_ms: 44 },
  },
  cairn_probe_hdr: { size: 24, members: { magic: 0, secret: 4, ref: 8, seq: 12, sent_ns: 16 } },
  cairn_counters: { size: 40, members: { packets: 0, bytes: 8, open_packets: 16, closed_packets: 24, backup_packets: 32 } },
  cairn_config: {
    size: 36,
    members: { encap_src: 0, flags: 16, max_level: 20, level_mask: 24, probe_port: 28, pad: 30, probe_secret: 32 },
  },
  cairn_frag_key: { size: 24, members: { daddr: 0, id: 16, pad: 20 } },
} as const;

/** Maps in egress.bpf.c: key and value sizes, and the max_entries the object declares. */
export const MAPS = {
  cairn_rules: { keySize: LAYOUT.cairn_lpm_key.size, valueSize: LAYOUT.cairn_rule_set.size, maxEntries: CAIRN_DEFAULT_MAX_PREFIXES },
  cairn_rule_state: { keySize: 4, valueSize: LAYOUT.cairn_rule_state.size, maxEntries: CAIRN_DEFAULT_MAX_RULES },
  cairn_paths: { keySize: 4, valueSize: LAYOUT.cairn_path.size, maxEntries: CAIRN_DEFAULT_MAX_PATHS },
  cairn_stats: { keySize: 4, valueSize: LAYOUT.cairn_counters.size, maxEntries: CAIRN_DEFAULT_MAX_RULES },
  cairn_cgroups: { keySize: 8, valueSize: 4, maxEntries: CAIRN_DEFAULT_MAX_CGROUPS },
  cairn_config: { keySize: 4, valueSize: LAYOUT.cairn_config.size, maxEntries: 1 },
  cairn_frags: { keySize: LAYOUT.cairn_frag_key.size, valueSize: 4, maxEntries: CAIRN_DEFAULT_MAX_FRAGMENTS },
  cairn_probes: { keySize: 4, valueSize: LAYOUT.cairn_probe_path.size, maxEntries: CAIRN_DEFAULT_MAX_PATHS },
  cairn_live: { keySize: 4, valueSize: LAYOUT.cairn_live.size, maxEntries: CAIRN_DEFAULT_MAX_PATHS },
  cairn_events: { keySize: 4, valueSize: 8, maxEntries: CAIRN_EV_MAX },
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

export function encodeU64(value: bigint): Uint8Array {
  const buf = new Uint8Array(8);
  view(buf).setBigUint64(0, value, LE);
  return buf;
}

export function decodeU64(buf: Uint8Array): bigint {
  return view(buf).getBigUint64(0, LE);
}

/** prefix is IPv6, or IPv4 already written IPv4-mapped (96 + len). */
export function encodeLpmKey(classId: number, prefix: Prefix): Uint8Array {
  const m = LAYOUT.cairn_lpm_key.members;
  const buf = new Uint8Array(LAYOUT.cairn_lpm_key.size);
  view(buf).setUint32(m.prefixlen, CAIRN_LPM_FIXED_BITS + prefix.len, LE);
  view(buf).setUint32(m.class_id, classId, LE);
  buf.set(prefix.bytes, m.addr);
  return buf;
}

export function decodeLpmKey(buf: Uint8Array): { classId: number; prefix: Prefix } {
  const m = LAYOUT.cairn_lpm_key.members;
  return {
    classId: view(buf).getUint32(m.class_id, LE),
    prefix: { bytes: buf.slice(m.addr, m.addr + 16), len: view(buf).getUint32(m.prefixlen, LE) - CAIRN_LPM_FIXED_BITS },
  };
}

export interface RuleSlot {
  ruleId: number;
  /** CAIRN_ANY_UID: any. */
  uid: number;
  protocol: number;
  portFrom: number;
  portTo: number;
  /** null: any source; IPv4 sources IPv4-mapped. */
  source: Prefix | null;
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
    v.setUint32(base + slot.members.uid, s.uid, LE);
    v.setUint8(base + slot.members.protocol, s.protocol);
    v.setUint8(base + slot.members.src_len, s.source?.len ?? 0);
    v.setUint16(base + slot.members.port_from, s.portFrom, LE);
    v.setUint16(base + slot.members.port_to, s.portTo, LE);
    if (s.source) buf.set(s.source.bytes, base + slot.members.src);
  });
  return buf;
}

export function decodeRuleSetIds(buf: Uint8Array): number[] {
  const set = LAYOUT.cairn_rule_set;
  const slot = LAYOUT.cairn_rule_slot;
  const n = Math.min(view(buf).getUint32(set.members.count, LE), CAIRN_MAX_RULES_PER_PREFIX);
  return Array.from({ length: n }, (_, i) => view(buf).getUint32(set.members.slots + i * slot.size + slot.members.rule_id, LE));
}

/** The same mixing as cairn_rule_check() in cairn.h (32-bit wrapping arithmetic). */
export function ruleCheck(ruleId: number, primary: number, backup: number, flags: number): number {
  let h = (0x165667b1 ^ Math.imul(ruleId, 0x27d4eb2f)) >>> 0;
  h = Math.imul(h ^ primary, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15) ^ backup, 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ flags, 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface RuleState {
  primary: number;
  backup: number;
  flags: number;
  /** 16 bytes; all zero on a free rule id. */
  key: Uint8Array;
}

export function encodeRuleState(ruleId: number, s: RuleState): Uint8Array {
  const m = LAYOUT.cairn_rule_state.members;
  const buf = new Uint8Array(LAYOUT.cairn_rule_state.size);
  const v = view(buf);
  v.setUint32(m.primary, s.primary, LE);
  v.setUint32(m.backup, s.backup, LE);
  v.setUint32(m.flags, s.flags, LE);
  v.setUint32(m.check, ruleCheck(ruleId, s.primary, s.backup, s.flags), LE);
  buf.set(s.key.subarray(0, 16), m.key);
  return buf;
}

export function decodeRuleState(buf: Uint8Array): RuleState & { check: number } {
  const m = LAYOUT.cairn_rule_state.members;
  const v = view(buf);
  return {
    primary: v.getUint32(m.primary, LE),
    backup: v.getUint32(m.backup, LE),
    flags: v.getUint32(m.flags, LE),
    check: v.getUint32(m.check, LE),
    key: buf.slice(m.key, m.key + 16),
  };
}

export interface PathContent {
  mode: typeof CAIRN_MODE_INLINE | typeof CAIRN_MODE_ENCAP;
  /** SIDs in travel order (first visited first). */
  sids: Uint8Array[];
  /** The path's loopback probe SIDs in travel order (this host is appended); null: not probed. */
  probe: Uint8Array[] | null;
}

/** A path slot's value; mode 0 marks a free slot (its ref keeps the slot's last generation). */
export function encodePath(ref: number, path: PathContent | null): Uint8Array {
  const p = LAYOUT.cairn_path;
  const buf = new Uint8Array(p.size);
  view(buf).setUint32(p.members.ref, ref, LE);
  if (!path) return buf;
  if (path.sids.length > CAIRN_MAX_SIDS) throw new Error(`path has ${path.sids.length} SIDs; at most ${CAIRN_MAX_SIDS}`);
  buf[p.members.nsegs] = path.sids.length;
  buf[p.members.mode] = path.mode;
  path.sids.forEach((sid, i) => buf.set(sid, p.members.segs + 16 * (path.sids.length - 1 - i)));
  return buf;
}

export function decodePath(buf: Uint8Array): { ref: number; path: PathContent | null } {
  const p = LAYOUT.cairn_path;
  const ref = view(buf).getUint32(p.members.ref, LE);
  const mode = buf[p.members.mode]!;
  if (mode !== CAIRN_MODE_INLINE && mode !== CAIRN_MODE_ENCAP) return { ref, path: null };
  const n = Math.min(buf[p.members.nsegs]!, CAIRN_MAX_SIDS);
  const sids: Uint8Array[] = [];
  for (let i = n - 1; i >= 0; i--) sids.push(buf.slice(p.members.segs + 16 * i, p.members.segs + 16 * (i + 1)));
  return { ref, path: { mode, sids, probe: null } };
}

/** A path slot's probe entry; no SIDs (or null) marks the slot's path as not probed. */
export function encodeProbePath(ref: number, sids: readonly Uint8Array[] | null): Uint8Array {
  const p = LAYOUT.cairn_probe_path;
  const buf = new Uint8Array(p.size);
  view(buf).setUint32(p.members.ref, ref, LE);
  if (!sids) return buf;
  if (sids.length > CAIRN_MAX_PROBE_SIDS) throw new Error(`probe has ${sids.length} SIDs; at most ${CAIRN_MAX_PROBE_SIDS}`);
  buf[p.members.nsegs] = sids.length;
  sids.forEach((sid, i) => buf.set(sid, p.members.segs + 16 * (sids.length - 1 - i)));
  return buf;
}

export function decodeProbePath(buf: Uint8Array): { ref: number; sids: Uint8Array[] | null } {
  const p = LAYOUT.cairn_probe_path;
  const ref = view(buf).getUint32(p.members.ref, LE);
  const n = Math.min(buf[p.members.nsegs]!, CAIRN_MAX_PROBE_SIDS);
  if (n === 0) return { ref, sids: null };
  const sids: Uint8Array[] = [];
  for (let i = n - 1; i >= 0; i--) sids.push(buf.slice(p.members.segs + 16 * i, p.members.segs + 16 * (i + 1)));
  return { ref, sids };
}

export interface Liveness {
  ref: number;
  /** CLOCK_MONOTONIC ns (bpf_ktime_get_ns), 0 = never. */
  lastSentNs: bigint;
  lastReturnNs: bigint;
  upSinceNs: bigint;
  firstUnansweredNs: bigint;
  thresholdUs: number;
  staleUs: number;
  holddownMs: number;
}

export function encodeLive(l: Liveness): Uint8Array {
  const m = LAYOUT.cairn_live.members;
  const buf = new Uint8Array(LAYOUT.cairn_live.size);
  const v = view(buf);
  v.setBigUint64(m.last_sent_ns, l.lastSentNs, LE);
  v.setBigUint64(m.last_return_ns, l.lastReturnNs, LE);
  v.setBigUint64(m.up_since_ns, l.upSinceNs, LE);
  v.setBigUint64(m.first_unanswered_ns, l.firstUnansweredNs, LE);
  v.setUint32(m.ref, l.ref, LE);
  v.setUint32(m.threshold_us, l.thresholdUs, LE);
  v.setUint32(m.stale_us, l.staleUs, LE);
  v.setUint32(m.holddown_ms, l.holddownMs, LE);
  return buf;
}

export function decodeLive(buf: Uint8Array): Liveness {
  const m = LAYOUT.cairn_live.members;
  const v = view(buf);
  return {
    lastSentNs: v.getBigUint64(m.last_sent_ns, LE),
    lastReturnNs: v.getBigUint64(m.last_return_ns, LE),
    upSinceNs: v.getBigUint64(m.up_since_ns, LE),
    firstUnansweredNs: v.getBigUint64(m.first_unanswered_ns, LE),
    ref: v.getUint32(m.ref, LE),
    thresholdUs: v.getUint32(m.threshold_us, LE),
    staleUs: v.getUint32(m.stale_us, LE),
    holddownMs: v.getUint32(m.holddown_ms, LE),
  };
}

/** A probe's UDP payload (the header; the agent may pad it). */
export function encodeProbeHeader(h: { secret: number; ref: number; seq: number; sentNs: bigint }): Uint8Array {
  const m = LAYOUT.cairn_probe_hdr.members;
  const buf = new Uint8Array(LAYOUT.cairn_probe_hdr.size);
  const v = view(buf);
  v.setUint32(m.magic, CAIRN_PROBE_MAGIC, LE);
  v.setUint32(m.secret, h.secret >>> 0, LE);
  v.setUint32(m.ref, h.ref >>> 0, LE);
  v.setUint32(m.seq, h.seq >>> 0, LE);
  v.setBigUint64(m.sent_ns, h.sentNs, LE);
  return buf;
}

export function decodeProbeHeader(buf: Uint8Array): { secret: number; ref: number; seq: number; sentNs: bigint } | null {
  const m = LAYOUT.cairn_probe_hdr.members;
  if (buf.length < LAYOUT.cairn_probe_hdr.size) return null;
  const v = view(buf);
  if (v.getUint32(m.magic, LE) !== CAIRN_PROBE_MAGIC) return null;
  return { secret: v.getUint32(m.secret, LE), ref: v.getUint32(m.ref, LE), seq: v.getUint32(m.seq, LE), sentNs: v.getBigUint64(m.sent_ns, LE) };
}

export interface ConfigValue {
  /** Outer IPv6 source of encapsulated packets (16 bytes); zero when there are no IPv4 rules. */
  encapSource: Uint8Array;
  flags: number;
  maxLevel: number;
  levelMask: number;
  /** UDP port of the agent's probes (0: none) and the secret they carry. */
  probePort: number;
  probeSecret: number;
}

export function encodeConfig(c: ConfigValue): Uint8Array {
  const m = LAYOUT.cairn_config.members;
  const buf = new Uint8Array(LAYOUT.cairn_config.size);
  buf.set(c.encapSource.subarray(0, 16), m.encap_src);
  view(buf).setUint32(m.flags, c.flags, LE);
  view(buf).setUint32(m.max_level, c.maxLevel, LE);
  view(buf).setUint32(m.level_mask, c.levelMask >>> 0, LE);
  view(buf).setUint16(m.probe_port, c.probePort, LE);
  view(buf).setUint32(m.probe_secret, c.probeSecret >>> 0, LE);
  return buf;
}

export function decodeConfig(buf: Uint8Array): ConfigValue {
  const m = LAYOUT.cairn_config.members;
  return {
    encapSource: buf.slice(m.encap_src, m.encap_src + 16),
    flags: view(buf).getUint32(m.flags, LE),
    maxLevel: view(buf).getUint32(m.max_level, LE),
    levelMask: view(buf).getUint32(m.level_mask, LE),
    probePort: view(buf).getUint16(m.probe_port, LE),
    probeSecret: view(buf).getUint32(m.probe_secret, LE),
  };
}

/** Per-CPU map values are laid out one per possible CPU, each rounded up to 8 bytes. */
export function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

export interface Counters {
  packets: bigint;
  bytes: bigint;
  openPackets: bigint;
  closedPackets: bigint;
  backupPackets: bigint;
}

export function sumPerCpuCounters(buf: Uint8Array, ncpus: number): Counters {
  const c = LAYOUT.cairn_counters;
  const stride = perCpuStride(c.size);
  const v = view(buf);
  const out: Counters = { packets: 0n, bytes: 0n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n };
  for (let cpu = 0; cpu < ncpus; cpu++) {
    const base = cpu * stride;
    out.packets += v.getBigUint64(base + c.members.packets, LE);
    out.bytes += v.getBigUint64(base + c.members.bytes, LE);
    out.openPackets += v.getBigUint64(base + c.members.open_packets, LE);
    out.closedPackets += v.getBigUint64(base + c.members.closed_packets, LE);
    out.backupPackets += v.getBigUint64(base + c.members.backup_packets, LE);
  }
  return out;
}

export function sumPerCpuU64(buf: Uint8Array, ncpus: number): bigint {
  const v = view(buf);
  let total = 0n;
  for (let cpu = 0; cpu < ncpus; cpu++) total += v.getBigUint64(cpu * 8, LE);
  return total;
}
