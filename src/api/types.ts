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
