// TCP throughput in the lab (1500-byte MTUs) from h1 to h2 over the same routers r1 > r7 > r4:
// (a) an app steered by Cairn's datapath (SRH inserted at tc egress), (b) the kernel's own
// `encap seg6 mode inline` route with the same SID, (c) no SRH at all. Alternated in one run,
// several rounds, medians. iperf3 runs as a process in the host namespaces.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadTopology } from "../src/config/load.js";
import { labDown, labExecArgv, labExecCapture, labExists, labUp, nsName, readInterfaceCounters } from "../src/lab/index.js";
import { ipIn } from "../src/lab/netns.js";
import { HOST_UPLINK } from "../src/lab/naming.js";
import { gatewayAddress } from "../src/core/addressing.js";
import type { DesiredDatapath } from "../src/datapath/types.js";
import { SMOKE, quantile, size } from "./common.js";
import { packageFile } from "../src/package-files.js";

const ROUNDS = size("CAIRN_BENCH_THROUGHPUT_ROUNDS", 5, 1);
const SECONDS = size("CAIRN_BENCH_THROUGHPUT_SECONDS", 4, 1);
const TOPOLOGY = packageFile("examples", "demo", "topology.yaml");
const FIXTURE = fileURLToPath(new URL("../src/datapath/attach-fixture.js", import.meta.url));
const PIN_DIR = "/sys/fs/bpf/cairn/bench-h1";
const PORT = 5201;

if (process.getuid?.() !== 0) {
  console.log("throughput: skipped (needs root: builds the lab)");
  process.exit(0);
}

const topology = await loadTopology(TOPOLOGY);
const h1 = topology.hosts.find((h) => h.name === "h1")!;
const h2 = topology.hosts.find((h) => h.name === "h2")!;
const r7 = topology.routers.find((r) => r.name === "r7")!;
const sid = r7.sid;
const dst = `${h2.address}/128`;
const gw = gatewayAddress(h1);

async function fixture(node: string, command: string, args: object): Promise<void> {
  const r = await labExecCapture(node, { command: [process.execPath, FIXTURE, command, JSON.stringify(args)] });
  if (r.code !== 0) throw new Error(`${command} in ${node} failed: ${r.stderr.trim()}`);
}

const steered: DesiredDatapath = {
  rules: [{ identity: "bench", classId: 0, destinations: [dst], uid: null, source: null, protocol: 6, portFrom: PORT, portTo: PORT, priority: 0, closed: false, primary: { mode: "inline", sids: [sid] }, backup: null, useBackup: false, noLiveness: false }],
  cgroups: [],
  encapSource: null,
};
const none: DesiredDatapath = { rules: [], cgroups: [], encapSource: null };

/** Sets h1 up for one variant: the datapath rule, the kernel route, or neither (and the MTU route the agent would add). */
async function configure(variant: "cairn" | "kernel" | "plain"): Promise<void> {
  await fixture("h1", "apply", { interface: HOST_UPLINK, pinDir: PIN_DIR, desired: variant === "cairn" ? steered : none });
  const ns = nsName("h1");
  await ipIn(ns, ["-6", "route", "del", dst]).catch(() => {});
  if (variant === "kernel") await ipIn(ns, ["-6", "route", "add", dst, "encap", "seg6", "mode", "inline", "segs", sid, "via", gw, "dev", HOST_UPLINK]);
  if (variant === "cairn") await ipIn(ns, ["-6", "route", "add", dst, "via", gw, "dev", HOST_UPLINK, "mtu", String(1500 - 40)]);
  if (variant === "plain") await ipIn(ns, ["-6", "route", "add", dst, "via", gw, "dev", HOST_UPLINK]);
  await ipIn(ns, ["-6", "route", "flush", "cache"]).catch(() => {});
}

/** Bytes each router received (bytes, not packets: the veths merge TCP segments with GRO). */
const routerRx = () => Object.fromEntries(topology.routers.map((r) => [r.name, Object.values(readInterfaceCounters(r.name)).reduce((s, c) => s + c.rxBytes, 0)]));

async function iperf(): Promise<{ gbps: number; path: string[] }> {
  const before = routerRx();
  const r = await labExecCapture("h1", { command: ["iperf3", "-c", h2.address, "-p", String(PORT), "-t", String(SECONDS), "-J"] });
  if (r.code !== 0) throw new Error(`iperf3 failed: ${r.stderr || r.stdout}`);
  const bps = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number; bytes: number } } }).end.sum_received;
  const after = routerRx();
  const path = topology.routers.map((x) => x.name).filter((n) => after[n]! - before[n]! > 0.9 * bps.bytes);
  return { gbps: bps.bits_per_second / 1e9, path };
}

if (labExists()) await labDown();
const results: Record<"cairn" | "kernel" | "plain", number[]> = { cairn: [], kernel: [], plain: [] };
let server: ReturnType<typeof spawn> | null = null;
try {
  await labUp(topology);
  await fixture("h2", "enable-srh", { interface: HOST_UPLINK });
  const argv = labExecArgv("h2", { command: ["iperf3", "-s", "-p", String(PORT)] });
  server = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of ["plain", "kernel", "cairn"] as const) {
      await configure(variant);
      const { gbps, path } = await iperf();
      if (path.join(">") !== "r1>r4>r7") throw new Error(`${variant}: the stream crossed ${path.join(", ")}, not r1, r7, r4`);
      results[variant].push(gbps);
    }
  }
} finally {
  server?.kill();
  await labDown();
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const fmt = (xs: number[]) => `median ${median(xs).toFixed(2).padStart(6)} Gbit/s   rounds ${xs.map((x) => x.toFixed(2)).join(" ")}`;
console.log(`throughput: iperf3 TCP h1 -> h2 over r1 > r7 > r4 (MTU 1500), ${ROUNDS} round(s) of ${SECONDS} s, variants alternated${SMOKE ? " (smoke size: numbers mean nothing)" : ""}`);
console.log(`  (c) no SRH (the IGP's own path)                ${fmt(results.plain)}`);
console.log(`  (b) kernel seg6 inline route, same SID          ${fmt(results.kernel)}`);
console.log(`  (a) Cairn: steered app, SRH at tc egress        ${fmt(results.cairn)}`);
console.log(`  Cairn / kernel seg6 inline: ${((100 * median(results.cairn)) / median(results.kernel)).toFixed(0)}% (goal: at least 95%); Cairn / no SRH: ${((100 * median(results.cairn)) / median(results.plain)).toFixed(0)}%`);
