// Bounds and sense of the probed paths in an agent's report, checked at the edge before anything
// reads them: each problem names the field (paths[i].links[j]) and says why.
import { quote as quoteValue } from "../core/quote.js";
import type { Topology } from "../core/model.js";
import { parseAddress } from "../core/ipv6.js";
import { parseIpPrefix } from "../core/ip.js";
import type { PathHealthView } from "../api/types.js";

export const PATH_REPORT_LIMITS = {
  /** Probe streams per report: one per distinct path the datapath can hold (its slots top out at 65536, 1024 by default). */
  paths: 4096,
  /** A probe is at most the path's 8 segments, the turn and 8 back: 17; the rest is margin. */
  probeSids: 32,
  /** Routers of one path (a via path may revisit some). */
  routers: 1024,
  usesPerPath: 4096,
  usesPerReport: 16384,
  keyChars: 128,
  /** Round trips longer than a minute are not measurements. */
  maxRttUs: 60_000_000,
} as const;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

export function isRfc3339(s: string): boolean {
  return RFC3339.test(s) && !Number.isNaN(Date.parse(s));
}

/** Shows at most about 50 characters of what a caller sent, escaped (core/quote.ts). */
export function quote(s: string, max = 50): string {
  return quoteValue(s, max);
}

/** Why `paths` is out of bounds or does not fit `topology`; null when it is fine. */
export function pathReportProblem(paths: readonly PathHealthView[], topology: Topology): string | null {
  const L = PATH_REPORT_LIMITS;
  if (paths.length > L.paths) return `${paths.length} probed paths; at most ${L.paths}`;
  const { routers, links } = namesOf(topology);
  const seen = new Map<string, number>();
  let uses = 0;
  for (const [i, p] of paths.entries()) {
    const at = `paths[${i}]`;
    const problem = pathProblem(p, at, routers, links);
    if (problem) return problem;
    const id = p.probeSids.join(",");
    const first = seen.get(id);
    if (first !== undefined) return `${at}: probe SIDs ${p.probeSids.join(",")} are reported twice (also paths[${first}])`;
    seen.set(id, i);
    uses += p.uses.length;
    if (uses > L.usesPerReport) return `${at}: more than ${L.usesPerReport} path uses in the report`;
  }
  return null;
}

/** A topology's router names and links by id, once per topology (every report is checked against them). */
const names = new WeakMap<Topology, { routers: Set<string>; links: Map<string, { a: string; b: string }> }>();
function namesOf(topology: Topology): { routers: Set<string>; links: Map<string, { a: string; b: string }> } {
  let n = names.get(topology);
  if (!n) names.set(topology, (n = { routers: new Set(topology.routers.map((r) => r.name)), links: new Map(topology.links.map((l) => [l.id, l])) }));
  return n;
}

/** `valid`, remembering the strings it accepted (a fleet's reports name the same few thousand again and again); at most `max` of them. */
export function rememberingValid(valid: (s: string) => boolean, max = 1 << 16): (s: string) => boolean {
  const known = new Set<string>();
  return (s) => {
    if (known.has(s)) return true;
    if (!valid(s)) return false;
    if (known.size >= max) known.clear();
    known.add(s);
    return true;
  };
}

const isAddress = rememberingValid((sid) => parseAddress(sid) !== null);
/** Whether a string is an IP prefix, remembered (every report names its host's prefixes again). */
export const isPrefix = rememberingValid((p) => parseIpPrefix(p) !== null);

function pathProblem(p: PathHealthView, at: string, routers: Set<string>, links: Map<string, { a: string; b: string }>): string | null {
  const L = PATH_REPORT_LIMITS;
  if (p.probeSids.length === 0) return `${at}.probeSids is empty`;
  if (p.probeSids.length > L.probeSids) return `${at}.probeSids has ${p.probeSids.length} SIDs; at most ${L.probeSids}`;
  for (const [j, sid] of p.probeSids.entries()) if (!isAddress(sid)) return `${at}.probeSids[${j}]: ${quote(sid)} is not an IPv6 address`;
  if (p.routers.length === 0) return `${at}.routers is empty`;
  if (p.routers.length > L.routers) return `${at}.routers has ${p.routers.length} routers; at most ${L.routers}`;
  if (p.links.length !== p.routers.length - 1) return `${at}: ${p.links.length} links for ${p.routers.length} routers (a path has one link fewer than routers)`;
  for (const [j, r] of p.routers.entries()) if (!routers.has(r)) return `${at}.routers[${j}]: ${quote(r)} is not a router of the topology`;
  for (const [j, id] of p.links.entries()) {
    const l = links.get(id);
    if (!l) return `${at}.links[${j}]: ${quote(id)} is not a link of the topology`;
    const a = p.routers[j]!;
    const b = p.routers[j + 1]!;
    if (!((l.a === a && l.b === b) || (l.a === b && l.b === a))) return `${at}.links[${j}]: link ${id} does not join ${a} and ${b} (routers[${j}] and routers[${j + 1}])`;
  }
  if (!isRfc3339(p.since)) return `${at}.since ${quote(p.since, 40)} is not an RFC 3339 time`;
  if (!(p.loss >= 0 && p.loss <= 1)) return `${at}.loss is ${p.loss}; a share from 0 to 1`;
  for (const k of ["rttMinUs", "rttAvgUs", "rttP99Us"] as const) {
    if (!(p[k] >= 0 && p[k] <= L.maxRttUs)) return `${at}.${k} is ${p[k]}; from 0 to ${L.maxRttUs} µs`;
  }
  if (p.rttMinUs > p.rttAvgUs || p.rttMinUs > p.rttP99Us) return `${at}: rttMinUs ${p.rttMinUs} is above rttAvgUs ${p.rttAvgUs} or rttP99Us ${p.rttP99Us}`;
  if (p.probesReceived > p.probesSent) return `${at}: probesReceived ${p.probesReceived} is more than probesSent ${p.probesSent}`;
  if (p.uses.length > L.usesPerPath) return `${at}.uses has ${p.uses.length} entries; at most ${L.usesPerPath}`;
  const uses = new Set<string>();
  for (const [j, u] of p.uses.entries()) {
    const where = `${at}.uses[${j}]`;
    if (u.rule === "") return `${where}.rule is empty`;
    if (u.rule.length > L.keyChars) return `${where}.rule is ${u.rule.length} characters long; at most ${L.keyChars}`;
    if (!isPrefix(u.prefix)) return `${where}.prefix: ${quote(u.prefix)} is not an IP prefix`;
    const k = `${u.rule} ${u.prefix} ${u.role}`;
    if (uses.has(k)) return `${where}: rule ${u.rule}, target ${u.prefix}, ${u.role} is listed twice`;
    uses.add(k);
  }
  return null;
}
