// The controller's reaction to agents' probe reports: path state events, localisation, the overlay,
// incremental recomputation and pushes, each step recorded as an event.
//
// Level-triggered: an evaluation localises over every host's fresh report, steps the overlay and
// hands the state the overlay's exclusions and watch probes; whatever changed is pushed. It runs
// when a report changes the evidence (a path appears, disappears or changes state), when a mark's
// hold-down ends, and when a report with paths goes stale; reports that repeat the evidence cost
// nothing more than their path state comparison and their entry in the index. The reports' paths
// are indexed as they arrive (probed-path-index.ts): an evaluation works on the failing paths and
// the elements of suspects and marks, not on every host's report.
import { performance } from "node:perf_hooks";
import type { ElementRef } from "../core/elements.js";
import { elementKey } from "../core/elements.js";
import type { Localisation } from "../core/localise.js";
import type { Overlay, ProbedPath } from "../core/overlay.js";
import { DEFAULT_HOLD_DOWN_MS, nextOverlay, unavailableOf, watchProbesByHost } from "../core/overlay.js";
import type { ElementHealthView, LinksView, ReceivedReportView } from "../api/types.js";
import type { Clock, Timer } from "./clock.js";
import { recordRecompute, type EventLog } from "./events.js";
import { DEFAULT_STALE_AFTER_MS, pathId } from "./evidence.js";
import { ProbedPathIndex } from "./probed-path-index.js";
import type { ControllerState, HostDelta } from "./state.js";
import { canonicalJson } from "./state.js";

export interface LivelinessOptions {
  clock: Clock;
  /** How long probes must show a marked element healthy before it is cleared. */
  holdDownMs?: number;
  /** Reports older than this are no evidence. */
  staleAfterMs?: number;
}

export interface LivelinessDeps {
  state: Pick<ControllerState, "topology" | "setLiveliness" | "revisions">;
  events: EventLog;
  /** Sends deltas to the hosts' agents and records the pushes, caused by event `cause`. */
  publish: (deltas: HostDelta[], cause: number) => void;
  /** One line per overlay change and per recomputation. */
  log?: (line: string) => void;
  /** The overlay after each change of its marks (replicas store it). */
  overlayChanged?: (overlay: Overlay) => void;
}

/** Evaluations that take less than this never delay the next one (every small fleet, every test). */
const THROTTLE_FROM_MS = 5;
/**
 * After a slower one, the next waits this many times as long: during a burst of reports evaluations
 * take at most a quarter of the event loop. (An evaluation is proportional to the failing paths, so
 * one per report of a 10,000-host burst would be quadratic.)
 */
const THROTTLE_WAIT_FACTOR = 3;

const NOTHING_FOUND: Localisation<ProbedPath> = { suspects: [], unexplained: [], downPaths: 0, degradedPaths: 0, explanationSize: { down: 0, degraded: 0 }, exact: true };

/** What makes a localisation worth an event: its suspects (with their confidence) and unexplained paths. */
function verdictOf(found: Localisation<ProbedPath>): string {
  return canonicalJson({
    suspects: found.suspects.map((s) => [elementKey(s.element), s.state, +s.confidence.toFixed(6), s.unique]),
    unexplained: found.unexplained.map((p) => p.id),
  });
}

export class Liveliness {
  readonly holdDownMs: number;
  readonly staleAfterMs: number;
  private readonly clock: Clock;
  private readonly startedMs: number;
  private overlay: Overlay = new Map();
  private found = NOTHING_FOUND;
  private readonly paths = new ProbedPathIndex();
  private clearsAt = new Map<string, number>();
  /** When elements were last cleared (the "since" of an up element that was marked once). */
  private readonly upSince = new Map<string, number>();
  private lastVerdict = verdictOf(NOTHING_FOUND);
  private lastWatch = "[]";
  private timer: Timer | null = null;
  private closed = false;
  /** performance.now() before which a report's evaluation waits (see reported). */
  private busyUntil = 0;
  private deferred: ReturnType<typeof setTimeout> | null = null;
  private deferredCause = 0;

  constructor(
    private readonly deps: LivelinessDeps,
    opts: LivelinessOptions,
  ) {
    this.clock = opts.clock;
    this.holdDownMs = opts.holdDownMs ?? DEFAULT_HOLD_DOWN_MS;
    this.staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    for (const [what, ms] of [["hold-down", this.holdDownMs], ["stale-after", this.staleAfterMs]] as const) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`${what} must be a duration ≥ 0 ms, got ${ms}`);
    }
    this.startedMs = this.clock.now();
  }

  /** A report was accepted and stored; `previous` is the one it replaced. */
  /** Takes a report as evidence without evaluating (a new leader's stored reports; evaluate() follows). */
  know(report: ReceivedReportView): void {
    this.paths.put(report);
  }

  reported(previous: ReceivedReportView | undefined, report: ReceivedReportView): void {
    this.paths.put(report);
    const cause = this.pathStateEvents(previous, report);
    if (!this.evidenceChanged(previous, report)) return;
    // When the last evaluation took long (a large fleet, many failing paths), the next waits
    // THROTTLE_WAIT_FACTOR times as long and takes every report that arrived meanwhile: reports,
    // acknowledgements and streams keep most of the event loop, and a burst costs few evaluations.
    const wait = this.busyUntil - performance.now();
    if (wait <= 0 && this.deferred === null) return this.evaluate(cause);
    if (cause !== 0) this.deferredCause = cause;
    this.deferred ??= setTimeout(() => {
      this.deferred = null;
      const c = this.deferredCause;
      this.deferredCause = 0;
      this.evaluate(c);
    }, Math.max(0, wait));
  }

  /** Localises, steps the overlay, recomputes and pushes what changed; `cause` is the event that led here. */
  evaluate(cause = 0): void {
    if (this.closed) return;
    const started = performance.now();
    try {
      this.evaluateNow(cause);
    } finally {
      const took = performance.now() - started;
      this.busyUntil = took >= THROTTLE_FROM_MS ? performance.now() + THROTTLE_WAIT_FACTOR * took : 0;
    }
  }

  private evaluateNow(cause: number): void {
    const { state, events, publish } = this.deps;
    const now = this.clock.now();
    const t0 = performance.now();
    this.paths.expire(now, this.staleAfterMs);
    const found = this.paths.localise();
    const localisedMs = performance.now() - t0;

    let why = cause;
    const verdict = verdictOf(found);
    if (verdict !== this.lastVerdict) {
      this.lastVerdict = verdict;
      why = events.record({
        type: "localisation",
        cause,
        durationMs: localisedMs,
        suspects: found.suspects.map((s) => ({ kind: s.element.kind, id: s.element.id, state: s.state, confidence: s.confidence, unique: s.unique, failingPaths: s.failingPaths, share: s.share })),
        downPaths: found.downPaths,
        degradedPaths: found.degradedPaths,
        unexplainedPaths: found.unexplained.length,
        exact: found.exact,
      }).seq;
    }

    const step = nextOverlay(this.overlay, found, (key) => this.paths.crossing(key), now, this.holdDownMs);
    for (const c of step.changes) {
      events.record({ type: "overlay", cause: why, kind: c.element.kind, id: c.element.id, state: c.state, previous: c.previous, source: "localisation", reason: c.reason });
      if (c.state === "up") this.upSince.set(elementKey(c.element), now);
      this.deps.log?.(`liveliness: ${c.element.kind} ${c.element.id} ${c.previous} -> ${c.state}: ${c.reason}`);
    }
    this.overlay = step.overlay;
    if (step.changes.length > 0) this.deps.overlayChanged?.(this.overlay);
    this.found = found;
    this.clearsAt = step.clearsAtMs;

    const watch = watchProbesByHost(this.overlay);
    const watchJson = canonicalJson([...watch].sort(([a], [b]) => a.localeCompare(b)));
    if (step.changes.length > 0 || watchJson !== this.lastWatch) {
      this.lastWatch = watchJson;
      const t1 = performance.now();
      const applied = state.setLiveliness(unavailableOf(this.overlay), watch);
      why = recordRecompute(events, applied, state.revisions(), why, performance.now() - t1);
      if (applied.deltas.length > 0) publish(applied.deltas, why);
      if (applied.recomputed.length > 0 || applied.deltas.length > 0) {
        this.deps.log?.(
          `liveliness: recomputed ${applied.recomputed.length} rule(s), ${applied.changed.length} changed; ` +
            `pushed to ${applied.deltas.length} host(s)${applied.deltas.length ? ` (${applied.deltas.map((d) => `${d.host}@v${d.version}`).join(", ")})` : ""}`,
        );
      }
    }
    this.schedule(now, step.nextDeadlineMs);
  }

  /**
   * Takes the marks another controller left (a replica taking over from a leader), and hands the state
   * their exclusions and watch probes, as if this one had made them; returns what that changed.
   */
  restore(overlay: Overlay): ReturnType<ControllerState["setLiveliness"]> {
    this.overlay = new Map(overlay);
    const watch = watchProbesByHost(this.overlay);
    this.lastWatch = canonicalJson([...watch].sort(([a], [b]) => a.localeCompare(b)));
    return this.deps.state.setLiveliness(unavailableOf(this.overlay), watch);
  }

  /** The marks now. */
  marks(): Overlay {
    return this.overlay;
  }

  /** Every link and node of the topology with its mark, suspicion and evidence. */
  links(): LinksView {
    const t = this.deps.state.topology;
    const of = (e: ElementRef) => this.health(e);
    return {
      holdDownMs: this.holdDownMs,
      links: t.links.map((l) => ({ link: l.id, ...of({ kind: "link", id: l.id }) })),
      nodes: [
        ...t.routers.map((r) => ({ node: r.name, kind: "router" as const, ...of({ kind: "router", id: r.name }) })),
        ...t.hosts.map((h) => ({ node: h.name, kind: "host" as const, ...of({ kind: "host", id: h.name }) })),
      ],
      unexplained: this.found.unexplained.map((p) => ({ host: p.host, routers: [...p.routers], state: p.state as "down" | "degraded" })),
    };
  }

  /** Stops the deadline timer; later calls do nothing. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    if (this.deferred !== null) clearTimeout(this.deferred);
    this.deferred = null;
  }

  private health(e: ElementRef): ElementHealthView {
    const key = elementKey(e);
    const mark = this.overlay.get(key);
    const suspect = this.found.suspects.find((s) => elementKey(s.element) === key);
    const ev = this.paths.evidence(key);
    const clearsAt = this.clearsAt.get(key);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      state: mark?.state ?? "up",
      suspect: suspect !== undefined,
      since: iso(mark?.sinceMs ?? this.upSince.get(key) ?? this.startedMs),
      confidence: suspect?.confidence ?? 0,
      unique: suspect?.unique ?? false,
      ...(mark ? { source: mark.source } : {}),
      ...(clearsAt !== undefined ? { clearsAt: iso(clearsAt) } : {}),
      downPaths: ev?.down ?? 0,
      degradedPaths: ev?.degraded ?? 0,
      upPaths: ev?.up ?? 0,
      reportedBy: ev?.reportedBy ?? [],
    };
  }

  /** One event per path whose state differs from the host's previous report; the first one's seq (0: none). */
  private pathStateEvents(previous: ReceivedReportView | undefined, report: ReceivedReportView): number {
    const before = new Map((previous?.paths ?? []).map((p) => [pathId(report.host, p.probeSids), p.state]));
    let first = 0;
    for (const p of report.paths ?? []) {
      const was = before.get(pathId(report.host, p.probeSids));
      if (was === p.state || (was === undefined && p.state === "unknown")) continue;
      const e = this.deps.events.record({
        type: "path-state",
        host: report.host,
        probeSids: p.probeSids,
        routers: p.routers,
        state: p.state,
        previous: was ?? "",
        rules: [...new Set(p.uses.map((u) => u.rule))],
      });
      first ||= e.seq;
    }
    return first;
  }

  private evidenceChanged(previous: ReceivedReportView | undefined, report: ReceivedReportView): boolean {
    const fingerprint = (r: ReceivedReportView | undefined) => (r?.paths ?? []).map((p) => `${p.probeSids.join(",")}=${p.state}`).sort().join(" ");
    const wasStale = previous !== undefined && Date.parse(report.receivedAt) - Date.parse(previous.receivedAt) > this.staleAfterMs;
    return fingerprint(previous) !== fingerprint(report) || (wasStale && (report.paths ?? []).length > 0);
  }

  private schedule(now: number, holdDownDeadline: number | null): void {
    this.timer?.cancel();
    this.timer = null;
    const deadlines = [holdDownDeadline, this.paths.nextStaleMs(now, this.staleAfterMs)].filter((t): t is number => t !== null);
    if (deadlines.length === 0 || this.closed) return;
    const at = Math.min(...deadlines);
    this.timer = this.clock.after(Math.max(0, at - now), () => {
      this.timer = null;
      this.evaluate(0);
    });
  }
}
