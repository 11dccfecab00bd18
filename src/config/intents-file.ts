// Intents YAML → Intent[], validated against a topology; every error located.
import { quote } from "../core/quote.js";
import { isMap } from "yaml";
import type { AdditiveMetric, Constraints, FailurePolicy, Intent, IntentLiveliness, Objective, Protection, Topology, TopologyNames, Weights } from "../core/model.js";
import { ADDITIVE_METRICS, constraintsOf, FAILURE_POLICIES, LIVELINESS_RANGES, OBJECTIVES, PROTECTIONS, topologyNames } from "../core/model.js";
import type { ParseResult } from "./errors.js";
import { parseMatch } from "./intent-match.js";
import { MAX_MSD } from "./topology-file.js";
import { duration, rate, ratio } from "./values.js";
import { Field, YamlReader, required, stringList } from "./yaml-reader.js";
import { LIST_TOPOLOGY, unknownLinkHint, unknownNameHint } from "../core/name-hints.js";

export const INTENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const DEFAULT_OBJECTIVE: Objective = "latency";
/** What `objective:` may name; "weighted" is written as a map of weights instead. */
export const NAMED_OBJECTIVES: readonly Objective[] = OBJECTIVES.filter((o) => o !== "weighted");
const WEIGHTS_EXAMPLE = "{ latency: 1, hops: 200 }";
const CONSTRAINT_KEYS = [
  "maxLatency", "maxJitter", "maxLoss", "maxHops", "minBandwidth",
  "avoidNodes", "avoidLinks", "avoidSrlgs", "avoidRegions", "excludeAny", "includeAny", "includeAll",
] as const;
/** Longest hop count a constraint may ask for (an IPv6 hop limit). */
const MAX_HOPS = 255;
const LIVELINESS_KEYS = ["probes", "intervalMs", "misses", "loss", "holddownMs"] as const;
const LIVELINESS_EXAMPLE = '{ intervalMs: 20, misses: 3, loss: "5%", holddownMs: 3000 }';

/** `objective:` — a name, or a map of additive metric → weight (objective "weighted"). */
function parseObjective(f: Field | undefined): { objective: Objective; weights?: Weights } | null {
  if (!f?.present) return { objective: DEFAULT_OBJECTIVE };
  if (f.isMap) {
    const m = f.map(ADDITIVE_METRICS);
    if (!m) return null;
    if (m.size === 0) {
      f.error(`give at least one weight, e.g. objective: ${WEIGHTS_EXAMPLE}`);
      return null;
    }
    const weights: Weights = {};
    let ok = true;
    for (const [metric, w] of m) {
      const v = w.number();
      if (v === null) ok = false;
      else if (v <= 0) { w.error(`a weight must be greater than zero, got ${v}; leave ${metric} out to ignore it`); ok = false; }
      else weights[metric as AdditiveMetric] = v;
    }
    return ok ? { objective: "weighted", weights } : null;
  }
  const name = f.string();
  if (name === null) return null;
  if (name === "weighted") {
    f.error(`write a weighted objective as a map of metric weights, e.g. objective: ${WEIGHTS_EXAMPLE} (metrics: ${ADDITIVE_METRICS.join(", ")})`);
    return null;
  }
  if (!NAMED_OBJECTIVES.includes(name as Objective)) {
    f.error(`unknown objective ${quote(name)}; use one of ${NAMED_OBJECTIVES.join(", ")}, or weights such as ${WEIGHTS_EXAMPLE}`);
    return null;
  }
  return { objective: name as Objective };
}

export function parseIntents(text: string, file: string, topology: Topology): ParseResult<Intent[]> {
  const y = new YamlReader(file, text);
  const top = y.root.present ? y.root.map(["intents"]) : null;
  const names = topologyNames(topology);
  const { routers, hosts, services } = names;

  const intents: Intent[] = [];
  const seen = new Map<string, number>();
  const items = y.root.present ? (required(y.root, top, "intents")?.list() ?? []) : [];
  for (const item of items) {
    const f = item.map(["name", "match", "objective", "constraints", "via", "protection", "msd", "onFailure", "liveliness"]);
    if (!f) { if (!item.present) item.error("empty intent entry"); continue; }
    const before = y.errors.length;

    const nameField = required(item, f, "name");
    const name = nameField?.string() ?? null;
    if (name !== null && !INTENT_NAME.test(name)) nameField!.error(`${quote(name)} is not a valid intent name (letters, digits, _ . -; up to 63)`);
    else if (name !== null && seen.has(name)) nameField!.error(`duplicate intent name ${quote(name)} (first at line ${seen.get(name)})`);
    else if (name !== null) seen.set(name, y.position(nameField!.offset).line);

    const match = parseMatch(item, f, topology, names);
    const objective = parseObjective(f.get("objective"));
    const constraints = parseConstraints(f.get("constraints"), names);

    const via = stringList(f.get("via"));
    for (const v of via) {
      if (routers.has(v.value) || services.has(v.value)) continue;
      v.field.error(hosts.has(v.value) ? `${quote(v.value)} is a host; via takes routers and services` : `unknown router or service ${quote(v.value)}; ${unknownNameHint(v.value, [...routers, ...services], { what: "routers and services", listedBy: LIST_TOPOLOGY })}`);
    }
    for (const v of via) {
      if (constraints?.avoidNodes.includes(v.value)) v.field.error(`${quote(v.value)} is both a via point and in constraints.avoidNodes`);
    }

    const protField = f.get("protection");
    const protection = protField?.present ? protField.string() : "none";
    if (protection !== null && !PROTECTIONS.includes(protection as Protection)) {
      protField!.error(`unknown protection ${quote(protection)}; use one of ${PROTECTIONS.join(", ")}`);
    }
    const msdField = f.get("msd");
    const msd = msdField?.present ? msdField.integer(1, MAX_MSD) : undefined;
    const onFailure = parseOnFailure(f.get("onFailure"));
    const liveliness = parseLiveliness(f.get("liveliness"));

    if (y.errors.length > before || name === null || match === null || objective === null || constraints === null || protection === null || msd === null || onFailure === null || liveliness === null) continue;
    intents.push({
      name,
      match,
      objective: objective.objective,
      ...(objective.weights ? { weights: objective.weights } : {}),
      constraints,
      via: via.map((v) => v.value),
      protection: protection as Protection,
      ...(msd !== undefined ? { msd } : {}),
      ...(onFailure !== undefined ? { onFailure } : {}),
      ...(liveliness !== undefined ? { liveliness } : {}),
    });
  }
  if (y.errors.length > 0) return { ok: false, errors: y.errors };
  return { ok: true, value: intents };
}

/** `onFailure:` open or closed; undefined when absent (the default is failurePolicy()'s), null after reporting. */
function parseOnFailure(f: Field | undefined): FailurePolicy | undefined | null {
  if (!f?.present) return undefined;
  const text = f.string();
  if (text === null) return null;
  if (FAILURE_POLICIES.includes(text as FailurePolicy)) return text as FailurePolicy;
  f.error(`unknown onFailure ${quote(text)}; use open (send unsteered) or closed (drop)`);
  return null;
}

/**
 * `liveliness:` off (no probes), or a mapping of probe settings; undefined when absent (the agents'
 * own settings), null after reporting a problem.
 */
function parseLiveliness(f: Field | undefined): IntentLiveliness | undefined | null {
  if (!f?.present) return undefined;
  if (!f.isMap) {
    const text = f.string();
    if (text === null) return null;
    if (text === "off") return { probes: false };
    f.error(`unknown liveliness ${quote(text)}; write off (no probes for this intent) or settings such as ${LIVELINESS_EXAMPLE}`);
    return null;
  }
  const m = f.map(LIVELINESS_KEYS);
  if (!m) return null;
  if (isMap(f.node) && f.node.items.length === 0) {
    f.error(`no settings; leave liveliness out for the agents' own, or give some of ${LIVELINESS_KEYS.join(", ")}`);
    return null;
  }
  const probes = parseProbesSwitch(m.get("probes"));
  if (probes === null) return null;
  if (!probes) return probesOffAlone(m) ? { probes: false } : null;
  let ok = true;
  const read = (key: (typeof LIVELINESS_KEYS)[number], parse: (v: Field) => number | null): number | undefined => {
    const v = m.get(key);
    if (!v?.present) return undefined;
    const n = parse(v);
    if (n === null) ok = false;
    return n ?? undefined;
  };
  const whole = (key: keyof typeof LIVELINESS_RANGES) => read(key, (v) => v.integer(LIVELINESS_RANGES[key].min, LIVELINESS_RANGES[key].max));
  const intervalMs = whole("intervalMs");
  const misses = whole("misses");
  const lossThreshold = read("loss", lossShare);
  const holddownMs = whole("holddownMs");
  if (!ok) return null;
  return {
    probes: true,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(misses !== undefined ? { misses } : {}),
    ...(lossThreshold !== undefined ? { lossThreshold } : {}),
    ...(holddownMs !== undefined ? { holddownMs } : {}),
  };
}

/** `probes:` on (the default) or off; null after reporting. */
function parseProbesSwitch(f: Field | undefined): boolean | null {
  if (!f?.present) return true;
  const text = f.string();
  if (text === null) return null;
  if (text === "on" || text === "off") return text === "on";
  f.error(`unknown probes ${quote(text)}; use on or off`);
  return null;
}

/** With probes off, every other setting is an error: nothing would use it. */
function probesOffAlone(m: Map<string, Field>): boolean {
  const others = [...m].filter(([key, v]) => key !== "probes" && v.present);
  for (const [key, v] of others) v.error(`${key} has no effect with probes: off (this intent's paths are not probed); remove one or the other`);
  return others.length === 0;
}

/** `loss:` as a share, written like every share in the file ("5%" or 0.05): above 0, below 100%. */
function lossShare(f: Field): number | null {
  const v = ratio(f, 0, { below1: true });
  if (v === 0) {
    f.error("a loss threshold of 0 would call a path degraded for a single lost probe; write a share above 0, e.g. \"5%\" or 0.05");
    return null;
  }
  return v;
}

/** `constraints:`; null after reporting a problem. */
function parseConstraints(cField: Field | undefined, ctx: TopologyNames): Constraints | null {
  const c = cField?.map(CONSTRAINT_KEYS) ?? null;
  let ok = true;
  const optional = <T>(key: (typeof CONSTRAINT_KEYS)[number], read: (f: Field) => T | null): T | undefined => {
    const f = c?.get(key);
    if (!f?.present) return undefined;
    const v = read(f);
    if (v === null) ok = false;
    return v ?? undefined;
  };
  const maxLatencyUs = optional("maxLatency", (f) => duration(f, 0, { zero: true }));
  const maxJitterUs = optional("maxJitter", (f) => duration(f, 0, { zero: true }));
  const maxLoss = optional("maxLoss", (f) => ratio(f, 0, { below1: true }));
  const maxHops = optional("maxHops", (f) => f.integer(1, MAX_HOPS));
  const minBandwidthBps = optional("minBandwidth", (f) => rate(f, 0));

  const list = (key: (typeof CONSTRAINT_KEYS)[number], check: (v: string, f: Field) => string | null): string[] => {
    const out: string[] = [];
    for (const item of stringList(c?.get(key))) {
      const v = check(item.value, item.field);
      if (v === null) ok = false;
      else if (!out.includes(v)) out.push(v);
    }
    return out;
  };
  const fail = (f: Field, reason: string): null => {
    f.error(reason);
    return null;
  };
  const avoidNodes = list("avoidNodes", (v, f) =>
    ctx.routers.has(v) ? v : fail(f, ctx.hosts.has(v) ? `${quote(v)} is a host; avoidNodes takes routers` : `unknown router ${quote(v)}; ${unknownNameHint(v, [...ctx.routers], { what: "routers", listedBy: LIST_TOPOLOGY })}`),
  );
  const avoidLinks = list("avoidLinks", (v, f) =>
    ctx.linkIds.get(v) ?? fail(f, /^[^-]+-[^-]+$/.test(v) ? `no link ${quote(v)} in the topology; ${unknownLinkHint(v, ctx.linkIds, { listedBy: LIST_TOPOLOGY })}` : `no link ${quote(v)} in the topology: write a link's id, or a-b for the links between routers a and b, e.g. r1-r2; ${unknownLinkHint(v, ctx.linkIds, { listedBy: LIST_TOPOLOGY })}`),
  );
  const avoidSrlgs = list("avoidSrlgs", (v, f) => (ctx.srlgs.has(v) ? v : fail(f, `no link has srlg ${quote(v)}`)));
  const avoidRegions = list("avoidRegions", (v, f) => (ctx.regions.has(v) ? v : fail(f, `no router has region ${quote(v)}`)));
  const excluded: { value: string; field: Field }[] = [];
  const excludeAny = list("excludeAny", (v, f) => (excluded.push({ value: v, field: f }), v));
  const includeAny = list("includeAny", (v) => v);
  const includeAll = list("includeAll", (v) => v);
  // A colour both required and excluded leaves no link usable.
  for (const x of excluded) {
    if (includeAll.includes(x.value)) { x.field.error(`colour ${quote(x.value)} is both excluded here and required by includeAll`); ok = false; }
  }

  if (!ok) return null;
  return constraintsOf(
    { maxLatencyUs, maxJitterUs, maxLoss, maxHops, minBandwidthBps },
    { avoidNodes, avoidLinks, avoidSrlgs, avoidRegions, excludeAny, includeAny, includeAll },
  );
}
