// Per-packet cost of the eBPF datapath, measured with BPF_PROG_TEST_RUN: the kernel times each
// run of the program on a crafted frame. Baseline in the same run: an empty tc program on the
// same frames (what the harness itself costs). One run per call (repeat = 1): a tc test run
// reuses its skb across repeats, so repeats would time an already-steered packet.
import { existsSync, readFileSync, rmdirSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCgroup2Mount } from "../src/host/cgroup2.js";
import * as bpf from "../src/datapath/libbpf.js";
import { MAP_NAMES } from "../src/datapath/layout.js";
import { DatapathMaps, type MapFds } from "../src/datapath/maps.js";
import { arpFrame, udp4, udp6 } from "../src/datapath/packets.js";
import type { DatapathRule, DesiredDatapath } from "../src/datapath/types.js";
import { quantile, size, SMOKE } from "./common.js";
import { packageFile } from "../src/package-files.js";

const OBJECT = packageFile("src", "datapath", "egress.bpf.o");
const EMPTY = packageFile("src", "datapath", "testdata", "foreign.bpf.o");
const RUNS = size("CAIRN_BENCH_PACKETS", 20_000, 500);
const TC_ACT_UNSPEC = 0xffffffff;

if (process.getuid?.() !== 0 || !existsSync(OBJECT) || !existsSync(EMPTY)) {
  console.log(`packet cost: skipped (needs root and the built eBPF objects: ${OBJECT}, ${EMPTY})`);
  process.exit(0);
}

function load(path: string, prog: string): { obj: bpf.BpfObject; fd: number } {
  const obj = bpf.openObjectFile(path);
  bpf.loadObject(obj);
  return { obj, fd: bpf.programFd(bpf.findProgram(obj, prog)) };
}

/** Median and p99 of the kernel's per-run time, in ns; checks the verdict and, for steered frames, that they grew. */
function measure(progFd: number, frame: Uint8Array, expect: { retval: number; grows: boolean } | null): { median: number; p99: number } {
  const each: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = bpf.progTestRun(progFd, { data: frame });
    if (expect && i === 0) {
      if (r.retval !== expect.retval) throw new Error(`verdict ${r.retval}, expected ${expect.retval}`);
      if (expect.grows !== r.data.length > frame.length) throw new Error(`the frame ${expect.grows ? "did not grow" : "grew"} (${frame.length} -> ${r.data.length})`);
    }
    each.push(r.durationNs);
  }
  each.sort((a, b) => a - b);
  return { median: quantile(each, 0.5), p99: quantile(each, 0.99) };
}

function rule(identity: string, over: Partial<DatapathRule>): DatapathRule {
  return {
    identity,
    classId: 0,
    destinations: ["2001:db8:2::/64"],
    uid: null,
    source: null,
    protocol: 17,
    portFrom: 5000,
    portTo: 5100,
    priority: 0,
    closed: false,
    primary: { mode: "inline", sids: ["fc00:0:2::1", "fc00:0:3::e001"] },
    backup: null,
    useBackup: false,
    ...over,
  };
}

/** A plausible host: a handful of rules over several prefixes, ports and protocols. */
function hostRules(classId: number): DatapathRule[] {
  const out: DatapathRule[] = [];
  for (let i = 0; i < 12; i++) {
    out.push(rule(`r${classId}-${i}`, { classId, destinations: [`2001:db8:${(i % 4) + 2}::/64`], protocol: i % 2 ? 6 : 17, portFrom: 5000 + 100 * i, portTo: 5099 + 100 * i, priority: i }));
  }
  out.push(rule(`v4-${classId}`, { classId, destinations: ["10.0.2.0/24"], protocol: 0, portFrom: 0, portTo: 65535, priority: 20, primary: { mode: "encap", sids: ["fc00:0:2::1", "fc00:0:4::d400:1"] } }));
  return out;
}

const empty = load(EMPTY, "foreign_egress");
const dp = load(OBJECT, "cairn_egress");
const fds = Object.fromEntries(MAP_NAMES.map((n) => [n, bpf.mapFd(bpf.findMap(dp.obj, n))])) as MapFds;
const maps = DatapathMaps.fromFds(fds, { maxRules: 1024, maxPaths: 1024, maxPrefixes: 1024, maxCgroups: 256, maxFragments: 4096 }, 0);
const want = (rules: DatapathRule[], cgroups: DesiredDatapath["cgroups"] = []): DesiredDatapath => ({ rules, cgroups, encapSource: "2001:db8:1::10" });

const payload = new Uint8Array(100);
const steered6 = udp6("2001:db8:1::10", "2001:db8:2::10", 40000, 5000, payload);
const steered4 = udp4("10.0.1.10", "10.0.2.10", 40000, 5000, payload);
const unsteered6 = udp6("2001:db8:1::10", "2001:db8:99::10", 40000, 5000, payload);
const arp = arpFrame();
const PASS = { retval: TC_ACT_UNSPEC, grows: false };
const STEER = { retval: TC_ACT_UNSPEC, grows: true };

const rows: [string, { median: number; p99: number }][] = [];
const baseline = measure(empty.fd, steered6, null);
rows.push(["baseline: an empty tc program (the harness)", baseline]);

maps.apply(want(hostRules(0)));
rows.push(["steered IPv6 UDP (SRH, 2 SIDs)", measure(dp.fd, steered6, STEER)]);
rows.push(["steered IPv4 UDP (outer IPv6 + SRH)", measure(dp.fd, steered4, STEER)]);
rows.push(["IPv6 to a destination no rule has", measure(dp.fd, unsteered6, PASS)]);
rows.push(["non-IP (ARP)", measure(dp.fd, arp, PASS)]);

// Rules for some app's cgroup only: this process is in none of them, so the gate turns it away.
maps.apply(want(hostRules(7), [{ id: 12345n, level: 2, classId: 7 }]));
rows.push(["IPv6 of an app with no rule (cgroup gate)", measure(dp.fd, steered6, PASS)]);

// This process in a cgroup two levels down, its parent named by the rules: the ancestor walk.
const mount = findCgroup2Mount();
if (mount) {
  const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"))?.slice(3) ?? "/";
  const parent = join(mount, "cairn-bench");
  const leaf = join(parent, "worker");
  mkdirSync(leaf, { recursive: true });
  try {
    writeFileSync(join(leaf, "cgroup.procs"), String(process.pid));
    try {
      maps.apply(want(hostRules(7), [{ id: statSync(parent, { bigint: true }).ino, level: 1, classId: 7 }]));
      rows.push(["steered IPv6 UDP by its app's parent cgroup", measure(dp.fd, steered6, STEER)]);
    } finally {
      writeFileSync(join(mount, own, "cgroup.procs"), String(process.pid));
    }
  } finally {
    rmdirSync(leaf);
    rmdirSync(parent);
  }
}

maps.close();
bpf.closeObject(dp.obj);
bpf.closeObject(empty.obj);

console.log(`packet cost: BPF_PROG_TEST_RUN, ${RUNS} runs of each frame, kernel time per run${SMOKE ? " (smoke size: numbers mean nothing)" : ""}`);
for (const [label, t] of rows) {
  const over = label.startsWith("baseline") ? "" : `   ${(t.median - baseline.median).toFixed(0).padStart(4)} ns over the baseline (${(t.median / baseline.median).toFixed(1)}x)`;
  console.log(`  ${label.padEnd(46)} median ${String(t.median).padStart(5)} ns   p99 ${String(t.p99).padStart(6)} ns${over}`);
}
const steered = rows.find(([l]) => l.startsWith("steered IPv6 UDP (SRH"))![1].median - baseline.median;
console.log(`  steered IPv6 packet: ${steered} ns of datapath work (goal: under 100 ns)`);
