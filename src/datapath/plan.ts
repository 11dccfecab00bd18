// From what the maps hold and what the agent wants to the exact, ordered map writes. Pure.
//
// Order (README "Datapath"): new path slots, then new and changed rule states, then LPM
// entries (upserts, then deletions). A packet therefore only ever meets complete paths and
// rules: a slot is written before any rule names it, a rule before any LPM slot names it.
// Nothing is freed here: what is no longer referenced drains first (collect.ts).
import { createHash } from "node:crypto";
import { parseAddress, prefixContains, type Prefix } from "../core/ipv6.js";
import { parseFamilyPrefix, type FamilyPrefix } from "./addresses.js";
import {
  decodeConfig,
  decodePath,
  decodeProbePath,
  decodeRuleState,
  decodeU32,
  decodeU64,
  CAIRN_ANY_UID,
  CAIRN_CFG_ANY_V4,
  CAIRN_CFG_ANY_V6,
  CAIRN_CFG_UID,
  CAIRN_CFG_V4,
  CAIRN_CFG_V6,
  CAIRN_MAX_CGROUP_LEVEL,
  CAIRN_MAX_RULES_PER_PREFIX,
  CAIRN_MAX_PROBE_SIDS,
  CAIRN_MAX_SIDS,
  CAIRN_MODE_ENCAP,
  CAIRN_MODE_INLINE,
  CAIRN_PATH_SLOT_MASK,
  CAIRN_RULE_CLOSED,
  CAIRN_RULE_NO_LIVENESS,
  CAIRN_RULE_USE_BACKUP,
  encodeConfig,
  encodeLpmKey,
  encodePath,
  encodeProbePath,
  encodeRuleSet,
  encodeRuleState,
  encodeU32,
  encodeU64,
  type ConfigValue,
  type MapName,
  type PathContent,
  type RuleSlot,
  type RuleState,
} from "./layout.js";
import { CapacityError, type DatapathLimits, type DatapathRule, type DesiredDatapath, type PathSpec } from "./types.js";

/** What the maps hold, read back (or remembered) by maps.ts. */
export interface MapSnapshot {
  /** Rule ids whose state is not all zero. */
  ruleStates: Map<number, RuleState>;
  /** Path slots with a non-zero ref (free ones keep their last generation with content null). */
  paths: Map<number, { ref: number; content: PathContent | null }>;
  /** LPM entries by hex of the key. */
  lpm: Map<string, { key: Uint8Array; value: Uint8Array }>;
  cgroups: Map<bigint, number>;
  config: ConfigValue;
}

export type MapWrite =
  | { op: "update"; map: MapName; key: Uint8Array; value: Uint8Array }
  | { op: "delete"; map: MapName; key: Uint8Array }
  | { op: "resetCounters"; ruleId: number };

export interface Plan {
  writes: MapWrite[];
  ruleIds: Map<string, number>;
  /** The ref of every path the desired rules use, by pathKey(). */
  pathRefs: Map<string, number>;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** 16 bytes that stand for a rule identity in its rule state. */
export function identityDigest(identity: string): Uint8Array {
  return Uint8Array.from(createHash("sha256").update(identity).digest().subarray(0, 16));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

interface ParsedRule {
  rule: DatapathRule;
  family: 4 | 6;
  destinations: FamilyPrefix[];
  source: Prefix | null;
  primary: PathContent | null;
  backup: PathContent | null;
  digest: Uint8Array;
}

function isIntIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

/** A watch probe as a path: no rule sends on it, it only carries its probe. */
export function watchSpec(probe: string[]): PathSpec {
  return { mode: "inline", sids: [], probe };
}

function watchContent(probe: string[]): PathContent {
  if (probe.length < 1 || probe.length > CAIRN_MAX_PROBE_SIDS) throw new Error(`a watch probe has ${probe.length} SIDs; 1..${CAIRN_MAX_PROBE_SIDS} fit`);
  return { mode: CAIRN_MODE_INLINE, sids: [], probe: probe.map((s) => parseAddress(s) ?? badWatch(s)) };
}

function badWatch(sid: string): never {
  throw new Error(`watch probe SID ${JSON.stringify(sid)} is not an IPv6 address`);
}

/** Identifies a path: the same key, the same slot (and the same probe stream). */
export function pathKey(p: PathSpec): string {
  return `${p.mode}|${p.sids.join(",")}|${(p.probe ?? []).join(",")}`;
}

function parsePath(rule: DatapathRule, which: string, p: PathSpec | null, family: 4 | 6): PathContent | null {
  if (!p) return null;
  const bad = (why: string): never => {
    throw new Error(`rule ${rule.identity}: ${which} path: ${why}`);
  };
  if (p.mode !== (family === 6 ? "inline" : "encap")) bad(`mode ${p.mode} does not suit IPv${family} destinations (IPv6 is inline, IPv4 encap)`);
  const max = p.mode === "inline" ? CAIRN_MAX_SIDS - 1 : CAIRN_MAX_SIDS;
  const min = p.mode === "inline" ? 0 : 1;
  if (!Array.isArray(p.sids) || p.sids.length < min || p.sids.length > max) {
    bad(`has ${Array.isArray(p.sids) ? p.sids.length : "no"} SIDs; ${p.mode} paths hold ${min}..${max}`);
  }
  const sids = p.sids.map((s) => parseAddress(s) ?? bad(`SID ${JSON.stringify(s)} is not an IPv6 address`));
  let probe: Uint8Array[] | null = null;
  if (p.probe !== undefined) {
    if (!Array.isArray(p.probe) || p.probe.length < 1 || p.probe.length > CAIRN_MAX_PROBE_SIDS) bad(`its probe has ${Array.isArray(p.probe) ? p.probe.length : "no"} SIDs; 1..${CAIRN_MAX_PROBE_SIDS} fit`);
    probe = p.probe.map((s) => parseAddress(s) ?? bad(`probe SID ${JSON.stringify(s)} is not an IPv6 address`));
  }
  return { mode: p.mode === "inline" ? CAIRN_MODE_INLINE : CAIRN_MODE_ENCAP, sids, probe };
}

function parseRule(rule: DatapathRule, classes: Set<number>): ParsedRule {
  const bad = (why: string): never => {
    throw new Error(`rule ${rule.identity}: ${why}`);
  };
  if (typeof rule.identity !== "string" || rule.identity === "") throw new Error("a datapath rule has no identity");
  if (!isIntIn(rule.classId, 0, 0xffffffff) || (rule.classId !== 0 && !classes.has(rule.classId))) bad(`class ${rule.classId} is not one of the cgroup classes`);
  const destinations = rule.destinations.map((d) => parseFamilyPrefix(d) ?? bad(`destination ${JSON.stringify(d)} is not a prefix`));
  const families = new Set(destinations.map((d) => d.family));
  if (families.size > 1) bad("destinations mix IPv4 and IPv6");
  const family: 4 | 6 = destinations[0]?.family ?? (rule.primary?.mode === "encap" ? 4 : 6);
  let source: Prefix | null = null;
  if (rule.source !== null) {
    const s = parseFamilyPrefix(rule.source) ?? bad(`source ${JSON.stringify(rule.source)} is not a prefix`);
    if (s.family !== family) bad(`source ${rule.source} is IPv${s.family}, destinations IPv${family}`);
    source = s.prefix;
  }
  if (rule.uid !== null && !isIntIn(rule.uid, 0, CAIRN_ANY_UID - 1)) bad(`uid ${String(rule.uid)} is out of range`);
  if (!isIntIn(rule.protocol, 0, 255)) bad(`protocol ${String(rule.protocol)} must be 0..255`);
  if (!isIntIn(rule.portFrom, 0, 65535) || !isIntIn(rule.portTo, 0, 65535) || rule.portFrom > rule.portTo) {
    bad(`port range ${String(rule.portFrom)}..${String(rule.portTo)} must satisfy 0 <= from <= to <= 65535`);
  }
  return {
    rule,
    family,
    destinations,
    source,
    primary: parsePath(rule, "primary", rule.primary, family),
    backup: parsePath(rule, "backup", rule.backup, family),
    digest: identityDigest(rule.identity),
  };
}

/** cairn_rule_state.flags of a rule; USE_BACKUP only when it has a backup. */
function ruleFlags(rule: DatapathRule, hasBackup: boolean): number {
  return (rule.closed ? CAIRN_RULE_CLOSED : 0) | (rule.useBackup && hasBackup ? CAIRN_RULE_USE_BACKUP : 0) | (rule.noLiveness ? CAIRN_RULE_NO_LIVENESS : 0);
}

function contentKey(p: PathContent): string {
  return `${p.mode}:${p.sids.map(hex).join(",")}:${(p.probe ?? []).map(hex).join(",")}`;
}

/** Most specific destination first, then priority, then identity: the order the classifier tries slots in. */
function slotOrder(a: { len: number; r: ParsedRule }, b: { len: number; r: ParsedRule }): number {
  return b.len - a.len || a.r.rule.priority - b.r.rule.priority || (a.r.rule.identity < b.r.rule.identity ? -1 : a.r.rule.identity > b.r.rule.identity ? 1 : 0);
}

function lpmEntries(rules: { r: ParsedRule; id: number }[]): Map<string, { key: Uint8Array; value: Uint8Array; label: string }> {
  const out = new Map<string, { key: Uint8Array; value: Uint8Array; label: string }>();
  const byClass = new Map<number, { r: ParsedRule; id: number }[]>();
  for (const x of rules) {
    const list = byClass.get(x.r.rule.classId) ?? [];
    list.push(x);
    byClass.set(x.r.rule.classId, list);
  }
  for (const [classId, list] of byClass) {
    for (const { r } of list) {
      for (const d of r.destinations) {
        const key = encodeLpmKey(classId, d.prefix);
        const k = hex(key);
        if (out.has(k)) continue;
        const covering: { len: number; r: ParsedRule; id: number }[] = [];
        for (const o of list) {
          const lens = o.r.destinations.filter((q) => q.prefix.len <= d.prefix.len && prefixContains(q.prefix, d.prefix.bytes)).map((q) => q.prefix.len);
          if (lens.length) covering.push({ len: Math.max(...lens), r: o.r, id: o.id });
        }
        covering.sort(slotOrder);
        const label = `${d.family === 4 ? "IPv4" : "IPv6"} destination ${r.rule.destinations[r.destinations.indexOf(d)]} (class ${classId})`;
        if (covering.length > CAIRN_MAX_RULES_PER_PREFIX) {
          throw new CapacityError(
            "rulesPerPrefix",
            covering.length,
            CAIRN_MAX_RULES_PER_PREFIX,
            `${label} is matched by ${covering.length} rules (${covering.map((c) => c.r.rule.identity).join(", ")}); the datapath holds at most ${CAIRN_MAX_RULES_PER_PREFIX} per destination`,
          );
        }
        const slots: RuleSlot[] = covering.map((c) => ({
          ruleId: c.id,
          uid: c.r.rule.uid ?? CAIRN_ANY_UID,
          protocol: c.r.rule.protocol,
          portFrom: c.r.rule.portFrom,
          portTo: c.r.rule.portTo,
          source: c.r.source,
        }));
        out.set(k, { key, value: encodeRuleSet(slots), label });
      }
    }
  }
  return out;
}

function configFor(rules: ParsedRule[], desired: DesiredDatapath, classesInUse: Set<number>): ConfigValue {
  let flags = 0;
  for (const r of rules) {
    flags |= r.family === 6 ? CAIRN_CFG_V6 : CAIRN_CFG_V4;
    if (r.rule.classId === 0) flags |= r.family === 6 ? CAIRN_CFG_ANY_V6 : CAIRN_CFG_ANY_V4;
    if (r.rule.uid !== null) flags |= CAIRN_CFG_UID;
  }
  let levelMask = 0;
  let maxLevel = 0;
  for (const c of desired.cgroups) {
    if (!classesInUse.has(c.classId)) continue;
    levelMask |= 1 << c.level;
    maxLevel = Math.max(maxLevel, c.level);
  }
  const encapSource = desired.encapSource ? parseAddress(desired.encapSource) : null;
  return {
    encapSource: encapSource ?? new Uint8Array(16),
    flags,
    maxLevel,
    levelMask: levelMask >>> 0,
    probePort: desired.probe?.port ?? 0,
    probeSecret: desired.probe?.secret ?? 0,
  };
}

function sameConfig(a: ConfigValue, b: ConfigValue): boolean {
  return (
    a.flags === b.flags &&
    a.maxLevel === b.maxLevel &&
    a.levelMask === b.levelMask &&
    sameBytes(a.encapSource, b.encapSource) &&
    a.probePort === b.probePort &&
    a.probeSecret === b.probeSecret
  );
}

/** Old and new entries of a map coexist while an update switches over: both must fit at once. */
function checkSwitch<K>(limit: "maxPrefixes" | "maxCgroups", before: Iterable<K>, after: Iterable<K>, max: number, what: string, option: string): void {
  const next = new Set(after);
  const union = new Set([...before, ...next]).size;
  if (union <= max) return;
  throw new CapacityError(limit, union, max, `the update needs ${next.size} ${what} (${union} while old and new coexist during the switch); the datapath holds ${max} (agent option ${option})`);
}

/**
 * The writes that make the maps hold `desired`, given `snapshot`. Throws (naming the rule or
 * the limit) before producing any write when the desired state is invalid or does not fit.
 */
export function planApply(snapshot: MapSnapshot, desired: DesiredDatapath, limits: DatapathLimits): Plan {
  const classes = new Set<number>();
  for (const c of desired.cgroups) {
    if (!isIntIn(c.classId, 1, 0xffffffff)) throw new Error(`cgroup ${c.id}: class ${c.classId} must be 1..2^32-1`);
    if (!isIntIn(c.level, 1, CAIRN_MAX_CGROUP_LEVEL)) throw new Error(`cgroup ${c.id}: level ${c.level} must be 1..${CAIRN_MAX_CGROUP_LEVEL}`);
    classes.add(c.classId);
  }
  const identities = new Set<string>();
  for (const r of desired.rules) {
    if (identities.has(r.identity)) throw new Error(`rule ${r.identity}: duplicate identity`);
    identities.add(r.identity);
  }
  const parsed = desired.rules.map((r) => parseRule(r, classes)).filter((r) => r.destinations.length > 0);
  const encap = parsed.some((r) => r.primary?.mode === CAIRN_MODE_ENCAP || r.backup?.mode === CAIRN_MODE_ENCAP);
  if (encap && (!desired.encapSource || !parseAddress(desired.encapSource))) {
    throw new Error("IPv4 rules need the host's IPv6 address as the outer source of their encapsulation");
  }

  // Rule ids: the same identity keeps its id (and counters); new identities take free ids.
  const idByDigest = new Map<string, number>();
  for (const [id, s] of snapshot.ruleStates) if (!isZero(s.key)) idByDigest.set(hex(s.key), id);
  const ruleIds = new Map<string, number>();
  const needIds = parsed.filter((r) => !idByDigest.has(hex(r.digest)));
  const freeIds: number[] = [];
  for (let id = 1; id < limits.maxRules && freeIds.length < needIds.length; id++) if (!snapshot.ruleStates.has(id)) freeIds.push(id);
  if (freeIds.length < needIds.length) {
    const inUse = snapshot.ruleStates.size;
    throw new CapacityError(
      "maxRules",
      needIds.length,
      freeIds.length,
      `the update needs ${needIds.length} new rule ids but only ${freeIds.length} are free (the datapath holds ${limits.maxRules - 1} rules; ${inUse} in use or draining; agent option --max-rules)`,
    );
  }
  needIds.forEach((r, i) => idByDigest.set(hex(r.digest), freeIds[i]!));
  const withIds = parsed.map((r) => ({ r, id: idByDigest.get(hex(r.digest))! }));
  for (const { r, id } of withIds) ruleIds.set(r.rule.identity, id);

  // Path slots: one per distinct content, shared by every rule that uses it; new content takes a free slot.
  const refByContent = new Map<string, number>();
  for (const [, p] of snapshot.paths) if (p.content) refByContent.set(contentKey(p.content), p.ref);
  const newPaths = new Map<string, PathContent>();
  const watch = (desired.probe ? (desired.watch ?? []) : []).map(watchContent);
  for (const p of [...withIds.flatMap(({ r }) => [r.primary, r.backup]), ...watch]) if (p && !refByContent.has(contentKey(p))) newPaths.set(contentKey(p), p);
  const freeSlots: number[] = [];
  for (let slot = 1; slot < Math.min(limits.maxPaths, CAIRN_PATH_SLOT_MASK + 1) && freeSlots.length < newPaths.size; slot++) {
    if (!snapshot.paths.get(slot)?.content) freeSlots.push(slot);
  }
  if (freeSlots.length < newPaths.size) {
    throw new CapacityError(
      "maxPaths",
      newPaths.size,
      freeSlots.length,
      `the update needs ${newPaths.size} new paths but only ${freeSlots.length} path slots are free (the datapath holds ${limits.maxPaths - 1} distinct paths; agent option --max-paths)`,
    );
  }
  const writes: MapWrite[] = [];
  const pathWrites: MapWrite[] = [];
  [...newPaths].forEach(([k, content], i) => {
    const slot = freeSlots[i]!;
    const generation = (((snapshot.paths.get(slot)?.ref ?? 0) >>> 16) + 1) & 0xffff;
    const ref = (slot | (generation << 16)) >>> 0;
    refByContent.set(k, ref);
    // The probe entry first: a path slot's ref is only ever named once everything under it is in place.
    pathWrites.push({ op: "update", map: "cairn_probes", key: encodeU32(slot), value: encodeProbePath(ref, content.probe) });
    pathWrites.push({ op: "update", map: "cairn_paths", key: encodeU32(slot), value: encodePath(ref, content) });
  });

  // LPM entries (validated before anything is written).
  const lpm = lpmEntries(withIds);
  checkSwitch("maxPrefixes", snapshot.lpm.keys(), lpm.keys(), limits.maxPrefixes, "destination entries", "--max-prefixes");
  const classesInUse = new Set(parsed.map((r) => r.rule.classId));
  const wantCgroups = new Map(desired.cgroups.filter((c) => classesInUse.has(c.classId)).map((c) => [c.id, c.classId] as const));
  checkSwitch("maxCgroups", snapshot.cgroups.keys(), wantCgroups.keys(), limits.maxCgroups, "cgroups", "--max-cgroups");

  // 1. Config that admits both the old and the new rules, and the new cgroups.
  const config = configFor(parsed, desired, classesInUse);
  const transitional: ConfigValue = {
    encapSource: isZero(config.encapSource) ? snapshot.config.encapSource : config.encapSource,
    flags: config.flags | snapshot.config.flags,
    maxLevel: Math.max(config.maxLevel, snapshot.config.maxLevel),
    levelMask: (config.levelMask | snapshot.config.levelMask) >>> 0,
    probePort: config.probePort,
    probeSecret: config.probeSecret,
  };
  const zeroKey = encodeU32(0);
  if (!sameConfig(transitional, snapshot.config)) writes.push({ op: "update", map: "cairn_config", key: zeroKey, value: encodeConfig(transitional) });
  for (const [id, classId] of wantCgroups) {
    if (snapshot.cgroups.get(id) !== classId) writes.push({ op: "update", map: "cairn_cgroups", key: encodeU64(id), value: encodeU32(classId) });
  }
  // 2. Paths, 3. rule states.
  writes.push(...pathWrites);
  const pathRefs = new Map<string, number>();
  for (const { r } of withIds) {
    for (const [spec, content] of [[r.rule.primary, r.primary], [r.rule.backup, r.backup]] as const) {
      if (spec && content) pathRefs.set(pathKey(spec), refByContent.get(contentKey(content))!);
    }
  }
  for (const w of desired.probe ? (desired.watch ?? []) : []) pathRefs.set(pathKey(watchSpec(w)), refByContent.get(contentKey(watchContent(w)))!);
  for (const { r, id } of withIds) {
    const state: RuleState = {
      primary: r.primary ? refByContent.get(contentKey(r.primary))! : 0,
      backup: r.backup ? refByContent.get(contentKey(r.backup))! : 0,
      flags: ruleFlags(r.rule, r.backup !== null),
      key: r.digest,
    };
    const old = snapshot.ruleStates.get(id);
    if (!old) writes.push({ op: "resetCounters", ruleId: id });
    if (!old || old.primary !== state.primary || old.backup !== state.backup || old.flags !== state.flags || !sameBytes(old.key, state.key)) {
      writes.push({ op: "update", map: "cairn_rule_state", key: encodeU32(id), value: encodeRuleState(id, state) });
    }
  }
  // 4. LPM upserts, then deletions.
  for (const [k, e] of lpm) {
    const old = snapshot.lpm.get(k);
    if (!old || !sameBytes(old.value, e.value)) writes.push({ op: "update", map: "cairn_rules", key: e.key, value: e.value });
  }
  for (const [k, e] of snapshot.lpm) if (!lpm.has(k)) writes.push({ op: "delete", map: "cairn_rules", key: e.key });
  // 5. Cgroups and config down to exactly what the new rules need.
  for (const id of snapshot.cgroups.keys()) if (!wantCgroups.has(id)) writes.push({ op: "delete", map: "cairn_cgroups", key: encodeU64(id) });
  if (!sameConfig(config, transitional)) writes.push({ op: "update", map: "cairn_config", key: zeroKey, value: encodeConfig(config) });
  return { writes, ruleIds, pathRefs };
}

/** Rule ids no LPM entry names, and path slots no (live or draining) rule names and no watch probe uses. */
export function unreferenced(snapshot: MapSnapshot, lpmRuleIds: Set<number>, watchRefs: ReadonlySet<number> = new Set()): { rules: number[]; paths: number[] } {
  const rules = [...snapshot.ruleStates.keys()].filter((id) => !lpmRuleIds.has(id));
  const usedRefs = new Set<number>(watchRefs);
  for (const s of snapshot.ruleStates.values()) {
    if (s.primary) usedRefs.add(s.primary);
    if (s.backup) usedRefs.add(s.backup);
  }
  const paths = [...snapshot.paths].filter(([, p]) => p.content && !usedRefs.has(p.ref)).map(([slot]) => slot);
  return { rules, paths };
}

const NO_CONFIG: ConfigValue = { encapSource: new Uint8Array(16), flags: 0, maxLevel: 0, levelMask: 0, probePort: 0, probeSecret: 0 };

export function emptySnapshot(): MapSnapshot {
  return { ruleStates: new Map(), paths: new Map(), lpm: new Map(), cgroups: new Map(), config: NO_CONFIG };
}

/** Carries out writes on a snapshot, as maps.ts does on the kernel's maps (and on its copy of them). */
export function applyWrites(s: MapSnapshot, writes: MapWrite[]): MapSnapshot {
  const next: MapSnapshot = { ruleStates: new Map(s.ruleStates), paths: new Map(s.paths), lpm: new Map(s.lpm), cgroups: new Map(s.cgroups), config: s.config };
  // A slot's probe entry is written just before its path: keep it until the path joins it.
  const probes = new Map<number, { ref: number; sids: Uint8Array[] | null }>();
  for (const w of writes) {
    if (w.op === "resetCounters") continue;
    if (w.map === "cairn_rule_state" && w.op === "update") {
      const st = decodeRuleState(w.value);
      if (st.key.some((b) => b) || st.primary || st.backup) next.ruleStates.set(decodeU32(w.key), st);
      else next.ruleStates.delete(decodeU32(w.key));
    } else if (w.map === "cairn_paths" && w.op === "update") {
      const d = decodePath(w.value);
      const probe = probes.get(decodeU32(w.key));
      if (d.path) d.path.probe = probe && probe.ref === d.ref ? probe.sids : null;
      next.paths.set(decodeU32(w.key), { ref: d.ref, content: d.path });
    } else if (w.map === "cairn_probes" && w.op === "update") {
      probes.set(decodeU32(w.key), decodeProbePath(w.value));
    } else if (w.map === "cairn_rules") {
      if (w.op === "update") next.lpm.set(hex(w.key), { key: w.key, value: w.value });
      else next.lpm.delete(hex(w.key));
    } else if (w.map === "cairn_cgroups") {
      if (w.op === "update") next.cgroups.set(decodeU64(w.key), decodeU32(w.value));
      else next.cgroups.delete(decodeU64(w.key));
    } else if (w.map === "cairn_config" && w.op === "update") next.config = decodeConfig(w.value);
    else throw new Error(`unexpected write ${w.op} ${w.map}`);
  }
  return next;
}
