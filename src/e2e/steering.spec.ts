// End to end on the real kernel: lab (namespaces, kernel SIDs, FRR IS-IS), controller, agents,
// eBPF datapath. Proof comes from the routers' own interface counters, never the agent's.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { applyIntentsFile } from "../api/apply-file.js";
import { LAB_CONTROLLER_URL, readAgentStatus } from "../lab/control-plane.js";
import { labOperatorCredentials } from "../lab/pki.js";
import { BPF_PIN_DIR, LAB_DIR, cairnCgroupRoot, labDown, labExists, labStatus, processAlive } from "../lab/index.js";
import { sendAndTrace } from "../demo/path-proof.js";
import { run, ROOT, CLI, EXAMPLE, H2, LAB_SKIP } from "../testing/lab-e2e.js";

const skip = LAB_SKIP;

let topology: Topology;
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { timeout: 120_000 });

before(async () => {
  if (skip) return;
  topology = await loadTopology(EXAMPLE("topology.yaml"));
  if (labExists()) await labDown(); // a leftover of an earlier crashed run
  await cli("lab", "up", EXAMPLE("topology.yaml"), "--intents", EXAMPLE("intents.yaml"));
});

after(async () => {
  if (!skip) await labDown();
});

const flow = (app: string | undefined, port: number, count = 500) =>
  sendAndTrace(topology, { fromNode: "h1", ...(app ? { app } : {}), toNode: "h2", toAddress: H2, port, count, order: topology.routers.map((r) => r.name) });

test("lab up --intents returns with every agent synced and the paths installed", { skip }, () => {
  const h1 = readAgentStatus("h1");
  assert.ok(h1?.synced, "h1's agent is synced");
  assert.deepEqual(h1.rules.map((r) => [r.intent, r.state, r.nodes.join(">")]), [
    ["video", "installed", "r1>r2>r3>r4"],
    ["bulk", "installed", "r1>r5>r6>r4"],
  ]);
  assert.ok(readAgentStatus("h2")?.synced, "h2's agent is synced");
});

test("two apps on one host reach the same destination over different router paths", { skip }, async () => {
  const video = await flow("video", 5004);
  const bulk = await flow("bulk", 6000);
  assert.deepEqual(video.countedOn, ["r1", "r2", "r3", "r4"], `video counters: ${JSON.stringify(video.deltas)}`);
  assert.deepEqual(bulk.countedOn, ["r1", "r4", "r5", "r6"], `bulk counters: ${JSON.stringify(bulk.deltas)}`);
  assert.equal(video.received, video.sent, "every video datagram (carrying an SRH) was delivered to h2");
  assert.equal(bulk.received, bulk.sent, "every bulk datagram was delivered to h2");
  for (const r of ["r5", "r6", "r7"]) assert.ok(video.deltas[r]! < 50, `video traffic stayed off ${r}`);
});

test("traffic of a process outside any app cgroup is not steered", { skip }, async () => {
  const videoPackets = () => readAgentStatus("h1")!.rules.find((r) => r.intent === "video")!.packets;
  const before = videoPackets();
  const plain = await flow(undefined, 5004);
  const sentAt = new Date().toISOString();
  assert.deepEqual(plain.countedOn, ["r1", "r4", "r7"], `IGP path expected: ${JSON.stringify(plain.deltas)}`);
  assert.equal(plain.received, plain.sent);
  // The agent rewrites its status file periodically: wait for one written after the traffic.
  const deadline = Date.now() + 5000;
  while (readAgentStatus("h1")!.updatedAt <= sentAt) {
    assert.ok(Date.now() < deadline, "the agent's status file was not refreshed within 5 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(videoPackets(), before, "the video rule counted none of it");
});

test("applying a changed intent moves the app's traffic within 1 s, with nothing restarted", { skip }, async () => {
  const pids = () => labStatus()!.processes.filter((p) => p.role === "agent" || p.role === "controller").map((p) => `${p.role}:${p.pid}`).sort();
  const pidsBefore = pids();
  const t0 = Date.now();
  const summary = await applyIntentsFile(LAB_CONTROLLER_URL, EXAMPLE("intents-changed.yaml"), {}, { credentials: await labOperatorCredentials() });
  assert.deepEqual(summary.changed, ["video"]);
  assert.deepEqual(summary.unchanged, ["bulk"]);
  let moved: Awaited<ReturnType<typeof flow>> | null = null;
  let elapsedMs = 0;
  while (Date.now() - t0 < 3000) {
    const burst = await flow("video", 5004, 100);
    if (burst.countedOn.includes("r7") && !burst.countedOn.includes("r3")) {
      moved = burst;
      break;
    }
    elapsedMs = Date.now() - t0;
  }
  assert.ok(moved, "video traffic moved off r3");
  // elapsedMs is when the last burst that still used the old path ended (0 when the first burst already moved).
  assert.ok(elapsedMs < 1000, `traffic still on the old path ${elapsedMs} ms after apply`);
  assert.deepEqual(moved.countedOn, ["r1", "r2", "r4", "r7"]);
  assert.deepEqual(pids(), pidsBefore, "controller and agents kept running");
  for (const p of labStatus()!.processes) assert.ok(p.alive, `${p.role} on ${p.node ?? "root"} still alive`);
  const bulk = await flow("bulk", 6000, 200);
  assert.deepEqual(bulk.countedOn, ["r1", "r4", "r5", "r6"], "bulk, unchanged, stayed where it was");
});

test("lab down leaves nothing behind", { skip }, async () => {
  const procs = labStatus()!.processes.map((p) => p.pid).filter((p): p is number => p !== null);
  assert.ok(procs.length > 0);
  await cli("lab", "down");
  const netns = existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.startsWith("cairn-") && !n.startsWith("cairn-t-")) : [];
  assert.deepEqual(netns, [], "no lab namespaces");
  assert.deepEqual(procs.filter((p) => processAlive(p)), [], "no lab process alive");
  const frr = await run("pgrep", ["-x", "zebra|isisd"]).then((r) => r.stdout.trim().split("\n").map(Number), () => []);
  // Exited daemons may linger as zombies until PID 1 reaps them; only live ones count.
  assert.deepEqual(frr.filter((p) => processAlive(p)), [], "no FRR daemon alive");
  assert.equal(existsSync(LAB_DIR), false, "no lab state directory");
  assert.equal(existsSync(cairnCgroupRoot()), false, "no app cgroups");
  assert.equal(existsSync(BPF_PIN_DIR), false, "no pinned maps");
  const link = await run("ip", ["link", "show", "cairn-mgmt"]).then(() => true, () => false);
  assert.equal(link, false, "no management link in the root namespace");
  assert.equal(labExists(), false);
});
