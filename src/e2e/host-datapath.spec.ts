// End to end at 1500-byte MTUs on the real kernel: the lab (namespaces, kernel SIDs, FRR IS-IS),
// the controller, agents and the eBPF datapath, with real apps: a nested cgroup, a user, a
// container behind the host, a DNS name, IPv4, full-size packets, iperf3, an agent killed under
// traffic, and a capacity refusal. Every path claim comes from the routers' own counters.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { applyIntentsFile } from "../api/apply-file.js";
import { getPaths } from "../api/client.js";
import { labOperatorCredentials } from "../lab/pki.js";
import { LAB_CONTROLLER_URL, readAgentStatus, startLabAgent, waitForLabAgent } from "../lab/control-plane.js";
import { addContainer, cgroup2Mount, labDown, labExecArgv, labExecCapture, labExists, labStatus, PortCounter, setDnsRecords } from "../lab/index.js";
import { killProcesses } from "../lab/procs.js";
import { sendAndTrace, type TracedFlow } from "../demo/path-proof.js";
import type { AgentStatus } from "../agent/agent.js";
import { run, ROOT, CLI, H2, LAB_SKIP } from "../testing/lab-e2e.js";

const TOPOLOGY = join(ROOT, "examples/demo/topology.yaml");
const H2_4 = "10.0.2.10";
const MTU = 1500;
const SLICE = "/cairn-e2e.slice";
const SERVICE = `${SLICE}/svc.service`;
const CORE = ["r1", "r2", "r3", "r4"];
const BULK = ["r1", "r4", "r5", "r6"];
const IGP = ["r1", "r4", "r7"];
const skip = LAB_SKIP;

/** The intents of this test; `container` is the source address of the container behind h1. */
function intents(container: string, extra = ""): string {
  return `intents:
  - name: video
    match: { hosts: [h1], app: video, to: h2, protocol: udp, ports: ["5000-5100"] }
    objective: latency
  - name: iperf-tcp
    match: { hosts: [h1], app: iperf, to: h2, protocol: tcp, ports: [5201] }
    objective: latency
  - name: iperf-udp
    match: { hosts: [h1], app: iperf, to: h2, protocol: udp, ports: [5201] }
    objective: latency
  - name: svc
    match: { hosts: [h1], cgroup: ${SERVICE}, to: h2, protocol: udp, ports: [6000] }
    objective: igp
    constraints: { avoidNodes: [r2, r3, r7] }
  - name: nobody
    match: { hosts: [h1], user: nobody, to: h2, protocol: udp, ports: [6100] }
    objective: igp
    constraints: { avoidNodes: [r2, r3, r7] }
  - name: containers
    match: { hosts: [h1], source: "${container}/128", to: h2, protocol: udp, ports: [6200] }
    objective: igp
    constraints: { avoidNodes: [r2, r3, r7] }
  - name: by-name
    match: { hosts: [h1], to: video.cairn.test, protocol: udp, ports: [6300] }
    objective: latency
  - name: blocked
    match: { hosts: [h1], app: blocked, to: h2, protocol: udp, ports: [6400] }
    constraints: { maxLatency: 1us, avoidNodes: [r5] }
  - name: lenient
    match: { hosts: [h1], app: lenient, to: h2, protocol: udp, ports: [6500] }
    constraints: { maxLatency: 1us }
${extra}`;
}

describe("host datapath v2 in the lab at MTU 1500", { skip, concurrency: false }, () => {
  let topology: Topology;
  let dir: string;
  let container = "";
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { timeout: 120_000 });
  const flow = (o: Omit<TracedFlow, "fromNode" | "toNode" | "order"> & { fromNode?: string; toNode?: string }) =>
    sendAndTrace(topology, { fromNode: "h1", toNode: "h2", order: topology.routers.map((r) => r.name), ...o });
  const h1 = () => readAgentStatus("h1")!;
  const rule = (intent: string) => h1().rules.find((r) => r.intent === intent)!;

  /** Waits until h1's agent holds controller version `version` (and, optionally, more). */
  async function agentAt(version: number, also: (s: AgentStatus) => boolean = () => true): Promise<AgentStatus> {
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const s = readAgentStatus("h1");
      if (s?.synced && s.version >= version && also(s)) return s;
      assert.ok(Date.now() < deadline, `h1's agent did not reach v${version}: ${JSON.stringify(s?.rules.map((r) => [r.key, r.state, r.reason]))}`);
    }
  }

  before(async () => {
    if (skip) return;
    topology = await loadTopology(TOPOLOGY);
    if (labExists()) await labDown();
    dir = mkdtempSync(join(tmpdir(), "cairn-e2e-"));
    writeFileSync(join(dir, "start.yaml"), intents("2001:db8:1::ff"));
    await cli("lab", "up", TOPOLOGY, "--intents", join(dir, "start.yaml"));
    container = (await addContainer("h1", "c1")).address;
    await setDnsRecords("video.cairn.test", [H2]);
    writeFileSync(join(dir, "intents.yaml"), intents(container));
    await applyIntentsFile(LAB_CONTROLLER_URL, join(dir, "intents.yaml"), {}, { credentials: await labOperatorCredentials() });
    await agentAt(2, () => rule("by-name").state === "installed");
  });

  after(async () => {
    if (skip) return;
    await labDown();
    rmSync(dir, { recursive: true, force: true });
  });

  test("an app's IPv6 and IPv4 take its computed path (IPv4 encapsulated to End.DX4); unsteered IPv4 takes the IGP path", async () => {
    assert.deepEqual(rule("video").nodes, CORE);
    assert.deepEqual(rule("video").prefixes, [`${H2}/128`, `${H2_4}/32`]);
    const v6 = await flow({ app: "video", toAddress: H2, port: 5004, count: 300 });
    const v4 = await flow({ app: "video", toAddress: H2_4, port: 5004, count: 300 });
    const plain4 = await flow({ toAddress: H2_4, port: 5004, count: 300 });
    assert.deepEqual(v6.countedOn, CORE, JSON.stringify(v6.deltas));
    assert.deepEqual(v4.countedOn, CORE, JSON.stringify(v4.deltas));
    assert.deepEqual(plain4.countedOn, IGP, JSON.stringify(plain4.deltas));
    for (const f of [v6, v4, plain4]) assert.equal(f.received, f.sent);
  });

  test("the largest UDP datagram the path allows arrives whole on the path; larger ones are fragmented at the source, every fragment steered", async () => {
    const srh = 8 + 16 * (rule("video").segments.length + 1);
    const largest = MTU - 40 - srh - 8;
    const whole = await flow({ app: "video", toAddress: H2, port: 5005, count: 200, size: largest, rate: 1000 });
    assert.equal(whole.received, 200);
    assert.deepEqual(whole.countedOn, CORE, JSON.stringify(whole.deltas));
    const big = await flow({ app: "video", toAddress: H2, port: 5006, count: 200, size: 3000, rate: 1000 });
    assert.equal(big.received, 200, "every 3000-byte datagram was reassembled at h2");
    // 3000 bytes at MTU 1500: a first fragment (with the port) and two later ones per datagram.
    const seen = JSON.stringify({ first: big.deltas, later: big.laterFragments });
    assert.deepEqual(big.countedOn, CORE, `the first fragments took the path: ${seen}`);
    for (const r of CORE) assert.ok(big.laterFragments[r]! >= 2 * 200, `${r} carried the later fragments: ${seen}`);
    for (const r of ["r5", "r6", "r7"]) assert.equal(big.deltas[r]! + big.laterFragments[r]!, 0, `no fragment strayed onto ${r}: ${seen}`);
    assert.equal(h1().events.too_big_dropped ?? 0, 0, "nothing was dropped for its size");
  });

  test("iperf3 TCP and UDP (largest datagrams) of a steered app cross the computed path", async () => {
    const srh = 8 + 16 * (rule("iperf-tcp").segments.length + 1);
    // Bytes, not packets: the routers' veths aggregate TCP segments (GRO), so packet counts shrink.
    const ports = await PortCounter.start(topology.routers.map((r) => r.name), 5201);
    const counters = async () => Object.fromEntries(Object.entries(await ports.read()).map(([n, c]) => [n, c.bytes]));
    const argv = labExecArgv("h2", { command: ["iperf3", "-s", "-p", "5201"] });
    const server = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const before = await counters();
      const tcp = await labExecCapture("h1", { app: "iperf", command: ["iperf3", "-c", H2, "-p", "5201", "-t", "2", "-J"] });
      assert.equal(tcp.code, 0, tcp.stderr);
      const t = JSON.parse(tcp.stdout) as { end: { sum_received: { bytes: number } } };
      const bytes = t.end.sum_received.bytes;
      assert.ok(bytes > 1_000_000, `TCP moved ${bytes} bytes`);
      const mid = await counters();
      for (const r of CORE) assert.ok(mid[r]! - before[r]! > bytes, `${r} carried the TCP stream (${mid[r]! - before[r]!} of ${bytes} bytes)`);
      for (const r of ["r5", "r6", "r7"]) assert.ok(mid[r]! - before[r]! < 0.02 * bytes, `the TCP stream stayed off ${r}`);
      const udp = await labExecCapture("h1", { app: "iperf", command: ["iperf3", "-u", "-c", H2, "-p", "5201", "-t", "1", "-b", "10M", "-l", String(MTU - 40 - srh - 8), "-J"] });
      assert.equal(udp.code, 0, udp.stderr);
      const u = JSON.parse(udp.stdout) as { end: { sum: { lost_packets: number; packets: number; bytes: number } } };
      assert.ok(u.end.sum.packets > 500);
      assert.equal(u.end.sum.lost_packets, 0, "no datagram lost");
      const end = await counters();
      for (const r of CORE) assert.ok(end[r]! - mid[r]! >= u.end.sum.bytes, `${r} carried the UDP stream`);
      for (const r of ["r5", "r6", "r7"]) assert.ok(end[r]! - mid[r]! < 0.02 * u.end.sum.bytes, `the UDP stream stayed off ${r}`);
    } finally {
      server.kill();
      await ports.stop();
    }
  });

  test("kill -9 and restart of the agent under a 1000 pps steered stream: no packet lost, none misrouted", async () => {
    const agent = labStatus()!.processes.find((p) => p.role === "agent" && p.node === "h1" && p.alive)!;
    const stream = flow({ app: "video", toAddress: H2, port: 5010, count: 4000, rate: 1000 });
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(agent.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    const restarted = startLabAgent("h1");
    const f = await stream;
    await waitForLabAgent("h1", restarted);
    assert.equal(f.received, f.sent, `lost ${f.sent - f.received} of ${f.sent}`);
    assert.deepEqual(f.countedOn, CORE, JSON.stringify(f.deltas));
    for (const r of ["r5", "r6", "r7"]) assert.ok(f.deltas[r]! < 50, `nothing strayed onto ${r}: ${JSON.stringify(f.deltas)}`);
  });

  test("match.cgroup: a process in a child cgroup of the unit is steered, also after the unit's cgroup is recreated", async () => {
    const worker = `${SERVICE}/worker`;
    const a = await flow({ cgroup: worker, toAddress: H2, port: 6000, count: 300 });
    assert.deepEqual(a.countedOn, BULK, JSON.stringify(a.deltas));
    const mount = cgroup2Mount();
    rmdirSync(join(mount, worker));
    rmdirSync(join(mount, SERVICE)); // a service restart: the unit's cgroup goes and comes back with a new id
    const b = await flow({ cgroup: worker, toAddress: H2, port: 6000, count: 300 });
    assert.deepEqual(b.countedOn, BULK, `after the recreation: ${JSON.stringify(b.deltas)}`);
    assert.equal(b.received, b.sent);
    const outside = await flow({ toAddress: H2, port: 6000, count: 300 });
    assert.deepEqual(outside.countedOn, IGP, "a process outside the unit is not steered");
  });

  test("match.user: the user's packets are steered, root's to the same port are not", async () => {
    const asNobody = await flow({ user: "nobody", toAddress: H2, port: 6100, count: 300 });
    assert.deepEqual(asNobody.countedOn, BULK, JSON.stringify(asNobody.deltas));
    const asRoot = await flow({ toAddress: H2, port: 6100, count: 300 });
    assert.deepEqual(asRoot.countedOn, IGP);
  });

  test("match.source: a container behind the host (its own namespace, forwarded by h1) is steered; h1 itself is not", async () => {
    const fromContainer = await flow({ fromNode: "c1", toAddress: H2, port: 6200, count: 300 });
    assert.deepEqual(fromContainer.countedOn, BULK, JSON.stringify(fromContainer.deltas));
    assert.equal(fromContainer.received, fromContainer.sent);
    const fromHost = await flow({ toAddress: H2, port: 6200, count: 300 });
    assert.deepEqual(fromHost.countedOn, IGP);
  });

  test("to: a DNS name follows its record: from h2's IPv6 address to its IPv4 address", async () => {
    const before = await flow({ toAddress: H2, port: 6300, count: 300 });
    assert.deepEqual(before.countedOn, CORE, JSON.stringify(before.deltas));
    await setDnsRecords("video.cairn.test", [H2_4]);
    await agentAt(2, () => rule("by-name").prefixes.join() === `${H2_4}/32`);
    const v4 = await flow({ toAddress: H2_4, port: 6300, count: 300 });
    assert.deepEqual(v4.countedOn, CORE, `IPv4 to the new address, encapsulated: ${JSON.stringify(v4.deltas)}`);
    const old = await flow({ toAddress: H2, port: 6300, count: 300 });
    assert.deepEqual(old.countedOn, IGP, "the old address is no longer steered");
  });

  test("onFailure: closed drops and counts, open sends unsteered and counts; get paths shows both", async () => {
    const blocked = await flow({ app: "blocked", toAddress: H2, port: 6400, count: 200, sinkTimeoutMs: 2000 });
    assert.equal(blocked.received, 0, "an infeasible intent that avoids something drops its packets");
    const lenient = await flow({ app: "lenient", toAddress: H2, port: 6500, count: 200 });
    assert.equal(lenient.received, 200);
    assert.deepEqual(lenient.countedOn, IGP);
    await agentAt(2, () => rule("blocked").droppedPackets >= 200 && rule("lenient").unsteeredPackets >= 200);
    let text = "";
    for (const deadline = Date.now() + 6000; ; await new Promise((r) => setTimeout(r, 200))) {
      const rules = (await getPaths(LAB_CONTROLLER_URL, { credentials: await labOperatorCredentials() })).hosts.find((h) => h.host === "h1")!.report?.rules ?? [];
      const dropped = rules.find((r) => r.key.startsWith("blocked"))?.droppedPackets ?? 0;
      const unsteered = rules.find((r) => r.key.startsWith("lenient"))?.unsteeredPackets ?? 0;
      if (dropped >= 200 && unsteered >= 200) break;
      assert.ok(Date.now() < deadline, `the controller's report shows ${dropped} dropped and ${unsteered} unsteered`);
    }
    text = (await cli("get", "paths")).stdout;
    assert.match(text, /\b\d+ dropped\b/);
    assert.match(text, /\b\d+ unsteered\b/);
  });

  test("an update that would overflow the datapath is refused whole, naming the limit; the installed rules keep steering", async () => {
    const agent = labStatus()!.processes.find((p) => p.role === "agent" && p.node === "h1" && p.alive)!;
    await killProcesses([{ pid: agent.pid! }]);
    const installed = readAgentStatus("h1")!.rules.reduce((n, r) => n + r.ruleIds.length, 0);
    await cli("lab", "exec", "h1", "--", process.execPath, CLI, "agent", "--remove-datapath", "--controller", LAB_CONTROLLER_URL, "--host", "h1", "--interface", "eth0");
    const small = startLabAgent("h1", ["--max-rules", String(installed + 1)]);
    const since = new Date().toISOString();
    await waitForLabAgent("h1", small, 30_000, since);
    const extra = `  - name: more
    match: { hosts: [h1], app: more, to: h2, protocol: udp, ports: [7000, 7001] }
`;
    writeFileSync(join(dir, "more.yaml"), intents(container, extra));
    await applyIntentsFile(LAB_CONTROLLER_URL, join(dir, "more.yaml"), {}, { credentials: await labOperatorCredentials() });
    let st: AgentStatus | null = null;
    for (const deadline = Date.now() + 5000; !st?.lastError && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) st = readAgentStatus("h1");
    assert.match(st!.lastError ?? "", /the update needs \d+ new rule ids but only \d+ are free .*--max-rules/);
    assert.equal(st!.synced, false);
    const still = await flow({ app: "video", toAddress: H2, port: 5020, count: 300 });
    assert.deepEqual(still.countedOn, CORE, "the rules installed before the refusal still steer");
  });

  test("lab down leaves nothing behind", async () => {
    await cli("lab", "down");
    const netns = existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.startsWith("cairn-") && !n.startsWith("cairn-t-")) : [];
    assert.deepEqual(netns, []);
    assert.equal(existsSync(join(cgroup2Mount(), SLICE)), false, "the lab's cgroups are gone");
    assert.equal(labExists(), false);
  });
});
