// Path groups: the unit of path computation. Every path a rule takes is computed by
// computeLiveRouterPath(topology, spec, fromRouter, toRouter, unavailable) (live-paths.ts), a function of
// the source host's router (never of the host itself), the destination router, the intent's path
// requirements (objective, weights, constraints, via, protection, msd: the PathSpec fields, nothing of
// the match, onFailure or liveliness) and the overlay. Rules whose computations agree on these share
// one result, however many hosts hold them: two intents with the same requirements and destination
// router share it too. Pure.
import type { PathSpec } from "./model.js";
import { canonicalJson } from "./canonical-json.js";

/** The PathSpec fields of a spec (an intent is one): exactly what a path computation reads of it. */
export function pathSpecOf(spec: PathSpec): PathSpec {
  const { objective, weights, constraints, via, protection, msd } = spec;
  return { objective, ...(weights !== undefined ? { weights } : {}), constraints, via, protection, ...(msd !== undefined ? { msd } : {}) };
}

/** One string per path requirement: equal for specs whose paths are computed alike. */
export function pathSpecKey(spec: PathSpec): string {
  return canonicalJson(pathSpecOf(spec));
}

/** The group of the computation from `fromRouter` to `toRouter` under the spec whose pathSpecKey is `specKey`. */
export function pathGroupKey(fromRouter: string, toRouter: string, specKey: string): string {
  return `${fromRouter}\u0000${toRouter}\u0000${specKey}`;
}
