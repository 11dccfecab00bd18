// Lab faults as data: what may be asked for, the names it may use, and what each link and router
// must look like under the faults in force. Pure.
import type { Link, Topology } from "../core/model.js";
import type { LabPlan } from "./plan.js";
import { linkSpellings, unknownSpellingHint } from "../core/name-hints.js";
import { quote } from "../core/quote.js";

export const FAULT_KINDS = ["down", "drop", "loss"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Which way packets are lost, relative to the topology's link: "a-b" is from link.a to link.b. */
export type FaultDirection = "both" | "a-b" | "b-a";

/** A fault in force, as recorded in the lab state. */
export interface LabFault {
  kind: FaultKind;
  target: "link" | "node";
  /** The topology's link id, or a router's name. */
  name: string;
  /** Link faults: the link's ends as the topology has them. */
  a?: string;
  b?: string;
  /** drop and loss. */
  direction?: FaultDirection;
  /** loss: the share of data packets dropped, in percent (0 < percent < 100); drop: 100. */
  percent?: number;
  /** When it was injected (ISO 8601). */
  since: string;
}

export interface FaultRequest {
  kind: FaultKind;
  /** A router, or a link written as its id or either way round ("r1-r2" or "r2-r1"). */
  target: string;
  /**
   * drop and loss: "both" (the default), "a-b" or "b-a" with a and b as `target` writes the link, or
   * the link's two routers "X-Y" (packets from X to Y).
   */
  direction?: string;
  /** loss: the share of data packets to drop, in percent, above 0 and below 100. */
  percent?: number;
}

/** A request that names something the lab does not have, or asks for something a fault cannot do. */
export class FaultRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FaultRequestError";
  }
}

export type FaultTarget = { target: "link"; link: Link; from: string; to: string } | { target: "node"; name: string };

/**
 * The link `name` stands for: its id, or "a-b"/"b-a" for the one link between a and b (written that
 * way round). A fault acts on one link, so a pair with parallel links is an error naming their ids.
 */
function linkNamed(t: Topology, name: string): { link: Link; from: string; to: string } | null {
  const exact = t.links.find((l) => l.id === name);
  if (exact) return { link: exact, from: exact.a, to: exact.b };
  const pair = t.links.filter((l) => `${l.a}-${l.b}` === name || `${l.b}-${l.a}` === name);
  if (pair.length > 1) {
    throw new FaultRequestError(`${quote(name)} names ${pair.length} parallel links (${pair.map((l) => l.id).join(", ")}); a fault takes one: name it by its id, e.g. ${pair[0]!.id}`);
  }
  const l = pair[0];
  if (!l) return null;
  return name === `${l.a}-${l.b}` ? { link: l, from: l.a, to: l.b } : { link: l, from: l.b, to: l.a };
}

/** The link or router `name` stands for; `linksOnly` for faults that only links can have. */
export function resolveFaultTarget(t: Topology, name: string, linksOnly: boolean): FaultTarget {
  const link = linkNamed(t, name);
  const router = t.routers.some((r) => r.name === name);
  if (link && router) throw new FaultRequestError(`"${name}" is both a router and a link of the topology; rename one of them`);
  if (link) return { target: "link", ...link };
  const what = linksOnly ? "link between routers" : "router or link between routers";
  if (router) {
    if (linksOnly) throw new FaultRequestError(`${name} is a router; this fault takes a link between routers (to fail a router: \`cairn lab fault down ${name}\`)`);
    return { target: "node", name };
  }
  const host = t.hosts.find((h) => h.name === name || `${h.name}-${h.router}` === name || `${h.router}-${h.name}` === name);
  if (host) throw new FaultRequestError(`${name} is ${host.name === name ? "a host" : `${host.name}'s uplink`}; faults take a ${what}`);
  const known = linkSpellings(t);
  if (!linksOnly) for (const r of t.routers) known.set(r.name, r.name);
  const hint = unknownSpellingHint(name, known, { what: linksOnly ? "links" : "routers and links", listedBy: "cairn lab status" });
  throw new FaultRequestError(`no ${what} named ${quote(name)} in the lab; ${hint}`);
}

/** The recorded direction from what the request says about a link written from `from` to `to`. */
export function resolveDirection(link: Link, from: string, to: string, text: string | undefined): FaultDirection {
  const oneWay = (src: string): FaultDirection => (src === link.a ? "a-b" : "b-a");
  if (text === undefined || text === "both") return "both";
  if (text === "a-b") return oneWay(from);
  if (text === "b-a") return oneWay(to);
  if (text === `${link.a}-${link.b}`) return "a-b";
  if (text === `${link.b}-${link.a}`) return "b-a";
  throw new FaultRequestError(`direction "${text}" is none of a-b, b-a, both, ${from}-${to}, ${to}-${from}`);
}

/** Parses a loss percentage: "30", "30%", "2.5"; above 0 and below 100. */
export function parsePercent(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  const n = m ? Number(m[1]) : Number.NaN;
  checkPercent(n, text);
  return n;
}

function checkPercent(n: number, shown: string | number): void {
  if (!(n > 0 && n < 100)) {
    throw new FaultRequestError(`loss percentage "${shown}" is not a number above 0 and below 100 (0 is no fault: heal it; 100 is \`cairn lab fault drop\`)`);
  }
}

/** The fault a request asks for, checked against the topology; `since` is the time to record. */
export function planFault(t: Topology, req: FaultRequest, since: string): LabFault {
  if (!(FAULT_KINDS as readonly string[]).includes(req.kind)) throw new FaultRequestError(`unknown fault kind "${req.kind}" (one of ${FAULT_KINDS.join(", ")})`);
  const target = resolveFaultTarget(t, req.target, req.kind !== "down");
  if (req.kind === "down") {
    if (req.direction !== undefined) throw new FaultRequestError("a link or router that is down is down both ways: no direction");
    if (req.percent !== undefined) throw new FaultRequestError("down takes no percentage (partial loss is `cairn lab fault loss`)");
    return target.target === "node"
      ? { kind: "down", target: "node", name: target.name, since }
      : { kind: "down", target: "link", name: target.link.id, a: target.link.a, b: target.link.b, since };
  }
  if (target.target !== "link") throw new Error("unreachable: drop and loss resolve links only");
  const direction = resolveDirection(target.link, target.from, target.to, req.direction);
  let percent = 100;
  if (req.kind === "loss") {
    if (req.percent === undefined) throw new FaultRequestError("loss needs a percentage, e.g. 30");
    checkPercent(req.percent, req.percent);
    percent = req.percent;
  } else if (req.percent !== undefined) throw new FaultRequestError("drop drops every data packet; for a share of them use `cairn lab fault loss LINK PERCENT`");
  return { kind: req.kind, target: "link", name: target.link.id, a: target.link.a, b: target.link.b, direction, percent, since };
}

const sameElement = (x: LabFault, y: { target: LabFault["target"]; name: string }) => x.target === y.target && x.name === y.name;

/** Adds a fault; one already on the same link or router is replaced (and returned). */
export function withFault(faults: LabFault[], fault: LabFault): { faults: LabFault[]; replaced: LabFault | null } {
  const replaced = faults.find((f) => sameElement(f, fault)) ?? null;
  return { faults: [...faults.filter((f) => !sameElement(f, fault)), fault], replaced };
}

/** The faults without the one on this element (if any). */
export function withoutFault(faults: LabFault[], element: { target: LabFault["target"]; name: string }): { faults: LabFault[]; removed: LabFault | null } {
  return { faults: faults.filter((f) => !sameElement(f, element)), removed: faults.find((f) => sameElement(f, element)) ?? null };
}

export function routerIsDown(faults: LabFault[], router: string): boolean {
  return faults.some((f) => f.kind === "down" && f.target === "node" && f.name === router);
}

/** How a router link must be under the faults in force. Percentages are of data packets dropped (100: all). */
export interface LinkWanted {
  down: boolean;
  /** Dropped on the way from the link's a to its b (filtered at a's egress), and back. */
  dropAToB: number | null;
  dropBToA: number | null;
}

export function wantedLink(faults: LabFault[], link: { id: string; a: string; b: string }): LinkWanted {
  const f = faults.find((x) => x.target === "link" && x.name === link.id);
  const down = f?.kind === "down" || routerIsDown(faults, link.a) || routerIsDown(faults, link.b);
  const lossy = f && f.kind !== "down" ? f : null;
  const percent = lossy?.percent ?? 100;
  return {
    down,
    dropAToB: lossy && lossy.direction !== "b-a" ? percent : null,
    dropBToA: lossy && lossy.direction !== "a-b" ? percent : null,
  };
}

/** "link r1-r2 down", "router r2 down", "drop on link r1-r2 (r1 to r2)", "30% loss on link r1-r2 (both ways)". */
export function describeFault(f: LabFault): string {
  if (f.kind === "down") return `${f.target === "node" ? "router" : "link"} ${f.name} down`;
  const way = f.direction === "both" || f.direction === undefined ? "both ways" : f.direction === "a-b" ? `${f.a} to ${f.b}` : `${f.b} to ${f.a}`;
  return `${f.kind === "drop" ? "drop" : `${f.percent}% loss`} on link ${f.name} (${way})`;
}

/** The directions a drop or loss fault filters, as (from, to) router pairs. */
export function faultDirections(f: LabFault): Array<{ from: string; to: string }> {
  if (f.target !== "link" || f.kind === "down" || f.a === undefined || f.b === undefined) return [];
  const out: Array<{ from: string; to: string }> = [];
  if (f.direction !== "b-a") out.push({ from: f.a, to: f.b });
  if (f.direction !== "a-b") out.push({ from: f.b, to: f.a });
  return out;
}

/** The part of the lab that can route under the faults: routers that are up, links that are up, hosts whose router is up. */
export function planUnderFaults(plan: LabPlan, faults: LabFault[]): LabPlan {
  const up = (router: string) => !routerIsDown(faults, router);
  return {
    routers: plan.routers.filter((r) => up(r.name)),
    hosts: plan.hosts.filter((h) => up(h.router)),
    links: plan.links.filter((l) => (l.kind === "core" ? !wantedLink(faults, { id: l.id, a: l.a.node, b: l.b.node }).down : up(l.b.node))),
  };
}
