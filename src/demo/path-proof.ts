// Proof of where packets went, from the routers' own counters of the flow's packets (not the agent's):
// nftables in each router counts arrivals for the flow's port, so probes and IS-IS do not blur it.
import { fileURLToPath } from "node:url";
import type { Topology } from "../core/model.js";
import { PortCounter, labExecCapture } from "../lab/index.js";
import { startLabSink } from "./lab-streams.js";
import { SEQ_MAGIC } from "./seq-header.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
/** `cairn lab traffic` in Debian's python3 (readable by every user), sequence header and all: TO PORT COUNT RATE SIZE. */
const PY_SENDER = [
  "import random, socket, struct, sys, time",
  "to, port, count, rate, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])",
  "s = socket.socket(socket.AF_INET6 if ':' in to else socket.AF_INET, socket.SOCK_DGRAM)",
  "stream, interval_us, payload = random.getrandbits(32), round(1e6 / rate), bytearray(b'c' * size)",
  "start = time.monotonic()",
  "for i in range(count):",
  `    struct.pack_into('>IIIIIIQ', payload, 0, ${SEQ_MAGIC}, stream, i, count, interval_us, 0, int(time.time() * 1e6))`,
  "    s.sendto(payload, (to, port))",
  "    ahead = start + (i + 1) / rate - time.monotonic()",
  "    if ahead > 0: time.sleep(ahead)",
].join("\n");
/** A router counts as "on the path" when it received at least this share of the datagrams sent. */
export const ON_PATH_SHARE = 0.9;

export interface FlowResult {
  sent: number;
  received: number;
  /** Routers that received at least ON_PATH_SHARE of `sent` of the flow's packets, in path order when possible. */
  countedOn: string[];
  /** The flow's packets each router received (its port, counted ahead of routing). */
  deltas: Record<string, number>;
  /** Fragments after the first (of any flow: they carry no port) each router received meanwhile. */
  laterFragments: Record<string, number>;
}

/** Starts a UDP sink in `toNode` that stops 700 ms after the last datagram; resolves once it listens. */
async function startSink(toNode: string, port: number, timeoutMs = 30_000): Promise<{ done: Promise<number> }> {
  const sink = await startLabSink({ node: toNode, port, idleMs: 700, timeoutMs });
  return { done: sink.report.then((r) => r.received) };
}

export interface TracedFlow {
  fromNode: string;
  /** Who sends: a lab app, a cgroup, a user (any combination), else a plain process. */
  app?: string;
  cgroup?: string;
  user?: string;
  toNode: string;
  toAddress: string;
  port: number;
  count: number;
  /** Datagram payload bytes (default 200) and datagrams per second (default 2000). */
  size?: number;
  rate?: number;
  order?: string[];
  /** How long the sink waits for the first datagram (default 30 s; shorter where none should arrive). */
  sinkTimeoutMs?: number;
}

/** Sends `count` datagrams from `fromNode` (as the given app, cgroup or user) and reports which routers carried them. */
export async function sendAndTrace(topology: Topology, o: TracedFlow): Promise<FlowResult> {
  const sink = await startSink(o.toNode, o.port, o.sinkTimeoutMs);
  const counter = await PortCounter.start(topology.routers.map((r) => r.name), o.port);
  let deltas: Record<string, number>;
  let laterFragments: Record<string, number>;
  let got: number;
  try {
    const args = [o.toAddress, String(o.port), String(o.count), String(o.rate ?? 2000), String(o.size ?? 200)];
    const r = await labExecCapture(o.fromNode, {
      ...(o.app ? { app: o.app } : {}),
      ...(o.cgroup ? { cgroup: o.cgroup } : {}),
      ...(o.user ? { user: o.user } : {}),
      // Another user may not be able to read this checkout: then python3 sends the same datagrams.
      command: o.user ? ["/usr/bin/python3", "-c", PY_SENDER, ...args] : [process.execPath, CLI, "lab", "traffic", "--to", args[0]!, "--port", args[1]!, "--count", args[2]!, "--rate", args[3]!, "--size", args[4]!],
    });
    if (r.code !== 0) throw new Error(`sending traffic from ${o.fromNode} failed: ${r.stderr.trim() || r.stdout.trim()}`);
    got = await sink.done;
    const counts = Object.entries(await counter.read());
    deltas = Object.fromEntries(counts.map(([n, c]) => [n, c.packets]));
    laterFragments = Object.fromEntries(counts.map(([n, c]) => [n, c.laterFragments]));
  } finally {
    await counter.stop();
  }
  const counted = Object.keys(deltas).filter((n) => deltas[n]! >= ON_PATH_SHARE * o.count);
  const order = o.order ?? [];
  counted.sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b));
  return { sent: o.count, received: got, countedOn: counted, deltas, laterFragments };
}

/** True when the counted routers are exactly the path's routers. */
export function sameRouters(path: string[], counted: string[]): boolean {
  return path.length === counted.length && path.every((n) => counted.includes(n));
}
