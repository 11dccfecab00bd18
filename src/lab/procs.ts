// Long-running lab processes: start them detached with a log file, record them, stop them.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { LOG_DIR, nsPath } from "./paths.js";
import { nsenterArgv } from "./run.js";
import { recordProcess, stateExists, updateProcess, type LabProcess } from "./state.js";

interface ProcStat {
  state: string;
  startTime: number;
  comm: string;
}

function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { comm: text.slice(open + 1, close), state: rest[0] ?? "?", startTime: Number(rest[19]) };
}

/** Start time of a process (clock ticks since boot), or null when it does not exist. */
export function processStartTime(pid: number): number | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** True when the process exists, is not a zombie and (if given) has the recorded start time. */
export function processAlive(pid: number, startTime?: number | null): boolean {
  const st = readProcStat(pid);
  if (!st || st.state === "Z" || st.state === "X") return false;
  return startTime === undefined || startTime === null || st.startTime === startTime;
}

export function processComm(pid: number): string | null {
  return readProcStat(pid)?.comm ?? null;
}

async function waitUntil(pred: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (pred()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface KillTarget {
  pid: number;
  startTime?: number | null;
}

/**
 * SIGTERM, then SIGKILL for those still alive after graceMs (`firstSignal` SIGKILL: at once). Resolves
 * with the pids that were alive (i.e. that it actually stopped). A zombie counts as dead (PID 1 reaps
 * orphans in its own time).
 */
export async function killProcesses(targets: KillTarget[], graceMs = 3000, firstSignal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number[]> {
  const alive = targets.filter((t) => t.pid > 1 && t.pid !== process.pid && processAlive(t.pid, t.startTime));
  const unique = [...new Map(alive.map((t) => [t.pid, t])).values()];
  if (unique.length === 0) return [];
  const signal = (sig: NodeJS.Signals) => {
    for (const t of unique) {
      if (!processAlive(t.pid, t.startTime)) continue;
      try {
        process.kill(t.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const allDead = () => unique.every((t) => !processAlive(t.pid, t.startTime));
  signal(firstSignal);
  if (!(await waitUntil(allDead, firstSignal === "SIGKILL" ? 5000 : graceMs))) {
    signal("SIGKILL");
    if (!(await waitUntil(allDead, 5000))) {
      const left = unique.filter((t) => processAlive(t.pid, t.startTime)).map((t) => t.pid);
      throw new Error(`processes ${left.join(", ")} survived SIGKILL`);
    }
  }
  return unique.map((t) => t.pid);
}

export interface SpawnOptions {
  /** Log file for stdout+stderr; relative names are under /run/cairn/lab/logs/. */
  logFile?: string;
  /** Added to (and overriding) this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Recorded role, default: basename of argv[0]. */
  role?: string;
  /** Recorded node, default: derived from the namespace name. */
  node?: string | null;
  /** Absolute cgroup v2 directory to start the process in. */
  cgroupDir?: string;
}

/**
 * Starts a long-running process in network namespace `ns` (a namespace name such as "cairn-h1",
 * or null for the root namespace): detached, in its own process group, stdout and stderr appended
 * to a log file. Records it in the lab state (a lab must be up) and returns the record.
 */
export function spawnInNamespace(ns: string | null, argv: string[], opts: SpawnOptions = {}): LabProcess {
  if (argv.length === 0) throw new Error("spawnInNamespace: empty argv");
  if (!stateExists()) throw new Error("no lab is up: run `cairn lab up` first");
  const role = opts.role ?? basename(argv[0]!);
  const node = opts.node !== undefined ? opts.node : ns?.replace(/^cairn-/, "") ?? null;
  const logFile = opts.logFile
    ? isAbsolute(opts.logFile)
      ? opts.logFile
      : join(LOG_DIR, opts.logFile)
    : join(LOG_DIR, `${role}${node ? `-${node}` : ""}.log`);
  mkdirSync(dirname(logFile), { recursive: true });

  let full = ns === null ? argv : nsenterArgv(nsPath(ns), argv);
  if (opts.cgroupDir) full = cgroupWrap(join(opts.cgroupDir, "cgroup.procs"), full);

  const record: LabProcess = {
    role,
    node,
    namespace: ns,
    pid: null,
    startTime: null,
    argv,
    logFile,
    startedAt: new Date().toISOString(),
  };
  const index = recordProcess(record);
  const fd = openSync(logFile, "a");
  let pid: number | undefined;
  try {
    const child = spawn(full[0]!, full.slice(1), {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...opts.env },
    });
    child.on("error", () => {
      /* reported below through the missing pid */
    });
    pid = child.pid;
    child.unref();
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) throw new Error(`could not start ${full.join(" ")} (see ${logFile})`);
  record.pid = pid;
  record.startTime = processStartTime(pid);
  updateProcess(index, { pid, startTime: record.startTime });
  return record;
}

/**
 * argv that moves itself into a cgroup (by writing its own pid to cgroup.procs) and then execs
 * `argv`; paths and arguments are passed as positional parameters, never spliced into the script.
 */
export function cgroupWrap(procsFile: string, argv: string[]): string[] {
  return ["sh", "-c", 'p=$1; shift; echo $$ > "$p" && exec "$@"', "sh", procsFile, ...argv];
}
