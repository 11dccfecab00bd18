// End to end: lab faults (link and router down, silent drop, partial loss, heal) on one real lab, and
// the sink's measurements of them. Needs root, FRR (Debian's frr), ping (iputils-ping), tc (iproute2).
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { dx4, endX } from "../core/testing.js";
import { runLabTraffic, startLabSink, startLabTraffic } from "../demo/lab-streams.js";
import type { SinkReport } from "../demo/sink-report.js";
import { healFault, injectFault, listFaults } from "./faults.js";
import { labDown, labUp } from "./lab.js";
import { interfaceName } from "./naming.js";
import { ipIn, ipInSync, listNamespaces, readLinks, setSysctls } from "./netns.js";
import { FRR_DIR, isLabNamespace, nsName } from "./paths.js";
import { buildPlan } from "./plan.js";
import { processAlive } from "./procs.js";
import { routerDaemonsAlive } from "./routing.js";
import { run } from "./run.js";
import { labStatus } from "./status.js";
import { readState } from "./state.js";
import { labSpecSkip, ping, rxPackets, squareTopology } from "./testing.js";

const square = squareTopology(); // IGP path r1 > r2 > r4; r1 > r3 > r4 costs more
const plan = buildPlan(square);
const H2 = "2001:db8:4::10";
const H1 = "2001:db8:1::10";
const H2_V4 = "10.0.4.10";
const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const router = (name: string) => square.routers.find((r) => r.name === name)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const adminUp = (node: string, ifname: string) => readLinks(nsName(node)).find((l) => l.ifname === ifname)?.flags.includes("UP") ?? false;

/** Global addresses on an interface, "addr/len", sorted. */
function addresses(node: string, ifname: string): string[] {
  const j = JSON.parse(ipInSync(nsName(node), ["-j", "addr", "show", "dev", ifname])) as Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>;
  return j.flatMap((l) => l.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`)).sort();
}

async function routeTo(node: string, prefix: string): Promise<string> {
  return (await ipIn(nsName(node), ["-6", "route", "show", prefix])).stdout.trim();
}

/** The router's IS-IS routes in the kernel, both families. */
async function isisRoutes(node: string): Promise<string> {
  const v6 = (await ipIn(nsName(node), ["-6", "route", "show", "proto", "isis"])).stdout;
  const v4 = (await ipIn(nsName(node), ["-4", "route", "show", "proto", "isis"])).stdout;
  return `${v6}${v4}`;
}

interface Adjacency {
  state: string;
  flaps: number;
  /** Seconds since the adjacency last changed state. */
  stableS: number;
}

/** The router's IS-IS adjacencies, from isisd itself (`show isis neighbor detail`). */
async function isisAdjacencies(node: string): Promise<Record<string, Adjacency>> {
  const { stdout } = await run("vtysh", ["--vty_socket", `${FRR_DIR}/${node}`, "-c", "show isis neighbor detail"]);
  const out: Record<string, Adjacency> = {};
  for (const m of stdout.matchAll(/^ (\S+)\s*\n\s+Interface: .*State: (\w+).*\n\s+Adjacency flaps: (\d+), Last: (\S+) ago/gm)) {
    const seconds = [...m[4]!.matchAll(/(\d+)([dhms])/g)].reduce((n, [, v, u]) => n + Number(v) * { d: 86400, h: 3600, m: 60, s: 1 }[u as "d" | "h" | "m" | "s"], 0);
    out[m[1]!] = { state: m[2]!, flaps: Number(m[3]), stableS: seconds };
  }
  return out;
}
const states = (adj: Record<string, Adjacency>) => Object.fromEntries(Object.entries(adj).map(([n, a]) => [n, a.state]));

/** A stream from one host to another, and what the sink saw. */
async function stream(o: { from: string; to: string; address: string; port: number; count: number; rate: number; durationMs?: number }): Promise<SinkReport> {
  const sink = await startLabSink({ node: o.to, port: o.port, graceMs: 300, timeoutMs: 30_000, ...(o.durationMs ? { durationMs: o.durationMs } : {}) });
  try {
    await runLabTraffic({ node: o.from, to: o.address, port: o.port, count: o.count, rate: o.rate });
    return await sink.report;
  } finally {
    sink.stop();
  }
}

const cli = promisify(execFile);
async function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await cli(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Steers h1's traffic to h2 over the End.X SID of r1 towards r3 with the kernel's own seg6 encap: IPv6 inline, IPv4 encapsulated to r4's End.DX4. */
async function steerOverR1R3(): Promise<void> {
  const r1r3 = endX(square, "r1", "r3");
  await ipIn(nsName("h1"), ["-6", "route", "replace", `${H2}/128`, "encap", "seg6", "mode", "inline", "segs", r1r3, "dev", "eth0"]);
  await ipIn(nsName("h1"), ["-4", "route", "replace", `${H2_V4}/32`, "encap", "seg6", "mode", "encap", "segs", `${r1r3},${dx4(square, "h2")}`, "dev", "eth0"]);
}
async function unsteer(): Promise<void> {
  await ipIn(nsName("h1"), ["-6", "route", "del", `${H2}/128`]).catch(() => undefined);
  await ipIn(nsName("h1"), ["-4", "route", "del", `${H2_V4}/32`]).catch(() => undefined);
}

const r3FromR1 = interfaceName(square, "r3", "r1");
const r2FromR1 = interfaceName(square, "r2", "r1");
/** Echo requests from h1 that r3 received from r1 (IS-IS hellos add about one a second). */
async function pingsAcrossR1R3(address: string, n: number): Promise<{ replies: number; crossed: number }> {
  const before = rxPackets("r3", r3FromR1);
  const replies = await ping("h1", address, n);
  return { replies, crossed: rxPackets("r3", r3FromR1) - before };
}

describe("lab faults", { skip: labSpecSkip(), concurrency: false }, () => {
  before(async () => {
    await labUp(square);
    // h2 accepts packets that still carry an SRH (inline steering), as the agent would have it.
    await setSysctls(nsName("h2"), ["net.ipv6.conf.all.seg6_enabled=1", "net.ipv6.conf.eth0.seg6_enabled=1"]);
  });

  // A test that failed half-way leaves no fault to the next one.
  afterEach(async () => {
    if (listFaults().length) await healFault({ all: true }, { waitMs: 30_000 });
  });

  after(async () => {
    await labDown().catch((err: unknown) => console.error("cleanup failed:", err));
  });

  test("a flapped link keeps its addresses, gets its End.X SIDs back on heal, and carries steered traffic again", async () => {
    const r1If = interfaceName(square, "r1", "r3");
    const sids = { r1: endX(square, "r1", "r3"), r3: endX(square, "r3", "r1") };
    const addrs = { r1: addresses("r1", r1If), r3: addresses("r3", r3FromR1) };
    assert.equal(addrs.r1.length, 2, `IPv6 and IPv4 on r1/${r1If}: ${addrs.r1.join(", ")}`);
    await steerOverR1R3();
    try {
      for (const to of [H2, H2_V4]) {
        const p = await pingsAcrossR1R3(to, 30);
        assert.ok(p.replies === 30 && p.crossed >= 30, `before the fault, steered to ${to}: ${JSON.stringify(p)}`);
      }

      const r = await injectFault({ kind: "down", target: "r3-r1" });
      assert.equal(r.fault.name, "r1-r3");
      assert.equal(adminUp("r1", r1If) || adminUp("r3", r3FromR1), false, "both ends are down");
      assert.deepEqual({ r1: addresses("r1", r1If), r3: addresses("r3", r3FromR1) }, addrs, "addresses stay while the link is down");
      assert.equal(await routeTo("r1", `${sids.r1}/128`), "", "the kernel deleted End.X with its link");
      assert.equal((await pingsAcrossR1R3(H2, 5)).replies, 0, "steered traffic has no way while the link is down");

      const healed = await healFault("r1-r3");
      assert.deepEqual(healed.healed.map((f) => f.name), ["r1-r3"]);
      assert.deepEqual({ r1: addresses("r1", r1If), r3: addresses("r3", r3FromR1) }, addrs);
      assert.match(await routeTo("r1", `${sids.r1}/128`), /seg6local action End\.X nh6 \S+ dev r3/);
      assert.match(await routeTo("r3", `${sids.r3}/128`), /seg6local action End\.X nh6 \S+ dev r1/);
      for (const to of [H2, H2_V4]) {
        const p = await pingsAcrossR1R3(to, 30);
        assert.ok(p.replies === 30 && p.crossed >= 30, `after heal, steered to ${to}: ${JSON.stringify(p)}`);
      }
    } finally {
      await unsteer();
    }
  });

  test("a link flapped by hand is put back by heal, fault or not", async () => {
    const sid = endX(square, "r1", "r3");
    for (const [node, ifname] of [["r1", interfaceName(square, "r1", "r3")], ["r3", r3FromR1]] as const) await ipIn(nsName(node), ["link", "set", "dev", ifname, "down"]);
    for (const [node, ifname] of [["r1", interfaceName(square, "r1", "r3")], ["r3", r3FromR1]] as const) await ipIn(nsName(node), ["link", "set", "dev", ifname, "up"]);
    assert.equal(await routeTo("r1", `${sid}/128`), "", "nothing reinstalls End.X by itself");
    const r = await healFault("r1-r3");
    assert.deepEqual(r.healed, []);
    assert.match(await routeTo("r1", `${sid}/128`), /End\.X/);
  });

  test("link down moves unsteered traffic off the link (IS-IS reroutes), heal moves it back", async () => {
    const N = 30;
    await injectFault({ kind: "down", target: "r1-r2" });
    await eventually("IS-IS reroutes h1 > h2 around r1-r2", async () => (await ping("h1", H2, 1)) === 1);
    const before = { r2: rxPackets("r2", r2FromR1), r3: rxPackets("r3", r3FromR1) };
    assert.equal(await ping("h1", H2, N), N);
    assert.ok(rxPackets("r3", r3FromR1) - before.r3 >= N, "via r3 while r1-r2 is down");
    assert.equal(rxPackets("r2", r2FromR1), before.r2, "nothing crosses a link that is down");
    await healFault("r1-r2", { waitMs: 30_000 });
    await eventually("IS-IS takes r1-r2 again", async () => (await routeTo("r1", "fc00:0:4::/48")).includes("dev r2"));
    const again = rxPackets("r2", r2FromR1);
    assert.equal(await ping("h1", H2, N), N);
    assert.ok(rxPackets("r2", r2FromR1) - again >= N, "back on r1-r2");
  });

  test("drop loses every data packet in one direction only while IS-IS keeps its adjacency and routes", async () => {
    await eventually("IS-IS adjacency r1-r2 up", async () => (await isisAdjacencies("r1"))["r2"]?.state === "Up");
    const routesBefore = { r1: await isisRoutes("r1"), r2: await isisRoutes("r2") };
    const flapsBefore = (await isisAdjacencies("r1"))["r2"]!.flaps;
    await injectFault({ kind: "drop", target: "r1-r2", direction: "r1-r2" });
    // 4 s of traffic: longer than IS-IS's 3 s hold time, so a lost hello would have cost the adjacency.
    const [forward, back] = await Promise.all([
      stream({ from: "h1", to: "h2", address: H2, port: 7001, count: 2000, rate: 500, durationMs: 4500 }),
      // Until its last datagram is in (a fixed duration would cut it short when the sender starts late).
      stream({ from: "h2", to: "h1", address: H1, port: 7002, count: 2000, rate: 500 }),
    ]);
    assert.equal(forward.received, 0, `h1 > h2 crosses r1 > r2: ${JSON.stringify(forward)}`);
    assert.equal(back.received, 2000, "h2 > h1 crosses r2 > r1, which is not dropped");
    assert.equal(back.lost, 0);
    assert.equal(await ping("h1", H2, 3), 0, "ICMPv6 echo is dropped too");
    const r1 = await isisAdjacencies("r1");
    assert.deepEqual(states(r1), { r2: "Up", r3: "Up" });
    assert.deepEqual(states(await isisAdjacencies("r2")), { r1: "Up", r4: "Up" });
    assert.equal(r1["r2"]!.flaps, flapsBefore, "the adjacency never went down");
    assert.ok(r1["r2"]!.stableS >= 4, `and has not changed for ${r1["r2"]!.stableS} s`);
    assert.deepEqual({ r1: await isisRoutes("r1"), r2: await isisRoutes("r2") }, routesBefore, "IS-IS saw nothing");
    const dropped = labStatus()!.faults[0]!.dropped!;
    assert.equal(dropped.length, 1);
    assert.ok(dropped[0]!.from === "r1" && dropped[0]!.to === "r2" && dropped[0]!.packets! >= 2003, JSON.stringify(dropped));
    await healFault("r1-r2");
    assert.equal(await ping("h1", H2, 3), 3);
  });

  test("loss drops about the given share of data packets, IS-IS unaffected", async () => {
    const routesBefore = await isisRoutes("r1");
    await injectFault({ kind: "loss", target: "r2-r1", percent: 30 });
    try {
      const r = await stream({ from: "h1", to: "h2", address: H2, port: 7003, count: 2000, rate: 1000 });
      // 30% of 2000 has a standard deviation of 20 packets: ±200 is ten of them.
      assert.ok(r.lost >= 400 && r.lost <= 800, `lost ${r.lost} of ${r.expected}`);
      assert.equal(r.expected, 2000);
      assert.equal(r.duplicates + r.reordered, 0);
      assert.deepEqual(states(await isisAdjacencies("r1")), { r2: "Up", r3: "Up" });
      assert.equal(await isisRoutes("r1"), routesBefore);
    } finally {
      await healFault("r1-r2");
    }
  });

  test("router down: its daemons die, its links go down, traffic goes around it; heal brings it back as after a reboot", async () => {
    const oldPids = readState()!.processes.filter((p) => p.node === "r2").map((p) => p.pid!);
    await injectFault({ kind: "down", target: "r2" });
    assert.equal(routerDaemonsAlive("r2"), false);
    assert.ok(oldPids.every((pid) => !processAlive(pid)), "zebra and isisd of r2 are gone");
    for (const l of plan.links.filter((x) => x.a.node === "r2" || x.b.node === "r2")) {
      assert.equal(adminUp(l.a.node, l.a.ifname) || adminUp(l.b.node, l.b.ifname), false, `${l.id} is down at both ends`);
    }
    assert.ok(labStatus()!.processes.filter((p) => p.node === "r2").every((p) => p.stoppedByFault && !p.alive));
    await eventually("r1 forgets r2's locator", async () => (await routeTo("r1", "fc00:0:2::/48")) === "");
    await eventually("h1 reaches h2 around r2", async () => (await ping("h1", H2, 1)) === 1);

    const r = await healFault("r2", { waitMs: 30_000 });
    assert.deepEqual(r.healed.map((f) => `${f.kind} ${f.name}`), ["down r2"]);
    assert.ok(routerDaemonsAlive("r2"));
    const fresh = readState()!.processes.filter((p) => p.node === "r2");
    assert.equal(fresh.length, 2, "restarted daemons reuse their records");
    assert.ok(fresh.every((p) => !oldPids.includes(p.pid!)));
    assert.match(await routeTo("r1", "fc00:0:2::/48"), /proto isis/);
    for (const sid of plan.routers.find((x) => x.name === "r2")!.sids) assert.match(await routeTo("r2", `${sid.sid}/128`), new RegExp(`action ${sid.behavior} `));
  });

  test("heal --all removes every fault and puts every link, filter, SID and daemon back", async () => {
    await injectFault({ kind: "down", target: "r3" });
    await injectFault({ kind: "drop", target: "r1-r2", direction: "b-a" });
    await injectFault({ kind: "loss", target: "r2-r4", percent: 50 });
    assert.equal(listFaults().length, 3);
    const r = await healFault({ all: true }, { waitMs: 30_000 });
    assert.equal(r.healed.length, 3);
    assert.deepEqual(listFaults(), []);
    for (const rt of plan.routers) {
      assert.ok(routerDaemonsAlive(rt.name), `${rt.name}'s daemons`);
      for (const itf of rt.interfaces) {
        assert.ok(adminUp(rt.name, itf.name), `${rt.name}/${itf.name} up`);
        const { stdout } = await run("tc", ["-n", rt.ns, "qdisc", "show", "dev", itf.name]);
        assert.doesNotMatch(stdout, /clsact/, `no filter left on ${rt.name}/${itf.name}`);
      }
      for (const sid of rt.sids) assert.match(await routeTo(rt.name, `${sid.sid}/128`), /seg6local/, `${rt.name} ${sid.behavior} ${sid.sid}`);
    }
    assert.equal(await ping("h1", H2, 3), 3);
  });

  test("cairn lab fault: faults in status (human and JSON), replacement said, bad names with the nearest ones", async () => {
    const loss = await cairn(["lab", "fault", "loss", "r2-r1", "25%", "--direction", "a-b", "--json"]);
    assert.equal(loss.code, 0, loss.stderr);
    assert.deepEqual(JSON.parse(loss.stdout).fault, { ...JSON.parse(loss.stdout).fault, kind: "loss", name: "r1-r2", direction: "b-a", percent: 25 });
    const drop = await cairn(["lab", "fault", "drop", "r1-r2"]);
    assert.match(drop.stderr, /^drop on link r1-r2 \(both ways\) \(replaces 25% loss on link r1-r2 \(r2 to r1\), in force since \S+\)/);
    assert.equal((await cairn(["lab", "fault", "down", "r4"])).code, 0);
    const status = await cairn(["lab", "status"]);
    assert.match(status.stdout, /^drop +link r1-r2 +both +100% of data +\S+ +r1>r2 \d+, r2>r1 \d+$/m);
    assert.match(status.stdout, /^down +router r4 +- +all /m);
    assert.match(status.stdout, /^r2-r4 +core .* DOWN \(fault: router r4 down\)$/m);
    assert.match(status.stdout, /^isisd +r4 +\d+ +stopped \(r4 down\)$/m);
    const json = JSON.parse((await cairn(["lab", "status", "--json"])).stdout) as { faults: Array<{ kind: string; name: string }> };
    assert.deepEqual(json.faults.map((f) => `${f.kind} ${f.name}`), ["drop r1-r2", "down r4"]);

    const bad = await cairn(["lab", "fault", "down", "r1-r5"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), `cairn: no router or link between routers named "r1-r5" in the lab; did you mean "r1-r2" or "r1-r3"?`);
    assert.equal((await cairn(["lab", "fault", "loss", "r1-r2", "0"])).code, 2);
    assert.equal((await cairn(["lab", "fault", "heal"])).code, 2);
    const healed = await cairn(["lab", "fault", "heal", "--all", "--wait", "--json"]);
    assert.equal(healed.code, 0, healed.stderr);
    assert.equal(JSON.parse(healed.stdout).healed.length, 2);
    assert.ok(JSON.parse(healed.stdout).convergedAfterMs >= 0);
    assert.equal((await cairn(["lab", "fault", "list"])).stdout.trim(), "no faults in force");
  });

  test("the sink measures a pause of the sender as a gap with nothing lost", async () => {
    const sink = await startLabSink({ node: "h2", port: 7004, graceMs: 300 });
    try {
      const sender = startLabTraffic({ node: "h1", to: H2, port: 7004, count: 2000, rate: 1000 });
      await sleep(700);
      sender.pause();
      await sleep(300);
      sender.resume();
      assert.equal((await sender.done).sent, 2000);
      const r = await sink.report;
      assert.deepEqual([r.received, r.lost, r.duplicates, r.longestGapMissing], [2000, 0, 0, 0]);
      assert.ok(r.longestGapMs >= 280 && r.longestGapMs <= 500, `longest gap ${r.longestGapMs} ms for a 300 ms pause`);
      assert.equal(r.stoppedBy, "last-datagram");
    } finally {
      sink.stop();
    }
  });

  test("the sink measures a link down under steered traffic: one gap as long as the outage, holding every loss", async () => {
    await steerOverR1R3();
    const sink = await startLabSink({ node: "h2", port: 7005, graceMs: 300 });
    try {
      const sender = startLabTraffic({ node: "h1", to: H2, port: 7005, count: 2500, rate: 1000 });
      await sleep(700);
      const downAt = Date.now();
      await injectFault({ kind: "down", target: "r1-r3" });
      await sleep(400);
      await healFault("r1-r3");
      const outageMs = Date.now() - downAt;
      await sender.done;
      const r = await sink.report;
      assert.ok(r.longestGapMs >= 380 && r.longestGapMs <= outageMs + 300, `gap ${r.longestGapMs} ms for an outage of ${outageMs} ms`);
      assert.equal(r.lost, r.longestGapMissing, "every loss is in that gap");
      assert.ok(r.lost >= 300, `lost ${r.lost}`);
      assert.equal(r.received + r.lost, 2500);
    } finally {
      sink.stop();
      await unsteer();
    }
  });

  test("lab down removes faults with everything else: killed daemons, filters, downed links", async () => {
    await injectFault({ kind: "down", target: "r2" });
    await injectFault({ kind: "drop", target: "r1-r3" });
    const recorded = readState()!.processes;
    await labDown();
    assert.deepEqual(listNamespaces().filter(isLabNamespace), []);
    assert.equal(readState(), null);
    assert.deepEqual(listFaults(), []);
    assert.deepEqual(recorded.filter((p) => p.pid !== null && processAlive(p.pid, p.startTime)).map((p) => `${p.role} ${p.node}`), []);
    assert.deepEqual(recorded.flatMap((p) => (p.tmpDir && existsSync(p.tmpDir) ? [p.tmpDir] : [])), [], "FRR's /var/tmp/frr dirs");
  });
});
