// Probe budget: what the agent's probing costs a host, measured. N distinct paths, one probe every
// 10 ms each (jittered, the default), through the agent's own Prober and a real UDP probe socket;
// each probe goes to [::1] and comes back to the same socket, so every probe is sent, received and
// judged exactly as in the agent (minus the kernel's SRH, ~0.4 µs a packet: bench/packet-cost).
// Baseline in the same run: the same process idle for as long (timers and the event loop alone).
import { openProbeSocket } from "../src/agent/probe-socket.js";
import { DEFAULT_PROBE_SETTINGS, Prober, type ProbeTarget } from "../src/agent/prober.js";
import { realClock } from "../src/agent/clock.js";
import { SMOKE, size } from "./common.js";

const SECONDS = size("CAIRN_BENCH_PROBE_SECONDS", 5, 1);
const COUNTS = SMOKE ? [10, 100] : [10, 100, 1000];
const PORT = 40_000 + Math.floor(Math.random() * 20_000);
const now = () => process.hrtime.bigint();

/** The kernel's view of every path: always answering (the prober keeps the 10 ms interval). */
const healthy = {
  watchPath: () => {},
  retimePath: () => {},
  liveness: () => ({ lastSentNs: now(), lastReturnNs: now(), upSinceNs: 0n, firstUnansweredNs: 0n }),
};

async function cpuOver(ms: number, run: () => void = () => {}): Promise<number> {
  const before = process.cpuUsage();
  run();
  await new Promise((r) => setTimeout(r, ms));
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000; // ms of CPU
}

const idleMs = await cpuOver(SECONDS * 1000);
const idlePct = (idleMs / (SECONDS * 1000)) * 100;
console.log(`probe budget: ${SECONDS} s per row, interval ${DEFAULT_PROBE_SETTINGS.intervalMs} ms; idle baseline ${idlePct.toFixed(2)}% of one core`);
console.log("PATHS  PROBES/S SENT  RETURNED  CPU (% OF ONE CORE)  CPU PER PROBE  VS IDLE");
for (const n of COUNTS) {
  const transport = await openProbeSocket(PORT);
  const prober = new Prober(transport, healthy, realClock, now, 0x5eed, DEFAULT_PROBE_SETTINGS, () => {});
  const targets: ProbeTarget[] = Array.from({ length: n }, (_, i) => ({ key: `p${i}`, ref: 0x10000 + i, firstSid: "::1" }));
  const cpuMs = await cpuOver(SECONDS * 1000, () => prober.setTargets(targets));
  const h = prober.health();
  const sent = h.reduce((s, p) => s + p.sent, 0);
  const received = h.reduce((s, p) => s + p.received, 0);
  prober.stop();
  const pps = sent / SECONDS;
  const pct = (cpuMs / (SECONDS * 1000)) * 100;
  const perProbeUs = ((cpuMs - idleMs) * 1000) / Math.max(1, sent);
  console.log(`${String(n).padEnd(5)}  ${pps.toFixed(0).padStart(13)}  ${String(received).padStart(8)}  ${pct.toFixed(1).padStart(19)}  ${perProbeUs.toFixed(1).padStart(10)} µs  ${(pct / Math.max(idlePct, 0.01)).toFixed(0)}x`);
  await new Promise((r) => setTimeout(r, 200));
}
