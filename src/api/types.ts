// Plain-data views of the API messages (no protobuf types): what the controller
// produces, the agent consumes and the operator CLI prints. JSON-serializable
// except where a field says bigint.
import type { HostRule } from "../core/assignments.js";
import type { ElementKind, ElementState, PathState, WatchProbe } from "../core/elements.js";

/** One message of an agent's subscription. */
export interface PathUpdateView {
  host: string;
  generation: string;
  version: bigint;
  /** True: `upserts` is the complete rule set. */
  full: boolean;
  upserts: HostRule[];
  removedKeys: string[];
  /** The host's watch probes: always present when full; otherwise present only when the set changed. */
  watch?: WatchProbe[];
  /** The controller's revisions the update was computed at (0: a controller that does not send them). */
  topologyRevision: number;
  intentsRevision: number;
}

export interface HostPushView {
  host: string;
  version: number;
  upserts: number;
  removals: number;
}

/** What ApplyIntents did. Intent names by category, in file order. */
export interface ApplySummary {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  hostsPushed: HostPushView[];
}

/** The changes of one host's rules, by rule key. */
export interface HostRuleChangesView {
  host: string;
  added: string[];
  changed: string[];
  removed: string[];
}

/** What an intent set does against the current one: by intent name, and every changed host's rules. */
export interface IntentsDiffView {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  /** Hosts whose rules change, in topology order. */
  hostRules: HostRuleChangesView[];
  /** Unchanged intents moved in the priority order. */
  reordered: boolean;
}

/** ValidateIntents: the diff against `revision`, nothing applied. */
export interface ValidateResultView extends IntentsDiffView {
  revision: number;
}

/** ApplyIntents: the diff applied, the pushes, and the revisions before and after. */
export interface ApplyResultView extends ApplySummary {
  hostRules: HostRuleChangesView[];
  reordered: boolean;
  previousRevision: number;
  revision: number;
}

/** ListIntents' revision and who made it when. */
export interface IntentsRevisionView {
  revision: number;
  /** RFC 3339. */
  changedAt: string;
  /** "" for the intents the controller loaded at its start. */
  changedBy: string;
}

export interface HostPathsView {
  host: string;
  /** The controller's current version of the host's rule set. */
  version: number;
  rules: HostRule[];
  /** The host agent's latest report; absent when none arrived since the controller started. */
  report?: ReceivedReportView;
  /** Probes the controller asks the agent to run for paths no rule uses (elements under watch). */
  watch: WatchProbe[];
  /** The revisions the rules are computed at (the controller's current ones). */
  topologyRevision: number;
  intentsRevision: number;
}

/**
 * What a rule is doing on its host. installed: in the datapath, steering. not-steered: in the datapath,
 * but its packets go unsteered or are dropped (onFailure), e.g. no target has a usable path. waiting:
 * cannot be installed yet (DNS name not resolved, cgroup or user not on the host). error: could not be
 * installed (see reason).
 */
export type RuleState = "installed" | "not-steered" | "waiting" | "error";
export const RULE_STATES: readonly RuleState[] = ["installed", "not-steered", "waiting", "error"];
/** The path a rule's packets take now. */
export type ActivePath = "primary" | "backup" | "none";
export const ACTIVE_PATHS: readonly ActivePath[] = ["primary", "backup", "none"];

/** One rule as its agent has it. Counters are numbers: exact up to 2^53. */
export interface RuleReportView {
  key: string;
  state: RuleState;
  /** Why the state is not "installed"; "" otherwise. */
  reason: string;
  /** Destination prefixes actually installed, e.g. a DNS name's current addresses. */
  prefixes: string[];
  active: ActivePath;
  steeredPackets: number;
  steeredBytes: number;
  /** Matched but sent unsteered (onFailure open). */
  unsteeredPackets: number;
  /** Matched but dropped (onFailure closed). */
  droppedPackets: number;
}

/** An agent's report of its host's datapath (ReportStatus). */
export interface AgentReportView {
  host: string;
  /** The controller generation the agent is synced to; "" = none yet. */
  generation: string;
  /** Version of the host's rule set the datapath holds; 0 = none. */
  appliedVersion: number;
  /** When the agent took the report, RFC 3339. */
  reportedAt: string;
  rules: RuleReportView[];
  /** Packets the datapath dropped, by reason (e.g. "mtu"). */
  datapathDrops: Record<string, number>;
  /** One per probe stream (distinct probe SID list). Absent from agents that do not probe (taken as none). */
  paths?: PathHealthView[];
  /** The revisions named by the last update the agent applied; absent: none (or a controller that sends none). */
  topologyRevision?: number;
  intentsRevision?: number;
}

export type PathRole = "primary" | "backup";
export const PATH_ROLES: readonly PathRole[] = ["primary", "backup"];

/** A rule's target whose primary or backup a probed path is. */
export interface PathUseView {
  /** The rule's key. */
  rule: string;
  /** The target's prefix. */
  prefix: string;
  role: PathRole;
  /** The rule's packets to this target take this path now. */
  active: boolean;
}

/** What an agent's loopback probes say about one path (PathHealth). */
export interface PathHealthView {
  /** The probe's SIDs: the stream's identity. */
  probeSids: string[];
  /** The path's routers and link ids as the controller computed them. */
  routers: string[];
  links: string[];
  state: PathState;
  /** When the path entered `state`, RFC 3339, on the agent's clock. */
  since: string;
  /** Share of the last second's probes that did not come back, 0..1. */
  loss: number;
  /** Round-trip times of the last second's returned probes, µs (0 when none). */
  rttMinUs: number;
  rttAvgUs: number;
  rttP99Us: number;
  /** Since the probe stream started. */
  probesSent: number;
  probesReceived: number;
  /** Empty for a watch probe. */
  uses: PathUseView[];
  /** The probe interval and misses the path is probed with (the agent's, made stricter by the intents using it); absent from an agent that does not say. */
  intervalMs?: number;
  misses?: number;
}

/** A report as the controller keeps it: with the time it arrived (RFC 3339). */
export interface ReceivedReportView extends AgentReportView {
  receivedAt: string;
}

/** The controller's answer to a report: its generation and its version of the host's rules. */
export interface ReportAckView {
  generation: string;
  version: number;
  /** The controller's current revisions (0 from a controller that sends none). */
  topologyRevision: number;
  intentsRevision: number;
}

export interface AgentView {
  host: string;
  agentVersion: string;
  peer: string;
  /** RFC 3339. */
  connectedAt: string;
  /** Version last written to the agent's stream; 0 = nothing yet. */
  lastSentVersion: number;
}

export interface PathsView {
  generation: string;
  topologyRevision: number;
  intentsRevision: number;
  hosts: HostPathsView[];
  agents: AgentView[];
}

/** One link, router or host and what liveliness knows of it (ListLinks). */
export interface ElementHealthView {
  /** The overlay's mark; "up" when unmarked. */
  state: ElementState;
  /** In the latest localisation's minimal explanation of the failing paths. */
  suspect: boolean;
  /** When `state` began, RFC 3339. */
  since: string;
  /** Share of the minimal explanations that contain it; 0 when not a suspect. */
  confidence: number;
  /** The failing paths it lies on (and those linked to them through shared suspects) have one minimal explanation, and it is part of it. */
  unique: boolean;
  /** What marked it (operator: drained); absent when up. */
  source?: "localisation" | "operator";
  /** Marked, and probes show it healthy: cleared then unless a probe crossing it fails first. */
  clearsAt?: string;
  /** Probed paths crossing it, by state, from every host's latest report. */
  downPaths: number;
  degradedPaths: number;
  upPaths: number;
  /** Hosts whose down or degraded paths cross it. */
  reportedBy: string[];
}

export interface LinkHealthView extends ElementHealthView {
  /** The link's id as in the topology file, e.g. "r2-r3". */
  link: string;
}

export interface NodeHealthView extends ElementHealthView {
  node: string;
  kind: "router" | "host";
}

/** A failing path that no element explains (every element it crosses is on a healthy path too). */
export interface FailingPathView {
  host: string;
  routers: string[];
  state: "down" | "degraded";
}

export interface LinksView {
  holdDownMs: number;
  links: LinkHealthView[];
  nodes: NodeHealthView[];
  unexplained: FailingPathView[];
  /** The controller's current revisions; absent from a view liveliness alone made. */
  topologyRevision?: number;
  intentsRevision?: number;
  /** The operator's changes in force (ChangeTopology). */
  overrides?: TopologyOverrideView[];
}

/** An operator's change in force: a drained element, or a link's metrics as set or measured. */
export interface TopologyOverrideView {
  kind: "link" | "router";
  id: string;
  /** "drained", or e.g. "igp 10 -> 20, delay_us 1000 -> 5000". */
  change: string;
  source: "operator" | "measurement";
  by: string;
  at: string;
  revision: number;
  reason: string;
}

/** What ChangeTopology did. */
export interface TopologyChangeResultView {
  previousRevision: number;
  revision: number;
  intentsRevision: number;
  rulesRecomputed: number;
  rulesChanged: number;
  fullRecompute: boolean;
  hostsPushed: HostPushView[];
  changes: string[];
}

export interface SuspectView {
  kind: ElementKind;
  id: string;
  state: "down" | "degraded";
  confidence: number;
  unique: boolean;
  failingPaths: number;
  /** failingPaths over all failing paths of its state. */
  share: number;
}

export interface RuleRefView {
  host: string;
  rule: string;
}

/** What happened, with its details. */
export type EventDetailView =
  | { type: "path-state"; host: string; probeSids: string[]; routers: string[]; state: PathState; previous: PathState | ""; rules: string[] }
  | { type: "localisation"; suspects: SuspectView[]; downPaths: number; degradedPaths: number; unexplainedPaths: number; exact: boolean }
  | { type: "overlay"; kind: ElementKind; id: string; state: ElementState; previous: ElementState; source: "localisation"; reason: string }
  | { type: "recompute"; rules: RuleRefView[]; changed: RuleRefView[]; topologyRevision?: number; intentsRevision?: number }
  | { type: "push"; host: string; version: number; upserts: number; removals: number; watch: boolean; topologyRevision?: number; intentsRevision?: number }
  | { type: "ack"; host: string; version: number; pushSeq: number; sincePushMs: number; sinceCauseMs: number; rootCause: number }
  | {
      type: "intents";
      added: string[];
      changed: string[];
      removed: string[];
      source: string;
      /** Who applied (describePrincipal). */
      by: string;
      previousRevision: number;
      revision: number;
      baseRevision: number;
      /** Refused: nothing changed (revision = previousRevision); `reason` says why. */
      refused: boolean;
      reason: string;
      /** The topology revision the paths were computed at (absent: not known, 0 on the wire). */
      topologyRevision?: number;
    }
  | {
      type: "topology";
      /** One line per change, e.g. "drain link r2-r3". */
      changes: string[];
      by: string;
      previousRevision: number;
      revision: number;
      baseRevision: number;
      refused: boolean;
      reason: string;
      intentsRevision: number;
      fullRecompute: boolean;
    }
  | { type: "lost"; count: number };

export type EventType = EventDetailView["type"];

/** One event of the controller's ring. */
export type EventView = {
  /** Increasing by one per event, from 1. */
  seq: number;
  /** RFC 3339. */
  at: string;
  /** The event that led to this one; 0: none. */
  cause: number;
  /** How long the step took, ms; 0 when it has no duration. */
  durationMs: number;
} & EventDetailView;

export interface EventsView {
  /** Oldest first. */
  events: EventView[];
  lastSeq: number;
  capacity: number;
}
