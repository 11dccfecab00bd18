// The prober on an injected clock, with a transport that loops probes back (or loses them) and a
// datapath that records what the kernel is told. The kernel side is egress.spec.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "./clock.js";
import { decodeProbeHeader } from "../datapath/layout.js";
import { DEFAULT_PROBE_SETTINGS, Prober, type PathHealthView, type PathState, type ProbeTransport } from "./prober.js";
import type { LivenessTimings } from "../datapath/types.js";

const SECRET = 0x1234abcd;

/**
 * Loops each probe back after `rttMs` unless `lose(seq)` says otherwise, stamping a fake kernel as
 * the egress and ingress programs do; records what was sent.
 */
function loopback(clock: ManualClock, rttMs = 2) {
  let handler: (p: Uint8Array) => void = () => {};
  const sent: { to: string; ref: number; seq: number; at: number }[] = [];
  const kernel = new Map<number, { lastSentNs: bigint; lastReturnNs: bigint; upSinceNs: bigint; firstUnansweredNs: bigint }>();
  const ns = () => BigInt(clock.now()) * 1_000_000n;
  let lose: (ref: number, seq: number) => boolean = () => false;
  const transport: ProbeTransport = {
    send(to, payload) {
      const h = decodeProbeHeader(payload)!;
      assert.equal(h.secret, SECRET);
      sent.push({ to, ref: h.ref, seq: h.seq, at: clock.now() });
      const k = kernel.get(h.ref)!;
      k.lastSentNs = ns();
      if (k.firstUnansweredNs <= k.lastReturnNs) k.firstUnansweredNs = ns();
      if (lose(h.ref, h.seq)) return;
      clock.after(rttMs, () => {
        k.lastReturnNs = ns();
        handler(payload);
      });
    },
    onMessage: (h) => (handler = h),
    close: () => {},
  };
  return { transport, sent, kernel, setLoss: (f: typeof lose) => (lose = f) };
}

function setup(rttMs = 2) {
  const clock = new ManualClock();
  const net = loopback(clock, rttMs);
  const watched: { ref: number; t: LivenessTimings; lastReturnNs: bigint }[] = [];
  const retimed: { ref: number; t: LivenessTimings }[] = [];
  const changes: { h: PathHealthView; before: PathState }[] = [];
  const prober = new Prober(
    net.transport,
    {
      watchPath: (ref, t, lastReturnNs) => {
        watched.push({ ref, t, lastReturnNs });
        net.kernel.set(ref, { lastSentNs: 0n, lastReturnNs, upSinceNs: 0n, firstUnansweredNs: 0n });
      },
      retimePath: (ref, t) => retimed.push({ ref, t }),
      liveness: (ref) => net.kernel.get(ref) ?? null,
    },
    clock,
    () => BigInt(clock.now()) * 1_000_000n,
    SECRET,
    DEFAULT_PROBE_SETTINGS,
    (h, before) => changes.push({ h, before }),
    () => 0.5,
  );
  return { clock, net, prober, watched, retimed, changes };
}

const target = (n: number) => ({ key: `path-${n}`, ref: 0x10000 + n, firstSid: `fc00:0:${n}::1` });

test("one probe stream per path, every 10 ms (jittered), to the probe's first SID; the kernel is told how to judge it", () => {
  const { clock, net, prober, watched } = setup();
  prober.setTargets([target(1), target(2)]);
  assert.deepEqual(watched.map((w) => [w.ref, w.t, w.lastReturnNs]), [
    [0x10001, { thresholdUs: 30_000, staleUs: 300_000, holddownMs: 3_000 }, 0n],
    [0x10002, { thresholdUs: 30_000, staleUs: 300_000, holddownMs: 3_000 }, 0n],
  ], "not judged by the kernel before its first probe comes back");
  clock.advance(1000);
  const perPath = (ref: number) => net.sent.filter((s) => s.ref === ref);
  assert.ok(Math.abs(perPath(0x10001).length - 100) <= 2, `${perPath(0x10001).length} probes in 1 s`);
  assert.deepEqual(new Set(perPath(0x10002).map((s) => s.to)), new Set(["fc00:0:2::1"]));
  const h = prober.healthOf("path-1")!;
  assert.deepEqual([h.state, h.loss, h.rttMinUs, h.rttAvgUs], ["up", 0, 2000, 2000]);
  prober.stop();
});

test("no return for three intervals: down at once, probed every 100 ms; back: up, with a hold-down that doubles per recent flap", () => {
  const { clock, net, prober, changes, retimed } = setup();
  prober.setTargets([target(1)]);
  clock.advance(200);
  net.setLoss(() => true);
  clock.advance(45);
  assert.deepEqual(changes.map((c) => [c.before, c.h.state]), [["unknown", "up"], ["up", "down"]]);
  const downAt = net.sent.length;
  clock.advance(1000);
  assert.ok(net.sent.length - downAt <= 11, `a down path is probed slowly: ${net.sent.length - downAt} probes in 1 s`);
  net.setLoss(() => false);
  clock.advance(150);
  assert.deepEqual(changes.map((c) => c.h.state), ["up", "down", "up"]);
  assert.equal(retimed.length, 0, "the first flap keeps the base hold-down");
  net.setLoss(() => true);
  clock.advance(100);
  net.setLoss(() => false);
  clock.advance(150);
  assert.deepEqual(changes.map((c) => c.h.state), ["up", "down", "up", "down", "up"]);
  assert.deepEqual(retimed.map((r) => r.t.holddownMs), [6_000], "a second flap within a minute: twice the hold-down");
  prober.stop();
});

test("loss above 5% over the last second: degraded; below again: up", () => {
  const { clock, net, prober, changes } = setup();
  prober.setTargets([target(1)]);
  net.setLoss((_r, seq) => seq % 8 === 0); // 12.5%
  clock.advance(1500);
  assert.equal(prober.healthOf("path-1")!.state, "degraded");
  assert.ok(Math.abs(prober.healthOf("path-1")!.loss - 0.125) < 0.03);
  net.setLoss(() => false);
  clock.advance(1500);
  assert.deepEqual(changes.map((c) => c.h.state), ["up", "degraded", "up"]);
  prober.stop();
});

test("a lossy path whose losses now and then run long enough to be down comes back degraded, not up: only the outage's own run is forgotten", () => {
  const { clock, net, prober, changes } = setup();
  prober.setTargets([target(1)]);
  clock.advance(1500);
  const lossFrom = clock.now();
  // Every 200 ms a run of 5 lost probes (down), and every tenth probe lost besides.
  net.setLoss((_r, seq) => seq % 20 < 5 || seq % 10 === 7);
  clock.advance(3000);
  const states = changes.map((c) => c.h.state);
  assert.ok(states.includes("down"), `the runs took the path down: ${states.join(" ")}`);
  // Once the last second holds the loss, the path is never up between the runs.
  const later = changes.filter((c) => c.h.sinceMs >= lossFrom + 1000).map((c) => c.h.state);
  assert.ok(later.length > 0 && !later.includes("up"), `never up while lossy: ${changes.map((c) => `${c.h.sinceMs}:${c.h.state}`).join(" ")}`);
  assert.ok(later.includes("degraded"), `degraded between the runs: ${states.join(" ")}`);
  prober.stop();
});

test("paths no longer installed stop being probed; probeNow probes at once", () => {
  const { clock, net, prober } = setup();
  prober.setTargets([target(1), target(2)]);
  clock.advance(100);
  prober.setTargets([target(2)]);
  const n = net.sent.filter((s) => s.ref === 0x10001).length;
  clock.advance(100);
  assert.equal(net.sent.filter((s) => s.ref === 0x10001).length, n);
  const before = net.sent.length;
  prober.probeNow(["path-2"]);
  assert.equal(net.sent.length, before + 1);
  assert.equal(net.sent.at(-1)!.at, clock.now());
  prober.stop();
});

test("a path that never answers is down after the start grace, and then the kernel judges it too", () => {
  const { clock, net, prober, watched, changes } = setup();
  net.setLoss(() => true);
  prober.setTargets([target(1)]);
  clock.advance(900);
  assert.equal(prober.healthOf("path-1")!.state, "unknown", "not judged before the grace");
  clock.advance(200);
  assert.deepEqual(changes.map((c) => [c.before, c.h.state]), [["unknown", "down"]]);
  assert.deepEqual(watched.map((w) => w.lastReturnNs), [0n, 1n], "armed with an ancient return: the kernel condemns it once probes go out");
  prober.stop();
});

test("a pause of the prober itself (no probes sent) is no outage: down needs probes out and unanswered for the threshold", () => {
  const { clock, net, prober, changes } = setup();
  prober.setTargets([target(1)]);
  clock.advance(100);
  const k = net.kernel.get(0x10001)!;
  k.lastReturnNs -= 200_000_000n; // as if this process had not run for 200 ms: the last return looks old
  k.firstUnansweredNs = 0n;
  clock.advance(5);
  assert.deepEqual(changes.map((c) => c.h.state), ["up"], "still up");
  prober.stop();
});

test("a probe that comes back with another secret or for an unknown path is ignored", () => {
  const { clock, prober } = setup();
  prober.setTargets([target(1)]);
  clock.advance(100);
  const received = prober.healthOf("path-1")!.received;
  // Probes arrive only through the transport; a foreign payload is just another datagram.
  (prober as unknown as { received(p: Uint8Array): void }).received(new Uint8Array(24));
  assert.equal(prober.healthOf("path-1")!.received, received);
  prober.stop();
});

test("per-path settings: interval, kernel timings, down and loss judgements follow the target's own; the rest keep the prober's", () => {
  const { clock, net, prober, watched, changes } = setup();
  const slow = { ...target(1), settings: { intervalMs: 20, misses: 5, lossThreshold: 0.2, holddownMs: 1_000 } };
  prober.setTargets([slow, target(2)]);
  assert.deepEqual(watched.map((w) => [w.ref, w.t]), [
    [0x10001, { thresholdUs: 100_000, staleUs: 300_000, holddownMs: 1_000 }],
    [0x10002, { thresholdUs: 30_000, staleUs: 300_000, holddownMs: 3_000 }],
  ]);
  clock.advance(1000);
  const sentTo = (ref: number) => net.sent.filter((s) => s.ref === ref).length;
  assert.ok(Math.abs(sentTo(0x10001) - 50) <= 2, `every 20 ms: ${sentTo(0x10001)} probes in 1 s`);
  assert.ok(Math.abs(sentTo(0x10002) - 100) <= 2, `every 10 ms: ${sentTo(0x10002)} probes in 1 s`);
  assert.deepEqual(prober.health().map((h) => [h.key, h.intervalMs, h.misses, h.lossThreshold]), [["path-1", 20, 5, 0.2], ["path-2", 10, 3, 0.05]]);

  net.setLoss((_r, seq) => seq % 8 === 0); // 12.5%: above path-2's 5%, below path-1's 20%
  clock.advance(1500);
  assert.deepEqual([prober.healthOf("path-1")!.state, prober.healthOf("path-2")!.state], ["up", "degraded"]);

  net.setLoss(() => true);
  clock.advance(60);
  assert.deepEqual([prober.healthOf("path-1")!.state, prober.healthOf("path-2")!.state], ["up", "down"], "60 ms silent: past 3 x 10 ms, not 5 x 20 ms");
  clock.advance(100);
  assert.equal(prober.healthOf("path-1")!.state, "down", "160 ms silent: past 5 x 20 ms");
  assert.ok(changes.some((c) => c.h.key === "path-1" && c.h.state === "down"));
  prober.stop();
});

test("a target whose settings change: the kernel is retimed and the next probes follow the new interval; unchanged settings touch nothing", () => {
  const { clock, net, prober, retimed } = setup();
  prober.setTargets([target(1)]);
  clock.advance(500);
  prober.setTargets([target(1)]);
  assert.equal(retimed.length, 0, "same settings: no retiming");
  prober.setTargets([{ ...target(1), settings: { intervalMs: 5, misses: 2, holddownMs: 8_000 } }]);
  assert.deepEqual(retimed.map((r) => [r.ref, r.t]), [[0x10001, { thresholdUs: 10_000, staleUs: 300_000, holddownMs: 8_000 }]]);
  const before = net.sent.length;
  clock.advance(1000);
  assert.ok(Math.abs(net.sent.length - before - 200) <= 3, `every 5 ms now: ${net.sent.length - before} probes in 1 s`);
  assert.deepEqual([prober.healthOf("path-1")!.intervalMs, prober.healthOf("path-1")!.misses, prober.healthOf("path-1")!.holddownMs], [5, 2, 8_000]);
  assert.equal(prober.healthOf("path-1")!.state, "up", "the path keeps its state and its stream");
  prober.setTargets([target(1)]);
  assert.deepEqual(retimed.at(-1)!.t, { thresholdUs: 30_000, staleUs: 300_000, holddownMs: 3_000 }, "back to the prober's own");
  prober.stop();
});

test("a path probed less often than the down interval is not probed faster once it is down", () => {
  const { clock, net, prober } = setup();
  prober.setTargets([{ ...target(1), settings: { intervalMs: 500, misses: 2 } }]);
  clock.advance(2000);
  net.setLoss(() => true);
  clock.advance(2500);
  assert.equal(prober.healthOf("path-1")!.state, "down");
  const downAt = net.sent.length;
  clock.advance(2000);
  assert.ok(net.sent.length - downAt <= 5, `every 500 ms, not every 100 ms: ${net.sent.length - downAt} probes in 2 s`);
  prober.stop();
});

test("hold-downs: an intent's base above the prober's cap is kept as it is; one below it doubles per flap up to the cap", () => {
  const flapTwice = (holddownMs: number) => {
    const { clock, net, prober, watched, retimed } = setup();
    prober.setTargets([{ ...target(1), settings: { holddownMs } }]);
    for (let i = 0; i < 2; i++) {
      clock.advance(200);
      net.setLoss(() => true);
      clock.advance(100);
      net.setLoss(() => false);
    }
    clock.advance(200);
    const now = prober.healthOf("path-1")!.holddownMs;
    prober.stop();
    return { first: watched[0]!.t.holddownMs, retimed: retimed.map((r) => r.t.holddownMs), now };
  };
  assert.deepEqual(flapTwice(100_000), { first: 100_000, retimed: [], now: 100_000 }, "above maxHolddownMs (60 s): never cut to it");
  assert.deepEqual(flapTwice(40_000), { first: 40_000, retimed: [60_000], now: 60_000 }, "the second flap doubles it, up to the cap");
});
