// Real attach on veth pairs between three network namespaces:
//   cairn-t-dp   ct0 fd00:ca:1::1                    datapath attached at ct0 egress
//   cairn-t-rt   ct1 fd00:ca:1::2 | ct2 fd00:ca:2::1  router; SIDs fd00:ca:5::1, ::2 are seg6local End
//   cairn-t-peer ct3 fd00:ca:2::2, ::3                final destination
// (End cannot hand a packet to a local address, so the SIDs and the destination live apart.)
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAddress } from "../core/ipv6.js";
import { MAP_NAMES } from "./layout.js";
import type * as Maps from "./maps.js";
import { IPPROTO_TCP, IPPROTO_UDP, parseIpv6Frame, readPcap, type ParsedIpv6 } from "./packets.js";

const NS_DP = "cairn-t-dp";
const NS_RT = "cairn-t-rt";
const NS_PEER = "cairn-t-peer";
const PIN_DIR = "/sys/fs/bpf/cairn-t-dp";
const PCAP = "/tmp/cairn-t-capture.pcap";
const HERE = dirname(fileURLToPath(import.meta.url));
const OBJECT = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));
const ATTACH = join(HERE, "attach-fixture.js");
const TRAFFIC = join(HERE, "traffic-fixture.js");

const DP_ADDR = "fd00:ca:1::1";
const RT_ADDR = "fd00:ca:1::2";
const PEER_ADDR = "fd00:ca:2::2";
const PEER_ADDR_NO_MTU = "fd00:ca:2::3";
const SID1 = "fd00:ca:5::1";
const SID2 = "fd00:ca:5::2";

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function inNs(ns: string, cmd: string, args: string[]): string {
  return sh("nsenter", [`--net=/run/netns/${ns}`, cmd, ...args]);
}

function fixture(ns: string, script: string, command: string, args: object): Record<string, unknown> {
  const out = inNs(ns, process.execPath, [script, command, JSON.stringify(args)]).trim().split("\n");
  return JSON.parse(out.at(-1)!) as Record<string, unknown>;
}

function hasTool(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root for BPF and network namespaces";
  for (const tool of ["ip", "nsenter", "tcpdump", "tc"]) if (!hasTool(tool)) return `${tool} not installed`;
  if (!existsSync(OBJECT)) return `${OBJECT} missing: run make -C src/datapath`;
  return false;
}

const children = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  /** Resolves with stdout once the process exits. */
  exited: Promise<string>;
}

/** Starts cmd in ns and waits until `ready` appears on the given stream. */
function startInNs(ns: string, cmd: string, args: string[], ready: RegExp, stream: "stdout" | "stderr"): Promise<Started> {
  const child = spawn("nsenter", [`--net=/run/netns/${ns}`, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<string>((resolve) => {
    child.on("exit", () => {
      children.delete(child);
      resolve(stdout);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready: ${stderr}`)), 10_000);
    const check = () => {
      if (ready.test(stream === "stdout" ? stdout : stderr)) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    child.stdout!.on("data", (d: Buffer) => ((stdout += d.toString()), check()));
    child.stderr!.on("data", (d: Buffer) => ((stderr += d.toString()), check()));
    child.on("exit", (code) => reject(new Error(`${cmd} exited (${code}) before ready: ${stderr}`)));
  });
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

/** Captures on the router's ct1 (the wire leaving the datapath) while `traffic` runs. */
async function capture(filter: string, traffic: () => Promise<void>): Promise<ParsedIpv6[]> {
  rmSync(PCAP, { force: true });
  const dump = await startInNs(NS_RT, "tcpdump", ["-i", "ct1", "-n", "--immediate-mode", "-U", "-w", PCAP, filter], /listening on/, "stderr");
  try {
    await traffic();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    dump.child.kill("SIGINT");
    await dump.exited;
  }
  return readPcap(readFileSync(PCAP))
    .map(parseIpv6Frame)
    .filter((p): p is ParsedIpv6 => p !== null);
}

async function udpExchange(host: string, count: number, timeoutMs = 5000): Promise<number> {
  const recv = await startInNs(
    NS_PEER,
    process.execPath,
    [TRAFFIC, "udp-recv", JSON.stringify({ port: 5000, count, timeoutMs })],
    /ready/,
    "stdout",
  );
  fixture(NS_DP, TRAFFIC, "udp-send", { host, port: 5000, count, size: 100 });
  return lastJson(await recv.exited).received as number;
}

function tcFilters(): string {
  return inNs(NS_DP, "tc", ["filter", "show", "dev", "ct0", "egress"]);
}

function cleanup(): void {
  for (const child of children) child.kill("SIGKILL");
  const namespaces = sh("ip", ["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith("cairn-t-"));
  for (const ns of namespaces) sh("ip", ["netns", "del", ns]);
  if (existsSync("/sys/fs/bpf")) {
    for (const entry of readdirSync("/sys/fs/bpf")) {
      if (entry.startsWith("cairn-t-")) rmSync(join("/sys/fs/bpf", entry), { recursive: true, force: true });
    }
  }
  rmSync(PCAP, { force: true });
}

function setup(): void {
  for (const ns of [NS_DP, NS_RT, NS_PEER]) {
    sh("ip", ["netns", "add", ns]);
    inNs(ns, "ip", ["link", "set", "lo", "up"]);
  }
  sh("ip", ["link", "add", "ct0", "netns", NS_DP, "type", "veth", "peer", "name", "ct1", "netns", NS_RT]);
  sh("ip", ["link", "add", "ct2", "netns", NS_RT, "type", "veth", "peer", "name", "ct3", "netns", NS_PEER]);
  const addrs: [string, string, string][] = [
    [NS_DP, "ct0", `${DP_ADDR}/64`],
    [NS_RT, "ct1", `${RT_ADDR}/64`],
    [NS_RT, "ct2", "fd00:ca:2::1/64"],
    [NS_PEER, "ct3", `${PEER_ADDR}/64`],
    [NS_PEER, "ct3", `${PEER_ADDR_NO_MTU}/64`],
  ];
  for (const [ns, dev, a] of addrs) {
    inNs(ns, "ip", ["link", "set", dev, "up"]);
    inNs(ns, "ip", ["-6", "addr", "add", a, "dev", dev, "nodad"]);
  }
  inNs(NS_RT, "sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"]);
  for (const sid of [SID1, SID2]) {
    inNs(NS_RT, "ip", ["-6", "route", "add", `${sid}/128`, "encap", "seg6local", "action", "End", "dev", "ct1"]);
  }
  inNs(NS_PEER, "ip", ["-6", "route", "add", "default", "via", "fd00:ca:2::1"]);
  inNs(NS_DP, "ip", ["-6", "route", "add", "fd00:ca::/32", "via", RT_ADDR]);
  // The SRH has to fit in the MTU: TCP to PEER_ADDR gets room for it (see the MTU test).
  inNs(NS_DP, "ip", ["-6", "route", "add", `${PEER_ADDR}/128`, "via", RT_ADDR, "mtu", "1400"]);
}

const rules = (udpPath: string[]) => [
  { ruleId: 1, cgroupId: "0", prefix: "fd00:ca:2::/64", protocol: IPPROTO_UDP, portFrom: 5000, portTo: 5000, segments: udpPath },
  { ruleId: 2, cgroupId: "0", prefix: "fd00:ca:2::/64", protocol: IPPROTO_TCP, portFrom: 6000, portTo: 6000, segments: [SID1, SID2] },
];

// Loaded in before() so that machines without libbpf skip rather than fail to import.
let DatapathMaps: typeof Maps.DatapathMaps;

function readMaps<T>(fn: (m: Maps.DatapathMaps) => T): T {
  const maps = DatapathMaps.fromPins(PIN_DIR);
  try {
    return fn(maps);
  } finally {
    maps.close();
  }
}

const reason = skipReason();

describe("datapath attached to a veth in a network namespace", { skip: reason }, () => {
  let firstProgramId = 0;

  before(async () => {
    ({ DatapathMaps } = await import("./maps.js"));
    cleanup();
    setup();
  });
  after(cleanup);

  test("openDatapath pins the maps and attaches at clsact egress", () => {
    const out = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, rules: rules([SID1]) });
    firstProgramId = out.programId as number;
    assert.ok(firstProgramId > 0);
    assert.deepEqual(readdirSync(PIN_DIR).sort(), [...MAP_NAMES].sort());
    assert.match(tcFilters(), /cairn_egress.*direct-action/);
    assert.deepEqual(readMaps((m) => m.ruleIds().sort()), [1, 2]);
  });

  test("the destination drops SRH packets (even with segments left 0) until enableSrhDelivery", async () => {
    assert.equal(await udpExchange(PEER_ADDR, 2, 1500), 0);
    fixture(NS_PEER, ATTACH, "enable-srh", { interface: "ct3" });
    assert.equal(await udpExchange(PEER_ADDR, 1), 1);
  });

  test("UDP leaves with the SRH, crosses the End SID and is delivered", async () => {
    const before = readMaps((m) => m.counters().get(1))!;
    let received = 0;
    const frames = await capture("udp or ip6[6] == 43", async () => {
      received = await udpExchange(PEER_ADDR, 5);
    });
    assert.equal(received, 5);
    const steered = frames.filter((f) => f.srh && f.l4Proto === IPPROTO_UDP);
    assert.equal(steered.length, 5, "every datagram carries an SRH on the wire");
    for (const f of steered) {
      assert.deepEqual(f.dst, parseAddress(SID1));
      assert.deepEqual(f.srh!.segments, [PEER_ADDR, SID1]);
      assert.equal(f.srh!.segmentsLeft, 1);
    }
    const c = readMaps((m) => m.counters().get(1))!;
    assert.equal(c.packets - before.packets, 5n);
    assert.equal(c.bytes - before.bytes, BigInt(5 * (14 + 40 + 8 + 100)));
  });

  test("TCP (GSO) is steered over two SIDs end to end", async () => {
    const total = 4 << 20;
    let frames: ParsedIpv6[] = [];
    const recv = await startInNs(
      NS_PEER,
      process.execPath,
      [TRAFFIC, "tcp-recv", JSON.stringify({ port: 6000, timeoutMs: 20_000 })],
      /ready/,
      "stdout",
    );
    frames = await capture("ip6[6] == 43", async () => {
      fixture(NS_DP, TRAFFIC, "tcp-send", { host: PEER_ADDR, port: 6000, bytes: total });
    });
    assert.deepEqual(lastJson(await recv.exited), { bytes: total });
    const tcp = frames.filter((f) => f.l4Proto === IPPROTO_TCP);
    assert.ok(tcp.length > 0);
    for (const f of tcp) {
      assert.deepEqual(f.srh!.segments, [PEER_ADDR, SID2, SID1]);
      assert.deepEqual(f.dst, parseAddress(SID1));
    }
    const superPackets = tcp.filter((f) => 40 + f.payloadLength > 1400);
    assert.ok(superPackets.length > 0, "expected GSO skbs larger than the route MTU to carry the SRH");
    const c = readMaps((m) => m.counters().get(2))!;
    assert.ok(c.bytes > BigInt(total), `counted ${c.bytes} bytes`);
    assert.ok(c.packets >= BigInt(Math.floor(total / 1400)), `counted ${c.packets} packets`);
    assert.equal(readMaps((m) => m.drops()).get("mtu"), 0n);
  });

  test("UDP GSO (UDP_SEGMENT) keeps its datagram size and is steered", async (t) => {
    if (!hasTool("python3")) return t.skip("python3 not installed (node cannot set UDP_SEGMENT)");
    const before = readMaps((m) => m.counters().get(1))!;
    const recv = await startInNs(
      NS_PEER,
      process.execPath,
      [TRAFFIC, "udp-recv", JSON.stringify({ port: 5000, count: 4, timeoutMs: 5000 })],
      /ready/,
      "stdout",
    );
    const send = [
      "import socket",
      "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
      "s.setsockopt(17, 103, 1000)  # SOL_UDP, UDP_SEGMENT",
      `s.sendto(b"x" * 4000, ("${PEER_ADDR}", 5000))`,
    ].join("\n");
    inNs(NS_DP, "python3", ["-c", send]);
    assert.equal(lastJson(await recv.exited).received, 4);
    const c = readMaps((m) => m.counters().get(1))!;
    assert.equal(c.packets - before.packets, 4n, "one skb counted as its 4 datagrams");
  });

  test("a non-GSO packet that no longer fits the MTU is dropped and counted", () => {
    const before = readMaps((m) => m.drops()).get("mtu")!;
    fixture(NS_DP, TRAFFIC, "udp-send", { host: PEER_ADDR_NO_MTU, port: 5000, count: 1, size: 1500 - 40 - 8 });
    assert.equal(readMaps((m) => m.drops()).get("mtu")! - before, 1n);
  });

  test("re-opening (agent restart) reuses the pins, replaces the program and switches the path", async () => {
    const inodes = MAP_NAMES.map((n) => statSync(join(PIN_DIR, n)).ino);
    const packetsBefore = readMaps((m) => m.counters().get(1))!.packets;
    const out = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, rules: rules([SID2, SID1]) });
    assert.notEqual(out.programId, firstProgramId);
    assert.deepEqual(MAP_NAMES.map((n) => statSync(join(PIN_DIR, n)).ino), inodes);
    assert.equal(tcFilters().match(/handle 0xca /g)?.length, 1, "one filter, replaced in place");
    assert.equal(readMaps((m) => m.counters().get(1))!.packets, packetsBefore, "a path switch keeps the rule's counters");

    const frames = await capture("ip6[6] == 43", async () => {
      assert.equal(await udpExchange(PEER_ADDR, 3), 3);
    });
    const steered = frames.filter((f) => f.l4Proto === IPPROTO_UDP);
    assert.equal(steered.length, 3);
    for (const f of steered) {
      assert.deepEqual(f.srh!.segments, [PEER_ADDR, SID1, SID2]);
      assert.deepEqual(f.dst, parseAddress(SID2));
    }
  });

  test("removeDatapath detaches and unpins; traffic flows unsteered", async () => {
    fixture(NS_DP, ATTACH, "remove", { interface: "ct0", pinDir: PIN_DIR });
    assert.ok(!existsSync(PIN_DIR));
    assert.doesNotMatch(tcFilters(), /cairn_egress/);
    const frames = await capture("udp or ip6[6] == 43", async () => {
      assert.equal(await udpExchange(PEER_ADDR, 2), 2);
    });
    assert.equal(frames.filter((f) => f.srh).length, 0);
    // Tolerates a vanished interface and pins that are already gone.
    fixture(NS_DP, ATTACH, "remove", { interface: "ct9", pinDir: PIN_DIR });
  });
});
