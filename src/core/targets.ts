// The destinations of one intent's rules on one host, each with the path it takes. Pure.
import type { RuleTarget, TargetProbes } from "./assignments.js";
import type { Host, Intent, PathResult, Segment, Topology } from "./model.js";
import type { Family, IpPrefix } from "./ip.js";
import { formatIpPrefix, parseIpPrefix } from "./ip.js";
import { hostSubnet, ipv4Owner, isDualStack, matchFamilies } from "./destinations.js";
import { dx4Segment, encapsulated } from "./encap.js";
import { destinationRouter } from "./path-engine.js";
import { computeLiveRouterPath, NOTHING_UNAVAILABLE, type Unavailable } from "./live-paths.js";
import { probeSids } from "./probes.js";

/**
 * `to: host`: the host's IPv6 /128, and its IPv4 /32 when both ends are dual-stack; `to: prefix`: that
 * prefix; `to: dns`: every other host's subnet per family it has (a resolved address is looked up in
 * them). Families the match excludes (by source or protocol) get no target. IPv4 targets take the
 * encapsulated path, ending with the End.DX4 SID of the host they deliver to. Paths avoid what
 * `unavailable` marks (live-paths.ts); every path comes with its loopback probe (probes.ts), the same
 * for an IPv4 target as for its IPv6 twin over the same routers.
 */
export function ruleTargets(topology: Topology, intent: Intent, fromHost: string, unavailable: Unavailable = NOTHING_UNAVAILABLE, how: TargetsHow = {}): RuleTarget[] {
  const families = matchFamilies(intent.match);
  const to = intent.match.to;
  const source = topology.hosts.find((h) => h.name === fromHost);
  const path = how.path ?? ((from: string, toRouter: string) => computeLiveRouterPath(topology, intent, from, toRouter, unavailable));
  const live = (toRouter: string): PathResult => (source ? path(source.router, toRouter) : { ok: false, reason: `unknown source host ${fromHost}` });
  const t = targetMaker(topology, how.probes ?? new WeakMap());
  if ("host" in to) return hostTargets(topology, intent, fromHost, to.host, families, live, t);
  if ("prefix" in to) return prefixTargets(topology, intent, fromHost, to.prefix, families, live, t);
  return dnsTargets(topology, intent, fromHost, families, live, t);
}

/** How ruleTargets gets its paths and probes, when not by computing them itself. */
export interface TargetsHow {
  /** The intent's path from a host behind `fromRouter` to `toRouter` under the overlay: computeLiveRouterPath's result (a path group's, path-groups.ts). */
  path?: (fromRouter: string, toRouter: string) => PathResult;
  /** Probes already made for a path result (by identity): shared by every target of that result. */
  probes?: WeakMap<PathResult, TargetProbes>;
}

/**
 * Hosts for which ruleTargets(intent, host) is the same, whatever the overlay: the same key for two
 * hosts means the same targets. Besides its paths (a function of the host's router, path-groups.ts),
 * ruleTargets reads of the source host: for `to: host`, whether it is dual-stack (its IPv4 twin); for
 * `to: dns`, its name (it is left out of the candidates), so a DNS rule's targets are per host.
 */
export function targetsShareKey(intent: Intent, source: Host): string {
  const to = intent.match.to;
  if ("host" in to) return `router ${source.router} ${isDualStack(source) ? "dual" : "v6"}`;
  if ("prefix" in to) return `router ${source.router}`;
  return `host ${source.name}`;
}

type LivePath = (toRouter: string) => PathResult;

/** Makes the target for a prefix whose packets take `base` (an IPv6 path), encapsulated with `dx4` for IPv4. */
type MakeTarget = (prefix: string, base: PathResult, dx4?: Segment) => RuleTarget;

/** Targets sharing a path (IPv6 and IPv4 twins, a DNS rule's candidates behind one router, a path group's hosts) share its probes. */
function targetMaker(topology: Topology, probes: WeakMap<PathResult, TargetProbes>): MakeTarget {
  return (prefix, base, dx4) => {
    const result = dx4 ? encapsulated(base, dx4) : base;
    if (!base.ok) return { prefix, result };
    let p = probes.get(base);
    if (!p) probes.set(base, (p = { primary: probeSids(topology, base.path), backup: base.backup ? probeSids(topology, base.backup) : null }));
    return { prefix, result, probes: p };
  };
}

/** The intent's path to its destination's router; a failure when there is no such router. */
function intentPath(topology: Topology, intent: Intent, fromHost: string, live: LivePath): PathResult {
  if (!topology.hosts.some((h) => h.name === fromHost)) return { ok: false, reason: `unknown source host ${fromHost}` };
  const dest = destinationRouter(topology, intent);
  return dest.ok ? live(dest.router) : dest;
}

function hostTargets(topology: Topology, intent: Intent, fromHost: string, toHost: string, families: Family[], live: LivePath, target: MakeTarget): RuleTarget[] {
  const destIndex = topology.hosts.findIndex((h) => h.name === toHost);
  const dest = topology.hosts[destIndex];
  if (!dest) throw new Error(`intent ${intent.name}: unknown host ${toHost} (should have been validated)`);
  const source = topology.hosts.find((h) => h.name === fromHost);
  const result = intentPath(topology, intent, fromHost, live);
  const targets: RuleTarget[] = [];
  if (families.includes(6)) targets.push(target(`${dest.address}/128`, result));
  if (families.includes(4) && source && isDualStack(source) && isDualStack(dest)) {
    targets.push(target(`${dest.address4}/32`, result, dx4Segment(topology, destIndex)));
  }
  return targets;
}

function prefixTargets(topology: Topology, intent: Intent, fromHost: string, prefix: string, families: Family[], live: LivePath, target: MakeTarget): RuleTarget[] {
  const p = parseIpPrefix(prefix);
  if (!p) throw new Error(`intent ${intent.name}: bad destination prefix ${prefix} (should have been validated)`);
  if (!families.includes(p.family)) return [];
  const result = intentPath(topology, intent, fromHost, live);
  if (p.family === 6) return [target(prefix, result)];
  const owner = ipv4Owner(topology, p);
  return [owner.ok ? target(prefix, result, dx4Segment(topology, owner.hostIndex)) : target(prefix, result)];
}

interface Candidate {
  prefix: IpPrefix;
  host: Host;
  hostIndex: number;
}

function dnsTargets(topology: Topology, intent: Intent, fromHost: string, families: Family[], live: LivePath, target: MakeTarget): RuleTarget[] {
  // One path computation per destination router: hosts behind the same router share it.
  const paths = new Map<string, PathResult>();
  const pathTo = (router: string): PathResult => {
    let r = paths.get(router);
    if (!r) paths.set(router, (r = live(router)));
    return r;
  };
  const candidates: Candidate[] = [];
  topology.hosts.forEach((host, hostIndex) => {
    if (host.name === fromHost) return;
    for (const family of families) {
      const subnet = hostSubnet(host, family);
      if (subnet) candidates.push({ prefix: subnet, host, hostIndex });
    }
  });
  return distinctPrefixes(candidates).map((c) => {
    const base = pathTo(c.host.router);
    return target(formatIpPrefix(c.prefix), base, c.prefix.family === 6 ? undefined : dx4Segment(topology, c.hostIndex));
  });
}

/**
 * One candidate per prefix. A subnet shared by hosts that need different paths (IPv6: behind different
 * routers; IPv4: different hosts, since each has its own End.DX4 SID) is replaced by each host's own
 * address, so that a longest-prefix lookup never has two answers.
 */
function distinctPrefixes(candidates: Candidate[]): Candidate[] {
  const endOf = (c: Candidate) => (c.prefix.family === 6 ? c.host.router : c.host.name);
  const ends = new Map<string, Set<string>>();
  for (const c of candidates) {
    const k = formatIpPrefix(c.prefix);
    ends.set(k, (ends.get(k) ?? new Set()).add(endOf(c)));
  }
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const shared = ends.get(formatIpPrefix(c.prefix))!.size > 1;
    const own = shared ? { ...c, prefix: hostAddress(c.host, c.prefix.family) } : c;
    const k = formatIpPrefix(own.prefix);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(own);
  }
  return out;
}

function hostAddress(host: Host, family: Family): IpPrefix {
  const p = parseIpPrefix(family === 6 ? host.address : host.address4!);
  if (!p) throw new Error(`host ${host.name}: bad IPv${family} address (should have been validated)`);
  return p;
}
