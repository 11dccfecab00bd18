// What a failover trial measured, from the sink's missing runs, the routers' per-port counters and
// the controller's events. Pure: the trial itself is failover-test.ts.
import type { Topology } from "../core/model.js";
import type { EventView } from "../api/types.js";
import { routerInterfaceName } from "../lab/naming.js";
import type { PortCounts } from "../lab/counters.js";
import type { MissingRun, StreamReport } from "./seq-account.js";

/** Wall-clock times of a trial, ms since the epoch. */
export interface TrialTimes {
  /** Just before the fault was injected, and once it was in place. */
  faultAt: number;
  faultInPlaceAt: number;
  /**
   * When the fault took effect: the send time of the first datagram it cost any flow, between the
   * start of its injection and shortly after it was in place (faultAt when it cost nothing).
   * Recovery and the controller's times count from here, not from a slow injection's start.
   */
  onsetAt: number;
  /** Just before the heal began, and once the element was back (and IS-IS converged). */
  healAt: number;
  healedAt: number;
}

/** The sequence numbers of a run with their estimated send times (µs): spread evenly between its neighbours. */
function sendTimes(run: MissingRun, intervalUs: number): (seq: number) => number {
  const n = run.to - run.from + 1;
  if (run.prevSentUs !== null && run.nextSentUs !== null) return (seq) => run.prevSentUs! + ((seq - run.from + 1) * (run.nextSentUs! - run.prevSentUs!)) / (n + 1);
  if (run.prevSentUs !== null) return (seq) => run.prevSentUs! + (seq - run.from + 1) * intervalUs;
  if (run.nextSentUs !== null) return (seq) => run.nextSentUs! - (run.to + 1 - seq) * intervalUs;
  return () => NaN;
}

/**
 * The outage: the longest gap between received sequence numbers, by their send times (ms; 0 when
 * nothing was lost). Timed at the sender, so a busy receiver's pauses do not count as outages.
 */
export function longestOutageMs(stream: Pick<StreamReport, "missing">, intervalUs: number): number {
  let longest = 0;
  for (const run of stream.missing) {
    const span = (run.to - run.from + 2) * intervalUs;
    const before = run.prevSentUs ?? (run.nextSentUs !== null ? run.nextSentUs - span : null);
    const after = run.nextSentUs ?? (run.prevSentUs !== null ? run.prevSentUs + span : null);
    longest = Math.max(longest, before !== null && after !== null ? (after - before) / 1000 : span / 1000);
  }
  return Math.round(longest * 10) / 10;
}

/** Datagrams lost that were sent in [fromMs, toMs). */
export function lostBetween(stream: Pick<StreamReport, "missing">, intervalUs: number, fromMs: number, toMs: number): number {
  let lost = 0;
  for (const run of stream.missing) {
    const at = sendTimes(run, intervalUs);
    for (let seq = run.from; seq <= run.to; seq++) {
      const ms = at(seq) / 1000;
      if (ms >= fromMs && ms < toMs) lost++;
    }
  }
  return lost;
}

/** TrialTimes.onsetAt from the flows' missing runs. */
export function faultOnset(streams: Array<Pick<StreamReport, "missing">>, times: Pick<TrialTimes, "faultAt" | "faultInPlaceAt">, intervalUs: number, slackMs = 50): number {
  let onset = Infinity;
  for (const stream of streams) {
    for (const run of stream.missing) {
      const at = sendTimes(run, intervalUs);
      for (let seq = run.from; seq <= run.to; seq++) {
        const ms = at(seq) / 1000;
        if (ms >= times.faultAt && ms <= times.faultInPlaceAt + slackMs) {
          onset = Math.min(onset, ms);
          break;
        }
      }
    }
  }
  return Number.isFinite(onset) ? onset : times.faultAt;
}

/** A flow counts as recovered only if it then stayed lossless this long before the heal. */
export const LOSS_FREE_MS = 250;

export type Recovery =
  /** Nothing sent during the fault was lost. */
  | { kind: "no-loss" }
  /** The last datagram lost during the fault was followed by one that arrived this long after the fault's onset. */
  | { kind: "recovered"; afterMs: number }
  /** Datagrams were still being lost when the fault was healed. */
  | { kind: "not-before-heal" };

/**
 * When a flow stopped losing datagrams, relative to the fault: the send time of the first datagram
 * that arrived after the last run of losses sent during the fault. For a host's local failover that
 * is when the kernel moved the flow; for the IGP, when it had reconverged.
 */
export function recoveryAfterFault(stream: Pick<StreamReport, "missing">, times: Pick<TrialTimes, "faultAt" | "onsetAt" | "healAt">, intervalUs: number): Recovery {
  const during = stream.missing.filter((run) => {
    const at = sendTimes(run, intervalUs);
    const first = at(run.from) / 1000;
    const last = at(run.to) / 1000;
    return last >= times.faultAt && first < times.healAt;
  });
  const lastRun = during.at(-1);
  if (!lastRun) return { kind: "no-loss" };
  // Lossless only for the last moments before the heal is no recovery: random loss has such gaps.
  if (lastRun.nextSentUs === null || lastRun.nextSentUs / 1000 >= times.healAt - LOSS_FREE_MS) return { kind: "not-before-heal" };
  return { kind: "recovered", afterMs: lastRun.nextSentUs / 1000 - times.onsetAt };
}

/**
 * The routers a flow crossed in a window, in order, from the per-interface arrivals of its port:
 * a hop counts when it carried at least `share` of what the source's router received from the source.
 * Stops where the packets stopped (a silent drop) or at the first fork below the share.
 */
export function pathFromArrivals(topology: Topology, counts: Record<string, Pick<PortCounts, "byInterface">>, source: string, share = 0.5): string[] {
  const host = topology.hosts.find((h) => h.name === source);
  if (!host) throw new Error(`no host ${source} in the topology`);
  const entered = counts[host.router]?.byInterface[routerInterfaceName(source)] ?? 0;
  if (entered === 0) return [];
  const min = share * entered;
  const path = [host.router];
  for (;;) {
    const here = path.at(-1)!;
    const next = neighbours(topology, here).find((n) => !path.includes(n) && (counts[n]?.byInterface[routerInterfaceName(here)] ?? 0) >= min);
    if (!next) return path;
    path.push(next);
  }
}

function neighbours(topology: Topology, router: string): string[] {
  return topology.links.flatMap((l) => (l.a === router ? [l.b] : l.b === router ? [l.a] : []));
}

/** Per-interface arrivals in a window: the later reading minus the earlier one. */
export function arrivalsBetween(before: Record<string, PortCounts>, after: Record<string, PortCounts>): Record<string, Pick<PortCounts, "byInterface">> {
  const out: Record<string, Pick<PortCounts, "byInterface">> = {};
  for (const [node, c] of Object.entries(after)) {
    const was = before[node]?.byInterface ?? {};
    out[node] = { byInterface: Object.fromEntries(Object.entries(c.byInterface).map(([i, n]) => [i, n - (was[i] ?? 0)])) };
  }
  return out;
}

/** The controller's side of a trial, in ms after the fault's onset (null: it did not happen). */
export interface ControllerTimeline {
  firstReportMs: number | null;
  localisedMs: number | null;
  /** The suspects of the first localisation after the fault. */
  suspects: Array<{ id: string; state: string; share: number }>;
  /** When the last host pushed because of the first localisation acknowledged (null: not every one did). */
  resteeredMs: number | null;
  /** The hosts those pushes went to. */
  resteeredHosts: string[];
  /** The last push acknowledged after the heal, in ms after the heal: the original paths restored. */
  restoredAfterHealMs: number | null;
}

export function controllerTimeline(events: EventView[], times: Pick<TrialTimes, "faultAt" | "onsetAt" | "healAt">): ControllerTimeline {
  const at = (e: EventView) => Date.parse(e.at);
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const descends = (e: EventView, root: number) => {
    for (let c: EventView | undefined = e; c; c = c.cause > 0 ? bySeq.get(c.cause) : undefined) if (c.seq === root) return true;
    return false;
  };
  const during = events.filter((e) => at(e) >= times.faultAt && at(e) < times.healAt);
  const report = during.find((e) => e.type === "path-state" && (e.state === "down" || e.state === "degraded"));
  const localisation = during.find((e) => e.type === "localisation" && e.suspects.length > 0);
  // The re-steer: the pushes that follow from the first localisation, and their acknowledgements.
  const pushes = localisation ? events.filter((e) => e.type === "push" && descends(e, localisation.seq)) : [];
  const acks = events.filter((e) => e.type === "ack" && pushes.some((p) => p.seq === e.cause));
  const everyHostAcked = pushes.every((p) => acks.some((a) => a.cause === p.seq));
  const lastAck = acks.reduce<EventView | undefined>((l, e) => (!l || at(e) > at(l) ? e : l), undefined);
  const restores = events.filter((e) => e.type === "ack" && at(e) >= times.healAt);
  const since = (e: EventView | undefined, from: number) => (e ? at(e) - from : null);
  return {
    firstReportMs: since(report, times.onsetAt),
    localisedMs: since(localisation, times.onsetAt),
    suspects: localisation?.type === "localisation" ? localisation.suspects.map((x) => ({ id: x.id, state: x.state, share: x.share })) : [],
    resteeredMs: pushes.length > 0 && everyHostAcked ? since(lastAck, times.onsetAt) : null,
    resteeredHosts: [...new Set(pushes.map((e) => (e.type === "push" ? e.host : "")))].sort(),
    restoredAfterHealMs: since(restores.at(-1), times.healAt),
  };
}
