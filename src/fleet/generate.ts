// The fleet: a router graph (a Topology Zoo file) with N hosts attached to its routers and a few
// intents whose match.hosts cover many hosts, together holding M rules. Pure: same inputs, same fleet.
import type { Host, LinkMetrics, Topology } from "../core/model.js";
import { withSids } from "../core/sids.js";

export interface FleetSpec {
  hosts: number;
  /** Rules in total (one per intent and matched host: the intents have no port ranges). */
  rules: number;
  /** Hosts go to routers in turn, or to routers drawn with this seed. */
  attach: "round-robin" | "random";
  seed: number;
}

/** What each intent asks of the path engine, in turn: protection and constraints exercise it. */
const FLAVOURS: readonly Record<string, unknown>[] = [
  { objective: "latency", protection: "link" },
  { objective: "igp", protection: "node" },
  { objective: "hops", constraints: { maxHops: 40 }, protection: "link" },
  { objective: "latency" },
  { objective: "bandwidth", protection: "link" },
];

export interface FleetIntent {
  name: string;
  match: { hosts: string[]; app: string; to: string; protocol: "udp" };
  objective: string;
  protection?: string;
  constraints?: Record<string, unknown>;
}

export interface Fleet {
  topology: Topology;
  /** The fleet's router names (r1, r2, …: topology files take short lowercase names) → the graph's. */
  zooNames: Map<string, string>;
  /** The intents file's content (what `cairn controller --intents` reads). */
  intents: FleetIntent[];
  /** Rules they give, over all hosts. */
  rules: number;
}

/** Park–Miller, as the benchmarks use. */
function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export const hostName = (i: number) => `h${i + 1}`;

/** Host i's address: its own /64 outside every router's locator (fc00::/16 in the zoo import). */
export function hostAddress(i: number): string {
  return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::10`;
}

export function generateFleet(base: Topology, spec: FleetSpec): Fleet {
  if (!Number.isInteger(spec.hosts) || spec.hosts < 2) throw new Error(`a fleet needs at least 2 hosts, got ${spec.hosts}`);
  if (!Number.isInteger(spec.rules) || spec.rules < 1) throw new Error(`a fleet needs at least 1 rule, got ${spec.rules}`);
  // Routers with no link can reach nothing: hosts there would only hold infeasible rules.
  const rename = new Map(base.routers.map((r, i) => [r.name, `r${i + 1}`]));
  // New names make new derived SIDs: the base's are dropped and derived again, as the YAML file's loader will.
  const routers = base.routers.map(({ sid: _sid, ...r }) => ({ ...r, name: rename.get(r.name)! }));
  const perPair = new Map<string, number>();
  for (const l of base.links) perPair.set([l.a, l.b].sort().join("\u0000"), (perPair.get([l.a, l.b].sort().join("\u0000")) ?? 0) + 1);
  const links = base.links.map(({ sidA: _a, sidB: _b, ...l }) => {
    const a = rename.get(l.a)!;
    const b = rename.get(l.b)!;
    // Parallel links keep their import's suffix (a-b#<edge key>) in an id the YAML file accepts.
    const parallel = perPair.get([l.a, l.b].sort().join("\u0000"))! > 1;
    const suffix = l.id.slice(l.id.lastIndexOf("#") + 1).replace(/[^A-Za-z0-9_.]/g, "_");
    return { ...l, id: parallel ? `${a}_${b}_${suffix}` : `${a}-${b}`, a, b };
  });
  const linked = new Set(links.flatMap((l) => [l.a, l.b]));
  const gateways = routers.map((r) => r.name).filter((n) => linked.has(n));
  if (gateways.length < 2) throw new Error("the graph needs at least 2 linked routers");
  const draw = rng(spec.seed);
  const hosts: Host[] = [];
  for (let i = 0; i < spec.hosts; i++) {
    const router = spec.attach === "random" ? gateways[Math.floor(draw() * gateways.length)]! : gateways[i % gateways.length]!;
    hosts.push({ name: hostName(i), router, address: hostAddress(i), prefixLen: 64 });
  }
  const topology: Topology = withSids({ routers, links, hosts, services: [] });

  // Intent j covers every host but its destination until the rules run out: ceil(M / (N-1)) intents.
  const intents: FleetIntent[] = [];
  let left = spec.rules;
  for (let j = 0; left > 0; j++) {
    const dest = Math.floor(draw() * spec.hosts);
    const sources: string[] = [];
    for (let i = 0; i < spec.hosts && sources.length < left; i++) if (i !== dest) sources.push(hostName(i));
    left -= sources.length;
    const flavour = FLAVOURS[j % FLAVOURS.length]!;
    intents.push({ name: `fleet-${j + 1}`, match: { hosts: sources, app: `app${j + 1}`, to: hostName(dest), protocol: "udp" }, ...flavour } as FleetIntent);
  }
  return { topology, zooNames: new Map([...rename].map(([zoo, ours]) => [ours, zoo])), intents, rules: spec.rules };
}

const yamlString = (s: string) => JSON.stringify(s);

/** The topology as the YAML topology file (flow-style entries, one a line: 10,000 hosts stay readable and fast to parse). */
export function topologyYaml(t: Topology): string {
  const lines = ["routers:"];
  for (const r of t.routers) {
    const region = r.region !== undefined ? `, region: ${yamlString(r.region)}` : "";
    const position = r.latitude !== undefined && r.longitude !== undefined ? `, latitude: ${r.latitude}, longitude: ${r.longitude}` : "";
    lines.push(`  - { name: ${yamlString(r.name)}, locator: ${yamlString(r.locator)}${region}${position} }`);
  }
  lines.push("hosts:");
  for (const h of t.hosts) lines.push(`  - { name: ${yamlString(h.name)}, router: ${yamlString(h.router)}, address: "${h.address}/${h.prefixLen}" }`);
  lines.push("links:");
  for (const l of t.links) {
    // One value, or one per direction keyed by the sending router where they differ.
    const v = (f: (m: LinkMetrics) => string) => {
      const ab = f(l);
      const ba = l.reverse ? f(l.reverse) : ab;
      return ab === ba ? ab : `{ ${yamlString(l.a)}: ${ab}, ${yamlString(l.b)}: ${ba} }`;
    };
    const id = l.id === `${l.a}-${l.b}` ? "" : `id: ${yamlString(l.id)}, `;
    lines.push(`  - { ${id}a: ${yamlString(l.a)}, b: ${yamlString(l.b)}, igp: ${v((m) => String(m.igp))}, te: ${v((m) => String(m.te))}, delay: ${v((m) => `${m.delayUs}us`)}, bandwidth: ${v((m) => `${m.bandwidthBps}bps`)} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** The intents file (JSON is YAML). */
export function intentsYaml(intents: readonly FleetIntent[]): string {
  return `${JSON.stringify({ intents })}\n`;
}
