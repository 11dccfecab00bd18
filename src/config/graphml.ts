// GraphML (Internet Topology Zoo) → Topology. Pure: text in, topology and notes out; no I/O.
//
// What a zoo file becomes, rule by rule. Every rule that drops or changes something adds a note
// that says what, with counts and names, so that nothing is lost silently.
//
//  0. Input. The text must be well-formed XML (checked first, so a malformed file gets the
//     validator's line and column) with a <graphml> root holding at least one <graph>. Only the
//     first <graph> is read (a note says how many others were ignored); nested graphs, ports and
//     <hyperedge> elements are ignored, with a note. Data keys are resolved through their
//     <key attr.name=…> declaration for the element kind (for="node"/"edge"/"all"), never by
//     their id: the ids (d29, d30, …) differ from file to file. A key's <default> applies where
//     an element has no <data> for it. Every <node> needs a unique id and every <edge> a source
//     and a target naming one of those nodes; anything else is an error (the file is not valid
//     GraphML), reported with the element's line.
//  1. Hyperedge helpers. Nodes with hyperedge=1 are drawing helpers, not routers: they are
//     dropped with all their edges.
//  2. Coordinates. A link's delay comes from its endpoints' Latitude/Longitude, so nodes without
//     both (or with values that are not numbers in [-90, 90] / [-180, 180]) are dropped with all
//     their edges. An edge touching a dropped node is counted under the first rule (1, then 2)
//     that drops one of its endpoints.
//  3. Self-loops (source = target) are dropped.
//  4. Parallel edges. The zoo files are multigraphs: every edge between a pair of nodes (either
//     direction) becomes a link of its own, with its own attributes, id and End.X SIDs (see 11).
//  5. Direction. Links are bidirectional. A directed graph (edgedefault="directed", or
//     directed="true" on an edge) is read as undirected, with a note; a→b and b→a are then
//     parallel links (rule 4).
//  6. Names. A router's name is its trimmed `label`. When the label is empty or missing, or more
//     than one kept node carries it, every such node is named `label#id` (`#id` without a label).
//     Only kept nodes count: a label shared with a dropped node is not a duplicate. (Should a
//     `label#id` still clash with another node's literal label, that node is renamed the same way.)
//  7. Region and position. A router's region is its `Country`, when present and not empty; its
//     latitude and longitude are the node's (the web UI draws the graph on them).
//  8. Locators, from the node's id, never its position, so that adding, removing or reordering
//     nodes moves no other router's SIDs: a node whose id is a whole number n from 0 to 65534
//     (written without leading zeros, as every zoo file does) gets fc00:0:<n + 1 in hex>::/48;
//     any other id gets fc00:<h >>> 16>:<h & 0xffff>::/48 with h = FNV-1a("locator <id>") (a
//     high half of 0 is taken as 1, leaving fc00:0:… to the numbered ids). Two nodes that derive
//     the same locator (odds about n² / 2^33 for n hashed ids) are an error naming both: a GraphML
//     file cannot give locators, so such a topology needs a YAML copy.
//  9. Delay. Great-circle (haversine) distance between the endpoints, Earth radius 6371 km, at
//     5 µs per km of fibre, rounded to the nearest µs; at least 1 µs, so that links between
//     co-located nodes (same coordinates) still have the positive delay the path engine expects.
// 10. Bandwidth. The edge's LinkSpeedRaw (bits per second, e.g. "2500000000.0"), rounded, when
//     it is a number > 0; otherwise LINK_DEFAULTS.bandwidthBps (1 Gbps), and a note counts them.
// 11. Other link fields. Link id `${a}-${b}` with a = the edge's source, b = its target, when the
//     pair has one edge; each of a pair's parallel edges gets `${a}-${b}#<k>`, k being the edge's
//     `key` data (the zoo's multigraph key, 0, 1, … within the pair), else its XML id attribute,
//     else its position among the pair's edges (from 1), so that other lines do not change it
//     ("a-b" names all of them). Names may contain '-'; should two links still get the same id,
//     the later one gets a `#2`, `#3`, … suffix, with a note. igp 10 unless told otherwise (options.igp: another number, or "delay":
//     the link's delay in units of 10 µs, at least 1), te = igp, jitterUs 0, loss 0,
//     utilization 0, srlgs [], colors [].
// 12. Isolated routers. Kept nodes left without links are kept (they are routers), with a note.
// 13. The topology has no hosts and no services. A graph with no node left after rules 1–2 is an
//     error, which says how many nodes each rule dropped.
import { escapeControls, quote } from "../core/quote.js";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { Topology } from "../core/model.js";
import { assignSids, type LinkSpec, type RouterSpec } from "../core/sids.js";
import { LINK_DEFAULTS } from "../core/model.js";
import type { ConfigError, ParseResult } from "./errors.js";
import { plural } from "../core/units.js";
import { fnv1a32 } from "../core/fnv.js";

export interface GraphmlImport {
  topology: Topology;
  /** What the import dropped or changed, one sentence each. */
  notes: string[];
  /** Where each router came from, in the order of topology.routers. */
  origins: GraphmlOrigin[];
}

/** A router's node in the GraphML file. */
export interface GraphmlOrigin {
  /** The node's id attribute. */
  id: string;
  /** Its trimmed label ("" when none): the router's name, unless renamed label#id. */
  label: string;
  latitude: number;
  longitude: number;
}

export const EARTH_RADIUS_KM = 6371;
export const FIBRE_US_PER_KM = 5;
export const GRAPHML_DEFAULT_IGP = 10;
/** "delay": IGP metric = link delay in units of this many µs (at least 1). */
export const IGP_DELAY_UNIT_US = 10;
const MAX_IGP = 16_777_215;

export interface GraphmlOptions {
  /** Every link's IGP metric, or "delay" to derive it from the link's delay. Default 10. */
  igp?: number | "delay";
}

/** Great-circle distance in km between two points given in degrees (haversine formula). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Propagation delay of a fibre of this length, whole µs, at least 1. */
export function fibreDelayUs(km: number): number {
  return Math.max(1, Math.round(km * FIBRE_US_PER_KM));
}

/** Largest node id numbered directly into fc00:0:<id + 1>::/48. */
export const MAX_NUMBERED_ID = 0xfffe;

/** A router's locator from its GraphML node id (rule 8). */
export function graphmlLocator(nodeId: string): string {
  if (/^(0|[1-9][0-9]{0,4})$/.test(nodeId) && Number(nodeId) <= MAX_NUMBERED_ID) return `fc00:0:${(Number(nodeId) + 1).toString(16)}::/48`;
  const h = fnv1a32(`locator ${nodeId}`);
  return `fc00:${((h >>> 16) || 1).toString(16)}:${(h & 0xffff).toString(16)}::/48`;
}

/** The XML library's message, which may quote the file at length: escaped and cut. */
function cut(msg: string): string {
  const e = escapeControls(msg);
  return e.length > 200 ? `${e.slice(0, 200)}…` : e;
}

// ---------------------------------------------------------------------------------------------
// XML access. fast-xml-parser gives plain objects: attributes under "@_name", text under "#text".

type XmlElement = Record<string, unknown>;
const ARRAY_TAGS = new Set(["key", "graph", "node", "edge", "data", "hyperedge", "port"]);
const META = XMLParser.getMetaDataSymbol();

function parser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    textNodeName: "#text",
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: true,
    trimValues: true,
    captureMetaData: true,
    isArray: (tag, _path, _leaf, isAttribute) => !isAttribute && ARRAY_TAGS.has(tag),
  });
}

function elements(parent: XmlElement, tag: string): XmlElement[] {
  const v = parent[tag];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  // An empty element such as <node/> comes out as "" rather than an object.
  return list.map((e) => (typeof e === "object" && e !== null ? (e as XmlElement) : {}));
}

function attr(e: XmlElement, name: string): string | undefined {
  const v = e[`@_${name}`];
  return typeof v === "string" ? v : v === undefined ? undefined : String(v);
}

/** The text directly inside an element ("" when none). */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "object" && v !== null) {
    const t = (v as XmlElement)["#text"];
    return t === undefined ? "" : String(t);
  }
  return "";
}

function startIndex(e: XmlElement): number | undefined {
  const m = (e as Record<symbol, unknown>)[META as symbol] as { startIndex?: number } | undefined;
  return m?.startIndex;
}

/** 1-based line and column of every offset, by binary search over the line starts. */
class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }
  at(offset: number | undefined): { line: number; column: number } {
    if (offset === undefined) return { line: 0, column: 0 };
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

// ---------------------------------------------------------------------------------------------

interface GNode {
  id: string;
  index: number;
  label: string;
  attrs: Map<string, string>;
  offset: number | undefined;
  hyperedge: boolean;
  lat?: number;
  lon?: number;
  /** Why the coordinates are unusable, when they are. */
  coordProblem?: string;
  name?: string;
}

interface GEdge {
  index: number;
  source: string;
  target: string;
  attrs: Map<string, string>;
  directed: boolean;
  /** The edge's id attribute, when it has one. */
  xmlId?: string;
}

function describe(n: GNode): string {
  return n.label === "" ? `node ${n.id} (no label)` : `${quote(n.label)} (node ${n.id})`;
}

function coordinate(n: GNode, key: "Latitude" | "Longitude", limit: number): number | string {
  const raw = n.attrs.get(key)?.trim();
  if (raw === undefined || raw === "") return `no ${key}`;
  const v = Number(raw);
  if (!Number.isFinite(v) || Math.abs(v) > limit) return `${key} ${quote(raw)} is not a number in [-${limit}, ${limit}]`;
  return v;
}

export function parseGraphml(input: string, file: string, options: GraphmlOptions = {}): ParseResult<GraphmlImport> {
  const igpOf = (delayUs: number) =>
    options.igp === "delay" ? Math.min(MAX_IGP, Math.max(1, Math.round(delayUs / IGP_DELAY_UNIT_US))) : (options.igp ?? GRAPHML_DEFAULT_IGP);
  // Leading BOM and whitespace are tolerated (strict XML forbids them before <?xml); positions
  // reported below are in the original text.
  const body = input.replace(/^\uFEFF?\s*/, "");
  const skipped = input.length - body.length;
  const lines = new Lines(input);
  const err = (field: string, reason: string, offset?: number): ConfigError => ({ file, ...lines.at(offset === undefined ? undefined : offset + skipped), field, reason });
  const fail = (e: ConfigError[]): ParseResult<GraphmlImport> => ({ ok: false, errors: e });

  if (body === "") return fail([{ ...err("", "the file is empty: expected a GraphML document"), line: 1, column: 1 }]);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    // Map the validator's position (in `body`) back to the original text.
    const prefix = input.slice(0, skipped);
    const prefixLines = prefix.split("\n").length - 1;
    const lastLineLen = prefix.length - (prefix.lastIndexOf("\n") + 1);
    // The validator reports several unclosed elements as "Invalid '[ "graphml", "graph" ]' found." at 1:1;
    // say what that means, at the end of the file.
    const unclosed = /^Invalid '(\[.*\])' found\.$/.exec(msg);
    if (unclosed) {
      let tags: unknown = null;
      try { tags = JSON.parse(unclosed[1]!); } catch { /* keep the validator's words */ }
      if (Array.isArray(tags)) {
        const end = lines.at(input.length);
        const list = tags.map((t) => `<${String(t)}>`).join(", ");
        return fail([{ file, ...end, field: "", reason: `not well-formed XML: the file ends before ${list} ${tags.length === 1 ? "is" : "are"} closed (is it truncated?)` }]);
      }
    }
    const l = typeof line === "number" ? line : 1;
    const c = typeof col === "number" && col > 0 ? col : 1; // the validator says column 0 for some errors; columns count from 1
    return fail([{ file, line: l + prefixLines, column: l === 1 && c > 0 ? c + lastLineLen : c, field: "", reason: `not well-formed XML: ${cut(msg)}` }]);
  }

  let doc: XmlElement;
  try {
    doc = parser().parse(body) as XmlElement;
  } catch (e) {
    return fail([err("", `cannot parse the XML: ${cut(e instanceof Error ? e.message : String(e))}`)]);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith("?") && !k.startsWith("@_") && k !== "#text");
  const root = elements(doc, "graphml")[0];
  if (!root) {
    const what = roots.length ? `the root element is <${roots[0]}>` : "there is no root element";
    return fail([err("", `not a GraphML file: ${what}, expected <graphml>`, 0)]);
  }
  const graphs = elements(root, "graph");
  const graph = graphs[0];
  if (!graph) return fail([err("graphml", "not a GraphML graph: <graphml> has no <graph> element", startIndex(root))]);

  const notes: string[] = [];
  if (graphs.length > 1) notes.push(`the file holds ${graphs.length} graphs; only the first was imported, the other ${graphs.length - 1} ignored`);

  // Keys: id → attr.name (and default), per element kind.
  const keys = { node: new Map<string, string>(), edge: new Map<string, string>() };
  const defaults = { node: new Map<string, string>(), edge: new Map<string, string>() };
  for (const k of elements(root, "key")) {
    const id = attr(k, "id");
    const name = attr(k, "attr.name");
    if (id === undefined || name === undefined) continue;
    const target = attr(k, "for") ?? "all";
    const def = k["default"];
    for (const kind of ["node", "edge"] as const) {
      if (target !== kind && target !== "all") continue;
      if (keys[kind].has(id)) continue;
      keys[kind].set(id, name);
      if (def !== undefined) defaults[kind].set(name, text(def));
    }
  }
  const attrsOf = (e: XmlElement, kind: "node" | "edge"): Map<string, string> => {
    const out = new Map(defaults[kind]);
    for (const d of elements(e, "data")) {
      const name = keys[kind].get(attr(d, "key") ?? "");
      if (name !== undefined) out.set(name, text(d));
    }
    return out;
  };

  const errors: ConfigError[] = [];
  const nodes: GNode[] = [];
  const byId = new Map<string, GNode>();
  let nested = 0;
  let ports = 0;
  elements(graph, "node").forEach((e, index) => {
    const id = attr(e, "id");
    const offset = startIndex(e);
    if (id === undefined || id === "") {
      errors.push(err(`node[${index}]`, "the node has no id", offset));
      return;
    }
    if (byId.has(id)) {
      errors.push(err(`node ${id}`, `duplicate node id ${quote(id)} (first defined at line ${lines.at(byId.get(id)!.offset! + skipped).line})`, offset));
      return;
    }
    nested += elements(e, "graph").length;
    ports += elements(e, "port").length;
    const attrs = attrsOf(e, "node");
    const n: GNode = { id, index, label: (attrs.get("label") ?? "").trim(), attrs, offset, hyperedge: (attrs.get("hyperedge") ?? "").trim() === "1" };
    const lat = coordinate(n, "Latitude", 90);
    const lon = coordinate(n, "Longitude", 180);
    if (typeof lat === "number" && typeof lon === "number") {
      n.lat = lat;
      n.lon = lon;
    } else {
      n.coordProblem = [lat, lon].filter((p) => typeof p === "string").join(", ");
    }
    nodes.push(n);
    byId.set(id, n);
  });
  const graphDirected = attr(graph, "edgedefault") === "directed";
  const edges: GEdge[] = [];
  elements(graph, "edge").forEach((e, index) => {
    const source = attr(e, "source");
    const target = attr(e, "target");
    const offset = startIndex(e);
    const field = `edge[${index}]`;
    if (source === undefined || target === undefined) {
      errors.push(err(field, `the edge has no ${source === undefined ? "source" : "target"}`, offset));
      return;
    }
    const unknown = [source, target].filter((s) => !byId.has(s));
    if (unknown.length) {
      errors.push(err(field, `the edge ${source} → ${target} names an unknown node id ${[...new Set(unknown)].map((u) => quote(u)).join(" and ")}`, offset));
      return;
    }
    const d = attr(e, "directed");
    const xmlId = attr(e, "id");
    edges.push({ index, source, target, attrs: attrsOf(e, "edge"), directed: d === undefined ? graphDirected : d === "true", ...(xmlId !== undefined ? { xmlId } : {}) });
  });
  if (errors.length) return fail(errors);
  const hyperElements = elements(graph, "hyperedge").length;
  if (hyperElements) notes.push(`ignored ${plural(hyperElements, "<hyperedge> element")} (only nodes and edges are imported)`);
  if (nested) notes.push(`ignored ${plural(nested, "nested graph")} inside nodes`);
  if (ports) notes.push(`ignored ${plural(ports, "<port> element")}`);
  const directedCount = edges.filter((e) => e.directed).length;
  if (directedCount) notes.push(`${plural(directedCount, "directed edge")} read as undirected: links are bidirectional, and edges a→b and b→a are parallel`);

  // Rules 1–2: drop hyperedge helpers and nodes without coordinates.
  const hyper = nodes.filter((n) => n.hyperedge);
  const noCoords = nodes.filter((n) => !n.hyperedge && n.coordProblem !== undefined);
  const kept = nodes.filter((n) => !n.hyperedge && n.coordProblem === undefined);

  if (kept.length === 0) {
    const why = nodes.length === 0
      ? "the graph has no nodes"
      : `all ${plural(nodes.length, "node")} were dropped: ${hyper.length} hyperedge helper(s), ${noCoords.length} without Latitude/Longitude (link delays are computed from coordinates)`;
    return fail([err("graph", `no usable nodes: ${why}`, startIndex(graph))]);
  }

  // Rule 6: names.
  const labelCount = new Map<string, number>();
  for (const n of kept) labelCount.set(n.label, (labelCount.get(n.label) ?? 0) + 1);
  const suffixed = (n: GNode) => `${n.label}#${n.id}`;
  const renamedEmpty: GNode[] = [];
  const renamedDup: GNode[] = [];
  for (const n of kept) {
    if (n.label === "") { n.name = suffixed(n); renamedEmpty.push(n); }
    else if (labelCount.get(n.label)! > 1) { n.name = suffixed(n); renamedDup.push(n); }
    else n.name = n.label;
  }
  // A literal label like "A#3" can clash with a suffixed "A#3": suffix the plain one too.
  const renamedClash: GNode[] = [];
  for (;;) {
    const owners = new Map<string, GNode[]>();
    for (const n of kept) owners.set(n.name!, [...(owners.get(n.name!) ?? []), n]);
    const clashing = [...owners.values()].filter((o) => o.length > 1);
    if (!clashing.length) break;
    const plain = clashing.flat().filter((n) => n.name === n.label);
    if (!plain.length) {
      const names = clashing.map((o) => `${quote(o[0]!.name!)} (nodes ${o.map((n) => n.id).join(", ")})`).join("; ");
      return fail([err("graph", `cannot give every node a unique name: ${names}`, startIndex(graph))]);
    }
    for (const n of plain) { n.name = suffixed(n); renamedClash.push(n); }
  }
  const nameList = (list: GNode[]) => list.map((n) => quote(n.name!)).join(", ");
  if (renamedEmpty.length) notes.push(`${plural(renamedEmpty.length, "node")} without a label named #id: ${nameList(renamedEmpty)}`);
  if (renamedDup.length) {
    const labels = [...new Set(renamedDup.map((n) => n.label))];
    notes.push(`${plural(renamedDup.length, "node")} sharing ${plural(labels.length, "label")} named label#id: ${nameList(renamedDup)}`);
  }
  if (renamedClash.length) notes.push(`${plural(renamedClash.length, "node")} whose label clashed with another node's label#id named label#id too: ${nameList(renamedClash)}`);

  // Rule 8: locators from node ids; a clash is an error (no rule could pick a winner without moving
  // a locator in use when a node is added).
  const byLocator = new Map<string, GNode>();
  const clashes: string[] = [];
  for (const n of kept) {
    const loc = graphmlLocator(n.id);
    const other = byLocator.get(loc);
    if (other) clashes.push(`nodes ${quote(other.id)} (${quote(other.name!)}) and ${quote(n.id)} (${quote(n.name!)}) both derive locator ${loc}`);
    else byLocator.set(loc, n);
  }
  if (clashes.length) return fail([err("graph", `${clashes.join("; ")}: a GraphML file cannot give locators, so write this topology as YAML`, startIndex(graph))]);
  const routers: RouterSpec[] = kept.map((n) => {
    const r: RouterSpec = { name: n.name!, locator: graphmlLocator(n.id), latitude: n.lat!, longitude: n.lon! };
    const country = n.attrs.get("Country")?.trim();
    if (country) r.region = country;
    return r;
  });

  // Rules 1–4 on edges, then 9–11.
  const dropped = new Set([...hyper, ...noCoords].map((n) => n.id));
  const hyperIds = new Set(hyper.map((n) => n.id));
  let hyperLinks = 0;
  let noCoordLinks = 0;
  const selfLoops: string[] = [];
  const parallel = new Map<string, number>();
  // Rule 4: how many kept edges each pair has, to name parallel ones.
  const pairKey = (s: GNode, t: GNode) => (s.index < t.index ? `${s.id}\u0000${t.id}` : `${t.id}\u0000${s.id}`);
  const pairEdges = new Map<string, number>();
  for (const e of edges) {
    if (dropped.has(e.source) || dropped.has(e.target) || e.source === e.target) continue;
    const k = pairKey(byId.get(e.source)!, byId.get(e.target)!);
    pairEdges.set(k, (pairEdges.get(k) ?? 0) + 1);
  }
  const pairSeen = new Map<string, number>();
  const links: LinkSpec[] = [];
  const linkIds = new Set<string>();
  const renamedLinks: string[] = [];
  const defaulted: string[] = [];
  const unusableSpeed: string[] = [];
  for (const e of edges) {
    if (dropped.has(e.source) || dropped.has(e.target)) {
      if (hyperIds.has(e.source) || hyperIds.has(e.target)) hyperLinks++;
      else noCoordLinks++;
      continue;
    }
    const s = byId.get(e.source)!;
    const t = byId.get(e.target)!;
    if (s === t) { selfLoops.push(quote(s.name!)); continue; }
    const pair = pairKey(s, t);
    const a = s.name!;
    const b = t.name!;
    const ordinal = (pairSeen.get(pair) ?? 0) + 1;
    pairSeen.set(pair, ordinal);
    let id = `${a}-${b}`;
    if (pairEdges.get(pair)! > 1) {
      const label = s.index < t.index ? `${s.name} – ${t.name}` : `${t.name} – ${s.name}`;
      parallel.set(label, (parallel.get(label) ?? 0) + 1);
      const key = e.attrs.get("key")?.trim() || e.xmlId?.trim() || String(ordinal);
      id = `${a}-${b}#${key}`;
    }
    if (linkIds.has(id)) {
      let k = 2;
      while (linkIds.has(`${a}-${b}#${k}`)) k++;
      id = `${a}-${b}#${k}`;
      renamedLinks.push(`${quote(a)} – ${quote(b)} as ${quote(id)}`);
    }
    linkIds.add(id);
    const speedText = e.attrs.get("LinkSpeedRaw")?.trim();
    const speed = speedText ? Number(speedText) : NaN;
    let bandwidthBps: number = LINK_DEFAULTS.bandwidthBps;
    if (Number.isFinite(speed) && speed > 0) bandwidthBps = Math.max(1, Math.round(speed));
    else {
      defaulted.push(id);
      if (speedText) unusableSpeed.push(`${quote(id)}: ${quote(speedText)}`);
    }
    const delayUs = fibreDelayUs(haversineKm(s.lat!, s.lon!, t.lat!, t.lon!));
    const igp = igpOf(delayUs);
    links.push({ id, a, b, igp, te: igp, delayUs, jitterUs: 0, loss: 0, bandwidthBps, utilization: 0, srlgs: [], colors: [] });
  }

  if (hyper.length) notes.push(`dropped ${plural(hyper.length, "hyperedge helper node")} and their ${plural(hyperLinks, "link")}: ${hyper.map(describe).join(", ")}`);
  if (noCoords.length) {
    const detail = noCoords.map((n) => (n.coordProblem === "no Latitude, no Longitude" ? describe(n) : `${describe(n)}: ${n.coordProblem}`));
    notes.push(`dropped ${plural(noCoords.length, "node")} without usable Latitude/Longitude (no link delay can be computed) and their ${plural(noCoordLinks, "link")}: ${detail.join(", ")}`);
  }
  if (selfLoops.length) notes.push(`dropped ${plural(selfLoops.length, "self-loop")}: ${selfLoops.join(", ")}`);
  if (parallel.size) {
    const total = [...parallel.values()].reduce((x, y) => x + y, 0);
    const pairs = [...parallel].map(([p, c]) => `${p} (×${c})`);
    notes.push(`${plural(total, "parallel link")} between ${plural(parallel.size, "pair")} of routers, each with the id a-b#<edge key> ("a-b" names all of a pair's links): ${pairs.join(", ")}`);
  }
  if (renamedLinks.length) notes.push(`${plural(renamedLinks.length, "link")} whose id "a-b" was already taken got a numeric suffix: ${renamedLinks.join(", ")}`);
  if (defaulted.length) {
    const bad = unusableSpeed.length ? ` (${unusableSpeed.length} with an unusable value: ${unusableSpeed.join(", ")})` : "";
    notes.push(`${defaulted.length} of ${plural(links.length, "link")} have no usable LinkSpeedRaw and get the default bandwidth of ${LINK_DEFAULTS.bandwidthBps / 1e9} Gbps${bad}`);
  }
  const linked = new Set(links.flatMap((l) => [l.a, l.b]));
  const isolated = routers.filter((r) => !linked.has(r.name));
  if (isolated.length) notes.push(`${plural(isolated.length, "router")} left without links (kept): ${isolated.map((r) => quote(r.name)).join(", ")}`);

  // A GraphML file cannot name SIDs, so two adjacencies of one router hashing alike (odds about
  // degree² / 2^29) cannot be fixed in it; the error says which, for a YAML copy that names one.
  const { topology, problems } = assignSids({ routers, hosts: [], links, services: [] });
  if (problems.length) return fail(problems.map((p) => err(`links[${p.index}]`, `${p.reason}; a GraphML file cannot give SIDs, so write this topology as YAML`, startIndex(graph))));
  const origins = kept.map((n) => ({ id: n.id, label: n.label, latitude: n.lat!, longitude: n.lon! }));
  return { ok: true, value: { topology, notes, origins } };
}
