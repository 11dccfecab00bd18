// Paths over the live network: the declared topology minus what the liveliness overlay marks. Pure.
//
// - Down links and routers are removed: no primary or backup crosses them. The query's own ends
//   (the source host's gateway and the destination's router) are the exception: no path can avoid
//   them, and refusing the path would only trade a path that may work for certain onFailure; the
//   target carries a note instead.
// - Degraded links and routers are avoided when a path without them meets the intent (primary
//   under every constraint; the backup, if asked for, is then searched under the same exclusion);
//   when none does, they are kept and the target says which ones its path crosses.
// Segment lists stay those of the declared topology's IGP (see PathQuery.exclude).
import type { Path, PathResult, PathSpec, Topology } from "./model.js";
import type { Exclusion } from "./path-query.js";
import { computeRouterPath } from "./path-engine.js";

export interface ElementIds {
  links: string[];
  routers: string[];
}

/** What the overlay marks, as path computation takes it. */
export interface Unavailable {
  down: ElementIds;
  degraded: ElementIds;
}

export const NOTHING_UNAVAILABLE: Unavailable = { down: { links: [], routers: [] }, degraded: { links: [], routers: [] } };

export function isNothingUnavailable(u: Unavailable): boolean {
  return u.down.links.length + u.down.routers.length + u.degraded.links.length + u.degraded.routers.length === 0;
}

/** `computePathToRouter` over the live network (see the module comment). */
export function computeLivePath(topology: Topology, spec: PathSpec, fromHost: string, toRouter: string, unavailable: Unavailable): PathResult {
  const source = topology.hosts.find((h) => h.name === fromHost);
  if (!source) return { ok: false, reason: `unknown source host ${fromHost}` };
  return computeLiveRouterPath(topology, spec, source.router, toRouter, unavailable);
}

/** `computeRouterPath` over the live network: what a host behind `fromRouter` gets (see the module comment). */
export function computeLiveRouterPath(topology: Topology, spec: PathSpec, fromRouter: string, toRouter: string, unavailable: Unavailable): PathResult {
  if (isNothingUnavailable(unavailable)) return computeRouterPath(topology, spec, fromRouter, toRouter);
  const ends = new Map([[fromRouter, "source"], [toRouter, "destination"]]);
  const notes: string[] = [];
  const transit = (ids: ElementIds, state: string): ElementIds => {
    for (const r of ids.routers) {
      const role = ends.get(r);
      if (role) notes.push(`the ${role} router ${r} is marked ${state} by liveliness; no path can avoid it`);
    }
    return { links: ids.links, routers: ids.routers.filter((r) => !ends.has(r)) };
  };
  const down = transit(unavailable.down, "down");
  const degraded = transit(unavailable.degraded, "degraded");
  const exclusion = (what: string, ids: ElementIds): Exclusion[] => (ids.links.length + ids.routers.length > 0 ? [{ what, ...ids }] : []);
  const withNotes = (r: PathResult, more: string[] = []): PathResult => (r.ok ? { ...r, notes: [...r.notes, ...notes, ...more] } : r);

  const excludeDown = exclusion("marked down", down);
  const avoided = computeRouterPath(topology, spec, fromRouter, toRouter, [...excludeDown, ...exclusion("marked degraded", degraded)]);
  if (avoided.ok || degraded.links.length + degraded.routers.length === 0) return withNotes(avoided);
  const kept = computeRouterPath(topology, spec, fromRouter, toRouter, excludeDown);
  if (!kept.ok) return kept;
  const crossed = [...new Set([kept.path, ...(kept.backup ? [kept.backup] : [])].flatMap((p) => degradedOn(p, degraded)))];
  return withNotes(kept, crossed.length > 0 ? [`crosses ${crossed.join(", ")}, marked degraded: no path that avoids them meets the intent`] : []);
}

function degradedOn(p: Path, degraded: ElementIds): string[] {
  const links = new Set(degraded.links);
  const routers = new Set(degraded.routers);
  return [...p.links.filter((l) => links.has(l)).map((l) => `link ${l}`), ...p.nodes.filter((r) => routers.has(r)).map((r) => `router ${r}`)];
}
