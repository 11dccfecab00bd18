import { test } from "node:test";
import assert from "node:assert/strict";
import type { PathHealthView } from "../api/types.js";
import { PATH_REPORT_LIMITS, pathReportProblem } from "./path-reports.js";
import { testTopology } from "./testing.js";

// r1 -- r2 -- r4 and r1 -- r3 -- r4 (controller/testing.ts).
const topology = testTopology();

const path = (over: Partial<PathHealthView> = {}): PathHealthView => ({
  probeSids: ["fc00:0:2::1", "fc00:0:4::1"],
  routers: ["r1", "r2", "r4"],
  links: ["r1-r2", "r2-r4"],
  state: "up",
  since: "2024-01-01T00:00:00Z",
  loss: 0,
  rttMinUs: 100,
  rttAvgUs: 150,
  rttP99Us: 300,
  probesSent: 10,
  probesReceived: 10,
  uses: [{ rule: "web#0", prefix: "2001:db8:4::10/128", role: "primary", active: true }],
  ...over,
});

test("paths within bounds that fit the topology pass; a watch probe has no uses; one router is a path", () => {
  assert.equal(pathReportProblem([path(), path({ probeSids: ["fc00:0:4::1"], routers: ["r1", "r3", "r4"], links: ["r1-r3", "r3-r4"], uses: [] })], topology), null);
  assert.equal(pathReportProblem([path({ routers: ["r2"], links: [], probeSids: ["fc00:0:2::1"] })], topology), null);
  // Links may be crossed either way: the reverse path.
  assert.equal(pathReportProblem([path({ routers: ["r4", "r2", "r1"], links: ["r2-r4", "r1-r2"] })], topology), null);
  assert.equal(pathReportProblem([], topology), null);
});

test("every field is checked, and the problem names it", () => {
  const cases: [Partial<PathHealthView>, RegExp][] = [
    [{ probeSids: [] }, /^paths\[0\]\.probeSids is empty$/],
    [{ probeSids: Array.from({ length: 33 }, () => "fc00::1") }, /^paths\[0\]\.probeSids has 33 SIDs; at most 32$/],
    [{ probeSids: ["fc00::1", "10.0.0.1"] }, /^paths\[0\]\.probeSids\[1\]: "10\.0\.0\.1" is not an IPv6 address$/],
    [{ routers: [], links: [] }, /^paths\[0\]\.routers is empty$/],
    [{ links: ["r1-r2"] }, /^paths\[0\]: 1 links for 3 routers \(a path has one link fewer than routers\)$/],
    [{ routers: ["r1", "r9", "r4"] }, /^paths\[0\]\.routers\[1\]: "r9" is not a router of the topology$/],
    [{ links: ["r1-r2", "r2-r9"] }, /^paths\[0\]\.links\[1\]: "r2-r9" is not a link of the topology$/],
    [{ links: ["r1-r3", "r2-r4"] }, /^paths\[0\]\.links\[0\]: link r1-r3 does not join r1 and r2 \(routers\[0\] and routers\[1\]\)$/],
    [{ since: "soon" }, /^paths\[0\]\.since "soon" is not an RFC 3339 time$/],
    [{ loss: 1.5 }, /^paths\[0\]\.loss is 1\.5; a share from 0 to 1$/],
    [{ loss: NaN }, /^paths\[0\]\.loss is NaN/],
    [{ rttAvgUs: -1 }, /^paths\[0\]\.rttAvgUs is -1; from 0 to 60000000 µs$/],
    [{ rttP99Us: Infinity }, /^paths\[0\]\.rttP99Us is Infinity/],
    [{ rttMinUs: 200 }, /^paths\[0\]: rttMinUs 200 is above rttAvgUs 150 or rttP99Us 300$/],
    [{ probesReceived: 11 }, /^paths\[0\]: probesReceived 11 is more than probesSent 10$/],
    [{ uses: [{ rule: "", prefix: "2001:db8::/32", role: "primary", active: true }] }, /^paths\[0\]\.uses\[0\]\.rule is empty$/],
    [{ uses: [{ rule: "k".repeat(129), prefix: "2001:db8::/32", role: "primary", active: true }] }, /^paths\[0\]\.uses\[0\]\.rule is 129 characters long; at most 128$/],
    [{ uses: [{ rule: "a#0", prefix: "nope", role: "backup", active: false }] }, /^paths\[0\]\.uses\[0\]\.prefix: "nope" is not an IP prefix$/],
    [{ uses: [path().uses[0]!, path().uses[0]!] }, /^paths\[0\]\.uses\[1\]: rule web#0, target 2001:db8:4::10\/128, primary is listed twice$/],
  ];
  for (const [over, why] of cases) assert.match(pathReportProblem([path(over)], topology) ?? "(no problem)", why, JSON.stringify(over));
});

test("one stream per probe SID list; the report's sizes are bounded", () => {
  assert.equal(pathReportProblem([path(), path({ state: "down" })], topology), "paths[1]: probe SIDs fc00:0:2::1,fc00:0:4::1 are reported twice (also paths[0])");
  const many = Array.from({ length: PATH_REPORT_LIMITS.paths + 1 }, (_, i) => path({ probeSids: [`fc00::${i.toString(16)}`] }));
  assert.equal(pathReportProblem(many, topology), "4097 probed paths; at most 4096");
  const use = (i: number) => ({ rule: `r#${i}`, prefix: "2001:db8::/32", role: "primary" as const, active: true });
  const heavy = Array.from({ length: 5 }, (_, k) => path({ probeSids: [`fc00::${k}`], uses: Array.from({ length: 4000 }, (_, i) => use(i)) }));
  assert.equal(pathReportProblem(heavy, topology), "paths[4]: more than 16384 path uses in the report");
  assert.equal(pathReportProblem([path({ uses: Array.from({ length: 4097 }, (_, i) => use(i)) })], topology), "paths[0].uses has 4097 entries; at most 4096");
});
