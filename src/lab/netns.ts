// Network namespaces, veth pairs, addresses and sysctls, through iproute2 and nsenter.
import { existsSync } from "node:fs";
import { run, runSync, nsenterArgv, type RunResult } from "./run.js";
import { nsPath } from "./paths.js";

/** Runs `ip` in namespace `ns` (null = the root namespace). */
export function ipIn(ns: string | null, args: string[]): Promise<RunResult> {
  return run("ip", ns === null ? args : ["-n", ns, ...args]);
}

export function ipInSync(ns: string | null, args: string[]): string {
  return runSync("ip", ns === null ? args : ["-n", ns, ...args]);
}

/** Runs a command inside namespace `ns` via nsenter (no /sys remount, unlike `ip netns exec`). */
export function execIn(ns: string, argv: string[]): Promise<RunResult> {
  const [cmd, ...args] = nsenterArgv(nsPath(ns), argv);
  return run(cmd!, args);
}

export function namespaceExists(ns: string): boolean {
  return existsSync(nsPath(ns));
}

export async function createNamespace(ns: string): Promise<void> {
  await run("ip", ["netns", "add", ns]);
  await ipIn(ns, ["link", "set", "lo", "up"]);
}

/** Sets sysctls ("key=value", dotted keys) inside a namespace in one sysctl call. */
export async function setSysctls(ns: string, assignments: string[]): Promise<void> {
  if (assignments.length === 0) return;
  await execIn(ns, ["sysctl", "-q", "-w", ...assignments]);
}

export async function readSysctl(ns: string, key: string): Promise<string> {
  return (await execIn(ns, ["sysctl", "-n", key])).stdout.trim();
}

export function listNamespaces(): string[] {
  let out: string;
  try {
    out = runSync("ip", ["-j", "netns", "list"]);
  } catch {
    return [];
  }
  if (!out.trim()) return [];
  const parsed = JSON.parse(out) as Array<{ name: string }>;
  return parsed.map((n) => n.name);
}

/** Pids of the processes living in a namespace (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run("ip", ["netns", "pids", ns]).catch(() => ({ stdout: "" }));
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run("ip", ["netns", "del", ns]);
}

export interface VethEnd {
  /** Namespace, or null for the root namespace. */
  ns: string | null;
  name: string;
}

/** Creates a veth pair directly inside the two namespaces (no temporary names in the root namespace). */
export async function createVeth(a: VethEnd, b: VethEnd, mtu?: number): Promise<void> {
  const args = ["link", "add", a.name];
  if (a.ns !== null) args.push("netns", a.ns);
  if (mtu !== undefined) args.push("mtu", String(mtu));
  args.push("type", "veth", "peer", "name", b.name);
  if (b.ns !== null) args.push("netns", b.ns);
  if (mtu !== undefined) args.push("mtu", String(mtu));
  await run("ip", args);
}

/** Adds an IPv6 ("addr/len", without duplicate address detection, so it is usable at once) or IPv4 address. */
export async function addAddress(ns: string | null, dev: string, cidr: string): Promise<void> {
  if (cidr.includes(":")) await ipIn(ns, ["-6", "addr", "add", cidr, "dev", dev, "nodad"]);
  else await ipIn(ns, ["-4", "addr", "add", cidr, "dev", dev]);
}

export async function setLinkUp(ns: string | null, dev: string): Promise<void> {
  await ipIn(ns, ["link", "set", dev, "up"]);
}

export async function deleteLink(ns: string | null, dev: string): Promise<void> {
  await ipIn(ns, ["link", "del", dev]);
}

export function linkExists(ns: string | null, dev: string): boolean {
  try {
    ipInSync(ns, ["link", "show", "dev", dev]);
    return true;
  } catch {
    return false;
  }
}

export interface LinkInfo {
  ifname: string;
  operstate: string;
  flags: string[];
  mtu: number;
  stats64?: {
    rx: { bytes: number; packets: number };
    tx: { bytes: number; packets: number };
  };
}

/** `ip -j [-s] link show` inside a namespace. Synchronous: for status and counters. */
export function readLinks(ns: string | null, withStats = false): LinkInfo[] {
  const args = withStats ? ["-s", "-j", "link", "show"] : ["-j", "link", "show"];
  const out = ipInSync(ns, args);
  return JSON.parse(out) as LinkInfo[];
}

export interface RouteInfo {
  dst: string;
  protocol?: string;
  dev?: string;
}

/** IPv6 routes of the main table inside a namespace. */
export async function readRoutes6(ns: string): Promise<RouteInfo[]> {
  const { stdout } = await ipIn(ns, ["-6", "-j", "route", "show"]);
  return stdout.trim() ? (JSON.parse(stdout) as RouteInfo[]) : [];
}

/** IPv4 routes of the main table inside a namespace. */
export async function readRoutes4(ns: string): Promise<RouteInfo[]> {
  const { stdout } = await ipIn(ns, ["-4", "-j", "route", "show"]);
  return stdout.trim() ? (JSON.parse(stdout) as RouteInfo[]) : [];
}
