// The fleet simulator as a benchmark: `npm run bench -- fleet`. Sizes: CAIRN_BENCH_FLEET_HOSTS,
// CAIRN_BENCH_FLEET_RULES, CAIRN_BENCH_FLEET_GRAPH (a Topology Zoo name); CAIRN_BENCH_SMOKE=1 for a tiny run.
// Two baselines in the same run: the full recomputation of every (host, intent) pair beside each
// event's incremental one; and the same fleet again with every report and acknowledgement as a
// ReportStatus call (as agents did before AgentSession) beside the agents' session messages.
import { size, SMOKE } from "./common.js";
import { DEFAULT_FLEET, runFleetSim } from "../src/fleet/run.js";
import { formatFleet } from "../src/fleet/format.js";

const hosts = size("CAIRN_BENCH_FLEET_HOSTS", 1000, 50);
const rules = size("CAIRN_BENCH_FLEET_RULES", hosts * 10, 100);
const graph = process.env.CAIRN_BENCH_FLEET_GRAPH ?? (SMOKE ? "Abilene" : DEFAULT_FLEET.graph);
const log = (l: string) => process.stderr.write(`fleet-sim: ${l}\n`);
const r = await runFleetSim({ ...DEFAULT_FLEET, graph, hosts, rules, log });
console.log(formatFleet(r));
for (const e of r.events) {
  if (r.fullRecomputeMs !== null && e.recomputeMs > 0) console.log(`  ${e.name}: incremental recompute ${(r.fullRecomputeMs / e.recomputeMs).toFixed(1)}x faster than the full one`);
}

const calls = await runFleetSim({ ...DEFAULT_FLEET, graph, hosts, rules, log, reportsAs: "calls", skipFullRecompute: true });
console.log(`\nthe same fleet with a ReportStatus call per report and acknowledgement, against the session's messages:`);
for (const e of r.events) {
  const c = calls.events.find((x) => x.name === e.name);
  if (!c || e.toAck.p99 <= 0 || e.controllerCpuMs <= 0) continue;
  console.log(
    `  ${e.name.padEnd(16)} p99 ${(c.toAck.p99 / 1000).toFixed(2)} s against ${(e.toAck.p99 / 1000).toFixed(2)} s (${(c.toAck.p99 / e.toAck.p99).toFixed(2)}x), ` +
      `controller CPU ${(c.controllerCpuMs / 1000).toFixed(2)} s against ${(e.controllerCpuMs / 1000).toFixed(2)} s (${(c.controllerCpuMs / e.controllerCpuMs).toFixed(2)}x)`,
  );
}
