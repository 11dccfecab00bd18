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
  paths: Set<ProbedPath>;
}

interface Entry {
  receivedMs: number;
  paths: ProbedPath[];
}

/** Two reports' paths of one host are the same paths (ids, in order) in the same states; the elements follow from the ids' routers and links. */
function sameEvidence(a: readonly ProbedPath[], b: readonly ProbedPath[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.id !== y.id || x.state !== y.state || x.routers.join(" ") !== y.routers.join(" ") || x.links.join(" ") !== y.links.join(" ")) return false;
  }
  return true;
}

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
    if (had && sameEvidence(had.paths, paths)) {
      // The same paths in the same states (most reports): only their times move, in place.
      had.paths.forEach((p, i) => (p.sinceMs = paths[i]!.sinceMs));
      this.byHost.delete(report.host);
      this.byHost.set(report.host, { receivedMs, paths: had.paths });
      return;
    }
    this.drop(report.host);
    if (paths.length === 0) return;
    this.byHost.set(report.host, { receivedMs, paths });
    const base = this.ordinal.get(report.host)! * 2 ** 20;
    paths.forEach((p, i) => {
      this.rank.set(p, base + i);
      this.add(p);
    });
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
    return [...(this.byElement.get(key)?.paths ?? [])];
  }

  /** evidenceOf() of every indexed path, for one element; undefined when no path in a known state crosses it. */
  evidence(key: string): Evidence | undefined {
    const c = this.byElement.get(key);
    if (!c || c.up + c.down + c.degraded === 0) return undefined;
    return { down: c.down, degraded: c.degraded, up: c.up, reportedBy: [...c.reporters.keys()].sort() };
  }

  /** Every indexed path, in the order a full evaluation would read them. */
  paths(): ProbedPath[] {
    return [...this.byHost.values()].flatMap((e) => e.paths).sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }

  private drop(host: string): void {
    const e = this.byHost.get(host);
    if (!e) return;
    this.byHost.delete(host);
    for (const p of e.paths) {
      this.rank.delete(p);
      this.remove(p);
    }
  }

  private add(p: ProbedPath): void {
    if (p.state === "down" || p.state === "degraded") this.failing[p.state].add(p);
    for (const k of new Set(p.elements.map(elementKey))) {
      let c = this.byElement.get(k);
      if (!c) this.byElement.set(k, (c = { down: 0, degraded: 0, up: 0, reporters: new Map(), paths: new Set() }));
      c.paths.add(p);
      if (p.state === "unknown") continue;
      c[p.state]++;
      if (p.state !== "up") c.reporters.set(p.host, (c.reporters.get(p.host) ?? 0) + 1);
    }
  }

  private remove(p: ProbedPath): void {
    if (p.state === "down" || p.state === "degraded") this.failing[p.state].delete(p);
    for (const k of new Set(p.elements.map(elementKey))) {
      const c = this.byElement.get(k)!;
      c.paths.delete(p);
      if (p.state !== "unknown") {
        c[p.state]--;
        if (p.state !== "up") {
          const n = c.reporters.get(p.host)! - 1;
          if (n === 0) c.reporters.delete(p.host);
          else c.reporters.set(p.host, n);
        }
      }
      if (c.paths.size === 0) this.byElement.delete(k);
    }
  }
}
