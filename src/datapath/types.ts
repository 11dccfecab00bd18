// What the agent asks of the datapath. Implemented by datapath.ts (libbpf via koffi).

/** One classification rule: the most specific matching prefix wins, then rules in ascending ruleId order. */
export interface DatapathRule {
  /** Stable id chosen by the controller; indexes the rule's counters. 1..MAX_RULES-1. */
  ruleId: number;
  /** cgroup v2 id (inode of the cgroup directory); 0n matches any process. */
  cgroupId: bigint;
  /** Destination IPv6 prefix, "addr/len". */
  prefix: string;
  /** IP protocol number; 0 matches any. */
  protocol: number;
  /** Inclusive destination port range; 0..65535 matches any. */
  portFrom: number;
  portTo: number;
  /**
   * SIDs in travel order (first visited first); the datapath appends the packet's own destination.
   * Empty: the IGP already follows the path, so matching packets are counted and left unchanged.
   */
  segments: string[];
}

export interface RuleCounters {
  packets: bigint;
  bytes: bigint;
}

export interface Datapath {
  /** Makes the maps hold exactly `rules` (level-triggered: adds, changes, removes). */
  apply(rules: DatapathRule[]): void;
  /** Counters summed over CPUs, by ruleId. */
  counters(): Map<number, RuleCounters>;
  /** Releases this process's handles; the program and maps stay attached and pinned. */
  close(): void;
}
