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

interface Case {
  label: string;
  fd: number;
  frame: Uint8Array;
  expect: { retval: number; grows: boolean } | null;
  samples: number[];
}

/**
 * Runs the cases round-robin in small batches, so that a slower moment of this (shared, virtual)
 * machine hits every case alike; checks each case's verdict, and that steered frames grew.
 */
function measure(cases: Case[]): void {
  const batch = 100;
  for (const c of cases) {
    const r = bpf.progTestRun(c.fd, { data: c.frame });
    if (c.expect && r.retval !== c.expect.retval) throw new Error(`${c.label}: verdict ${r.retval}, expected ${c.expect.retval}`);
    if (c.expect && c.expect.grows !== r.data.length > c.frame.length) throw new Error(`${c.label}: the frame ${c.expect.grows ? "did not grow" : "grew"}`);
  }
  for (let done = 0; done < RUNS; done += batch) {
    for (const c of cases) for (let i = 0; i < batch; i++) c.samples.push(bpf.progTestRun(c.fd, { data: c.frame }).durationNs);
  }
}

function stats(c: Case): { median: number; p99: number } {
  const sorted = [...c.samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
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
    noLiveness: false,
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

const mk = (label: string, fd: number, frame: Uint8Array, expect: Case["expect"]): Case => ({ label, fd, frame, expect, samples: [] });
const baseline = mk("baseline: an empty tc program (the harness)", empty.fd, steered6, null);
const cases: Case[] = [baseline];

maps.apply(want(hostRules(0)));
const any = [
  mk("steered IPv6 UDP (SRH, 2 SIDs)", dp.fd, steered6, STEER),
  mk("steered IPv4 UDP (outer IPv6 + SRH)", dp.fd, steered4, STEER),
  mk("IPv6 to a destination no rule has", dp.fd, unsteered6, PASS),
  mk("non-IP (ARP)", dp.fd, arp, PASS),
];
measure([baseline, ...any]);
cases.push(...any);

// Rules for some app's cgroup only: this process is in none of them, so the gate turns it away.
maps.apply(want(hostRules(7), [{ id: 12345n, level: 2, classId: 7 }]));
const gate = mk("IPv6 of an app with no rule (cgroup gate)", dp.fd, steered6, PASS);
measure([baseline, gate]);
cases.push(gate);

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
      const byCgroup = mk("steered IPv6 UDP by its app's parent cgroup", dp.fd, steered6, STEER);
      measure([baseline, byCgroup]);
      cases.push(byCgroup);
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

const base = stats(baseline);
console.log(`packet cost: BPF_PROG_TEST_RUN, ${RUNS} runs of each frame (round-robin with the baseline), kernel time per run${SMOKE ? " (smoke size: numbers mean nothing)" : ""}`);
for (const c of cases) {
  const t = stats(c);
  const over = c === baseline ? "" : `   ${(t.median - base.median).toFixed(0).padStart(4)} ns over the baseline (${(t.median / base.median).toFixed(1)}x)`;
  console.log(`  ${c.label.padEnd(46)} median ${String(t.median).padStart(5)} ns   p99 ${String(t.p99).padStart(6)} ns${over}`);
}
console.log(`  steered IPv6 packet: ${stats(cases[1]!).median - base.median} ns of datapath work (goal: under 100 ns)`);
