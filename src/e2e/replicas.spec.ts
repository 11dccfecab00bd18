// End to end with controller replicas: the lab (namespaces, kernel SIDs, FRR, eBPF), a real etcd, two
// `cairn controller --etcd` replicas on the management network, and the real agents given both URLs.
// The computing replica is killed while an app's traffic flows: the host keeps steering it (router
// counters and the sink say so), its agent moves to the other replica, which takes over and computes
// the next apply. Run under `flock /tmp/cairn-lab.lock` (one lab per machine).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { applyIntentsFile } from "../api/apply-file.js";
import { readAgentStatus, startLabAgent, waitForLabAgent } from "../lab/control-plane.js";
import { createLabPki, LAB_PKI_DIR, labOperatorCredentials } from "../lab/pki.js";
import { CONTROLLER_ADDRESS, labDown, labExists, labUp, LOG_DIR, processAlive, spawnInNamespace, type LabProcess } from "../lab/index.js";
import { sendAndTrace } from "../demo/path-proof.js";
import { getPaths } from "../api/client.js";
import { etcdMissing, startEtcd, type EtcdFixture } from "../controller/replicas/etcd-fixture.js";
import { ROOT, CLI, EXAMPLE, H2, LAB_SKIP } from "../testing/lab-e2e.js";

const skip = LAB_SKIP || (etcdMissing() ?? false);
const PORTS = [50051, 50052];
const url = (port: number) => `https://[${CONTROLLER_ADDRESS}]:${port}`;

let topology: Topology;
let etcd: EtcdFixture | null = null;
const replicas: LabProcess[] = [];
const agents = new Map<string, LabProcess>();

async function until<T>(what: string, ms: number, f: () => Promise<T | null> | T | null): Promise<T> {
  const end = Date.now() + ms;
  let last = "";
  for (;;) {
    try {
      const v = await f();
      if (v !== null) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  if (skip) return;
  topology = await loadTopology(EXAMPLE("topology.yaml"));
  if (labExists()) await labDown();
  await labUp(topology);
  await createLabPki(topology.hosts.map((h) => h.name));
  etcd = await startEtcd();
  for (const port of PORTS) {
    const argv = [process.execPath, CLI, "controller", "--topology", EXAMPLE("topology.yaml"), "--intents", EXAMPLE("intents.yaml"), "--tls-dir", LAB_PKI_DIR, "--listen", `[${CONTROLLER_ADDRESS}]:${port}`, "--etcd", etcd.url, "--etcd-lease-ttl", "2"];
    replicas.push(spawnInNamespace(null, argv, { role: "controller", logFile: join(LOG_DIR, `controller-${port}.log`) }));
    const credentials = await labOperatorCredentials();
    await until(`replica :${port} to answer`, 30_000, async () => (await getPaths(url(port), { credentials })) && true);
  }
  for (const h of topology.hosts) {
    // Every agent starts on the first replica (the leader) and knows the second.
    const p = startLabAgent(h.name, ["--controller", url(PORTS[1]!)]);
    agents.set(h.name, p);
    await waitForLabAgent(h.name, p, 30_000);
  }
});

after(async () => {
  if (skip) return;
  await labDown();
  await etcd?.close();
});

test("the computing replica killed while an app's traffic flows: the host keeps steering it, its agent moves, the other replica takes over and computes the next apply", { skip, timeout: 180_000 }, async () => {
  const h1 = readAgentStatus("h1")!;
  assert.equal(h1.controllerUrl, url(PORTS[0]!));
  assert.deepEqual(h1.rules.map((r) => [r.intent, r.nodes.join(">")]), [["video", "r1>r2>r3>r4"], ["bulk", "r1>r5>r6>r4"]]);
  const version = h1.appliedVersion;

  // 4000 datagrams at 1000/s: the leader is killed 1 s into them.
  const flowing = sendAndTrace(topology, { fromNode: "h1", app: "video", toNode: "h2", toAddress: H2, port: 5004, count: 4000, rate: 1000, order: topology.routers.map((r) => r.name) });
  await new Promise((r) => setTimeout(r, 1_000));
  const killedAt = Date.now();
  process.kill(replicas[0]!.pid!, "SIGKILL");
  const moved = await until("h1's agent to move to the other replica", 15_000, () => {
    const s = readAgentStatus("h1");
    return s && s.connected && s.controllerUrl === url(PORTS[1]!) ? s : null;
  });
  const movedMs = Date.now() - killedAt;
  assert.equal(moved.appliedVersion, version, "still at its version: resumed, no resync");
  const flow = await flowing;
  assert.deepEqual(flow.countedOn, ["r1", "r2", "r3", "r4"], `video stayed on its path: ${JSON.stringify(flow.deltas)}`);
  assert.equal(flow.received, flow.sent, "not one datagram lost across the kill and the move");
  assert.ok(!processAlive(replicas[0]!.pid!, replicas[0]!.startTime));

  // The surviving replica leads now, and computes an apply: video avoids r3.
  const credentials = await labOperatorCredentials();
  const t0 = Date.now();
  await until("the apply through the surviving replica", 20_000, async () => (await applyIntentsFile(url(PORTS[1]!), EXAMPLE("intents-changed.yaml"), {}, { credentials })) && true);
  const steered = await until("h1's agent on the new paths", 20_000, () => {
    const s = readAgentStatus("h1");
    return s?.synced && s.rules.find((r) => r.intent === "video")?.nodes.join(">") === "r1>r2>r7>r4" ? s : null;
  });
  assert.ok(steered.appliedVersion > version);
  const after = await sendAndTrace(topology, { fromNode: "h1", app: "video", toNode: "h2", toAddress: H2, port: 5006, count: 500, order: topology.routers.map((r) => r.name) });
  assert.deepEqual(after.countedOn, ["r1", "r2", "r4", "r7"].sort((a, b) => topology.routers.findIndex((r) => r.name === a) - topology.routers.findIndex((r) => r.name === b)), JSON.stringify(after.deltas));
  console.log(`lab, 2 replicas: leader killed under 4000 steered datagrams, ${flow.received}/${flow.sent} received on r1>r2>r3>r4; h1's agent on the other replica ${movedMs} ms after the kill at v${version}; an apply through it steered video onto r1>r2>r7>r4 ${Date.now() - t0} ms later`);
});
