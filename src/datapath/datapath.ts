// Loads egress.bpf.o with pinned maps and attaches it at the egress of one interface: a tcx
// link (kernel 6.6+, pinned so the program outlives the agent) or, where there is none, a
// clsact cls_bpf filter. A restart reuses the pins and swaps the program in one step.
// Call inside the network namespace that owns the interface; bpffs and pins are global.
import { existsSync, mkdirSync, rmSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { readMounts } from "../host/mounts.js";
import { ARPHRD_ETHER, NativeError, closeFd, ifNameToIndex, linkType, mountBpffs } from "./libc.js";
import * as bpf from "./libbpf.js";
import {
  CAIRN_DEFAULT_MAX_CGROUPS,
  CAIRN_DEFAULT_MAX_FRAGMENTS,
  CAIRN_DEFAULT_MAX_PATHS,
  CAIRN_DEFAULT_MAX_PREFIXES,
  CAIRN_DEFAULT_MAX_RULES,
  CAIRN_PATH_SLOT_MASK,
  MAPS,
  MAP_NAMES,
  type MapName,
} from "./layout.js";
import { DEFAULT_DRAIN_MS, DatapathMaps, type MapFds } from "./maps.js";
import type { Datapath, DatapathLimits } from "./types.js";
import { packageFile } from "../package-files.js";

export type AttachMode = "tcx" | "tc";

export interface DatapathOptions {
  interface: string;
  /** Directory on bpffs for the map and link pins, e.g. /sys/fs/bpf/cairn/h1. */
  pinDir: string;
  /** Defaults to src/datapath/egress.bpf.o of this checkout. */
  objectPath?: string;
  /** Map sizes; unset ones are the pinned maps' (when they exist) or the defaults. */
  limits?: Partial<DatapathLimits>;
  /** auto (default): tcx where the kernel has it, else tc (clsact). */
  attach?: "auto" | AttachMode;
  drainMs?: number;
}

export interface CairnDatapath extends Datapath {
  readonly maps: DatapathMaps;
  /** Id of the attached program (changes on every openDatapath). */
  readonly programId: number;
  readonly attachMode: AttachMode;
}

export const DEFAULT_LIMITS: DatapathLimits = {
  maxRules: CAIRN_DEFAULT_MAX_RULES,
  maxPaths: CAIRN_DEFAULT_MAX_PATHS,
  maxPrefixes: CAIRN_DEFAULT_MAX_PREFIXES,
  maxCgroups: CAIRN_DEFAULT_MAX_CGROUPS,
  maxFragments: CAIRN_DEFAULT_MAX_FRAGMENTS,
};

/** Which map each limit sizes. */
const LIMIT_MAPS: Record<keyof DatapathLimits, MapName[]> = {
  maxRules: ["cairn_rule_state", "cairn_stats"],
  maxPaths: ["cairn_paths", "cairn_probes", "cairn_live"],
  maxPrefixes: ["cairn_rules"],
  maxCgroups: ["cairn_cgroups"],
  maxFragments: ["cairn_frags"],
};
const LIMIT_OPTIONS: Record<keyof DatapathLimits, string> = {
  maxRules: "--max-rules",
  maxPaths: "--max-paths",
  maxPrefixes: "--max-prefixes",
  maxCgroups: "--max-cgroups",
  maxFragments: "--max-fragments",
};

/** Our cls_bpf filter at clsact egress when there is no tcx. */
export const TC_FILTER: bpf.TcFilter = { handle: 0xca, priority: 1 };
export const PROGRAM_NAME = "cairn_egress";
export const INGRESS_PROGRAM_NAME = "cairn_ingress";
export const LINK_PIN = "link_egress";
export const INGRESS_LINK_PIN = "link_ingress";
export const BPFFS = "/sys/fs/bpf";

export const DEFAULT_OBJECT_PATH = packageFile("src", "datapath", "egress.bpf.o");

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

function validateLimits(l: DatapathLimits): void {
  for (const [k, v] of Object.entries(l) as [keyof DatapathLimits, number][]) {
    const max = k === "maxPaths" ? CAIRN_PATH_SLOT_MASK + 1 : 1 << 24;
    if (!Number.isInteger(v) || v < 2 || v > max) throw new Error(`${LIMIT_OPTIONS[k]} must be a whole number 2..${max}, got ${v}`);
  }
}

/**
 * The limits to load with: what was asked, else what the pinned maps have, else the defaults.
 * A pinned map that does not match (another layout, or another size than asked) is an error
 * that says what to do, before anything changes.
 */
function resolveLimits(pinDir: string, asked: Partial<DatapathLimits>): DatapathLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_MAPS) as (keyof DatapathLimits)[]) {
    for (const name of LIMIT_MAPS[key]) {
      const pin = join(pinDir, name);
      if (!existsSync(pin)) continue;
      const fd = bpf.objGet(pin);
      try {
        const info = bpf.mapInfo(fd);
        if (info.keySize !== MAPS[name].keySize || info.valueSize !== MAPS[name].valueSize) {
          throw new Error(
            `the map pinned at ${pin} has another layout (key ${info.keySize}, value ${info.valueSize} bytes; this datapath needs ${MAPS[name].keySize} and ${MAPS[name].valueSize}): ` +
              `it was made by another version of Cairn. Remove the pins (cairn agent --remove-datapath, or rm -r ${pinDir}) and start again`,
          );
        }
        const want = asked[key];
        if (want !== undefined && want !== info.maxEntries) {
          throw new Error(
            `the map pinned at ${pin} holds ${info.maxEntries} entries but ${LIMIT_OPTIONS[key]} ${want} was asked: pinned maps keep their size. ` +
              `Start with ${LIMIT_OPTIONS[key]} ${info.maxEntries}, or remove the pins (cairn agent --remove-datapath) to resize (steering stops until the agent has its rules again)`,
          );
        }
        limits[key] = info.maxEntries;
      } finally {
        closeFd(fd);
      }
    }
    if (asked[key] !== undefined) limits[key] = asked[key]!;
  }
  validateLimits(limits);
  return limits;
}

export function openDatapath(opts: DatapathOptions): CairnDatapath {
  const objectPath = opts.objectPath ?? DEFAULT_OBJECT_PATH;
  const ifindex = interfaceIndex(opts.interface);
  ensureBpffs();
  mkdirSync(opts.pinDir, { recursive: true });
  const limits = resolveLimits(opts.pinDir, opts.limits ?? {});
  // A failed open must not leave pins behind that it made itself (they would fix the map sizes).
  const pinnedBefore = new Set(MAP_NAMES.filter((n) => existsSync(join(opts.pinDir, n))));

  const obj = bpf.openObjectFile(objectPath);
  try {
    const maps = new Map<MapName, bpf.BpfMap>(MAP_NAMES.map((name) => [name, bpf.findMap(obj, name)]));
    for (const [key, names] of Object.entries(LIMIT_MAPS) as [keyof DatapathLimits, MapName[]][]) {
      for (const name of names) bpf.mapSetMaxEntries(maps.get(name)!, limits[key]);
    }
    for (const [name, map] of maps) bpf.mapSetPinPath(map, join(opts.pinDir, name));
    bpf.loadObject(obj);
    const fds = Object.fromEntries([...maps].map(([name, map]) => [name, bpf.mapFd(map)])) as MapFds;
    // Ingress first: a probe that leaves is then sure to be stamped when it comes back.
    const [egress, ingress] = HOOKS;
    attach(ifindex, bpf.programFd(bpf.findProgram(obj, ingress!.program)), ingress!, opts);
    const { mode, programId } = attach(ifindex, bpf.programFd(bpf.findProgram(obj, egress!.program)), egress!, opts);
    return handle(obj, DatapathMaps.fromFds(fds, limits, opts.drainMs ?? DEFAULT_DRAIN_MS), programId, mode);
  } catch (err) {
    bpf.closeObject(obj);
    for (const n of MAP_NAMES) if (!pinnedBefore.has(n)) rmSync(join(opts.pinDir, n), { force: true });
    throw err;
  }
}

/** The two hooks Cairn uses on the uplink: egress steers and sends probes, ingress stamps their return. */
interface Hook {
  program: string;
  linkPin: string;
  tcx: number;
  tc: number;
  name: string;
}
const HOOKS: Hook[] = [
  { program: PROGRAM_NAME, linkPin: LINK_PIN, tcx: bpf.BPF_TCX_EGRESS, tc: bpf.BPF_TC_EGRESS, name: "egress" },
  { program: INGRESS_PROGRAM_NAME, linkPin: INGRESS_LINK_PIN, tcx: bpf.BPF_TCX_INGRESS, tc: bpf.BPF_TC_INGRESS, name: "ingress" },
];

/** Replaces our program on the hook's pinned tcx link, or makes one; falls back to clsact where tcx is missing. */
function attach(ifindex: number, progFd: number, hook: Hook, opts: DatapathOptions): { mode: AttachMode; programId: number } {
  const mode = opts.attach ?? "auto";
  const linkPin = join(opts.pinDir, hook.linkPin);
  if (mode !== "tc") {
    if (existsSync(linkPin)) {
      const fd = bpf.objGet(linkPin);
      try {
        const info = bpf.linkInfo(fd);
        if (info.type === bpf.BPF_LINK_TYPE_TCX && info.ifindex === ifindex && info.attachType === hook.tcx) {
          bpf.linkUpdate(fd, progFd);
          return { mode: "tcx", programId: bpf.linkInfo(fd).progId };
        }
      } finally {
        closeFd(fd);
      }
      rmSync(linkPin); // a link for another interface (or a dead one): ours to replace
    }
    let linkFd: number | null = null;
    try {
      linkFd = bpf.tcxAttach(progFd, ifindex, hook.tcx);
    } catch (err) {
      const unsupported = err instanceof NativeError && ["EINVAL", "EOPNOTSUPP", "ENOTSUP"].includes(err.code);
      if (!unsupported || mode === "tcx") throw err;
    }
    if (linkFd !== null) {
      try {
        bpf.objPin(linkFd, linkPin);
        const programId = bpf.linkInfo(linkFd).progId;
        removeOwnTcFilter(ifindex, hook); // an older agent's clsact filter; double steering is harmless (SRH packets pass) but pointless
        return { mode: "tcx", programId };
      } finally {
        closeFd(linkFd);
      }
    }
  }
  bpf.tcHookCreate(ifindex, hook.tc);
  const existing = bpf.tcQuery(ifindex, hook.tc, TC_FILTER);
  if (existing !== null) {
    const name = bpf.programName(existing);
    if (name !== hook.program) {
      throw new Error(
        `${opts.interface}: the clsact ${hook.name} filter at handle 0x${TC_FILTER.handle.toString(16)} priority ${TC_FILTER.priority} belongs to another program (${name ?? `id ${existing}`}); refusing to replace it`,
      );
    }
  }
  return { mode: "tc", programId: bpf.tcAttach(ifindex, hook.tc, progFd, TC_FILTER) };
}

function removeOwnTcFilter(ifindex: number, hook: Hook): void {
  const id = bpf.tcQuery(ifindex, hook.tc, TC_FILTER);
  if (id !== null && bpf.programName(id) === hook.program) bpf.tcDetach(ifindex, hook.tc, TC_FILTER);
}

function handle(obj: bpf.BpfObject, maps: DatapathMaps, programId: number, attachMode: AttachMode): CairnDatapath {
  let open = true;
  const live = (): DatapathMaps => {
    if (!open) throw new Error("datapath is closed");
    return maps;
  };
  return {
    maps,
    programId,
    attachMode,
    limits: maps.limits,
    apply: (desired, now) => live().apply(desired, now),
    watchPath: (ref, t, lastReturnNs) => live().watchPath(ref, t, lastReturnNs),
    retimePath: (ref, t) => live().retimePath(ref, t),
    liveness: (ref) => live().liveness(ref),
    collect: (now) => live().collect(now),
    counters: () => live().counters(),
    events: () => live().events(),
    close: () => {
      if (!open) return;
      open = false;
      maps.close();
      bpf.closeObject(obj);
    },
  };
}

/** Detaches the programs (tcx links or our clsact filters, if the interface still exists) and removes the pins and pinDir. */
export function removeDatapath(opts: { interface: string; pinDir: string }): void {
  const ifindex = ifNameToIndex(opts.interface);
  for (const hook of HOOKS) {
    const linkPin = join(opts.pinDir, hook.linkPin);
    if (existsSync(linkPin)) {
      const fd = bpf.objGet(linkPin);
      try {
        bpf.linkDetach(fd);
      } catch (err) {
        if (!(err instanceof NativeError && err.code === "ENOLINK")) throw err;
      } finally {
        closeFd(fd);
      }
    }
    if (ifindex !== null) removeOwnTcFilter(ifindex, hook);
  }
  for (const name of [...MAP_NAMES, ...HOOKS.map((h) => h.linkPin)]) rmSync(join(opts.pinDir, name), { force: true });
  try {
    rmdirSync(opts.pinDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
