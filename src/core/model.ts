// The topology and intent model: plain data, no I/O. Units are in the names.

export interface Router {
  name: string;
  /** SRv6 locator, e.g. "fc00:0:1::/48". */
  locator: string;
}

export interface Host {
  name: string;
  /** The router this host's uplink connects to (its gateway). */
  router: string;
  /** The host's IPv6 address, without prefix length. */
  address: string;
  /** Prefix length of the host's subnet on its uplink. */
  prefixLen: number;
}

export interface Link {
  /** "a-b" as written in the file; unique regardless of direction. */
  id: string;
  a: string;
  b: string;
  igp: number;
  delayUs: number;
  bandwidthBps: number;
}

export interface Topology {
  routers: Router[];
  hosts: Host[];
  links: Link[];
}

export type Objective = "latency" | "igp" | "hops";
export const OBJECTIVES: readonly Objective[] = ["latency", "igp", "hops"];

export type Protocol = "tcp" | "udp" | "icmpv6";
export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, icmpv6: 58 };

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
  /** Destination: a host of the topology, or an IPv6 prefix. */
  to: { host: string } | { prefix: string };
  protocol?: Protocol;
  /** Destination port ranges; empty = any port. */
  ports: PortRange[];
}

export interface Constraints {
  maxLatencyUs?: number;
  avoidNodes: string[];
  /** Link ids as "a-b"; direction-insensitive. */
  avoidLinks: string[];
}

export interface Intent {
  name: string;
  match: IntentMatch;
  objective: Objective;
  constraints: Constraints;
}

export type SegmentBehavior = "End" | "End.X";

export interface Segment {
  sid: string;
  node: string;
  behavior: SegmentBehavior;
  /** For End.X: the adjacency [from, to] the SID forwards over. */
  link?: [string, string];
}

export interface PathMetrics {
  latencyUs: number;
  igp: number;
  hops: number;
}

export interface Path {
  /** Routers from the source host's gateway to the destination's router. */
  nodes: string[];
  metrics: PathMetrics;
  /** SIDs in travel order; the packet's own destination is appended by the datapath. */
  segments: Segment[];
}

export type PathResult = { ok: true; path: Path } | { ok: false; reason: string };
