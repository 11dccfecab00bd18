import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseGraphml, haversineKm, fibreDelayUs, graphmlLocator } from "./graphml.js";
import type { GraphmlImport } from "./graphml.js";
import { ConfigFileError, formatConfigError } from "./errors.js";
import type { ConfigError } from "./errors.js";
import { loadAnyTopology } from "./load.js";
import { zoo, zooDir } from "./zoo-data.js";
import { derivedEndXSid } from "../core/sids.js";
import { parsePrefix } from "../core/ipv6.js";

// ---------------------------------------------------------------------------------------------
// Inline fixtures. Key ids are deliberately not the zoo's, and "label" is declared for edges and
// the graph too, so that only attr.name + for can find the right data.

const KEYS = [
  `<key attr.name="label" attr.type="string" for="edge" id="d0"/>`,
  `<key attr.name="Country" attr.type="string" for="node" id="d1"/>`,
  `<key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d2"/>`,
  `<key attr.name="Latitude" attr.type="double" for="node" id="d3"/>`,
  `<key attr.name="label" attr.type="string" for="graph" id="d4"/>`,
  `<key attr.name="hyperedge" attr.type="int" for="node" id="d5"/>`,
  `<key attr.name="label" attr.type="string" for="node" id="d7"/>`,
  `<key attr.name="Longitude" attr.type="double" for="node" id="d9"/>`,
].join("\n  ");

interface N { id: string; label?: string; lat?: number | string; lon?: number | string; country?: string; hyper?: boolean }

function node(n: N): string {
  const d = [
    n.hyper ? `<data key="d5">1</data>` : "",
    n.label !== undefined ? `<data key="d7">${n.label}</data>` : "",
    n.lat !== undefined ? `<data key="d3">${n.lat}</data>` : "",
    n.lon !== undefined ? `<data key="d9">${n.lon}</data>` : "",
    n.country !== undefined ? `<data key="d1">${n.country}</data>` : "",
  ].join("");
  return `<node id="${n.id}">${d}</node>`;
}

function edge(s: string, t: string, speed?: string): string {
  return `<edge source="${s}" target="${t}"><data key="d0">edge label</data>${speed !== undefined ? `<data key="d2">${speed}</data>` : ""}</edge>`;
}

function gml(nodes: N[], edges: string[], graphAttrs = `edgedefault="undirected"`): string {
  return [
    `<?xml version="1.0" encoding="utf-8"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">`,
    `  ${KEYS}`,
    `  <graph ${graphAttrs}>`,
    `    <data key="d4">Fixture</data>`,
    ...nodes.map((n) => `    ${node(n)}`),
    ...edges.map((e) => `    ${e}`),
    `  </graph>`,
    `</graphml>`,
    "",
  ].join("\n");
}

function ok(text: string): GraphmlImport {
  const r = parseGraphml(text, "t.graphml");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value;
}

function errorsOf(text: string): ConfigError[] {
  const r = parseGraphml(text, "t.graphml");
  assert.equal(r.ok, false, "expected errors");
  return r.ok ? [] : r.errors;
}

const at = (id: string, label: string | undefined, lat: number, lon: number, country?: string): N =>
  country === undefined ? { id, label, lat, lon } : { id, label, lat, lon, country };

test("haversine: one degree of latitude is 111.19 km, 556 µs at 5 µs/km", () => {
  assert.ok(Math.abs(haversineKm(0, 0, 1, 0) - 111.195) < 0.001);
  assert.equal(fibreDelayUs(haversineKm(0, 0, 1, 0)), 556);
  assert.equal(fibreDelayUs(0), 1, "co-located nodes still get a positive delay");
  const { topology } = ok(gml([at("a", "A", 0, 0), at("b", "B", 1, 0), at("c", "C", 1, 0)], [edge("a", "b"), edge("b", "c")]));
  assert.equal(topology.links[0]!.delayUs, 556);
  assert.equal(topology.links[1]!.delayUs, 1);
});

test("routers and links: names, regions, locators from node ids, link fields", () => {
  const { topology, notes } = ok(gml([at("7", " Zurich ", 47.37, 8.54, "Switzerland"), at("3", "Geneva", 46.2, 6.15)], [edge("7", "3", "2500000000.0")]));
  assert.deepEqual(topology.routers, [
    { name: "Zurich", locator: "fc00:0:8::/48", latitude: 47.37, longitude: 8.54, region: "Switzerland", sid: "fc00:0:8::1" },
    { name: "Geneva", locator: "fc00:0:4::/48", latitude: 46.2, longitude: 6.15, sid: "fc00:0:4::1" },
  ]);
  assert.equal(topology.links.length, 1);
  const l = topology.links[0]!;
  assert.equal(l.delayUs, fibreDelayUs(haversineKm(47.37, 8.54, 46.2, 6.15)));
  assert.deepEqual({ ...l, delayUs: 0 }, {
    id: "Zurich-Geneva", a: "Zurich", b: "Geneva", igp: 10, te: 10, delayUs: 0, jitterUs: 0, loss: 0,
    bandwidthBps: 2.5e9, utilization: 0, srlgs: [], colors: [],
    sidA: derivedEndXSid(parsePrefix("fc00:0:8::/48")!, "Zurich-Geneva", "Zurich"), sidB: derivedEndXSid(parsePrefix("fc00:0:4::/48")!, "Zurich-Geneva", "Geneva"),
  });
  assert.deepEqual(topology.hosts, []);
  assert.deepEqual(topology.services, []);
  assert.deepEqual(notes, []);
});

test("the IGP metric is 10, another number when told, or the delay in 10 µs units", () => {
  const text = gml([at("a", "A", 0, 0), at("b", "B", 1, 0), at("c", "C", 1, 0)], [edge("a", "b"), edge("b", "c")]);
  const igp = (options: Parameters<typeof parseGraphml>[2]) => {
    const r = parseGraphml(text, "t.graphml", options);
    assert.ok(r.ok);
    return r.value.topology.links.map((l) => [l.igp, l.te]);
  };
  assert.deepEqual(igp({}), [[10, 10], [10, 10]]);
  assert.deepEqual(igp({ igp: 7 }), [[7, 7], [7, 7]]);
  assert.deepEqual(igp({ igp: "delay" }), [[56, 56], [1, 1]], "556 µs → 56; 1 µs → at least 1");
});

test("locators from node ids: a whole number n is fc00:0:<n + 1 in hex>::/48, anything else a hash; stable when nodes move", () => {
  assert.equal(graphmlLocator("0"), "fc00:0:1::/48");
  assert.equal(graphmlLocator("65534"), "fc00:0:ffff::/48");
  // Hashed: FNV-1a("locator n12") = 0x…, split into two groups; never the numbered range fc00:0:….
  for (const id of ["65535", "007", "n12", "Zurich", ""]) assert.match(graphmlLocator(id), /^fc00:[1-9a-f][0-9a-f]{0,3}:[0-9a-f]{1,4}::\/48$/, id);
  assert.notEqual(graphmlLocator("007"), graphmlLocator("7"));
  const nodes = [at("x", "X", 0, 0), at("y", "Y", 0, 1), at("z", "Z", 0, 2)];
  const locs = (ns: N[]) => Object.fromEntries(ok(gml(ns, [])).topology.routers.map((r) => [r.name, r.locator]));
  const before = locs(nodes);
  assert.deepEqual(locs([nodes[2]!, at("w", "W", 0, 3), nodes[0]!, nodes[1]!]), { ...before, W: graphmlLocator("w") }, "reordered, one added: the others keep theirs");
});

test("locators use hex: router 10 is fc00:0:a::/48, router 256 fc00:0:100::/48", () => {
  const nodes = Array.from({ length: 256 }, (_, i) => at(String(i), `n${i}`, 0, i / 10));
  const { topology } = ok(gml(nodes, []));
  assert.equal(topology.routers[9]!.locator, "fc00:0:a::/48");
  assert.equal(topology.routers[255]!.locator, "fc00:0:100::/48");
});

test("duplicate and empty labels become label#id, for every node sharing them", () => {
  const { topology, notes } = ok(gml(
    [at("1", "Paris", 48.85, 2.35), at("2", "Paris", 33.66, -95.55), at("3", "", 0, 0), at("4", undefined, 0, 1), at("5", "Lyon", 45.76, 4.84)],
    [edge("1", "5"), edge("2", "5"), edge("3", "4")],
  ));
  assert.deepEqual(topology.routers.map((r) => r.name), ["Paris#1", "Paris#2", "#3", "#4", "Lyon"]);
  assert.deepEqual(topology.links.map((l) => l.id), ["Paris#1-Lyon", "Paris#2-Lyon", "#3-#4"]);
  assert.ok(notes.includes(`2 nodes without a label named #id: "#3", "#4"`), notes.join("\n"));
  assert.ok(notes.includes(`2 nodes sharing 1 label named label#id: "Paris#1", "Paris#2"`), notes.join("\n"));
});

test("a label shared only with a dropped node is not a duplicate", () => {
  const { topology } = ok(gml([at("1", "Paris", 48.85, 2.35), { id: "2", label: "Paris" }], [edge("1", "2")]));
  assert.deepEqual(topology.routers.map((r) => r.name), ["Paris"]);
});

test("a literal label that looks like label#id does not clash", () => {
  const { topology } = ok(gml([at("1", "A", 0, 0), at("2", "A", 0, 1), at("3", "A#1", 0, 2)], []));
  assert.deepEqual(topology.routers.map((r) => r.name), ["A#1", "A#2", "A#1#3"]);
});

test("LinkSpeedRaw gives the bandwidth; links without it get 1 Gbps, counted in a note", () => {
  const { topology, notes } = ok(gml(
    [at("a", "A", 0, 0), at("b", "B", 0, 1), at("c", "C", 0, 2), at("d", "D", 0, 3)],
    [edge("a", "b", "100000000.0"), edge("b", "c"), edge("c", "d", "0.0"), edge("d", "a", "fast")],
  ));
  assert.deepEqual(topology.links.map((l) => l.bandwidthBps), [1e8, 1e9, 1e9, 1e9]);
  assert.ok(notes.includes(`3 of 4 links have no usable LinkSpeedRaw and get the default bandwidth of 1 Gbps (2 with an unusable value: "C-D": "0.0", "D-A": "fast")`), notes.join("\n"));
});

test("nodes without coordinates are dropped with their links and named in a note", () => {
  const { topology, notes } = ok(gml(
    [at("a", "A", 0, 0), { id: "b", label: "Nowhere" }, { id: "c", label: "Half", lat: 1 }, { id: "d", label: "Bad", lat: 95, lon: 0 }, at("e", "E", 0, 1)],
    [edge("a", "b"), edge("b", "e"), edge("a", "c"), edge("a", "d"), edge("a", "e")],
  ));
  assert.deepEqual(topology.routers.map((r) => r.name), ["A", "E"]);
  assert.deepEqual(topology.links.map((l) => l.id), ["A-E"]);
  assert.deepEqual(topology.routers.map((r) => r.locator), [graphmlLocator("a"), graphmlLocator("e")], "locators come from node ids, not from positions");
  assert.ok(notes.includes(
    `dropped 3 nodes without usable Latitude/Longitude (no link delay can be computed) and their 4 links: "Nowhere" (node b), "Half" (node c): no Longitude, "Bad" (node d): Latitude "95" is not a number in [-90, 90]`,
  ), notes.join("\n"));
});

test("hyperedge helper nodes are dropped with their links", () => {
  const { topology, notes } = ok(gml(
    [at("a", "A", 0, 0), { id: "h", label: "None", hyper: true, lat: 0, lon: 0.5 }, at("b", "B", 0, 1), at("c", "C", 0, 2)],
    [edge("a", "h"), edge("h", "b"), edge("h", "c"), edge("b", "c")],
  ));
  assert.deepEqual(topology.routers.map((r) => r.name), ["A", "B", "C"]);
  assert.deepEqual(topology.links.map((l) => l.id), ["B-C"]);
  assert.ok(notes.includes(`dropped 1 hyperedge helper node and their 3 links: "None" (node h)`), notes.join("\n"));
  assert.ok(notes.includes(`1 router left without links (kept): "A"`), notes.join("\n"));
});

test("self-loops are dropped", () => {
  const { topology, notes } = ok(gml([at("a", "A", 0, 0), at("b", "B", 0, 1)], [edge("a", "a"), edge("a", "b")]));
  assert.deepEqual(topology.links.map((l) => l.id), ["A-B"]);
  assert.ok(notes.includes(`dropped 1 self-loop: "A"`), notes.join("\n"));
});

test("parallel edges: each is a link, named a-b#<key>, by the edge's key, else its id, else its place in the pair", () => {
  const { topology, notes } = ok(gml(
    [at("a", "A", 0, 0), at("b", "B", 0, 1), at("c", "C", 0, 2)],
    [edge("a", "b", "1e10"), edge("b", "a", "5e9"), edge("a", "b"), edge("b", "c"), edge("c", "b")],
  ));
  assert.deepEqual(topology.links.map((l) => [l.id, l.bandwidthBps]), [["A-B#1", 1e10], ["B-A#2", 5e9], ["A-B#3", 1e9], ["B-C#1", 1e9], ["C-B#2", 1e9]]);
  assert.equal(new Set(topology.links.flatMap((l) => [l.sidA, l.sidB])).size, 10, "each parallel link its own End.X SIDs");
  assert.ok(notes.includes(`5 parallel links between 2 pairs of routers, each with the id a-b#<edge key> ("a-b" names all of a pair's links): A – B (×3), B – C (×2)`), notes.join("\n"));
  // The zoo's multigraph key names them; an edge added elsewhere in the file changes no id.
  const keyed = (extra: string) => `<graphml><key id="k" for="edge" attr.name="key"/><key id="la" for="node" attr.name="Latitude"/><key id="lo" for="node" attr.name="Longitude"/><key id="n" for="node" attr.name="label"/><graph>
<node id="0"><data key="n">A</data><data key="la">0</data><data key="lo">0</data></node><node id="1"><data key="n">B</data><data key="la">0</data><data key="lo">1</data></node><node id="2"><data key="n">C</data><data key="la">0</data><data key="lo">2</data></node>
${extra}<edge source="0" target="1"><data key="k">0</data></edge><edge source="0" target="1"><data key="k">1</data></edge></graph></graphml>`;
  const before = ok(keyed("")).topology.links;
  const after = ok(keyed(`<edge source="1" target="2"><data key="k">0</data></edge>`)).topology.links;
  assert.deepEqual(before.map((l) => l.id), ["A-B#0", "A-B#1"]);
  assert.deepEqual(after.filter((l) => l.id.startsWith("A-B")), before);
});

test("a directed graph is read as undirected, with a note", () => {
  const { topology, notes } = ok(gml([at("a", "A", 0, 0), at("b", "B", 0, 1)], [edge("a", "b"), edge("b", "a")], `edgedefault="directed"`));
  assert.deepEqual(topology.links.map((l) => l.id), ["A-B#1", "B-A#2"], "a→b and b→a are parallel links");
  assert.ok(notes.some((n) => n.startsWith("2 directed edges read as undirected")), notes.join("\n"));
});

test("key defaults apply and key ids are only looked up through attr.name", () => {
  const text = `<graphml><key id="lat" for="node" attr.name="Latitude"><default>10</default></key>
<key id="x" for="all" attr.name="Longitude"/><key id="name" for="node" attr.name="label"/>
<graph edgedefault="undirected"><node id="0"><data key="name">P</data><data key="x">1</data></node>
<node id="1"><data key="name">Q &amp; R</data><data key="lat">11</data><data key="x">1</data></node><edge source="0" target="1"/></graph></graphml>`;
  const { topology } = ok(text);
  assert.deepEqual(topology.routers.map((r) => r.name), ["P", "Q & R"]);
  assert.equal(topology.links[0]!.delayUs, 556);
});

test("malformed XML is an error with its line number", () => {
  const errs = errorsOf(`<?xml version="1.0"?>\n<graphml>\n  <graph>\n    <node id="1">\n  </graph>\n</graphml>\n`);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.file, "t.graphml");
  assert.equal(errs[0]!.line, 5);
  assert.match(errs[0]!.reason, /^not well-formed XML: .*'node'/);
  const lead = errorsOf(`\n\n<graphml><graph></graphml>`);
  assert.equal(lead[0]!.line, 3, "positions count the leading blank lines");
  const truncated = errorsOf(`<graphml>\n<graph>\n<node id="1">\n<data key="d0">x</data>\n`);
  assert.deepEqual([truncated[0]!.line, truncated[0]!.reason], [5, "not well-formed XML: the file ends before <graphml>, <graph>, <node> are closed (is it truncated?)"]);
  assert.match(errorsOf("hello, world")[0]!.reason, /not well-formed XML/);
  assert.match(errorsOf("")[0]!.reason, /empty/);
});

test("XML that is not GraphML is an error", () => {
  assert.match(formatConfigError(errorsOf(`<?xml version="1.0"?><svg><g/></svg>`)[0]!), /^t\.graphml:1:1: not a GraphML file: the root element is <svg>, expected <graphml>$/);
  assert.match(errorsOf(`<graphml><key id="d0"/></graphml>`)[0]!.reason, /no <graph> element/);
});

test("a graph without usable nodes is an error that says why", () => {
  const errs = errorsOf(gml([{ id: "a", label: "A" }, { id: "h", hyper: true }], [edge("a", "h")]));
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, "graph");
  assert.equal(errs[0]!.line, 10, "the <graph> element's line");
  assert.equal(errs[0]!.reason, "no usable nodes: all 2 nodes were dropped: 1 hyperedge helper(s), 1 without Latitude/Longitude (link delays are computed from coordinates)");
  assert.match(errorsOf(gml([], []))[0]!.reason, /no usable nodes: the graph has no nodes/);
});

test("broken structure: duplicate node ids and edges to unknown nodes are located errors", () => {
  const errs = errorsOf(gml([at("a", "A", 0, 0), at("a", "B", 0, 1)], [edge("a", "zz")]));
  assert.deepEqual(errs.map((e) => [e.line, e.field, e.reason]), [
    [13, "node a", `duplicate node id "a" (first defined at line 12)`],
    [14, "edge[0]", `the edge a → zz names an unknown node id "zz"`],
  ]);
});

// ---------------------------------------------------------------------------------------------
// The real Topology Zoo files, checked against an independent count: regular expressions over
// the raw text, the rules applied again here, no XML parser.

const unescape = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : e === "apos" ? "'" : e === "amp" ? "&"
      : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));

function attrsOfTag(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)) out[m[1]!] = unescape(m[2]!);
  return out;
}

interface Expected {
  rawNodes: number;
  rawEdges: number;
  hyper: number;
  noCoords: number;
  selfLoops: number;
  parallel: number;
  isolated: number;
  names: string[];
  linkPairs: string[];
}

function countByRegex(xml: string): Expected {
  const keyName = new Map<string, string>();
  for (const m of xml.matchAll(/<key\b([^>]*?)\/?>/g)) {
    const a = attrsOfTag(m[1]!);
    if ((a["for"] === "node" || a["for"] === "edge") && a["id"] && a["attr.name"]) keyName.set(`${a["for"]}/${a["id"]}`, a["attr.name"]);
  }
  const dataOf = (kind: string, body: string) => {
    const d: Record<string, string> = {};
    for (const m of body.matchAll(/<data\b([^>]*?)(?:\/>|>([\s\S]*?)<\/data>)/g)) {
      const name = keyName.get(`${kind}/${attrsOfTag(m[1]!)["key"]}`);
      if (name) d[name] = unescape((m[2] ?? "").trim());
    }
    return d;
  };
  const nodes = [...xml.matchAll(/<node\b([^>]*?)(?:\/>|>([\s\S]*?)<\/node>)/g)].map((m) => ({ id: attrsOfTag(m[1]!)["id"]!, d: dataOf("node", m[2] ?? "") }));
  const edges = [...xml.matchAll(/<edge\b([^>]*?)(?:\/>|>[\s\S]*?<\/edge>)/g)].map((m) => attrsOfTag(m[1]!));
  const isNum = (s: string | undefined, lim: number) => s !== undefined && s !== "" && Number.isFinite(Number(s)) && Math.abs(Number(s)) <= lim;
  const hyper = new Set(nodes.filter((n) => n.d["hyperedge"] === "1").map((n) => n.id));
  const noCoords = new Set(nodes.filter((n) => !hyper.has(n.id) && !(isNum(n.d["Latitude"], 90) && isNum(n.d["Longitude"], 180))).map((n) => n.id));
  const kept = nodes.filter((n) => !hyper.has(n.id) && !noCoords.has(n.id));
  const label = (n: (typeof nodes)[number]) => (n.d["label"] ?? "").trim();
  const uses = new Map<string, number>();
  for (const n of kept) uses.set(label(n), (uses.get(label(n)) ?? 0) + 1);
  const nameOf = new Map(kept.map((n) => [n.id, label(n) !== "" && uses.get(label(n)) === 1 ? label(n) : `${label(n)}#${n.id}`]));
  let selfLoops = 0;
  const pairs = new Map<string, number>();
  const linkPairs: string[] = [];
  for (const e of edges) {
    const s = e["source"]!;
    const t = e["target"]!;
    if (!nameOf.has(s) || !nameOf.has(t)) continue;
    if (s === t) { selfLoops++; continue; }
    const key = [s, t].sort().join("\u0000");
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    linkPairs.push([nameOf.get(s)!, nameOf.get(t)!].sort().join(" | "));
  }
  // Every edge of a pair with several is a parallel link of its own.
  const parallel = [...pairs.values()].filter((c) => c > 1).reduce((x, c) => x + c, 0);
  const linked = new Set(linkPairs.flatMap((p) => p.split(" | ")));
  return {
    rawNodes: nodes.length, rawEdges: edges.length, hyper: hyper.size, noCoords: noCoords.size, selfLoops, parallel,
    isolated: [...nameOf.values()].filter((n) => !linked.has(n)).length, names: [...nameOf.values()], linkPairs,
  };
}

/** The count a note reports, or 0 when the note is absent. */
function noted(notes: string[], pattern: RegExp): number {
  const n = notes.map((s) => pattern.exec(s)).find((m) => m);
  return n ? Number(n[1]) : 0;
}

function checkAgainstRegex(file: string, xml: string, imp: GraphmlImport): Expected {
  const exp = countByRegex(xml);
  const { routers, links } = imp.topology;
  const names = routers.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, `${file}: router names are unique`);
  assert.deepEqual(names, exp.names, `${file}: router names`);
  assert.equal(new Set(links.map((l) => l.id)).size, links.length, `${file}: link ids are unique`);
  const known = new Set(names);
  for (const l of links) {
    assert.ok(known.has(l.a) && known.has(l.b), `${file}: link ${l.id} has both endpoints`);
    assert.ok(Number.isInteger(l.delayUs) && l.delayUs >= 1, `${file}: link ${l.id} delay ${l.delayUs}`);
    assert.ok(Number.isInteger(l.bandwidthBps) && l.bandwidthBps > 0, `${file}: link ${l.id} bandwidth ${l.bandwidthBps}`);
  }
  assert.deepEqual(links.map((l) => [l.a, l.b].sort().join(" | ")), exp.linkPairs, `${file}: links`);
  // Zoo node ids are whole numbers: each router's locator is its id + 1, wherever the node is.
  assert.deepEqual(routers.map((r) => r.locator), imp.origins.map((o) => `fc00:0:${(Number(o.id) + 1).toString(16)}::/48`), `${file}: locators`);
  const n = imp.notes;
  assert.equal(noted(n, /^dropped (\d+) hyperedge helper node/), exp.hyper, `${file}: hyperedge note`);
  assert.equal(noted(n, /^dropped (\d+) nodes? without usable Latitude/), exp.noCoords, `${file}: coordinates note`);
  assert.equal(noted(n, /^dropped (\d+) self-loop/), exp.selfLoops, `${file}: self-loop note`);
  assert.equal(noted(n, /^(\d+) parallel links? between/), exp.parallel, `${file}: parallel-link note`);
  assert.equal(noted(n, /^(\d+) routers? left without links/), exp.isolated, `${file}: isolated note`);
  return exp;
}

// Nodes/links kept and what was dropped, also counted with Python's ElementTree when written.
const NAMED = [
  { file: "Switch.graphml", rawNodes: 74, rawEdges: 92, routers: 47, links: 42, hyper: 13, noCoords: 14, parallel: 0, isolated: 5 },
  { file: "Geant2012.graphml", rawNodes: 40, rawEdges: 61, routers: 37, links: 58, hyper: 0, noCoords: 3, parallel: 0, isolated: 0 },
  { file: "Cogentco.graphml", rawNodes: 197, rawEdges: 245, routers: 186, links: 214, hyper: 11, noCoords: 0, parallel: 4, isolated: 2 },
  { file: "Kdl.graphml", rawNodes: 754, rawEdges: 899, routers: 726, links: 822, hyper: 28, noCoords: 0, parallel: 6, isolated: 12 },
];

for (const want of NAMED) {
  test(`zoo ${want.file}: counts match an independent count of the raw file`, (t) => {
    const xml = zoo(want.file);
    const t0 = performance.now();
    const r = parseGraphml(xml, want.file);
    const ms = performance.now() - t0;
    assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
    t.diagnostic(`${want.file}: ${r.value.topology.routers.length} routers, ${r.value.topology.links.length} links, imported in ${ms.toFixed(1)} ms`);
    const exp = checkAgainstRegex(want.file, xml, r.value);
    const { file: _f, routers, links, ...rest } = want;
    assert.deepEqual(
      { rawNodes: exp.rawNodes, rawEdges: exp.rawEdges, routers: exp.names.length, links: exp.linkPairs.length, hyper: exp.hyper, noCoords: exp.noCoords, parallel: exp.parallel, isolated: exp.isolated },
      { ...rest, routers, links },
    );
    assert.equal(r.value.topology.routers.length, routers);
    assert.equal(r.value.topology.links.length, links);
  });
}

test("zoo Geant2012: LinkSpeedRaw is used where present, the rest defaulted", () => {
  const r = parseGraphml(zoo("Geant2012.graphml"), "Geant2012.graphml");
  assert.ok(r.ok);
  const bw = r.value.topology.links.map((l) => l.bandwidthBps);
  assert.ok(bw.some((b) => b !== 1e9), "some links carry their own speed");
  const defaulted = noted(r.value.notes, /^(\d+) of \d+ links have no usable LinkSpeedRaw/);
  assert.ok(defaulted > 0 && defaulted < bw.length);
  assert.ok(r.value.topology.routers.every((x) => typeof x.region === "string" && x.region !== ""), "every router has a region");
});

test("every zoo file imports, or fails with a clean error, in reasonable time", { timeout: 120_000 }, (t) => {
  const dir = zooDir();
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith(".graphml")).sort();
  assert.ok(files.length >= 250, `expected the Topology Zoo's ~276 .graphml files in ${dir}, found ${files.length}`);
  const t0 = performance.now();
  let imported = 0;
  const failed: string[] = [];
  for (const f of files) {
    const xml = readFileSync(path.join(dir, f), "utf8");
    let r: ReturnType<typeof parseGraphml>;
    try {
      r = parseGraphml(xml, f);
    } catch (e) {
      assert.fail(`${f}: parseGraphml threw ${String(e)}`);
    }
    if (r.ok) {
      imported++;
      checkAgainstRegex(f, xml, r.value);
    } else {
      assert.ok(r.errors.length > 0, f);
      for (const e of r.errors) assert.ok(e.file === f && e.reason.length > 0 && Number.isInteger(e.line), `${f}: ${formatConfigError(e)}`);
      // The only failures in the zoo are graphs whose every node lacks coordinates.
      assert.match(r.errors[0]!.reason, /^no usable nodes/, `${f}: ${formatConfigError(r.errors[0]!)}`);
      assert.equal(countByRegex(xml).names.length, 0, `${f}: the regex count also finds no usable node`);
      failed.push(f);
    }
  }
  const ms = performance.now() - t0;
  t.diagnostic(`${files.length} files: ${imported} imported, ${failed.length} rejected (${failed.join(", ")}) in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 60_000, `importing the zoo took ${ms.toFixed(0)} ms`);
});

// ---------------------------------------------------------------------------------------------

test("loadAnyTopology picks GraphML by extension or content, YAML otherwise", async () => {
  const kdl = await loadAnyTopology(path.join(zooDir(), "Kdl.graphml"));
  assert.equal(kdl.topology.routers.length, 726);
  assert.ok(kdl.notes.length > 0);

  const tmp = mkdtempSync(path.join(tmpdir(), "cairn-graphml-"));
  try {
    const xmlNoExt = path.join(tmp, "net.xml");
    writeFileSync(xmlNoExt, `\uFEFF\n  ${gml([at("a", "A", 0, 0), at("b", "B", 1, 0)], [edge("a", "b")])}`);
    const byContent = await loadAnyTopology(xmlNoExt);
    assert.deepEqual(byContent.topology.links.map((l) => [l.id, l.delayUs]), [["A-B", 556]]);

    const bare = path.join(tmp, "bare.txt");
    writeFileSync(bare, gml([at("a", "A", 0, 0)], []).replace(/^<\?xml[^>]*\?>/, ""));
    assert.equal((await loadAnyTopology(bare)).topology.routers.length, 1);

    const upper = path.join(tmp, "BROKEN.GraphML");
    writeFileSync(upper, "routers: []\n");
    await assert.rejects(loadAnyTopology(upper), (e: unknown) => e instanceof ConfigFileError && /not well-formed XML/.test(e.message));

    const yaml = path.join(tmp, "t.yaml");
    writeFileSync(yaml, `routers:\n  - { name: a, locator: "fc00:0:1::/48" }\n  - { name: b, locator: "fc00:0:2::/48" }\nhosts: []\nlinks:\n  - { a: a, b: b }\n`);
    const y = await loadAnyTopology(yaml);
    assert.deepEqual(y.notes, []);
    assert.deepEqual(y.topology.routers.map((r) => r.name), ["a", "b"]);

    await assert.rejects(loadAnyTopology(path.join(tmp, "missing.graphml")), (e: unknown) => e instanceof ConfigFileError && /no such file/.test(e.message));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("XML errors: columns count from 1, and the library's message is escaped and cut (found by fuzzing)", () => {
  const r = parseGraphml('<?xml version="1.0"<graphml></graphml>\n', "f.graphml");
  assert.equal(r.ok, false);
  const e = r.ok ? undefined : r.errors[0]!;
  assert.ok(e && e.line === 1 && e.column >= 1, JSON.stringify(e));
  const long = parseGraphml(`<graphml><graph><node id="a" ${"x\u0001".repeat(500)}/></graph></graphml>`, "f.graphml");
  assert.equal(long.ok, false);
  const shown = long.ok ? "" : formatConfigError(long.errors[0]!);
  assert.ok(shown.length < 300, shown);
  assert.doesNotMatch(shown, /[\u0000-\u001f]/);
});
