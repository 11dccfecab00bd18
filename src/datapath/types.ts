// What the agent asks of the datapath: the complete desired state, level-triggered.
// Implemented by maps.ts (libbpf via koffi); planned by plan.ts (pure).

/** A path as the datapath writes it. */
export interface PathSpec {
  /** inline: IPv6, SRH inserted after the IPv6 header; encap: IPv4 in IPv6 + SRH (the last SID decapsulates). */
  mode: "inline" | "encap";
  /** SIDs in travel order (first visited first). Inline: the packet's own destination is appended;
   *  none = the IGP already follows the path, so matching packets are counted and left unchanged. */
  sids: string[];
  /**
   * The path's loopback probe (IPv6 SIDs in travel order: out along the path, back over its
   * reverse; this host is appended as the final segment). Absent: the path is not probed.
   */
  probe?: string[];
}

/** One classification rule. */
export interface DatapathRule {
  /**
   * Identity: the same identity keeps its rule id and counters across updates and agent
   * restarts; a new identity gets a new id. A path change is not an identity change.
   */
  identity: string;
  /** Cgroup class (see DesiredDatapath.cgroups); 0 = any process. */
  classId: number;
  /** Destination prefixes "addr/len", all IPv6 or all IPv4. Empty: nothing to install (yet). */
  destinations: string[];
  /** Socket owner; null = any. */
  uid: number | null;
  /** Source prefix "addr/len" of the destinations' family; null = any. */
  source: string | null;
  /** IP protocol number; 0 = any. */
  protocol: number;
  /** Inclusive destination port range; 0..65535 = any. */
  portFrom: number;
  portTo: number;
  /** Among rules of one class and equally specific prefixes, lower goes first. */
  priority: number;
  /** With no usable path: drop the packets (true) or send them unsteered (false). */
  closed: boolean;
  primary: PathSpec | null;
  backup: PathSpec | null;
  /** Send on the backup (when there is one). */
  useBackup: boolean;
  /** Its intent has probes off: the kernel sends on the primary whatever the path's liveness says (never the backup). */
  noLiveness: boolean;
}

export interface CgroupClass {
  /** cgroup v2 id: the inode of its directory. */
  id: bigint;
  /** Depth below the cgroup2 root (root = 0). */
  level: number;
  /** Non-zero; rules name it in classId. */
  classId: number;
}

export interface DesiredDatapath {
  rules: DatapathRule[];
  /** The cgroups whose processes (and their descendants') rules name by class. */
  cgroups: CgroupClass[];
  /** The host's IPv6 address: the outer source of encapsulated IPv4. Needed when some rule encapsulates. */
  encapSource: string | null;
  /** The UDP port (source and destination) of the agent's probes and the secret they carry; absent: no probes. */
  probe?: { port: number; secret: number } | null;
  /** Loopback probes of paths no rule uses (the controller watches an element through them). */
  watch?: string[][];
}

/** Map sizes, fixed when the datapath is loaded (pinned maps keep theirs). */
export interface DatapathLimits {
  /** Rule ids are 1..maxRules-1. */
  maxRules: number;
  /** Path slots are 1..maxPaths-1. */
  maxPaths: number;
  /** (class, destination prefix) entries. */
  maxPrefixes: number;
  maxCgroups: number;
  maxFragments: number;
}

export interface RuleCounters {
  /** Steered wire packets and their bytes (before any header was added). */
  packets: bigint;
  bytes: bigint;
  /** Matched, no usable path: sent unsteered (open) or dropped (closed). */
  openPackets: bigint;
  closedPackets: bigint;
  /** Of `packets`, those sent on the rule's backup path. */
  backupPackets: bigint;
}

export interface ApplyResult {
  /** Rule id of every rule that has destinations, by identity. */
  ruleIds: Map<string, number>;
  /** Map writes made (0 when the datapath already held the desired state). */
  writes: number;
  /** The ref of every path in use, by pathKey(). */
  pathRefs: Map<string, number>;
}

/** What the kernel knows of a path's liveliness (CLOCK_MONOTONIC ns, bpf_ktime_get_ns; 0 = never). */
export interface PathLiveness {
  lastSentNs: bigint;
  lastReturnNs: bigint;
  upSinceNs: bigint;
  /** The first probe sent after the last return: the path is down once that is older than the threshold. */
  firstUnansweredNs: bigint;
}

/** How the kernel judges a probed path (see cairn_live in cairn.h). */
export interface LivenessTimings {
  /** Probes going out for this long since the last one came back, none back: down. */
  thresholdUs: number;
  /** No probe sent for this long: the prober is silent, condemn nothing. */
  staleUs: number;
  /** A path that came back carries packets again only after this long. */
  holddownMs: number;
}

export interface Datapath {
  readonly limits: DatapathLimits;
  /**
   * Makes the maps hold `desired`. Throws a CapacityError before writing anything when it
   * would not fit; never leaves a half-applied state for any other validation error either.
   */
  apply(desired: DesiredDatapath, nowMs?: number): ApplyResult;
  /** Frees rule ids and path slots nothing has referred to for the drain period. Returns how many. */
  collect(nowMs?: number): number;
  /** Counters summed over CPUs, by rule id (rules in use only). */
  counters(): Map<number, RuleCounters>;
  /** Datapath-wide event counters (cairn_events) by name. */
  events(): Map<string, bigint>;
  /**
   * Starts watching the path `ref` with these timings. `lastReturnNs` 0: not judged until its first
   * probe comes back; an old non-zero time: judged at once (a path that never answered is down).
   */
  watchPath(ref: number, t: LivenessTimings, lastReturnNs: bigint): void;
  /** Changes a watched path's timings (e.g. a longer hold-down after flaps), keeping its times. */
  retimePath(ref: number, t: LivenessTimings): void;
  /** The kernel's times for the path, or null when it is not watched under this ref. */
  liveness(ref: number): PathLiveness | null;
  /** Releases this process's handles; the program stays attached and the maps pinned. */
  close(): void;
}

/** An update that does not fit the datapath's maps. Nothing was written. */
export class CapacityError extends Error {
  constructor(
    readonly limit: keyof DatapathLimits | "rulesPerPrefix",
    readonly needed: number,
    readonly available: number,
    detail: string,
  ) {
    super(detail);
    this.name = "CapacityError";
  }
}
