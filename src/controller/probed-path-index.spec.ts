// The incremental evidence equals a full evaluation over every fresh report: after any sequence of
// reports (paths appearing, changing state, disappearing) and expiries, the index localises, counts,
// looks up and steps the overlay exactly as localise/evidenceOf/nextOverlay over probedPaths of the
// report store do.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ReceivedReportView } from "../api/types.js";
import type { PathState } from "../core/elements.js";
import { elementKey } from "../core/elements.js";
import { evidenceOf, localise } from "../core/localise.js";
import { nextOverlay, type Overlay } from "../core/overlay.js";
import { nextStaleMs, probedPaths } from "./evidence.js";
import { ProbedPathIndex } from "./probed-path-index.js";
import { ReportStore } from "./reports.js";

// A ring r1…r6 with a chord; paths are stretches of it.
const ROUTERS = ["r1", "r2", "r3", "r4", "r5", "r6"];
const STRETCHES = [["r1", "r2", "r3"], ["r2", "r3", "r4"], ["r4", "r5"], ["r5", "r6", "r1"], ["r1", "r4"], ["r3", "r4", "r5", "r6"], ["r6"]];
const linkOf = (a: string, b: string) => (a < b ? `${a}-${b}` : `${b}-${a}`);
const HOSTS = ["h1", "h2", "h3", "h4", "h5"];
const STALE_MS = 5_000;
const T0 = Date.parse("2024-01-01T00:00:00Z");

const arbPath = fc.record({ stretch: fc.integer({ min: 0, max: STRETCHES.length - 1 }), state: fc.constantFrom<PathState>("up", "up", "down", "degraded", "unknown"), age: fc.integer({ min: 0, max: 4000 }) });
const arbStep = fc.record({ host: fc.integer({ min: 0, max: HOSTS.length - 1 }), paths: fc.array(arbPath, { maxLength: 3 }), after: fc.integer({ min: 0, max: 3000 }) });

function reportOf(host: string, atMs: number, paths: { stretch: number; state: PathState; age: number }[]): ReceivedReportView {
  return {
    host,
    generation: "g",
    appliedVersion: 1,
    reportedAt: new Date(atMs).toISOString(),
    receivedAt: new Date(atMs).toISOString(),
    rules: [],
    datapathDrops: {},
    paths: paths.map((p, i) => {
      const routers = STRETCHES[p.stretch]!;
      return {
        probeSids: [`fc00:0:${p.stretch}::${i}`],
        routers,
        links: routers.slice(1).map((r, j) => linkOf(routers[j]!, r)),
        state: p.state,
        since: new Date(atMs - p.age).toISOString(),
        loss: 0,
        rttMinUs: 0,
        rttAvgUs: 0,
        rttP99Us: 0,
        probesSent: 1,
        probesReceived: 1,
        uses: [],
      };
    }),
  };
}

const ELEMENT_KEYS = [
  ...ROUTERS.map((id) => elementKey({ kind: "router", id })),
  ...HOSTS.map((id) => elementKey({ kind: "host", id })),
  ...[...new Set(STRETCHES.flatMap((s) => s.slice(1).map((r, j) => linkOf(s[j]!, r))))].map((id) => elementKey({ kind: "link", id })),
];

const byId = <T extends { id: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));

test("property: the index localises, counts and steps the overlay exactly as a full evaluation of every fresh report", () => {
  let suspectsSeen = 0;
  let expiredSome = 0;
  fc.assert(
    fc.property(fc.array(arbStep, { minLength: 1, maxLength: 25 }), (steps) => {
      let now = T0;
      const store = new ReportStore(() => new Date(now));
      const index = new ProbedPathIndex();
      let overlayFull: Overlay = new Map();
      let overlayIndexed: Overlay = new Map();
      for (const step of steps) {
        now += step.after;
        const received = store.put(reportOf(HOSTS[step.host]!, now, step.paths));
        index.put(received);
        index.expire(now, STALE_MS);
        const all = probedPaths(store.all(), now, STALE_MS);
        if (all.length < store.all().flatMap((r) => r.paths ?? []).length) expiredSome++;

        assert.deepEqual(index.paths(), all, "the same paths, in the same order");
        const full = localise(all);
        assert.deepEqual(index.localise(), full);
        suspectsSeen += full.suspects.length > 0 ? 1 : 0;
        const evidence = evidenceOf(all);
        for (const k of ELEMENT_KEYS) {
          assert.deepEqual(index.evidence(k), evidence.get(k), `evidence of ${k}`);
          assert.deepEqual(byId(index.crossing(k)), byId(all.filter((p) => p.elements.some((e) => elementKey(e) === k))), `paths crossing ${k}`);
        }
        assert.equal(index.nextStaleMs(now, STALE_MS), nextStaleMs(store.all(), now, STALE_MS));
        const a = nextOverlay(overlayFull, full, all, now, 1000);
        const b = nextOverlay(overlayIndexed, index.localise(), (k) => index.crossing(k), now, 1000);
        assert.deepEqual(b, a, "the same overlay step");
        overlayFull = a.overlay;
        overlayIndexed = b.overlay;
      }
    }),
    { numRuns: 150, seed: Number(process.env.FC_SEED ?? 20261130), includeErrorInReport: true },
  );
  assert.ok(suspectsSeen > 50 && expiredSome > 20, `not vacuous: ${suspectsSeen} steps with suspects, ${expiredSome} with stale reports`);
});
