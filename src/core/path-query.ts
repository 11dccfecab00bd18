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
}

/** The name of what made a query infeasible, as the user wrote it. */
export type ConstraintName =
  | "topology" | "maxLatency" | "maxJitter" | "maxLoss" | "maxHops" | "minBandwidth"
  | "avoidNodes" | "avoidLinks" | "avoidSrlgs" | "avoidRegions" | "excludeAny" | "includeAny" | "includeAll"
  | "via" | "msd" | "protection";

export type PathAnswer =
  | { ok: true; primary: Path; backup: Path | null; notes: string[] }
  | { ok: false; reason: string; cut: ConstraintName[] };
