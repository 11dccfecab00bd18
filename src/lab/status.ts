// labStatus: the recorded lab plus live checks (namespaces, link states, processes). Plain data.
import { endSid } from "../core/addressing.js";
import { CONTROLLER_ADDRESS, CONTROLLER_PORT } from "./endpoint.js";
import { namespaceExists, readLinks, type LinkInfo } from "./netns.js";
import { nsName } from "./paths.js";
import { buildPlan, type LabPlan } from "./plan.js";
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
  router?: string;
  mgmtAddress?: string;
}

export interface LabStatusLinkEnd {
  node: string;
  ifname: string;
  address?: string;
  up: boolean;
}

export interface LabStatusLink {
  id: string;
  kind: "core" | "access" | "mgmt";
  a: LabStatusLinkEnd;
  b: LabStatusLinkEnd;
  up: boolean;
}

export interface LabStatusProcess {
  role: string;
  node: string | null;
  namespace: string | null;
  pid: number | null;
  alive: boolean;
  logFile?: string;
}

export interface LabStatus {
  phase: LabState["phase"];
  createdAt: string;
  upAfterMs?: number;
  convergedAfterMs?: number;
  controller: { address: string; port: number };
  nodes: LabStatusNode[];
  links: LabStatusLink[];
  processes: LabStatusProcess[];
}

/** The lab as recorded, with live checks (namespaces, link states, processes); null when no lab is up. */
export function labStatus(): LabStatus | null {
  const state = readState();
  if (!state) return null;
  const t = state.topology;
  const linksByNs = new Map<string, LinkInfo[] | null>();
  const linkUp = (node: string, ifname: string): boolean => {
    const ns = node === "root" ? null : nsName(node);
    const key = ns ?? "";
    if (!linksByNs.has(key)) {
      try {
        linksByNs.set(key, ns !== null && !namespaceExists(ns) ? null : readLinks(ns));
      } catch {
        linksByNs.set(key, null);
      }
    }
    const l = linksByNs.get(key)?.find((x) => x.ifname === ifname);
    return !!l && (l.operstate === "UP" || (l.flags.includes("UP") && l.flags.includes("LOWER_UP")));
  };
  let plan: LabPlan | null = null;
  try {
    plan = buildPlan(t);
  } catch {
    plan = null;
  }
  const nodes: LabStatusNode[] = [
    ...t.routers.map((r) => ({ name: r.name, kind: "router" as const, namespace: nsName(r.name), exists: namespaceExists(nsName(r.name)), locator: r.locator, endSid: endSid(r) })),
    ...t.hosts.map((h, i) => ({
      name: h.name,
      kind: "host" as const,
      namespace: nsName(h.name),
      exists: namespaceExists(nsName(h.name)),
      address: h.address,
      router: h.router,
      ...(plan ? { mgmtAddress: plan.hosts[i]!.mgmtAddress } : {}),
    })),
  ];
  const links: LabStatusLink[] = state.links.map((l) => {
    const a = { ...l.a, up: linkUp(l.a.node, l.a.ifname) };
    const b = { ...l.b, up: linkUp(l.b.node, l.b.ifname) };
    return { id: l.id, kind: l.kind, a, b, up: a.up && b.up };
  });
  const processes: LabStatusProcess[] = state.processes.map((p) => ({
    role: p.role,
    node: p.node,
    namespace: p.namespace,
    pid: p.pid,
    alive: p.pid !== null && processAlive(p.pid, p.startTime),
    ...(p.logFile ? { logFile: p.logFile } : {}),
  }));
  return {
    phase: state.phase,
    createdAt: state.createdAt,
    ...(state.upAfterMs !== undefined ? { upAfterMs: state.upAfterMs } : {}),
    ...(state.convergedAfterMs !== undefined ? { convergedAfterMs: state.convergedAfterMs } : {}),
    controller: { address: CONTROLLER_ADDRESS, port: CONTROLLER_PORT },
    nodes,
    links,
    processes,
  };
}

