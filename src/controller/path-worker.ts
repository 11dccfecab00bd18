// A worker thread of path-workers.ts: computes the path groups of (host, intent) pairs
// (core/targets.ruleTargets, each path by core/live-paths.computeLiveRouterPath) over the topology it
// was started with, so that a large apply never blocks the controller's event loop (agents' streams,
// keepalive PINGs, reports). Each pair's groups are posted as soon as they are done (one large batch
// reply would take the event loop as long to receive), with the elements their paths cross (which the
// controller indexes), under the overlay and with nothing marked. Groups shared by pairs of one batch
// are computed once; no state between batches.
import { parentPort, workerData } from "node:worker_threads";
import type { PathResult, Topology } from "../core/model.js";
import { computeLiveRouterPath, isNothingUnavailable, NOTHING_UNAVAILABLE } from "../core/live-paths.js";
import { crossedElements } from "../core/crossing-index.js";
import { pathGroupKey, pathSpecKey } from "../core/path-groups.js";
import { ruleTargets } from "../core/targets.js";
import { probeSids } from "../core/probes.js";
import type { TargetProbes } from "../core/assignments.js";
import { canonicalJson } from "../core/canonical-json.js";
import type { ComputedGroup } from "./path-group-table.js";
import type { BatchRequest, PairReply } from "./path-workers.js";

let topology = (workerData as { topology: Topology }).topology;

const crossing = (result: PathResult) => crossedElements([{ prefix: "", result }]);

parentPort!.on("message", (m: BatchRequest) => {
  if (m.topology) topology = m.topology; // an operator changed metrics (ChangeTopology)
  const marked = !isNothingUnavailable(m.unavailable);
  const done = new Map<string, ComputedGroup>();
  const probeCache = new WeakMap<PathResult, TargetProbes>();
  for (const [index, t] of m.tasks.entries()) {
    let reply: PairReply;
    try {
      const specKey = pathSpecKey(t.intent);
      const groups = new Map<string, ComputedGroup>();
      const path = (from: string, to: string): PathResult => {
        const key = pathGroupKey(from, to, specKey);
        let g = done.get(key);
        if (!g) {
          const result = computeLiveRouterPath(topology, t.intent, from, to, m.unavailable);
          const declared = marked ? { declaredCrossing: crossing(computeLiveRouterPath(topology, t.intent, from, to, NOTHING_UNAVAILABLE)) } : {};
          const probes = result.ok ? { primary: probeSids(topology, result.path), backup: result.backup ? probeSids(topology, result.backup) : null } : null;
          if (probes) probeCache.set(result, probes);
          done.set(key, (g = { key, result, json: canonicalJson(result), probes, crossing: crossing(result), ...declared }));
        }
        groups.set(key, g);
        return g.result;
      };
      // Only for the paths it asks for: the controller assembles the targets (cheap, given paths and probes).
      ruleTargets(topology, t.intent, t.host, m.unavailable, { path, probes: probeCache });
      reply = { id: m.id, index, groups: [...groups.values()] };
    } catch (e) {
      parentPort!.postMessage({ id: m.id, index, error: e instanceof Error ? e.message : String(e) } satisfies PairReply);
      return;
    }
    parentPort!.postMessage(reply);
  }
});
