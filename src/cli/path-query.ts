// The `cairn path` question from its options (command-line text, or the web UI's what-if form),
// and the answer as text and JSON. Pure (no I/O), so that the browser runs it too.
import type { AdditiveMetric, Constraints, Objective, Path, Protection, Topology, Weights } from "../core/model.js";
import { ADDITIVE_METRICS, NO_CONSTRAINTS, OBJECTIVES, PROTECTIONS, topologyNames } from "../core/model.js";
import type { PathAnswer, PathQuery } from "../core/path-query.js";
import { formatDurationUs, formatPercent, formatRateBps, parseDurationUs, parseRateBps, parseRatio, type UnitResult } from "../core/units.js";
import { MAX_MSD } from "../config/topology-file.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";
import { renderTable } from "./table.js";
import { shortened } from "./notes.js";
import { quote } from "../core/quote.js";
import { didYouMean, nodeNames, unknownLinkHint, unknownNameHint } from "../core/name-hints.js";

export interface PathOptions {
  topology: string;
  from: string;
  to: string;
  objective?: string;
  weight: string[];
  maxLatency?: string;
  maxJitter?: string;
  maxLoss?: string;
  maxHops?: string;
  minBandwidth?: string;
  avoidNode: string[];
  avoidLink: string[];
  avoidSrlg: string[];
  avoidRegion: string[];
  excludeAny: string[];
  includeAny: string[];
  includeAll: string[];
  via: string[];
  protection?: string;
  msd?: string;
  igp?: string;
  json?: boolean;
}

/** The command that shows a topology file's names, for messages about unknown names. */
function listedBy(file: string): string {
  return `cairn topology show ${/^[\w./@:+-]+$/.test(file) ? file : JSON.stringify(file)}`;
}

const bad = (message: string) => new CliError(message, EXIT_BAD_INPUT);

/** The engine's query from command-line options; every mistake is a CliError naming the option. */
export function pathQuery(topology: Topology, o: PathOptions): PathQuery {
  const names = topologyNames(topology);
  const router = (option: string, name: string): string => {
    if (names.routers.has(name)) return name;
    const host = topology.hosts.find((h) => h.name === name);
    if (host) return host.router;
    throw bad(`${option}: no router or host named ${quote(name)} in ${o.topology}; ${unknownNameHint(name, nodeNames(topology), { what: "routers and hosts", listedBy: listedBy(o.topology) })}`);
  };
  const unit = (option: string, text: string | undefined, parse: (t: string) => UnitResult): number | undefined => {
    if (text === undefined) return undefined;
    const r = parse(text);
    if (!r.ok) throw bad(`${option}: ${r.reason}`);
    return r.value;
  };
  const integer = (option: string, text: string | undefined, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw bad(`${option}: "${text}" is not a whole number from ${min} to ${max}`);
    return n;
  };

  const from = router("--from", o.from);
  const to = router("--to", o.to);
  let objective = (o.objective ?? (o.weight.length > 0 ? "weighted" : "latency")) as Objective;
  if (!OBJECTIVES.includes(objective)) throw bad(`--objective: unknown objective "${o.objective}"; use one of ${OBJECTIVES.join(", ")}`);
  let weights: Weights | undefined;
  if (o.weight.length > 0) {
    if (objective !== "weighted") throw bad(`--weight goes with --objective weighted (or no --objective), not ${objective}`);
    weights = {};
    for (const w of o.weight) {
      const m = /^([a-z]+)=(\d+(?:\.\d+)?)$/.exec(w);
      if (!m || !ADDITIVE_METRICS.includes(m[1] as AdditiveMetric)) throw bad(`--weight: "${w}" is not METRIC=NUMBER with METRIC one of ${ADDITIVE_METRICS.join(", ")}`);
      weights[m[1] as AdditiveMetric] = Number(m[2]);
    }
  } else if (objective === "weighted") throw bad("--objective weighted needs at least one --weight METRIC=NUMBER");

  const avoidLinks = o.avoidLink.map((text) => {
    const id = names.linkIds.get(text);
    if (!id) throw bad(`--avoid-link: no link ${quote(text)} in ${o.topology} (write it as A-B with two router names); ${unknownLinkHint(text, names.linkIds, { listedBy: listedBy(o.topology) })}`);
    return id;
  });
  const known = (option: string, values: string[], pool: Set<string>, what: string) => {
    for (const v of values) {
      if (pool.has(v)) continue;
      const near = didYouMean(v, pool);
      throw bad(`${option}: no ${what} ${quote(v)} in ${o.topology}${near ? `; ${near}` : ""}`);
    }
    return values;
  };
  const routerNames = names.routers;
  const via = o.via.map((v) => (routerNames.has(v) || names.services.has(v) ? v : router("--via", v)));
  const protection = (o.protection ?? "none") as Protection;
  if (!PROTECTIONS.includes(protection)) throw bad(`--protection: "${o.protection}" is not one of ${PROTECTIONS.join(", ")}`);
  const maxLatencyUs = unit("--max-latency", o.maxLatency, parseDurationUs);
  const maxJitterUs = unit("--max-jitter", o.maxJitter, parseDurationUs);
  const maxLoss = unit("--max-loss", o.maxLoss, (t) => parseRatio(t, 1));
  const maxHops = integer("--max-hops", o.maxHops, 1, 255);
  const minBandwidthBps = unit("--min-bandwidth", o.minBandwidth, parseRateBps);
  const msd = integer("--msd", o.msd, 1, MAX_MSD);
  const constraints: Constraints = {
    ...NO_CONSTRAINTS,
    ...(maxLatencyUs !== undefined ? { maxLatencyUs } : {}),
    ...(maxJitterUs !== undefined ? { maxJitterUs } : {}),
    ...(maxLoss !== undefined ? { maxLoss } : {}),
    ...(maxHops !== undefined ? { maxHops } : {}),
    ...(minBandwidthBps !== undefined ? { minBandwidthBps } : {}),
    avoidNodes: o.avoidNode.map((n) => {
      if (routerNames.has(n)) return n;
      if (names.hosts.has(n)) throw bad(`--avoid-node: "${n}" is a host; paths run between routers, so name a router`);
      return router("--avoid-node", n);
    }),
    avoidLinks,
    avoidSrlgs: known("--avoid-srlg", o.avoidSrlg, names.srlgs, "link with srlg"),
    avoidRegions: known("--avoid-region", o.avoidRegion, names.regions, "router in region"),
    excludeAny: o.excludeAny,
    includeAny: o.includeAny,
    includeAll: o.includeAll,
  };
  return { from, to, objective, ...(weights ? { weights } : {}), constraints, via, protection, ...(msd !== undefined ? { msd } : {}) };
}

function pathJson(p: Path) {
  return {
    nodes: p.nodes,
    links: p.links,
    metrics: { ...p.metrics, bottleneckBps: p.metrics.hops === 0 ? null : p.metrics.bottleneckBps },
    segments: p.segments.map((s) => ({ sid: s.sid, node: s.node, behavior: s.behavior, ...(s.link ? { link: s.link } : {}), ...(s.service ? { service: s.service } : {}) })),
    srhBytes: p.srhBytes,
  };
}

export function answerJson(a: PathAnswer, notes: string[]) {
  if (!a.ok) return { infeasible: { reason: a.reason, constraints: a.cut }, notes };
  return { primary: pathJson(a.primary), backup: a.backup ? pathJson(a.backup) : null, notes };
}

function formatPath(title: string, p: Path): string[] {
  const m = p.metrics;
  const lines = [
    `${title}: ${p.nodes.join(" > ")}`,
    `  latency ${formatDurationUs(m.latencyUs)}, igp ${m.igp}, te ${m.te}, hops ${m.hops}, jitter ${formatDurationUs(m.jitterUs)}, loss ${formatPercent(m.loss)}, ` +
      `bottleneck ${m.hops === 0 ? "-" : formatRateBps(m.bottleneckBps)}, max utilization ${formatPercent(m.maxUtilization)}`,
  ];
  if (p.segments.length === 0) lines.push("  segments: none (the IGP already takes this path; no SRH)");
  else {
    lines.push(`  segments (SRH ${p.srhBytes} bytes):`);
    const table = renderTable(["#", "SID", "BEHAVIOR", "NODE", "DETAIL"], p.segments.map((s, i) => [String(i + 1), s.sid, s.behavior, s.node, s.link ? `link ${endXLinkName(p, s.link)}` : s.service ? `service ${s.service}` : ""]));
    lines.push(...table.split("\n").map((l) => `    ${l}`));
  }
  return lines;
}

/** An End.X segment's link as the path crosses it: "a-b", or a parallel link's id with its direction. */
function endXLinkName(p: Path, [from, to]: [string, string]): string {
  const k = p.nodes.findIndex((n, i) => n === from && p.nodes[i + 1] === to);
  const id = k >= 0 ? p.links[k] : undefined;
  return id === undefined || id === `${from}-${to}` || id === `${to}-${from}` ? `${from}-${to}` : `${id} (${from}>${to})`;
}

export function formatAnswer(q: PathQuery, a: PathAnswer, notes: string[]): string {
  const lines: string[] = [];
  if (!a.ok) lines.push(`infeasible: ${a.reason}`);
  else {
    lines.push(...formatPath("primary", a.primary));
    if (a.backup) lines.push(...formatPath(`backup (${q.protection}-disjoint)`, a.backup));
    else if (q.protection !== "none") lines.push(`backup: none`);
  }
  if (notes.length > 0) lines.push("notes:", ...notes.map((n) => `  - ${shortened(n)}`));
  return lines.join("\n");
}
