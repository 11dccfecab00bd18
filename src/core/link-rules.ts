// The per-link hard constraints of a query (everything but the path-wide budgets), each as its own
// rule so that infeasibility can name the rule(s) that cut the last path. Pure.
import type { Constraints, Link, LinkMetrics, Router } from "./model.js";
import { availableBps } from "./model.js";
import type { ConstraintName, Exclusion } from "./path-query.js";
import { formatRateBps } from "./units.js";
import { pairForms } from "./link-refs.js";

export interface LinkRule {
  name: ConstraintName;
  /** Exact identity of the rule and its values, for caches. */
  key: string;
  /** How to say it in a sentence, e.g. "minBandwidth 1Gbps". */
  label: string;
  /** Whether a path may cross `link` in the direction whose metrics are `m`. */
  allows(link: Link, m: LinkMetrics): boolean;
}

export interface NodeRule {
  name: ConstraintName;
  key: string;
  label: string;
  allows(router: Router): boolean;
}

const list = (xs: string[]) => xs.join(", ");

export function nodeRules(c: Constraints): NodeRule[] {
  const rules: NodeRule[] = [];
  if (c.avoidNodes.length > 0) {
    const s = new Set(c.avoidNodes);
    rules.push({ name: "avoidNodes", key: `avoidNodes=${JSON.stringify(c.avoidNodes)}`, label: `avoidNodes [${list(c.avoidNodes)}]`, allows: (r) => !s.has(r.name) });
  }
  if (c.avoidRegions.length > 0) {
    const s = new Set(c.avoidRegions);
    rules.push({ name: "avoidRegions", key: `avoidRegions=${JSON.stringify(c.avoidRegions)}`, label: `avoidRegions [${list(c.avoidRegions)}]`, allows: (r) => r.region === undefined || !s.has(r.region) });
  }
  return rules;
}

export function linkRules(c: Constraints): LinkRule[] {
  const rules: LinkRule[] = [];
  if (c.avoidLinks.length > 0) {
    const s = new Set(c.avoidLinks);
    // An entry is a link's id, or "a-b" for every link between a and b (either order, parallel links all).
    rules.push({ name: "avoidLinks", key: `avoidLinks=${JSON.stringify(c.avoidLinks)}`, label: `avoidLinks [${list(c.avoidLinks)}]`, allows: (l) => ![...pairForms(l), l.id].some((x) => s.has(x)) });
  }
  if (c.avoidSrlgs.length > 0) {
    const s = new Set(c.avoidSrlgs);
    rules.push({ name: "avoidSrlgs", key: `avoidSrlgs=${JSON.stringify(c.avoidSrlgs)}`, label: `avoidSrlgs [${list(c.avoidSrlgs)}]`, allows: (l) => !l.srlgs.some((x) => s.has(x)) });
  }
  if (c.excludeAny.length > 0) {
    const s = new Set(c.excludeAny);
    rules.push({ name: "excludeAny", key: `excludeAny=${JSON.stringify(c.excludeAny)}`, label: `excludeAny [${list(c.excludeAny)}]`, allows: (l) => !l.colors.some((x) => s.has(x)) });
  }
  if (c.includeAny.length > 0) {
    const s = new Set(c.includeAny);
    rules.push({ name: "includeAny", key: `includeAny=${JSON.stringify(c.includeAny)}`, label: `includeAny [${list(c.includeAny)}]`, allows: (l) => l.colors.some((x) => s.has(x)) });
  }
  if (c.includeAll.length > 0) {
    rules.push({ name: "includeAll", key: `includeAll=${JSON.stringify(c.includeAll)}`, label: `includeAll [${list(c.includeAll)}]`, allows: (l) => c.includeAll.every((x) => l.colors.includes(x)) });
  }
  if (c.minBandwidthBps !== undefined) {
    const min = c.minBandwidthBps;
    rules.push({ name: "minBandwidth", key: `minBandwidth=${JSON.stringify(c.minBandwidthBps)}`, label: `minBandwidth ${formatRateBps(min)}`, allows: (_, m) => availableBps(m) >= min });
  }
  return rules;
}

/** The query's exclusions (the liveliness overlay) as rules of their own, so that infeasibility names them. */
export function exclusionRules(exclusions: Exclusion[] = []): { linkRules: LinkRule[]; nodeRules: NodeRule[] } {
  const linkRules: LinkRule[] = [];
  const nodeRules: NodeRule[] = [];
  for (const x of exclusions) {
    if (x.routers.length > 0) {
      const s = new Set(x.routers);
      const sorted = [...s].sort();
      nodeRules.push({ name: "unavailable", key: `routers ${x.what}=${JSON.stringify(sorted)}`, label: `routers ${x.what} [${list(sorted)}]`, allows: (r) => !s.has(r.name) });
    }
    if (x.links.length > 0) {
      const s = new Set(x.links);
      const sorted = [...s].sort();
      linkRules.push({ name: "unavailable", key: `links ${x.what}=${JSON.stringify(sorted)}`, label: `links ${x.what} [${list(sorted)}]`, allows: (l) => !s.has(l.id) });
    }
  }
  return { linkRules, nodeRules };
}
