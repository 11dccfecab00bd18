// The passive signal's logic without the kernel: which rules and paths a retransmission belongs
// to, and the watcher's polling, debounce, log and counters on a manual clock and a fake ring.
// The kernel side (and this watcher over the real ring) is datapath/retransmits.spec.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "./clock.js";
import { RetransmitWatch, pathsOf, retransmitRoutes, type RetransmitSource } from "./retransmit-watch.js";
import { AF_INET, AF_INET6, type RetransmitEvent } from "../datapath/retransmit-layout.js";
import { mapped4 } from "../datapath/addresses.js";
import { parseAddress } from "../core/ipv6.js";
import { pathKey } from "../datapath/plan.js";
import type { DatapathRule, PathSpec } from "../datapath/types.js";

const path = (n: number, probed = true): PathSpec => ({ mode: "inline", sids: [`fc00:0:${n}::1`], ...(probed ? { probe: [`fc00:0:${n}::1`, "fc00:0:9::1"] } : {}) });
const encap = (n: number): PathSpec => ({ mode: "encap", sids: [`fc00:0:${n}::d4`], probe: [`fc00:0:${n}::1`, "fc00:0:9::1"] });
const key = (p: PathSpec) => pathKey(p);

function rule(over: Partial<DatapathRule> & { primary: PathSpec | null }): DatapathRule {
  return { identity: "r", classId: 0, destinations: ["2001:db8:4::/64"], uid: null, source: null, protocol: 6, portFrom: 0, portTo: 65535, priority: 0, closed: false, backup: null, useBackup: false, noLiveness: false, ...over };
}

const v6 = (a: string) => parseAddress(a)!;
const v4 = (a: string) => mapped4(Uint8Array.from(a.split(".").map(Number)));
let seq = 0n;
function event(daddr: string, dport: number, saddr?: string): RetransmitEvent {
  const four = !daddr.includes(":");
  return { seq: ++seq, ns: 0n, family: four ? AF_INET : AF_INET6, sport: 40000, dport, state: 1, saddr: four ? v4(saddr ?? "10.0.1.10") : v6(saddr ?? "2001:db8:1::10"), daddr: four ? v4(daddr) : v6(daddr) };
}

const RULES = [
  rule({ identity: "web", protocol: 6, portFrom: 443, portTo: 443, primary: path(2), backup: path(3) }),
  rule({ identity: "bulk", protocol: 0, destinations: ["2001:db8:4::10/128"], primary: path(4) }),
  rule({ identity: "dns", protocol: 17, primary: path(5) }),
  rule({ identity: "unprobed", protocol: 6, destinations: ["2001:db8:7::/48"], primary: path(6, false) }),
  rule({ identity: "v4", protocol: 6, destinations: ["10.0.4.0/24"], portFrom: 5000, portTo: 5999, primary: encap(7) }),
  rule({ identity: "from-a", protocol: 6, destinations: ["2001:db8:8::/48"], source: "2001:db8:1::a/128", primary: path(8) }),
  rule({ identity: "none", protocol: 6, destinations: ["2001:db8:9::/48"], primary: null }),
];

test("routes: the rules that can carry TCP with a probed path; IPv4 destinations IPv4-mapped", () => {
  const routes = retransmitRoutes(RULES, () => true);
  assert.deepEqual(routes.map((r) => [r.family, r.protocol, r.portFrom, r.portTo, r.paths.length, r.source !== null]), [
    [6, 6, 443, 443, 2, false],
    [6, 0, 0, 65535, 1, false],
    [4, 6, 5000, 5999, 1, false],
    [6, 6, 0, 65535, 1, true],
  ], "no UDP rule, no rule without a probed path");
  assert.equal(routes[2]!.destinations[0]!.len, 96 + 24);
  assert.deepEqual(retransmitRoutes(RULES, (k) => k !== key(path(2))).map((r) => r.paths), [[key(path(3))], [key(path(4))], [key(encap(7))], [key(path(8))]], "only paths the prober runs");
});

test("a retransmission belongs to every rule whose destination, port and source it matches", () => {
  const routes = retransmitRoutes(RULES, () => true);
  const of = (e: RetransmitEvent) => pathsOf(e, routes).sort();
  assert.deepEqual(of(event("2001:db8:4::10", 443)), [key(path(2)), key(path(3)), key(path(4))].sort(), "web (primary and backup) and bulk");
  assert.deepEqual(of(event("2001:db8:4::11", 443)), [key(path(2)), key(path(3))].sort(), "bulk is for ::10 only");
  assert.deepEqual(of(event("2001:db8:4::11", 444)), [], "web is for port 443 only");
  assert.deepEqual(of(event("2001:db8:4::10", 53)), [key(path(4))], "bulk is any port; dns is UDP");
  assert.deepEqual(of(event("2001:db8:7::1", 80)), [], "a path that is not probed");
  assert.deepEqual(of(event("10.0.4.9", 5000)), [key(encap(7))]);
  assert.deepEqual(of(event("10.0.4.9", 6000)), []);
  assert.deepEqual(of(event("10.0.5.9", 5000)), []);
  assert.deepEqual(of(event("2001:db8:8::1", 22, "2001:db8:1::a")), [key(path(8))]);
  assert.deepEqual(of(event("2001:db8:8::1", 22, "2001:db8:1::b")), [], "another source address");
  const anyV6 = retransmitRoutes([rule({ destinations: ["::/0"], primary: path(2) })], () => true);
  assert.deepEqual(pathsOf(event("10.0.4.9", 80), anyV6), [], "an IPv4 flow (IPv4-mapped) is not under ::/0");
});

function fakeSource() {
  const queue: RetransmitEvent[] = [];
  const s = { reads: 0, skips: 0, closed: false, fail: null as string | null, lost: 0 };
  const source: RetransmitSource = {
    read() {
      s.reads++;
      if (s.fail) throw new Error(s.fail);
      const lost = s.lost;
      s.lost = 0;
      return { events: queue.splice(0), lost };
    },
    skip() {
      s.skips++;
      queue.length = 0;
    },
    close() {
      s.closed = true;
    },
  };
  return { source, queue, s };
}

function setup(settings = { pollMs: 20, debounceMs: 10, logEveryMs: 5_000 }) {
  const clock = new ManualClock();
  const ring = fakeSource();
  const probes: { at: number; keys: string[] }[] = [];
  const logs: string[] = [];
  const watch = new RetransmitWatch(ring.source, clock, (keys) => probes.push({ at: clock.now(), keys }), (l) => logs.push(l), (k) => `<${k.split("|")[1]}>`, settings);
  return { clock, ring, probes, logs, watch };
}

test("watcher: polls every 20 ms only while a rule can carry TCP; what came before polling started is skipped", () => {
  const { clock, ring, probes, watch } = setup();
  clock.advance(100);
  assert.equal(ring.s.reads, 0, "no routes: no polling");
  ring.queue.push(event("2001:db8:4::10", 443)); // before polling: no signal
  watch.setRoutes(retransmitRoutes(RULES, () => true));
  assert.deepEqual([watch.polling, ring.s.skips], [true, 1]);
  clock.advance(100);
  assert.equal(ring.s.reads, 5);
  assert.equal(probes.length, 0);
  ring.queue.push(event("2001:db8:4::11", 443));
  clock.advance(20);
  assert.deepEqual(probes.map((p) => p.keys), [[key(path(2)), key(path(3))]]);
  watch.setRoutes(retransmitRoutes(RULES.filter((r) => r.protocol === 17), () => true));
  assert.equal(watch.polling, false, "only a UDP rule left");
  const reads = ring.s.reads;
  clock.advance(200);
  assert.equal(ring.s.reads, reads);
  watch.stop();
  assert.equal(ring.s.closed, true);
});

test("watcher: one probe per path per debounce interval, however many retransmissions; one log line per path per 5 s", () => {
  const { clock, ring, probes, logs, watch } = setup({ pollMs: 20, debounceMs: 50, logEveryMs: 5_000 });
  watch.setRoutes(retransmitRoutes(RULES, () => true));
  for (let t = 0; t < 10; t++) {
    for (let i = 0; i < 5; i++) ring.queue.push(event("2001:db8:4::10", 80)); // bulk's path only
    clock.advance(20);
  }
  // Polls at 20, 40, ..., 200 ms after start: probes at the first poll, then whenever 50 ms have passed.
  assert.deepEqual(probes.map((p) => p.at - probes[0]!.at), [0, 60, 120, 180]);
  assert.ok(probes.every((p) => p.keys.length === 1 && p.keys[0] === key(path(4))));
  assert.deepEqual(watch.counters(), { seen: 50, matched: 50, lost: 0, probes: 4 });
  assert.deepEqual(logs, ["path <fc00:0:4::1>: TCP retransmissions to 2001:db8:4::10 port 80: probing now"]);
  clock.advance(5_000);
  ring.queue.push(event("2001:db8:4::10", 81), event("10.0.4.1", 5001), event("2001:db8:99::1", 80));
  clock.advance(20);
  assert.deepEqual(logs.slice(1), [
    "path <fc00:0:4::1>: TCP retransmissions to 2001:db8:4::10 port 81 (49 more since the last line): probing now",
    "path <fc00:0:7::d4>: TCP retransmissions to 10.0.4.1 port 5001: probing now",
  ]);
  assert.deepEqual(watch.counters(), { seen: 53, matched: 52, lost: 0, probes: 6 }, "the one to nowhere is seen, not matched");
});

test("watcher: a ring it cannot read is logged once and polled on; lost events are counted", () => {
  const { clock, ring, logs, watch } = setup();
  watch.setRoutes(retransmitRoutes(RULES, () => true));
  ring.s.fail = "bpf_map_lookup_elem: Bad file descriptor";
  clock.advance(100);
  assert.deepEqual(logs, ["cannot read TCP retransmissions: bpf_map_lookup_elem: Bad file descriptor"]);
  ring.s.fail = null;
  ring.s.lost = 7;
  clock.advance(20);
  assert.equal(watch.counters().lost, 7);
  watch.stop();
});
