// The evidence of liveliness, kept as reports arrive: every host's probed paths from its latest
// report (evidence.ts: probedPaths), indexed by the elements they cross, with per-element counts of
// paths by state and the failing paths of each verdict. A report replaces its host's paths (work
// proportional to the report); an evaluation localises over the failing paths alone, asks whether an
// element lies on a healthy path by its counts, and looks up the paths crossing the few elements that
// are suspects or marks. What it gives equals a full evaluation over every fresh report
// (probed-path-index.spec.ts). No I/O.
import { elementKey } from "../core/elements.js";
import type { Evidence, Localisation } from "../core/localise.js";
import { localiseFailing } from "../core/localise.js";
import type { ProbedPath } from "../core/overlay.js";
import type { ReceivedReportView } from "../api/types.js";
import { probedPaths } from "./evidence.js";

interface Counts {
  down: number;
  degraded: number;
  up: number;
  /** Hosts with down or degraded paths crossing the element, with how many. */
  reporters: Map<string, number>;
  paths: Set<Slot>;
}

/**
 * One probe stream of a host along one route: it stays in the sets of the elements it crosses while
 * reports change only its state (a failure changes the state of thousands of paths, and those sets
 * hold every path crossing a core link), and the latest report's path replaces `path`.
 */
interface Slot {
  path: ProbedPath;
  /** The distinct keys of the elements it crosses. */
  keys: string[];
}

interface Entry {
  receivedMs: number;
  slots: Slot[];
}

const sameRoute = (x: ProbedPath, y: ProbedPath) => x.routers.join(" ") === y.routers.join(" ") && x.links.join(" ") === y.links.join(" ");

/** Two reports' paths of one host are the same paths (ids, in order) in the same states; the elements follow from the ids' routers and links. */
function sameEvidence(a: readonly Slot[], b: readonly ProbedPath[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.path;
    const y = b[i]!;
    if (x.id !== y.id || x.state !== y.state || !sameRoute(x, y)) return false;
  }
  return true;
}

const failingState = (p: ProbedPath) => p.state === "down" || p.state === "degraded";

export class ProbedPathIndex {
  /** Hosts whose latest report has paths, in the order they were received (oldest first). */
  private readonly byHost = new Map<string, Entry>();
  /** Each host's position in the report store (its first report's), and each path's order: what a full evaluation would see first. */
  private readonly ordinal = new Map<string, number>();
  private readonly rank = new Map<ProbedPath, number>();
  private readonly byElement = new Map<string, Counts>();
  private readonly failing = { down: new Set<ProbedPath>(), degraded: new Set<ProbedPath>() };

  /** Takes a host's latest report (received in arrival order): its paths replace the host's. */
  put(report: ReceivedReportView): void {
    if (!this.ordinal.has(report.host)) this.ordinal.set(report.host, this.ordinal.size);
    const receivedMs = Date.parse(report.receivedAt);
    const paths = probedPaths([report], receivedMs, Number.POSITIVE_INFINITY);
    const had = this.byHost.get(report.host);
    this.byHost.delete(report.host);
    if (had && sameEvidence(had.slots, paths)) {
      // The same paths in the same states (most reports): only their times move, in place.
      had.slots.forEach((s, i) => (s.path.sinceMs = paths[i]!.sinceMs));
      this.byHost.set(report.host, { receivedMs, slots: had.slots });
      return;
    }
    // A path the host had along the same route keeps its slot and changes state; the rest come and go.
    const kept = new Map<string, Slot>();
    for (const s of had?.slots ?? []) kept.set(s.path.id, s);
    const base = this.ordinal.get(report.host)! * 2 ** 20;
    const slots = paths.map((p, i) => {
      let s = kept.get(p.id);
      if (s && sameRoute(s.path, p)) {
        kept.delete(p.id);
        this.restate(s, p);
      } else {
        s = { path: p, keys: [...new Set(p.elements.map(elementKey))] };
        this.add(s);
      }
      this.rank.set(p, base + i);
      return s;
    });
    for (const s of kept.values()) this.remove(s);
    if (slots.length > 0) this.byHost.set(report.host, { receivedMs, slots });
  }

  /** Drops the paths of reports older than staleAfterMs at nowMs (they are no evidence). */
  expire(nowMs: number, staleAfterMs: number): void {
    for (const [host, e] of this.byHost) {
      if (nowMs - e.receivedMs <= staleAfterMs) break;
      this.drop(host);
    }
  }

  /** When the oldest report with paths goes stale; null when none will (after expire(nowMs)). */
  nextStaleMs(nowMs: number, staleAfterMs: number): number | null {
    for (const e of this.byHost.values()) {
      const at = e.receivedMs + staleAfterMs + 1;
      if (at > nowMs) return at;
    }
    return null;
  }

  /** localise() of every indexed path. */
  localise(): Localisation<ProbedPath> {
    const ordered = (s: Set<ProbedPath>) => [...s].sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
    const c = (key: string) => this.byElement.get(key);
    return localiseFailing(
      { down: ordered(this.failing.down), degraded: ordered(this.failing.degraded) },
      { down: (key) => (c(key)?.up ?? 0) + (c(key)?.degraded ?? 0) > 0, degraded: (key) => (c(key)?.up ?? 0) > 0 },
    );
  }

  /** The indexed paths crossing an element (by key), in no particular order. */
  crossing(key: string): ProbedPath[] {
    return [...(this.byElement.get(key)?.paths ?? [])].map((s) => s.path);
  }

  /** evidenceOf() of every indexed path, for one element; undefined when no path in a known state crosses it. */
  evidence(key: string): Evidence | undefined {
    const c = this.byElement.get(key);
    if (!c || c.up + c.down + c.degraded === 0) return undefined;
    return { down: c.down, degraded: c.degraded, up: c.up, reportedBy: [...c.reporters.keys()].sort() };
  }

  /** Every indexed path, in the order a full evaluation would read them. */
  paths(): ProbedPath[] {
    return [...this.byHost.values()].flatMap((e) => e.slots.map((s) => s.path)).sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }

  private drop(host: string): void {
    const e = this.byHost.get(host);
    if (!e) return;
    this.byHost.delete(host);
    for (const s of e.slots) this.remove(s);
  }

  private add(s: Slot): void {
    const p = s.path;
    if (failingState(p)) this.failing[p.state as "down" | "degraded"].add(p);
    for (const k of s.keys) {
      let c = this.byElement.get(k);
      if (!c) this.byElement.set(k, (c = { down: 0, degraded: 0, up: 0, reporters: new Map(), paths: new Set() }));
      c.paths.add(s);
      this.count(c, p, 1);
    }
  }

  private remove(s: Slot): void {
    const p = s.path;
    this.rank.delete(p);
    if (failingState(p)) this.failing[p.state as "down" | "degraded"].delete(p);
    for (const k of s.keys) {
      const c = this.byElement.get(k)!;
      c.paths.delete(s);
      this.count(c, p, -1);
      if (c.paths.size === 0) this.byElement.delete(k);
    }
  }

  /** The slot's path is now `p`: the same route, maybe in another state. */
  private restate(s: Slot, p: ProbedPath): void {
    const was = s.path;
    this.rank.delete(was);
    if (failingState(was)) this.failing[was.state as "down" | "degraded"].delete(was);
    if (failingState(p)) this.failing[p.state as "down" | "degraded"].add(p);
    if (was.state !== p.state) {
      for (const k of s.keys) {
        const c = this.byElement.get(k)!;
        this.count(c, was, -1);
        this.count(c, p, 1);
      }
    }
    s.path = p;
  }

  /** Counts `p` in (+1) or out of (-1) an element's states and reporters. */
  private count(c: Counts, p: ProbedPath, by: 1 | -1): void {
    if (p.state === "unknown") return;
    c[p.state] += by;
    if (p.state === "up") return;
    const n = (c.reporters.get(p.host) ?? 0) + by;
    if (n === 0) c.reporters.delete(p.host);
    else c.reporters.set(p.host, n);
  }
}
