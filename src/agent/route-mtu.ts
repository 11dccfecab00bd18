// Tells the host's own stack the path MTU of steered destinations before the first packet:
// a route per destination with the uplink MTU minus the SRH (and, for IPv4, the outer header),
// so TCP picks a fitting MSS and UDP is fragmented at the source from its first datagram.
// The datapath's Packet Too Big covers whatever these routes do not (e.g. the default route).
// Routes are marked with protocol 202 ("cairn"); the agent only ever touches routes it marked.
import { execFileSync } from "node:child_process";
import { parseFamilyPrefix, formatFamilyPrefix } from "../datapath/addresses.js";
import { overheadBytes } from "./datapath-rules.js";
import type { DesiredDatapath } from "../datapath/types.js";

export const ROUTE_PROTOCOL = 202;

export interface MtuRoute {
  /** "addr/len", IPv6 or IPv4. */
  prefix: string;
  mtu: number;
}

/** IPv4/IPv6 minimum MTUs: never announce less. */
const MIN_MTU = { 4: 576, 6: 1280 } as const;

/** The MTU routes the desired datapath needs: per destination, the smallest over its rules' primary and backup paths. */
export function wantedRoutes(desired: DesiredDatapath, uplinkMtu: number): MtuRoute[] {
  const byPrefix = new Map<string, number>();
  for (const r of desired.rules) {
    const overhead = Math.max(overheadBytes(r.primary), overheadBytes(r.backup));
    if (overhead === 0) continue;
    for (const d of r.destinations) {
      const p = parseFamilyPrefix(d);
      if (!p || p.prefix.len === (p.family === 4 ? 96 : 0)) continue; // never a default route
      const key = formatFamilyPrefix(p);
      const mtu = Math.max(MIN_MTU[p.family], uplinkMtu - overhead);
      byPrefix.set(key, Math.min(byPrefix.get(key) ?? Infinity, mtu));
    }
  }
  return [...byPrefix].map(([prefix, mtu]) => ({ prefix, mtu })).sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string | number;
  metrics?: { mtu?: number }[];
}

type Ip = (args: string[]) => string;

const realIp: Ip = (args) => execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function familyFlag(prefix: string): string {
  return parseFamilyPrefix(prefix)?.family === 4 ? "-4" : "-6";
}

function normalise(dst: string, family: "-4" | "-6"): string {
  const p = parseFamilyPrefix(dst === "default" ? (family === "-4" ? "0.0.0.0/0" : "::/0") : dst);
  return p ? formatFamilyPrefix(p) : dst;
}

/** Keeps the host's protocol-202 routes equal to `wanted`; returns what it could not do (never throws). */
export function syncRoutes(uplink: string, wanted: MtuRoute[], ip: Ip = realIp): string[] {
  const problems: string[] = [];
  const ours = new Map<string, IpRoute & { family: "-4" | "-6" }>();
  const others = new Set<string>();
  for (const family of ["-4", "-6"] as const) {
    let routes: IpRoute[] = [];
    try {
      routes = JSON.parse(ip([family, "-j", "route", "show", "table", "main"]) || "[]") as IpRoute[];
    } catch (err) {
      problems.push(`cannot read routes: ${(err as Error).message}`);
      return problems;
    }
    for (const r of routes) {
      const key = normalise(r.dst, family);
      if (String(r.protocol) === String(ROUTE_PROTOCOL)) ours.set(key, { ...r, family });
      else others.add(key);
    }
  }
  const want = new Map(wanted.map((w) => [w.prefix, w.mtu]));
  for (const [prefix, r] of ours) {
    if (want.has(prefix)) continue;
    try {
      ip([r.family, "route", "del", prefix, "proto", String(ROUTE_PROTOCOL)]);
    } catch (err) {
      problems.push(`cannot remove the MTU route for ${prefix}: ${(err as Error).message}`);
    }
  }
  for (const [prefix, mtu] of want) {
    const current = ours.get(prefix);
    if (current && current.metrics?.some((m) => m.mtu === mtu)) continue;
    if (others.has(prefix)) continue; // the operator's own route for exactly this prefix: not ours to change
    const family = familyFlag(prefix);
    let via: IpRoute;
    try {
      const first = prefix.split("/")[0]!;
      via = (JSON.parse(ip([family, "-j", "route", "get", first])) as IpRoute[])[0] ?? { dst: first };
    } catch (err) {
      problems.push(`no route to ${prefix}: ${(err as Error).message}`);
      continue;
    }
    if (via.dev !== uplink || !via.gateway) continue; // on-link or another interface: not steered from here
    try {
      ip([family, "route", "replace", prefix, "via", via.gateway, "dev", uplink, "mtu", String(mtu), "proto", String(ROUTE_PROTOCOL)]);
    } catch (err) {
      problems.push(`cannot set the MTU route for ${prefix}: ${(err as Error).message}`);
    }
  }
  return problems;
}
