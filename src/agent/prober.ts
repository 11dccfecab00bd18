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

/** A path to probe: the datapath's ref for it, and its loopback probe's first SID. */
export interface ProbeTarget {
  /** pathKey() of the path. */
  key: string;
  ref: number;
  /** The first SID of the probe: where the probe packet is sent (off-host, so it meets the datapath). */
  firstSid: string;
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

export class Prober {
  private readonly paths = new Map<string, Probed>();
  private readonly byRef = new Map<number, Probed>();

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

  /** The kernel's judgement of a path with this hold-down: down after `misses` silent intervals. */
  timings(holddownMs: number): LivenessTimings {
    const s = this.settings;
    return {
      thresholdUs: Math.round(s.intervalMs * s.misses * 1000),
      // Longer than the probe interval of a path that is down, so a down path stays condemned.
      staleUs: Math.round(Math.max(3 * s.downIntervalMs, 10 * s.intervalMs) * 1000),
      holddownMs,
    };
  }

  /** Probes exactly these paths: new ones start now, gone ones stop. */
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
      if (this.paths.has(t.key)) continue;
      const now = this.clock.now();
      const p: Probed = { target: t, seq: 0, timer: null, window: [], bySeq: new Map(), state: "unknown", sinceMs: now, startMs: now, sent: 0, received: 0, flaps: [], holddownMs: this.settings.holddownMs, outageFromMs: null };
      this.paths.set(t.key, p);
      this.byRef.set(t.ref, p);
      this.datapath.watchPath(t.ref, this.timings(p.holddownMs), 0n);
      this.schedule(p, this.random() * this.settings.intervalMs);
    }
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
    const base = p.state === "down" ? this.settings.downIntervalMs : this.settings.intervalMs;
    this.schedule(p, base * (0.9 + 0.2 * this.random()));
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
    const wasDown = p.state === "down";
    this.judge(p, now);
    if (wasDown && p.state !== "down") {
      // Back: probe at the normal rate again at once, not after the slow interval of a down path.
      p.timer?.cancel();
      this.schedule(p, this.settings.intervalMs);
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
      if (now - s.sentMs <= this.settings.lossGraceMs) break; // the window is in send order
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
    const thresholdNs = BigInt(Math.round(this.settings.intervalMs * this.settings.misses * 1e6));
    let next: PathState;
    if (k.lastReturnNs === 0n) {
      if (p.state !== "unknown" || now - p.startMs <= this.settings.startGraceMs) return;
      next = "down";
      this.datapath.watchPath(p.target.ref, this.timings(p.holddownMs), 1n); // never answered: let the kernel judge it down
    } else if (k.firstUnansweredNs > k.lastReturnNs && this.monotonicNs() - k.firstUnansweredNs > thresholdNs) {
      next = "down";
    } else {
      if (p.state === "down") this.forgetOutage(p);
      const { loss, settled } = this.stats(p, now);
      // Hysteresis: degraded above the threshold, up again only below half of it.
      const limit = p.state === "degraded" ? this.settings.lossThreshold / 2 : this.settings.lossThreshold;
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
    p.flaps = p.flaps.filter((t) => now - t < this.settings.dampingWindowMs);
    p.flaps.push(now);
    const holddown = Math.min(this.settings.maxHolddownMs, this.settings.holddownMs * 2 ** (p.flaps.length - 1));
    if (holddown !== p.holddownMs) {
      p.holddownMs = holddown;
      this.datapath.retimePath(p.target.ref, this.timings(holddown));
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
    };
  }
}
