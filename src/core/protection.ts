// Protection: a backup disjoint from the primary (link, node or SRLG sense) under the same
// constraints, and when the best primary leaves none, the best primary that has one. Pure.
import type { Path } from "./model.js";
import type { PathAnswer } from "./path-query.js";
import type { SearchSpec } from "./path-search.js";
import { cap, search, type Found } from "./path-search.js";
import { anyPath, disjointPairExists } from "./disjoint.js";
import { suurballe } from "./suurballe.js";
import { arcFrom } from "./graph.js";
import { atLevel, levelsOf, sidDepth, solve, spec, toPath, worstOf, type Problem } from "./path-problem.js";
import { formatDurationUs, formatPercent, formatRateBps } from "./units.js";

/** How many primaries, best first, the pair search tries before giving up on a disjoint pair. */
export const PAIR_SEARCH_CANDIDATES = 64;

/** Arcs a backup may not use, sharing a link (either direction) with `primary` in the protection's sense. */
function disjointFrom(p: Problem, f: Found, allowed: Uint8Array): Uint8Array {
  const g = p.g;
  const out = Uint8Array.from(allowed);
  const drop = (l: number) => { out[2 * l] = 0; out[2 * l + 1] = 0; };
  for (const l of f.links) drop(l);
  const kind = p.query.protection;
  if (kind === "node") {
    const keep = new Set([p.from, p.to, ...p.stages.flatMap((s) => (s.kind === "waypoint" ? [s.node] : []))]);
    for (const u of f.nodes) {
      if (keep.has(u)) continue;
      for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) drop(g.edgeLink[e]!);
    }
  } else if (kind === "srlg") {
    const risks = new Set(f.links.flatMap((l) => g.topology.links[l]!.srlgs));
    g.topology.links.forEach((l, i) => { if (l.srlgs.some((s) => risks.has(s))) drop(i); });
  }
  return out;
}

function describe(p: Problem, path: Path): string {
  const m = path.metrics;
  switch (p.query.objective) {
    case "bandwidth": return `bottleneck ${formatRateBps(m.bottleneckBps)}, latency ${formatDurationUs(m.latencyUs)}`;
    case "utilization": return `max utilization ${formatPercent(m.maxUtilization)}, latency ${formatDurationUs(m.latencyUs)}`;
    case "latency": return `latency ${formatDurationUs(m.latencyUs)}`;
    case "jitter": return `jitter ${formatDurationUs(m.jitterUs)}`;
    case "loss": return `loss ${formatPercent(m.loss)}`;
    case "weighted": return `weighted cost ${+path.links.reduce((s, id, i) => s + p.cost[arcFrom(p.g, p.g.topology.links.findIndex((l) => l.id === id), p.g.index.get(path.nodes[i]!)!)]!, 0).toPrecision(6)}`;
    default: return `${p.query.objective} ${m[p.query.objective as "igp" | "te" | "hops"]}`;
  }
}

export function protect(p: Problem, primary: Found, primaryPath: Path, msd: number | undefined): PathAnswer {
  const kind = p.query.protection;
  const fits = (path: Path) => msd === undefined || sidDepth(path) <= msd;
  if (p.from === p.to) return { ok: true, primary: primaryPath, backup: null, notes: ["source and destination share a router: there is nothing to protect"] };
  const backup = solve(p, disjointFrom(p, primary, p.allowed));
  if (backup) {
    const backupPath = toPath(p, backup);
    if (fits(backupPath)) return { ok: true, primary: primaryPath, backup: backupPath, notes: [] };
  }
  const none = (why: string): PathAnswer => ({ ok: true, primary: primaryPath, backup: null, notes: [why] });
  const route = `from ${p.query.from} to ${p.query.to}`;
  const leg = impossibleLeg(p);
  if (leg) {
    const [a, b] = leg.map((u) => p.g.routers[u]!.name);
    const between = p.stages.length === 0 ? route : `between ${a} and ${b} (consecutive stops of the via path)`;
    const sense = kind === "srlg" ? "link" : kind;
    return none(`no ${sense}-disjoint pair of paths ${between} exists under the constraints${kind === "srlg" ? ", so no SRLG-disjoint one either" : ""}: no backup`);
  }
  const pair = pairSearch(p, fits, pairBound(p));
  const also = msd !== undefined ? ` and msd ${msd}` : "";
  if (pair === "exhausted") return none(`no path ${route} that meets the constraints${also} has a ${kind}-disjoint backup that meets them too: no backup`);
  if (pair === "gave up") return none(`the ${PAIR_SEARCH_CANDIDATES} best primaries have no ${kind}-disjoint backup that meets the constraints${also}; gave up: no backup`);
  const notes = [pair.rank === 0 ? "" : sameValue(p, pair.primary, primaryPath)
    ? `the best path has no ${kind}-disjoint backup; an equally good primary has one`
    : `trade-off: the best path (${describe(p, primaryPath)}) has no ${kind}-disjoint backup; this primary (${describe(p, pair.primary)}) is the best one that has`,
    pair.unproven ? `the pair search stopped after ${PAIR_SEARCH_CANDIDATES} primaries; this primary comes from the least-cost disjoint pair (Suurballe), a better one may exist` : ""].filter(Boolean);
  return { ok: true, primary: pair.primary, backup: pair.backup, notes };
}

/** Two consecutive fixed stops (the ends, or waypoint routers with no service between them) with
 *  no two disjoint paths between them prove that no disjoint pair of whole paths exists: the
 *  primary's and the backup's stretches between them would be two. SRLG-disjoint paths are
 *  link-disjoint, so SRLG protection uses the link check. Exact for a single leg (no via). */
function impossibleLeg(p: Problem): [number, number] | null {
  const nodeDisjoint = p.query.protection === "node";
  const shareable = new Uint8Array(p.g.routers.length);
  const fixed: (number | null)[] = [p.from, ...p.stages.map((s) => (s.kind === "waypoint" ? s.node : null)), p.to];
  for (const u of fixed) if (u !== null) shareable[u] = 1;
  for (let i = 0; i + 1 < fixed.length; i++) {
    const a = fixed[i]!;
    const b = fixed[i + 1]!;
    if (a === null || b === null || a === b) continue;
    const path = anyPath(p.g, p.allowed, a, b);
    if (path && !disjointPairExists(p.g, p.allowed, path.nodes, path.links, nodeDisjoint, shareable)) return [a, b];
  }
  return null;
}

function sameValue(p: Problem, a: Path, b: Path): boolean {
  return describe(p, a) === describe(p, b);
}

/** The better path of the least-total-cost link/node-disjoint pair (Suurballe), if it meets the path
 *  budgets: no primary worse than it needs to be tried. Additive objectives without via only. */
function pairBound(p: Problem): Found | null {
  const kind = p.query.protection;
  if (kind === "srlg" || kind === "none" || p.badness || p.stages.length > 0) return null; // Suurballe knows no stops
  const pair = suurballe(p.g, p.allowed, p.cost, p.from, p.to, kind === "node");
  if (!pair) return null;
  const [a, b] = pair.paths.map((links) => fromMoves(p, links)) as [Found, Found];
  const best = a.cost < b.cost || (a.cost === b.cost && a.tie <= b.tie) ? a : b;
  const within = p.limits.every((l) => best.arcs.reduce((s, x) => s + l.weight[x]!, 0) <= cap(l.limit));
  return within ? best : null;
}

/** Primaries in order of the objective (Yen's k-shortest loopless paths, each spur exact under the
 *  constraints), stopping at the first with a disjoint backup. With a bound (a primary known to have
 *  a disjoint partner), enumeration stops there. Bottleneck objectives walk the levels from the best
 *  down. */
function pairSearch(p: Problem, fits: (path: Path) => boolean, bound: Found | null): { primary: Path; backup: Path; rank: number; unproven: boolean } | "exhausted" | "gave up" {
  const levels = p.badness ? levelsOf(p, p.allowed) : [Infinity];
  const withBackup = (cand: Found): { primary: Path; backup: Path } | null => {
    const b = solve(p, disjointFrom(p, cand, p.allowed));
    if (!b) return null;
    const path = toPath(p, cand);
    const backup = toPath(p, b);
    return fits(path) && fits(backup) ? { primary: path, backup } : null;
  };
  let rank = 0;
  let tried = 0;
  for (const level of levels) {
    const allowed = p.badness ? atLevel(p, p.allowed, level) : p.allowed;
    for (const cand of yen(p, allowed, bound?.cost)) {
      if (bound && (cand.cost > bound.cost || (cand.cost === bound.cost && cand.tie >= bound.tie))) {
        const r = withBackup(bound);
        if (r) return { ...r, rank: Math.max(rank, 1), unproven: false };
        bound = null;
      }
      if (tried++ >= PAIR_SEARCH_CANDIDATES) {
        const r = bound ? withBackup(bound) : null;
        return r ? { ...r, rank: Math.max(rank, 1), unproven: true } : "gave up";
      }
      if (p.badness && worstOf(p, cand) !== level) continue; // seen at a better level already
      const r = withBackup(cand);
      if (r) return { ...r, rank, unproven: false };
      rank++;
    }
  }
  if (bound) {
    const r = withBackup(bound);
    if (r) return { ...r, rank: Math.max(rank, 1), unproven: false };
  }
  return "exhausted";
}

/** A path as the moves that build it: a link index, or ADVANCE (serve the next via stop here). */
const ADVANCE = -1;

function movesOf(f: Found): number[] {
  const moves: number[] = [];
  let stop = 0;
  for (let pos = 0; pos <= f.links.length; pos++) {
    while (stop < f.stops.length && f.stops[stop] === pos) { moves.push(ADVANCE); stop++; }
    if (pos < f.links.length) moves.push(f.links[pos]!);
  }
  return moves;
}

/** The path the moves build from the query's source (plain link lists are moves too). */
function fromMoves(p: Problem, moves: number[]): Found {
  const nodes = [p.from];
  const links: number[] = [];
  const arcs: number[] = [];
  const stops: number[] = [];
  for (const m of moves) {
    if (m === ADVANCE) stops.push(nodes.length - 1);
    else {
      const at = nodes[nodes.length - 1]!;
      links.push(m);
      arcs.push(arcFrom(p.g, m, at));
      nodes.push(p.g.linkA[m] === at ? p.g.linkB[m]! : p.g.linkA[m]!);
    }
  }
  return { nodes, links, arcs, stops, cost: arcs.reduce((s, a) => s + p.cost[a]!, 0), tie: arcs.reduce((s, a) => s + p.tie[a]!, 0) };
}

/** Yen's k-shortest paths over the layered graph (router × via stage): each spur resumes the
 *  prefix's state, may not revisit a router its current leg already crossed, and may not repeat
 *  the first move of an accepted path with the same prefix. Each spur is an exact constrained search. */
function* yen(p: Problem, allowed: Uint8Array, maxCost?: number): Generator<Found> {
  const capped = (sp: SearchSpec): SearchSpec => (maxCost === undefined ? sp : { ...sp, maxCost });
  const first = search(capped(spec(p, allowed)));
  if (!first) return;
  const accepted: number[][] = [movesOf(first)];
  const seen = new Set([accepted[0]!.join(",")]);
  const candidates: Found[] = [];
  yield first;
  for (;;) {
    const last = accepted[accepted.length - 1]!;
    // The state before each move: router, stage, and what the prefix has spent.
    let node = p.from;
    let stage = 0;
    let cost = 0;
    let tie = 0;
    const spent = p.limits.map(() => 0);
    const legStart: number[] = []; // move index where each stage's leg began
    legStart[0] = 0;
    const nodeBefore: number[] = [];
    for (let i = 0; i < last.length; i++) {
      nodeBefore.push(node);
      // Spur at move i: resume (node, stage) with the prefix's cost.
      const visited = new Uint8Array(p.g.routers.length);
      for (let j = legStart[stage]!; j < i; j++) visited[nodeBefore[j]!] = 1;
      const forbid = { links: new Set<number>(), advance: false };
      for (const a of accepted) {
        if (a.length <= i || !sameRoot(a, last, i)) continue;
        if (a[i] === ADVANCE) forbid.advance = true;
        else forbid.links.add(a[i]!);
      }
      const spur = search(capped(spec(p, allowed, { node, stage, cost, tie, spent: [...spent], visited, forbid })));
      if (spur) {
        const moves = [...last.slice(0, i), ...movesOf(spur)];
        const key = moves.join(",");
        if (!seen.has(key)) {
          seen.add(key);
          candidates.push(fromMoves(p, moves));
        }
      }
      const m = last[i]!;
      if (m === ADVANCE) {
        stage++;
        legStart[stage] = i + 1;
      } else {
        const arc = arcFrom(p.g, m, node);
        cost += p.cost[arc]!;
        tie += p.tie[arc]!;
        p.limits.forEach((l, k) => { spent[k] = spent[k]! + l.weight[arc]!; });
        node = p.g.linkA[m] === node ? p.g.linkB[m]! : p.g.linkA[m]!;
      }
    }
    if (candidates.length === 0) return;
    candidates.sort((a, b) => a.cost - b.cost || a.tie - b.tie);
    const next = candidates.shift()!;
    accepted.push(movesOf(next));
    yield next;
  }
}

function sameRoot(a: number[], b: number[], length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

