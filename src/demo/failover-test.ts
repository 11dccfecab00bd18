// `cairn lab failover-test`: how quickly Cairn reacts to each kind of fault, beside the IGP. Brings up
// its own lab (examples/failover), streams sequenced UDP for three flows at once, injects one fault
// on the steered primary, heals it, and measures every flow from its sink and the routers' counters.
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { readAgentStatus, startLabAgent, waitForLabAgent } from "../lab/control-plane.js";
import { labOperatorClient } from "../lab/pki.js";
import { PortCounter, healFault, injectFault, labDown, labExists, labStatus, listFaults, type FaultRequest, type PortCounts } from "../lab/index.js";
import { labUpCommand } from "../cli/lab-commands.js";
import { packageFile } from "../package-files.js";
import { startLabSink, startLabTraffic } from "./lab-streams.js";
import { arrivalsBetween, controllerTimeline, faultOnset, longestOutageMs, lostBetween, pathFromArrivals, recoveryAfterFault, type ControllerTimeline, type Recovery, type TrialTimes } from "./failover-analysis.js";

const EXAMPLE = (f: string) => packageFile("examples", "failover", f);
/** video's primary, as the controller computes it in examples/failover. */
export const PRIMARY = ["r1", "r2", "r3", "r4"];

export interface FaultCase {
  id: string;
  title: string;
  request: FaultRequest;
}

/** Every fault kind, on an element of video's primary that the unsteered flow (h1 to h3) crosses too. */
export const FAULT_CASES: readonly FaultCase[] = [
  { id: "endx-down", title: "r2-r3 down: the End.X hop of video's primary", request: { kind: "down", target: "r2-r3" } },
  { id: "loose-down", title: "r1-r2 down: a loose hop of video's primary (the IGP routes around it)", request: { kind: "down", target: "r1-r2" } },
  { id: "node-down", title: "router r2 down", request: { kind: "down", target: "r2" } },
  { id: "drop", title: "silent drop on r2-r3, forward direction (links and IS-IS stay up)", request: { kind: "drop", target: "r2-r3", direction: "r2-r3" } },
  { id: "loss", title: "30% loss on r2-r3, both directions", request: { kind: "loss", target: "r2-r3", percent: 30 } },
];

export type FlowId = "protected" | "unprobed" | "igp";

interface FlowSpec {
  id: FlowId;
  label: string;
  app?: string;
  to: string;
  port: number;
}

const FLOWS: readonly FlowSpec[] = [
  { id: "protected", label: "video, liveliness on", app: "video", to: "h2", port: 5001 },
  { id: "unprobed", label: "video, liveliness off", app: "video-unprobed", to: "h2", port: 5002 },
  { id: "igp", label: "unsteered h1 to h3 (IGP)", to: "h3", port: 5003 },
];

export interface FlowResult {
  flow: FlowId;
  label: string;
  sent: number;
  /** The longest gap between received sequence numbers, by send time (ms), over the whole stream. */
  outageMs: number;
  /** The longest time between two arrivals at the sink (ms): also counts the sink's own pauses. */
  longestArrivalGapMs: number;
  lost: number;
  /** Lost of those sent between the fault and the heal, and of those sent after the heal. */
  lostDuringFault: number;
  lostAfterHeal: number;
  recovery: Recovery;
  /** Routers crossed, from their counters: before the fault, in the fault's last 1.5 s, in the stream's last 1.5 s. */
  pathBefore: string[];
  pathDuring: string[];
  pathAfter: string[];
  /** What each router received of the flow in those windows, by incoming interface (the evidence). */
  arrivals: Record<"before" | "during" | "after", Record<string, Record<string, number>>>;
}

export interface TrialResult {
  fault: FaultCase;
  times: TrialTimes;
  controller: ControllerTimeline;
  flows: FlowResult[];
}

export interface FailoverTestOptions {
  /** Fault case ids (default: all of FAULT_CASES). */
  faults?: string[];
  /** Datagrams per second per flow (default 1000). */
  rate?: number;
  /** Stream before the fault, fault held, stream after the heal (ms; defaults 1000, 3000, 6000). */
  beforeMs?: number;
  faultMs?: number;
  afterHealMs?: number;
  /** Leave the lab up afterwards. */
  keep?: boolean;
  onProgress?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null> | T | null): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/** Every fault healed, the controller suspects nothing, and both video rules are back on the primary with live probes. */
async function waitHealthy(): Promise<void> {
  const operator = await labOperatorClient();
  try {
    await until("the lab to be healthy again (no fault, no suspect, video on r1>r2>r3>r4 with its paths up)", 90_000, async () => {
      if (listFaults().length > 0) return null;
      const links = await operator.listLinks();
      if (links.links.some((l) => l.suspect || l.state !== "up") || links.nodes.some((n) => n.suspect || n.state !== "up")) return null;
      const h1 = readAgentStatus("h1");
      const onPrimary = (intent: string) => h1?.rules.find((r) => r.intent === intent && r.state === "installed" && r.nodes.join(">") === PRIMARY.join(">"));
      const video = onPrimary("video");
      if (!video || !onPrimary("video-unprobed") || video.active !== "primary") return null;
      const used = h1!.paths.filter((p) => p.usedBy.some((u) => u.key === video.key));
      return used.length > 0 && used.every((p) => p.state === "up") ? true : null;
    });
  } finally {
    operator.close();
  }
}

/** A fresh agent on h1: each fault meets paths without history (no damped hold-down from the fault before). */
async function restartAgent(): Promise<void> {
  const old = labStatus()!.processes.find((p) => p.role === "agent" && p.node === "h1" && p.alive);
  if (old?.pid) {
    process.kill(old.pid, "SIGTERM");
    await until("h1's agent to stop", 10_000, () => (readAgentStatus("h1")?.pid === old.pid && labStatus()!.processes.find((p) => p.pid === old.pid)?.alive ? null : true));
  }
  await waitForLabAgent("h1", startLabAgent("h1"));
}

async function readAll(counters: Map<FlowId, PortCounter>): Promise<Map<FlowId, Record<string, PortCounts>>> {
  return new Map(await Promise.all([...counters].map(async ([id, c]) => [id, await c.read()] as const)));
}

async function trial(topology: Topology, fault: FaultCase, o: Required<Pick<FailoverTestOptions, "rate" | "beforeMs" | "faultMs" | "afterHealMs">>, progress: (l: string) => void): Promise<TrialResult> {
  const address = (host: string) => topology.hosts.find((h) => h.name === host)!.address;
  const streamMs = o.beforeMs + o.faultMs + o.afterHealMs;
  // A second more than the timeline: the last window then ends well before the stream does, however
  // long the sender took to start.
  const count = Math.round((o.rate * (streamMs + 1000)) / 1000);
  const intervalUs = 1e6 / o.rate;
  const routers = topology.routers.map((r) => r.name);
  const hostRouter = topology.hosts.find((h) => h.name === "h1")!.router;
  const operator = await labOperatorClient();
  const counters = new Map<FlowId, PortCounter>();
  try {
    const { lastSeq } = await operator.listEvents(0, 1);
    for (const f of FLOWS) counters.set(f.id, await PortCounter.start(routers, f.port));
    const sinks = await Promise.all(FLOWS.map((f) => startLabSink({ node: f.to, port: f.port, graceMs: 1000, timeoutMs: streamMs + 60_000 })));
    const senders = FLOWS.map((f) => startLabTraffic({ node: "h1", ...(f.app ? { app: f.app } : {}), to: address(f.to), port: f.port, count, rate: o.rate }));
    // The timeline starts once every flow is on the wire (a sender takes a moment to start).
    await until("every flow's first datagrams at h1's router", 15_000, async () => ([...(await readAll(counters)).values()].every((c) => (c[hostRouter]?.packets ?? 0) > 0) ? true : null));
    const started = Date.now();
    const c0 = await readAll(counters);
    await sleep(Math.max(0, started + o.beforeMs - 100 - Date.now()));
    const c1 = await readAll(counters);

    await sleep(Math.max(0, started + o.beforeMs - Date.now()));
    const faultAt = Date.now();
    await injectFault(fault.request);
    const faultInPlaceAt = Date.now();
    progress(`  ${fault.id}: injected in ${faultInPlaceAt - faultAt} ms; holding it for ${o.faultMs / 1000} s`);
    await sleep(Math.max(0, faultAt + o.faultMs - 1600 - Date.now()));
    const c2 = await readAll(counters);
    await sleep(Math.max(0, faultAt + o.faultMs - 100 - Date.now()));
    const c3 = await readAll(counters);

    await sleep(Math.max(0, faultAt + o.faultMs - Date.now()));
    const healAt = Date.now();
    await healFault(fault.request.target, { waitMs: 10_000 });
    const healedAt = Date.now();
    progress(`  ${fault.id}: healed in ${healedAt - healAt} ms (IS-IS converged); streaming on for ${o.afterHealMs / 1000} s`);
    const end = started + streamMs;
    await sleep(Math.max(0, end - 1600 - Date.now()));
    const c4 = await readAll(counters);
    await sleep(Math.max(0, end - 100 - Date.now()));
    const c5 = await readAll(counters);
    const sent = await Promise.all(senders.map((s) => s.done));
    const reports = await Promise.all(sinks.map((s) => s.report));
    const { events } = await operator.listEvents(lastSeq);

    const streams = reports.map((r) => r.streams[0] ?? { missing: [{ from: 0, to: count - 1, prevSentUs: null, nextSentUs: null }] });
    const onsetAt = faultOnset(streams, { faultAt, faultInPlaceAt }, intervalUs);
    const times: TrialTimes = { faultAt, faultInPlaceAt, onsetAt, healAt, healedAt };
    const flows = FLOWS.map((f, i): FlowResult => {
      const stream = streams[i]!;
      const window = (a: Map<FlowId, Record<string, PortCounts>>, b: Map<FlowId, Record<string, PortCounts>>) => arrivalsBetween(a.get(f.id)!, b.get(f.id)!);
      const arrivals = { before: window(c0, c1), during: window(c2, c3), after: window(c4, c5) };
      const path = (w: keyof typeof arrivals) => pathFromArrivals(topology, arrivals[w], "h1");
      const byInterface = (w: keyof typeof arrivals) => Object.fromEntries(Object.entries(arrivals[w]).map(([n, c]) => [n, c.byInterface]));
      return {
        flow: f.id,
        label: f.label,
        sent: sent[i]!.sent,
        outageMs: longestOutageMs(stream, intervalUs),
        longestArrivalGapMs: reports[i]!.longestGapMs,
        lost: reports[i]!.lost + (reports[i]!.streams.length === 0 ? count : 0),
        lostDuringFault: lostBetween(stream, intervalUs, faultAt, healAt),
        lostAfterHeal: lostBetween(stream, intervalUs, healAt, Infinity),
        recovery: recoveryAfterFault(stream, times, intervalUs),
        pathBefore: path("before"),
        pathDuring: path("during"),
        pathAfter: path("after"),
        arrivals: { before: byInterface("before"), during: byInterface("during"), after: byInterface("after") },
      };
    });
    return { fault, times, controller: controllerTimeline(events, times), flows };
  } finally {
    operator.close();
    await Promise.all([...counters.values()].map((c) => c.stop()));
    if (listFaults().length > 0) await healFault({ all: true }, { waitMs: 10_000 }).catch(() => undefined);
  }
}

/** Runs the fault cases in turn in a lab of its own; resolves with one result per fault. */
export async function runFailoverTest(opts: FailoverTestOptions = {}): Promise<TrialResult[]> {
  const progress = opts.onProgress ?? (() => {});
  const o = { rate: opts.rate ?? 1000, beforeMs: opts.beforeMs ?? 1000, faultMs: opts.faultMs ?? 3000, afterHealMs: opts.afterHealMs ?? 6000 };
  if (!Number.isInteger(o.rate) || o.rate < 100 || o.rate > 20_000) throw new RangeError(`--rate: ${o.rate} is not a whole number of datagrams per second from 100 to 20000`);
  if (o.faultMs < 2000) throw new RangeError(`the fault must be held at least 2 s (got ${o.faultMs} ms): the path during the fault is read from its last 1.5 s`);
  const ids = opts.faults ?? FAULT_CASES.map((c) => c.id);
  const unknown = ids.filter((id) => !FAULT_CASES.some((c) => c.id === id));
  if (unknown.length > 0) throw new RangeError(`unknown fault ${unknown.map((u) => `"${u}"`).join(", ")}; one of ${FAULT_CASES.map((c) => c.id).join(", ")}`);
  if (labExists()) throw new Error("a lab is already up; run `cairn lab down` first (the failover test brings up its own, examples/failover)");
  const topologyPath = EXAMPLE("topology.yaml");
  const topology = await loadTopology(topologyPath);
  const results: TrialResult[] = [];
  try {
    await labUpCommand(topologyPath, { intents: EXAMPLE("intents.yaml") });
    for (const [i, id] of ids.entries()) {
      const fault = FAULT_CASES.find((c) => c.id === id)!;
      progress(`fault ${i + 1}/${ids.length}: ${fault.title}`);
      if (i > 0) await restartAgent();
      await waitHealthy();
      results.push(await trial(topology, fault, o, progress));
    }
  } finally {
    if (!opts.keep) await labDown();
  }
  return results;
}
