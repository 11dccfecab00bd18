// labStatus: the recorded lab plus live checks (namespaces, link states and MTUs, processes). Plain data.
import { DNS_TTL_S, listDnsRecords, runningDnsServer, type DnsRecord } from "./dns.js";
import { faultDirections, routerIsDown, type LabFault } from "./fault-model.js";
import { egressDrops } from "./tc-egress.js";
import { CONTROLLER_ADDRESS, CONTROLLER_PORT, LAB_DNS_SERVER } from "./endpoint.js";
import { namespaceExists, readLinks, type LinkInfo } from "./netns.js";
import { nsName } from "./paths.js";
import { buildPlan, type LabPlan } from "./plan.js";
import { namedNetns, scanAgents } from "./agent-scan.js";
import { processAlive } from "./procs.js";
import { readState, type LabState } from "./state.js";

export interface LabStatusNode {
  name: string;
  kind: "router" | "host";
  namespace: string;
  exists: boolean;
  /** Routers. */
  locator?: string;
  endSid?: string;
  /** Hosts. */
  address?: string;
  /** Dual-stack hosts: "addr/len". */
  address4?: string;
  router?: string;
  mgmtAddress?: string;
}

export interface LabStatusLinkEnd {
  node: string;
  ifname: string;
  address?: string;
  address4?: string;
  up: boolean;
  /** The interface's MTU as the kernel has it now. */
  mtu?: number;
}

export interface LabStatusLink {
  id: string;
  kind: "core" | "access" | "mgmt";
  a: LabStatusLinkEnd;
  b: LabStatusLinkEnd;
  up: boolean;
  /** The MTU the lab gave the link. */
  mtu?: number;
}

export interface LabStatusContainer {
  name: string;
  host: string;
  namespace: string;
  exists: boolean;
  address: string;
  address4?: string;
  hostInterface: string;
}

export interface LabStatusDns {
  server: string;
  running: boolean;
  ttlS: number;
  records: DnsRecord[];
}

export interface LabStatusProcess {
  role: string;
  node: string | null;
  namespace: string | null;
  pid: number | null;
  alive: boolean;
  /** Not running because its router is down (`cairn lab fault down ROUTER`). */
  stoppedByFault?: boolean;
  logFile?: string;
  /** Not started by the lab (an agent restarted by hand), found by its command line. */
  unrecorded?: boolean;
}

/** A fault in force; drop and loss faults with the packets their filters have dropped so far, per direction. */
export interface LabStatusFault extends LabFault {
  dropped?: Array<{ from: string; to: string; packets: number | null }>;
}

export interface LabStatus {
  phase: LabState["phase"];
  createdAt: string;
  upAfterMs?: number;
  convergedAfterMs?: number;
  controller: { address: string; port: number };
  nodes: LabStatusNode[];
  links: LabStatusLink[];
  containers: LabStatusContainer[];
  dns: LabStatusDns;
  processes: LabStatusProcess[];
  faults: LabStatusFault[];
}

/** The lab as recorded, with live checks (namespaces, link states, processes); null when no lab is up. */
export function labStatus(): LabStatus | null {
  const state = readState();
  if (!state) return null;
  const t = state.topology;
  const linksByNs = new Map<string, LinkInfo[] | null>();
  const liveLink = (node: string, ifname: string): LinkInfo | undefined => {
    const ns = node === "root" ? null : nsName(node);
    const key = ns ?? "";
    if (!linksByNs.has(key)) {
      try {
        linksByNs.set(key, ns !== null && !namespaceExists(ns) ? null : readLinks(ns));
      } catch {
        linksByNs.set(key, null);
      }
    }
    return linksByNs.get(key)?.find((x) => x.ifname === ifname);
  };
  const liveEnd = (node: string, ifname: string): Pick<LabStatusLinkEnd, "up" | "mtu"> => {
    const l = liveLink(node, ifname);
    return { up: !!l && (l.operstate === "UP" || (l.flags.includes("UP") && l.flags.includes("LOWER_UP"))), ...(l ? { mtu: l.mtu } : {}) };
  };
  let plan: LabPlan | null = null;
  try {
    plan = buildPlan(t);
  } catch {
    plan = null;
  }
  const nodes: LabStatusNode[] = [
    ...t.routers.map((r) => ({ name: r.name, kind: "router" as const, namespace: nsName(r.name), exists: namespaceExists(nsName(r.name)), locator: r.locator, endSid: r.sid })),
    ...t.hosts.map((h, i) => ({
      name: h.name,
      kind: "host" as const,
      namespace: nsName(h.name),
      exists: namespaceExists(nsName(h.name)),
      address: h.address,
      ...(h.address4 !== undefined ? { address4: `${h.address4}/${h.prefixLen4}` } : {}),
      router: h.router,
      ...(plan ? { mgmtAddress: plan.hosts[i]!.mgmtAddress } : {}),
    })),
  ];
  const links: LabStatusLink[] = state.links.map((l) => {
    const a = { ...l.a, ...liveEnd(l.a.node, l.a.ifname) };
    const b = { ...l.b, ...liveEnd(l.b.node, l.b.ifname) };
    return { id: l.id, kind: l.kind, a, b, up: a.up && b.up, ...(l.mtu !== undefined ? { mtu: l.mtu } : {}) };
  });
  const containers: LabStatusContainer[] = state.containers.map((c) => ({ ...c, exists: namespaceExists(c.namespace) }));
  const dns: LabStatusDns = { server: LAB_DNS_SERVER, running: runningDnsServer() !== null, ttlS: DNS_TTL_S, records: listDnsRecords() };
  const processes: LabStatusProcess[] = state.processes.map((p) => ({
    role: p.role,
    node: p.node,
    namespace: p.namespace,
    pid: p.pid,
    alive: p.pid !== null && processAlive(p.pid, p.startTime),
    ...(p.node !== null && routerIsDown(state.faults, p.node) ? { stoppedByFault: true } : {}),
    ...(p.logFile ? { logFile: p.logFile } : {}),
  }));
  processes.push(...unrecordedAgents(processes, t.hosts.map((h) => h.name)));
  const faults = state.faults.map((f) => faultStatus(f, state));
  return {
    phase: state.phase,
    createdAt: state.createdAt,
    ...(state.upAfterMs !== undefined ? { upAfterMs: state.upAfterMs } : {}),
    ...(state.convergedAfterMs !== undefined ? { convergedAfterMs: state.convergedAfterMs } : {}),
    controller: { address: CONTROLLER_ADDRESS, port: CONTROLLER_PORT },
    nodes,
    links,
    containers,
    dns,
    processes,
    faults,
  };
}

/**
 * Agents of the lab's hosts that run in their host's namespace but are not among the recorded live
 * processes. (An agent for a host of the same name elsewhere, e.g. a real one or a test's, is not the lab's.)
 */
function unrecordedAgents(recorded: LabStatusProcess[], hosts: string[]): LabStatusProcess[] {
  const known = new Set(recorded.filter((p) => p.alive && p.pid !== null).map((p) => p.pid));
  const netns = new Map(hosts.map((h) => [h, namedNetns(nsName(h))]));
  return scanAgents()
    .filter((a) => netns.has(a.host) && a.netns !== null && a.netns === netns.get(a.host) && !known.has(a.pid))
    .map((a) => ({ role: "agent", node: a.host, namespace: nsName(a.host), pid: a.pid, alive: true, unrecorded: true }));
}

/** The filter of each direction sits at the egress of the sending router's interface on the link. */
function faultStatus(f: LabFault, state: LabState): LabStatusFault {
  const link = state.links.find((l) => l.kind === "core" && l.id === f.name);
  const directions = faultDirections(f);
  if (!link || directions.length === 0) return { ...f };
  const dropped = directions.map(({ from, to }) => {
    const end = link.a.node === from ? link.a : link.b;
    return { from, to, packets: namespaceExists(nsName(from)) ? egressDrops(nsName(from), end.ifname) : null };
  });
  return { ...f, dropped };
}

