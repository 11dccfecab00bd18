// A worker thread of path-workers.ts: computes (host, intent) pairs with core/targets.ruleTargets over
// the topology it was started with, so that a large apply never blocks the controller's event loop
// (agents' streams, keepalive PINGs, reports). Each pair's result is posted as soon as it is done
// (one large batch reply would take the event loop as long to receive), with its canonical JSON
// (which the controller compares rule sets by) and the elements its paths cross (which it indexes). No state between batches.
import { parentPort, workerData } from "node:worker_threads";
import type { Topology } from "../core/model.js";
import { isNothingUnavailable, NOTHING_UNAVAILABLE } from "../core/live-paths.js";
import { ruleTargets } from "../core/targets.js";
import { crossedElements } from "../core/crossing-index.js";
import { canonicalJson } from "./state.js";
import type { BatchRequest, PairReply } from "./path-workers.js";

let topology = (workerData as { topology: Topology }).topology;

parentPort!.on("message", (m: BatchRequest) => {
  if (m.topology) topology = m.topology; // an operator changed metrics (ChangeTopology)
  const marked = !isNothingUnavailable(m.unavailable);
  for (const [index, t] of m.tasks.entries()) {
    let reply: PairReply;
    try {
      const targets = ruleTargets(topology, t.intent, t.host, m.unavailable);
      reply = {
        id: m.id,
        index,
        targets,
        targetsJson: canonicalJson(targets),
        crossing: crossedElements(targets),
        ...(marked ? { declaredCrossing: crossedElements(ruleTargets(topology, t.intent, t.host, NOTHING_UNAVAILABLE)) } : {}),
      };
    } catch (e) {
      parentPort!.postMessage({ id: m.id, index, error: e instanceof Error ? e.message : String(e) } satisfies PairReply);
      return;
    }
    parentPort!.postMessage(reply);
  }
});
