// The path engine: topology + query in, the optimal path (and a disjoint backup) or a precise reason
// out. Pure; never throws on infeasibility. README "Path engine" describes the semantics.
import type { Intent, PathResult, PathSpec, Topology } from "./model.js";
import { HOST_DATAPATH_MSD } from "./model.js";
import type { Exclusion, PathAnswer, PathQuery } from "./path-query.js";
import { graphOf } from "./graph.js";
import { parsePrefix, prefixContains, type Prefix } from "./ipv6.js";
import { parseIpPrefix } from "./ip.js";
import { ipv4Owner } from "./destinations.js";
import { exclusionRules, linkRules, nodeRules } from "./link-rules.js";
import { allowedLinks, effectiveMsd, fail, limitsOf, objectiveWeights, sidDepth, solve, toPath, type Problem, type Stage } from "./path-problem.js";
import { explain } from "./infeasibility.js";
import { plural } from "./units.js";
import { protect } from "./protection.js";

export function findPath(topology: Topology, query: PathQuery): PathAnswer {
  const g = graphOf(topology);
  const from = g.index.get(query.from);
  const to = g.index.get(query.to);
  if (from === undefined) return fail(`unknown router ${query.from}`, "topology");
  if (to === undefined) return fail(`unknown router ${query.to}`, "topology");

  const stages: Stage[] = [];
  for (const name of query.via) {
    const node = g.index.get(name);
    if (node !== undefined) { stages.push({ kind: "waypoint", name, node }); continue; }
    const service = topology.services.find((s) => s.name === name);
    if (!service) return fail(`via: ${name} is neither a router nor a service function of the topology`, "via");
    const healthy = service.instances.filter((i) => i.healthy && g.index.has(i.node));
    if (healthy.length === 0) return fail(`via: service ${name} has no healthy instance`, "via");
    const sidAt = new Map<number, string>();
    for (const i of healthy) if (!sidAt.has(g.index.get(i.node)!)) sidAt.set(g.index.get(i.node)!, i.sid);
    stages.push({ kind: "service", name, nodes: Int32Array.from(sidAt.keys()), sidAt });
  }

  const c = query.constraints;
  const excluded = exclusionRules(query.exclude);
  const nRules = [...nodeRules(c), ...excluded.nodeRules];
  for (const [role, r] of [["source", from], ["destination", to]] as const) {
    const rule = nRules.find((x) => !x.allows(g.routers[r]!));
    if (rule) return fail(`the ${role} router ${g.routers[r]!.name} is excluded by ${rule.label}`, rule.name);
  }
  for (const s of stages) {
    const rule = s.kind === "waypoint" ? nRules.find((x) => !x.allows(g.routers[s.node]!)) : undefined;
    if (rule) return fail(`via: waypoint ${s.name} is excluded by ${rule.label}`, "via", rule.name);
  }
  const lRules = [...linkRules(c), ...excluded.linkRules];
  const problem: Problem = {
    g, query, from, to, stages,
    stageNodes: stages.map((s) => (s.kind === "waypoint" ? Int32Array.of(s.node) : s.nodes)),
    allowed: allowedLinks(g, lRules, nRules),
    limits: limitsOf(g, query),
    linkRules: lRules,
    nodeRules: nRules,
    ...objectiveWeights(g, query),
  };

  const primary = solve(problem, problem.allowed);
  if (!primary) return explain(problem);
  const primaryPath = toPath(problem, primary);
  const msd = effectiveMsd(problem);
  if (msd !== undefined && sidDepth(primaryPath) > msd) {
    return fail(`the best path ${primaryPath.nodes.join(">")} needs ${sidDepth(primaryPath)} SIDs (${plural(primaryPath.segments.length, "segment")} + the destination), more than msd ${msd}`, "msd");
  }
  if (query.protection === "none") return { ok: true, primary: primaryPath, backup: null, notes: [] };
  return protect(problem, primary, primaryPath, msd);
}

/** The intent's path from `fromHost`'s gateway router to the destination's router; the host's
 *  datapath is the head-end, so its SRH capacity bounds the msd. */
export function computePath(topology: Topology, intent: Intent, fromHost: string, exclude: Exclusion[] = []): PathResult {
  if (!topology.hosts.some((h) => h.name === fromHost)) return { ok: false, reason: `unknown source host ${fromHost}` };
  const dest = destinationRouter(topology, intent);
  if (!dest.ok) return dest;
  return computePathToRouter(topology, intent, fromHost, dest.router, exclude);
}

/** The path that `spec` asks for from `fromHost`'s gateway router to `toRouter` (for destinations known
 *  only by router, such as a DNS name's candidate hosts), crossing nothing `exclude` names. */
export function computePathToRouter(topology: Topology, spec: PathSpec, fromHost: string, toRouter: string, exclude: Exclusion[] = []): PathResult {
  const host = topology.hosts.find((h) => h.name === fromHost);
  if (!host) return { ok: false, reason: `unknown source host ${fromHost}` };
  return computeRouterPath(topology, spec, host.router, toRouter, exclude);
}

/** The path that `spec` asks for from a host behind `fromRouter` to `toRouter`: a function of the two
 *  routers and the spec alone (every host behind one router gets the same path; see core/path-groups.ts). */
export function computeRouterPath(topology: Topology, spec: PathSpec, fromRouter: string, toRouter: string, exclude: Exclusion[] = []): PathResult {
  const { objective, weights, constraints, via, protection, msd } = spec;
  const r = findPath(topology, {
    from: fromRouter,
    to: toRouter,
    objective,
    ...(weights ? { weights } : {}),
    constraints,
    via,
    protection,
    msd: Math.min(msd ?? HOST_DATAPATH_MSD, HOST_DATAPATH_MSD),
    headEnd: "host",
    ...(exclude.length > 0 ? { exclude } : {}),
  });
  return r.ok ? { ok: true, path: r.primary, backup: r.backup, notes: r.notes } : { ok: false, reason: r.reason };
}

/** Where traffic for the intent leaves the SRv6 network: the router behind which the destination sits.
 *  IPv6 prefixes by the hosts' subnets and the routers' locators; IPv4 prefixes by the hosts' IPv4
 *  subnets (exactly one: see ipv4Owner). A DNS name has no single router. */
export function destinationRouter(topology: Topology, intent: Intent): { ok: true; router: string } | { ok: false; reason: string } {
  const to = intent.match.to;
  if ("host" in to) {
    const h = topology.hosts.find((x) => x.name === to.host);
    return h ? { ok: true, router: h.router } : { ok: false, reason: `unknown destination host ${to.host}` };
  }
  if ("dns" in to) return { ok: false, reason: `${to.dns} is a DNS name: each of its addresses has its own router` };
  const dest = parseIpPrefix(to.prefix);
  if (!dest) return { ok: false, reason: `bad destination prefix ${to.prefix}` };
  if (dest.family === 4) {
    const owner = ipv4Owner(topology, dest);
    return owner.ok ? { ok: true, router: owner.host.router } : owner;
  }
  const p: Prefix = dest;
  const owners = new Set<string>();
  for (const h of topology.hosts) {
    const a = parsePrefix(`${h.address}/128`)!;
    const subnet = parsePrefix(`${h.address}/${h.prefixLen}`)!;
    if (prefixContains(p, a.bytes) || (subnet.len <= p.len && prefixContains(subnet, p.bytes))) owners.add(h.router);
  }
  for (const r of topology.routers) {
    const loc = parsePrefix(r.locator)!;
    if (prefixContains(p, loc.bytes) || prefixContains(loc, p.bytes)) owners.add(r.name);
  }
  if (owners.size === 0) return { ok: false, reason: `no router of the topology reaches ${to.prefix}` };
  if (owners.size > 1) return { ok: false, reason: `${to.prefix} sits behind several routers (${[...owners].sort().join(", ")}); use a narrower prefix` };
  return { ok: true, router: [...owners][0]! };
}
