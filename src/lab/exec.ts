// labExec: run a command in a lab node's namespace, optionally inside a cgroup and as another user.
import { spawn, type StdioOptions } from "node:child_process";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { cgroupPathDir, ensureAppCgroup, ensureCgroupPath } from "./cgroups.js";
import { namespaceExists } from "./netns.js";
import { nsName, nsPath } from "./paths.js";
import { cgroupWrap } from "./procs.js";
import { nsenterArgv } from "./run.js";
import { asUserArgv, resolveUser } from "./users.js";
import { readState } from "./state.js";
import { nodeNames, unknownNameHint } from "../core/name-hints.js";

/** Who lab apps run as unless told otherwise. */
export const LAB_APP_USER = "nobody";

export interface LabExecTarget {
  command: string[];
  /** Run inside the cgroup <cgroup2>/cairn/apps/<app> (created if missing). */
  app?: string;
  /** Run inside this cgroup v2 path, relative to the cgroup2 mount (created with its missing ancestors). */
  cgroup?: string;
  /** Run as this user (a name, or a uid), with its primary group. Default: LAB_APP_USER for an app or
   *  cgroup (apps are not root: they must not read the lab's keys), else root. */
  user?: string | number;
}

export interface LabExecOptions extends LabExecTarget {
  /** Default "inherit". */
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
}

/**
 * argv that runs `command` in node's namespace (a host, router or container), in a cgroup and as a
 * user when asked. Everything is checked before the cgroup (and its recorded ancestors) is created.
 */
export function labExecArgv(node: string, opts: LabExecTarget): string[] {
  if (opts.command.length === 0) throw new Error("labExec: empty command");
  if (opts.app !== undefined && opts.cgroup !== undefined) throw new Error("labExec: give an app or a cgroup, not both");
  const ns = nsName(node);
  if (!namespaceExists(ns)) throw new Error(noSuchNode(node, ns));
  if (opts.cgroup !== undefined) cgroupPathDir(opts.cgroup);
  const asApp = opts.app !== undefined || opts.cgroup !== undefined;
  const user = opts.user !== undefined ? resolveUser(opts.user) : asApp ? resolveUser(LAB_APP_USER) : null;
  const argv = nsenterArgv(nsPath(ns), user ? [...asUserArgv(user), ...opts.command] : opts.command);
  const cgroup = opts.app !== undefined ? ensureAppCgroup(opts.app) : opts.cgroup !== undefined ? ensureCgroupPath(opts.cgroup) : null;
  // The cgroup is joined as root, before the user switch.
  return cgroup ? cgroupWrap(join(cgroup, "cgroup.procs"), argv) : argv;
}

/** Why `node` has no namespace: no lab, or a name the lab does not have (with the nearest ones). */
function noSuchNode(node: string, ns: string): string {
  let state: ReturnType<typeof readState> = null;
  try {
    state = readState();
  } catch {
    // An unreadable state file says nothing about names; the plain message stands.
  }
  if (!state) return `no lab node ${node} (no namespace ${ns}; is the lab up?)`;
  const nodes = [...nodeNames(state.topology), ...state.containers.map((c) => c.name)];
  return `no lab node ${node} (no namespace ${ns}); ${unknownNameHint(node, nodes, { what: "nodes", listedBy: "cairn lab status" })}`;
}

/** Runs a command in a node's namespace (and optionally a cgroup, as a user); resolves with its exit code. */
export async function labExec(node: string, opts: LabExecOptions): Promise<number> {
  const argv = labExecArgv(node, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: opts.stdio ?? "inherit", env: { ...process.env, ...opts.env } });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

/** Like labExec, capturing stdout and stderr. */
export async function labExecCapture(node: string, opts: Omit<LabExecOptions, "stdio">): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = labExecArgv(node, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr }));
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}
