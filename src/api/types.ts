// Plain-data views of the API messages (no protobuf types): what the controller
// produces, the agent consumes and the operator CLI prints. JSON-serializable
// except where a field says bigint.
import type { HostRule } from "../core/assignments.js";

/** One message of an agent's subscription. */
export interface PathUpdateView {
  host: string;
  generation: string;
  version: bigint;
  /** True: `upserts` is the complete rule set. */
  full: boolean;
  upserts: HostRule[];
  removedKeys: string[];
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

export interface HostPathsView {
  host: string;
  /** The controller's current version of the host's rule set. */
  version: number;
  rules: HostRule[];
  /** The host agent's latest report; absent when none arrived since the controller started. */
  report?: ReceivedReportView;
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
}

/** A report as the controller keeps it: with the time it arrived (RFC 3339). */
export interface ReceivedReportView extends AgentReportView {
  receivedAt: string;
}

/** The controller's answer to a report: its generation and its version of the host's rules. */
export interface ReportAckView {
  generation: string;
  version: number;
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
  hosts: HostPathsView[];
  agents: AgentView[];
}
