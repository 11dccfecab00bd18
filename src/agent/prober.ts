// Probes every installed path: one stream per distinct path (however many rules use it), sent
// through the datapath, which gives each probe its path's loopback SRH. Keeps per path its state,
// loss over the last second and RTT, tells the kernel how to judge it (the kernel fails over on
// its own), and reports state changes. Timing runs on the injected clock.
import type { Clock, Timer } from "./clock.js";
import { decodeProbeHeader, encodeProbeHeader } from "../datapath/layout.js";
import type { LivenessTimings, PathLiveness } from "../datapath/types.js";

/** unknown: no probe has come back yet (a new path is not judged before it answers, or before startGraceMs). */
export type PathState = "unknown" | "up" | "degraded" | "down";

export interface ProbeSettings {
  /** One probe every intervalMs per path (jittered by +-10%). */
  intervalMs: number;
  /** Down after this many probe intervals without a return. */
  misses: number;
  /** Degraded when loss over the last second exceeds this share. */
  lossThreshold: number;
  /** Probe interval of a path that is down (so the repair is noticed without flooding). */
  downIntervalMs: number;
  /** Back to a path only after it was healthy this long; doubled per flap within dampingWindowMs. */
  holddownMs: number;
  maxHolddownMs: number;
  dampingWindowMs: number;
  /** A new path that has not answered after this long is down. */
  startGraceMs: number;
  /** A probe counts as lost (for the loss share) only when it has been out this long. */
  lossGraceMs: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = {
  intervalMs: 10,
  misses: 3,
  lossThreshold: 0.05,
  downIntervalMs: 100,
  holddownMs: 3_000,
  maxHolddownMs: 60_000,
  dampingWindowMs: 60_000,
  startGraceMs: 1_000,
  lossGraceMs: 200,
};

/** The settings an intent may give the paths it uses (the rest are the agent's for every path). */
export type PathProbeSettings = Pick<ProbeSettings, "intervalMs" | "misses" | "lossThreshold" | "holddownMs">;

/** A path to probe: the datapath's ref for it, and its loopback probe's first SID. */
export interface ProbeTarget {
  /** pathKey() of the path. */
  key: string;
  ref: number;
  /** The first SID of the probe: where the probe packet is sent (off-host, so it meets the datapath). */
  firstSid: string;
  /** This path's own settings; absent ones are the prober's. */
  settings?: Partial<PathProbeSettings>;
}

export interface PathHealthView {
  key: string;
  ref: number;
  state: PathState;
  /** Clock time (ms) of the last state change. */
  sinceMs: number;
  /** Over the last second. */
  loss: number;
  rttMinUs: number | null;
  rttAvgUs: number | null;
  rttP99Us: number | null;
  sent: number;
  received: number;
  /** The hold-down the kernel applies to this path now (grows with flaps). */
  holddownMs: number;
  /** The settings the path is probed with. */
  intervalMs: number;
  misses: number;
  lossThreshold: number;
}

/** How probes leave and come back: a UDP socket on the probe port (real), or a fake in tests. */
export interface ProbeTransport {
  send(to: string, payload: Uint8Array): void;
  /** Called with each datagram that arrives on the probe port. */
  onMessage(handler: (payload: Uint8Array) => void): void;
  close(): void;
}

/** The datapath calls the prober needs: the kernel stamps probes going out and coming back, and judges. */
export interface ProbeDatapath {
  watchPath(ref: number, t: LivenessTimings, lastReturnNs: bigint): void;
  retimePath(ref: number, t: LivenessTimings): void;
  liveness(ref: number): PathLiveness | null;
}

interface Sample {
  seq: number;
  sentMs: number;
  rttUs: number | null;
}

interface Probed {
  target: ProbeTarget;
  /** The prober's settings with the target's own over them. */
  settings: ProbeSettings;
  seq: number;
  timer: Timer | null;
  /** Probes sent in the last second, oldest first. */
  window: Sample[];
  bySeq: Map<number, Sample>;
  state: PathState;
  sinceMs: number;
  startMs: number;
  sent: number;
  received: number;
  flaps: number[];
  holddownMs: number;
  /** Send time of the first probe of the unanswered run that made the path down. */
  outageFromMs: number | null;
}

const WINDOW_MS = 1_000;
/** Degraded needs this many probes in the window, so that one lost probe of few is not 5%. */
const MIN_SAMPLES = 20;
/** The kernel holds the threshold in 32-bit µs (about 71 minutes). */
const MAX_THRESHOLD_US = 0xffffffff;

/** How long probes go out unanswered before the path is down, µs: the kernel's threshold and the prober's alike. */
function thresholdUs(s: ProbeSettings): number {
  return Math.min(MAX_THRESHOLD_US, Math.round(s.intervalMs * s.misses * 1000));
}

/** The hold-down after `flaps` recent flaps: the base for the first, doubled for each one after, up to the cap. */
function holddownAfter(s: ProbeSettings, flaps: number): number {
  // An intent may ask for a base above the agent's cap: the cap never shortens the base.
  return Math.min(Math.max(s.maxHolddownMs, s.holddownMs), s.holddownMs * 2 ** Math.max(0, flaps - 1));
}

function sameSettings(a: ProbeSettings, b: ProbeSettings): boolean {
  return a.intervalMs === b.intervalMs && a.misses === b.misses && a.lossThreshold === b.lossThreshold && a.holddownMs === b.holddownMs;
}

export class Prober {
  private readonly paths = new Map<string, Probed>();
  private readonly byRef = new Map<number, Probed>();
  /** Called with each probe that comes back: its path's key and its round-trip time (µs). */
  onReturn: ((key: string, rttUs: number) => void) | null = null;

  constructor(
    private readonly transport: ProbeTransport,
    private readonly datapath: ProbeDatapath,
    private readonly clock: Clock,
    /** CLOCK_MONOTONIC ns, the kernel's clock (bpf_ktime_get_ns). */
    private readonly monotonicNs: () => bigint,
    private readonly secret: number,
    private readonly settings: ProbeSettings,
    private readonly onChange: (h: PathHealthView, before: PathState) => void,
    private readonly random: () => number = Math.random,
  ) {
    transport.onMessage((payload) => this.received(payload));
  }

  /** The kernel's judgement of a path with these settings and this hold-down: down after `misses` silent intervals. */
  timings(holddownMs: number, s: ProbeSettings): LivenessTimings {
    return {
      thresholdUs: thresholdUs(s),
      // Longer than the probe interval of a path that is down, so a down path stays condemned.
      staleUs: Math.round(Math.max(3 * s.downIntervalMs, 10 * s.intervalMs) * 1000),
      holddownMs,
    };
  }

  /** Probes exactly these paths: new ones start now, gone ones stop, those whose settings changed take them at once. */
  setTargets(targets: ProbeTarget[]): void {
    const want = new Map(targets.map((t) => [t.key, t]));
    for (const [key, p] of this.paths) {
      const t = want.get(key);
      if (t && t.ref === p.target.ref) continue;
      p.timer?.cancel();
      this.paths.delete(key);
      this.byRef.delete(p.target.ref);
    }
    for (const t of want.values()) {
      const p = this.paths.get(t.key);
      if (p) this.resettle(p, t);
      else this.start(t);
    }
  }

  private settingsOf(t: ProbeTarget): ProbeSettings {
    return { ...this.settings, ...definedOnly(t.settings ?? {}) };
  }

  private start(t: ProbeTarget): void {
    const now = this.clock.now();
    const settings = this.settingsOf(t);
    const p: Probed = { target: t, settings, seq: 0, timer: null, window: [], bySeq: new Map(), state: "unknown", sinceMs: now, startMs: now, sent: 0, received: 0, flaps: [], holddownMs: settings.holddownMs, outageFromMs: null };
    this.paths.set(t.key, p);
    this.byRef.set(t.ref, p);
    this.datapath.watchPath(t.ref, this.timings(p.holddownMs, settings), 0n);
    this.schedule(p, this.random() * settings.intervalMs);
  }

  /** A path probed already, perhaps with new settings: the kernel is retimed and the next probe follows the new interval. */
  private resettle(p: Probed, t: ProbeTarget): void {
    p.target = t;
    const settings = this.settingsOf(t);
    if (sameSettings(settings, p.settings)) return;
    p.settings = settings;
    p.holddownMs = holddownAfter(settings, p.flaps.length);
    this.datapath.retimePath(t.ref, this.timings(p.holddownMs, settings));
    p.timer?.cancel();
    this.schedule(p, this.nextInterval(p));
  }

  /** Sends a probe on these paths now (a passive signal, e.g. TCP retransmissions on them). */
  probeNow(keys: Iterable<string>): void {
    for (const k of keys) {
      const p = this.paths.get(k);
      if (!p) continue;
      p.timer?.cancel();
      this.tick(p);
    }
  }

  health(): PathHealthView[] {
    return [...this.paths.values()].map((p) => this.view(p));
  }

  healthOf(key: string): PathHealthView | null {
    const p = this.paths.get(key);
    return p ? this.view(p) : null;
  }

  stop(): void {
    for (const p of this.paths.values()) p.timer?.cancel();
    this.paths.clear();
    this.byRef.clear();
    this.transport.close();
  }

  private schedule(p: Probed, delayMs: number): void {
    p.timer = this.clock.after(delayMs, () => this.tick(p));
  }

  private tick(p: Probed): void {
    if (this.paths.get(p.target.key) !== p) return;
    const now = this.clock.now();
    this.judge(p, now);
    const seq = ++p.seq;
    const sample: Sample = { seq, sentMs: now, rttUs: null };
    p.window.push(sample);
    p.bySeq.set(seq, sample);
    p.sent++;
    try {
      this.transport.send(p.target.firstSid, encodeProbeHeader({ secret: this.secret, ref: p.target.ref, seq, sentNs: this.monotonicNs() }));
    } catch {
      /* a send error is a lost probe: the path's state tells */
    }
    this.schedule(p, this.nextInterval(p));
  }

  /** The wait before a path's next probe: its interval, or the slow one while it is down (never faster than its own); jittered by ±10%. */
  private nextInterval(p: Probed): number {
    const base = p.state === "down" ? Math.max(p.settings.downIntervalMs, p.settings.intervalMs) : p.settings.intervalMs;
    return base * (0.9 + 0.2 * this.random());
  }

  private received(payload: Uint8Array): void {
    const h = decodeProbeHeader(payload);
    if (!h || h.secret !== this.secret) return;
    const p = this.byRef.get(h.ref);
    const sample = p?.bySeq.get(h.seq);
    if (!p || !sample || sample.rttUs !== null) return;
    const now = this.clock.now();
    sample.rttUs = Math.max(0, Number((this.monotonicNs() - h.sentNs) / 1000n));
    p.received++;
    this.onReturn?.(p.target.key, sample.rttUs);
    const wasDown = p.state === "down";
    this.judge(p, now);
    if (wasDown && p.state !== "down") {
      // Back: probe at the normal rate again at once, not after the slow interval of a down path.
      p.timer?.cancel();
      this.schedule(p, p.settings.intervalMs);
    }
  }

  /** The window of the last second (a probe out for less than lossGraceMs is not lost yet). */
  private stats(p: Probed, now: number): { loss: number; settled: number } {
    while (p.window.length && now - p.window[0]!.sentMs > WINDOW_MS) p.bySeq.delete(p.window.shift()!.seq);
    // Only probes out long enough to have come back count, answered or not: no bias toward the answered.
    // One pass, no allocation: this runs for every probe sent and every one that comes back.
    let settled = 0;
    let lost = 0;
    for (const s of p.window) {
      if (now - s.sentMs <= p.settings.lossGraceMs) break; // the window is in send order
      settled++;
      if (s.rttUs === null) lost++;
    }
    return { loss: settled ? lost / settled : 0, settled };
  }

  /**
   * Down exactly when the kernel says so: probes have gone out for longer than the threshold since
   * the last one came back (the kernel's own timestamps, immune to this process's pauses). Degraded
   * by the loss share over the last second.
   */
  private judge(p: Probed, now: number): void {
    const k = this.datapath.liveness(p.target.ref);
    if (!k) return;
    const thresholdNs = BigInt(thresholdUs(p.settings)) * 1000n;
    let next: PathState;
    if (k.lastReturnNs === 0n) {
      if (p.state !== "unknown" || now - p.startMs <= p.settings.startGraceMs) return;
      next = "down";
      this.datapath.watchPath(p.target.ref, this.timings(p.holddownMs, p.settings), 1n); // never answered: let the kernel judge it down
    } else if (k.firstUnansweredNs > k.lastReturnNs && this.monotonicNs() - k.firstUnansweredNs > thresholdNs) {
      next = "down";
    } else {
      if (p.state === "down") this.forgetOutage(p);
      const { loss, settled } = this.stats(p, now);
      // Hysteresis: degraded above the threshold, up again only below half of it.
      const limit = p.state === "degraded" ? p.settings.lossThreshold / 2 : p.settings.lossThreshold;
      next = settled >= MIN_SAMPLES && loss > limit ? "degraded" : "up";
    }
    if (next === p.state) return;
    if (next === "down") {
      let i = p.window.length;
      while (i > 0 && p.window[i - 1]!.rttUs === null) i--;
      p.outageFromMs = p.window[i]?.sentMs ?? now;
    }
    const before = p.state;
    if (before === "down") this.flapped(p, now);
    p.state = next;
    p.sinceMs = now;
    this.onChange(this.view(p), before);
  }

  /**
   * The probes lost while the path was down are the outage, not the loss of the path that came back:
   * forget that run (up to the first probe answered after it began), keep the losses around it, so
   * that a path that only goes down in bursts of random loss is judged degraded, not up.
   */
  private forgetOutage(p: Probed): void {
    const from = p.outageFromMs ?? -Infinity;
    const back = p.window.find((x) => x.sentMs >= from && x.rttUs !== null)?.sentMs ?? Infinity;
    const outage = (x: Sample) => x.rttUs === null && x.sentMs >= from && x.sentMs < back;
    for (const x of p.window) if (outage(x)) p.bySeq.delete(x.seq);
    p.window = p.window.filter((x) => !outage(x));
    p.outageFromMs = null;
  }

  /** A path that came back: the next hold-down doubles per recent flap (damping), up to the cap. */
  private flapped(p: Probed, now: number): void {
    p.flaps = p.flaps.filter((t) => now - t < p.settings.dampingWindowMs);
    p.flaps.push(now);
    const holddown = holddownAfter(p.settings, p.flaps.length);
    if (holddown !== p.holddownMs) {
      p.holddownMs = holddown;
      this.datapath.retimePath(p.target.ref, this.timings(holddown, p.settings));
    }
  }

  private view(p: Probed): PathHealthView {
    const { loss } = this.stats(p, this.clock.now());
    const sorted = p.window.flatMap((s) => (s.rttUs === null ? [] : [s.rttUs])).sort((a, b) => a - b);
    return {
      key: p.target.key,
      ref: p.target.ref,
      state: p.state,
      sinceMs: p.sinceMs,
      loss,
      rttMinUs: sorted.length ? sorted[0]! : null,
      rttAvgUs: sorted.length ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : null,
      rttP99Us: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]! : null,
      sent: p.sent,
      received: p.received,
      holddownMs: p.holddownMs,
      intervalMs: p.settings.intervalMs,
      misses: p.settings.misses,
      lossThreshold: p.settings.lossThreshold,
    };
  }
}

/** The fields that are set (a Partial may hold undefined ones, which must not hide the defaults). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
