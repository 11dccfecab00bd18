// A Datapath without a kernel: the real planner's writes applied to maps held in memory.
// For tests of the logic around the datapath (agent, controller) and for simulated agents;
// egress.spec.ts and datapath.spec.ts hold the kernel to the same contract.
import { CAIRN_PATH_SLOT_MASK, decodeConfig, decodePath, decodeProbePath, decodeRuleSetIds, decodeRuleState, decodeU32, decodeU64, type ConfigValue } from "./layout.js";
import { hex, pathKey, planApply, unreferenced, watchSpec, type MapSnapshot, type MapWrite } from "./plan.js";
import type { ApplyResult, Datapath, DatapathLimits, DesiredDatapath, LivenessTimings, PathLiveness, RuleCounters } from "./types.js";

const NO_CONFIG: ConfigValue = { encapSource: new Uint8Array(16), flags: 0, maxLevel: 0, levelMask: 0, probePort: 0, probeSecret: 0 };

export function emptySnapshot(): MapSnapshot {
  return { ruleStates: new Map(), paths: new Map(), lpm: new Map(), cgroups: new Map(), config: NO_CONFIG };
}

/** Carries out writes on a snapshot, as maps.ts does on the kernel's maps. */
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

export const MEMORY_LIMITS: DatapathLimits = { maxRules: 1024, maxPaths: 1024, maxPrefixes: 1024, maxCgroups: 256, maxFragments: 4096 };

export class MemoryDatapath implements Datapath {
  snapshot: MapSnapshot = emptySnapshot();
  /** Every desired state applied successfully, in order. */
  readonly applied: DesiredDatapath[] = [];
  /** The next apply throws this (once). */
  failNext: Error | null = null;
  /** Packets each rule id "saw": tests set them to check counters flow through. */
  readonly fakeCounters = new Map<number, RuleCounters>();
  closed = false;
  private readonly since = new Map<string, number>();
  private watchRefs: ReadonlySet<number> = new Set();

  constructor(
    readonly limits: DatapathLimits = MEMORY_LIMITS,
    private readonly drainMs = 1_000,
  ) {}

  apply(desired: DesiredDatapath, nowMs = Date.now()): ApplyResult {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    const plan = planApply(this.snapshot, desired, this.limits);
    this.snapshot = applyWrites(this.snapshot, plan.writes);
    this.applied.push(structuredClone(desired));
    this.watchRefs = new Set((desired.probe ? (desired.watch ?? []) : []).map((w) => plan.pathRefs.get(pathKey(watchSpec(w)))!));
    this.note(nowMs);
    return { ruleIds: plan.ruleIds, writes: plan.writes.length, pathRefs: plan.pathRefs };
  }

  /** Liveliness entries by slot, as the kernel would hold them; tests move the times by hand. */
  readonly live = new Map<number, PathLiveness & LivenessTimings & { ref: number }>();

  watchPath(ref: number, t: LivenessTimings, lastReturnNs: bigint): void {
    this.live.set(ref & CAIRN_PATH_SLOT_MASK, { ref, lastSentNs: 0n, lastReturnNs, upSinceNs: 0n, firstUnansweredNs: 0n, ...t });
  }

  retimePath(ref: number, t: LivenessTimings): void {
    const l = this.live.get(ref & CAIRN_PATH_SLOT_MASK);
    if (l && l.ref === ref) Object.assign(l, t);
  }

  liveness(ref: number): PathLiveness | null {
    const l = this.live.get(ref & CAIRN_PATH_SLOT_MASK);
    return l && l.ref === ref ? { lastSentNs: l.lastSentNs, lastReturnNs: l.lastReturnNs, upSinceNs: l.upSinceNs, firstUnansweredNs: l.firstUnansweredNs } : null;
  }

  get last(): DesiredDatapath | undefined {
    return this.applied[this.applied.length - 1];
  }

  private note(nowMs: number): { rules: number[]; paths: number[] } {
    const named = new Set([...this.snapshot.lpm.values()].flatMap((e) => decodeRuleSetIds(e.value)));
    const u = unreferenced(this.snapshot, named, this.watchRefs);
    const keys = new Set([...u.rules.map((r) => `r${r}`), ...u.paths.map((p) => `p${p}`)]);
    for (const k of this.since.keys()) if (!keys.has(k)) this.since.delete(k);
    for (const k of keys) if (!this.since.has(k)) this.since.set(k, nowMs);
    return u;
  }

  collect(nowMs = Date.now()): number {
    const u = this.note(nowMs);
    let freed = 0;
    for (const id of u.rules) {
      if (nowMs - this.since.get(`r${id}`)! < this.drainMs) continue;
      this.snapshot.ruleStates.delete(id);
      this.since.delete(`r${id}`);
      freed++;
    }
    for (const slot of u.paths) {
      if (nowMs - this.since.get(`p${slot}`)! < this.drainMs) continue;
      this.snapshot.paths.set(slot, { ref: this.snapshot.paths.get(slot)!.ref, content: null });
      this.since.delete(`p${slot}`);
      freed++;
    }
    return freed;
  }

  counters(): Map<number, RuleCounters> {
    const out = new Map<number, RuleCounters>();
    for (const id of this.snapshot.ruleStates.keys()) out.set(id, this.fakeCounters.get(id) ?? { packets: 0n, bytes: 0n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n });
    return out;
  }

  events(): Map<string, bigint> {
    return new Map();
  }

  close(): void {
    this.closed = true;
  }
}
