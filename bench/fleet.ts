// The fleet simulator as a benchmark: `npm run bench -- fleet`. Sizes: CAIRN_BENCH_FLEET_HOSTS,
// CAIRN_BENCH_FLEET_RULES, CAIRN_BENCH_FLEET_GRAPH (a Topology Zoo name); CAIRN_BENCH_SMOKE=1 for a tiny run.
// The baseline in the same run is the full recomputation of every (host, intent) pair beside each
// event's incremental one.
import { size, SMOKE } from "./common.js";
import { DEFAULT_FLEET, runFleetSim } from "../src/fleet/run.js";
import { formatFleet } from "../src/fleet/format.js";

const hosts = size("CAIRN_BENCH_FLEET_HOSTS", 1000, 50);
const rules = size("CAIRN_BENCH_FLEET_RULES", hosts * 10, 100);
const graph = process.env.CAIRN_BENCH_FLEET_GRAPH ?? (SMOKE ? "Abilene" : DEFAULT_FLEET.graph);
const r = await runFleetSim({ ...DEFAULT_FLEET, graph, hosts, rules, log: (l) => process.stderr.write(`fleet-sim: ${l}\n`) });
console.log(formatFleet(r));
for (const e of r.events) {
  if (r.fullRecomputeMs !== null && e.recomputeMs > 0) console.log(`  ${e.name}: incremental recompute ${(r.fullRecomputeMs / e.recomputeMs).toFixed(1)}x faster than the full one`);
}
