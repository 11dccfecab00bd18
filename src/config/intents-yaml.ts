// Intent[] → intents file text that parseIntents reads back to the same intents (exact units:
// durations and rates in the largest unit that divides them). Used to write applied intents back
// to the controller's intents file (persistIntents). Pure.
import { stringify } from "yaml";
import type { Intent } from "../core/model.js";

function duration(us: number): string {
  if (us !== 0 && us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us !== 0 && us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

function rate(bps: number): string {
  for (const [unit, f] of [["Tbps", 1e12], ["Gbps", 1e9], ["Mbps", 1e6], ["Kbps", 1e3]] as const) if (bps % f === 0) return `${bps / f}${unit}`;
  return `${bps}bps`;
}

function intentDoc(i: Intent): Record<string, unknown> {
  const m = i.match;
  const to = "host" in m.to ? m.to.host : "prefix" in m.to ? m.to.prefix : m.to.dns;
  const c = i.constraints;
  const constraints: Record<string, unknown> = {
    ...(c.maxLatencyUs !== undefined ? { maxLatency: duration(c.maxLatencyUs) } : {}),
    ...(c.maxJitterUs !== undefined ? { maxJitter: duration(c.maxJitterUs) } : {}),
    ...(c.maxLoss !== undefined ? { maxLoss: c.maxLoss } : {}),
    ...(c.maxHops !== undefined ? { maxHops: c.maxHops } : {}),
    ...(c.minBandwidthBps !== undefined ? { minBandwidth: rate(c.minBandwidthBps) } : {}),
  };
  for (const k of ["avoidNodes", "avoidLinks", "avoidSrlgs", "avoidRegions", "excludeAny", "includeAny", "includeAll"] as const) if (c[k].length) constraints[k] = [...c[k]];
  const l = i.liveliness;
  const liveliness =
    l === undefined
      ? undefined
      : !l.probes
        ? "off"
        : {
            probes: "on",
            ...(l.intervalMs !== undefined ? { intervalMs: l.intervalMs } : {}),
            ...(l.misses !== undefined ? { misses: l.misses } : {}),
            ...(l.lossThreshold !== undefined ? { loss: l.lossThreshold } : {}),
            ...(l.holddownMs !== undefined ? { holddownMs: l.holddownMs } : {}),
          };
  return {
    name: i.name,
    match: {
      hosts: [...m.hosts],
      ...(m.app !== undefined ? { app: m.app } : {}),
      ...(m.cgroup !== undefined ? { cgroup: m.cgroup } : {}),
      ...(m.user !== undefined ? { user: m.user } : {}),
      ...(m.source !== undefined ? { source: m.source } : {}),
      to,
      ...(m.protocol !== undefined ? { protocol: m.protocol } : {}),
      ...(m.ports.length ? { ports: m.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)) } : {}),
    },
    objective: i.objective === "weighted" ? { ...i.weights } : i.objective,
    ...(Object.keys(constraints).length ? { constraints } : {}),
    ...(i.via.length ? { via: [...i.via] } : {}),
    ...(i.protection !== "none" ? { protection: i.protection } : {}),
    ...(i.msd !== undefined ? { msd: i.msd } : {}),
    ...(i.onFailure !== undefined ? { onFailure: i.onFailure } : {}),
    ...(liveliness !== undefined ? { liveliness } : {}),
  };
}

/** An intents file holding `intents`, in their order. */
export function formatIntentsYaml(intents: readonly Intent[]): string {
  return stringify({ intents: intents.map(intentDoc) }, { lineWidth: 0 });
}
