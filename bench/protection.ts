// Link-protected pairs on Kdl: Cairn's primary + best link-disjoint backup (with the pair search when
// the primary traps the backup), against the common two-step with a graph library: shortest path,
// drop its links, shortest path again (which gives up on trap topologies).
import { NO_CONSTRAINTS } from "../src/core/model.js";
import { findPath } from "../src/core/path-engine.js";
import { MultiUndirectedGraph } from "graphology";
import { bidirectional } from "graphology-shortest-path/dijkstra.js";
import { graphologyOf } from "./baselines.js";
import { printRatio, printTiming, randomPairs, timeEach, zoo, size } from "./common.js";

const QUERIES = size("CAIRN_BENCH_PROTECTION", 1000, 100);
const topology = await zoo("Kdl");
const pairs = randomPairs(topology, QUERIES, 11);
const g = graphologyOf(topology);
console.log(`protection: Kdl, ${QUERIES} random pairs, objective latency, protection link`);

const twoStep = ([from, to]: [string, string]): boolean => {
  const first = bidirectional(g, from, to, "delayUs");
  if (!first) return false;
  const rest = g.copy() as MultiUndirectedGraph;
  // The link the path took between two routers: with parallel links, the one of least delay.
  const taken = (a: string, b: string) => rest.edges(a, b).reduce((best, e) => (rest.getEdgeAttribute(e, "delayUs") < rest.getEdgeAttribute(best, "delayUs") ? e : best));
  for (let i = 1; i < first.length; i++) rest.dropEdge(taken(first[i - 1]!, first[i]!));
  return bidirectional(rest, from, to, "delayUs") !== null;
};
const ours = ([from, to]: [string, string]) => findPath(topology, { from, to, objective: "latency", constraints: NO_CONSTRAINTS, via: [], protection: "link" });
for (const p of pairs.slice(0, 100)) { ours(p); twoStep(p); }

let baseFound = 0;
let oursFound = 0;
let traded = 0;
for (const p of pairs) {
  const theirs = twoStep(p);
  if (theirs) baseFound++;
  const r = ours(p);
  if (r.ok && r.backup) oursFound++;
  if (theirs && !(r.ok && r.backup)) throw new Error(`${p[0]} → ${p[1]}: the two-step found a link-disjoint backup and cairn did not`);
  if (r.ok && r.backup && r.backup.links.some((l) => r.primary.links.includes(l))) throw new Error(`${p[0]} → ${p[1]}: cairn's backup shares a link with its primary`);
  if (r.ok && r.notes.some((n) => n.startsWith("trade-off") || n.includes("equally good"))) traded++;
}
const base = timeEach(pairs, twoStep);
const mine = timeEach(pairs, ours);
printTiming("baseline: graphology Dijkstra, drop links, Dijkstra", base);
printTiming("cairn findPath protection link (+ SID lists)", mine);
printRatio("cairn (median)", mine.medianMs, base.medianMs);
console.log(`  backups found: cairn ${oursFound}, two-step ${baseFound}; cairn moved the primary to get a disjoint pair in ${traded} queries`);
