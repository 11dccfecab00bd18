// 100k (source, destination, intent) queries on Kdl with a mix of intents, the way a controller
// recomputes after a topology change: total time and per-query distribution, against graphology's
// Dijkstra for the same 100k pairs (unconstrained latency: a lower bound on any constrained work).
import { NO_CONSTRAINTS } from "../src/core/model.js";
import type { PathQuery } from "../src/core/path-query.js";
import { findPath } from "../src/core/path-engine.js";
import { graphologyLatencyPath, graphologyOf } from "./baselines.js";
import { printRatio, printTiming, randomPairs, timeEach, zoo, size } from "./common.js";

const QUERIES = size("CAIRN_BENCH_BATCH", 100_000, 2000);
const topology = await zoo("Kdl");
const avoid = topology.routers[Math.floor(topology.routers.length / 2)]!.name;
const intents: Omit<PathQuery, "from" | "to">[] = [
  { objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "none" },
  { objective: "igp", constraints: { ...NO_CONSTRAINTS, maxLatencyUs: 30_000 }, via: [], protection: "none" },
  { objective: "hops", constraints: { ...NO_CONSTRAINTS, avoidNodes: [avoid], maxLatencyUs: 40_000 }, via: [], protection: "none" },
  { objective: "weighted", weights: { latency: 1, igp: 100 }, constraints: { ...NO_CONSTRAINTS, maxHops: 40 }, via: [], protection: "none" },
  { objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "link" },
];
const queries: PathQuery[] = randomPairs(topology, QUERIES, 5).map(([from, to], i) => ({ from, to, ...intents[i % intents.length]! }));
console.log(`batch: Kdl, ${QUERIES} queries over ${intents.length} intents (latency; igp ≤30ms; hops avoiding ${avoid} ≤40ms; weighted ≤40 hops; latency + link protection)`);

const g = graphologyOf(topology);
// Both sides must agree where they answer the same question (the unconstrained latency intent).
const delay = new Map(topology.links.flatMap((l) => [[`${l.a}|${l.b}`, l.delayUs], [`${l.b}|${l.a}`, l.delayUs]]));
queries.slice(0, 5000).forEach((q, i) => {
  if (i % intents.length !== 0) return;
  const ours = findPath(topology, q);
  const theirs = graphologyLatencyPath(g, q.from, q.to);
  const latency = theirs ? theirs.slice(1).reduce((s, n, k) => s + delay.get(`${theirs[k]}|${n}`)!, 0) : null;
  if ((ours.ok ? ours.primary.metrics.latencyUs : null) !== latency) throw new Error(`${q.from} → ${q.to}: cairn and graphology disagree on the lowest latency`);
});
const base = timeEach(queries, (q) => graphologyLatencyPath(g, q.from, q.to));
let feasible = 0;
const mine = timeEach(queries, (q) => { if (findPath(topology, q).ok) feasible++; });
printTiming("baseline: graphology Dijkstra, same pairs", base);
printTiming("cairn findPath, mixed intents", mine);
printRatio("cairn (total)", mine.totalMs, base.totalMs);
console.log(`  ${feasible} of ${QUERIES} feasible; ${(QUERIES / (mine.totalMs / 1000)).toFixed(0)} queries/s`);
