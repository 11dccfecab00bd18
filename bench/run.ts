// Runs every benchmark in turn (each in its own process, so one's JIT and caches don't help another).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
let failed = false;
for (const name of ["single-query", "constrained", "protection", "batch", "packet-cost", "probe-budget", "throughput", "failover", "fleet", "ui-render"]) {
  if (only.length > 0 && !only.includes(name)) continue;
  const r = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
  console.log();
}
process.exitCode = failed ? 1 : 0;
