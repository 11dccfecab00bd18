// labExec: run a command in a lab node's namespace, optionally inside an app's cgroup.
import { spawn, type StdioOptions } from "node:child_process";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { ensureAppCgroup } from "./cgroups.js";
import { namespaceExists } from "./netns.js";
import { nsName, nsPath } from "./paths.js";
import { cgroupWrap } from "./procs.js";
import { nsenterArgv } from "./run.js";

export interface LabExecOptions {
  /** Run inside the cgroup <cgroup2>/cairn/apps/<app> (created if missing). */
  app?: string;
  command: string[];
  /** Default "inherit". */
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
}

/** argv that runs `command` in node's namespace (and app cgroup). Creates the cgroup when needed. */
export function labExecArgv(node: string, opts: { app?: string; command: string[] }): string[] {
  if (opts.command.length === 0) throw new Error("labExec: empty command");
  const ns = nsName(node);
  if (!namespaceExists(ns)) throw new Error(`no lab node ${node} (no namespace ${ns}; is the lab up?)`);
  const argv = nsenterArgv(nsPath(ns), opts.command);
  return opts.app ? cgroupWrap(join(ensureAppCgroup(opts.app), "cgroup.procs"), argv) : argv;
}

/** Runs a command in a node's namespace (and optionally in an app's cgroup); resolves with its exit code. */
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

