// The controller's logic without I/O: the intent set, every host's rules
// (core/assignments.hostRules), per-host versions, and the deltas an intent
// change causes.
import { randomUUID } from "node:crypto";
import type { HostRule } from "../core/assignments.js";
import { hostRules } from "../core/assignments.js";
import type { Intent, Topology } from "../core/model.js";
import type { ApplySummary } from "../api/types.js";

/** What changed for one host: pushed to its agents as a delta. */
export interface HostDelta {
  host: string;
  /** The host's version after the change. */
  version: bigint;
  /** Added or changed rules, in priority order. */
  upserts: HostRule[];
  /** Keys of rules that are gone. */
  removed: string[];
}

export interface HostSnapshot {
  host: string;
  version: bigint;
  /** The complete rule set, in priority order. */
  rules: HostRule[];
}

export interface ControllerState {
  /** Random per state instance: agents notice a controller restart by it. */
  readonly generation: string;
  readonly topology: Topology;
  /** Current intents, in priority (file) order. */
  intents(): Intent[];
  /** Host names of the topology, in topology order. */
  hosts(): string[];
  hasHost(host: string): boolean;
  /** Undefined for a host not in the topology. */
  snapshot(host: string): HostSnapshot | undefined;
  /** Replaces the intents; returns what changed, per intent and per host. Hosts without changes get no delta. */
  setIntents(intents: Intent[]): { summary: ApplySummary; deltas: HostDelta[] };
}

/** JSON with object keys sorted: equal for structurally equal plain data. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .filter((k) => o[k] !== undefined)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/** Compares two rule sets by key; upserts follow `next`'s (priority) order. */
export function diffRules(prev: HostRule[], next: HostRule[]): { upserts: HostRule[]; removed: string[] } {
  const before = new Map(prev.map((r) => [r.key, canonicalJson(r)]));
  const nextKeys = new Set(next.map((r) => r.key));
  const upserts = next.filter((r) => before.get(r.key) !== canonicalJson(r));
  const removed = prev.filter((r) => !nextKeys.has(r.key)).map((r) => r.key);
  return { upserts, removed };
}

export function createControllerState(
  topology: Topology,
  intents: Intent[],
  opts: { generation?: string } = {},
): ControllerState {
  const generation = opts.generation ?? randomUUID();
  const hostNames = topology.hosts.map((h) => h.name);
  let current: Intent[] = [...intents];
  const perHost = new Map<string, { version: bigint; rules: HostRule[] }>();
  for (const h of hostNames) perHost.set(h, { version: 1n, rules: hostRules(topology, current, h) });

  return {
    generation,
    topology,
    intents: () => [...current],
    hosts: () => [...hostNames],
    hasHost: (host) => perHost.has(host),
    snapshot(host) {
      const s = perHost.get(host);
      return s ? { host, version: s.version, rules: [...s.rules] } : undefined;
    },
    setIntents(next) {
      const oldByName = new Map(current.map((i) => [i.name, canonicalJson(i)]));
      const newNames = new Set(next.map((i) => i.name));
      const summary: ApplySummary = { added: [], changed: [], removed: [], unchanged: [], hostsPushed: [] };
      for (const i of next) {
        const old = oldByName.get(i.name);
        if (old === undefined) summary.added.push(i.name);
        else if (old !== canonicalJson(i)) summary.changed.push(i.name);
        else summary.unchanged.push(i.name);
      }
      for (const i of current) if (!newNames.has(i.name)) summary.removed.push(i.name);

      current = [...next];
      const deltas: HostDelta[] = [];
      for (const host of hostNames) {
        const s = perHost.get(host)!;
        const rules = hostRules(topology, current, host);
        const { upserts, removed } = diffRules(s.rules, rules);
        s.rules = rules;
        if (upserts.length === 0 && removed.length === 0) continue;
        s.version += 1n;
        deltas.push({ host, version: s.version, upserts, removed });
        summary.hostsPushed.push({ host, version: Number(s.version), upserts: upserts.length, removals: removed.length });
      }
      return { summary, deltas };
    },
  };
}
