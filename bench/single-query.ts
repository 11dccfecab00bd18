// One unconstrained lowest-latency path on Kentucky Datalink (Kdl, the zoo's largest graph), against
// graphology-shortest-path's bidirectional Dijkstra on the same pairs. Cairn's answer also includes
// the minimal segment list; the baseline's is only the node list.
import { NO_CONSTRAINTS } from "../src/core/model.js";
import { findPath } from "../src/core/path-engine.js";
import { graphologyLatencyPath, graphologyOf } from "./baselines.js";
import { printRatio, printTiming, randomPairs, timeEach, zoo, size } from "./common.js";

const QUERIES = size("CAIRN_BENCH_SINGLE", 2000, 200);
const topology = await zoo("Kdl");
const pairs = randomPairs(topology, QUERIES, 42);
console.log(`single query: Kdl (${topology.routers.length} routers, ${topology.links.length} links), ${QUERIES} random pairs, objective latency`);

const g = graphologyOf(topology);
const ask = ([from, to]: [string, string]) => findPath(topology, { from, to, objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "none" });
// Warm the JIT on both sides, then check they agree before timing anything.
for (const p of pairs.slice(0, 200)) { ask(p); graphologyLatencyPath(g, ...p); }
let disagree = 0;
for (const [from, to] of pairs) {
  const ours = ask([from, to]);
  const theirs = graphologyLatencyPath(g, from, to);
  const latency = (nodes: string[]) => nodes.slice(1).reduce((s, n, i) => s + topology.links.find((l) => (l.a === nodes[i] && l.b === n) || (l.b === nodes[i] && l.a === n))!.delayUs, 0);
  if ((ours.ok ? ours.primary.metrics.latencyUs : null) !== (theirs ? latency(theirs) : null)) disagree++;
}
if (disagree > 0) throw new Error(`${disagree} queries disagree with the baseline on the optimal latency`);

const base = timeEach(pairs, ([from, to]) => graphologyLatencyPath(g, from, to));
const warm = timeEach(pairs, ask);
// Cold: a fresh copy of the topology per query, so the engine rebuilds its graph view and has no cached IGP trees.
const cold = timeEach(pairs.slice(0, 300), ([from, to]) => findPath({ ...topology }, { from, to, objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "none" }));
printTiming("baseline: graphology bidirectional Dijkstra", base);
printTiming("cairn findPath (path + segment list)", warm);
printTiming("cairn findPath, cold (graph + IGP trees built)", cold);
printRatio("cairn (median)", warm.medianMs, base.medianMs);
console.log(`  all ${QUERIES} answers have the same latency as the baseline's`);
