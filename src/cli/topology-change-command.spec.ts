import { test } from "node:test";
import assert from "node:assert/strict";
import { metricChange } from "./topology-change-command.js";
import { formatTopologyChange } from "./format-topology-change.js";
import { CliError } from "./errors.js";

test("set-metric's NAME=VALUE arguments: units as in topology files; every problem named, exit 2", () => {
  assert.deepEqual(metricChange("r1-r2", ["igp=20", "te=30", "delay=5ms", "jitter=200us", "loss=0.5%", "bandwidth=10Gbps", "utilization=40%"], false), {
    kind: "metrics",
    link: "r1-r2",
    igp: 20,
    te: 30,
    delayUs: 5000,
    jitterUs: 200,
    loss: 0.005,
    bandwidthBps: 1e10,
    utilization: 0.4,
  });
  assert.deepEqual(metricChange("r2-r1", ["delay=1.5ms", "loss=0.01"], true), { kind: "measured", link: "r2-r1", delayUs: 1500, loss: 0.01 });
  assert.throws(
    () => metricChange("r1-r2", ["igp=x", "colour=red", "delay"], false),
    (e: unknown) =>
      e instanceof CliError &&
      e.exitCode === 2 &&
      /igp: "x" is not a whole number \(e\.g\. igp=20\)/.test(e.message) &&
      /"colour=red": expected NAME=VALUE with NAME one of igp, te, delay/.test(e.message) &&
      /"delay": expected NAME=VALUE/.test(e.message),
  );
  assert.throws(() => metricChange("r1-r2", ["igp=20"], true), /"igp=20": expected NAME=VALUE with NAME one of delay, jitter, loss \(--measured\)/);
  assert.throws(() => metricChange("r1-r2", [], false), /give one or more of igp=20/);
});

test("a change's summary says the revisions, what was recomputed and pushed; one already in force says so", () => {
  const r = { previousRevision: 3, revision: 4, intentsRevision: 2, rulesRecomputed: 2, rulesChanged: 1, fullRecompute: true, hostsPushed: [{ host: "h1", version: 5, upserts: 1, removals: 0 }], changes: ["link r1-r2: igp 10 -> 5"] };
  assert.equal(
    formatTopologyChange(r),
    "topology revision 3 -> 4 (intents revision 2):\n  link r1-r2: igp 10 -> 5\nrecomputed 2 rules (every pair: a metric made better or an IGP change), 1 changed; pushed to h1 v5",
  );
  assert.equal(
    formatTopologyChange({ ...r, revision: 3, rulesRecomputed: 0, rulesChanged: 0, fullRecompute: false, hostsPushed: [], changes: ["drain link r2-r3 (already drained)"] }),
    "no change: already in force (topology revision 3, intents revision 2)\n  drain link r2-r3 (already drained)",
  );
});
