// The destinations of one intent's rules on one host, each with the path it takes. Pure.
import type { RuleTarget } from "./assignments.js";
import type { Host, Intent, PathResult, Topology } from "./model.js";
import type { Family, IpPrefix } from "./ip.js";
import { formatIpPrefix, parseIpPrefix } from "./ip.js";
import { hostSubnet, ipv4Owner, isDualStack, matchFamilies } from "./destinations.js";
import { dx4Segment, encapsulated } from "./encap.js";
import { computePath, computePathToRouter } from "./path-engine.js";

/**
 * `to: host`: the host's IPv6 /128, and its IPv4 /32 when both ends are dual-stack; `to: prefix`: that
 * prefix; `to: dns`: every other host's subnet per family it has (a resolved address is looked up in
 * them). Families the match excludes (by source or protocol) get no target. IPv4 targets take the
 * encapsulated path, ending with the End.DX4 SID of the host they deliver to.
 */
export function ruleTargets(topology: Topology, intent: Intent, fromHost: string): RuleTarget[] {
  const families = matchFamilies(intent.match);
  const to = intent.match.to;
  if ("host" in to) return hostTargets(topology, intent, fromHost, to.host, families);
  if ("prefix" in to) return prefixTargets(topology, intent, fromHost, to.prefix, families);
  return dnsTargets(topology, intent, fromHost, families);
}

function hostTargets(topology: Topology, intent: Intent, fromHost: string, toHost: string, families: Family[]): RuleTarget[] {
  const destIndex = topology.hosts.findIndex((h) => h.name === toHost);
  const dest = topology.hosts[destIndex];
  if (!dest) throw new Error(`intent ${intent.name}: unknown host ${toHost} (should have been validated)`);
  const source = topology.hosts.find((h) => h.name === fromHost);
  const result = computePath(topology, intent, fromHost);
  const targets: RuleTarget[] = [];
  if (families.includes(6)) targets.push({ prefix: `${dest.address}/128`, result });
  if (families.includes(4) && source && isDualStack(source) && isDualStack(dest)) {
    targets.push({ prefix: `${dest.address4}/32`, result: encapsulated(result, dx4Segment(topology, destIndex)) });
  }
  return targets;
}

function prefixTargets(topology: Topology, intent: Intent, fromHost: string, prefix: string, families: Family[]): RuleTarget[] {
  const p = parseIpPrefix(prefix);
  if (!p) throw new Error(`intent ${intent.name}: bad destination prefix ${prefix} (should have been validated)`);
  if (!families.includes(p.family)) return [];
  const result = computePath(topology, intent, fromHost);
  if (p.family === 6) return [{ prefix, result }];
  const owner = ipv4Owner(topology, p);
  return [{ prefix, result: owner.ok ? encapsulated(result, dx4Segment(topology, owner.hostIndex)) : result }];
}

interface Candidate {
  prefix: IpPrefix;
  host: Host;
  hostIndex: number;
}

function dnsTargets(topology: Topology, intent: Intent, fromHost: string, families: Family[]): RuleTarget[] {
  // One path computation per destination router: hosts behind the same router share it.
  const paths = new Map<string, PathResult>();
  const pathTo = (router: string): PathResult => {
    let r = paths.get(router);
    if (!r) paths.set(router, (r = computePathToRouter(topology, intent, fromHost, router)));
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
    return { prefix: formatIpPrefix(c.prefix), result: c.prefix.family === 6 ? base : encapsulated(base, dx4Segment(topology, c.hostIndex)) };
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
