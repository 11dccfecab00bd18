// A Datapath without a kernel: the real planner's writes applied to maps held in memory.
// For tests of the logic around the datapath (agent, controller) and for simulated agents;
// egress.spec.ts and datapath.spec.ts hold the kernel to the same contract.
import { CAIRN_PATH_SLOT_MASK, decodeRuleSetIds } from "./layout.js";
import { applyWrites, emptySnapshot, pathKey, planApply, unreferenced, watchSpec, type MapSnapshot } from "./plan.js";

export { applyWrites, emptySnapshot };
import type { ApplyResult, Datapath, DatapathLimits, DesiredDatapath, LivenessTimings, PathLiveness, RuleCounters } from "./types.js";

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
