// Which rules each host's agent must hold: intents × their hosts, with computed paths. Pure.
import type { Intent, PathResult, Topology } from "./model.js";
import { PROTOCOL_NUMBERS } from "./model.js";
import { computePath } from "./path-engine.js";

/** One datapath rule an agent must install, with the path it steers onto. */
export interface HostRule {
  /** Stable identity across recomputations: `${intent}#${portRangeIndex}`. */
  key: string;
  intent: string;
  /** Position of the intent in its file: lower wins among equally specific rules. */
  priority: number;
  app?: string;
  /** Destination prefix "addr/len". */
  prefix: string;
  /** IP protocol number; 0 = any. */
  protocol: number;
  portFrom: number;
  portTo: number;
  /** The path, or why there is none (then the agent installs nothing for it). */
  result: PathResult;
}

export function destinationPrefix(topology: Topology, intent: Intent): string {
  const to = intent.match.to;
  if ("prefix" in to) return to.prefix;
  const host = topology.hosts.find((h) => h.name === to.host);
  if (!host) throw new Error(`intent ${intent.name}: unknown host ${to.host} (should have been validated)`);
  return `${host.address}/128`;
}

/** The rules `hostName` must hold for `intents`, in priority order. */
export function hostRules(topology: Topology, intents: Intent[], hostName: string): HostRule[] {
  const rules: HostRule[] = [];
  intents.forEach((intent, priority) => {
    if (!intent.match.hosts.includes(hostName)) return;
    const result = computePath(topology, intent, hostName);
    const ranges = intent.match.ports.length > 0 ? intent.match.ports : [{ from: 0, to: 65535 }];
    ranges.forEach((range, i) => {
      rules.push({
        key: `${intent.name}#${i}`,
        intent: intent.name,
        priority,
        ...(intent.match.app !== undefined ? { app: intent.match.app } : {}),
        prefix: destinationPrefix(topology, intent),
        protocol: intent.match.protocol ? PROTOCOL_NUMBERS[intent.match.protocol] : 0,
        portFrom: range.from,
        portTo: range.to,
        result,
      });
    });
  });
  return rules;
}
