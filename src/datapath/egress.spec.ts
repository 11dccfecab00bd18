// Runs egress.bpf.o on crafted frames with BPF_PROG_TEST_RUN (no interface involved).
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { parseAddress } from "../core/ipv6.js";
import type * as Libbpf from "./libbpf.js";
import { CAIRN_MAX_SEGMENTS, MAP_NAMES } from "./layout.js";
import type { DatapathMaps, MapFds } from "./maps.js";
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  NEXTHDR_ROUTING,
  icmp6,
  ipv6Frame,
  l4ChecksumValid,
  parseIpv6Frame,
  tcp6,
  udp4,
  udp6,
  type ParsedIpv6,
} from "./packets.js";
import type { DatapathRule } from "./types.js";
import { findCgroup2Mount } from "../host/cgroup2.js";

const TC_ACT_OK = 0;
const OBJECT = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));
const PROGRAM_NAME = "cairn_egress";

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

/** cgroup v2 id of this process (what bpf_skb_cgroup_id sees in a test run), or null. */
function ownCgroupId(): bigint | null {
  const mount = findCgroup2Mount();
  const path = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.startsWith("0::"))
    ?.slice(3);
  if (!mount || path === undefined) return null;
  return statSync(join(mount, path), { bigint: true }).ino;
}

const SRC = "2001:db8:aa::1";
const DST = "2001:db8:1::53";
const payload = new TextEncoder().encode("cairn test payload");

function rule(over: Partial<DatapathRule> & Pick<DatapathRule, "ruleId">): DatapathRule {
  return {
    cgroupId: 0n,
    prefix: "2001:db8:1::/48",
    protocol: IPPROTO_UDP,
    portFrom: 53,
    portTo: 53,
    segments: ["fc00:1::1", "fc00:2::1"],
    ...over,
  };
}

const reason = await skipReason();

describe("egress.bpf.o under BPF_PROG_TEST_RUN", { skip: reason }, () => {
  let bpf: typeof Libbpf;
  let obj: Libbpf.BpfObject;
  let progFd: number;
  let maps: DatapathMaps;

  before(async () => {
    bpf = await import("./libbpf.js");
    const { DatapathMaps } = await import("./maps.js");
    obj = bpf.openObjectFile(OBJECT);
    bpf.loadObject(obj);
    const fds = Object.fromEntries(MAP_NAMES.map((n) => [n, bpf.mapFd(bpf.findMap(obj, n))])) as MapFds;
    maps = DatapathMaps.fromFds(fds);
    progFd = bpf.programFd(bpf.findProgram(obj, PROGRAM_NAME));
  });

  after(() => {
    maps?.close();
    if (obj) bpf.closeObject(obj);
  });

  function run(frame: Uint8Array): { out: Uint8Array; parsed: ParsedIpv6 | null } {
    const r = bpf.progTestRun(progFd, { data: frame });
    assert.equal(r.retval, TC_ACT_OK);
    return { out: r.data, parsed: parseIpv6Frame(r.data) };
  }

  function assertUnchanged(frame: Uint8Array): void {
    assert.deepEqual(run(frame).out, frame);
  }

  test("matching UDP gets an SRH: fields, segment order, daddr, payload length, checksum", () => {
    maps.apply([rule({ ruleId: 7 })]);
    const frame = udp6(SRC, DST, 40000, 53, payload);
    const { out, parsed } = run(frame);
    assert.ok(parsed?.srh, "no SRH in output");
    const { srh } = parsed;
    const n = 3; // two SIDs + final destination
    assert.equal(out.length, frame.length + 8 + 16 * n);
    assert.equal(parsed.nextHeader, NEXTHDR_ROUTING);
    assert.equal(parsed.payloadLength, 8 + payload.length + 8 + 16 * n);
    assert.deepEqual(parsed.dst, parseAddress("fc00:1::1"), "daddr must be the first SID");
    assert.deepEqual(srh, {
      nextHeader: IPPROTO_UDP,
      hdrExtLen: 2 * n,
      routingType: 4,
      segmentsLeft: n - 1,
      lastEntry: n - 1,
      flags: 0,
      tag: 0,
      segments: ["2001:db8:1::53", "fc00:2::1", "fc00:1::1"],
    });
    assert.equal(parsed.l4Proto, IPPROTO_UDP);
    assert.deepEqual(parsed.l4, frame.slice(14 + 40), "UDP header and payload untouched");
    assert.ok(l4ChecksumValid(parsed.src, parseAddress(DST)!, IPPROTO_UDP, parsed.l4), "checksum vs final destination");
    assert.ok(!l4ChecksumValid(parsed.src, parsed.dst, IPPROTO_UDP, parsed.l4), "sanity: not valid vs the SID");
  });

  test("counters count matched packets and their pre-insertion length", () => {
    maps.apply([rule({ ruleId: 7 }), rule({ ruleId: 8, portFrom: 80, portTo: 80 })]);
    const before = maps.counters().get(7)!;
    const frame = udp6(SRC, DST, 40000, 53, payload);
    run(frame);
    run(frame);
    const c = maps.counters();
    assert.equal(c.get(7)!.packets - before.packets, 2n);
    assert.equal(c.get(7)!.bytes - before.bytes, BigInt(2 * frame.length));
    assert.deepEqual(c.get(8), { packets: 0n, bytes: 0n });
  });

  test("TCP gets an SRH and its checksum stays valid against the final destination", () => {
    maps.apply([rule({ ruleId: 3, protocol: IPPROTO_TCP, portFrom: 443, portTo: 443, segments: ["fc00:9::1"] })]);
    const frame = tcp6(SRC, DST, 50000, 443, payload);
    const { parsed } = run(frame);
    assert.ok(parsed?.srh);
    assert.deepEqual(parsed.srh.segments, [DST, "fc00:9::1"]);
    assert.equal(parsed.srh.segmentsLeft, 1);
    assert.ok(l4ChecksumValid(parsed.src, parseAddress(DST)!, IPPROTO_TCP, parsed.l4));
  });

  test("a rule without segments counts its packets and leaves them unchanged", () => {
    // Its app's path is the IGP's own, and a broader rule below it must not catch the app's traffic.
    maps.apply([rule({ ruleId: 2, segments: [] }), rule({ ruleId: 9, prefix: "2001:db8::/32", portFrom: 0, portTo: 65535 })]);
    const frame = udp6(SRC, DST, 40000, 53, payload);
    assertUnchanged(frame);
    const c = maps.counters();
    assert.deepEqual(c.get(2), { packets: 1n, bytes: BigInt(frame.length) });
    assert.deepEqual(c.get(9), { packets: 0n, bytes: 0n });
  });

  test("non-matching prefix, protocol, port and IPv4 pass unchanged", () => {
    maps.apply([rule({ ruleId: 7 })]);
    assertUnchanged(udp6(SRC, "2001:db8:2::53", 40000, 53, payload));
    assertUnchanged(tcp6(SRC, DST, 40000, 53, payload));
    assertUnchanged(udp6(SRC, DST, 40000, 54, payload));
    assertUnchanged(udp4(53, payload));
    assert.deepEqual(maps.counters().get(7), { packets: 0n, bytes: 0n });
  });

  test("packets with extension headers, on-link destinations and neighbour discovery pass unchanged", () => {
    maps.apply([rule({ ruleId: 1, prefix: "::/0", protocol: 0, portFrom: 0, portTo: 65535 })]);
    const hopByHop = new Uint8Array([IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0]);
    const routing = new Uint8Array([IPPROTO_UDP, 2, 4, 0, 0, 0, 0, 0, ...parseAddress(DST)!]);
    assertUnchanged(ipv6Frame(SRC, DST, 0, hopByHop));
    assertUnchanged(ipv6Frame(SRC, DST, NEXTHDR_ROUTING, routing));
    assertUnchanged(udp6("fe80::1", "fe80::2", 1, 53, payload));
    assertUnchanged(udp6(SRC, "ff02::fb", 5353, 5353, payload));
    assertUnchanged(icmp6(SRC, DST, 135, new Uint8Array(20))); // neighbour solicitation
    const echo = run(icmp6(SRC, DST, 128, new Uint8Array(8))).parsed; // echo request is steered
    assert.ok(echo?.srh);
  });

  test("the most specific prefix wins; a covering prefix still applies when its ports do not match", () => {
    maps.apply([
      rule({ ruleId: 20, prefix: "2001:db8::/32", protocol: 0, portFrom: 0, portTo: 65535, segments: ["fc00:20::1"] }),
      rule({ ruleId: 10, prefix: "2001:db8:1::/48", portFrom: 53, portTo: 53, segments: ["fc00:10::1"] }),
      rule({ ruleId: 5, prefix: "2001:db8:1::/48", portFrom: 50, portTo: 60, segments: ["fc00:5::1"] }),
    ]);
    const first = (f: Uint8Array) => run(f).parsed?.srh?.segments.at(-1);
    assert.equal(first(udp6(SRC, DST, 1, 53, payload)), "fc00:5::1", "lower ruleId first within a prefix");
    assert.equal(first(udp6(SRC, DST, 1, 59, payload)), "fc00:5::1");
    assert.equal(first(udp6(SRC, DST, 1, 61, payload)), "fc00:20::1", "falls back to the /32");
    assert.equal(first(udp6(SRC, "2001:db8:2::1", 1, 53, payload)), "fc00:20::1");
  });

  test("a rule for this process's cgroup beats an any-app rule; other cgroups fall back to cgroup 0", (t) => {
    const own = ownCgroupId();
    if (own === null) return t.skip("no cgroup v2 mount to find this process's cgroup id");
    maps.apply([
      rule({ ruleId: 1, cgroupId: 0n, segments: ["fc00:a11::1"] }),
      rule({ ruleId: 2, cgroupId: own, segments: ["fc00:0e::1"] }),
    ]);
    const frame = udp6(SRC, DST, 1, 53, payload);
    const first = () => run(frame).parsed?.srh?.segments.at(-1);
    assert.equal(first(), "fc00:e::1");
    maps.apply([
      rule({ ruleId: 1, cgroupId: 0n, segments: ["fc00:a11::1"] }),
      rule({ ruleId: 2, cgroupId: own + 1000n, segments: ["fc00:0e::1"] }),
    ]);
    assert.equal(first(), "fc00:a11::1");
    // A cgroup's entry that matches the address but not the port also falls back.
    maps.apply([
      rule({ ruleId: 1, cgroupId: 0n, segments: ["fc00:a11::1"] }),
      rule({ ruleId: 2, cgroupId: own, portFrom: 80, portTo: 80, segments: ["fc00:0e::1"] }),
    ]);
    assert.equal(first(), "fc00:a11::1");
  });

  test("a path switch is picked up by the next packet; counters carry on", () => {
    maps.apply([rule({ ruleId: 4, segments: ["fc00:1::1"] })]);
    const frame = udp6(SRC, DST, 1, 53, payload);
    assert.deepEqual(run(frame).parsed?.srh?.segments, [DST, "fc00:1::1"]);
    maps.apply([rule({ ruleId: 4, segments: ["fc00:3::1", "fc00:4::1"] })]);
    assert.deepEqual(run(frame).parsed?.srh?.segments, [DST, "fc00:4::1", "fc00:3::1"]);
    assert.equal(maps.counters().get(4)!.packets, 2n);
  });

  test(`a ${CAIRN_MAX_SEGMENTS}-SID path produces a full-size SRH`, () => {
    const sids = Array.from({ length: CAIRN_MAX_SEGMENTS }, (_, i) => `fc00:${i + 1}::1`);
    maps.apply([rule({ ruleId: 9, segments: sids })]);
    const { parsed } = run(udp6(SRC, DST, 1, 53, payload));
    assert.ok(parsed?.srh);
    assert.equal(parsed.srh.segmentsLeft, CAIRN_MAX_SEGMENTS);
    assert.deepEqual(parsed.srh.segments, [DST, ...[...sids].reverse()]);
    assert.deepEqual(parsed.dst, parseAddress(sids[0]!));
  });

  test("invalid rules throw naming the rule and leave the maps as they were", () => {
    maps.apply([rule({ ruleId: 7 })]);
    const lpmBefore = maps.lpmEntries();
    const bad: [DatapathRule, RegExp][] = [
      [rule({ ruleId: 8, prefix: "2001:db8::/129" }), /^rule 8: prefix/],
      [rule({ ruleId: 8, segments: Array(CAIRN_MAX_SEGMENTS + 1).fill("fc00::1") }), /^rule 8: needs 0\.\.8 segments/],
      [rule({ ruleId: 1024 }), /ruleId 1024 must be an integer in 1\.\.1023/],
      [rule({ ruleId: 8, segments: ["not-an-address"] }), /^rule 8: segment "not-an-address"/],
    ];
    for (const [r, re] of bad) {
      assert.throws(() => maps.apply([rule({ ruleId: 2, prefix: "2001:db8:9::/48" }), r]), { message: re });
      assert.deepEqual(maps.ruleIds(), [7]);
      assert.deepEqual(maps.lpmEntries(), lpmBefore);
    }
  });

  test("removing every rule empties the maps", () => {
    maps.apply([rule({ ruleId: 7 }), rule({ ruleId: 9, prefix: "2001:db8:5::/48" })]);
    maps.apply([]);
    assert.deepEqual(maps.ruleIds(), []);
    assert.equal(maps.lpmEntries().size, 0);
    assert.equal(maps.counters().size, 0);
    assertUnchanged(udp6(SRC, DST, 1, 53, payload));
  });

  test("no drops were recorded", () => {
    assert.deepEqual([...maps.drops().values()], [0n, 0n, 0n]);
  });
});
