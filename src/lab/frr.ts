// FRR (zebra + isisd) per lab router, each with its own config, sockets and pid files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FRR_BIN_DIR, FRR_USER, frrRouterDir, nsPath } from "./paths.js";
import { spawn } from "node:child_process";
import { run, nsenterArgv } from "./run.js";
import { SID_IFACE } from "./naming.js";
import type { PlannedRouter } from "./plan.js";

export const ISIS_AREA_TAG = "cairn";
/** FRR daemons create <FRR_TMP_DIR>/<daemon>.<pid>/ (crash logs); labDown removes the lab's. */
export const FRR_TMP_DIR = "/var/tmp/frr";

/** Timers chosen so that a small lab converges in a few seconds. */
export const ISIS_TIMERS = {
  helloIntervalS: 1,
  helloMultiplier: 3,
  lspGenIntervalS: 1,
  spfDelayIetf: { initDelayMs: 50, shortDelayMs: 200, longDelayMs: 1000, holddownMs: 2000, timeToLearnMs: 500 },
} as const;

/**
 * zebra.conf for a router. Routes carry their nexthops inline instead of as kernel nexthop objects:
 * zebra 8.4 loses track of its nexthop objects when a link flaps (the kernel deletes them with the
 * link) and then fails every install that names one ("Nexthop id does not exist") until restarted
 * (FRRouting/frr#14481, whose workaround this is). Lab faults flap links on purpose.
 */
export function zebraConfig(router: PlannedRouter): string {
  return ["frr defaults traditional", `hostname ${router.name}`, "no zebra nexthop kernel enable", "!", ""].join("\n");
}

/**
 * isisd.conf for a router. Note the order inside `router isis`: `is-type` must come after the timers,
 * or isisd 8.4 schedules the first LSP regeneration with the default 30 s lsp-gen-interval and ignores
 * every trigger until then.
 */
export function isisdConfig(router: PlannedRouter): string {
  const t = ISIS_TIMERS;
  const d = t.spfDelayIetf;
  const lines = [
    "frr defaults traditional",
    `hostname ${router.name}`,
    "!",
    `router isis ${ISIS_AREA_TAG}`,
    ` net ${router.isisNet}`,
    " metric-style wide",
    ` lsp-gen-interval ${t.lspGenIntervalS}`,
    ` spf-delay-ietf init-delay ${d.initDelayMs} short-delay ${d.shortDelayMs} long-delay ${d.longDelayMs} holddown ${d.holddownMs} time-to-learn ${d.timeToLearnMs}`,
    " is-type level-2-only",
    "exit",
    "!",
  ];
  for (const itf of router.interfaces) {
    lines.push(`interface ${itf.name}`);
    if (itf.address4) lines.push(` ip router isis ${ISIS_AREA_TAG}`);
    lines.push(` ipv6 router isis ${ISIS_AREA_TAG}`);
    if (itf.kind === "core") {
      lines.push(
        " isis network point-to-point",
        ` isis metric ${itf.metric ?? 10}`,
        ` isis hello-interval ${t.helloIntervalS}`,
        ` isis hello-multiplier ${t.helloMultiplier}`,
        " no isis hello padding",
      );
    } else {
      lines.push(" isis passive");
    }
    lines.push("exit", "!");
  }
  lines.push(`interface ${SID_IFACE}`, ` ipv6 router isis ${ISIS_AREA_TAG}`, " isis passive", "exit", "!", "");
  return lines.join("\n");
}

export type FrrDaemon = "zebra" | "isisd";

export interface FrrDaemonPaths {
  dir: string;
  config: string;
  pidFile: string;
  logFile: string;
  zservSocket: string;
}

export function frrPaths(router: string, daemon: FrrDaemon): FrrDaemonPaths {
  const dir = frrRouterDir(router);
  return {
    dir,
    config: join(dir, `${daemon}.conf`),
    pidFile: join(dir, `${daemon}.pid`),
    logFile: join(dir, `${daemon}.log`),
    zservSocket: join(dir, "zserv.api"),
  };
}

/** argv of a daemon (without the nsenter prefix). The vty sockets go to the router's dir; no TCP vty. */
export function frrDaemonArgv(router: string, daemon: FrrDaemon): string[] {
  const p = frrPaths(router, daemon);
  return [
    join(FRR_BIN_DIR, daemon),
    "-d",
    "-f", p.config,
    "-i", p.pidFile,
    "-z", p.zservSocket,
    "--vty_socket", p.dir,
    "-P", "0",
    "--log", `file:${p.logFile}`,
  ];
}

/** Writes zebra.conf and isisd.conf to the router's FRR dir (owned by the frr user). */
export async function writeFrrConfigs(router: PlannedRouter): Promise<void> {
  const dir = frrRouterDir(router.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(frrPaths(router.name, "zebra").config, zebraConfig(router));
  writeFileSync(frrPaths(router.name, "isisd").config, isisdConfig(router));
  await run("chown", ["-R", `${FRR_USER}:${FRR_USER}`, dir]);
}

/** The directory FRR creates for a daemon launched as process `launcherPid` (named before it forks). */
export function frrTmpDir(daemon: string, launcherPid: number): string {
  return join(FRR_TMP_DIR, `${daemon}.${launcherPid}`);
}

/**
 * Starts one daemon daemonized (-d) inside the router's namespace. FRR's -d makes the parent wait
 * until the daemon has read its config, so zebra is ready when this resolves. `onLaunch` gets the
 * launcher's pid synchronously (before the daemon can create anything). Resolves with the daemon's pid.
 */
export async function startFrrDaemon(router: string, ns: string, daemon: FrrDaemon, onLaunch?: (launcherPid: number) => void): Promise<number> {
  const p = frrPaths(router, daemon);
  const argv = nsenterArgv(nsPath(ns), frrDaemonArgv(router, daemon));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    if (child.pid !== undefined) onLaunch?.(child.pid);
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, stderr: String(err) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  if (result.code !== 0) {
    const log = existsSync(p.logFile) ? readFileSync(p.logFile, "utf8").trim().split("\n").slice(-5).join("\n") : "";
    throw new Error(
      `${daemon} on ${router} failed to start (${argv.join(" ")}: exit ${String(result.code)}` +
        `${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""})${log ? `\n${p.logFile}:\n${log}` : ""}`,
    );
  }
  const pid = await readPidFile(p.pidFile, 5000);
  if (pid === null) throw new Error(`${daemon} on ${router} started but wrote no pid file ${p.pidFile}`);
  return pid;
}

export async function readPidFile(file: string, waitMs = 0): Promise<number | null> {
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      /* not there yet */
    }
    if (Date.now() >= end) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Throws with a clear message unless FRR's daemons and the frr user are available. */
export async function checkFrrInstalled(): Promise<void> {
  for (const d of ["zebra", "isisd"]) {
    if (!existsSync(join(FRR_BIN_DIR, d))) throw new Error(`${join(FRR_BIN_DIR, d)} not found: install FRR (apt-get install frr)`);
  }
  try {
    await run("id", ["-u", FRR_USER]);
  } catch {
    throw new Error(`user ${FRR_USER} does not exist: install FRR from Debian (apt-get install frr)`);
  }
}
