// `cairn topology show` end to end: the real CLI (dist/cli/main.js) as a child process, on the demo
// topology and on Topology Zoo files, checked against the model the other commands load.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findRepoRoot, zooPath } from "../config/zoo-data.js";
import { parseGraphml } from "../config/graphml.js";
import { parseTopology } from "../config/topology-file.js";
import { DEFAULT_LINK_MTU, type Topology } from "../core/model.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const DEMO = path.join(findRepoRoot(), "examples", "demo", "topology.yaml");
const KDL = zooPath("Kdl.graphml");

interface Run { code: number; stdout: string; stderr: string }

function cairn(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env["CAIRN_DEBUG"];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

const demo = (() => {
  const r = parseTopology(readFileSync(DEMO, "utf8"), DEMO);
  assert.ok(r.ok);
  return r.value;
})();

interface Shown {
  file: string;
  format: string;
  routers: Array<{ name: string; locator: string; endSid: string; region?: string; msd?: number; graphml?: { id: string; label: string; latitude: number; longitude: number } }>;
  hosts: Array<{ name: string; router: string; address: string; prefixLen: number; address4?: string; prefixLen4?: number; dx4Sid?: string }>;
  links: Array<Record<string, unknown> & { id: string; a: string; b: string; mtu: number; endXSids: { a: string; b: string } }>;
  services: Topology["services"];
  notes: string[];
}

/** What --json must say of a topology: the model's fields, SIDs included. */
function expected(t: Topology) {
  return {
    routers: t.routers.map(({ sid, ...r }) => ({ ...r, endSid: sid })),
    hosts: t.hosts.map((h) => ({ ...h })),
    links: t.links.map((l) => ({ ...l, mtu: l.mtu ?? DEFAULT_LINK_MTU, endXSids: { a: l.sidA, b: l.sidB } })),
    services: t.services,
  };
}

test("the demo topology: a summary line, then routers, hosts and links with their SIDs", async () => {
  const r = await cairn("topology", "show", DEMO);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `${DEMO}: Cairn topology YAML, 7 routers, 2 hosts, 10 links`);
  const rows = (title: string) => {
    const at = lines.indexOf(`${title}:`);
    assert.ok(at > 0, `no ${title} section:\n${r.stdout}`);
    const end = lines.indexOf("", at);
    return lines.slice(at + 1, end < 0 ? undefined : end).map((l) => l.trim().split(/ {2,}/));
  };
  const routers = rows("routers");
  assert.deepEqual(routers[0], ["NAME", "LOCATOR", "END SID"], "no region or msd in the demo: those columns are left out");
  assert.deepEqual(routers.slice(1).map((c) => c[0]), demo.routers.map((x) => x.name));
  assert.deepEqual(routers[2], ["r2", "fc00:0:2::/48", "fc00:0:2::1"]);
  const hosts = rows("hosts");
  assert.deepEqual(hosts[0], ["NAME", "ROUTER", "ADDRESS", "ADDRESS4", "END.DX4 SID"]);
  assert.deepEqual(hosts[2], ["h2", "r4", "2001:db8:2::10/64", "10.0.2.10/24", "fc00:0:4::d716:8ef5"]);
  const links = rows("links");
  assert.deepEqual(links[0], ["ID", "A", "B", "IGP", "TE", "DELAY", "BANDWIDTH", "MTU", "END.X SID A", "END.X SID B"]);
  assert.equal(links.length - 1, demo.links.length);
  // The SID the demo's video path uses (README): End.X of r2 over r2–r3, the second link.
  assert.deepEqual(links[2], ["r2-r3", "r2", "r3", "30", "30", "1ms", "10Gbps", "1500", "fc00:0:2::ee2b:6230", "fc00:0:3::ef2b:63c3"]);
  assert.ok(lines.every((l) => l === l.trimEnd()), "no trailing blanks");
});

test("the demo topology as JSON: every field of the model, and the SIDs", async () => {
  const r = await cairn("topology", "show", DEMO, "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Shown;
  assert.deepEqual(Object.keys(j), ["file", "format", "routers", "hosts", "links", "services", "notes"]);
  assert.equal(j.format, "yaml");
  assert.deepEqual({ routers: j.routers, hosts: j.hosts, links: j.links, services: j.services }, expected(demo));
  assert.deepEqual(j.notes, []);
});

test("a Topology Zoo file: its node names (label#id where labels are shared), coordinates, and the counts of the import", async () => {
  const [human, json] = await Promise.all([cairn("topology", "show", KDL), cairn("topology", "show", KDL, "--json")]);
  assert.equal(human.code, 0, human.stderr);
  assert.equal(json.code, 0, json.stderr);
  const model = parseGraphml(readFileSync(KDL, "utf8"), KDL);
  assert.ok(model.ok);
  const t = model.value.topology;

  const lines = human.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `${KDL}: Topology Zoo GraphML, 726 routers, 0 hosts, 822 links`);
  assert.match(human.stdout, /^notes:\n {2}- \d+ nodes sharing \d+ labels named label#id: /m);
  assert.match(human.stdout, /^ {2}NAME +LOCATOR +END SID +REGION +NODE ID +LABEL +LAT +LON$/m);
  assert.match(human.stdout, /^ {2}Louisville#487 +fc00:0:1e8::\/48 +fc00:0:1e8::1 +United States +487 +Louisville +38\.25424 +-85\.75941$/m);
  assert.match(human.stdout, /^ {2}Cincinnati +\S+ +\S+ +United States +\d+ +- +/m, "a router named after its own label shows no LABEL");
  assert.match(human.stdout, /^hosts: none$/m);
  // Every router and link on a line of its own: 726 + 822 rows, and their headers.
  const rowsOf = (title: string) => {
    const at = lines.indexOf(`${title}:`);
    const end = lines.indexOf("", at);
    return lines.slice(at + 2, end < 0 ? undefined : end);
  };
  assert.equal(rowsOf("routers").length, t.routers.length);
  assert.equal(rowsOf("links").length, t.links.length);
  const widest = Math.max(...[...rowsOf("routers"), ...rowsOf("links")].map((l) => l.length));
  assert.ok(widest <= 200, `table lines stay compact: the widest is ${widest} characters`);

  const j = JSON.parse(json.stdout) as Shown;
  assert.equal(j.format, "graphml");
  const want = expected(t);
  assert.equal(j.routers.length, t.routers.length);
  assert.equal(j.links.length, t.links.length);
  assert.deepEqual(j.hosts, []);
  assert.deepEqual(j.notes, model.value.notes, "--json keeps every note whole");
  assert.deepEqual(j.routers.map(({ graphml: _g, ...r }) => r), want.routers);
  assert.deepEqual(j.routers.map((r) => r.graphml), model.value.origins);
  assert.deepEqual(j.links, want.links);
  const louisville = j.routers.filter((r) => r.graphml?.label === "Louisville").map((r) => r.name);
  assert.deepEqual(louisville, ["Louisville#487", "Louisville#694"]);
});

test("--igp: GraphML links get that metric (or one from their delay); a Cairn topology refuses it", async () => {
  const geant = zooPath("Geant2012.graphml");
  const [seven, delay, yaml, bad] = await Promise.all([
    cairn("topology", "show", geant, "--igp", "7", "--json"),
    cairn("topology", "show", geant, "--igp", "delay", "--json"),
    cairn("topology", "show", DEMO, "--igp", "7"),
    cairn("topology", "show", geant, "--igp", "fast"),
  ]);
  assert.equal(seven.code, 0, seven.stderr);
  assert.ok((JSON.parse(seven.stdout) as Shown).links.every((l) => l["igp"] === 7 && l["te"] === 7));
  const byDelay = (JSON.parse(delay.stdout) as Shown).links;
  assert.ok(byDelay.every((l) => l["igp"] === Math.max(1, Math.round((l["delayUs"] as number) / 10))));
  assert.equal(yaml.code, 2);
  assert.equal(yaml.stderr.trim(), `cairn: --igp applies to GraphML imports; ${DEMO} is a Cairn topology, which sets igp per link`);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim(), `cairn: --igp: "fast" is neither "delay" nor a whole number from 1 to 16777215`);
});

test("bad files: exit 2 and `cairn: invalid input:` with file, line and column, as `cairn validate` says it", async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "cairn-topology-show-"));
  try {
    const yaml = path.join(tmp, "bad.yaml");
    writeFileSync(yaml, 'routers:\n  - { name: Louisville, locator: "fc00:0:1::/48" }\n  - { name: r1, locator: "fc00:0:2::/48" }\nhosts:\n  - { name: h1, router: r11, address: "2001:db8:1::10/64" }\nlinks: []\n');
    const graphml = path.join(tmp, "broken.graphml");
    writeFileSync(graphml, `<?xml version="1.0" encoding="utf-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="undirected">\n<node id="a">\n</graph></graphml>\n`);
    const [y, v, g, missing] = await Promise.all([
      cairn("topology", "show", yaml),
      cairn("validate", yaml),
      cairn("topology", "show", graphml, "--json"),
      cairn("topology", "show", path.join(tmp, "missing.yaml")),
    ]);
    assert.equal(y.code, 2);
    assert.equal(y.stdout, "");
    const lines = y.stderr.trimEnd().split("\n");
    assert.equal(lines[0], "cairn: invalid input:");
    assert.ok(lines.some((l) => l.startsWith(`  ${yaml}:2:`) && l.includes("routers[0].name")), y.stderr);
    assert.ok(lines.includes(`  ${yaml}:5:25: hosts[0].router: unknown router "r11"; did you mean "r1"?`), y.stderr);
    assert.equal(y.stderr, v.stderr, "the same report as cairn validate");
    assert.equal(g.code, 2);
    assert.equal(g.stdout, "");
    assert.match(g.stderr, new RegExp(`^cairn: invalid input:\\n {2}${graphml.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:4:\\d+: not well-formed XML`));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^cairn: invalid input:\n {2}\S*missing\.yaml: cannot read file/);
    for (const r of [y, g, missing]) assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
