// What the path engine is asked and what it answers. Plain data.
import type { Path, PathSpec } from "./model.js";

export interface PathQuery extends PathSpec {
  /** Head-end router. */
  from: string;
  /** Router behind which the destination sits. */
  to: string;
  /** Who inserts the SRH: the `from` router (default; its msd applies), or a host behind it
   *  (Cairn's agents: then only `msd` applies, which the caller sets to the host's capacity). */
  headEnd?: "router" | "host";
  /** Links and routers no path may cross now (the liveliness overlay), apart from the constraints. The
   *  IGP still has them: segment lists are computed over the declared topology, which is what the
   *  routers forward on when a failure is gray (and stays correct when the IGP does drop a link). */
  exclude?: Exclusion[];
}

/** One reason a set of links and routers is out of use, e.g. "marked down". */
export interface Exclusion {
  /** How to say it before the list: "links marked down" → "links marked down [r2-r3]". */
  what: string;
  links: string[];
  routers: string[];
}

/** The name of what made a query infeasible, as the user wrote it. */
export type ConstraintName =
  | "topology" | "maxLatency" | "maxJitter" | "maxLoss" | "maxHops" | "minBandwidth"
  | "avoidNodes" | "avoidLinks" | "avoidSrlgs" | "avoidRegions" | "excludeAny" | "includeAny" | "includeAll"
  | "via" | "msd" | "protection"
  /** The liveliness overlay's exclusions (PathQuery.exclude), not the user's constraints. */
  | "unavailable";

export type PathAnswer =
  | { ok: true; primary: Path; backup: Path | null; notes: string[] }
  | { ok: false; reason: string; cut: ConstraintName[] };
