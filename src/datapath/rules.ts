// Validates DatapathRules and turns them into the exact contents the maps should hold.
import { formatPrefix, parseAddress, parsePrefix, prefixContains, type Prefix } from "../core/ipv6.js";
import {
  CAIRN_MAX_PREFIXES,
  CAIRN_MAX_RULES,
  CAIRN_MAX_RULES_PER_PREFIX,
  CAIRN_MAX_SEGMENTS,
  encodeLpmKey,
  encodePath,
  encodeRuleSet,
  type RuleSlot,
} from "./layout.js";
import type { DatapathRule } from "./types.js";

export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
}

export interface CompiledRules {
  /** LPM entries by hex of the key. */
  lpm: Map<string, MapEntry>;
  /** Path values by rule id. */
  paths: Map<number, Uint8Array>;
}

interface ParsedRule extends RuleSlot {
  cgroupId: bigint;
  prefix: Prefix;
  segments: Uint8Array[];
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const U64_MAX = (1n << 64n) - 1n;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function isIntIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

function parseRule(rule: DatapathRule, index: number): ParsedRule {
  const id = rule.ruleId;
  if (!isIntIn(id, 1, CAIRN_MAX_RULES - 1)) {
    throw new Error(`rule #${index}: ruleId ${String(id)} must be an integer in 1..${CAIRN_MAX_RULES - 1}`);
  }
  const bad = (what: string): never => {
    throw new Error(`rule ${id}: ${what}`);
  };
  if (typeof rule.cgroupId !== "bigint" || rule.cgroupId < 0n || rule.cgroupId > U64_MAX) {
    bad(`cgroupId ${String(rule.cgroupId)} must be a bigint in 0..2^64-1`);
  }
  const prefix = typeof rule.prefix === "string" ? parsePrefix(rule.prefix) : null;
  if (!prefix) bad(`prefix ${JSON.stringify(rule.prefix)} is not an IPv6 prefix "addr/len"`);
  if (!isIntIn(rule.protocol, 0, 255)) bad(`protocol ${String(rule.protocol)} must be an integer in 0..255`);
  if (!isIntIn(rule.portFrom, 0, 65535) || !isIntIn(rule.portTo, 0, 65535) || rule.portFrom > rule.portTo) {
    bad(`port range ${String(rule.portFrom)}..${String(rule.portTo)} must satisfy 0 <= from <= to <= 65535`);
  }
  const anyPort = rule.portFrom === 0 && rule.portTo === 65535;
  if (!anyPort && ![0, IPPROTO_TCP, IPPROTO_UDP].includes(rule.protocol)) {
    bad(`a port range needs protocol 6 (TCP), 17 (UDP) or 0, not ${rule.protocol}`);
  }
  if (!Array.isArray(rule.segments) || rule.segments.length > CAIRN_MAX_SEGMENTS) {
    bad(`needs 0..${CAIRN_MAX_SEGMENTS} segments, got ${Array.isArray(rule.segments) ? rule.segments.length : "none"}`);
  }
  const segments = rule.segments.map((s) => {
    const sid = typeof s === "string" ? parseAddress(s) : null;
    return sid ?? bad(`segment ${JSON.stringify(s)} is not an IPv6 address`);
  });
  return {
    ruleId: id,
    cgroupId: rule.cgroupId,
    prefix: prefix!,
    protocol: rule.protocol,
    portFrom: rule.portFrom,
    portTo: rule.portTo,
    segments,
  };
}

/** Most specific prefix first, then ascending rule id: the order the classifier tries slots in. */
function slotOrder(a: ParsedRule, b: ParsedRule): number {
  return b.prefix.len - a.prefix.len || a.ruleId - b.ruleId;
}

/**
 * Throws (naming the rule) on the first invalid rule, before anything is written.
 * Each LPM entry holds its own rules followed by those of the same cgroup's shorter prefixes
 * that cover it, because the kernel's LPM lookup returns only the longest match.
 */
export function compileRules(rules: readonly DatapathRule[]): CompiledRules {
  const parsed = rules.map(parseRule);
  const seen = new Set<number>();
  for (const r of parsed) {
    if (seen.has(r.ruleId)) throw new Error(`rule ${r.ruleId}: duplicate ruleId`);
    seen.add(r.ruleId);
  }

  const lpm = new Map<string, MapEntry>();
  for (const r of parsed) {
    const key = encodeLpmKey(r.cgroupId, r.prefix);
    const k = hex(key);
    if (lpm.has(k)) continue;
    const covering = parsed
      .filter((o) => o.cgroupId === r.cgroupId && o.prefix.len <= r.prefix.len && prefixContains(o.prefix, r.prefix.bytes))
      .sort(slotOrder);
    if (covering.length > CAIRN_MAX_RULES_PER_PREFIX) {
      throw new Error(
        `rule ${r.ruleId}: prefix ${formatPrefix(r.prefix)} of cgroup ${r.cgroupId} is covered by ${covering.length} rules ` +
          `(${covering.map((o) => o.ruleId).join(", ")}); at most ${CAIRN_MAX_RULES_PER_PREFIX} fit`,
      );
    }
    lpm.set(k, { key, value: encodeRuleSet(covering) });
  }
  if (lpm.size > CAIRN_MAX_PREFIXES) {
    throw new Error(`${lpm.size} distinct (cgroup, prefix) pairs; at most ${CAIRN_MAX_PREFIXES} fit`);
  }

  const paths = new Map(parsed.map((r) => [r.ruleId, encodePath(r.segments)] as const));
  return { lpm, paths };
}
