// Loads egress.bpf.o, pins its maps and attaches it at tc egress of one interface.
// Call inside the network namespace that owns the interface; bpffs and pins are global.
import { existsSync, mkdirSync, rmSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readMounts } from "../host/mounts.js";
import { ARPHRD_ETHER, ifNameToIndex, linkType, mountBpffs } from "./libc.js";
import * as bpf from "./libbpf.js";
import { MAP_NAMES, type MapName } from "./layout.js";
import { DatapathMaps, type MapFds } from "./maps.js";
import type { Datapath, DatapathRule, RuleCounters } from "./types.js";

export interface DatapathOptions {
  interface: string;
  /** Directory on bpffs for the map pins, e.g. /sys/fs/bpf/cairn/h1. */
  pinDir: string;
  /** Defaults to src/datapath/egress.bpf.o of this checkout. */
  objectPath?: string;
}

export interface CairnDatapath extends Datapath {
  /** Packets the program dropped, by reason. */
  drops(): Map<string, bigint>;
  /** Id of the attached program (changes on every openDatapath). */
  readonly programId: number;
}

/** Our cls_bpf filter at clsact egress; fixed so a restart replaces it in place. */
export const TC_FILTER: bpf.TcFilter = { handle: 0xca, priority: 1 };
export const PROGRAM_NAME = "cairn_egress";
export const BPFFS = "/sys/fs/bpf";

export const DEFAULT_OBJECT_PATH = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));

function ensureBpffs(): void {
  if (!readMounts().some((m) => m.target === BPFFS && m.type === "bpf")) mountBpffs(BPFFS);
}

function interfaceIndex(name: string): number {
  const ifindex = ifNameToIndex(name);
  if (ifindex === null) throw new Error(`interface ${name} does not exist in this network namespace`);
  const type = linkType(name);
  if (type !== ARPHRD_ETHER) throw new Error(`interface ${name} has link type ${type}; only Ethernet (1) is supported`);
  return ifindex;
}

export function openDatapath(opts: DatapathOptions): CairnDatapath {
  const objectPath = opts.objectPath ?? DEFAULT_OBJECT_PATH;
  const ifindex = interfaceIndex(opts.interface);
  ensureBpffs();
  mkdirSync(opts.pinDir, { recursive: true });

  const obj = bpf.openObjectFile(objectPath);
  try {
    const maps = new Map<MapName, bpf.BpfMap>(MAP_NAMES.map((name) => [name, bpf.findMap(obj, name)]));
    for (const [name, map] of maps) bpf.mapSetPinPath(map, join(opts.pinDir, name));
    try {
      bpf.loadObject(obj);
    } catch (err) {
      if (err instanceof Error && MAP_NAMES.some((n) => existsSync(join(opts.pinDir, n)))) {
        err.message += `\n(maps pinned in ${opts.pinDir} may not match ${objectPath}; removeDatapath clears them)`;
      }
      throw err;
    }
    const fds = Object.fromEntries([...maps].map(([name, map]) => [name, bpf.mapFd(map)])) as MapFds;
    const progFd = bpf.programFd(bpf.findProgram(obj, PROGRAM_NAME));
    bpf.tcHookCreate(ifindex, bpf.BPF_TC_EGRESS);
    const programId = bpf.tcAttach(ifindex, bpf.BPF_TC_EGRESS, progFd, TC_FILTER);
    return handle(obj, DatapathMaps.fromFds(fds), programId);
  } catch (err) {
    bpf.closeObject(obj);
    throw err;
  }
}

function handle(obj: bpf.BpfObject, maps: DatapathMaps, programId: number): CairnDatapath {
  let open = true;
  const live = (): DatapathMaps => {
    if (!open) throw new Error("datapath is closed");
    return maps;
  };
  return {
    programId,
    apply: (rules: DatapathRule[]) => live().apply(rules),
    counters: (): Map<number, RuleCounters> => live().counters(),
    drops: () => live().drops(),
    close: () => {
      if (!open) return;
      open = false;
      maps.close();
      bpf.closeObject(obj);
    },
  };
}

/** Detaches the program (if the interface still exists) and removes the pins and pinDir. */
export function removeDatapath(opts: { interface: string; pinDir: string }): void {
  const ifindex = ifNameToIndex(opts.interface);
  if (ifindex !== null && bpf.tcQuery(ifindex, bpf.BPF_TC_EGRESS, TC_FILTER) !== null) {
    bpf.tcDetach(ifindex, bpf.BPF_TC_EGRESS, TC_FILTER);
  }
  for (const name of MAP_NAMES) rmSync(join(opts.pinDir, name), { force: true });
  try {
    rmdirSync(opts.pinDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
