// The lab's state file: everything the lab creates is recorded here before it is created,
// so that labDown can undo a crashed labUp. Writes are atomic (temp file + rename).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Topology } from "../core/model.js";
import type { LabFault } from "./fault-model.js";
import { LAB_DIR, STATE_FILE } from "./paths.js";

export interface LabProcess {
  /** "zebra", "isisd", "controller", "agent", ... */
  role: string;
  /** Lab node it serves, or null (e.g. the controller). */
  node: string | null;
  /** Network namespace it runs in, or null for the root namespace. */
  namespace: string | null;
  /** Null until known (daemons that fork report it through their pid file). */
  pid: number | null;
  /** Field 22 of /proc/<pid>/stat when recorded; guards against pid reuse. */
  startTime: number | null;
  pidFile?: string;
  /** A directory the process creates outside LAB_DIR (FRR: /var/tmp/frr/<daemon>.<pid>); removed by labDown. */
  tmpDir?: string;
  argv: string[];
  logFile?: string;
  startedAt: string;
}

export interface LabLinkEndRecord {
  node: string;
  ifname: string;
  address?: string;
  address4?: string;
}

export interface LabLinkRecord {
  id: string;
  kind: "core" | "access" | "mgmt";
  a: LabLinkEndRecord;
  b: LabLinkEndRecord;
  /** MTU the lab gave both ends (core and access links). */
  mtu?: number;
}

/** A container behind a host: its own namespace, a veth to the host, addresses in the host's subnets. */
export interface LabContainerRecord {
  name: string;
  host: string;
  namespace: string;
  /** The host's end of the veth (the container's end is eth0). */
  hostInterface: string;
  address: string;
  address4?: string;
}

export type LabPhase = "building" | "up" | "failed";

export interface LabState {
  version: 1;
  phase: LabPhase;
  createdAt: string;
  topology: Topology;
  /** Network namespaces, in creation order. */
  namespaces: string[];
  /** Interfaces created in the root namespace. */
  rootLinks: string[];
  links: LabLinkRecord[];
  processes: LabProcess[];
  /** cgroup v2 directories (absolute paths). */
  cgroups: string[];
  /** BPF pin paths (files or directories). */
  pins: string[];
  containers: LabContainerRecord[];
  /** Directories to remove (besides LAB_DIR). */
  dirs: string[];
  /** Faults in force (`cairn lab fault`), recorded before they are applied; they live in the lab's namespaces and go with them. */
  faults: LabFault[];
  /** Milliseconds from the start of labUp until IS-IS had converged. */
  convergedAfterMs?: number;
  upAfterMs?: number;
}

export function newState(topology: Topology): LabState {
  return {
    version: 1,
    phase: "building",
    createdAt: new Date().toISOString(),
    topology,
    namespaces: [],
    rootLinks: [],
    links: [],
    processes: [],
    cgroups: [],
    pins: [],
    containers: [],
    dirs: [],
    faults: [],
  };
}

export function stateExists(): boolean {
  return existsSync(STATE_FILE);
}

/** The state file's content, or null when there is none. Throws when it is unreadable. */
export function readState(): LabState | null {
  let text: string;
  try {
    text = readFileSync(STATE_FILE, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const s = JSON.parse(text) as LabState;
  if (s.version !== 1) throw new Error(`${STATE_FILE}: unsupported state version ${String(s.version)}`);
  s.containers ??= []; // written before containers existed
  s.faults ??= []; // written before faults existed
  return s;
}

export function writeState(state: LabState): void {
  mkdirSync(LAB_DIR, { recursive: true });
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  renameSync(tmp, STATE_FILE);
}

/** Read-modify-write of the state file (synchronous, so it is atomic within this process). */
export function updateState(mutate: (s: LabState) => void): LabState {
  const s = readState();
  if (!s) throw new Error(`no lab state at ${STATE_FILE}: is the lab up?`);
  mutate(s);
  writeState(s);
  return s;
}

function pushUnique(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

export function recordNamespace(ns: string): void {
  updateState((s) => pushUnique(s.namespaces, ns));
}

export function recordRootLink(name: string): void {
  updateState((s) => pushUnique(s.rootLinks, name));
}

/** Records a cgroup directory the lab (or its users) created. No-op when no lab is up. */
export function recordCgroup(dir: string): void {
  if (!stateExists()) return;
  updateState((s) => pushUnique(s.cgroups, dir));
}

/** Records a cgroup directory the lab is about to create, so labDown removes it; throws when no lab is up. */
export function recordCreatedCgroup(dir: string): void {
  updateState((s) => pushUnique(s.cgroups, dir));
}

/** Takes back recordCreatedCgroup, for a directory that turned out to exist already. */
export function unrecordCgroup(dir: string): void {
  updateState((s) => {
    s.cgroups = s.cgroups.filter((d) => d !== dir);
  });
}

/** Records a BPF pin path (e.g. by the datapath) so labDown removes it. No-op when no lab is up. */
export function recordPin(path: string): void {
  if (!stateExists()) return;
  updateState((s) => pushUnique(s.pins, path));
}

/** Adds a process record; returns its index for later updates. */
export function recordProcess(p: LabProcess): number {
  let index = -1;
  updateState((s) => {
    s.processes.push(p);
    index = s.processes.length - 1;
  });
  return index;
}

export function updateProcess(index: number, patch: Partial<LabProcess>): void {
  updateState((s) => {
    const p = s.processes[index];
    if (p) Object.assign(p, patch);
  });
}
