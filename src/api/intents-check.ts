// Typed intents (ApplyIntents, ValidateIntents) → Intent[], checked against the topology as
// completely as the intents file is (src/config/intents-file.ts, intent-match.ts): the same rules,
// the same normalisations, every problem found (not just the first), each named by its field path
// in the message's JSON names ("intents[2].match.hosts[0]") and the intent's name. Nothing that
// fails here reaches the controller's state. Pure.
import { quote as quoteValue } from "../core/quote.js";
import type { AdditiveMetric, Constraints, FailurePolicy, Intent, IntentLiveliness, IntentMatch, Objective, PortRange, Protection, Protocol, Topology, TopologyNames, Weights } from "../core/model.js";
import { ADDITIVE_METRICS, APP_NAME, constraintsOf, FAILURE_POLICIES, LIVELINESS_RANGES, PROTECTIONS, PROTOCOL_NUMBERS, topologyNames } from "../core/model.js";
import type { Family, IpPrefix } from "../core/ip.js";
import { familyName, formatIpPrefix, parseIpPrefix } from "../core/ip.js";
import { ipv4Owner, isDualStack } from "../core/destinations.js";
import type { SyntaxResult } from "../core/match-syntax.js";
import { parseCgroupPath, parseDnsName, parseUser } from "../core/match-syntax.js";
import type { ConfigError, ParseResult } from "../config/errors.js";
import { DEFAULT_OBJECTIVE, INTENT_NAME, NAMED_OBJECTIVES } from "../config/intents-file.js";
import { MAX_MSD } from "../config/topology-file.js";
import { LIST_TOPOLOGY, unknownLinkHint, unknownNameHint } from "../core/name-hints.js";
import type { Constraints as ConstraintsMsg, Intent as IntentMsg, IntentMatch as IntentMatchMsg, Liveliness as LivelinessMsg } from "./gen/cairn/v1/cairn_pb.js";

/** Longest hop count a constraint may ask for (as in the intents file). */
const MAX_HOPS = 255;
const WEIGHTS_EXAMPLE = '{ "latency": 1, "hops": 200 }';

/** Shows at most about 64 characters of what a caller sent, escaped (core/quote.ts). */
export function quote(s: string, max = 64): string {
  return quoteValue(s, max);
}

/** Hints at the nearest names, for the first MAX_HINTS unknown names of a request: each one scans the topology's names. */
const MAX_HINTS = 32;
class Hints {
  private left = MAX_HINTS;
  constructor(private readonly names: TopologyNames) {}
  private take(make: () => string): string {
    return this.left-- > 0 ? `; ${make()}` : "";
  }
  host(v: string): string {
    return this.take(() => unknownNameHint(v, [...this.names.hosts], { what: "hosts", listedBy: LIST_TOPOLOGY }));
  }
  router(v: string): string {
    return this.take(() => unknownNameHint(v, [...this.names.routers], { what: "routers", listedBy: LIST_TOPOLOGY }));
  }
  waypoint(v: string): string {
    return this.take(() => unknownNameHint(v, [...this.names.routers, ...this.names.services], { what: "routers and services", listedBy: LIST_TOPOLOGY }));
  }
  link(v: string): string {
    return this.take(() => unknownLinkHint(v, this.names.linkIds, { listedBy: LIST_TOPOLOGY }));
  }
}

class Problems {
  readonly errors: ConfigError[] = [];
  constructor(private readonly file: string) {}
  /** One problem of intent `intent` (its name as sent, "" when it has none) at `field`. */
  add(field: string, intent: string, reason: string): void {
    this.errors.push({ file: this.file, line: 0, column: 0, field, reason, ...(intent ? { intent: intent.length > 64 ? `${intent.slice(0, 64)}…` : intent } : {}) });
  }
}

/** The intents of an ApplyIntents or ValidateIntents request, checked; `file` names them in errors. */
export function checkIntents(msgs: readonly IntentMsg[], topology: Topology, file: string): ParseResult<Intent[]> {
  const p = new Problems(file);
  const names = topologyNames(topology);
  const hints = new Hints(names);
  const firstAt = new Map<string, number>();
  const out: Intent[] = [];
  msgs.forEach((m, i) => {
    const at = `intents[${i}]`;
    const before = p.errors.length;
    const err = (field: string, reason: string) => p.add(field ? `${at}.${field}` : at, m.name, reason);

    if (m.name === "") err("name", "missing: every intent needs a name");
    else if (!INTENT_NAME.test(m.name)) err("name", `${quote(m.name)} is not a valid intent name (letters, digits, _ . -; up to 63)`);
    else if (firstAt.has(m.name)) err("name", `duplicate intent name ${quote(m.name)} (first at intents[${firstAt.get(m.name)}])`);
    else firstAt.set(m.name, i);

    const match = m.match ? checkMatch(m.match, topology, names, hints, err) : (err("match", "missing: every intent needs a match (hosts and a destination)"), null);
    const objective = checkObjective(m, err);
    const constraints = checkConstraints(m.constraints, names, hints, err);
    const via: string[] = [];
    m.via.forEach((v, k) => {
      const f = `via[${k}]`;
      if (v === "") err(f, "expected a non-empty string");
      else if (!names.routers.has(v) && !names.services.has(v)) err(f, names.hosts.has(v) ? `${quote(v)} is a host; via takes routers and services` : `unknown router or service ${quote(v)}${hints.waypoint(v)}`);
      else if (constraints?.avoidNodes.includes(v)) err(f, `${quote(v)} is both a via point and in constraints.avoidNodes`);
      else via.push(v);
    });
    const protection = (m.protection === "" ? "none" : m.protection) as Protection;
    if (!PROTECTIONS.includes(protection)) err("protection", `unknown protection ${quote(m.protection)}; use one of ${PROTECTIONS.join(", ")}`);
    if (m.msd !== undefined && !(m.msd >= 1 && m.msd <= MAX_MSD)) err("msd", `expected a whole number from 1 to ${MAX_MSD}, got ${m.msd}`);
    if (m.onFailure !== undefined && !FAILURE_POLICIES.includes(m.onFailure as FailurePolicy)) {
      err("onFailure", `unknown onFailure ${quote(m.onFailure)}; use open (send unsteered) or closed (drop)`);
    }
    const liveliness = m.liveliness ? checkLiveliness(m.liveliness, err) : undefined;

    if (p.errors.length > before || !match || !objective || !constraints || liveliness === null) return;
    out.push({
      name: m.name,
      match,
      objective: objective.objective,
      ...(objective.weights ? { weights: objective.weights } : {}),
      constraints,
      via,
      protection,
      ...(m.msd !== undefined ? { msd: m.msd } : {}),
      ...(m.onFailure !== undefined ? { onFailure: m.onFailure as FailurePolicy } : {}),
      ...(liveliness !== undefined ? { liveliness } : {}),
    });
  });
  return p.errors.length > 0 ? { ok: false, errors: p.errors } : { ok: true, value: out };
}

type Err = (field: string, reason: string) => void;

/** An optional string checked by `parse`: undefined when absent, null when invalid (reported). */
function optionalText(v: string | undefined, field: string, err: Err, parse: (text: string) => SyntaxResult): string | undefined | null {
  if (v === undefined) return undefined;
  if (v === "") {
    err(field, "expected a non-empty string (leave the field out for any)");
    return null;
  }
  const r = parse(v);
  if (r.ok) return r.value;
  err(field, r.reason);
  return null;
}

function checkMatch(m: IntentMatchMsg, topology: Topology, names: TopologyNames, hints: Hints, err: Err): IntentMatch | null {
  let bad = false;
  const e: Err = (f, r) => {
    bad = true;
    err(`match.${f}`, r);
  };
  if (m.hosts.length === 0) e("hosts", "must name at least one host");
  m.hosts.forEach((h, k) => {
    if (h === "") e(`hosts[${k}]`, "expected a non-empty string");
    else if (!names.hosts.has(h)) e(`hosts[${k}]`, names.routers.has(h) ? `${quote(h)} is a router; intents apply on hosts` : `unknown host ${quote(h)}${hints.host(h)}`);
  });
  const app = optionalText(m.app, "app", e, (t) => (APP_NAME.test(t) ? { ok: true, value: t } : { ok: false, reason: `${quote(t)} is not a valid app name (letters, digits, _ . -)` }));
  const cgroup = optionalText(m.cgroup, "cgroup", e, parseCgroupPath);
  if (app && cgroup) e("cgroup", `app ${quote(app)} already names a cgroup (the lab app's); give app or cgroup, not both`);
  const user = optionalText(m.user, "user", e, parseUser);
  const sourceText = optionalText(m.source, "source", e, (t) =>
    parseIpPrefix(t) ? { ok: true, value: t } : { ok: false, reason: `${quote(t)} is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:1::/64, 10.1.0.0/16, 10.1.0.7)` },
  );
  const source = sourceText ? parseIpPrefix(sourceText) : null;

  let to: IntentMatch["to"] | null = null;
  let toPrefix: IpPrefix | null = null;
  let toField = "to";
  const d = m.to;
  if (d.case === undefined) e("to", "missing: give the destination as toHost, toPrefix or toDns");
  else if (d.value === "") e(d.case, "expected a non-empty string");
  else if (d.case === "toHost") {
    toField = "toHost";
    const h = d.value;
    if (!names.hosts.has(h)) {
      e("toHost", names.routers.has(h) ? `${quote(h)} is a router; give a host (toHost), a prefix (toPrefix) or a DNS name (toDns)` : `unknown host ${quote(h)}${hints.host(h)}`);
    } else if (m.hosts.includes(h)) e("toHost", `destination ${quote(h)} is also one of the hosts this intent applies on`);
    else to = { host: h };
  } else if (d.case === "toPrefix") {
    toField = "toPrefix";
    const p = parseIpPrefix(d.value);
    if (!p) e("toPrefix", `${quote(d.value)} is not an IPv6 or IPv4 prefix or address (e.g. 2001:db8:4::/64, 10.0.4.0/24, 10.0.4.10)`);
    else if (p.family === 4 && !ipv4Owner(topology, p).ok) e("toPrefix", (ipv4Owner(topology, p) as { reason: string }).reason);
    else {
      to = { prefix: formatIpPrefix(p) };
      toPrefix = p;
    }
  } else {
    toField = "toDns";
    const r = parseDnsName(d.value);
    if (!r.ok) e("toDns", r.reason);
    else to = { dns: r.value };
  }

  let protocol: Protocol | undefined;
  if (m.protocol !== undefined) {
    if (!(m.protocol in PROTOCOL_NUMBERS)) e("protocol", `unknown protocol ${quote(m.protocol)}; use one of ${Object.keys(PROTOCOL_NUMBERS).join(", ")}`);
    else protocol = m.protocol as Protocol;
  }
  const ports: PortRange[] = [];
  m.ports.forEach((r, k) => {
    if (r.from > 65535 || r.to > 65535) e(`ports[${k}]`, `${r.from}-${r.to} is not a port range (ports 0-65535)`);
    else if (r.from > r.to) e(`ports[${k}]`, `port range ${r.from}-${r.to} runs backwards`);
    else ports.push({ from: r.from, to: r.to });
  });
  if (m.ports.length > 0 && (protocol === "icmp" || protocol === "icmpv6")) e("ports", "ports apply only to tcp and udp");

  if (!bad && to) checkFamilies({ source, protocol, to, toPrefix, toField, hosts: m.hosts, topology, e });
  if (bad || !to) return null;
  return {
    hosts: [...m.hosts],
    ...(app ? { app } : {}),
    ...(cgroup ? { cgroup } : {}),
    ...(user ? { user } : {}),
    ...(source ? { source: formatIpPrefix(source) } : {}),
    to,
    ...(protocol ? { protocol } : {}),
    ports,
  };
}

const ICMP_FAMILY: Partial<Record<Protocol, Family>> = { icmp: 4, icmpv6: 6 };
const ICMP_OF: Record<Family, Protocol> = { 4: "icmp", 6: "icmpv6" };

/** One packet has one family (intent-match.ts checkFamilies, over typed fields). */
function checkFamilies(c: {
  source: IpPrefix | null;
  protocol: Protocol | undefined;
  to: IntentMatch["to"];
  toPrefix: IpPrefix | null;
  toField: string;
  hosts: string[];
  topology: Topology;
  e: Err;
}): void {
  const { source, protocol, toPrefix, e } = c;
  const protoFamily = protocol ? ICMP_FAMILY[protocol] : undefined;
  const sourceText = source ? formatIpPrefix(source) : "";
  if (source && protoFamily !== undefined && source.family !== protoFamily) {
    e("protocol", `${protocol} is ${familyName(protoFamily)} only, but source ${sourceText} is ${familyName(source.family)}`);
    return;
  }
  if (toPrefix) {
    const destText = `the destination ${formatIpPrefix(toPrefix)} is ${familyName(toPrefix.family)}`;
    if (source && source.family !== toPrefix.family) e("source", `source ${sourceText} is ${familyName(source.family)}, but ${destText}; a packet has one family`);
    if (protocol && protoFamily !== undefined && protoFamily !== toPrefix.family) e("protocol", `${protocol} is ${familyName(protoFamily)} only, but ${destText}: use ${ICMP_OF[toPrefix.family]}`);
    return;
  }
  if (!("host" in c.to)) return;
  const only = source?.family ?? protoFamily;
  if (only !== 4) return;
  const why = source ? `source ${sourceText} is IPv4` : `protocol ${protocol} is IPv4 only`;
  const dest = c.to.host;
  const host = (name: string) => c.topology.hosts.find((h) => h.name === name);
  if (!isDualStack(host(dest)!)) e(c.toField, `${dest} has no IPv4 address, and this intent matches only IPv4 (${why})`);
  c.hosts.forEach((s, k) => {
    const h = host(s);
    if (h && !isDualStack(h)) e(`hosts[${k}]`, `${quote(s)} has no IPv4 address, so no IPv4 path to ${dest}, and this intent matches only IPv4 (${why})`);
  });
}

function checkObjective(m: IntentMsg, err: Err): { objective: Objective; weights?: Weights } | null {
  const entries = Object.entries(m.weights);
  if (m.objective === "weighted") {
    if (entries.length === 0) {
      err("weights", `objective "weighted" needs at least one weight, e.g. ${WEIGHTS_EXAMPLE} (metrics: ${ADDITIVE_METRICS.join(", ")})`);
      return null;
    }
    const weights: Weights = {};
    let ok = true;
    for (const [metric, w] of entries) {
      if (!ADDITIVE_METRICS.includes(metric as AdditiveMetric)) {
        err(`weights.${metric.length > 32 ? `${metric.slice(0, 32)}…` : metric}`, `unknown metric ${quote(metric)}; expected one of ${ADDITIVE_METRICS.join(", ")}`);
        ok = false;
      } else if (!(Number.isFinite(w) && w > 0)) {
        err(`weights.${metric}`, `a weight must be greater than zero, got ${w}; leave ${metric} out to ignore it`);
        ok = false;
      } else weights[metric as AdditiveMetric] = w;
    }
    return ok ? { objective: "weighted", weights } : null;
  }
  const objective = (m.objective === "" ? DEFAULT_OBJECTIVE : m.objective) as Objective;
  let ok = true;
  if (!NAMED_OBJECTIVES.includes(objective)) {
    err("objective", `unknown objective ${quote(m.objective)}; use one of ${NAMED_OBJECTIVES.join(", ")}, or "weighted" with weights`);
    ok = false;
  }
  if (entries.length > 0) {
    err("weights", `weights apply only to objective "weighted", not ${quote(objective)}`);
    ok = false;
  }
  return ok ? { objective } : null;
}

function checkConstraints(c: ConstraintsMsg | undefined, names: TopologyNames, hints: Hints, err: Err): Constraints | null {
  let ok = true;
  const e: Err = (f, r) => {
    ok = false;
    err(`constraints.${f}`, r);
  };
  const whole = (v: number | undefined, f: string, min: number, max: number, unit = ""): number | undefined => {
    if (v === undefined) return undefined;
    if (!(Number.isInteger(v) && v >= min && v <= max)) e(f, `expected a whole number${unit} from ${min} to ${max}, got ${v}`);
    return v;
  };
  const maxLatencyUs = whole(c?.maxLatencyUs, "maxLatencyUs", 0, Number.MAX_SAFE_INTEGER, " of microseconds");
  const maxJitterUs = whole(c?.maxJitterUs, "maxJitterUs", 0, Number.MAX_SAFE_INTEGER, " of microseconds");
  const maxHops = whole(c?.maxHops, "maxHops", 1, MAX_HOPS);
  const minBandwidthBps = whole(c?.minBandwidthBps, "minBandwidthBps", 1, Number.MAX_SAFE_INTEGER, " of bits per second");
  const maxLoss = c?.maxLoss;
  if (maxLoss !== undefined && !(maxLoss >= 0 && maxLoss < 1)) e("maxLoss", `${maxLoss} is out of range: a loss ratio from 0 up to (not including) 1`);

  const list = (key: "avoidNodes" | "avoidLinks" | "avoidSrlgs" | "avoidRegions" | "excludeAny" | "includeAny" | "includeAll", check: (v: string) => string | { error: string }): string[] => {
    const out: string[] = [];
    (c?.[key] ?? []).forEach((v, k) => {
      if (v === "") return e(`${key}[${k}]`, "expected a non-empty string");
      const r = check(v);
      if (typeof r !== "string") e(`${key}[${k}]`, r.error);
      else if (!out.includes(r)) out.push(r);
    });
    return out;
  };
  const avoidNodes = list("avoidNodes", (v) =>
    names.routers.has(v) ? v : { error: names.hosts.has(v) ? `${quote(v)} is a host; avoidNodes takes routers` : `unknown router ${quote(v)}${hints.router(v)}` },
  );
  const avoidLinks = list("avoidLinks", (v) =>
    names.linkIds.get(v) ?? { error: /^[^-]+-[^-]+$/.test(v) ? `no link ${quote(v)} in the topology${hints.link(v)}` : `no link ${quote(v)} in the topology: write a link's id, or a-b for the links between routers a and b, e.g. r1-r2${hints.link(v)}` },
  );
  const avoidSrlgs = list("avoidSrlgs", (v) => (names.srlgs.has(v) ? v : { error: `no link has srlg ${quote(v)}` }));
  const avoidRegions = list("avoidRegions", (v) => (names.regions.has(v) ? v : { error: `no router has region ${quote(v)}` }));
  const includeAll = list("includeAll", (v) => v);
  const includeAny = list("includeAny", (v) => v);
  const excludeAny = list("excludeAny", (v) => (includeAll.includes(v) ? { error: `colour ${quote(v)} is both excluded here and required by includeAll` } : v));

  if (!ok) return null;
  return constraintsOf(
    { maxLatencyUs, maxJitterUs, maxLoss, maxHops, minBandwidthBps },
    { avoidNodes, avoidLinks, avoidSrlgs, avoidRegions, excludeAny, includeAny, includeAll },
  );
}

/** undefined never (present message); null after reporting. */
function checkLiveliness(m: LivelinessMsg, err: Err): IntentLiveliness | null {
  let ok = true;
  const e: Err = (f, r) => {
    ok = false;
    err(`liveliness.${f}`, r);
  };
  const set = (["intervalMs", "misses", "lossThreshold", "holddownMs"] as const).filter((k) => m[k] !== undefined);
  if (m.probesOff) {
    for (const k of set) e(k, `${k} has no effect with probesOff (this intent's paths are not probed); remove one or the other`);
    return ok ? { probes: false } : null;
  }
  for (const k of ["intervalMs", "misses", "holddownMs"] as const) {
    const v = m[k];
    const { min, max } = LIVELINESS_RANGES[k];
    if (v !== undefined && !(v >= min && v <= max)) e(k, `expected a whole number from ${min} to ${max}, got ${v}`);
  }
  const loss = m.lossThreshold;
  if (loss !== undefined && !(loss > 0 && loss < 1)) e("lossThreshold", `${loss} is out of range: a share above 0 and below 1, e.g. 0.05`);
  if (!ok) return null;
  return {
    probes: true,
    ...(m.intervalMs !== undefined ? { intervalMs: m.intervalMs } : {}),
    ...(m.misses !== undefined ? { misses: m.misses } : {}),
    ...(loss !== undefined ? { lossThreshold: loss } : {}),
    ...(m.holddownMs !== undefined ? { holddownMs: m.holddownMs } : {}),
  };
}
