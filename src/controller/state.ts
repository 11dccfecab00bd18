// The controller's logic without I/O: the intent set, every host's rules and watch probes, per-host
// versions, and the deltas an intent change or an overlay change causes.
//
// Paths are computed per (host, intent) pair (the rules of one intent on one host share their
// targets) over the declared topology minus what the liveliness overlay marks, and only when
// something they depend on changed:
// - an intent change recomputes the pairs of new or changed intents (a rule's priority is its
//   intent's position, not part of its paths);
// - an element marked (or marked worse) recomputes the pairs whose current primaries or backups
//   cross it (the index `current`);
// - an element cleared (or marked less badly) recomputes those, and every pair the overlay
//   displaced: those whose declared-topology paths (the index `declaredCrossing`) cross any element
//   marked before the change. Those whose declared paths cross the element itself are not enough:
//   a pair displaced by two marks may find its best path over the first when it comes back while the
//   second stays (r2 and r6 down, r2 back: a path over r2 beats the one that avoided both). A pair
//   whose declared paths cross no mark has them already, and nothing coming back can beat them.
// Hosts whose rules or watch probes did not change get no delta and keep their version.
//
// The state is a function of two revisions, which every delta and snapshot names: the topology
// revision (bumped once by every setLiveliness that changes the overlay's exclusions and by every
// changeTopology that changes something) and the intents revision (bumped by every commit that
// changes the intents, or set to the applier's). An operator's drain is an overlay mark that
// only an undrain clears: it joins the overlay's exclusions as "down" and is recomputed as a mark
// is. A metric change recomputes the pairs whose paths (current or declared) cross the link when it
// only makes the link worse (te, delay, jitter, loss or utilization up, bandwidth down): a path
// that does not cross it costs what it did and every other got no cheaper. An IGP metric change,
// or any change that makes a link better, recomputes every pair (a full recompute): a cheaper link
// may improve any path, and segment lists follow the IGP's shortest paths everywhere.
import { randomUUID } from "node:crypto";
import type { HostRule, RuleTarget } from "../core/assignments.js";
import { intentRules, ruleKeys } from "../core/assignments.js";
import type { ElementState, WatchProbe } from "../core/elements.js";
import { elementKey } from "../core/elements.js";
import type { Intent, Topology } from "../core/model.js";
import { CrossingIndex, crossedElements } from "../core/crossing-index.js";
import { isNothingUnavailable, NOTHING_UNAVAILABLE, type ElementIds, type Unavailable } from "../core/live-paths.js";
import { ruleTargets } from "../core/targets.js";
import type { ApplySummary, HostRuleChangesView, IntentsDiffView, RuleRefView } from "../api/types.js";

/** What changed for one host: pushed to its agents as a delta. */
export interface HostDelta {
  host: string;
  /** The host's version after the change. */
  version: bigint;
  /** Added or changed rules, in priority order. */
  upserts: HostRule[];
  /** Keys of rules that are gone. */
  removed: string[];
  /** The host's new watch probes, when they changed. */
  watch?: WatchProbe[];
  /** The state's revisions the delta was computed at (absent: a delta made elsewhere, e.g. a test's). */
  topologyRevision?: number;
  intentsRevision?: number;
}

/** What the state is a function of. */
export interface Revisions {
  /** Every overlay mark or clear and every operator change of the topology bumps it; from 1. */
  topology: number;
  /** ListIntents' revision. */
  intents: number;
}

/** An operator's change of the model (changeTopology): the topology with new metrics, and the drained elements. */
export interface TopologyChangeInput {
  /** The same routers, hosts and links (ids, order) with new metrics; absent: unchanged. */
  topology?: Topology;
  /** Link ids and router names drained (treated as marked down); absent: unchanged. */
  drained?: ElementIds;
}

/** What changeTopology did. */
export interface TopologyApplied extends OverlayApplied {
  /** Something differed: the topology revision was bumped. */
  topologyChanged: boolean;
  /** Every pair was recomputed (an IGP change, or a link made better). */
  full: boolean;
}

export interface HostSnapshot {
  host: string;
  version: bigint;
  /** The state's current revisions. */
  topologyRevision: number;
  intentsRevision: number;
  /** The complete rule set, in priority order. */
  rules: HostRule[];
  watch: WatchProbe[];
}

/** What an overlay change did. */
export interface OverlayApplied {
  deltas: HostDelta[];
  /** Every rule whose paths were recomputed. */
  recomputed: RuleRefView[];
  /** Of those, the rules whose targets changed. */
  changed: RuleRefView[];
}

/**
 * What replacing the intents would do, computed without changing anything (planIntents): the
 * diff, and every host's rules before and after. commitIntents() applies it.
 */
export interface IntentsPlan {
  readonly intents: readonly Intent[];
  readonly diff: IntentsDiffView;
  /** Every host's rules now and after the change, in priority order. */
  readonly before: ReadonlyMap<string, HostRule[]>;
  readonly after: ReadonlyMap<string, HostRule[]>;
}

/** How the targets of one intent on one host are computed: core/targets.ruleTargets, or a test's stand-in. */
export type TargetsOf = (topology: Topology, intent: Intent, host: string, unavailable: Unavailable) => RuleTarget[];

/** One (host, intent) pair a plan must compute: its targets under the overlay, and its crossings under none. */
export interface PairTask {
  host: string;
  intent: Intent;
}

/** A pair computed ahead (off the event loop, path-workers.ts) for an intent (its canonicalJson). */
export interface ComputedPair {
  intentJson: string;
  targets: RuleTarget[];
  /** crossedElements(targets). */
  crossing: string[];
  /** crossedElements of the targets with nothing marked; absent when nothing was marked (then they are `crossing`). */
  declaredCrossing?: string[];
}

/** Pairs computed ahead for planIntents, by pairKey(host, intent name); used only under the overlay they were computed under. */
export interface Precomputed {
  unavailable: Unavailable;
  /** The topology they were computed over; absent: the state's (as it was when they were asked for). */
  topology?: Topology;
  pairs: ReadonlyMap<string, ComputedPair>;
}

export interface ControllerState {
  /** Random per state instance: agents notice a controller restart by it. */
  readonly generation: string;
  /** The topology with the operator's metric changes (changeTopology); drains are in unavailable(). */
  readonly topology: Topology;
  /** The revisions the state is at. */
  revisions(): Revisions;
  /** The elements the operator drained (changeTopology). */
  drained(): ElementIds;
  /** Current intents, in priority (file) order. */
  intents(): Intent[];
  /** Host names of the topology, in topology order. */
  hosts(): string[];
  hasHost(host: string): boolean;
  /** Undefined for a host not in the topology. */
  snapshot(host: string): HostSnapshot | undefined;
  /** What path computation avoids now. */
  unavailable(): Unavailable;
  /** The pairs planIntents(intents) would compute now (new or changed intents on their hosts), for a caller that computes them elsewhere. */
  pairsToCompute(intents: Intent[]): PairTask[];
  /**
   * What setIntents(intents) would do, changing nothing: the paths of new and changed intents are
   * computed here, except those `precomputed` under the current overlay, which are taken as they are.
   */
  planIntents(intents: Intent[], precomputed?: Precomputed): IntentsPlan;
  /**
   * Applies a plan of this state: as setIntents(plan.intents), without computing again what the
   * plan computed, unless the state changed since (then it is planned again).
   */
  commitIntents(plan: IntentsPlan, intentsRevision?: number): { summary: ApplySummary; deltas: HostDelta[] };
  /** Replaces the intents; returns what changed, per intent and per host. Hosts without changes get no delta. */
  setIntents(intents: Intent[]): { summary: ApplySummary; deltas: HostDelta[] };
  /** Takes the overlay's new exclusions and every host's watch probes (hosts absent: none); recomputes only what they touch. */
  setLiveliness(unavailable: Unavailable, watch: ReadonlyMap<string, WatchProbe[]>): OverlayApplied;
  /**
   * Applies an operator's change: new metrics and/or drained elements (checked by the caller: the same
   * links, known names). Recomputes what it touches (see the module comment), bumps the topology
   * revision once when anything differs; a change to what is already in force changes nothing.
   */
  changeTopology(change: TopologyChangeInput): TopologyApplied;
}

/** JSON with object keys sorted: equal for structurally equal plain data. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .filter((k) => o[k] !== undefined)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/**
 * canonicalJson of a rule's targets, kept per targets array: the rules of one (host, intent) pair share
 * theirs, and so do a host's rule sets before and after a change that did not recompute the pair. A
 * large apply (hundreds of targets with long paths per rule) would otherwise stringify every rule twice.
 */
const targetsJsonCache = new WeakMap<readonly RuleTarget[], string>();

export function targetsJson(targets: readonly RuleTarget[]): string {
  let json = targetsJsonCache.get(targets);
  if (json === undefined) targetsJsonCache.set(targets, (json = canonicalJson(targets)));
  return json;
}

/** Records `json` as canonicalJson(targets), computed elsewhere (a path worker). */
export function rememberTargetsJson(targets: readonly RuleTarget[], json: string): void {
  targetsJsonCache.set(targets, json);
}

/** Equal for two rules exactly when their canonicalJson is. */
function ruleFingerprint(r: HostRule): string {
  return `${canonicalJson({ ...r, targets: undefined })}\u0000${targetsJson(r.targets)}`;
}

/** Compares two rule sets by key; upserts follow `next`'s (priority) order. */
export function diffRules(prev: HostRule[], next: HostRule[]): { upserts: HostRule[]; removed: string[] } {
  const before = new Map(prev.map((r) => [r.key, ruleFingerprint(r)]));
  const nextKeys = new Set(next.map((r) => r.key));
  const upserts = next.filter((r) => before.get(r.key) !== ruleFingerprint(r));
  const removed = prev.filter((r) => !nextKeys.has(r.key)).map((r) => r.key);
  return { upserts, removed };
}

/** How the intents changed, by name; `reordered`: intents in both sets are in another relative order. */
export function diffIntents(prev: readonly Intent[], next: readonly Intent[]): Omit<IntentsDiffView, "hostRules"> {
  const oldByName = new Map(prev.map((i) => [i.name, canonicalJson(i)]));
  const newNames = new Set(next.map((i) => i.name));
  const d = { added: [] as string[], changed: [] as string[], removed: [] as string[], unchanged: [] as string[] };
  for (const i of next) {
    const old = oldByName.get(i.name);
    if (old === undefined) d.added.push(i.name);
    else if (old !== canonicalJson(i)) d.changed.push(i.name);
    else d.unchanged.push(i.name);
  }
  for (const i of prev) if (!newNames.has(i.name)) d.removed.push(i.name);
  const kept = (list: readonly Intent[]) => list.filter((i) => oldByName.has(i.name) && newNames.has(i.name)).map((i) => i.name);
  return { ...d, reordered: kept(prev).join("\u0000") !== kept(next).join("\u0000") };
}

/** A host's rule changes by key: added and changed are `next`'s (priority) order, removed `prev`'s. */
export function ruleChanges(host: string, prev: HostRule[], next: HostRule[]): HostRuleChangesView {
  const { upserts, removed } = diffRules(prev, next);
  const had = new Set(prev.map((r) => r.key));
  return { host, added: upserts.filter((r) => !had.has(r.key)).map((r) => r.key), changed: upserts.filter((r) => had.has(r.key)).map((r) => r.key), removed };
}

/** The computed targets of one intent on one host. */
interface Pair {
  host: string;
  intent: string;
  /** The intent as computed, to see whether a new intent set changed it. */
  intentJson: string;
  targets: RuleTarget[];
}

export const pairKey = (host: string, intent: string) => `${host}\u0000${intent}`;

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

/** The overlay's exclusions with the drained elements down (a drained element marked degraded is down). */
export function withDrained(u: Unavailable, drained: ElementIds): Unavailable {
  if (drained.links.length + drained.routers.length === 0) return u;
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
  const down = { links: union(u.down.links, drained.links), routers: union(u.down.routers, drained.routers) };
  const links = new Set(down.links);
  const routers = new Set(down.routers);
  return { down, degraded: { links: u.degraded.links.filter((l) => !links.has(l)), routers: u.degraded.routers.filter((r) => !routers.has(r)) } };
}

const sameIds = (a: ElementIds, b: ElementIds) => canonicalJson([[...a.links].sort(), [...a.routers].sort()]) === canonicalJson([[...b.links].sort(), [...b.routers].sort()]);
const sameUnavailable = (a: Unavailable, b: Unavailable) => a === b || (sameIds(a.down, b.down) && sameIds(a.degraded, b.degraded));

/** Link metrics: which way is worse for paths (higher cost, less capacity). */
const WORSE_WHEN_HIGHER = ["te", "delayUs", "jitterUs", "loss", "utilization"] as const;
const WORSE_WHEN_LOWER = ["bandwidthBps"] as const;

/** How `next`'s links differ from `prev`'s: the links made only worse, and whether any was made better or changed its IGP metric. */
function metricChanges(prev: Topology, next: Topology): { worse: string[]; full: boolean } {
  if (prev === next) return { worse: [], full: false };
  if (prev.links.length !== next.links.length) throw new Error("changeTopology: the topology must have the same links");
  const worse: string[] = [];
  let full = false;
  prev.links.forEach((a, i) => {
    const b = next.links[i]!;
    if (a.id !== b.id) throw new Error(`changeTopology: link ${i} is ${b.id}, was ${a.id}`);
    let worsened = false;
    // The b→a direction (Link.reverse) changed: no worse-only shortcut for it, recompute in full.
    if (a.igp !== b.igp || canonicalJson(a.reverse ?? null) !== canonicalJson(b.reverse ?? null)) full = true;
    for (const k of WORSE_WHEN_HIGHER) {
      if (b[k] > a[k]) worsened = true;
      else if (b[k] < a[k]) full = true;
    }
    for (const k of WORSE_WHEN_LOWER) {
      if (b[k] < a[k]) worsened = true;
      else if (b[k] > a[k]) full = true;
    }
    if (worsened) worse.push(a.id);
  });
  return { worse, full };
}

export function createControllerState(
  topology: Topology,
  intents: Intent[],
  opts: { generation?: string; targets?: TargetsOf; intentsRevision?: number } = {},
): ControllerState {
  const generation = opts.generation ?? randomUUID();
  const targetsOf: TargetsOf = opts.targets ?? ruleTargets;
  const hostNames = topology.hosts.map((h) => h.name);
  const isHost = new Set(hostNames);
  let current: Intent[] = [...intents];
  let unavailable: Unavailable = NOTHING_UNAVAILABLE;
  /** The overlay's own exclusions (setLiveliness) and the operator's drains; `unavailable` is both. */
  let livePart: Unavailable = NOTHING_UNAVAILABLE;
  let drained: ElementIds = { links: [], routers: [] };
  const revisions: Revisions = { topology: 1, intents: opts.intentsRevision ?? 1 };
  /** Deltas name the revisions they were computed at. */
  const stamp = (deltas: HostDelta[]): HostDelta[] => deltas.map((d) => ({ ...d, topologyRevision: revisions.topology, intentsRevision: revisions.intents }));
  const pairs = new Map<string, Pair>();
  /** Elements crossed by each pair's paths as they are now, and as they would be with nothing marked. */
  const crossing = new CrossingIndex();
  const declaredCrossing = new CrossingIndex();
  const perHost = new Map<string, { version: bigint; rules: HostRule[]; watch: WatchProbe[] }>();

  /** Bumped by every change of the state: a plan made before one is stale. */
  let epoch = 0;
  /** A pair computed under the current overlay, with its crossings (declared ones when asked for). */
  interface Computed {
    pair: Pair;
    crossed: ReturnType<typeof crossedElements>;
    declared?: ReturnType<typeof crossedElements>;
  }
  const computePair = (host: string, intent: Intent, declaredToo: boolean): Computed => {
    const targets = targetsOf(topology, intent, host, unavailable);
    const pair = { host, intent: intent.name, intentJson: canonicalJson(intent), targets };
    if (!declaredToo) return { pair, crossed: crossedElements(targets) };
    const declared = isNothingUnavailable(unavailable) ? targets : targetsOf(topology, intent, host, NOTHING_UNAVAILABLE);
    return { pair, crossed: crossedElements(targets), declared: crossedElements(declared) };
  };
  const store = (key: string, c: Computed): void => {
    pairs.set(key, c.pair);
    crossing.set(key, c.crossed);
    if (c.declared) declaredCrossing.set(key, c.declared);
  };
  /** (Re)computes one pair under the current overlay, and its declared crossings when they may differ. */
  const compute = (host: string, intent: Intent, declaredToo: boolean): void => store(pairKey(host, intent.name), computePair(host, intent, declaredToo));
  const rulesFor = (intents: readonly Intent[], host: string, targetsOfPair: (key: string) => RuleTarget[]): HostRule[] =>
    intents.flatMap((intent, priority) => (intent.match.hosts.includes(host) ? intentRules(intent, priority, targetsOfPair(pairKey(host, intent.name))) : []));
  const rulesOf = (host: string): HostRule[] => rulesFor(current, host, (key) => pairs.get(key)!.targets);
  /** The pairs `intents` need, and those of them that must be computed (new, or their intent changed). */
  const pairsNeeded = (intents: readonly Intent[]): { wanted: Set<string>; missing: { key: string; host: string; intent: Intent }[] } => {
    const wanted = new Set<string>();
    const missing: { key: string; host: string; intent: Intent }[] = [];
    for (const intent of intents) {
      for (const host of intent.match.hosts) {
        if (!isHost.has(host)) continue;
        const key = pairKey(host, intent.name);
        if (wanted.has(key)) continue;
        wanted.add(key);
        if (pairs.get(key)?.intentJson !== canonicalJson(intent)) missing.push({ key, host, intent });
      }
    }
    return { wanted, missing };
  };
  /** Drops the pairs no longer wanted. */
  const dropPairs = (wanted: Set<string>): void => {
    for (const key of [...pairs.keys()]) {
      if (wanted.has(key)) continue;
      pairs.delete(key);
      crossing.delete(key);
      declaredCrossing.delete(key);
    }
  };

  {
    const { wanted, missing } = pairsNeeded(current);
    for (const m of missing) compute(m.host, m.intent, true);
    dropPairs(wanted);
  }
  for (const h of hostNames) perHost.set(h, { version: 1n, rules: rulesOf(h), watch: [] });

  /** A plan with what it computed, and the state's epoch it was made in. */
  interface Plan extends IntentsPlan {
    epoch: number;
    wanted: Set<string>;
    computed: Map<string, Computed>;
  }
  const plans = new WeakMap<IntentsPlan, Plan>();

  /** A pair computed ahead, when it was computed for this intent under the current overlay. */
  const takeAhead = (m: { key: string; host: string; intent: Intent }, ahead: Precomputed | undefined): Computed | undefined => {
    const given = ahead && ahead.unavailable === unavailable && (ahead.topology ?? topology) === topology ? ahead.pairs.get(m.key) : undefined;
    const intentJson = canonicalJson(m.intent);
    if (!given || given.intentJson !== intentJson) return undefined;
    return {
      pair: { host: m.host, intent: m.intent.name, intentJson, targets: given.targets },
      crossed: given.crossing,
      declared: given.declaredCrossing ?? given.crossing,
    };
  };

  const planIntents = (nextIn: Intent[], ahead?: Precomputed): IntentsPlan => {
    const next = [...nextIn];
    const { wanted, missing } = pairsNeeded(next);
    const computed = new Map<string, Computed>();
    for (const m of missing) computed.set(m.key, takeAhead(m, ahead) ?? computePair(m.host, m.intent, true));
    const targetsOfPair = (key: string) => (computed.get(key)?.pair ?? pairs.get(key)!).targets;
    const before = new Map<string, HostRule[]>();
    const after = new Map<string, HostRule[]>();
    const hostRules: HostRuleChangesView[] = [];
    for (const host of hostNames) {
      const prev = perHost.get(host)!.rules;
      const rules = rulesFor(next, host, targetsOfPair);
      before.set(host, prev);
      after.set(host, rules);
      const c = ruleChanges(host, prev, rules);
      if (c.added.length + c.changed.length + c.removed.length > 0) hostRules.push(c);
    }
    const plan: Plan = { intents: next, diff: { ...diffIntents(current, next), hostRules }, before, after, epoch, wanted, computed };
    plans.set(plan, plan);
    return plan;
  };

  const commitIntents = (given: IntentsPlan, intentsRevision?: number): { summary: ApplySummary; deltas: HostDelta[] } => {
    let plan = plans.get(given);
    if (!plan || plan.epoch !== epoch) plan = plans.get(planIntents([...given.intents]))!;
    epoch++;
    const { added, changed, removed, unchanged } = plan.diff;
    if (intentsRevision !== undefined) revisions.intents = intentsRevision;
    else if (added.length + changed.length + removed.length > 0 || plan.diff.reordered) revisions.intents++;
    const summary: ApplySummary = { added: [...added], changed: [...changed], removed: [...removed], unchanged: [...unchanged], hostsPushed: [] };
    current = [...plan.intents];
    for (const [key, c] of plan.computed) store(key, c);
    dropPairs(plan.wanted);
    const deltas: HostDelta[] = [];
    for (const host of hostNames) {
      const s = perHost.get(host)!;
      const rules = plan.after.get(host)!;
      const { upserts, removed: gone } = diffRules(s.rules, rules);
      s.rules = rules;
      if (upserts.length === 0 && gone.length === 0) continue;
      s.version += 1n;
      deltas.push({ host, version: s.version, upserts, removed: gone });
      summary.hostsPushed.push({ host, version: Number(s.version), upserts: upserts.length, removals: gone.length });
    }
    return { summary, deltas: stamp(deltas) };
  };

  const self: ControllerState = {
    generation,
    get topology() {
      return topology;
    },
    revisions: () => ({ ...revisions }),
    drained: () => ({ links: [...drained.links], routers: [...drained.routers] }),
    intents: () => [...current],
    hosts: () => [...hostNames],
    hasHost: (host) => perHost.has(host),
    snapshot(host) {
      const s = perHost.get(host);
      return s ? { host, version: s.version, topologyRevision: revisions.topology, intentsRevision: revisions.intents, rules: [...s.rules], watch: [...s.watch] } : undefined;
    },
    unavailable: () => unavailable,

    pairsToCompute: (next) => pairsNeeded(next).missing.map(({ host, intent }) => ({ host, intent })),
    planIntents,
    commitIntents,
    setIntents: (next) => commitIntents(planIntents(next)),

    setLiveliness(live, watch) {
      if (!sameUnavailable(live, livePart)) revisions.topology++;
      livePart = live;
      const next = withDrained(live, drained);
      epoch++;
      const before = statesOf(unavailable);
      const after = statesOf(next);
      const affected = new Set<string>();
      let better = false;
      for (const key of new Set([...before.keys(), ...after.keys()])) {
        const was = RANK[before.get(key) ?? "up"];
        const now = RANK[after.get(key) ?? "up"];
        if (was === now) continue;
        for (const p of crossing.pairs(key)) affected.add(p);
        better ||= now < was;
      }
      if (better) for (const key of before.keys()) for (const p of declaredCrossing.pairs(key)) affected.add(p);
      unavailable = next;
      const intentByName = new Map(current.map((i) => [i.name, i]));
      const recomputed: RuleRefView[] = [];
      const changed: RuleRefView[] = [];
      const hostsTouched = new Set<string>();
      for (const key of [...affected].sort()) {
        const pair = pairs.get(key)!;
        const intent = intentByName.get(pair.intent)!;
        const old = targetsJson(pair.targets);
        compute(pair.host, intent, false);
        const differs = targetsJson(pairs.get(key)!.targets) !== old;
        for (const rule of ruleKeys(intent)) {
          recomputed.push({ host: pair.host, rule });
          if (differs) changed.push({ host: pair.host, rule });
        }
        if (differs) hostsTouched.add(pair.host);
      }
      const deltas: HostDelta[] = [];
      for (const host of hostNames) {
        const s = perHost.get(host)!;
        const { upserts, removed } = hostsTouched.has(host) ? diffRules(s.rules, rulesOf(host)) : { upserts: [], removed: [] };
        const newWatch = watch.get(host) ?? [];
        const watchChanged = canonicalJson(newWatch) !== canonicalJson(s.watch);
        if (upserts.length === 0 && removed.length === 0 && !watchChanged) continue;
        if (hostsTouched.has(host)) s.rules = rulesOf(host);
        if (watchChanged) s.watch = [...newWatch];
        s.version += 1n;
        deltas.push({ host, version: s.version, upserts, removed, ...(watchChanged ? { watch: [...newWatch] } : {}) });
      }
      return { deltas: stamp(deltas), recomputed, changed };
    },

    changeTopology(change) {
      const nextTopology = change.topology ?? topology;
      const nextDrained = change.drained ? { links: [...new Set(change.drained.links)].sort(), routers: [...new Set(change.drained.routers)].sort() } : drained;
      const metrics = metricChanges(topology, nextTopology);
      const drainsChanged = !sameIds(drained, nextDrained);
      if (!metrics.full && metrics.worse.length === 0 && !drainsChanged) return { deltas: [], recomputed: [], changed: [], topologyChanged: false, full: false };
      epoch++;
      revisions.topology++;
      const next = withDrained(livePart, nextDrained);
      // Pairs to recompute, and those whose declared paths (nothing marked) may change too (a metric change).
      const affected = new Set<string>();
      const declaredToo = new Set<string>();
      if (metrics.full) for (const key of pairs.keys()) declaredToo.add(key);
      for (const id of metrics.worse) {
        const key = elementKey({ kind: "link", id });
        for (const p of crossing.pairs(key)) declaredToo.add(p);
        for (const p of declaredCrossing.pairs(key)) declaredToo.add(p);
      }
      for (const p of declaredToo) affected.add(p);
      // Drains and undrains, as setLiveliness treats marks and clears.
      const before = statesOf(unavailable);
      const after = statesOf(next);
      let better = false;
      let worse = false;
      for (const key of new Set([...before.keys(), ...after.keys()])) {
        const was = RANK[before.get(key) ?? "up"];
        const now = RANK[after.get(key) ?? "up"];
        if (was === now) continue;
        for (const p of crossing.pairs(key)) affected.add(p);
        better ||= now < was;
        worse ||= now > was;
      }
      if (better) for (const key of before.keys()) for (const p of declaredCrossing.pairs(key)) affected.add(p);
      // A pair with no path crosses nothing, so no index finds it; what made it infeasible may be
      // told differently now (its reason names the exclusions and bounds that cut it): recompute it.
      if (worse || metrics.worse.length > 0) for (const [key, p] of pairs) if (p.targets.some((t) => !t.result.ok)) affected.add(key);
      topology = nextTopology;
      drained = nextDrained;
      unavailable = next;
      const intentByName = new Map(current.map((i) => [i.name, i]));
      const recomputed: RuleRefView[] = [];
      const changedRules: RuleRefView[] = [];
      const hostsTouched = new Set<string>();
      for (const key of [...affected].sort()) {
        const pair = pairs.get(key)!;
        const intent = intentByName.get(pair.intent)!;
        const old = targetsJson(pair.targets);
        compute(pair.host, intent, declaredToo.has(key));
        const differs = targetsJson(pairs.get(key)!.targets) !== old;
        for (const rule of ruleKeys(intent)) {
          recomputed.push({ host: pair.host, rule });
          if (differs) changedRules.push({ host: pair.host, rule });
        }
        if (differs) hostsTouched.add(pair.host);
      }
      const deltas: HostDelta[] = [];
      for (const host of hostNames) {
        if (!hostsTouched.has(host)) continue;
        const s = perHost.get(host)!;
        const rules = rulesOf(host);
        const { upserts, removed } = diffRules(s.rules, rules);
        if (upserts.length === 0 && removed.length === 0) continue;
        s.rules = rules;
        s.version += 1n;
        deltas.push({ host, version: s.version, upserts, removed });
      }
      return { deltas: stamp(deltas), recomputed, changed: changedRules, topologyChanged: true, full: metrics.full };
    },
  };
  return self;
}
