// Which paths the agent probes, and how: one stream per distinct probed path of the installed rules
// (primaries and backups) and per watch probe. A path is probed with the agent's settings, each
// overridden by what the intents using it set, the strictest winning. Pure.
import type { HostRule } from "../core/assignments.js";
import type { WatchProbe } from "../core/elements.js";
import type { IntentLiveliness } from "../core/model.js";
import { pathKey, watchSpec } from "../datapath/plan.js";
import type { DesiredDatapath, PathSpec } from "../datapath/types.js";
import type { PathProbeSettings, ProbeTarget } from "./prober.js";

/** What a probed path is, for the status and the report. */
export interface ProbedPath {
  /** The path's SIDs and its probe's (the stream's identity). */
  sids: string[];
  probe: string[];
  nodes: string[];
  links: string[];
  /** The rules (and their targets' prefixes) using it; none for a watch probe. */
  usedBy: { key: string; prefix: string; role: "primary" | "backup" }[];
  /** Why the controller asked for it, for a watch probe. */
  watch: string | null;
}

export interface ProbePlan {
  /** One per distinct path, with the settings it is probed with. */
  targets: ProbeTarget[];
  /** By pathKey(). */
  paths: Map<string, ProbedPath>;
}

/** The agent's settings with what the intent sets over them. */
export function intentSettings(agent: PathProbeSettings, l: IntentLiveliness | undefined): PathProbeSettings {
  return {
    intervalMs: l?.intervalMs ?? agent.intervalMs,
    misses: l?.misses ?? agent.misses,
    lossThreshold: l?.lossThreshold ?? agent.lossThreshold,
    holddownMs: l?.holddownMs ?? agent.holddownMs,
  };
}

/** The strictest of two: the shorter interval, fewer misses, lower loss threshold, longer hold-down. */
export function strictest(a: PathProbeSettings, b: PathProbeSettings): PathProbeSettings {
  return {
    intervalMs: Math.min(a.intervalMs, b.intervalMs),
    misses: Math.min(a.misses, b.misses),
    lossThreshold: Math.min(a.lossThreshold, b.lossThreshold),
    holddownMs: Math.max(a.holddownMs, b.holddownMs),
  };
}

/** The watch probes' SID lists that no rule's installed path already probes (those need no stream of their own). */
export function watchStreams(desired: DesiredDatapath, watch: WatchProbe[]): string[][] {
  const probed = new Set(desired.rules.flatMap((r) => [r.primary?.probe, r.backup?.probe].flatMap((p) => (p ? [p.join(",")] : []))));
  return watch.map((w) => w.probeSids).filter((p) => !probed.has(p.join(",")));
}

/**
 * The installed paths that carry a probe (buildDesired leaves it off the paths of intents with
 * probes off) and the watch probes, by the refs the datapath gave them. A watch probe is probed
 * with the agent's own settings.
 */
export function probePlan(rules: HostRule[], desired: DesiredDatapath, refs: ReadonlyMap<string, number>, watch: WatchProbe[], agent: PathProbeSettings): ProbePlan {
  const paths = new Map<string, ProbedPath>();
  const settings = new Map<string, PathProbeSettings>();
  const refOf = new Map<string, number>();
  const add = (spec: PathSpec, own: PathProbeSettings, entry: () => ProbedPath): ProbedPath | null => {
    const key = pathKey(spec);
    const ref = refs.get(key);
    if (ref === undefined || !spec.probe) return null;
    const before = settings.get(key);
    settings.set(key, before ? strictest(before, own) : own);
    if (!paths.has(key)) {
      paths.set(key, entry());
      refOf.set(key, ref);
    }
    return paths.get(key)!;
  };
  const byKey = new Map(rules.map((r) => [r.key, r]));
  const targetOf = new Map(rules.flatMap((r) => r.targets.map((t) => [`${r.key}|${t.prefix}`, t] as const)));
  for (const d of desired.rules) {
    const [ruleKey, , label] = d.identity.split("|") as [string, string, string];
    const own = intentSettings(agent, byKey.get(ruleKey)?.liveliness);
    for (const role of ["primary", "backup"] as const) {
      const spec = d[role];
      if (!spec?.probe) continue;
      const result = targetOf.get(`${ruleKey}|${label}`)?.result;
      const path = result?.ok ? (role === "primary" ? result.path : result.backup) : null;
      const entry = add(spec, own, () => ({ sids: spec.sids, probe: spec.probe!, nodes: path?.nodes ?? [], links: path?.links ?? [], usedBy: [], watch: null }));
      if (entry && !entry.usedBy.some((u) => u.key === ruleKey && u.role === role && u.prefix === label)) entry.usedBy.push({ key: ruleKey, prefix: label, role });
    }
  }
  for (const w of desired.watch ?? []) {
    const why = watch.find((x) => x.probeSids.join(",") === w.join(","));
    add(watchSpec(w), agent, () => ({ sids: [], probe: w, nodes: why?.routers ?? [], links: why?.links ?? [], usedBy: [], watch: why?.reason ?? "watch" }));
  }
  const targets = [...paths].map(([key, p]): ProbeTarget => ({ key, ref: refOf.get(key)!, firstSid: p.probe[0]!, settings: settings.get(key)! }));
  return { targets, paths };
}
