// Which rules each host's agent must hold: intents × their hosts, with computed paths. Pure.
import type { FailurePolicy, Intent, IntentLiveliness, PathResult, PortRange, Topology } from "./model.js";
import { failurePolicy, PROTOCOL_NUMBERS } from "./model.js";
import { ruleTargets } from "./targets.js";
import { NOTHING_UNAVAILABLE, type Unavailable } from "./live-paths.js";

/** Which packets a rule takes: every field present must match. */
export interface RuleMatch {
  /** Lab app name: the packet's socket is in the app's cgroup (or below it). */
  app?: string;
  /** cgroup v2 path relative to the cgroup2 mount: the socket's cgroup is this one or below it. */
  cgroup?: string;
  /** Owner of the sending socket: a uid ("1001") or a user name, resolved by the agent. */
  user?: string;
  /** Source prefix "addr/len", IPv6 or IPv4. */
  source?: string;
  /** IP protocol number; 0 = any. */
  protocol: number;
  /** Inclusive destination port range; 0..65535 = any port. */
  portFrom: number;
  portTo: number;
}

/** One destination of a rule and the path its packets take. */
export interface RuleTarget {
  /** Destination "addr/len", IPv6 or IPv4. */
  prefix: string;
  /** IPv6 targets: the SRH is inserted inline and its segments are the path's. IPv4 targets: the host encapsulates
   *  (H.Encaps: outer IPv6 + SRH); the segments end with the egress router's End.DX4 SID for the destination host.
   *  A failure carries the reason; the rule's onFailure says what becomes of its packets. */
  result: PathResult;
  /** The loopback probes of the path and of its backup (core/probes.ts): SIDs in travel order, the host's own
   *  address to be appended. Absent when there is no path. An IPv4 target has its IPv6 twin's (probes are IPv6). */
  probes?: TargetProbes;
}

export interface TargetProbes {
  primary: string[];
  /** Null when the target has no backup. */
  backup: string[] | null;
}

/** One datapath rule an agent must hold: which packets, where they may go, on which paths. */
export interface HostRule {
  /** Stable identity across recomputations: `${intent}#${portRangeIndex}`. */
  key: string;
  intent: string;
  /** Position of the intent in its file: lower wins among rules of the same cgroup and destination prefix. */
  priority: number;
  match: RuleMatch;
  /** What happens to matching packets when the target has no usable path: sent unsteered (open) or dropped (closed). */
  onFailure: FailurePolicy;
  /** Static destinations; for a DNS rule, the candidate destinations a resolved address is looked up in (longest prefix wins). */
  targets: RuleTarget[];
  /** The DNS name the agent resolves (and keeps resolving, by TTL); its addresses are the rule's destinations. */
  dns?: string;
  /** The intent's probe settings; absent: the agent's own. */
  liveliness?: IntentLiveliness;
}

export const ANY_PORT: PortRange = { from: 0, to: 65535 };

/** The match of the rule for one of the intent's port ranges. */
export function ruleMatch(intent: Intent, range: PortRange): RuleMatch {
  const m = intent.match;
  return {
    ...(m.app !== undefined ? { app: m.app } : {}),
    ...(m.cgroup !== undefined ? { cgroup: m.cgroup } : {}),
    ...(m.user !== undefined ? { user: m.user } : {}),
    ...(m.source !== undefined ? { source: m.source } : {}),
    protocol: m.protocol ? PROTOCOL_NUMBERS[m.protocol] : 0,
    portFrom: range.from,
    portTo: range.to,
  };
}

/** The rules `hostName` must hold for `intents`, in priority order: one per intent and port range. Paths
 *  avoid what `unavailable` marks (the liveliness overlay). */
export function hostRules(topology: Topology, intents: Intent[], hostName: string, unavailable: Unavailable = NOTHING_UNAVAILABLE): HostRule[] {
  return intents.flatMap((intent, priority) =>
    intent.match.hosts.includes(hostName) ? intentRules(intent, priority, ruleTargets(topology, intent, hostName, unavailable)) : [],
  );
}

/** The rules of one intent on one host, given its targets (shared by all of them): one per port range. */
export function intentRules(intent: Intent, priority: number, targets: RuleTarget[]): HostRule[] {
  return rulesWithoutTargets(intent).map((r) => ({ ...r, priority, targets }));
}

/** What an intent's rules are on every host, but for their priority and targets: made once per intent object (10,000 hosts hold them). */
const templates = new WeakMap<Intent, Omit<HostRule, "priority" | "targets">[]>();
function rulesWithoutTargets(intent: Intent): Omit<HostRule, "priority" | "targets">[] {
  let t = templates.get(intent);
  if (t) return t;
  const to = intent.match.to;
  const ranges = intent.match.ports.length > 0 ? intent.match.ports : [ANY_PORT];
  t = ranges.map((range, i) => ({
    key: ruleKey(intent.name, i),
    intent: intent.name,
    match: ruleMatch(intent, range),
    onFailure: failurePolicy(intent),
    ...("dns" in to ? { dns: to.dns } : {}),
    ...(intent.liveliness ? { liveliness: { ...intent.liveliness } } : {}),
  }));
  templates.set(intent, t);
  return t;
}

export function ruleKey(intent: string, portRangeIndex: number): string {
  return `${intent}#${portRangeIndex}`;
}

/** The keys of the intent's rules on any of its hosts. */
export function ruleKeys(intent: Intent): string[] {
  return Array.from({ length: Math.max(1, intent.match.ports.length) }, (_, i) => ruleKey(intent.name, i));
}
