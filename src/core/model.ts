// The topology and intent model: plain data, no I/O. Units are in the names.
import { linkSpellings } from "./link-refs.js";

export interface Router {
  name: string;
  /** SRv6 locator, e.g. "fc00:0:1::/48". */
  locator: string;
  /** Region or country tag, for avoidRegions. */
  region?: string;
  /** Maximum SID depth this router can push as a head-end (SRH entries, final destination included). */
  msd?: number;
  /** Its End SID: as written in the file, else <locator>::1 (src/core/sids.ts). */
  sid: string;
  /** Where it is, in degrees, when the file says (GraphML's Latitude/Longitude): for drawing only. */
  latitude?: number;
  longitude?: number;
}

export interface Host {
  name: string;
  /** The router this host's uplink connects to (its gateway). */
  router: string;
  /** The host's IPv6 address, without prefix length. */
  address: string;
  /** Prefix length of the host's subnet on its uplink. */
  prefixLen: number;
  /** Dual-stack hosts: the IPv4 address (without prefix length) and its subnet's prefix length. */
  address4?: string;
  prefixLen4?: number;
  /** Dual-stack hosts: the End.DX4 SID on its router that decapsulates IPv4 to it; as written, else derived from its name. */
  dx4Sid?: string;
}

/** What a link measures in one direction of travel. */
export interface LinkMetrics {
  igp: number;
  /** Traffic-engineering metric; the IGP metric unless set. */
  te: number;
  delayUs: number;
  jitterUs: number;
  /** Packet loss ratio, 0 <= loss < 1. */
  loss: number;
  /** Capacity. */
  bandwidthBps: number;
  /** Share of the capacity in use, 0..1; available bandwidth is capacity × (1 − utilization). */
  utilization: number;
}

export const LINK_METRIC_KEYS: readonly (keyof LinkMetrics)[] = ["igp", "te", "delayUs", "jitterUs", "loss", "bandwidthBps", "utilization"];

/**
 * A link (an adjacency in each direction). Its own metric fields are those from a to b; `reverse`
 * holds those from b to a when any of them differs (absent on a symmetric link). Code that walks a
 * link in a direction reads `metricsFrom(link, router)`, never the fields directly.
 */
export interface Link extends LinkMetrics {
  /** Unique among links: the file's `id`, else "a-b" as written (one link between two routers). */
  id: string;
  a: string;
  b: string;
  /** Metrics from b to a, when they differ from a→b's. */
  reverse?: LinkMetrics;
  /** Shared risk link groups. */
  srlgs: string[];
  /** Administrative colours (affinities). */
  colors: string[];
  /** Link MTU in bytes (the lab's veths); default DEFAULT_LINK_MTU. */
  mtu?: number;
  /** End.X SIDs over this link: a's towards b, b's towards a; as written, else derived from the names (src/core/sids.ts). */
  sidA: string;
  sidB: string;
}

/** MTU of a link that does not say: what real networks use. */
export const DEFAULT_LINK_MTU = 1500;

/** Defaults for what a link entry leaves out (te defaults to the link's igp). */
export const LINK_DEFAULTS = { igp: 10, delayUs: 1000, jitterUs: 0, loss: 0, bandwidthBps: 1e9, utilization: 0 } as const;

/** The link's metrics in direction `dir`: 0 from a to b, 1 from b to a. */
export function directionMetrics(link: Link, dir: 0 | 1): LinkMetrics {
  return dir === 1 && link.reverse ? link.reverse : link;
}

/** The link's metrics leaving `router`, one of its ends. */
export function metricsFrom(link: Link, router: string): LinkMetrics {
  if (router === link.a) return directionMetrics(link, 0);
  if (router === link.b) return directionMetrics(link, 1);
  throw new Error(`${router} is not an end of link ${link.id}`);
}

/** Only the metric fields of `m` (a Link is LinkMetrics too, with more). */
export function pickMetrics(m: LinkMetrics): LinkMetrics {
  return { igp: m.igp, te: m.te, delayUs: m.delayUs, jitterUs: m.jitterUs, loss: m.loss, bandwidthBps: m.bandwidthBps, utilization: m.utilization };
}

export function sameMetrics(x: LinkMetrics, y: LinkMetrics): boolean {
  return LINK_METRIC_KEYS.every((k) => x[k] === y[k]);
}

/** A link with metrics `ab` from a to b and `ba` from b to a: `reverse` only where they differ. */
export function withDirections<L extends object>(link: L, ab: LinkMetrics, ba: LinkMetrics): L & LinkMetrics & { reverse?: LinkMetrics } {
  const { reverse: _, ...rest } = link as L & { reverse?: LinkMetrics };
  return { ...(rest as L), ...pickMetrics(ab), ...(sameMetrics(ab, ba) ? {} : { reverse: pickMetrics(ba) }) };
}

export function availableBps(m: LinkMetrics): number {
  return Math.round(m.bandwidthBps * (1 - m.utilization)); // whole bits: 10e9 × (1 − 0.8) is 2e9, not 1999999999.9999998
}

/** One instance of a service function: a router that runs it, reached at its own SID. */
export interface ServiceInstance {
  node: string;
  sid: string;
  healthy: boolean;
}

export interface ServiceFunction {
  name: string;
  instances: ServiceInstance[];
}

export interface Topology {
  routers: Router[];
  hosts: Host[];
  links: Link[];
  services: ServiceFunction[];
}

/** The names intents and queries may refer to in a topology. */
export interface TopologyNames {
  routers: Set<string>;
  hosts: Set<string>;
  services: Set<string>;
  srlgs: Set<string>;
  regions: Set<string>;
  /** Each link's id, and "a-b" and "b-a", → the canonical reference: the id of a lone link, "a-b"
   *  (routers in name order) for parallel links, which it names all of (link-refs.ts). */
  linkIds: Map<string, string>;
}

export function topologyNames(t: Topology): TopologyNames {
  return {
    routers: new Set(t.routers.map((r) => r.name)),
    hosts: new Set(t.hosts.map((h) => h.name)),
    services: new Set(t.services.map((s) => s.name)),
    srlgs: new Set(t.links.flatMap((l) => l.srlgs)),
    regions: new Set(t.routers.flatMap((r) => (r.region !== undefined ? [r.region] : []))),
    linkIds: linkSpellings(t),
  };
}

/** Objectives that add up along a path, and so can be weighted together. */
export type AdditiveMetric = "igp" | "te" | "latency" | "hops" | "jitter" | "loss";
export const ADDITIVE_METRICS: readonly AdditiveMetric[] = ["igp", "te", "latency", "hops", "jitter", "loss"];
/** bandwidth: widest path (ties by latency); utilization: least loaded bottleneck (ties by latency). */
export type Objective = AdditiveMetric | "bandwidth" | "utilization" | "weighted";
export const OBJECTIVES: readonly Objective[] = [...ADDITIVE_METRICS, "bandwidth", "utilization", "weighted"];
/** Weighted objective: cost = Σ weight × metric, metrics in latency/jitter µs, loss as −ln(1−p), igp/te/hops as counted. */
export type Weights = Partial<Record<AdditiveMetric, number>>;

export type Protection = "none" | "link" | "node" | "srlg";
export const PROTECTIONS: readonly Protection[] = ["none", "link", "node", "srlg"];

export type Protocol = "tcp" | "udp" | "icmp" | "icmpv6";
export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

export interface PortRange {
  from: number;
  to: number;
}

/** A lab app's name: also its cgroup directory name. */
export const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface IntentMatch {
  /** Hosts whose agents apply this intent. */
  hosts: string[];
  /** Lab app (cgroup) name; absent = any process on the host. */
  app?: string;
  /** A cgroup v2 path relative to the cgroup2 mount ("/system.slice/video.service"): processes in it and in every cgroup below it. */
  cgroup?: string;
  /** Owner of the sending socket: a uid ("1001") or a user name, resolved on each host. */
  user?: string;
  /** Source prefix (IPv6 or IPv4, "addr/len"): e.g. forwarded traffic of containers or VMs behind the host. */
  source?: string;
  /**
   * Destination: a host of the topology (its IPv6 address, and its IPv4 address where both ends are
   * dual-stack), an IPv6 or IPv4 prefix ("addr/len", host bits cleared), or a DNS name (lower case,
   * no trailing dot) whose addresses each agent resolves.
   */
  to: { host: string } | { prefix: string } | { dns: string };
  protocol?: Protocol;
  /** Destination port ranges; empty = any port. */
  ports: PortRange[];
}

/** All hard: a path that breaks one is never returned. */
export interface Constraints {
  maxLatencyUs?: number;
  maxJitterUs?: number;
  /** End-to-end loss ratio, 1 − Π(1 − loss). */
  maxLoss?: number;
  maxHops?: number;
  /** Every link's available bandwidth must be at least this. */
  minBandwidthBps?: number;
  avoidNodes: string[];
  /** Link references (link-refs.ts): a link's id, or "a-b" for every link between a and b, either order. */
  avoidLinks: string[];
  avoidSrlgs: string[];
  /** Nodes whose region is listed are avoided. */
  avoidRegions: string[];
  /** Affinities over link colours: no link has any of excludeAny; every link has one of includeAny (if set) and all of includeAll. */
  excludeAny: string[];
  includeAny: string[];
  includeAll: string[];
}

type ConstraintBounds = Pick<Constraints, "maxLatencyUs" | "maxJitterUs" | "maxLoss" | "maxHops" | "minBandwidthBps">;

/** Constraints from checked parts: a bound that is undefined is left out, not set to undefined. */
export function constraintsOf(b: ConstraintBounds, lists: Omit<Constraints, keyof ConstraintBounds>): Constraints {
  return {
    ...(b.maxLatencyUs !== undefined ? { maxLatencyUs: b.maxLatencyUs } : {}),
    ...(b.maxJitterUs !== undefined ? { maxJitterUs: b.maxJitterUs } : {}),
    ...(b.maxLoss !== undefined ? { maxLoss: b.maxLoss } : {}),
    ...(b.maxHops !== undefined ? { maxHops: b.maxHops } : {}),
    ...(b.minBandwidthBps !== undefined ? { minBandwidthBps: b.minBandwidthBps } : {}),
    avoidNodes: lists.avoidNodes,
    avoidLinks: lists.avoidLinks,
    avoidSrlgs: lists.avoidSrlgs,
    avoidRegions: lists.avoidRegions,
    excludeAny: lists.excludeAny,
    includeAny: lists.includeAny,
    includeAll: lists.includeAll,
  };
}

export const NO_CONSTRAINTS: Constraints = { avoidNodes: [], avoidLinks: [], avoidSrlgs: [], avoidRegions: [], excludeAny: [], includeAny: [], includeAll: [] };

/** What a path must be, apart from its ends: shared by intents and the path engine's queries. */
export interface PathSpec {
  objective: Objective;
  /** Only for objective "weighted". */
  weights?: Weights;
  constraints: Constraints;
  /** Ordered waypoints (router names) or service functions (their names) the path must visit. */
  via: string[];
  protection: Protection;
  /** Maximum SID depth (SRH entries, final destination included); the head-end's own limit also applies. */
  msd?: number;
}

/** What a host does with an app's packets when its rule has no usable path: send them unsteered, or drop them. */
export type FailurePolicy = "open" | "closed";
export const FAILURE_POLICIES: readonly FailurePolicy[] = ["open", "closed"];

/**
 * How the agents probe an intent's paths. Absent fields take each agent's own settings (its
 * defaults and command line); a path several intents use takes the strictest of theirs.
 */
export interface IntentLiveliness {
  /** false: no probes for this intent's paths, and its rules never fail over on probe results. */
  probes: boolean;
  /** One probe per path every intervalMs. */
  intervalMs?: number;
  /** Down after this many intervals without a probe back. */
  misses?: number;
  /** Degraded above this share of probes lost over the last second, 0 < x < 1. */
  lossThreshold?: number;
  /** A path that came back carries packets again only after this long. */
  holddownMs?: number;
}

/** Inclusive ranges of the whole-number liveliness settings. */
export const LIVELINESS_RANGES = {
  intervalMs: { min: 1, max: 60_000 },
  misses: { min: 1, max: 100 },
  holddownMs: { min: 0, max: 600_000 },
} as const;

export interface Intent extends PathSpec {
  name: string;
  match: IntentMatch;
  /** Absent: defaultFailurePolicy(intent). */
  onFailure?: FailurePolicy;
  /** Absent: the agents' own probe settings. */
  liveliness?: IntentLiveliness;
}

/** Closed when the intent avoids something (sending unsteered could cross it), open otherwise. */
export function defaultFailurePolicy(spec: Pick<PathSpec, "constraints">): FailurePolicy {
  const c = spec.constraints;
  const avoids = [c.avoidNodes, c.avoidLinks, c.avoidRegions, c.avoidSrlgs, c.excludeAny, c.includeAny, c.includeAll].some((l) => l.length > 0);
  return avoids ? "closed" : "open";
}

export function failurePolicy(intent: Intent): FailurePolicy {
  return intent.onFailure ?? defaultFailurePolicy(intent);
}

/** End.AN-style: the SID of a service function instance; the packet is processed there, then forwarded on.
 *  End.DX4: the egress router's decapsulation SID for an IPv4 destination (the last segment of an encapsulated path). */
export type SegmentBehavior = "End" | "End.X" | "Service" | "End.DX4";

export interface Segment {
  sid: string;
  node: string;
  behavior: SegmentBehavior;
  /** For End.X: the adjacency [from, to] the SID forwards over. */
  link?: [string, string];
  /** For Service: the service function's name. */
  service?: string;
}

export interface PathMetrics {
  latencyUs: number;
  igp: number;
  te: number;
  hops: number;
  jitterUs: number;
  /** End-to-end loss ratio. */
  loss: number;
  /** Smallest available bandwidth along the path. */
  bottleneckBps: number;
  /** Highest link utilization along the path. */
  maxUtilization: number;
}

export interface Path {
  /** Routers from the source host's gateway to the destination's router; a via-path may revisit a router. */
  nodes: string[];
  /** Ids of the links crossed, in order. */
  links: string[];
  metrics: PathMetrics;
  /** SIDs in travel order. For an IPv6 packet the datapath appends the packet's own destination; an
   *  IPv4 target's path ends with the egress router's End.DX4 SID instead. */
  segments: Segment[];
  /**
   * Size of the SRH the head-end writes. Inserted into an IPv6 packet: 8 + 16 × (segments + 1), the
   * packet's own destination being the last entry, or 0 when there are no segments. Encapsulating an
   * IPv4 packet (the last segment is End.DX4): 8 + 16 × segments.
   */
  srhBytes: number;
}

/** SRH entries the host datapath can write: CAIRN_MAX_SEGMENTS segments + the final destination
 *  (src/datapath/cairn.h; a test checks they agree). Hosts are the head-ends of Cairn's paths. */
export const HOST_DATAPATH_MSD = 9;

export type PathResult = { ok: true; path: Path; backup: Path | null; notes: string[] } | { ok: false; reason: string };
