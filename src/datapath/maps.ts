// The datapath's maps, given their fds: reads them back, carries out plans, drains and frees.
import { join } from "node:path";
import { closeFd } from "./libc.js";
import * as bpf from "./libbpf.js";
import {
  EVENT_NAMES,
  MAPS,
  MAP_NAMES,
  LAYOUT,
  CAIRN_PATH_SLOT_MASK,
  decodeConfig,
  decodeLive,
  decodePath,
  decodeProbePath,
  encodeLive,
  encodeProbePath,
  type Liveness,
  decodeRuleSetIds,
  decodeRuleState,
  decodeU32,
  decodeU64,
  encodePath,
  encodeU32,
  perCpuStride,
  sumPerCpuCounters,
  sumPerCpuU64,
  type MapName,
} from "./layout.js";
import { applyWrites, hex, pathKey, planApply, unreferenced, watchSpec, type MapSnapshot } from "./plan.js";
import type { ApplyResult, Datapath, DatapathLimits, DesiredDatapath, LivenessTimings, PathLiveness, RuleCounters } from "./types.js";

export type MapFds = Record<MapName, number>;

/** How long an entry nothing refers to any more stays untouched before it is freed for reuse. */
export const DEFAULT_DRAIN_MS = 1_000;

export class DatapathMaps implements Datapath {
  private readonly ncpus = bpf.numPossibleCpus();
  private closed = false;
  /** "r<id>" / "p<slot>" → when it was first seen unreferenced. */
  private readonly unreferencedSince = new Map<string, number>();
  /** Paths the last apply kept for watch probes: no rule names them, yet they are in use. */
  private watchRefs: ReadonlySet<number> = new Set();
  private cached: MapSnapshot | null = null;

  private constructor(
    private readonly fds: MapFds,
    private readonly ownsFds: boolean,
    readonly limits: DatapathLimits,
    private readonly drainMs: number,
  ) {}

  /** Borrows fds owned by someone else (e.g. a loaded bpf_object). */
  static fromFds(fds: MapFds, limits: DatapathLimits, drainMs = DEFAULT_DRAIN_MS): DatapathMaps {
    return new DatapathMaps(fds, false, limits, drainMs);
  }

  /** Opens the maps pinned in pinDir; close() releases them. */
  static fromPins(pinDir: string, drainMs = DEFAULT_DRAIN_MS): DatapathMaps {
    const fds: Partial<MapFds> = {};
    try {
      for (const name of MAP_NAMES) fds[name] = bpf.objGet(join(pinDir, name));
    } catch (err) {
      for (const fd of Object.values(fds)) closeFd(fd);
      throw err;
    }
    return new DatapathMaps(fds as MapFds, true, limitsOf(fds as MapFds), drainMs);
  }

  private fd(name: MapName): number {
    if (this.closed) throw new Error("datapath maps are closed");
    return this.fds[name];
  }

  /**
   * Everything the planner needs: read back from the kernel once, then kept up to date with the
   * writes this object makes (the kernel itself writes only counters and liveness times). Reading
   * every rule id and path slot back costs about a thousand map lookups, four times a second.
   */
  snapshot(): MapSnapshot {
    return (this.cached ??= this.readSnapshot());
  }

  /** The planner's view read back from the kernel's maps now. */
  readSnapshot(): MapSnapshot {
    const ruleStates: MapSnapshot["ruleStates"] = new Map();
    const rsFd = this.fd("cairn_rule_state");
    for (let id = 1; id < this.limits.maxRules; id++) {
      const v = bpf.mapLookup(rsFd, encodeU32(id), MAPS.cairn_rule_state.valueSize);
      if (v && v.some((b) => b !== 0)) ruleStates.set(id, decodeRuleState(v));
    }
    const paths: MapSnapshot["paths"] = new Map();
    const pFd = this.fd("cairn_paths");
    const probeFd = this.fd("cairn_probes");
    for (let slot = 1; slot < this.limits.maxPaths; slot++) {
      const v = bpf.mapLookup(pFd, encodeU32(slot), MAPS.cairn_paths.valueSize);
      if (!v) continue;
      const { ref, path } = decodePath(v);
      if (ref === 0) continue;
      if (path) {
        const probe = bpf.mapLookup(probeFd, encodeU32(slot), MAPS.cairn_probes.valueSize);
        const d = probe ? decodeProbePath(probe) : null;
        path.probe = d && d.ref === ref ? d.sids : null;
      }
      paths.set(slot, { ref, content: path });
    }
    const cgroups = new Map<bigint, number>();
    const cFd = this.fd("cairn_cgroups");
    for (const key of bpf.mapKeys(cFd, MAPS.cairn_cgroups.keySize)) {
      const v = bpf.mapLookup(cFd, key, MAPS.cairn_cgroups.valueSize);
      if (v) cgroups.set(decodeU64(key), decodeU32(v));
    }
    const cfg = bpf.mapLookup(this.fd("cairn_config"), encodeU32(0), MAPS.cairn_config.valueSize);
    return { ruleStates, paths, lpm: this.lpmEntries(), cgroups, config: decodeConfig(cfg ?? new Uint8Array(LAYOUT.cairn_config.size)) };
  }

  /** LPM entries by hex of the key. */
  lpmEntries(): Map<string, { key: Uint8Array; value: Uint8Array }> {
    const fd = this.fd("cairn_rules");
    const out = new Map<string, { key: Uint8Array; value: Uint8Array }>();
    for (const key of bpf.mapKeys(fd, MAPS.cairn_rules.keySize)) {
      const value = bpf.mapLookup(fd, key, MAPS.cairn_rules.valueSize);
      if (value) out.set(hex(key), { key, value });
    }
    return out;
  }

  apply(desired: DesiredDatapath, nowMs = Date.now()): ApplyResult {
    const before = this.snapshot();
    const plan = planApply(before, desired, this.limits);
    try {
      for (const w of plan.writes) {
        if (w.op === "resetCounters") this.resetCounters(w.ruleId);
        else if (w.op === "update") bpf.mapUpdate(this.fd(w.map), w.key, w.value);
        else bpf.mapDelete(this.fd(w.map), w.key);
      }
      this.cached = applyWrites(before, plan.writes);
    } catch (e) {
      this.cached = null; // part written: read the kernel's maps back next time
      throw e;
    }
    this.watchRefs = new Set((desired.probe ? (desired.watch ?? []) : []).map((w) => plan.pathRefs.get(pathKey(watchSpec(w)))!));
    this.noteUnreferenced(this.snapshot(), nowMs);
    return { ruleIds: plan.ruleIds, writes: plan.writes.length, pathRefs: plan.pathRefs };
  }

  watchPath(ref: number, t: LivenessTimings, lastReturnNs: bigint): void {
    const slot = ref & CAIRN_PATH_SLOT_MASK;
    bpf.mapUpdate(this.fd("cairn_live"), encodeU32(slot), encodeLive({ ref, lastSentNs: 0n, lastReturnNs, upSinceNs: 0n, firstUnansweredNs: 0n, ...t }));
  }

  retimePath(ref: number, t: LivenessTimings): void {
    const current = this.liveEntry(ref);
    if (!current) return;
    // The kernel writes the times concurrently: only the timings change, each an aligned 32-bit word,
    // but a map update writes the whole value, so re-read the times as late as possible.
    bpf.mapUpdate(this.fd("cairn_live"), encodeU32(ref & CAIRN_PATH_SLOT_MASK), encodeLive({ ...(this.liveEntry(ref) ?? current), ...t }));
  }

  private liveEntry(ref: number): Liveness | null {
    const v = bpf.mapLookup(this.fd("cairn_live"), encodeU32(ref & CAIRN_PATH_SLOT_MASK), MAPS.cairn_live.valueSize);
    const l = v ? decodeLive(v) : null;
    return l && l.ref === ref ? l : null;
  }

  liveness(ref: number): PathLiveness | null {
    const l = this.liveEntry(ref);
    return l ? { lastSentNs: l.lastSentNs, lastReturnNs: l.lastReturnNs, upSinceNs: l.upSinceNs, firstUnansweredNs: l.firstUnansweredNs } : null;
  }

  private noteUnreferenced(snap: MapSnapshot, nowMs: number): { rules: number[]; paths: number[] } {
    const named = new Set<number>();
    for (const e of snap.lpm.values()) for (const id of decodeRuleSetIds(e.value)) named.add(id);
    const u = unreferenced(snap, named, this.watchRefs);
    const now = new Set([...u.rules.map((id) => `r${id}`), ...u.paths.map((s) => `p${s}`)]);
    for (const k of this.unreferencedSince.keys()) if (!now.has(k)) this.unreferencedSince.delete(k);
    for (const k of now) if (!this.unreferencedSince.has(k)) this.unreferencedSince.set(k, nowMs);
    return u;
  }

  collect(nowMs = Date.now()): number {
    const snap = this.snapshot();
    const u = this.noteUnreferenced(snap, nowMs);
    const drained = (k: string) => nowMs - (this.unreferencedSince.get(k) ?? nowMs) >= this.drainMs;
    let freed = 0;
    const freedRules = new Set<number>();
    for (const id of u.rules) {
      if (!drained(`r${id}`)) continue;
      bpf.mapUpdate(this.fd("cairn_rule_state"), encodeU32(id), new Uint8Array(MAPS.cairn_rule_state.valueSize));
      this.unreferencedSince.delete(`r${id}`);
      freedRules.add(id);
      freed++;
    }
    if (freedRules.size) this.forgetFragments(freedRules);
    if (freedRules.size) this.cached = null;
    for (const slot of u.paths) {
      if (!drained(`p${slot}`)) continue;
      this.cached = null;
      const ref = snap.paths.get(slot)!.ref;
      bpf.mapUpdate(this.fd("cairn_paths"), encodeU32(slot), encodePath(ref, null));
      bpf.mapUpdate(this.fd("cairn_probes"), encodeU32(slot), encodeProbePath(ref, null));
      this.unreferencedSince.delete(`p${slot}`);
      freed++;
    }
    return freed;
  }

  /** Fragment decisions naming freed rule ids go, so a reused id never inherits them. */
  private forgetFragments(ruleIds: Set<number>): void {
    const fd = this.fd("cairn_frags");
    for (const key of bpf.mapKeys(fd, MAPS.cairn_frags.keySize)) {
      const v = bpf.mapLookup(fd, key, MAPS.cairn_frags.valueSize);
      if (v && ruleIds.has(decodeU32(v))) bpf.mapDelete(fd, key);
    }
  }

  /** Rule ids in use (installed or draining). */
  ruleIds(): number[] {
    return [...this.snapshot().ruleStates.keys()];
  }

  counters(): Map<number, RuleCounters> {
    const fd = this.fd("cairn_stats");
    const size = perCpuStride(MAPS.cairn_stats.valueSize) * this.ncpus;
    const out = new Map<number, RuleCounters>();
    for (const id of this.ruleIds()) {
      const value = bpf.mapLookup(fd, encodeU32(id), size);
      out.set(id, value ? sumPerCpuCounters(value, this.ncpus) : { packets: 0n, bytes: 0n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n });
    }
    return out;
  }

  events(): Map<string, bigint> {
    const fd = this.fd("cairn_events");
    const out = new Map<string, bigint>();
    for (const [ev, name] of EVENT_NAMES) {
      const value = bpf.mapLookup(fd, encodeU32(ev), 8 * this.ncpus);
      out.set(name, value ? sumPerCpuU64(value, this.ncpus) : 0n);
    }
    return out;
  }

  private resetCounters(ruleId: number): void {
    const zero = new Uint8Array(perCpuStride(MAPS.cairn_stats.valueSize) * this.ncpus);
    bpf.mapUpdate(this.fd("cairn_stats"), encodeU32(ruleId), zero);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFds) for (const fd of Object.values(this.fds)) closeFd(fd);
  }
}

/** The sizes the maps behind fds were created with. */
export function limitsOf(fds: MapFds): DatapathLimits {
  const max = (name: MapName) => bpf.mapInfo(fds[name]).maxEntries;
  return {
    maxRules: max("cairn_rule_state"),
    maxPaths: max("cairn_paths"),
    maxPrefixes: max("cairn_rules"),
    maxCgroups: max("cairn_cgroups"),
    maxFragments: max("cairn_frags"),
  };
}
