// The controller's computed paths, shared: path groups (core/path-groups.ts: one computation per
// source router, destination router and path requirements, however many hosts and intents need it)
// and target sets (one intent's targets, shared by every host whose targets are the same:
// core/targets.targetsShareKey), with the (host, intent) pairs that use each, and an index from links
// and routers to the groups whose primaries or backups cross them, as they are now and as they would
// be with nothing marked. An overlay change recomputes the groups crossing what changed, re-assembles
// only the target sets using a group whose result changed, and names the pairs of those sets; the
// rest keep their objects (and so their cached JSON). No I/O.
import type { RuleTarget, TargetProbes } from "../core/assignments.js";
import { canonicalJson } from "../core/canonical-json.js";
import { CrossingIndex, crossedElements } from "../core/crossing-index.js";
import type { ElementState } from "../core/elements.js";
import { elementKey } from "../core/elements.js";
import { computeLiveRouterPath, isNothingUnavailable, NOTHING_UNAVAILABLE, type Unavailable } from "../core/live-paths.js";
import type { Host, Intent, PathResult, PathSpec, Topology } from "../core/model.js";
import { pathGroupKey, pathSpecKey } from "../core/path-groups.js";
import { ruleTargets, targetsShareKey } from "../core/targets.js";

/** How a group's path is computed: core/live-paths.computeLiveRouterPath, or a test's counting wrapper of it. */
export type RouterPathOf = (topology: Topology, spec: PathSpec, fromRouter: string, toRouter: string, unavailable: Unavailable) => PathResult;

/** A group's path computed elsewhere (a path worker), under the overlay the plan is made under. */
export interface ComputedGroup {
  /** pathGroupKey(from, to, pathSpecKey(spec)). */
  key: string;
  result: PathResult;
  /** canonicalJson(result). */
  json: string;
  /** The result's probes (core/probes.probeSids of its primary and backup); null when it is no path. */
  probes: TargetProbes | null;
  /** crossedElements of the result. */
  crossing: string[];
  /** crossedElements of the path with nothing marked; absent when nothing was marked (then it is `crossing`). */
  declaredCrossing?: string[];
}

interface Group {
  key: string;
  from: string;
  to: string;
  spec: PathSpec;
  result: PathResult;
  json: string;
  crossing: string[];
  declared: string[];
}

interface TargetSet {
  key: string;
  intent: Intent;
  intentJson: string;
  /** A host of the set: ruleTargets is computed for it. */
  host: string;
  targets: RuleTarget[];
  groups: string[];
}

/** Groups and target sets a plan computed, not stored yet; lookups fall through to the table. */
export interface Draft {
  readonly groups: Map<string, Group>;
  readonly sets: Map<string, TargetSet>;
  readonly ahead: ReadonlyMap<string, ComputedGroup>;
}

const RANK: Record<ElementState, number> = { up: 0, degraded: 1, down: 2 };

/** Each marked element's state in `u`, by element key. */
function statesOf(u: Unavailable): Map<string, ElementState> {
  const out = new Map<string, ElementState>();
  for (const state of ["degraded", "down"] as const) {
    for (const id of u[state].links) out.set(elementKey({ kind: "link", id }), state);
    for (const id of u[state].routers) out.set(elementKey({ kind: "router", id }), state);
  }
  return out;
}

/** The groups and target sets an overlay change recomputed, and those whose result changed. */
export interface OverlayRecompute {
  groups: string[];
  changedGroups: string[];
  /** Target sets using a recomputed group, and of those, the ones whose targets changed. */
  sets: string[];
  changedSets: string[];
}

export class PathGroupTable {
  private overlay: Unavailable = NOTHING_UNAVAILABLE;
  private readonly groups = new Map<string, Group>();
  private readonly crossing = new CrossingIndex();
  private readonly declared = new CrossingIndex();
  private readonly sets = new Map<string, TargetSet>();
  /** Target sets using each group. */
  private readonly users = new Map<string, Set<string>>();
  /** Pairs (their hosts) of each target set, and each pair's set, by pairKey. */
  private readonly hostsOfSet = new Map<string, Set<string>>();
  private readonly setOfPair = new Map<string, string>();
  private readonly probes = new WeakMap<PathResult, TargetProbes>();
  private readonly hostByName: ReadonlyMap<string, Host>;

  constructor(
    private topology: Topology,
    private readonly pathOf: RouterPathOf = computeLiveRouterPath,
  ) {
    this.hostByName = new Map(topology.hosts.map((h) => [h.name, h]));
  }

  unavailable(): Unavailable {
    return this.overlay;
  }

  /** The target set of `intent` on `host` (a host of the topology). */
  setKey(intent: Intent, host: string): string {
    return `${intent.name}\u0000${targetsShareKey(intent, this.hostByName.get(host)!)}`;
  }

  /** Whether the pair's targets must be computed for `intent` (its set is new, or for another version of the intent). */
  needsCompute(intent: Intent, host: string, intentJson = canonicalJson(intent)): boolean {
    return this.sets.get(this.setKey(intent, host))?.intentJson !== intentJson;
  }

  draft(ahead: ReadonlyMap<string, ComputedGroup> = new Map()): Draft {
    return { groups: new Map(), sets: new Map(), ahead };
  }

  /** The pair's targets: the stored set's if it is for this intent, else the draft's (computed into it). */
  targets(intent: Intent, host: string, draft: Draft, intentJson = canonicalJson(intent)): RuleTarget[] {
    const key = this.setKey(intent, host);
    const stored = this.sets.get(key);
    if (stored?.intentJson === intentJson) return stored.targets;
    let set = draft.sets.get(key);
    if (set?.intentJson !== intentJson) draft.sets.set(key, (set = this.assemble(key, intent, intentJson, host, draft)));
    return set.targets;
  }

  /** The stored targets of a pair. */
  targetsOfPair(pair: string): RuleTarget[] {
    return this.sets.get(this.setOfPair.get(pair)!)!.targets;
  }

  /**
   * Stores what `draft` computed and makes `pairs` (pairKey → host and intent) the pairs there are;
   * drops target sets and groups no pair uses any more.
   */
  commit(draft: Draft, pairs: ReadonlyMap<string, { host: string; intent: Intent }>): void {
    for (const g of draft.groups.values()) if (!this.groups.has(g.key)) this.storeGroup(g);
    for (const s of draft.sets.values()) this.storeSet(s);
    this.setOfPair.clear();
    this.hostsOfSet.clear();
    for (const [pair, { host, intent }] of pairs) {
      const key = this.setKey(intent, host);
      this.setOfPair.set(pair, key);
      let hosts = this.hostsOfSet.get(key);
      if (!hosts) this.hostsOfSet.set(key, (hosts = new Set()));
      hosts.add(host);
    }
    for (const key of [...this.sets.keys()]) if (!this.hostsOfSet.has(key)) this.dropSet(key);
    for (const key of [...this.groups.keys()]) if (!this.users.get(key)?.size) this.dropGroup(key);
  }

  /** Hosts whose pairs use the target set. */
  hostsOf(set: string): ReadonlySet<string> {
    return this.hostsOfSet.get(set) ?? new Set();
  }

  intentOf(set: string): Intent {
    return this.sets.get(set)!.intent;
  }

  /** The groups whose current primaries or backups cross `element` (an element key). */
  groupsCrossing(element: string): ReadonlySet<string> {
    return this.crossing.pairs(element);
  }

  groupCount(): number {
    return this.groups.size;
  }

  setCount(): number {
    return this.sets.size;
  }

  /**
   * Takes the overlay's new exclusions: recomputes the groups crossing an element whose mark changed,
   * and when one got better, every group whose declared paths cross an element marked before (it may
   * have been displaced by it, state.ts explains why); re-assembles the target sets of the groups
   * whose result changed.
   * With `topo`, an operator's topology change too: the same routers, hosts and links with new
   * metrics. `full` recomputes every group; otherwise the groups whose current or declared paths cross
   * a link in `worseLinks` (made only worse) are recomputed with their declared paths, and so is
   * every group with no path (its reason may read otherwise now).
   */
  change(next: Unavailable, topo?: { topology: Topology; worseLinks: readonly string[]; full: boolean }): OverlayRecompute {
    const before = statesOf(this.overlay);
    const after = statesOf(next);
    const affected = new Set<string>();
    let better = false;
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const was = RANK[before.get(key) ?? "up"];
      const now = RANK[after.get(key) ?? "up"];
      if (was === now) continue;
      for (const g of this.crossing.pairs(key)) affected.add(g);
      better ||= now < was;
    }
    if (better) for (const key of before.keys()) for (const g of this.declared.pairs(key)) affected.add(g);
    /** Groups whose declared paths (nothing marked) must be computed again: the topology changed under them. */
    const redeclare = new Set<string>();
    if (topo) {
      this.topology = topo.topology;
      if (topo.full) for (const key of this.groups.keys()) redeclare.add(key);
      for (const id of topo.worseLinks) {
        const key = elementKey({ kind: "link", id });
        for (const g of this.crossing.pairs(key)) redeclare.add(g);
        for (const g of this.declared.pairs(key)) redeclare.add(g);
      }
      for (const g of redeclare) affected.add(g);
      if (topo.worseLinks.length > 0 || [...after].some(([k, st]) => RANK[st] > RANK[before.get(k) ?? "up"])) {
        for (const [key, g] of this.groups) if (!g.result.ok) affected.add(key);
      }
    }
    this.overlay = next;
    const groups = [...affected].sort();
    const changedGroups: string[] = [];
    const sets = new Set<string>();
    const rebuild = new Set<string>();
    for (const key of groups) {
      const g = this.groups.get(key)!;
      const result = this.pathOf(this.topology, g.spec, g.from, g.to, next);
      const json = canonicalJson(result);
      for (const s of this.users.get(key) ?? []) sets.add(s);
      if (redeclare.has(key)) {
        g.declared = isNothingUnavailable(next) ? crossedElements([{ prefix: "", result }]) : crossedElements([{ prefix: "", result: this.pathOf(this.topology, g.spec, g.from, g.to, NOTHING_UNAVAILABLE) }]);
        this.declared.set(key, g.declared);
      }
      if (json === g.json) continue;
      changedGroups.push(key);
      g.result = result;
      g.json = json;
      g.crossing = crossedElements([{ prefix: "", result }]);
      this.crossing.set(key, g.crossing);
      for (const s of this.users.get(key) ?? []) rebuild.add(s);
    }
    const changedSets: string[] = [];
    const none = this.draft();
    for (const key of [...rebuild].sort()) {
      const s = this.sets.get(key)!;
      const fresh = this.assemble(key, s.intent, s.intentJson, s.host, none);
      if (canonicalJson(fresh.targets) === canonicalJson(s.targets)) continue;
      s.targets = fresh.targets;
      changedSets.push(key);
    }
    return { groups, changedGroups, sets: [...sets].sort(), changedSets };
  }

  private assemble(key: string, intent: Intent, intentJson: string, host: string, draft: Draft): TargetSet {
    const specKey = pathSpecKey(intent);
    const used = new Set<string>();
    const path = (from: string, to: string): PathResult => {
      const g = this.group(from, to, intent, specKey, draft);
      used.add(g.key);
      return g.result;
    };
    const targets = ruleTargets(this.topology, intent, host, this.overlay, { path, probes: this.probes });
    return { key, intent, intentJson, host, targets, groups: [...used].sort() };
  }

  private group(from: string, to: string, spec: PathSpec, specKey: string, draft: Draft): Group {
    const key = pathGroupKey(from, to, specKey);
    const known = this.groups.get(key) ?? draft.groups.get(key);
    if (known) return known;
    const ahead = draft.ahead.get(key);
    let g: Group;
    if (ahead) {
      g = { key, from, to, spec, result: ahead.result, json: ahead.json, crossing: ahead.crossing, declared: ahead.declaredCrossing ?? ahead.crossing };
      if (ahead.probes) this.probes.set(ahead.result, ahead.probes);
    } else {
      const result = this.pathOf(this.topology, spec, from, to, this.overlay);
      const crossing = crossedElements([{ prefix: "", result }]);
      const declared = isNothingUnavailable(this.overlay) ? crossing : crossedElements([{ prefix: "", result: this.pathOf(this.topology, spec, from, to, NOTHING_UNAVAILABLE) }]);
      g = { key, from, to, spec, result, json: canonicalJson(result), crossing, declared };
    }
    draft.groups.set(key, g);
    return g;
  }

  private storeGroup(g: Group): void {
    this.groups.set(g.key, g);
    this.crossing.set(g.key, g.crossing);
    this.declared.set(g.key, g.declared);
  }

  private dropGroup(key: string): void {
    this.groups.delete(key);
    this.crossing.delete(key);
    this.declared.delete(key);
    this.users.delete(key);
  }

  private storeSet(s: TargetSet): void {
    if (this.sets.has(s.key)) this.dropSet(s.key);
    this.sets.set(s.key, s);
    for (const g of s.groups) {
      let u = this.users.get(g);
      if (!u) this.users.set(g, (u = new Set()));
      u.add(s.key);
    }
  }

  private dropSet(key: string): void {
    for (const g of this.sets.get(key)?.groups ?? []) this.users.get(g)?.delete(key);
    this.sets.delete(key);
  }
}
