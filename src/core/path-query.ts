// What the path engine is asked and what it answers. Plain data.
import type { Constraints, Objective, Path, Protection, Weights } from "./model.js";

export interface PathQuery {
  /** Head-end router. */
  from: string;
  /** Router behind which the destination sits. */
  to: string;
  objective: Objective;
  /** Only for objective "weighted". */
  weights?: Weights;
  constraints: Constraints;
  /** Ordered waypoints (router names) or service function names. */
  via: string[];
  protection: Protection;
  /** Maximum SID depth (SRH entries, final destination included); the head-end's own msd also applies. */
  msd?: number;
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
