// The liveliness overlay: which links, routers and hosts are marked down or degraded on top of the
// declared topology (which stays as loaded), and how marks come and go. Pure; times are milliseconds
// on the caller's clock.
//
// - A suspect of the localisation is marked at once with its verdict's state (agents already wait
//   for several lost probes before they call a path down or degraded). A down mark whose element
//   now lies on a degraded path (it forwards, with loss) becomes a degraded mark.
// - A mark stays while no probe shows the element healthy, even when no evidence remains either
//   way: traffic was moved off it, so only a watch probe can tell.
// - It is cleared once up paths have crossed it for the hold-down, counted from the later of the
//   earliest such path's "up since" and the last time the element was a suspect. A suspect again,
//   or no up path crossing it any more, and the count starts over.
// - Each mark keeps a few of the failing paths that made it (distinct hosts first) as watch
//   paths: their hosts keep probing them, so their recovery is seen although no rule uses them.
import type { ElementRef, ElementState, WatchProbe } from "./elements.js";
import { elementKey, elementText } from "./elements.js";
import type { ObservedPath, Localisation } from "./localise.js";
import type { ElementIds, Unavailable } from "./live-paths.js";

/** A probed path as the overlay needs it: the localisation's view plus what it takes to watch it. */
export interface ProbedPath extends ObservedPath {
  probeSids: string[];
  routers: string[];
  links: string[];
  /** When the path entered its state, on the caller's clock. */
  sinceMs: number;
}

export interface WatchedPath {
  host: string;
  probeSids: string[];
  routers: string[];
  links: string[];
}

export interface OverlayMark {
  element: ElementRef;
  state: "down" | "degraded";
  source: "localisation";
  /** When the mark got its state. */
  sinceMs: number;
  /** The last time the localisation named the element a suspect. */
  lastSuspectMs: number;
  /** Failing paths that crossed it, kept under watch until it clears. */
  watch: WatchedPath[];
}

/** Marks by element key (elements.ts). */
export type Overlay = ReadonlyMap<string, OverlayMark>;

export interface OverlayChange {
  element: ElementRef;
  state: ElementState;
  previous: ElementState;
  reason: string;
}

export interface OverlayStep {
  overlay: Overlay;
  changes: OverlayChange[];
  /** Marks in hold-down: when each clears unless a probe fails first. */
  clearsAtMs: Map<string, number>;
  /** The earliest of those, when the caller should look again; null when none. */
  nextDeadlineMs: number | null;
}

export const DEFAULT_HOLD_DOWN_MS = 3_000;
/** Watch paths kept per mark. */
export const WATCH_PATHS_PER_MARK = 2;

/**
 * The overlay after `found`, from the probed paths: all of them, or a lookup of those crossing an
 * element (by key) for a caller that indexes them (only suspects' and marks' elements are looked up).
 */
export function nextOverlay(prev: Overlay, found: Localisation, paths: readonly ProbedPath[] | PathsCrossing, nowMs: number, holdDownMs = DEFAULT_HOLD_DOWN_MS): OverlayStep {
  const next = new Map(prev);
  const changes: OverlayChange[] = [];
  const clearsAtMs = new Map<string, number>();
  const crossing: PathsCrossing = typeof paths === "function" ? paths : lookup(pathsByElement(paths));
  const suspected = new Set<string>();

  for (const s of found.suspects) {
    const key = elementKey(s.element);
    suspected.add(key);
    const failing = crossing(key).filter((p) => p.state === s.state);
    const mark = prev.get(key);
    const watch = watchPaths(failing, mark?.watch ?? []);
    if (mark && mark.state === s.state) {
      next.set(key, { ...mark, lastSuspectMs: nowMs, watch });
      continue;
    }
    next.set(key, { element: s.element, state: s.state, source: "localisation", sinceMs: nowMs, lastSuspectMs: nowMs, watch });
    const of = `${s.failingPaths} ${s.state} path${s.failingPaths === 1 ? "" : "s"}`;
    const certainty = s.unique ? "the only explanation" : `in ${Math.round(s.confidence * 100)}% of the minimal explanations`;
    changes.push({ element: s.element, state: s.state, previous: mark?.state ?? "up", reason: `on ${of} and no healthy one; ${certainty}` });
  }

  for (const [key, mark] of prev) {
    if (suspected.has(key)) continue;
    const on = crossing(key);
    const up = on.filter((p) => p.state === "up");
    if (up.length > 0) {
      const from = Math.max(Math.min(...up.map((p) => p.sinceMs)), mark.lastSuspectMs);
      const clearAt = from + holdDownMs;
      if (nowMs >= clearAt) {
        next.delete(key);
        changes.push({ element: mark.element, state: "up", previous: mark.state, reason: `up on ${up.length} probed path${up.length === 1 ? "" : "s"} for ${nowMs - from} ms (hold-down ${holdDownMs} ms)` });
      } else clearsAtMs.set(key, clearAt);
      continue;
    }
    if (mark.state === "down" && on.some((p) => p.state === "degraded")) {
      next.set(key, { ...mark, state: "degraded", sinceMs: nowMs });
      changes.push({ element: mark.element, state: "degraded", previous: "down", reason: "a degraded path crosses it: it forwards, with loss" });
    }
  }
  const deadlines = [...clearsAtMs.values()];
  return { overlay: next, changes, clearsAtMs, nextDeadlineMs: deadlines.length > 0 ? Math.min(...deadlines) : null };
}

/** The probed paths crossing an element, by element key. */
export type PathsCrossing = (key: string) => readonly ProbedPath[];

const lookup = (m: ReadonlyMap<string, ProbedPath[]>): PathsCrossing => (key) => m.get(key) ?? [];

function pathsByElement(paths: readonly ProbedPath[]): Map<string, ProbedPath[]> {
  const out = new Map<string, ProbedPath[]>();
  for (const p of paths) {
    for (const k of new Set(p.elements.map(elementKey))) {
      const list = out.get(k);
      if (list) list.push(p);
      else out.set(k, [p]);
    }
  }
  return out;
}

/** Up to WATCH_PATHS_PER_MARK of the failing paths, distinct hosts first; the previous watch when there are none. */
function watchPaths(failing: ProbedPath[], previous: WatchedPath[]): WatchedPath[] {
  if (failing.length === 0) return previous;
  const sorted = [...failing].sort((a, b) => a.id.localeCompare(b.id));
  const firstOfHost = sorted.filter((p, i) => sorted.findIndex((q) => q.host === p.host) === i);
  const picked = [...firstOfHost, ...sorted.filter((p) => !firstOfHost.includes(p))].slice(0, WATCH_PATHS_PER_MARK);
  return picked.map((p) => ({ host: p.host, probeSids: p.probeSids, routers: p.routers, links: p.links }));
}

/** What path computation must avoid: marked links and routers (hosts are not on paths' transit). */
export function unavailableOf(overlay: Overlay): Unavailable {
  const ids = (state: "down" | "degraded"): ElementIds => {
    const marks = [...overlay.values()].filter((m) => m.state === state);
    return {
      links: marks.filter((m) => m.element.kind === "link").map((m) => m.element.id).sort(),
      routers: marks.filter((m) => m.element.kind === "router").map((m) => m.element.id).sort(),
    };
  };
  return { down: ids("down"), degraded: ids("degraded") };
}

/** Each host's watch probes: the watch paths of every mark, once per probe SID list, with the marks they watch. */
export function watchProbesByHost(overlay: Overlay): Map<string, WatchProbe[]> {
  const byHost = new Map<string, Map<string, WatchProbe>>();
  for (const mark of [...overlay.values()].sort((a, b) => elementKey(a.element).localeCompare(elementKey(b.element)))) {
    for (const w of mark.watch) {
      const probes = byHost.get(w.host) ?? new Map<string, WatchProbe>();
      byHost.set(w.host, probes);
      const id = w.probeSids.join(",");
      const why = `${elementText(mark.element)} marked ${mark.state}`;
      const p = probes.get(id);
      if (p) p.reason = `${p.reason}, ${why}`;
      else probes.set(id, { probeSids: [...w.probeSids], routers: [...w.routers], links: [...w.links], reason: why });
    }
  }
  return new Map([...byHost].map(([h, m]) => [h, [...m.values()]]));
}
