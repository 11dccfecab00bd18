// End-to-end: builds real labs (namespaces, veths, FRR IS-IS, SRv6 SIDs), sends traffic, tears down.
// Needs root, FRR (Debian's frr package) and ping (iputils-ping).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Topology } from "../core/model.js";
import { endX } from "../core/testing.js";
import { withSids } from "../core/sids.js";
import { labDown, labExists, labUp } from "./lab.js";
import { labExec, labExecCapture } from "./exec.js";
import { labStatus } from "./status.js";
import { appCgroupDir, cairnCgroupRoot, ensureCgroupPath } from "./cgroups.js";
import { missingIsisRoutes } from "./converge.js";
import { CONTROLLER_ADDRESS, LAB_DNS_SERVER } from "./endpoint.js";
import { ROOT_MGMT_LINK, mgmtHostAddress } from "./mgmt.js";
import { interfaceName } from "./naming.js";
import { ipIn, linkExists, listNamespaces, readRoutes6 } from "./netns.js";
import { LAB_DIR, isLabNamespace, nsName, nsPath } from "./paths.js";
import { buildPlan } from "./plan.js";
import { processAlive, spawnInNamespace } from "./procs.js";
import { newState, readState, writeState } from "./state.js";
import { run } from "./run.js";
import { labSpecSkip, link, ping, rxPackets, squareTopology } from "./testing.js";

const square: Topology = squareTopology();

/** A ring of six routers with one chord, three hosts. */
const ring6: Topology = withSids({
  routers: [1, 2, 3, 4, 5, 6].map((i) => ({ name: `r${i}`, locator: `fc00:0:${i}::/48` })),
  hosts: [
    { name: "h1", router: "r1", address: "2001:db8:1::10", prefixLen: 64 },
    { name: "h3", router: "r3", address: "2001:db8:3::10", prefixLen: 64 },
    { name: "h5", router: "r5", address: "2001:db8:5::10", prefixLen: 64 },
  ],
  links: [link("r1", "r2", 10), link("r2", "r3", 10), link("r3", "r4", 10), link("r4", "r5", 10), link("r5", "r6", 10), link("r6", "r1", 10), link("r2", "r5", 30)],
  services: [],
});

function hasBinary(path: string): boolean {
  return ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].some((d) => existsSync(join(d, path)));
}

const skip = labSpecSkip();

/** Live (non-zombie) processes whose command name is one of `names`. */
function livePids(names: string[]): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const comm = readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (names.includes(comm) && processAlive(Number(e))) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}
const liveFrrPids = () => livePids(["zebra", "isisd"]);
const liveDnsmasqPids = () => livePids(["dnsmasq"]);
let dnsmasqBefore: number[] = [];

let frrBefore: number[] = [];

function assertNothingLeft(): void {
  assert.deepEqual(listNamespaces().filter(isLabNamespace), [], "lab namespaces left");
  const frr = liveFrrPids().filter((p) => !frrBefore.includes(p));
  assert.deepEqual(frr, [], "FRR daemons left");
  assert.deepEqual(liveDnsmasqPids().filter((p) => !dnsmasqBefore.includes(p)), [], "dnsmasq left");
  assert.ok(!existsSync(cairnCgroupRoot()), `${cairnCgroupRoot()} left`);
  assert.ok(!existsSync(LAB_DIR), `${LAB_DIR} left`);
  assert.ok(!linkExists(null, ROOT_MGMT_LINK), `${ROOT_MGMT_LINK} link left`);
  assert.equal(labExists(), false);
}

const rx = rxPackets;

describe("lab end to end", { skip, concurrency: false }, () => {
  before(() => {
    assert.ok(hasBinary("ping"), "ping is missing: apt-get install iputils-ping");
    frrBefore = liveFrrPids();
    dnsmasqBefore = liveDnsmasqPids();
  });

  after(async () => {
    // Always leave the machine clean, whatever failed.
    await labDown().catch((err: unknown) => console.error("cleanup failed:", err));
  });

  test("labUp builds a 4-router lab and waits until IS-IS has converged", async (t) => {
    const msgs: string[] = [];
    const state = await labUp(square, { onProgress: (m) => msgs.push(m) });
    t.diagnostic(`4 routers: IS-IS converged ${state.convergedAfterMs} ms after FRR started; labUp took ${state.upAfterMs} ms`);
    assert.equal(state.phase, "up");
    assert.ok(msgs.some((m) => /converged/.test(m)), msgs.join("\n"));
    assert.equal((await missingIsisRoutes(buildPlan(square))).size, 0);
    for (const r of square.routers) {
      const routes = await readRoutes6(nsName(r.name));
      for (const other of square.routers.filter((o) => o.name !== r.name)) {
        assert.ok(routes.some((rt) => rt.dst === other.locator && rt.protocol === "isis"), `${r.name} lacks ${other.locator} via isis`);
      }
      // seg6local SIDs installed where core/addressing says.
      const { stdout } = await ipIn(nsName(r.name), ["-6", "route", "show", `${r.sid}/128`]);
      assert.match(stdout, /seg6local action End /);
    }
  });

  test("labUp refuses while a lab is up, and leaves it alone", async () => {
    await assert.rejects(labUp(square), /a lab is already up; run `cairn lab down` first/);
    assert.ok(existsSync(nsPath(nsName("r1"))));
    assert.equal(labStatus()?.phase, "up");
  });

  test("labStatus reports nodes, links up and live FRR daemons", () => {
    const s = labStatus();
    assert.ok(s);
    assert.deepEqual(s.nodes.map((n) => n.name).sort(), ["h1", "h2", "r1", "r2", "r3", "r4"]);
    assert.ok(s.nodes.every((n) => n.exists));
    assert.equal(s.links.filter((l) => l.kind === "core").length, 4);
    assert.ok(s.links.every((l) => l.up), JSON.stringify(s.links.filter((l) => !l.up)));
    const frr = s.processes.filter((p) => p.role === "zebra" || p.role === "isisd");
    assert.equal(frr.length, 8);
    assert.ok(frr.every((p) => p.alive && p.pid !== null));
    assert.deepEqual(s.controller, { address: CONTROLLER_ADDRESS, port: 50051 });
    assert.ok(s.processes.some((p) => p.role === "dnsmasq" && p.alive));
    assert.deepEqual(s.dns, { server: LAB_DNS_SERVER, running: true, ttlS: 1, records: [] });
    assert.deepEqual(s.nodes.filter((n) => n.kind === "host").map((n) => n.address4), ["10.0.1.10/24", "10.0.4.10/24"]);
    const core = s.links.find((l) => l.id === "r1-r2")!;
    assert.deepEqual([core.mtu, core.a.mtu, core.b.mtu, core.a.address4, core.b.address4], [1500, 1500, 1500, "172.31.0.0/31", "172.31.0.1/31"]);
    assert.deepEqual(s.containers, []);
  });

  test("hosts reach each other over IS-IS, and the management network works", async () => {
    assert.equal(await ping("h1", "2001:db8:4::10", 3, 0.2), 3);
    assert.equal(await ping("h2", "2001:db8:1::10", 3, 0.2), 3);
    // Host -> controller address in the root namespace, and root -> host.
    assert.equal(await ping("h1", CONTROLLER_ADDRESS, 1), 1);
    const { stdout } = await run("ping", ["-6", "-c", "1", "-W", "1", mgmtHostAddress(1)]);
    assert.match(stdout, /1 received/);
    // Hosts route only the management prefix via mgmt0; the default route stays on the uplink.
    const routes = await readRoutes6(nsName("h1"));
    const viaMgmt = routes.filter((r) => r.dev === "mgmt0" && !r.dst.startsWith("fe80"));
    assert.deepEqual(viaMgmt.map((r) => r.dst), ["fd00:ca:fe::/64"]);
    assert.equal(routes.find((r) => r.dst === "default")?.dev, "eth0");
  });

  test("SRv6: End and End.X SIDs steer traffic off the IGP's shortest path", async () => {
    const N = 60;
    const h2 = "2001:db8:4::10";
    // Receivers accept SRHs only with seg6_enabled (in the product the agent sets this).
    for (const h of ["h1", "h2"]) {
      await run("nsenter", [`--net=${nsPath(nsName(h))}`, "--", "sysctl", "-q", "-w", "net.ipv6.conf.all.seg6_enabled=1", "net.ipv6.conf.eth0.seg6_enabled=1"]);
    }
    const r2FromR1 = interfaceName(square, "r2", "r1");
    const r3FromR1 = interfaceName(square, "r3", "r1");
    const r4FromR3 = interfaceName(square, "r4", "r3");
    const measure = async () => {
      const before = { r2: rx("r2", r2FromR1), r3: rx("r3", r3FromR1), r4: rx("r4", r4FromR3) };
      assert.equal(await ping("h1", h2, N), N);
      return { r2: rx("r2", r2FromR1) - before.r2, r3: rx("r3", r3FromR1) - before.r3, r4: rx("r4", r4FromR3) - before.r4 };
    };
    // IS-IS hellos (1/s) also show up in the counters, hence "< N / 2" rather than "== 0".
    const plain = await measure();
    assert.ok(plain.r2 >= N && plain.r3 < N / 2, `without SRH the IGP path is r1-r2-r4: ${JSON.stringify(plain)}`);

    const steer = (segs: string[]) =>
      ipIn(nsName("h1"), ["-6", "route", "replace", `${h2}/128`, "encap", "seg6", "mode", "inline", "segs", segs.join(","), "dev", "eth0"]);

    await steer([square.routers[2]!.sid]);
    const viaEnd = await measure();
    assert.ok(viaEnd.r3 >= N && viaEnd.r2 < N / 2, `End SID of r3: ${JSON.stringify(viaEnd)}`);

    await steer([endX(square, "r1", "r3")]);
    const viaEndX = await measure();
    assert.ok(viaEndX.r3 >= N && viaEndX.r2 < N / 2, `End.X SID r1->r3: ${JSON.stringify(viaEndX)}`);

    await steer([endX(square, "r1", "r3"), endX(square, "r3", "r4")]);
    const twoSids = await measure();
    assert.ok(twoSids.r3 >= N && twoSids.r4 >= N && twoSids.r2 < N / 2, `End.X r1->r3, End.X r3->r4: ${JSON.stringify(twoSids)}`);

    await ipIn(nsName("h1"), ["-6", "route", "del", `${h2}/128`]);
  });

  test("labExec runs in the node's namespace and, with an app, in its cgroup", async () => {
    const r = await labExecCapture("h1", { app: "web", command: ["sh", "-c", "cat /proc/self/cgroup; readlink /proc/self/ns/net"] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0::\/cairn\/apps\/web$/m);
    const hostNetns = (await run("readlink", [`/proc/self/ns/net`])).stdout.trim();
    assert.ok(!r.stdout.includes(hostNetns), "ran in the root namespace");
    assert.ok(existsSync(join(appCgroupDir("web"), "cgroup.procs")));
    assert.equal(await labExec("h2", { command: ["sh", "-c", "exit 3"], stdio: "ignore" }), 3);
    assert.equal(await labExec("h2", { app: "web", command: ["true"], stdio: "ignore" }), 0);
    await assert.rejects(labExec("nope", { command: ["true"] }), /no lab node nope/);
  });

  test("spawnInNamespace starts a recorded daemon with its log file", async () => {
    const p = spawnInNamespace(nsName("h2"), ["sh", "-c", "echo agent started; exec sleep 600"], { role: "agent" });
    assert.ok(p.pid && processAlive(p.pid, p.startTime));
    const s = labStatus()!;
    assert.ok(s.processes.some((q) => q.role === "agent" && q.node === "h2" && q.alive));
    for (let i = 0; i < 50 && !existsSync(p.logFile!); i++) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 50 && !readFileSync(p.logFile!, "utf8").includes("agent started"); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(readFileSync(p.logFile!, "utf8"), /agent started/);
    // A long-lived process inside an app cgroup, to check labDown empties the cgroup.
    spawnInNamespace(nsName("h1"), ["sleep", "600"], { role: "app", cgroupDir: appCgroupDir("web") });
  });

  test("labDown removes everything, and is idempotent", async () => {
    const agent = labStatus()!.processes.find((p) => p.role === "agent")!;
    const frrTmpDirs = (readState()?.processes ?? []).flatMap((p) => (p.tmpDir ? [p.tmpDir] : []));
    assert.equal(frrTmpDirs.length, 8, "every FRR daemon's /var/tmp/frr dir is recorded");
    const { removed } = await labDown();
    assert.deepEqual(frrTmpDirs.filter((d) => existsSync(d)), [], "FRR's /var/tmp/frr dirs left");
    assert.ok(removed.includes("netns cairn-r1"), removed.join("\n"));
    assert.ok(removed.includes(`link ${ROOT_MGMT_LINK}`));
    assertNothingLeft();
    assert.equal(processAlive(agent.pid!), false);
    assert.deepEqual((await labDown()).removed, []);
  });

  test("labUp that fails midway tears down what it built", async () => {
    await assert.rejects(labUp(square, { convergenceTimeoutMs: 1 }), /lab up failed: IS-IS did not converge within 1 ms: r1 lacks fc00:0:2::\/48 \(locator of r2\)/);
    assertNothingLeft();
  });

  test("labDown cleans up after a crashed labUp (state file + leftovers)", async () => {
    // What a crash could leave: namespaces (one recorded, one not), processes in them and in the root
    // namespace, a root link, an app cgroup and a nested cgroup elsewhere (recorded by lab exec --cgroup)
    // with processes in them, the runtime dir.
    await run("ip", ["netns", "add", "cairn-crash1"]);
    await run("ip", ["netns", "add", "cairn-crash2"]);
    await run("ip", ["link", "add", ROOT_MGMT_LINK, "type", "veth", "peer", "name", "x", "netns", "cairn-crash1"]);
    const state = newState(square);
    state.namespaces.push("cairn-crash1");
    state.rootLinks.push(ROOT_MGMT_LINK);
    writeState(state);
    const inNs1 = spawnInNamespace("cairn-crash1", ["sleep", "600"], { role: "agent" });
    const inNs2 = spawn("nsenter", [`--net=${nsPath("cairn-crash2")}`, "--", "sleep", "600"], { detached: true, stdio: "ignore" });
    inNs2.unref();
    const root = spawnInNamespace(null, ["sleep", "600"], { role: "controller" });
    mkdirSync(appCgroupDir("crash"), { recursive: true });
    const inCg = spawnInNamespace(null, ["sleep", "600"], { role: "app", cgroupDir: appCgroupDir("crash") });
    const nested = ensureCgroupPath("/cairn-lab-spec-crash.slice/app.service");
    const inNested = spawnInNamespace(null, ["sleep", "600"], { role: "app", cgroupDir: nested });
    writeFileSync(join(LAB_DIR, "junk"), "x");
    for (let i = 0; i < 50 && readFileSync(join(appCgroupDir("crash"), "cgroup.procs"), "utf8").trim() === ""; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const { removed } = await labDown();
    assert.ok(removed.includes("netns cairn-crash1") && removed.includes("netns cairn-crash2"), removed.join("\n"));
    for (const p of [inNs1, root, inCg, inNested]) assert.equal(processAlive(p.pid!, p.startTime), false, `${p.role} survived`);
    assert.equal(existsSync(dirname(nested)), false, "the nested cgroup and its recorded parent are gone");
    assert.equal(processAlive(inNs2.pid!), false, "process in the unrecorded namespace survived");
    assertNothingLeft();
  });

  test("a 6-router lab converges and carries traffic", async (t) => {
    const state = await labUp(ring6);
    t.diagnostic(`6 routers: IS-IS converged ${state.convergedAfterMs} ms after FRR started; labUp took ${state.upAfterMs} ms`);
    assert.equal(await ping("h1", "2001:db8:5::10", 3, 0.2), 3);
    assert.equal(await ping("h3", "2001:db8:1::10", 3, 0.2), 3);
    await labDown();
    assertNothingLeft();
  });
});
