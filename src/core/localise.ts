// Fault localisation from probed paths: which links, routers and hosts explain the failing paths.
// Pure.
//
// A loopback probe crosses the same links out and back, so a path's state speaks for exactly its
// elements (its host with the uplink, its routers, its links). Two verdicts, each over its own
// failing paths:
// - down: failing = paths that are down; healthy = paths that are up or degraded (a degraded
//   path still forwards, so none of its elements is down).
// - degraded: failing = paths that are degraded; healthy = paths that are up.
// A candidate is an element on some failing path and on no healthy path. Failing paths without a
// candidate are unexplained (every element they cross works on another path: a fault no single
// element explains). The suspects are the elements of the minimal explanations: the minimum
// hitting sets of the explained failing paths over the candidates (hitting-set.ts). Each suspect's
// confidence is the share of those minimum sets that contain it (1: in every one); `unique` says its
// group of failing paths (those linked to one another through shared candidates) has only one
// minimal explanation, and it is part of it, whatever ambiguity other groups have; `share` is the
// part of the verdict's failing paths it lies on.
// Paths in state "unknown" are no evidence.
import type { ElementRef, PathState } from "./elements.js";
import { elementFromKey, elementKey } from "./elements.js";
import { minimumHittingSets, HITTING_SET_BUDGET } from "./hitting-set.js";

export interface ObservedPath {
  /** Unique among the observations, e.g. the host and the probe's SIDs. */
  id: string;
  host: string;
  state: PathState;
  /** Everything the probe crosses (elements.ts: probedElements). */
  elements: ElementRef[];
}

export interface Suspect {
  element: ElementRef;
  state: "down" | "degraded";
  /** Share of the minimal explanations that contain it, 0 < confidence ≤ 1. */
  confidence: number;
  /** It is in the only minimal explanation of its group of failing paths (linked through shared candidates). */
  unique: boolean;
  /** Failing paths (of its verdict) it lies on, and their share of all of them. */
  failingPaths: number;
  share: number;
}

export interface Localisation<P extends ObservedPath = ObservedPath> {
  /** Down suspects, then degraded ones, each by element kind and id. */
  suspects: Suspect[];
  /** Failing paths that no element explains. */
  unexplained: P[];
  downPaths: number;
  degradedPaths: number;
  /** Elements in a minimal explanation, per verdict. */
  explanationSize: { down: number; degraded: number };
  /** False when a minimal explanation was found greedily (too costly to search exhaustively). */
  exact: boolean;
}

export function localise<P extends ObservedPath>(paths: readonly P[], budget = HITTING_SET_BUDGET): Localisation<P> {
  const healthyFor = (states: PathState[]) => {
    const healthy = new Set<string>();
    for (const p of paths) if (states.includes(p.state)) for (const e of p.elements) healthy.add(elementKey(e));
    return (key: string) => healthy.has(key);
  };
  return localiseFailing(
    { down: paths.filter((p) => p.state === "down"), degraded: paths.filter((p) => p.state === "degraded") },
    { down: healthyFor(["up", "degraded"]), degraded: healthyFor(["up"]) },
    budget,
  );
}

/**
 * localise, given only the failing paths of each verdict (in the order localise would see them) and,
 * per verdict, whether some healthy path crosses an element (by key): what a caller that keeps the
 * evidence incrementally needs, without the healthy paths themselves.
 */
export function localiseFailing<P extends ObservedPath>(
  failing: { down: readonly P[]; degraded: readonly P[] },
  healthy: { down: (key: string) => boolean; degraded: (key: string) => boolean },
  budget = HITTING_SET_BUDGET,
): Localisation<P> {
  const down = verdict(failing.down, healthy.down, "down", budget);
  const degraded = verdict(failing.degraded, healthy.degraded, "degraded", budget);
  return {
    suspects: [...down.suspects, ...degraded.suspects],
    unexplained: [...down.unexplained, ...degraded.unexplained],
    downPaths: down.failing,
    degradedPaths: degraded.failing,
    explanationSize: { down: down.size, degraded: degraded.size },
    exact: down.exact && degraded.exact,
  };
}

function verdict<P extends ObservedPath>(failing: readonly P[], isHealthy: (key: string) => boolean, failingState: "down" | "degraded", budget: number) {
  const keys: string[] = [];
  const number = new Map<string, number>();
  const sets: number[][] = [];
  const unexplained: P[] = [];
  const crossing = new Map<string, number>();
  for (const p of failing) {
    const candidates = [...new Set(p.elements.map(elementKey))].filter((k) => !isHealthy(k));
    if (candidates.length === 0) {
      unexplained.push(p);
      continue;
    }
    sets.push(candidates.map((k) => {
      let n = number.get(k);
      if (n === undefined) number.set(k, (n = keys.push(k) - 1));
      crossing.set(k, (crossing.get(k) ?? 0) + 1);
      return n;
    }));
  }
  const solved = minimumHittingSets(sets, budget);
  const suspects: Suspect[] = [];
  for (const [n, confidence] of solved.share) {
    if (confidence <= 0) continue;
    const key = keys[n]!;
    const on = crossing.get(key)!;
    suspects.push({
      element: elementFromKey(key),
      state: failingState,
      confidence,
      unique: solved.uniqueInComponent.get(n)! && confidence === 1,
      failingPaths: on,
      share: on / failing.length,
    });
  }
  suspects.sort((a, b) => elementKey(a.element).localeCompare(elementKey(b.element)));
  return { suspects, unexplained, failing: failing.length, size: solved.size, exact: solved.exact };
}

/** How many paths of each state cross each element, and the hosts whose failing paths do. */
export interface Evidence {
  down: number;
  degraded: number;
  up: number;
  reportedBy: string[];
}

export function evidenceOf(paths: readonly ObservedPath[]): Map<string, Evidence> {
  const out = new Map<string, Evidence>();
  for (const p of paths) {
    if (p.state === "unknown") continue;
    for (const k of new Set(p.elements.map(elementKey))) {
      let e = out.get(k);
      if (!e) out.set(k, (e = { down: 0, degraded: 0, up: 0, reportedBy: [] }));
      e[p.state]++;
      if (p.state !== "up" && !e.reportedBy.includes(p.host)) e.reportedBy.push(p.host);
    }
  }
  for (const e of out.values()) e.reportedBy.sort();
  return out;
}
