// The controller's logic without I/O: the intent set, every host's rules and watch probes, per-host
// versions, and the deltas an intent change or an overlay change causes.
//
// Paths are computed once per path group (the same source router, destination router and path
// requirements: core/path-groups.ts), and the targets of an intent once per set of hosts that get the
// same ones (core/targets.targetsShareKey); a (host, intent) pair holds a reference to its set
// (path-group-table.ts). Over the declared topology minus what the liveliness overlay marks, and
// only when something they depend on changed:
// - an intent change computes the target sets of new or changed intents (a rule's priority is its
//   intent's position, not part of its paths), with only the groups not computed yet;
// - an element marked (or marked worse) recomputes the groups whose current primaries or backups
//   cross it;
// - an element cleared (or marked less badly) recomputes those, and every group the overlay
//   displaced: those whose declared-topology paths cross any element marked before the change.
//   Those whose declared paths cross the element itself are not enough: a group displaced by two
//   marks may find its best path over the first when it comes back while the second stays (r2 and
//   r6 down, r2 back: a path over r2 beats the one that avoided both). A group whose declared paths
//   cross no mark has them already, and nothing coming back can beat them.
// Only the target sets using a group whose result changed are assembled again, and only the hosts
// holding one of them (or whose watch probes changed) get a delta; the others keep their version.
//
// The state is a function of two revisions, which every delta and snapshot names: the topology
// revision (bumped once by every setLiveliness that changes the overlay's exclusions and by every
// changeTopology that changes something) and the intents revision (bumped by every commit that
// changes the intents, or set to the applier's). An operator's drain is an overlay mark that
// only an undrain clears: it joins the overlay's exclusions as "down" and is recomputed as a mark
// is. A metric change recomputes the groups whose paths (current or declared) cross the link when it
// only makes the link worse (te, delay, jitter, loss or utilization up, bandwidth down): a path
// that does not cross it costs what it did and every other got no cheaper. An IGP metric change,
// a change of a link's other direction, or any change that makes a link better, recomputes every
// group (a full recompute): a cheaper link may improve any path, and segment lists follow the IGP's
// shortest paths everywhere.
import { randomUUID } from "node:crypto";
import type { HostRule, RuleTarget } from "../core/assignments.js";
import { intentRules, ruleKeys } from "../core/assignments.js";
import type { WatchProbe } from "../core/elements.js";
import type { Intent, Topology } from "../core/model.js";
import type { ElementIds, Unavailable } from "../core/live-paths.js";
import { canonicalJson } from "../core/canonical-json.js";
import { PathGroupTable, type ComputedGroup, type Draft, type OverlayRecompute, type RouterPathOf } from "./path-group-table.js";
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

/** One (host, intent) pair a plan must compute: its targets under the overlay, and its crossings under none. */
export interface PairTask {
  host: string;
  intent: Intent;
}

/** A pair computed ahead (off the event loop, path-workers.ts) for an intent (its canonicalJson): the path groups its targets use. */
export interface ComputedPair {
  intentJson: string;
  groups: ComputedGroup[];
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

export { canonicalJson };

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

export const pairKey = (host: string, intent: string) => `${host}\u0000${intent}`;

/** canonicalJson of each intent object (an intent's match can name 10,000 hosts: once per object, not per pair). */
const intentJsonCache = new WeakMap<Intent, string>();
const intentJson = (i: Intent): string => {
  let json = intentJsonCache.get(i);
  if (json === undefined) intentJsonCache.set(i, (json = canonicalJson(i)));
  return json;
};

/** The hosts an intent matches, as a set, per intent object. */
const matchSetCache = new WeakMap<Intent, ReadonlySet<string>>();
const matchSet = (i: Intent): ReadonlySet<string> => {
  let set = matchSetCache.get(i);
  if (set === undefined) matchSetCache.set(i, (set = new Set(i.match.hosts)));
  return set;
};

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
  initialTopology: Topology,
  intents: Intent[],
  opts: { generation?: string; paths?: RouterPathOf; intentsRevision?: number } = {},
): ControllerState {
  const generation = opts.generation ?? randomUUID();
  let topology = initialTopology;
  const hostNames = topology.hosts.map((h) => h.name);
  const hostIndex = new Map(hostNames.map((h, i) => [h, i]));
  let current: Intent[] = [...intents];
  const table = new PathGroupTable(topology, opts.paths);
  /** The overlay's own exclusions (setLiveliness) and the operator's drains; the table's overlay is both. */
  let livePart: Unavailable = table.unavailable();
  let drained: ElementIds = { links: [], routers: [] };
  const revisions: Revisions = { topology: 1, intents: opts.intentsRevision ?? 1 };
  /** Deltas name the revisions they were computed at. */
  const stamp = (deltas: HostDelta[]): HostDelta[] => deltas.map((d) => ({ ...d, topologyRevision: revisions.topology, intentsRevision: revisions.intents }));
  const perHost = new Map<string, { version: bigint; rules: HostRule[]; watch: WatchProbe[] }>();
  /** Hosts whose watch set is not empty. */
  const watching = new Set<string>();

  /** Bumped by every change of the state: a plan made before one is stale. */
  let epoch = 0;
  const rulesFor = (intents: readonly Intent[], host: string, targetsOf: (intent: Intent) => RuleTarget[]): HostRule[] =>
    intents.flatMap((intent, priority) => (matchSet(intent).has(host) ? intentRules(intent, priority, targetsOf(intent)) : []));
  const rulesOf = (host: string): HostRule[] => rulesFor(current, host, (intent) => table.targetsOfPair(pairKey(host, intent.name)));
  /** The pairs `intents` need (the first intent of a name wins), by pairKey. */
  const pairsOf = (intents: readonly Intent[]): Map<string, { host: string; intent: Intent }> => {
    const wanted = new Map<string, { host: string; intent: Intent }>();
    for (const intent of intents) {
      for (const host of intent.match.hosts) {
        if (!hostIndex.has(host)) continue;
        const key = pairKey(host, intent.name);
        if (!wanted.has(key)) wanted.set(key, { host, intent });
      }
    }
    return wanted;
  };

  {
    const draft = table.draft();
    const pairs = pairsOf(current);
    for (const { host, intent } of pairs.values()) table.targets(intent, host, draft, intentJson(intent));
    table.commit(draft, pairs);
  }
  for (const h of hostNames) perHost.set(h, { version: 1n, rules: rulesOf(h), watch: [] });

  /** A plan with what it computed, and the state's epoch it was made in. */
  interface Plan extends IntentsPlan {
    epoch: number;
    pairs: Map<string, { host: string; intent: Intent }>;
    draft: Draft;
  }
  const plans = new WeakMap<IntentsPlan, Plan>();

  /** Groups computed ahead, when they were computed under the current overlay. */
  const aheadGroups = (ahead: Precomputed | undefined): Map<string, ComputedGroup> => {
    const out = new Map<string, ComputedGroup>();
    if (!ahead || ahead.unavailable !== table.unavailable() || (ahead.topology ?? topology) !== topology) return out;
    for (const p of ahead.pairs.values()) for (const g of p.groups) out.set(g.key, g);
    return out;
  };

  const planIntents = (nextIn: Intent[], ahead?: Precomputed): IntentsPlan => {
    const next = [...nextIn];
    const pairs = pairsOf(next);
    const draft = table.draft(aheadGroups(ahead));
    const before = new Map<string, HostRule[]>();
    const after = new Map<string, HostRule[]>();
    const hostRules: HostRuleChangesView[] = [];
    for (const host of hostNames) {
      const prev = perHost.get(host)!.rules;
      const rules = rulesFor(next, host, (intent) => table.targets(pairs.get(pairKey(host, intent.name))!.intent, host, draft, intentJson(intent)));
      before.set(host, prev);
      after.set(host, rules);
      const c = ruleChanges(host, prev, rules);
      if (c.added.length + c.changed.length + c.removed.length > 0) hostRules.push(c);
    }
    const plan: Plan = { intents: next, diff: { ...diffIntents(current, next), hostRules }, before, after, epoch, pairs, draft };
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
    table.commit(plan.draft, plan.pairs);
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

  /**
   * The deltas of a recompute (table.change): the hosts holding a target set that changed get exactly
   * those intents' rules; with `watch`, every host's watch probes are replaced (absent: none).
   */
  const deltasOf = (r: OverlayRecompute, watch: ReadonlyMap<string, WatchProbe[]> | undefined): OverlayApplied => {
    const refs = (sets: string[]): RuleRefView[] => {
      const out: { pair: string; host: string; rules: string[] }[] = [];
      for (const set of sets) {
        const intent = table.intentOf(set);
        const rules = ruleKeys(intent);
        for (const host of table.hostsOf(set)) out.push({ pair: pairKey(host, intent.name), host, rules });
      }
      out.sort((a, b) => (a.pair < b.pair ? -1 : a.pair > b.pair ? 1 : 0));
      return out.flatMap((p) => p.rules.map((rule) => ({ host: p.host, rule })));
    };
    const recomputed = refs(r.sets);
    const changed = refs(r.changedSets);
    // The intents whose targets changed, per host: exactly its rules that change (an overlay change
    // adds and removes no rule), so no rule set is compared or rebuilt.
    const touched = new Map<string, Set<string>>();
    for (const set of r.changedSets) {
      const intent = table.intentOf(set).name;
      for (const host of table.hostsOf(set)) {
        let names = touched.get(host);
        if (!names) touched.set(host, (names = new Set()));
        names.add(intent);
      }
    }
    const candidates = new Set<string>([...touched.keys(), ...(watch ? [...watching, ...[...watch.keys()].filter((h) => hostIndex.has(h))] : [])]);
    const deltas: HostDelta[] = [];
    for (const host of [...candidates].sort((a, b) => hostIndex.get(a)! - hostIndex.get(b)!)) {
      const s = perHost.get(host)!;
      const changedIntents = touched.get(host);
      const rules = changedIntents ? s.rules.map((rule) => (changedIntents.has(rule.intent) ? { ...rule, targets: table.targetsOfPair(pairKey(host, rule.intent)) } : rule)) : s.rules;
      const upserts = changedIntents ? rules.filter((rule) => changedIntents.has(rule.intent)) : [];
      const removed: string[] = [];
      const newWatch = watch ? (watch.get(host) ?? []) : s.watch;
      const watchChanged = canonicalJson(newWatch) !== canonicalJson(s.watch);
      if (upserts.length === 0 && removed.length === 0 && !watchChanged) continue;
      s.rules = rules;
      if (watchChanged) {
        s.watch = [...newWatch];
        if (newWatch.length > 0) watching.add(host);
        else watching.delete(host);
      }
      s.version += 1n;
      deltas.push({ host, version: s.version, upserts, removed, ...(watchChanged ? { watch: [...newWatch] } : {}) });
    }
  return { deltas: stamp(deltas), recomputed, changed };
  };

  return {
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
    unavailable: () => table.unavailable(),

    pairsToCompute(next) {
      // One pair per target set to compute: its groups are those of every pair of the set.
      const tasks = new Map<string, PairTask>();
      for (const { host, intent } of pairsOf(next).values()) {
        const json = intentJson(intent);
        if (!table.needsCompute(intent, host, json)) continue;
        const key = `${table.setKey(intent, host)}\u0000${json}`;
        if (!tasks.has(key)) tasks.set(key, { host, intent });
      }
      return [...tasks.values()];
    },
    planIntents,
    commitIntents,
    setIntents: (next) => commitIntents(planIntents(next)),

    setLiveliness(live, watch) {
      if (!sameUnavailable(live, livePart)) revisions.topology++;
      livePart = live;
      epoch++;
      return deltasOf(table.change(withDrained(live, drained)), watch);
    },

    changeTopology(change) {
      const nextTopology = change.topology ?? topology;
      const nextDrained = change.drained ? { links: [...new Set(change.drained.links)].sort(), routers: [...new Set(change.drained.routers)].sort() } : drained;
      const metrics = metricChanges(topology, nextTopology);
      if (!metrics.full && metrics.worse.length === 0 && sameIds(drained, nextDrained)) return { deltas: [], recomputed: [], changed: [], topologyChanged: false, full: false };
      epoch++;
      revisions.topology++;
      topology = nextTopology;
      drained = nextDrained;
      const r = table.change(withDrained(livePart, nextDrained), { topology: nextTopology, worseLinks: metrics.worse, full: metrics.full });
      return { ...deltasOf(r, undefined), topologyChanged: true, full: metrics.full };
    },
  };
}
