// The hosts' datapath limits, checked by the controller before it takes an intent set (validate,
// apply, start) so that an intent set that cannot fit fails whole, naming the limit, the host and
// the rule, instead of failing later on the host. Pure.
//
// The agent turns each of a host's rules into one datapath rule per static target (a DNS rule: per
// target its resolved addresses fall in), so:
// - rules per host: the datapath holds maxRules - 1 rules (rule id 0 is unused; agent --max-rules,
//   default CAIRN_DEFAULT_MAX_RULES). A rule that is new to the host takes a free id while the
//   rules it replaces still hold theirs (they drain first), so the old and new rules must fit
//   together;
// - rules per app and destination: the classifier's entry for a (cgroup class, destination prefix)
//   holds at most CAIRN_MAX_RULES_PER_PREFIX rules: those of the class whose destination covers the
//   prefix. A lab app and a cgroup are classes; rules without either are the class "any process".
//   DNS rules are not counted: their destinations are known only on the host;
// - SIDs per path: an IPv6 path holds CAIRN_MAX_SIDS - 1 SIDs (the SRH adds the packet's own
//   destination), an encapsulated IPv4 path CAIRN_MAX_SIDS; a loopback probe CAIRN_MAX_PROBE_SIDS.
import type { HostRule } from "../core/assignments.js";
import { ruleKeys } from "../core/assignments.js";
import { ipPrefixContains, parseIpPrefix, type IpPrefix } from "../core/ip.js";
import type { Intent, Path } from "../core/model.js";
import { CAIRN_DEFAULT_MAX_RULES, CAIRN_MAX_PROBE_SIDS, CAIRN_MAX_RULES_PER_PREFIX, CAIRN_MAX_SIDS } from "../datapath/layout.js";

export interface DatapathLimitsConfig {
  /** The agents' --max-rules: rule ids of a host's datapath (it holds one fewer rules). */
  maxRules: number;
}

export const DEFAULT_DATAPATH_LIMITS: DatapathLimitsConfig = { maxRules: CAIRN_DEFAULT_MAX_RULES };

export type LimitName = "rules per host" | "rules per app and destination" | "SIDs per path";

export interface LimitViolation {
  limit: LimitName;
  host: string;
  /** The rule key that does not fit. */
  rule: string;
  /** The whole sentence, naming the limit, the host and the rule. */
  message: string;
}

/** The datapath rules a host rule becomes: one per target, named as the agent names them. */
function entries(r: HostRule): string[] {
  const m = r.match;
  const match = JSON.stringify([m.app ?? null, m.cgroup ?? null, m.user ?? null, m.source ?? null, m.protocol, m.portFrom, m.portTo]);
  return r.targets.map((t) => `${r.key}|${match}|${t.prefix}`);
}

function classOf(r: HostRule): string {
  return r.match.app !== undefined ? `app ${r.match.app}` : r.match.cgroup !== undefined ? `cgroup ${r.match.cgroup}` : "any process";
}

const list = (keys: string[], max = 6) => `${keys.slice(0, max).join(", ")}${keys.length > max ? `, … (${keys.length - max} more)` : ""}`;

/**
 * What `after` breaks on `host`, given the rules it holds now (`before`; empty at the start).
 * Empty when everything fits.
 */
export function hostLimitViolations(host: string, before: readonly HostRule[], after: readonly HostRule[], cfg: DatapathLimitsConfig = DEFAULT_DATAPATH_LIMITS): LimitViolation[] {
  const out: LimitViolation[] = [];

  // Rules per host: the old rules hold their ids while the new ones take free ones.
  const capacity = cfg.maxRules - 1;
  const held = new Set(before.flatMap(entries));
  const union = new Set(held);
  let over: HostRule | undefined;
  for (const r of after) {
    for (const e of entries(r)) union.add(e);
    if (!over && union.size > capacity) over = r;
  }
  if (over) {
    const needed = new Set(after.flatMap(entries)).size;
    out.push({
      limit: "rules per host",
      host,
      rule: over.key,
      message:
        `limit "rules per host" exceeded on host ${host} at rule ${over.key}: the host would hold ${union.size} datapath rules ` +
        `(${needed} after the change${held.size ? `, and ${union.size - needed} of the ${held.size} it holds now until they drain` : ""}); ` +
        `its datapath holds ${capacity} (agent --max-rules ${cfg.maxRules}; one datapath rule per rule and destination)`,
    });
  }

  // Rules per app and destination: per class, the rules whose destination covers each destination.
  const byClass = new Map<string, { rule: HostRule; prefix: IpPrefix; text: string }[]>();
  for (const r of after) {
    if (r.dns !== undefined) continue;
    const cls = classOf(r);
    const l = byClass.get(cls) ?? [];
    for (const t of r.targets) {
      const prefix = parseIpPrefix(t.prefix);
      if (prefix) l.push({ rule: r, prefix, text: t.prefix });
    }
    byClass.set(cls, l);
  }
  const reported = new Set<string>();
  for (const [cls, l] of byClass) {
    for (const d of l) {
      if (reported.has(`${cls}|${d.text}`)) continue;
      const covering = l.filter((o) => ipPrefixContains(o.prefix, d.prefix));
      if (covering.length <= CAIRN_MAX_RULES_PER_PREFIX) continue;
      reported.add(`${cls}|${d.text}`);
      const keys = covering.map((c) => c.rule.key);
      out.push({
        limit: "rules per app and destination",
        host,
        rule: keys[CAIRN_MAX_RULES_PER_PREFIX]!,
        message:
          `limit "rules per app and destination" exceeded on host ${host} at rule ${keys[CAIRN_MAX_RULES_PER_PREFIX]}: destination ${d.text} of ${cls} ` +
          `is matched by ${covering.length} rules (${list(keys)}); the datapath holds at most ${CAIRN_MAX_RULES_PER_PREFIX} per destination (CAIRN_MAX_RULES_PER_PREFIX)`,
      });
    }
  }

  // SIDs per path, and per loopback probe.
  for (const r of after) {
    for (const t of r.targets) {
      if (!t.result.ok) continue;
      const v4 = parseIpPrefix(t.prefix)?.family === 4;
      const max = v4 ? CAIRN_MAX_SIDS : CAIRN_MAX_SIDS - 1;
      const paths: [string, Path | null][] = [["primary", t.result.path], ["backup", t.result.backup]];
      for (const [which, p] of paths) {
        if (!p || p.segments.length <= max) continue;
        out.push({
          limit: "SIDs per path",
          host,
          rule: r.key,
          message:
            `limit "SIDs per path" exceeded on host ${host} at rule ${r.key}: the ${which} path to ${t.prefix} has ${p.segments.length} SIDs; ` +
            `the datapath holds ${max} for ${v4 ? "an encapsulated IPv4" : "an IPv6"} path (CAIRN_MAX_SIDS ${CAIRN_MAX_SIDS}); give the intent an msd`,
        });
      }
      const probes: [string, string[] | null | undefined][] = [["primary", t.probes?.primary], ["backup", t.probes?.backup]];
      for (const [which, probe] of probes) {
        if (!probe || probe.length <= CAIRN_MAX_PROBE_SIDS) continue;
        out.push({
          limit: "SIDs per path",
          host,
          rule: r.key,
          message: `limit "SIDs per path" exceeded on host ${host} at rule ${r.key}: the loopback probe of the ${which} path to ${t.prefix} has ${probe.length} SIDs; the datapath holds ${CAIRN_MAX_PROBE_SIDS} (CAIRN_MAX_PROBE_SIDS)`,
        });
      }
    }
  }
  return out;
}

/** Every host's violations, for the hosts in `hosts` (those whose rules change). */
export function limitViolations(
  hosts: Iterable<string>,
  before: ReadonlyMap<string, readonly HostRule[]>,
  after: ReadonlyMap<string, readonly HostRule[]>,
  cfg: DatapathLimitsConfig = DEFAULT_DATAPATH_LIMITS,
): LimitViolation[] {
  return [...hosts].flatMap((h) => hostLimitViolations(h, before.get(h) ?? [], after.get(h) ?? [], cfg));
}

/**
 * "rules per host" from the intents alone, before any path is computed: each intent gives each of
 * its hosts one rule per port range, and each such rule at least one datapath rule (one per
 * destination), so a host with more rules than its datapath holds cannot fit whatever the paths.
 * This keeps an oversized apply from costing path computation; hostLimitViolations counts exactly.
 */
export function hostRuleCountViolations(intents: readonly Intent[], cfg: DatapathLimitsConfig = DEFAULT_DATAPATH_LIMITS): LimitViolation[] {
  const capacity = cfg.maxRules - 1;
  const perHost = new Map<string, string[]>();
  for (const intent of intents) {
    const keys = ruleKeys(intent);
    for (const host of new Set(intent.match.hosts)) {
      const l = perHost.get(host) ?? [];
      for (const k of keys) l.push(k);
      perHost.set(host, l);
    }
  }
  const out: LimitViolation[] = [];
  for (const [host, keys] of perHost) {
    if (keys.length <= capacity) continue;
    out.push({
      limit: "rules per host",
      host,
      rule: keys[capacity]!,
      message:
        `limit "rules per host" exceeded on host ${host} at rule ${keys[capacity]}: the intents give it ${keys.length} rules (one per intent and port range), ` +
        `each at least one datapath rule; its datapath holds ${capacity} (agent --max-rules ${cfg.maxRules}, controller --max-rules)`,
    });
  }
  return out;
}
