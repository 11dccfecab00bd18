// The evaluation throttle of Liveliness.reported: a slow evaluation (a large fleet) makes the next
// wait three times as long and take every report that arrived meanwhile; fast ones (small fleets) never wait.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ReceivedReportView } from "../api/types.js";
import { ManualClock } from "./clock.js";
import { Liveliness, type LivelinessDeps } from "./liveliness.js";

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* an evaluation's cost */
  }
}

/** A Liveliness whose evaluations take `costMs` each (reading the clock, once per evaluation, is the cost), counted. */
function withCost(costMs: number) {
  let evaluations = -1; // the constructor reads the clock once
  const deps = {
    events: { record: () => ({ seq: 1 }) },
    state: { setLiveliness: () => ({ deltas: [], recomputed: [], changed: [] }) },
    publish: () => {},
  } as unknown as LivelinessDeps;
  const clock = new ManualClock();
  const now = clock.now.bind(clock);
  clock.now = () => {
    evaluations++;
    spin(costMs);
    return now();
  };
  const live = new Liveliness(deps, { clock });
  return { live, evaluations: () => evaluations };
}

const report = (n: number): ReceivedReportView => ({
  host: "h1",
  generation: "g",
  appliedVersion: 1,
  reportedAt: new Date(0).toISOString(),
  receivedAt: new Date(n).toISOString(),
  rules: [],
  datapathDrops: {},
  paths: [{ probeSids: [`fc00::${n}`], routers: [], links: [], state: "up", since: "", loss: 0, rttMinUs: 0, rttAvgUs: 0, rttP99Us: 0, probesSent: 1, probesReceived: 0, uses: [] }],
});

test("fast evaluations run at once for every report that changes the evidence", () => {
  const { live, evaluations } = withCost(0);
  for (let i = 1; i <= 5; i++) live.reported(report(i - 1), report(i));
  assert.equal(evaluations(), 5);
  live.close();
});

test("after a slow evaluation, a burst of reports waits as long and costs one evaluation", async () => {
  const { live, evaluations } = withCost(20);
  live.reported(undefined, report(1));
  assert.equal(evaluations(), 1, "the first report is evaluated at once");
  for (let i = 2; i <= 6; i++) live.reported(report(i - 1), report(i));
  assert.equal(evaluations(), 1, "the burst waits");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(evaluations(), 1, "for three times the evaluation's 20 ms");
  await new Promise((r) => setTimeout(r, 90));
  assert.equal(evaluations(), 2, "then one evaluation takes the whole burst");
  live.close();
});

test("close() drops a waiting evaluation", async () => {
  const { live, evaluations } = withCost(20);
  live.reported(undefined, report(1));
  live.reported(report(1), report(2));
  live.close();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(evaluations(), 1);
});
