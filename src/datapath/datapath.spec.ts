// Real attach on veth pairs (MTU 1500 everywhere) between three network namespaces:
//   cairn-t-dp   ct0 fd00:ca:1::1 10.9.1.1                  datapath attached at ct0 egress
//   cairn-t-rt   ct1 fd00:ca:1::2 10.9.1.2 | ct2 fd00:ca:2::1 10.9.2.1
//                router; fd00:ca:5::1, ::2 are seg6local End, fd00:ca:5::d4 is End.DX4 to 10.9.2.2
//   cairn-t-peer ct3 fd00:ca:2::2 10.9.2.2                  final destination
// (End cannot hand a packet to a local address, so the SIDs and the destination live apart.)
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAddress } from "../core/ipv6.js";
import { MAP_NAMES } from "./layout.js";
import { INGRESS_LINK_PIN, LINK_PIN } from "./datapath.js";
import { IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP, NEXTHDR_FRAGMENT, parseIpv6Frame, readPcap, type ParsedIpv6 } from "./packets.js";
import type { DatapathRule, DesiredDatapath } from "./types.js";

const NS_DP = "cairn-t-dp";
const NS_RT = "cairn-t-rt";
const NS_PEER = "cairn-t-peer";
const PIN_DIR = "/sys/fs/bpf/cairn-t-dp";
const FOREIGN_PIN = "/sys/fs/bpf/cairn-t-foreign";
const PCAP = "/tmp/cairn-t-capture.pcap";
const HERE = dirname(fileURLToPath(import.meta.url));
const OBJECT = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));
const ATTACH = join(HERE, "attach-fixture.js");
const TRAFFIC = join(HERE, "traffic-fixture.js");

const DP_ADDR = "fd00:ca:1::1";
const RT_ADDR = "fd00:ca:1::2";
const PEER_ADDR = "fd00:ca:2::2";
const PEER_ADDR4 = "10.9.2.2";
/** A second address of the peer, whose path MTU no earlier test taught the sender. */
const PEER_ADDR_B = "fd00:ca:2::3";
const PEER_ADDR_C = "fd00:ca:2::4";
const SID1 = "fd00:ca:5::1";
const SID2 = "fd00:ca:5::2";
const DX4 = "fd00:ca:5::d4";
const MTU = 1500;

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
  for (const tool of ["ip", "nsenter", "tcpdump", "tc", "python3"]) if (!hasTool(tool)) return `${tool} not installed`;
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
async function capture(filter: string, traffic: () => Promise<void>): Promise<{ frames: ParsedIpv6[]; lengths: number[] }> {
  rmSync(PCAP, { force: true });
  const dump = await startInNs(NS_RT, "tcpdump", ["-i", "ct1", "-n", "--immediate-mode", "-U", "-s", "256", "-w", PCAP, filter], /listening on/, "stderr");
  try {
    await traffic();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    dump.child.kill("SIGINT");
    await dump.exited;
  }
  const raw = readPcap(readFileSync(PCAP));
  // Frame lengths on the wire from the pcap records (we capture only 256 bytes of each).
  const file = readFileSync(PCAP);
  const lengths: number[] = [];
  for (let off = 24; off + 16 <= file.length; ) {
    lengths.push(file.readUInt32LE(off + 12));
    off += 16 + file.readUInt32LE(off + 8);
  }
  return { frames: raw.map(parseIpv6Frame).filter((p): p is ParsedIpv6 => p !== null), lengths };
}

interface UdpResult {
  received: number;
  sizes: number[];
  missing: number[];
}

async function udpExchange(host: string, count: number, opts: { size?: number; intervalMs?: number; timeoutMs?: number; during?: () => Promise<void> } = {}): Promise<UdpResult> {
  const recv = await startInNs(NS_PEER, process.execPath, [TRAFFIC, "udp-recv", JSON.stringify({ port: 5000, count, timeoutMs: opts.timeoutMs ?? 5000 })], /ready/, "stdout");
  const send = startInNs(NS_DP, process.execPath, [TRAFFIC, "udp-send", JSON.stringify({ host, port: 5000, count, size: opts.size ?? 100, intervalMs: opts.intervalMs ?? 5 })], /./, "stdout").catch(() => null);
  if (opts.during) await opts.during();
  await send;
  return lastJson(await recv.exited) as unknown as UdpResult;
}

async function tcpTransfer(host: string, port: number, bytes: number): Promise<number> {
  const recv = await startInNs(NS_PEER, process.execPath, [TRAFFIC, "tcp-recv", JSON.stringify({ port, timeoutMs: 20_000 })], /ready/, "stdout");
  fixture(NS_DP, TRAFFIC, "tcp-send", { host, port, bytes });
  return lastJson(await recv.exited).bytes as number;
}

function rule(identity: string, over: Partial<DatapathRule>): DatapathRule {
  return {
    identity,
    classId: 0,
    destinations: ["fd00:ca:2::/64"],
    uid: null,
    source: null,
    protocol: IPPROTO_UDP,
    portFrom: 5000,
    portTo: 5000,
    priority: 0,
    closed: false,
    primary: null,
    backup: null,
    useBackup: false,
    noLiveness: false,
    ...over,
  };
}

const desired = (udpPath: string[]): DesiredDatapath => ({
  rules: [
    rule("udp", { primary: { mode: "inline", sids: udpPath } }),
    rule("tcp", { protocol: IPPROTO_TCP, portFrom: 6000, portTo: 6000, primary: { mode: "inline", sids: [SID1, SID2] } }),
    rule("udp4", { destinations: ["10.9.2.0/24"], protocol: 0, portFrom: 0, portTo: 65535, primary: { mode: "encap", sids: [SID1, DX4] } }),
  ],
  cgroups: [],
  encapSource: DP_ADDR,
});

function events(): { events: Record<string, string>; counters: Record<string, { packets: string }> } {
  return fixture(NS_DP, ATTACH, "events", { interface: "ct0", pinDir: PIN_DIR }) as never;
}

const hook = () => fixture(NS_DP, ATTACH, "hook", { interface: "ct0" }).programs as string[];

/** Packets ct0 dropped on transmit (a veth drops what exceeds its peer's MTU there). */
const txDropped = () => (JSON.parse(inNs(NS_DP, "ip", ["-s", "-j", "link", "show", "ct0"])) as { stats64: { tx: { dropped: number } } }[])[0]!.stats64.tx.dropped;

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
  sh("ip", ["link", "add", "ct0", "netns", NS_DP, "mtu", String(MTU), "type", "veth", "peer", "name", "ct1", "netns", NS_RT, "mtu", String(MTU)]);
  sh("ip", ["link", "add", "ct2", "netns", NS_RT, "mtu", String(MTU), "type", "veth", "peer", "name", "ct3", "netns", NS_PEER, "mtu", String(MTU)]);
  const addrs: [string, string, string][] = [
    [NS_DP, "ct0", `${DP_ADDR}/64`],
    [NS_RT, "ct1", `${RT_ADDR}/64`],
    [NS_RT, "ct2", "fd00:ca:2::1/64"],
    [NS_PEER, "ct3", `${PEER_ADDR}/64`],
    [NS_PEER, "ct3", `${PEER_ADDR_B}/64`],
    [NS_PEER, "ct3", `${PEER_ADDR_C}/64`],
  ];
  for (const [ns, dev, a] of addrs) {
    inNs(ns, "ip", ["link", "set", dev, "up"]);
    inNs(ns, "ip", ["-6", "addr", "add", a, "dev", dev, "nodad"]);
  }
  for (const [ns, dev, a] of [[NS_DP, "ct0", "10.9.1.1/24"], [NS_RT, "ct1", "10.9.1.2/24"], [NS_RT, "ct2", "10.9.2.1/24"], [NS_PEER, "ct3", `${PEER_ADDR4}/24`]] as const) {
    inNs(ns, "ip", ["-4", "addr", "add", a, "dev", dev]);
  }
  inNs(NS_RT, "sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1"]);
  for (const sid of [SID1, SID2]) {
    inNs(NS_RT, "ip", ["-6", "route", "add", `${sid}/128`, "encap", "seg6local", "action", "End", "dev", "ct1"]);
  }
  inNs(NS_RT, "ip", ["-6", "route", "add", `${DX4}/128`, "encap", "seg6local", "action", "End.DX4", "nh4", PEER_ADDR4, "dev", "ct2"]);
  inNs(NS_PEER, "ip", ["-6", "route", "add", "default", "via", "fd00:ca:2::1"]);
  inNs(NS_PEER, "ip", ["-4", "route", "add", "default", "via", "10.9.2.1"]);
  inNs(NS_DP, "ip", ["-6", "route", "add", "fd00:ca::/32", "via", RT_ADDR]);
  inNs(NS_DP, "ip", ["-4", "route", "add", "default", "via", "10.9.1.2"]);
}

const reason = skipReason();

describe("datapath attached to a veth in a network namespace (MTU 1500)", { skip: reason }, () => {
  let firstProgramId = 0;

  before(() => {
    cleanup();
    setup();
  });
  after(cleanup);

  test("openDatapath pins the maps and attaches a pinned tcx link, after a program already on the hook", () => {
    fixture(NS_DP, ATTACH, "foreign-tcx", { interface: "ct0", pin: FOREIGN_PIN });
    const out = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, desired: desired([SID1]) });
    firstProgramId = out.programId as number;
    assert.equal(out.attachMode, "tcx");
    assert.deepEqual(readdirSync(PIN_DIR).sort(), [...MAP_NAMES, LINK_PIN, INGRESS_LINK_PIN].sort());
    assert.deepEqual(hook(), ["foreign_egress", "cairn_egress"], "the other program stays attached, Cairn's runs after it");
    rmSync(FOREIGN_PIN); // unpinning releases the foreign link
  });

  test("the destination drops SRH packets (even with segments left 0) until enableSrhDelivery", async () => {
    assert.equal((await udpExchange(PEER_ADDR, 2, { timeoutMs: 1500 })).received, 0);
    fixture(NS_PEER, ATTACH, "enable-srh", { interface: "ct3" });
    assert.equal((await udpExchange(PEER_ADDR, 1)).received, 1);
  });

  test("UDP leaves with the SRH, crosses the End SID and is delivered", async () => {
    let r: UdpResult | null = null;
    const { frames } = await capture("udp or ip6[6] == 43", async () => {
      r = await udpExchange(PEER_ADDR, 5);
    });
    assert.equal(r!.received, 5);
    const steered = frames.filter((f) => f.srh && f.l4Proto === IPPROTO_UDP);
    assert.equal(steered.length, 5, "every datagram carries an SRH on the wire");
    for (const f of steered) {
      assert.deepEqual(f.dst, parseAddress(SID1));
      assert.deepEqual(f.srh!.segments, [PEER_ADDR, SID1]);
    }
  });

  test("UDP at the largest size the path allows arrives whole; larger datagrams are answered with Packet Too Big, then fragmented at the source and every fragment is steered", async () => {
    const srh = 8 + 16 * 2;
    const largest = MTU - 40 - srh - 8;
    const fits = await udpExchange(PEER_ADDR, 3, { size: largest });
    assert.deepEqual(fits.sizes, [largest]);
    assert.equal(fits.received, 3);

    const before = BigInt(events().events.too_big_icmp_sent!);
    let big: UdpResult | null = null;
    const { frames, lengths } = await capture("ip6[6] == 43", async () => {
      big = await udpExchange(PEER_ADDR, 4, { size: largest + 100, intervalMs: 50 });
    });
    assert.ok(BigInt(events().events.too_big_icmp_sent!) - before >= 1n, "the first too-big datagram got an ICMPv6 Packet Too Big");
    assert.ok(big!.received >= 3, `received ${big!.received} of 4 (only the first may be lost to the path MTU discovery)`);
    assert.deepEqual(big!.sizes, [largest + 100]);
    const fragments = frames.filter((f) => f.chain.includes(NEXTHDR_FRAGMENT));
    assert.ok(fragments.length >= 6, `expected the later datagrams in fragments, saw ${fragments.length}`);
    for (const f of fragments) assert.deepEqual(f.chain.slice(0, 2), [43, NEXTHDR_FRAGMENT], "SRH first, then the fragment header");
    assert.ok(Math.max(...lengths) <= 14 + MTU, `a frame of ${Math.max(...lengths)} bytes left the host`);
  });

  test("TCP (GSO and full-size single segments) is steered over two SIDs end to end at MTU 1500", async () => {
    const total = 4 << 20;
    let got = 0;
    const dropped = txDropped();
    const { frames } = await capture("ip6[6] == 43 and not udp", async () => {
      got = await tcpTransfer(PEER_ADDR_B, 6000, total);
    });
    assert.equal(got, total);
    const tcp = frames.filter((f) => f.l4Proto === IPPROTO_TCP);
    assert.ok(tcp.length > 0);
    for (const f of tcp) assert.deepEqual(f.srh!.segments, [PEER_ADDR_B, SID2, SID1]);
    // The capture sees GSO skbs before segmentation (and GRO on the receiving side), so sizes are checked by the veth itself:
    assert.equal(txDropped(), dropped, "no segment exceeded the MTU");
  });

  test("UDP GSO (UDP_SEGMENT) keeps its datagram size and is steered; a segment size that no longer fits is refused with Packet Too Big", async () => {
    const segment = (size: number, total: number, to = PEER_ADDR_B) =>
      inNs(NS_DP, "python3", ["-c", [
        "import socket",
        "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
        `s.setsockopt(17, 103, ${size})  # SOL_UDP, UDP_SEGMENT`,
        `s.sendto(b"x" * ${total}, ("${to}", 5000))`,
      ].join("\n")]);
    const recv = await startInNs(NS_PEER, process.execPath, [TRAFFIC, "udp-recv", JSON.stringify({ port: 5000, count: 4, timeoutMs: 5000 })], /ready/, "stdout");
    segment(1000, 4000);
    const got = lastJson(await recv.exited) as unknown as UdpResult;
    assert.equal(got.received, 4);
    assert.deepEqual(got.sizes, [1000]);
    const before = BigInt(events().events.too_big_icmp_sent!);
    const recv2 = await startInNs(NS_PEER, process.execPath, [TRAFFIC, "udp-recv", JSON.stringify({ port: 5000, count: 2, timeoutMs: 1500 })], /ready/, "stdout");
    segment(MTU - 40 - 8, 2 * (MTU - 40 - 8), PEER_ADDR_C);
    assert.equal((lastJson(await recv2.exited) as unknown as UdpResult).received, 0, "segments that would exceed the MTU with the SRH are not sent");
    assert.ok(BigInt(events().events.too_big_icmp_sent!) > before);
  });

  test("IPv4 is encapsulated (outer IPv6 + SRH), decapsulated by End.DX4 and delivered: UDP and TCP", async () => {
    let r: UdpResult | null = null;
    const { frames } = await capture("ip6[6] == 43", async () => {
      r = await udpExchange(PEER_ADDR4, 5);
    });
    assert.equal(r!.received, 5);
    const v4 = frames.filter((f) => f.inner4);
    assert.equal(v4.length, 5);
    for (const f of v4) {
      assert.equal(f.srh!.nextHeader, IPPROTO_IPIP);
      assert.deepEqual(f.srh!.segments, [DX4, SID1]);
      assert.deepEqual(f.src, parseAddress(DP_ADDR));
      assert.equal(f.inner4!.dst, PEER_ADDR4);
    }
    const dropped = txDropped();
    const tcp = await capture("ip6[6] == 43", async () => {
      assert.equal(await tcpTransfer(PEER_ADDR4, 6001, 2 << 20), 2 << 20);
    });
    assert.ok(tcp.frames.some((f) => f.inner4?.proto === IPPROTO_TCP), "IPv4 TCP crossed encapsulated");
    assert.equal(txDropped(), dropped, "no segment exceeded the MTU inside its encapsulation");
  });

  test("re-opening (agent restart) reuses the pins and the link, swaps the program, writes nothing for the same state", () => {
    const inodes = MAP_NAMES.map((n) => statSync(join(PIN_DIR, n)).ino);
    const packetsBefore = events().counters;
    const out = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, desired: desired([SID1]) });
    assert.notEqual(out.programId, firstProgramId);
    assert.equal(out.writes, 0);
    assert.deepEqual(MAP_NAMES.map((n) => statSync(join(PIN_DIR, n)).ino), inodes);
    assert.deepEqual(hook(), ["cairn_egress"], "one program on the hook");
    assert.deepEqual(events().counters, packetsBefore, "counters carry on");
  });

  test("restarts and a path switch under a 1000 pps stream: no packet lost, every packet on a complete path", async () => {
    let r: UdpResult | null = null;
    const { frames } = await capture("ip6[6] == 43", async () => {
      r = await udpExchange(PEER_ADDR, 2000, {
        intervalMs: 1,
        timeoutMs: 15_000,
        during: async () => {
          await new Promise((res) => setTimeout(res, 300));
          fixture(NS_DP, ATTACH, "reopen", { interface: "ct0", pinDir: PIN_DIR, times: 3, desired: desired([SID1]) });
          fixture(NS_DP, ATTACH, "reopen", { interface: "ct0", pinDir: PIN_DIR, times: 1, desired: desired([SID2, SID1]) });
          fixture(NS_DP, ATTACH, "reopen", { interface: "ct0", pinDir: PIN_DIR, times: 2, desired: desired([SID1]) });
        },
      });
    });
    assert.deepEqual(r!.missing, [], "every datagram arrived");
    const udp = frames.filter((f) => f.l4Proto === IPPROTO_UDP);
    assert.equal(udp.length, 2000, "every datagram left with an SRH");
    const paths = new Set(udp.map((f) => f.srh!.segments.join(",")));
    assert.deepEqual([...paths].sort(), [`${PEER_ADDR},${SID1}`, `${PEER_ADDR},${SID1},${SID2}`].sort(), "only the old or the new path, never a mix");
  });

  test("where there is no tcx (attach: tc) Cairn uses a clsact filter, and never replaces another program's filter", () => {
    fixture(NS_DP, ATTACH, "remove", { interface: "ct0", pinDir: PIN_DIR });
    const tc = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, attach: "tc", desired: desired([SID1]) });
    assert.equal(tc.attachMode, "tc");
    assert.match(inNs(NS_DP, "tc", ["filter", "show", "dev", "ct0", "egress"]), /cairn_egress.*direct-action/);
    fixture(NS_DP, ATTACH, "remove", { interface: "ct0", pinDir: PIN_DIR });
    fixture(NS_DP, ATTACH, "foreign-tc", { interface: "ct0" });
    assert.throws(
      () => fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, attach: "tc", desired: desired([SID1]) }),
      /belongs to another program \(foreign_egress\); refusing to replace it/,
    );
    assert.match(inNs(NS_DP, "tc", ["filter", "show", "dev", "ct0", "egress"]), /foreign_egress/);
    inNs(NS_DP, "tc", ["qdisc", "del", "dev", "ct0", "clsact"]);
  });

  test("pinned maps keep their size: asking for another is a clear error, before anything changes", () => {
    fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, limits: { maxRules: 64 }, desired: desired([SID1]) });
    assert.throws(
      () => fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, limits: { maxRules: 128 } }),
      /holds 64 entries but --max-rules 128 was asked: pinned maps keep their size/,
    );
    const again = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, desired: desired([SID1]) });
    assert.equal(again.writes, 0, "without the option the pinned size is used");
  });

  test("probes run their path out and back; when the primary's probes stop coming back the kernel sends on the backup within tens of ms", async (t) => {
    const PORT = 864;
    const SECRET = 0x7e57ab1e;
    const primary = { mode: "inline" as const, sids: [SID1], probe: [SID1] };
    const backup = { mode: "inline" as const, sids: [SID2], probe: [SID2] };
    const live: DesiredDatapath = {
      rules: [rule("live", { destinations: [`${PEER_ADDR_B}/128`], primary, backup })],
      cgroups: [],
      encapSource: DP_ADDR,
      probe: { port: PORT, secret: SECRET },
    };
    const out = fixture(NS_DP, ATTACH, "apply", { interface: "ct0", pinDir: PIN_DIR, desired: live }) as { pathRefs: Record<string, number> };
    fixture(NS_DP, ATTACH, "enable-srh", { interface: "ct0" }); // probes come back with an SRH (segments left 0), as the agent allows
    const refs = out.pathRefs;
    const paths = [
      { key: "primary", ref: refs[`inline|${SID1}|${SID1}`]!, firstSid: SID1 },
      { key: "backup", ref: refs[`inline|${SID2}|${SID2}`]!, firstSid: SID2 },
    ];
    const probing = await startInNs(NS_DP, process.execPath, [ATTACH, "probe", JSON.stringify({ pinDir: PIN_DIR, port: PORT, secret: SECRET, paths, durationMs: 3000 })], /probing/, "stdout");
    let r: UdpResult | null = null;
    const { frames } = await capture("ip6[6] == 43", async () => {
      r = await udpExchange(PEER_ADDR_B, 2000, {
        intervalMs: 1,
        timeoutMs: 10_000,
        during: async () => {
          await new Promise((res) => setTimeout(res, 800));
          inNs(NS_RT, "ip", ["-6", "route", "del", `${SID1}/128`]); // the primary dies (for probes and data alike)
        },
      });
    });
    inNs(NS_RT, "ip", ["-6", "route", "add", `${SID1}/128`, "encap", "seg6local", "action", "End", "dev", "ct1"]);
    const report = lastJson(await probing.exited) as { health: { key: string; state: string; received: number }[]; changes: { key: string; state: string }[] };
    assert.ok(report.health.find((h) => h.key === "backup")!.received > 100, "probes came back over the backup");
    assert.deepEqual(report.changes.filter((c) => c.key === "primary").map((c) => c.state), ["up", "down"], "the prober saw the primary answer, then go down");
    const lost = r!.missing.length;
    t.diagnostic(`failover: ${lost} of 2000 datagrams (1 per ms) lost`);
    // The outage itself is measured by the failover benchmark; here: lost at all, and far fewer than the
    // ~1200 a stream would lose without failover (the prober shares two loaded cores with the traffic).
    assert.ok(lost > 0 && lost < 250, `${lost} of 2000 datagrams lost around the failover (1 per ms: about the detection time)`);
    const onBackup = frames.filter((f) => f.l4Proto === IPPROTO_UDP && f.srh?.segments.at(-1) === SID2 && f.srh.segments[0] === PEER_ADDR_B).length;
    assert.ok(onBackup > 1000, `${onBackup} datagrams went on the backup`);
    const loops = frames.filter((f) => f.l4Proto === IPPROTO_UDP && f.srh?.segments[0] === DP_ADDR);
    assert.ok(loops.length > 100, "probes left with a loopback SRH ending at the datapath's host");
  });

  test("removeDatapath detaches and unpins; traffic flows unsteered", async () => {
    fixture(NS_DP, ATTACH, "remove", { interface: "ct0", pinDir: PIN_DIR });
    assert.ok(!existsSync(PIN_DIR));
    assert.deepEqual(hook(), []);
    let r: UdpResult | null = null;
    const { frames } = await capture("udp or ip6[6] == 43", async () => {
      r = await udpExchange(PEER_ADDR, 2);
    });
    assert.equal(r!.received, 2);
    assert.equal(frames.filter((f) => f.srh).length, 0);
    // Tolerates a vanished interface and pins that are already gone.
    fixture(NS_DP, ATTACH, "remove", { interface: "ct9", pinDir: PIN_DIR });
  });
});
