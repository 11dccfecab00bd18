// Why a query has no path: the rule(s) or budget(s) that cut the last candidate, found by asking
// again with each one relaxed. Only runs after a failed search. Pure.
import type { PathAnswer } from "./path-query.js";
import type { LinkRule, NodeRule } from "./link-rules.js";
import { cap, lowerBounds } from "./path-search.js";
import { allowedLinks, fail, spec, type Problem } from "./path-problem.js";

function reachable(p: Problem, allowed: Uint8Array): boolean {
  const ones = new Float64Array(2 * p.g.topology.links.length).fill(1);
  return lowerBounds(spec(p, allowed), ones)[0]![p.from]! < Infinity;
}

export function explain(p: Problem): PathAnswer {
  const route = `from ${p.query.from} to ${p.query.to}`;
  const all = allowedLinks(p.g, [], []);
  if (!reachable(p, all)) {
    if (p.stages.length > 0 && reachable({ ...p, stageNodes: [] }, all)) return fail(`no path ${route} passes through via [${p.query.via.join(", ")}] in the topology`, "via");
    return fail(`no path ${route} in the topology`, "topology");
  }
  const rules: (LinkRule | NodeRule)[] = [...p.nodeRules, ...p.linkRules];
  if (!reachable(p, p.allowed)) {
    const through = p.stages.length > 0 ? ` through via [${p.query.via.join(", ")}]` : "";
    const only = (r: LinkRule | NodeRule) => allowedLinks(p.g, p.linkRules.filter((x) => x === r), p.nodeRules.filter((x) => x === r));
    const alone = rules.filter((r) => !reachable(p, only(r)));
    if (alone.length > 0) return fail(alone.map((r) => `${r.label} cuts every path ${route}${through}`).join("; "), ...alone.map((r) => r.name));
    const needed = rules.filter((r) => reachable(p, allowedLinks(p.g, p.linkRules, p.nodeRules, r)));
    const blame = needed.length > 0 ? needed : rules;
    return fail(`${andList(blame.map((r) => r.label))} together cut every path ${route}${through}`, ...blame.map((r) => r.name));
  }
  const s = spec(p, p.allowed);
  const bests = p.limits.map((l) => ({ l, best: lowerBounds(s, l.weight)[0]![p.from]! }));
  const single = bests.filter(({ l, best }) => best > cap(l.limit));
  const others = rules.length > 0 ? " that meets the other constraints" : "";
  if (single.length > 0) {
    return fail(single.map(({ l, best }) => `${l.label} cannot be met: ${l.best(best).replace(route, route + others)}`).join("; "), ...single.map(({ l }) => l.name));
  }
  return fail(`${andList(p.limits.map((l) => l.label))} cannot all be met by one path ${route}${others} (each alone can: ${bests.map(({ l, best }) => l.best(best)).join("; ")})`, ...p.limits.map((l) => l.name));
}

function andList(xs: string[]): string {
  return xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}
