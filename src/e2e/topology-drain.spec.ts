// End to end on the real kernel: an operator drains a link a steered app uses (`cairn topology
// drain`), the app's traffic moves to another path (proved by the routers' own counters), the agent
// reports the topology revision it applied; the undrain brings the traffic back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { readAgentStatus } from "../lab/control-plane.js";
import { labDown, labExists } from "../lab/index.js";
import { sendAndTrace } from "../demo/path-proof.js";
import { run, ROOT, CLI, EXAMPLE, H2, LAB_SKIP } from "../testing/lab-e2e.js";

const skip = LAB_SKIP;

let topology: Topology;
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { timeout: 120_000 });

before(async () => {
  if (skip) return;
  topology = await loadTopology(EXAMPLE("topology.yaml"));
  if (labExists()) await labDown();
  await cli("lab", "up", EXAMPLE("topology.yaml"), "--intents", EXAMPLE("intents.yaml"));
});

after(async () => {
  if (!skip) await labDown();
});

const video = (count = 100) =>
  sendAndTrace(topology, { fromNode: "h1", app: "video", toNode: "h2", toAddress: H2, port: 5004, count, order: topology.routers.map((r) => r.name) });

/** Bursts of video until `ok` holds for one (within `ms`); the burst that did. */
async function until(ok: (countedOn: string[]) => boolean, ms: number): Promise<Awaited<ReturnType<typeof video>>> {
  const end = Date.now() + ms;
  let last: Awaited<ReturnType<typeof video>> | null = null;
  while (Date.now() < end) {
    last = await video();
    if (ok(last.countedOn)) return last;
  }
  throw new Error(`video's traffic did not move within ${ms} ms: last burst counted on ${last?.countedOn.join(">")}`);
}

test("a drained link's traffic moves to another path; the undrain brings it back; the agent applies each topology revision", { skip }, async () => {
  const before = await video(300);
  assert.deepEqual(before.countedOn, ["r1", "r2", "r3", "r4"], `video starts on the core: ${JSON.stringify(before.deltas)}`);
  const t1 = JSON.parse((await cli("topology", "revision", "--json")).stdout) as { topologyRevision: number; intentsRevision: number };

  const drained = JSON.parse((await cli("topology", "drain", "r3-r2", "--reason", "e2e maintenance", "--json")).stdout) as { revision: number; changes: string[]; hostsPushed: { host: string }[] };
  assert.equal(drained.revision, t1.topologyRevision + 1);
  assert.deepEqual(drained.changes, ["drain link r2-r3"]);
  assert.deepEqual(drained.hostsPushed.map((h) => h.host), ["h1"]);
  const moved = await until((on) => !on.includes("r3"), 3000);
  assert.equal(moved.received, moved.sent, "every datagram delivered on the new path");
  assert.ok(moved.deltas["r3"]! < 20, `video left r3: ${JSON.stringify(moved.deltas)}`);
  const status = readAgentStatus("h1")!;
  assert.deepEqual([status.appliedTopologyRevision, status.appliedIntentsRevision], [drained.revision, t1.intentsRevision], "the agent applied the drain's revision");
  const links = JSON.parse((await cli("get", "links", "--json")).stdout) as { links: { link: string; state: string; source?: string }[]; overrides: { id: string; reason: string }[] };
  const r23 = links.links.find((l) => l.link === "r2-r3")!;
  assert.deepEqual([r23.state, r23.source], ["down", "operator"]);
  assert.deepEqual(links.overrides.map((o) => [o.id, o.reason]), [["r2-r3", "e2e maintenance"]]);

  const undrained = JSON.parse((await cli("topology", "undrain", "r2-r3", "--json")).stdout) as { revision: number };
  assert.equal(undrained.revision, drained.revision + 1);
  const back = await until((on) => on.join(">") === "r1>r2>r3>r4", 3000);
  assert.equal(back.received, back.sent);
  assert.equal(readAgentStatus("h1")!.appliedTopologyRevision, undrained.revision);
});
