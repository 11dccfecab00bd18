// Runs egress.bpf.o on crafted frames with BPF_PROG_TEST_RUN, asserting the bytes that come
// out, the verdict and the counters. Frames "leave" through a veth pair made for the test
// (MTU 1500), so the program sees a real device MTU.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { parseAddress } from "../core/ipv6.js";
import { findCgroup2Mount } from "../host/cgroup2.js";
import type * as Libbpf from "./libbpf.js";
import {
  CAIRN_MAX_SIDS,
  CAIRN_PTB6_QUOTE,
  CAIRN_RULE_CLOSED,
  CAIRN_RULE_NO_LIVENESS,
  MAPS,
  MAP_NAMES,
  decodeLive,
  encodeLive,
  encodeProbeHeader,
  encodeRuleState,
  encodeU32,
} from "./layout.js";
import { pathKey } from "./plan.js";
import type { DatapathMaps, MapFds } from "./maps.js";
import {
  DST_MAC,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NEXTHDR_DEST,
  NEXTHDR_FRAGMENT,
  NEXTHDR_HOP,
  NEXTHDR_ROUTING,
  SRC_MAC,
  arpFrame,
  authHeader,
  fragmentHeader,
  icmp6,
  ipv6Frame,
  l4ChecksumValid,
  onesComplementSum,
  optionsHeader,
  parseIpv4Frame,
  parseIpv6Frame,
  tcp4,
  tcp6,
  udp4,
  udp6,
  type ParsedIpv6,
} from "./packets.js";
import type { DatapathRule, DesiredDatapath, PathSpec } from "./types.js";

const TC_ACT_UNSPEC = 0xffffffff; // -1: let the packet through (TCX_NEXT)
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const OBJECT = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));
const PROGRAM_NAME = "cairn_egress";
const VETH = "cairn-t-mtu0";
const VETH_PEER = "cairn-t-mtu1";
const MTU = 1500;
const LIMITS = { maxRules: 64, maxPaths: 64, maxPrefixes: 64, maxCgroups: 16, maxFragments: 64 };

/** Loads libbpf lazily so that a machine without it skips instead of failing to import. */
async function skipReason(): Promise<string | false> {
  if (process.getuid?.() !== 0) return "needs root for BPF";
  if (!existsSync(OBJECT)) return `${OBJECT} missing: run make -C src/datapath`;
  try {
    const probe = await import("./libbpf.js");
    const obj = probe.openObjectFile(OBJECT);
    try {
      probe.loadObject(obj);
    } finally {
      probe.closeObject(obj);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Anything but "not permitted / not supported" is a real failure the tests should show.
    if (code === "EPERM" || code === "ENOSYS" || code === undefined) return `BPF unavailable: ${(err as Error).message}`;
  }
  return false;
}

const SRC = "2001:db8:aa::1";
const DST = "2001:db8:1::53";
const SRC4 = "10.0.1.10";
const DST4 = "10.0.2.10";
const HOST6 = "2001:db8:aa::10";
const payload = new TextEncoder().encode("cairn test payload");
const inline = (...sids: string[]): PathSpec => ({ mode: "inline", sids });
const encap = (...sids: string[]): PathSpec => ({ mode: "encap", sids });

function rule(over: Partial<DatapathRule> & Pick<DatapathRule, "identity">): DatapathRule {
  return {
    classId: 0,
    destinations: ["2001:db8:1::/48"],
    uid: null,
    source: null,
    protocol: IPPROTO_UDP,
    portFrom: 53,
    portTo: 53,
    priority: 0,
    closed: false,
    primary: inline("fc00:1::1", "fc00:2::1"),
    backup: null,
    useBackup: false,
    noLiveness: false,
    ...over,
  };
}

const desired = (rules: DatapathRule[], extra: Partial<DesiredDatapath> = {}): DesiredDatapath => ({ rules, cgroups: [], encapSource: HOST6, ...extra });

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: "ignore" });
}

function removeVeth(): void {
  try {
    sh("ip", ["link", "del", VETH]);
  } catch {
    /* absent */
  }
}

const reason = await skipReason();

describe("egress.bpf.o under BPF_PROG_TEST_RUN", { skip: reason }, () => {
  let bpf: typeof Libbpf;
  let obj: Libbpf.BpfObject;
  let progFd: number;
  let maps: DatapathMaps;
  let ctx: Uint8Array;
  let clock = 0;

  before(async () => {
    bpf = await import("./libbpf.js");
    const { DatapathMaps } = await import("./maps.js");
    obj = bpf.openObjectFile(OBJECT);
    for (const n of MAP_NAMES) {
      const size = n === "cairn_config" || n === "cairn_events" ? MAPS[n].maxEntries : n === "cairn_cgroups" ? LIMITS.maxCgroups : n === "cairn_frags" ? LIMITS.maxFragments : 64;
      bpf.mapSetMaxEntries(bpf.findMap(obj, n), size);
    }
    bpf.loadObject(obj);
    const fds = Object.fromEntries(MAP_NAMES.map((n) => [n, bpf.mapFd(bpf.findMap(obj, n))])) as MapFds;
    maps = DatapathMaps.fromFds(fds, LIMITS, 10);
    progFd = bpf.programFd(bpf.findProgram(obj, PROGRAM_NAME));
    removeVeth();
    sh("ip", ["link", "add", VETH, "mtu", String(MTU), "type", "veth", "peer", "name", VETH_PEER]);
    ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(40, ifindex(VETH), true); // __sk_buff.ifindex: the device whose MTU counts
  });

  after(() => {
    maps?.close();
    if (obj) bpf.closeObject(obj);
    removeVeth();
  });

  function ifindex(name: string): number {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8"));
  }

  function apply(rules: DatapathRule[], extra: Partial<DesiredDatapath> = {}) {
    clock += 1000;
    const r = maps.apply(desired(rules, extra), clock);
    maps.collect(clock);
    return r;
  }

  function runRaw(frame: Uint8Array): { retval: number; out: Uint8Array } {
    const r = bpf.progTestRun(progFd, { data: frame, ctx });
    return { retval: r.retval, out: r.data };
  }

  function run(frame: Uint8Array): { out: Uint8Array; parsed: ParsedIpv6 | null } {
    const r = runRaw(frame);
    assert.equal(r.retval, TC_ACT_UNSPEC, "the packet goes on (TC_ACT_UNSPEC)");
    return { out: r.out, parsed: parseIpv6Frame(r.out) };
  }

  function assertUnchanged(frame: Uint8Array): void {
    assert.deepEqual(run(frame).out, frame);
  }

  const events = (name: string) => maps.events().get(name)!;
  const counters = (identity: string, ids: Map<string, number>) => maps.counters().get(ids.get(identity)!)!;

  test("matching UDP gets an SRH: fields, segment order, daddr, payload length, checksum", () => {
    apply([rule({ identity: "u" })]);
    const frame = udp6(SRC, DST, 40000, 53, payload);
    const { out, parsed } = run(frame);
    assert.ok(parsed?.srh, "no SRH in output");
    const n = 3; // two SIDs + final destination
    assert.equal(out.length, frame.length + 8 + 16 * n);
    assert.equal(parsed.nextHeader, NEXTHDR_ROUTING);
    assert.equal(parsed.payloadLength, 8 + payload.length + 8 + 16 * n);
    assert.deepEqual(parsed.dst, parseAddress("fc00:1::1"), "daddr must be the first SID");
    assert.deepEqual(parsed.srh, {
      nextHeader: IPPROTO_UDP,
      hdrExtLen: 2 * n,
      routingType: 4,
      segmentsLeft: n - 1,
      lastEntry: n - 1,
      flags: 0,
      tag: 0,
      segments: ["2001:db8:1::53", "fc00:2::1", "fc00:1::1"],
    });
    assert.deepEqual(parsed.l4, frame.slice(14 + 40), "UDP header and payload untouched");
    assert.ok(l4ChecksumValid(parsed.src, parseAddress(DST)!, IPPROTO_UDP, parsed.l4), "checksum vs final destination");
  });

  test("counters count matched packets and their pre-insertion length", () => {
    const { ruleIds } = apply([rule({ identity: "u" }), rule({ identity: "v", portFrom: 80, portTo: 80 })]);
    const before = counters("u", ruleIds);
    const frame = udp6(SRC, DST, 40000, 53, payload);
    run(frame);
    run(frame);
    const c = counters("u", ruleIds);
    assert.equal(c.packets - before.packets, 2n);
    assert.equal(c.bytes - before.bytes, BigInt(2 * frame.length));
    assert.deepEqual(counters("v", ruleIds), { packets: 0n, bytes: 0n, openPackets: 0n, closedPackets: 0n, backupPackets: 0n });
  });

  test("TCP gets an SRH and its checksum stays valid against the final destination", () => {
    apply([rule({ identity: "t", protocol: IPPROTO_TCP, portFrom: 443, portTo: 443, primary: inline("fc00:9::1") })]);
    const { parsed } = run(tcp6(SRC, DST, 50000, 443, payload));
    assert.ok(parsed?.srh);
    assert.deepEqual(parsed.srh.segments, [DST, "fc00:9::1"]);
    assert.equal(parsed.srh.segmentsLeft, 1);
    assert.ok(l4ChecksumValid(parsed.src, parseAddress(DST)!, IPPROTO_TCP, parsed.l4));
  });

  test("a rule whose path is the IGP's counts its packets and leaves them unchanged", () => {
    // A broader rule below it must not catch the app's traffic.
    const { ruleIds } = apply([
      rule({ identity: "igp", primary: inline() }),
      rule({ identity: "wide", destinations: ["2001:db8::/32"], portFrom: 0, portTo: 65535, priority: 1 }),
    ]);
    const frame = udp6(SRC, DST, 40000, 53, payload);
    assertUnchanged(frame);
    assert.equal(counters("igp", ruleIds).packets, 1n);
    assert.equal(counters("wide", ruleIds).packets, 0n);
  });

  test("non-matching prefix, protocol, port, IPv4 and non-IP frames pass unchanged", () => {
    const { ruleIds } = apply([rule({ identity: "u" })]);
    assertUnchanged(udp6(SRC, "2001:db8:2::53", 40000, 53, payload));
    assertUnchanged(tcp6(SRC, DST, 40000, 53, payload));
    assertUnchanged(udp6(SRC, DST, 40000, 54, payload));
    assertUnchanged(udp4(SRC4, DST4, 1, 53, payload));
    assertUnchanged(arpFrame());
    assert.equal(counters("u", ruleIds).packets, 0n);
  });

  test("on-link destinations, neighbour discovery and packets already carrying a routing header pass unchanged", () => {
    apply([rule({ identity: "all", destinations: ["::/0"], protocol: 0, portFrom: 0, portTo: 65535 })]);
    const routing = { type: NEXTHDR_ROUTING, body: Uint8Array.of(2, 4, 0, 0, 0, 0, 0, ...parseAddress(DST)!) };
    assertUnchanged(udp6(SRC, DST, 1, 53, payload, [routing]));
    assertUnchanged(udp6("fe80::1", "fe80::2", 1, 53, payload));
    assertUnchanged(udp6(SRC, "ff02::fb", 5353, 5353, payload));
    assertUnchanged(icmp6(SRC, DST, 135, new Uint8Array(20))); // neighbour solicitation
    assert.ok(run(icmp6(SRC, DST, 128, new Uint8Array(8))).parsed?.srh, "echo request is steered");
  });

  test("hop-by-hop options stay first; the SRH follows them (RFC 8200 4.1)", () => {
    apply([rule({ identity: "u" })]);
    for (const size of [8, 16, 64]) {
      const frame = udp6(SRC, DST, 40000, 53, payload, [optionsHeader(NEXTHDR_HOP, size)]);
      const { out, parsed } = run(frame);
      assert.ok(parsed?.srh, `SRH after a ${size}-byte hop-by-hop header`);
      assert.deepEqual(parsed.chain, [NEXTHDR_HOP, NEXTHDR_ROUTING]);
      assert.equal(parsed.nextHeader, NEXTHDR_HOP);
      assert.equal(parsed.srh.nextHeader, IPPROTO_UDP);
      assert.deepEqual(out.subarray(14 + 40 + 1, 14 + 40 + size), frame.subarray(14 + 40 + 1, 14 + 40 + size), "options bytes kept");
      assert.equal(parsed.payloadLength, out.length - 14 - 40);
      assert.ok(l4ChecksumValid(parsed.src, parseAddress(DST)!, IPPROTO_UDP, parsed.l4));
    }
    const before = events("unsupported_headers");
    assertUnchanged(udp6(SRC, DST, 40000, 53, payload, [optionsHeader(NEXTHDR_HOP, 72)]));
    assert.equal(events("unsupported_headers") - before, 1n, "a hop-by-hop header longer than 64 bytes is counted and left alone");
  });

  test("destination options and fragment headers come after the SRH; the ports behind them still match", () => {
    apply([rule({ identity: "u" })]);
    const withDest = run(udp6(SRC, DST, 40000, 53, payload, [optionsHeader(NEXTHDR_DEST)])).parsed;
    assert.deepEqual(withDest?.chain, [NEXTHDR_ROUTING, NEXTHDR_DEST]);
    assert.equal(withDest?.srh?.nextHeader, NEXTHDR_DEST);
    const both = run(udp6(SRC, DST, 40000, 53, payload, [optionsHeader(NEXTHDR_HOP), optionsHeader(NEXTHDR_DEST), fragmentHeader(0, true, 77)])).parsed;
    assert.deepEqual(both?.chain, [NEXTHDR_HOP, NEXTHDR_ROUTING, NEXTHDR_DEST, NEXTHDR_FRAGMENT]);
  });

  test("later fragments follow their first fragment's rule; an orphan fragment passes and is counted", () => {
    const { ruleIds } = apply([rule({ identity: "frag" })]);
    const first = udp6(SRC, DST, 40000, 53, payload, [fragmentHeader(0, true, 0xbeef)]);
    const firstOut = run(first).parsed;
    assert.deepEqual(firstOut?.chain, [NEXTHDR_ROUTING, NEXTHDR_FRAGMENT]);
    const later = ipv6Frame(SRC, DST, IPPROTO_UDP, payload, [fragmentHeader(3, false, 0xbeef)]);
    const laterOut = run(later).parsed;
    assert.deepEqual(laterOut?.srh?.segments, firstOut?.srh?.segments, "the later fragment (no ports) takes the same path");
    assert.equal(counters("frag", ruleIds).packets, 2n);
    const orphans = events("orphan_fragment");
    assertUnchanged(ipv6Frame(SRC, DST, IPPROTO_UDP, payload, [fragmentHeader(3, false, 0xdead)]));
    assert.equal(events("orphan_fragment") - orphans, 1n);
  });

  test("an authentication header (it covers the addresses an SRH changes) is left alone and counted", () => {
    apply([rule({ identity: "u", protocol: 0, portFrom: 0, portTo: 65535 })]);
    const before = events("unsupported_headers");
    assertUnchanged(udp6(SRC, DST, 1, 53, payload, [authHeader()]));
    assert.equal(events("unsupported_headers") - before, 1n);
  });

  test("the most specific prefix wins, then intent order; a covering prefix applies when ports do not match", () => {
    apply([
      rule({ identity: "wide", destinations: ["2001:db8::/32"], protocol: 0, portFrom: 0, portTo: 65535, priority: 0, primary: inline("fc00:20::1") }),
      rule({ identity: "second", portFrom: 53, portTo: 53, priority: 2, primary: inline("fc00:10::1") }),
      rule({ identity: "first", portFrom: 50, portTo: 60, priority: 1, primary: inline("fc00:5::1") }),
    ]);
    const first = (f: Uint8Array) => run(f).parsed?.srh?.segments.at(-1);
    assert.equal(first(udp6(SRC, DST, 1, 53, payload)), "fc00:5::1", "earlier intent first among equally specific rules");
    assert.equal(first(udp6(SRC, DST, 1, 59, payload)), "fc00:5::1");
    assert.equal(first(udp6(SRC, DST, 1, 61, payload)), "fc00:20::1", "falls back to the /32");
    assert.equal(first(udp6(SRC, "2001:db8:2::1", 1, 53, payload)), "fc00:20::1");
  });

  test("user and source filters", () => {
    apply([
      rule({ identity: "other-user", uid: 1234, priority: 0, primary: inline("fc00:1234::1") }),
      rule({ identity: "root", uid: 0, source: "2001:db8:aa::/48", priority: 1, primary: inline("fc00::1") }),
      rule({ identity: "any", priority: 2, primary: inline("fc00:a::1") }),
    ]);
    const first = (src: string) => run(udp6(src, DST, 1, 53, payload)).parsed?.srh?.segments.at(-1);
    assert.equal(first(SRC), "fc00::1", "a test run's socket belongs to uid 0 (root) and its source is in the /48");
    assert.equal(first("2001:db8:bb::1"), "fc00:a::1", "another source falls through to the rule without filters");
    apply([rule({ identity: "odd", source: "2001:db8:aa:8000::/49", primary: inline("fc00:b::1") })]);
    assert.equal(first("2001:db8:aa:8000::1"), "fc00:b::1", "a prefix that ends mid-byte");
    assertUnchanged(udp6("2001:db8:aa:7fff::1", DST, 1, 53, payload));
  });

  test("cgroup classes: a rule for an ancestor cgroup covers its descendants, the deepest class wins, others fall back to any process", (t) => {
    const mount = findCgroup2Mount();
    const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"))?.slice(3);
    if (!mount || own === undefined) return t.skip("no cgroup v2 mount");
    const base = join(mount, "cairn-t-egress");
    const mid = join(base, "svc");
    const leaf = join(mid, "worker");
    const ino = (dir: string) => statSync(dir, { bigint: true }).ino;
    const level = (dir: string) => dir.slice(mount.length).split("/").filter(Boolean).length;
    mkdirSync(leaf, { recursive: true });
    try {
      writeFileSync(join(leaf, "cgroup.procs"), String(process.pid));
      try {
        const classes = [
          { id: ino(mid), level: level(mid), classId: 7 },
          { id: ino(leaf), level: level(leaf), classId: 9 },
        ];
        const frame = udp6(SRC, DST, 1, 53, payload);
        const first = () => run(frame).parsed?.srh?.segments.at(-1);
        apply([rule({ identity: "any", primary: inline("fc00:a11::1") }), rule({ identity: "svc", classId: 7, primary: inline("fc00:5c::1") })], { cgroups: classes });
        assert.equal(first(), "fc00:5c::1", "the parent cgroup's rule covers a process in a child cgroup");
        apply(
          [rule({ identity: "any", primary: inline("fc00:a11::1") }), rule({ identity: "svc", classId: 7, primary: inline("fc00:5c::1") }), rule({ identity: "w", classId: 9, primary: inline("fc00:9::1") })],
          { cgroups: classes },
        );
        assert.equal(first(), "fc00:9::1", "the deepest cgroup's rule first");
        apply([rule({ identity: "any", primary: inline("fc00:a11::1") }), rule({ identity: "w", classId: 9, portFrom: 80, portTo: 80, primary: inline("fc00:9::1") })], { cgroups: classes });
        assert.equal(first(), "fc00:a11::1", "a class entry whose ports do not match falls back to any process");
        apply([rule({ identity: "w", classId: 9, primary: inline("fc00:9::1") })], { cgroups: [{ id: ino(leaf) + 1000n, level: level(leaf), classId: 9 }] });
        assertUnchanged(frame);
      } finally {
        writeFileSync(join(mount, own, "cgroup.procs"), String(process.pid));
      }
    } finally {
      for (const d of [leaf, mid, base]) if (existsSync(d)) rmdirSync(d);
    }
  });

  test("no usable path: onFailure open sends the packet unsteered, closed drops it; both counted", () => {
    const { ruleIds } = apply([
      rule({ identity: "open", primary: null, closed: false }),
      rule({ identity: "closed", primary: null, closed: true, portFrom: 54, portTo: 54 }),
    ]);
    assertUnchanged(udp6(SRC, DST, 1, 53, payload));
    assert.equal(runRaw(udp6(SRC, DST, 1, 54, payload)).retval, TC_ACT_SHOT);
    assert.equal(counters("open", ruleIds).openPackets, 1n);
    assert.equal(counters("closed", ruleIds).closedPackets, 1n);
    assert.equal(counters("open", ruleIds).packets, 0n);
  });

  test("a path switch is one rule write: the next packet takes the new path, the rule keeps its id and counters", () => {
    const a = apply([rule({ identity: "u", primary: inline("fc00:1::1") })]);
    const frame = udp6(SRC, DST, 1, 53, payload);
    assert.deepEqual(run(frame).parsed?.srh?.segments, [DST, "fc00:1::1"]);
    const b = apply([rule({ identity: "u", primary: inline("fc00:3::1", "fc00:4::1") })]);
    assert.equal(b.ruleIds.get("u"), a.ruleIds.get("u"));
    assert.deepEqual(run(frame).parsed?.srh?.segments, [DST, "fc00:4::1", "fc00:3::1"]);
    assert.equal(counters("u", b.ruleIds).packets, 2n);
    assert.equal(apply([rule({ identity: "u", primary: inline("fc00:3::1", "fc00:4::1") })]).writes, 0, "applying the same state writes nothing");
  });

  test("backup paths: the rule holds both and sends on the one marked active", () => {
    apply([rule({ identity: "u", primary: inline("fc00:1::1"), backup: inline("fc00:b::1") })]);
    const frame = udp6(SRC, DST, 1, 53, payload);
    assert.equal(run(frame).parsed?.srh?.segments.at(-1), "fc00:1::1");
    apply([rule({ identity: "u", primary: inline("fc00:1::1"), backup: inline("fc00:b::1"), useBackup: true })]);
    assert.equal(run(frame).parsed?.srh?.segments.at(-1), "fc00:b::1");
  });

  test("a torn rule state (check word mismatch) is never used: counted, and the rule's onFailure applies", () => {
    const { ruleIds } = apply([rule({ identity: "u", closed: true })]);
    const id = ruleIds.get("u")!;
    const frame = udp6(SRC, DST, 1, 53, payload);
    assert.ok(run(frame).parsed?.srh, "the check written by TypeScript is the one the program computes");
    const snap = maps.snapshot().ruleStates.get(id)!;
    const torn = encodeRuleState(id, snap);
    torn[0]! ^= 1; // primary changed, check not
    const fd = (maps as unknown as { fds: MapFds }).fds.cairn_rule_state;
    bpf.mapUpdate(fd, encodeU32(id), torn);
    const before = events("torn_read");
    assert.equal(runRaw(frame).retval, TC_ACT_SHOT);
    assert.equal(events("torn_read") - before, 1n);
    bpf.mapUpdate(fd, encodeU32(id), encodeRuleState(id, snap));
  });

  test(`the longest paths: ${CAIRN_MAX_SIDS - 1} SIDs inline, ${CAIRN_MAX_SIDS} encapsulated`, () => {
    const sids = Array.from({ length: CAIRN_MAX_SIDS }, (_, i) => `fc00:${i + 1}::1`);
    apply([rule({ identity: "u", primary: inline(...sids.slice(0, -1)) })]);
    const { parsed } = run(udp6(SRC, DST, 1, 53, payload));
    assert.equal(parsed?.srh?.segmentsLeft, CAIRN_MAX_SIDS - 1);
    assert.deepEqual(parsed?.srh?.segments, [DST, ...sids.slice(0, -1).reverse()]);
    apply([rule({ identity: "v4", destinations: ["10.0.2.0/24"], primary: encap(...sids) })]);
    const v4 = run(udp4(SRC4, DST4, 1, 53, payload)).parsed;
    assert.deepEqual(v4?.srh?.segments, [...sids].reverse());
    assert.deepEqual(v4?.dst, parseAddress(sids[0]!));
  });

  test("IPv4 is encapsulated: outer IPv6 from the host to the first SID, SRH ending in the decapsulation SID, inner packet untouched", () => {
    const { ruleIds } = apply([rule({ identity: "v4-encap", destinations: ["10.0.2.0/24"], primary: encap("fc00:2::1", "fc00:4::d400:1") })]);
    const frame = udp4(SRC4, DST4, 40000, 53, payload, { tos: 0xb8 });
    const { out, parsed } = run(frame);
    assert.ok(parsed?.srh);
    assert.equal(out[12], 0x86);
    assert.equal(out[13], 0xdd);
    assert.deepEqual(parsed.src, parseAddress(HOST6));
    assert.deepEqual(parsed.dst, parseAddress("fc00:2::1"));
    assert.equal(parsed.trafficClass, 0xb8, "the IPv4 TOS becomes the traffic class");
    assert.deepEqual(parsed.srh, { nextHeader: IPPROTO_IPIP, hdrExtLen: 4, routingType: 4, segmentsLeft: 1, lastEntry: 1, flags: 0, tag: 0, segments: ["fc00:4::d400:1", "fc00:2::1"] });
    assert.equal(parsed.payloadLength, 8 + 32 + frame.length - 14);
    assert.deepEqual(parsed.l4, frame.subarray(14), "the inner IPv4 packet is the original, byte for byte");
    assert.equal(parsed.inner4?.checksumValid, true);
    assert.equal(counters("v4-encap", ruleIds).packets, 1n);
    assertUnchanged(udp4(SRC4, "10.0.3.10", 40000, 53, payload));
    assertUnchanged(udp4(SRC4, "224.0.0.251", 5353, 53, payload));
  });

  test("IPv4 fragments follow the first fragment's rule", () => {
    apply([rule({ identity: "v4", destinations: ["10.0.2.0/24"], primary: encap("fc00:4::d400:1") })]);
    assert.ok(run(udp4(SRC4, DST4, 1, 53, payload, { id: 99, moreFragments: true })).parsed?.srh);
    const later = parseIpv6Frame(runRaw(udp4(SRC4, DST4, 1, 53, payload, { id: 99, fragOffset: 4 })).out);
    assert.ok(later?.srh, "the later fragment (no ports) is encapsulated too");
  });

  test("a packet that no longer fits the MTU with its SRH becomes an ICMPv6 Packet Too Big for its sender", () => {
    const path = inline("fc00:1::1", "fc00:2::1");
    apply([rule({ identity: "u", primary: path })]);
    const srhLen = 8 + 16 * 3;
    const fits = udp6(SRC, DST, 1, 53, new Uint8Array(MTU - 40 - 8 - srhLen));
    assert.ok(run(fits).parsed?.srh, "the largest datagram that fits is steered");
    const big = udp6(SRC, DST, 1, 53, new Uint8Array(MTU - 40 - 8 - srhLen + 1));
    const before = events("too_big_icmp_sent");
    const r = runRaw(big);
    assert.equal(r.retval, TC_ACT_REDIRECT, "handed back to the host's own stack");
    assert.deepEqual(r.out.subarray(0, 6), SRC_MAC, "addressed to the sender's MAC");
    assert.deepEqual(r.out.subarray(6, 12), DST_MAC);
    const icmp = parseIpv6Frame(r.out)!;
    assert.equal(icmp.l4Proto, IPPROTO_ICMPV6);
    assert.deepEqual(icmp.src, parseAddress(DST));
    assert.deepEqual(icmp.dst, parseAddress(SRC));
    assert.equal(icmp.payloadLength, 8 + CAIRN_PTB6_QUOTE);
    assert.equal(icmp.l4[0], 2, "type Packet Too Big");
    assert.equal(new DataView(icmp.l4.buffer, icmp.l4.byteOffset).getUint32(4), MTU - srhLen, "MTU leaves room for the SRH");
    assert.ok(l4ChecksumValid(icmp.src, icmp.dst, IPPROTO_ICMPV6, icmp.l4), "ICMPv6 checksum");
    assert.deepEqual(icmp.l4.subarray(8), big.subarray(14, 14 + CAIRN_PTB6_QUOTE), "quotes the original packet");
    assert.equal(events("too_big_icmp_sent") - before, 1n);
    const tcpBig = runRaw(tcp6(SRC, DST, 1, 53, new Uint8Array(MTU - 40 - 20)));
    assert.equal(tcpBig.retval, TC_ACT_UNSPEC, "a TCP rule-less port is not touched");
  });

  test("a full-size TCP segment (not GSO) on a steered port gets the Packet Too Big too", () => {
    apply([rule({ identity: "t", protocol: IPPROTO_TCP, portFrom: 443, portTo: 443, primary: inline("fc00:1::1") })]);
    const r = runRaw(tcp6(SRC, DST, 50000, 443, new Uint8Array(MTU - 40 - 20)));
    assert.equal(r.retval, TC_ACT_REDIRECT);
    const icmp = parseIpv6Frame(r.out)!;
    assert.equal(new DataView(icmp.l4.buffer, icmp.l4.byteOffset).getUint32(4), MTU - 8 - 32);
  });

  test("IPv4 with DF that no longer fits becomes an ICMPv4 Fragmentation Needed; without DF it is dropped and counted", () => {
    apply([rule({ identity: "v4", destinations: ["10.0.2.0/24"], protocol: 0, portFrom: 0, portTo: 65535, primary: encap("fc00:2::1", "fc00:4::d400:1") })]);
    const outer = 40 + 8 + 32;
    assert.ok(run(udp4(SRC4, DST4, 1, 53, new Uint8Array(MTU - outer - 20 - 8))).parsed?.srh, "the largest that fits");
    const big = tcp4(SRC4, DST4, 50000, 80, new Uint8Array(MTU - 20 - 20), { df: true });
    const r = runRaw(big);
    assert.equal(r.retval, TC_ACT_REDIRECT);
    const icmp = parseIpv4Frame(r.out)!;
    assert.equal(icmp.proto, IPPROTO_ICMP);
    assert.equal(icmp.src, DST4);
    assert.equal(icmp.dst, SRC4);
    assert.ok(icmp.checksumValid, "IPv4 header checksum");
    assert.deepEqual([icmp.payload[0], icmp.payload[1]], [3, 4], "destination unreachable, fragmentation needed");
    assert.equal(new DataView(icmp.payload.buffer, icmp.payload.byteOffset).getUint16(6), MTU - outer);
    assert.equal(onesComplementSum([icmp.payload]), 0xffff, "ICMP checksum");
    assert.deepEqual(icmp.payload.subarray(8), big.subarray(14, 14 + 68), "quotes the IP header and more than 8 bytes");
    const before = events("too_big_dropped");
    assert.equal(runRaw(udp4(SRC4, DST4, 1, 53, new Uint8Array(MTU - 20 - 8))).retval, TC_ACT_SHOT);
    assert.equal(events("too_big_dropped") - before, 1n);
  });

  describe("liveliness: probes, their return, failover in the kernel", () => {
    const PORT = 864;
    const SECRET = 0x5eed1234;
    const probe = { mode: "inline" as const, sids: ["fc00:1::1"], probe: ["fc00:1::1", "fc00:2::e002", "fc00:1::e001"] };
    const backupPath = { mode: "inline" as const, sids: ["fc00:3::1"], probe: ["fc00:3::1", "fc00:3::e003"] };
    const timings = { thresholdUs: 30_000, staleUs: 100_000, holddownMs: 3_000 };
    const ktime = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, as bpf_ktime_get_ns
    let ingressFd = 0;
    let liveFd = 0;

    before(() => {
      ingressFd = bpf.programFd(bpf.findProgram(obj, "cairn_ingress"));
      liveFd = (maps as unknown as { fds: MapFds }).fds.cairn_live;
    });

    function setup(extra: Partial<DatapathRule> = {}) {
      const r = maps.apply(desired([rule({ identity: "live", primary: probe, backup: backupPath, ...extra })], { probe: { port: PORT, secret: SECRET } }), (clock += 1000));
      maps.collect(clock);
      const refOf = (p: PathSpec) => r.pathRefs.get(pathKey(p))!;
      return { ruleId: r.ruleIds.get("live")!, primaryRef: refOf(probe), backupRef: refOf(backupPath) };
    }

    /**
     * Overwrites a path's kernel times (ns before now; null: never). By default probes have gone out
     * since just after the last return whenever that return is older than the last probe sent.
     */
    function setLive(ref: number, t: { sentAgo: bigint | null; returnAgo: bigint; unansweredAgo?: bigint | null; upAgo?: bigint | null }) {
      const now = ktime();
      const unanswered = t.unansweredAgo !== undefined ? t.unansweredAgo : t.sentAgo !== null && t.returnAgo > t.sentAgo ? t.returnAgo - ms(1) : null;
      bpf.mapUpdate(liveFd, encodeU32(ref & 0xffff), encodeLive({
        ref,
        lastSentNs: t.sentAgo === null ? 0n : now - t.sentAgo,
        lastReturnNs: now - t.returnAgo,
        upSinceNs: t.upAgo === undefined || t.upAgo === null ? 0n : now - t.upAgo,
        firstUnansweredNs: unanswered === null ? 0n : now - unanswered,
        ...timings,
      }));
    }

    const ms = (n: number) => BigInt(n) * 1_000_000n;

    function probeFrame(ref: number, secret = SECRET) {
      const hdr = encodeProbeHeader({ secret, ref, seq: 1, sentNs: 42n });
      return udp6(SRC, "fc00:1::1", PORT, PORT, hdr);
    }

    test("a probe gets its path's loopback SRH, ending at this host, with a valid checksum; its send time is stamped", () => {
      const { primaryRef } = setup();
      maps.watchPath(primaryRef, timings, ktime());
      const before = ktime();
      const { parsed } = run(probeFrame(primaryRef));
      assert.ok(parsed?.srh, "the probe left with an SRH");
      assert.deepEqual(parsed.srh.segments, [SRC, ...[...probe.probe].reverse()], "out, turn, back, then this host");
      assert.deepEqual(parsed.dst, parseAddress(probe.probe[0]!));
      assert.equal(parsed.srh.nextHeader, IPPROTO_UDP);
      assert.ok(l4ChecksumValid(parsed.src, parseAddress(SRC)!, IPPROTO_UDP, parsed.l4), "UDP checksum against the final destination, this host");
      assert.ok(maps.liveness(primaryRef)!.lastSentNs >= before);
    });

    test("a packet that only looks like a probe (wrong secret) is steered as any packet; a probe for a path no longer held is dropped and counted", () => {
      const { primaryRef } = setup({ portFrom: 0, portTo: 65535, destinations: ["fc00:1::/32"] });
      const fake = run(probeFrame(primaryRef, SECRET + 1)).parsed;
      assert.deepEqual(fake?.srh?.segments, ["fc00:1::1", "fc00:1::1"], "the ordinary rule's SRH, not the probe's");
      const before = events("probe_for_unknown_path");
      assert.equal(runRaw(probeFrame((primaryRef + 0x10000) >>> 0)).retval, TC_ACT_SHOT);
      assert.equal(events("probe_for_unknown_path") - before, 1n);
    });

    test("the ingress program stamps a probe's return, and the start of a hold-down after the path was down (not after a paused prober)", () => {
      const { primaryRef } = setup();
      setLive(primaryRef, { sentAgo: ms(1), returnAgo: ms(500), unansweredAgo: ms(5) });
      const back = udp6("fc00:1::e001", SRC, PORT, PORT, encodeProbeHeader({ secret: SECRET, ref: primaryRef, seq: 9, sentNs: 1n }), [
        { type: NEXTHDR_ROUTING, body: Uint8Array.of(2, 4, 0, 0, 0, 0, 0, ...parseAddress(SRC)!) },
      ]);
      const t0 = ktime();
      const r = bpf.progTestRun(ingressFd, { data: back, ctx });
      assert.equal(r.retval, TC_ACT_UNSPEC, "the probe goes on to the agent's socket");
      const l = maps.liveness(primaryRef)!;
      assert.ok(l.lastReturnNs >= t0);
      assert.equal(l.upSinceNs, 0n, "back 5 ms after the prober resumed from a 500 ms pause: nothing was down, no hold-down");
      setLive(primaryRef, { sentAgo: ms(1), returnAgo: ms(500) });
      const t1 = ktime();
      bpf.progTestRun(ingressFd, { data: back, ctx });
      assert.ok(maps.liveness(primaryRef)!.upSinceNs >= t1, "back after probes went unanswered for 500 ms: the hold-down starts");
      maps.watchPath(primaryRef, timings, 0n);
      bpf.progTestRun(ingressFd, { data: back, ctx });
      assert.equal(maps.liveness(primaryRef)!.upSinceNs, 0n, "the first return ever arms the path: no hold-down");
      const spoofed = udp6("fc00:1::e001", SRC, PORT, PORT, encodeProbeHeader({ secret: SECRET + 1, ref: primaryRef, seq: 9, sentNs: 1n }), [
        { type: NEXTHDR_ROUTING, body: Uint8Array.of(2, 4, 0, 0, 0, 0, 0, ...parseAddress(SRC)!) },
      ]);
      setLive(primaryRef, { sentAgo: ms(1), returnAgo: ms(500) });
      bpf.progTestRun(ingressFd, { data: spoofed, ctx });
      assert.ok(maps.liveness(primaryRef)!.lastReturnNs < t0, "a return without the secret is ignored");
    });

    test("failover in the kernel: a primary whose probes stopped coming back sends on the backup at once; a silent prober condemns nothing", () => {
      const { ruleId, primaryRef, backupRef } = setup();
      const frame = udp6(SRC, DST, 1, 53, payload);
      const first = () => run(frame).parsed?.srh?.segments.at(-1);
      setLive(primaryRef, { sentAgo: ms(2), returnAgo: ms(5) });
      setLive(backupRef, { sentAgo: ms(2), returnAgo: ms(5) });
      assert.equal(first(), "fc00:1::1", "both alive: the primary");
      setLive(primaryRef, { sentAgo: ms(2), returnAgo: ms(40) });
      const before = maps.counters().get(ruleId)!.backupPackets;
      assert.equal(first(), "fc00:3::1", "no return for 40 ms (threshold 30) while probes go out: the backup");
      assert.equal(maps.counters().get(ruleId)!.backupPackets - before, 1n);
      setLive(primaryRef, { sentAgo: ms(200), returnAgo: ms(400) });
      assert.equal(first(), "fc00:1::1", "no probe sent for 200 ms (stale 100): the prober is silent, nothing is condemned");
      setLive(primaryRef, { sentAgo: ms(1), returnAgo: ms(100), unansweredAgo: ms(1) });
      assert.equal(first(), "fc00:1::1", "a prober back from a pause: its first probe is 1 ms out, nothing condemned yet");
      setLive(primaryRef, { sentAgo: ms(1), returnAgo: ms(0), unansweredAgo: null });
      bpf.mapUpdate(liveFd, encodeU32(primaryRef & 0xffff), encodeLive({ ...decodeLive(bpf.mapLookup(liveFd, encodeU32(primaryRef & 0xffff), 48)!), lastReturnNs: 0n, firstUnansweredNs: ktime() - ms(500) }));
      assert.equal(first(), "fc00:1::1", "no probe has ever come back: the path is not judged yet");
      setLive(primaryRef, { sentAgo: ms(2), returnAgo: ms(1), upAgo: ms(1000) });
      assert.equal(first(), "fc00:3::1", "back for 1 s of a 3 s hold-down: still the backup");
      setLive(primaryRef, { sentAgo: ms(2), returnAgo: ms(1), upAgo: ms(3100) });
      assert.equal(first(), "fc00:1::1", "after the hold-down: the primary again");
    });

    test("a rule whose intent has probes off (CAIRN_RULE_NO_LIVENESS) keeps its primary whatever its probes say; the same rule without it fails over", () => {
      const frame = udp6(SRC, DST, 1, 53, payload);
      const first = () => run(frame).parsed?.srh?.segments.at(-1);
      const deaf = setup({ noLiveness: true, closed: true });
      assert.equal(maps.snapshot().ruleStates.get(deaf.ruleId)!.flags, CAIRN_RULE_CLOSED | CAIRN_RULE_NO_LIVENESS);
      setLive(deaf.primaryRef, { sentAgo: ms(2), returnAgo: ms(40) });
      setLive(deaf.backupRef, { sentAgo: ms(2), returnAgo: ms(5) });
      assert.equal(first(), "fc00:1::1", "no return for 40 ms (threshold 30): still the primary");
      setLive(deaf.primaryRef, { sentAgo: ms(2), returnAgo: ms(1), upAgo: ms(1000) });
      assert.equal(first(), "fc00:1::1", "in its hold-down: still the primary");
      setLive(deaf.primaryRef, { sentAgo: ms(2), returnAgo: ms(100) });
      setLive(deaf.backupRef, { sentAgo: ms(2), returnAgo: ms(100) });
      assert.equal(first(), "fc00:1::1", "every path down: still the primary, not dropped (onFailure closed)");
      setup({ noLiveness: true, useBackup: true });
      assert.equal(first(), "fc00:1::1", "the flag outranks USE_BACKUP");

      const hearing = setup({ noLiveness: false, closed: true });
      assert.equal(hearing.primaryRef, deaf.primaryRef, "the same path slots");
      setLive(hearing.primaryRef, { sentAgo: ms(2), returnAgo: ms(40) });
      setLive(hearing.backupRef, { sentAgo: ms(2), returnAgo: ms(5) });
      assert.equal(first(), "fc00:3::1", "without the flag: the backup");
    });

    test("no live path: onFailure closed drops, open sends unsteered; a rule without a backup too", () => {
      const closed = setup({ closed: true });
      setLive(closed.primaryRef, { sentAgo: ms(2), returnAgo: ms(100) });
      setLive(closed.backupRef, { sentAgo: ms(2), returnAgo: ms(100) });
      assert.equal(runRaw(udp6(SRC, DST, 1, 53, payload)).retval, TC_ACT_SHOT);
      const open = setup({ closed: false });
      setLive(open.primaryRef, { sentAgo: ms(2), returnAgo: ms(100) });
      setLive(open.backupRef, { sentAgo: ms(2), returnAgo: ms(100) });
      assertUnchanged(udp6(SRC, DST, 1, 53, payload));
      const lone = setup({ backup: null, closed: true });
      setLive(lone.primaryRef, { sentAgo: ms(2), returnAgo: ms(100) });
      assert.equal(runRaw(udp6(SRC, DST, 1, 53, payload)).retval, TC_ACT_SHOT);
    });
  });

  test("the planner's copy of the maps stays what the kernel holds, through applies and collection", () => {
    apply([rule({ identity: "c1" }), rule({ identity: "c2", destinations: ["2001:db8:7::/48"], backup: { mode: "inline", sids: ["fc00:9::1"] } })]);
    assert.deepEqual(maps.snapshot(), maps.readSnapshot());
    apply([rule({ identity: "c2", destinations: ["2001:db8:7::/48"] })]);
    assert.deepEqual(maps.snapshot(), maps.readSnapshot());
    for (let i = 0; i < 3; i++) maps.collect((clock += 1000));
    assert.deepEqual(maps.snapshot(), maps.readSnapshot(), "after freeing drained rules and paths");
  });

  test("removing every rule empties the maps once drained", () => {
    apply([rule({ identity: "u" }), rule({ identity: "w", destinations: ["2001:db8:5::/48"] })]);
    apply([]);
    assert.equal(maps.lpmEntries().size, 0);
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      maps.collect(clock); // rules drain and go first; then their paths drain and go
    }
    const snap = maps.snapshot();
    assert.equal(snap.ruleStates.size, 0);
    assert.equal([...snap.paths.values()].filter((p) => p.content).length, 0);
    assertUnchanged(udp6(SRC, DST, 1, 53, payload));
  });
});
