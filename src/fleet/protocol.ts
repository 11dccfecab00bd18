// Messages between the fleet simulator's orchestrator and its worker processes (IPC, JSON).
import type { ReportsAs, UpdateRecord } from "./sim-agent.js";

export type ToWorker =
  /** urls: every controller replica (url first); agent i starts with the i-th (mod K) and moves on along them. */
  | { type: "start"; url: string; urls?: string[]; caPem: string; agentDir: string; hosts: string[]; probeVerdictMs: number; keepaliveTimeoutMs: number; connectConcurrency: number; reportsAs: ReportsAs }
  /** The failed elements now (the whole set: level-triggered). */
  | { type: "network"; links: string[]; routers: string[] }
  | { type: "usage" }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready" }
  /** received: updates that arrived since the last message (acknowledged or not yet). */
  | { type: "updates"; records: UpdateRecord[]; received: number; errors: number; errorSamples: string[] }
  /** Hosts whose primaries cross each element. */
  | { type: "usage"; links: Record<string, number>; routers: Record<string, number> };
