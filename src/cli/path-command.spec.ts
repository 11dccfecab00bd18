// `cairn path` end to end: the real CLI (dist/cli/main.js) run as a child process against the
// demo topology and a Topology Zoo GraphML file. Exit status 0 path found, 3 infeasible, 2 bad input.
//
// The demo topology (examples/demo/topology.yaml), by hand:
//   r1–r2–r3–r4 1 ms a link, igp 30 each; r1–r7–r4 8 ms, igp 10 each; r1–r5–r6–r4 10 ms, igp 20
//   each; r2–r7 and r7–r6 5 ms, igp 30. h1 sits behind r1, h2 behind r4.
//   Lowest latency r1 → r4: r1–r2–r3–r4, 3 ms, igp 90, bottleneck 10 Gbps (r1–r2–r7–r4 is 14 ms,
//   r1–r7–r4 16 ms). The IGP takes r1–r7–r4 (20), so the path needs SIDs: End(r2) alone fails
//   (r2→r4 goes r2–r7–r4, 40 < 60), End(r3) alone fails (r1→r3 goes r1–r7–r4–r3, 50 < 60);
//   End.X at r2 over r2–r3 works (r1→r2 is the direct link, 30 < 40; r3→r4 is the direct link).
//   r2's locator is fc00:0:2::/48; its End.X SID over r2–r3 is that + 0xe0000000 + FNV-1a 32 of
//   "End.X r2-r3 r2" = 0x8e2b6238, xor-folded to 28 bits 0xe2b6230: fc00:0:2::ee2b:6230.
//   One SID: SRH 8 + 16 × 2 = 40 bytes.
//   Link-disjoint backup: without r1–r2, r2–r3, r3–r4 the fastest is r1–r7–r4 (16 ms; r1–r7–r6–r4
//   is 23 ms, r1–r5–r6–r4 30 ms), the IGP's own path: no SIDs, no SRH.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findRepoRoot, zooPath } from "../config/zoo-data.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const DEMO = path.join(findRepoRoot(), "examples", "demo", "topology.yaml");
const GEANT = zooPath("Geant2012.graphml");

interface Run { code: number; stdout: string; stderr: string }

function cairnPath(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env["CAIRN_DEBUG"]; // stacks are shown only with CAIRN_DEBUG; make sure they are not
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, "path", ...args], { env, timeout: 10_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err); // killed, or could not start
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

const noStack = (r: Run) => {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `a stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr + r.stdout, /\b(TypeError|ReferenceError|RangeError|SyntaxError)\b/);
};

// The documented JSON shapes.
const PATH_KEYS = ["links", "metrics", "nodes", "segments", "srhBytes"];
const METRIC_KEYS = ["bottleneckBps", "hops", "igp", "jitterUs", "latencyUs", "loss", "maxUtilization", "te"];
const SEGMENT_KEYS = new Set(["sid", "node", "behavior", "link", "service"]);
const keys = (o: unknown) => Object.keys(o as object).sort();

function assertPathShape(p: unknown): asserts p is JsonPath {
  assert.equal(typeof p, "object");
  assert.deepEqual(keys(p), PATH_KEYS);
  const q = p as JsonPath;
  assert.ok(Array.isArray(q.nodes) && q.nodes.every((n) => typeof n === "string"));
  assert.ok(Array.isArray(q.links) && q.links.every((n) => typeof n === "string"));
  assert.deepEqual(keys(q.metrics), METRIC_KEYS);
  for (const k of METRIC_KEYS) if (k !== "bottleneckBps") assert.equal(typeof (q.metrics as Record<string, unknown>)[k], "number", k);
  assert.ok(typeof q.metrics.bottleneckBps === "number" || (q.metrics.bottleneckBps === null && q.metrics.hops === 0));
  assert.ok(Array.isArray(q.segments));
  for (const s of q.segments) {
    for (const k of Object.keys(s)) assert.ok(SEGMENT_KEYS.has(k), `unexpected segment field ${k}`);
    assert.equal(typeof s.sid, "string");
    assert.equal(typeof s.node, "string");
    assert.ok(["End", "End.X", "Service"].includes(s.behavior));
    if (s.behavior === "End.X") assert.ok(Array.isArray(s.link) && s.link.length === 2);
    else assert.equal(s.link, undefined);
  }
  assert.equal(typeof q.srhBytes, "number");
}

interface JsonPath {
  nodes: string[];
  links: string[];
  metrics: { latencyUs: number; igp: number; te: number; hops: number; jitterUs: number; loss: number; bottleneckBps: number | null; maxUtilization: number };
  segments: { sid: string; node: string; behavior: string; link?: [string, string]; service?: string }[];
  srhBytes: number;
}

// ---------------------------------------------------------------------------------------------

test("human output: the path, its metrics, the segment table and the SRH size (demo r1 → r4)", async () => {
  const r = await cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "primary: r1 > r2 > r3 > r4");
  assert.match(lines[1]!, /^ {2}latency 3ms, igp 90, te 90, hops 3, jitter 0us, loss 0%, bottleneck 10Gbps, max utilization 0%$/);
  assert.equal(lines[2], "  segments (SRH 40 bytes):");
  assert.match(lines[3]!, /^\s+#\s+SID\s+BEHAVIOR\s+NODE\s+DETAIL$/);
  assert.match(lines[4]!, /^\s+1\s+fc00:0:2::ee2b:6230\s+End\.X\s+r2\s+link r2-r3$/);
  assert.equal(lines.length, 5, "no notes and no backup expected");
  assert.doesNotMatch(r.stdout, /notes:/);
});

test("human output with link protection shows the backup, which needs no SRH (demo r1 → r4)", async () => {
  const r = await cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--protection", "link");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^primary: r1 > r2 > r3 > r4$/m);
  assert.match(r.stdout, /^backup \(link-disjoint\): r1 > r7 > r4$/m);
  assert.match(r.stdout, /^ {2}latency 16ms, igp 20, te 20, hops 2, /m);
  assert.match(r.stdout, /^ {2}segments: none \(the IGP already takes this path; no SRH\)$/m);
});

test("--json: exactly the documented shape, with the hand-computed values", async () => {
  const r = await cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--protection", "link", "--json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const out = JSON.parse(r.stdout) as { primary: unknown; backup: unknown; notes: unknown };
  assert.deepEqual(keys(out), ["backup", "notes", "primary"]);
  assertPathShape(out.primary);
  assertPathShape(out.backup);
  assert.deepEqual(out.notes, []);
  assert.deepEqual(out.primary, {
    nodes: ["r1", "r2", "r3", "r4"],
    links: ["r1-r2", "r2-r3", "r3-r4"],
    metrics: { latencyUs: 3000, igp: 90, te: 90, hops: 3, jitterUs: 0, loss: 0, bottleneckBps: 10e9, maxUtilization: 0 },
    segments: [{ sid: "fc00:0:2::ee2b:6230", node: "r2", behavior: "End.X", link: ["r2", "r3"] }],
    srhBytes: 40,
  });
  assert.deepEqual(out.backup, {
    nodes: ["r1", "r7", "r4"],
    links: ["r1-r7", "r7-r4"],
    metrics: { latencyUs: 16000, igp: 20, te: 20, hops: 2, jitterUs: 0, loss: 0, bottleneckBps: 10e9, maxUtilization: 0 },
    segments: [],
    srhBytes: 0,
  });
});

test("--json without protection: backup is null; a zero-hop path has bottleneckBps null", async () => {
  const [plain, same] = await Promise.all([
    cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--json"),
    cairnPath("--topology", DEMO, "--from", "r1", "--to", "r1", "--json"),
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  const a = JSON.parse(plain.stdout) as { primary: JsonPath; backup: unknown };
  assertPathShape(a.primary);
  assert.equal(a.backup, null);
  assert.equal(same.code, 0, same.stderr);
  const b = JSON.parse(same.stdout) as { primary: JsonPath };
  assertPathShape(b.primary);
  assert.deepEqual(b.primary.nodes, ["r1"]);
  assert.equal(b.primary.metrics.bottleneckBps, null);
});

test("a host name as --from/--to resolves to its router (h1 → r1, h2 → r4)", async () => {
  const [byHost, byRouter] = await Promise.all([
    cairnPath("--topology", DEMO, "--from", "h1", "--to", "h2", "--json"),
    cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--json"),
  ]);
  assert.equal(byHost.code, 0, byHost.stderr);
  const a = JSON.parse(byHost.stdout) as { primary: JsonPath };
  assert.deepEqual(a.primary.nodes, ["r1", "r2", "r3", "r4"]);
  assert.deepEqual(JSON.parse(byHost.stdout), JSON.parse(byRouter.stdout));
});

test("infeasible: exit 3, the reason on stdout (human) or { infeasible: { reason, constraints } } (JSON)", async () => {
  // The fastest r1 → r4 path takes 3 ms, so 2ms cannot be met.
  const [human, json] = await Promise.all([
    cairnPath("--topology", DEMO, "--from", "h1", "--to", "h2", "--max-latency", "2ms"),
    cairnPath("--topology", DEMO, "--from", "h1", "--to", "h2", "--max-latency", "2ms", "--json"),
  ]);
  assert.equal(human.code, 3, human.stderr);
  assert.equal(human.stdout.trimEnd(), "infeasible: maxLatency 2ms cannot be met: the lowest-latency path from r1 to r4 takes 3ms");
  assert.equal(json.code, 3, json.stderr);
  const out = JSON.parse(json.stdout) as { infeasible: { reason: string; constraints: string[] }; notes: string[] };
  assert.deepEqual(keys(out), ["infeasible", "notes"]);
  assert.deepEqual(keys(out.infeasible), ["constraints", "reason"]);
  assert.equal(out.infeasible.reason, "maxLatency 2ms cannot be met: the lowest-latency path from r1 to r4 takes 3ms");
  assert.deepEqual(out.infeasible.constraints, ["maxLatency"]);
  assert.deepEqual(out.notes, []);
});

test("bad options: exit 2, one `cairn: --option: …` line on stderr, nothing on stdout, no stack", async () => {
  const cases: { args: string[]; line: RegExp }[] = [
    { args: ["--from", "r9", "--to", "r4"], line: /^cairn: --from: no router or host named "r9" in .*topology\.yaml; did you mean "r1", "r2" or "r3"\?$/ },
    { args: ["--from", "r1", "--to", "r4", "--max-latency", "20parsecs"], line: /^cairn: --max-latency: unknown unit "parsecs" in "20parsecs": use one of us, ms, s$/ },
    { args: ["--from", "r1", "--to", "r4", "--protection", "full"], line: /^cairn: --protection: "full" is not one of none, link, node, srlg$/ },
    { args: ["--from", "r1", "--to", "r4", "--avoid-link", "r1-r3"], line: /^cairn: --avoid-link: no link "r1-r3" in .*topology\.yaml/ },
  ];
  const runs = await Promise.all(cases.map((c) => cairnPath("--topology", DEMO, ...c.args)));
  runs.forEach((r, i) => {
    const what = cases[i]!.args.join(" ");
    assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stdout, "", what);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${what}: expected one line, got:\n${r.stderr}`);
    assert.match(lines[0]!, cases[i]!.line, what);
    noStack(r);
  });
});

test("bad topology files: exit 2, a `cairn:` error naming the file and the problem, no stack", async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "cairn-path-cli-"));
  try {
    const missing = path.join(tmp, "missing.yaml");
    const broken = path.join(tmp, "broken.graphml");
    // Line 3 opens <node>, line 4 closes <graph> instead: not well-formed at 4:1.
    writeFileSync(broken, `<?xml version="1.0" encoding="utf-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="undirected">\n<node id="a">\n</graph></graphml>\n`);
    const [m, b] = await Promise.all([
      cairnPath("--topology", missing, "--from", "a", "--to", "b"),
      cairnPath("--topology", broken, "--from", "a", "--to", "b"),
    ]);
    for (const r of [m, b]) {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^cairn: /);
      noStack(r);
    }
    assert.ok(m.stderr.includes(`${missing}: cannot read file: no such file`), m.stderr);
    assert.ok(b.stderr.includes(`${broken}:4:1: not well-formed XML`), b.stderr);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("--igp delay makes the IGP follow the latency path on a GraphML import (no SIDs); YAML refuses --igp", async () => {
  const r = await cairnPath("--topology", GEANT, "--from", "UK", "--to", "FI", "--igp", "delay", "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.primary.segments, []);
  assert.equal(out.primary.srhBytes, 0);
  const y = await cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--igp", "5");
  assert.equal(y.code, 2);
  assert.match(y.stderr, /^cairn: --igp applies to GraphML imports; .* is a Cairn topology, which sets igp per link\n$/);
});

test("--avoid-node with a host name is rejected, not silently ignored", async () => {
  const r = await cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--avoid-node", "h2");
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trimEnd(), 'cairn: --avoid-node: "h2" is a host; paths run between routers, so name a router');
});

// ---------------------------------------------------------------------------------------------
// GEANT (Geant2012.graphml). UK → FI by hand: UK–NL 1785, NL–DK 3104, DK–SE 2612, SE–FI 1327 µs
// (haversine × 5 µs/km) = 8.828 ms; the IGP has two 4-hop paths (over NL or over IS), so End(NL),
// and NL is the first node of the file: fc00:0:1::1. The import drops UA, MD and BY (no
// coordinates) and defaults 22 of the 58 links to 1 Gbps, and says so in two notes.

const GEANT_NOTES = [
  /^topology: dropped 3 nodes without usable Latitude\/Longitude .*"UA" \(node 10\), "MD" \(node 11\), "BY" \(node 19\)$/,
  /^topology: 22 of 58 links have no usable LinkSpeedRaw and get the default bandwidth of 1 Gbps$/,
];

test("GraphML: human output has the path, metrics, segments, SRH size, and the import notes under notes:", async () => {
  const r = await cairnPath("--topology", GEANT, "--from", "UK", "--to", "FI");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "primary: UK > NL > DK > SE > FI");
  assert.match(lines[1]!, /^ {2}latency 8\.828ms, igp 40, te 40, hops 4, .*bottleneck 1Gbps/);
  assert.equal(lines[2], "  segments (SRH 40 bytes):");
  assert.match(lines[4]!, /^\s+1\s+fc00:0:1::1\s+End\s+NL\s*$/);
  const at = lines.indexOf("notes:");
  assert.ok(at > 0, `no notes: section in\n${r.stdout}`);
  const notes = lines.slice(at + 1);
  assert.equal(notes.length, GEANT_NOTES.length, notes.join("\n"));
  notes.forEach((n, i) => {
    assert.ok(n.startsWith("  - "), n);
    assert.match(n.slice(4), GEANT_NOTES[i]!);
  });
});

test("GraphML: --json carries the import notes, for a path and for an infeasible answer", async () => {
  // Every way to FI goes through DK (FI hangs off SE; SE's links are DK, NO and FI; NO's are DK and SE).
  const [ok, cut] = await Promise.all([
    cairnPath("--topology", GEANT, "--from", "UK", "--to", "FI", "--json"),
    cairnPath("--topology", GEANT, "--from", "UK", "--to", "FI", "--avoid-node", "DK", "--json"),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const a = JSON.parse(ok.stdout) as { primary: JsonPath; backup: unknown; notes: string[] };
  assert.deepEqual(keys(a), ["backup", "notes", "primary"]);
  assertPathShape(a.primary);
  assert.deepEqual(a.primary.nodes, ["UK", "NL", "DK", "SE", "FI"]);
  assert.equal(a.primary.metrics.latencyUs, 8828);
  assert.deepEqual(a.primary.segments, [{ sid: "fc00:0:1::1", node: "NL", behavior: "End" }]);
  assert.equal(a.primary.srhBytes, 40);
  assert.equal(a.notes.length, GEANT_NOTES.length);
  a.notes.forEach((n, i) => assert.match(n, GEANT_NOTES[i]!));

  assert.equal(cut.code, 3, cut.stderr);
  const b = JSON.parse(cut.stdout) as { infeasible: { reason: string; constraints: string[] }; notes: string[] };
  assert.deepEqual(keys(b), ["infeasible", "notes"]);
  assert.match(b.infeasible.reason, /avoidNodes \[DK\] cuts every path from UK to FI/);
  assert.deepEqual(b.infeasible.constraints, ["avoidNodes"]);
  assert.equal(b.notes.length, GEANT_NOTES.length);
  b.notes.forEach((n, i) => assert.match(n, GEANT_NOTES[i]!));
});

test("unknown names suggest the nearest ones, or say how to list them all", async () => {
  const kdl = zooPath("Kdl.graphml");
  const [typo, far, link, region] = await Promise.all([
    cairnPath("--topology", kdl, "--from", "Louisvile", "--to", "Lexington"),
    cairnPath("--topology", kdl, "--from", "Lexington", "--to", "Tokyo"),
    cairnPath("--topology", DEMO, "--from", "r1", "--to", "r4", "--avoid-link", "r2-r33"),
    cairnPath("--topology", GEANT, "--from", "UK", "--to", "GR", "--avoid-region", "GB"),
  ]);
  for (const r of [typo, far, link, region]) assert.equal(r.code, 2, r.stderr);
  assert.equal(typo.stderr.trim(), `cairn: --from: no router or host named "Louisvile" in ${kdl}; did you mean "Louisville#487" or "Louisville#694"?`);
  assert.equal(
    far.stderr.trim(),
    `cairn: --to: no router or host named "Tokyo" in ${kdl}; the topology has 726 routers and hosts, e.g. "Rolla", "Sedalia", "Rogers"; \`cairn topology show ${kdl}\` lists them all`,
  );
  assert.match(link.stderr.trim(), /^cairn: --avoid-link: no link "r2-r33" in \S+ \(write it as A-B with two router names\); did you mean "r2-r3"\?$/);
  assert.match(region.stderr.trim(), /^cairn: --avoid-region: no router in region "GB" in \S+$/, "regions are countries here; nothing is close to GB");
});
