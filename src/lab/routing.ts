// A lab router's routing daemons (zebra + isisd): started recorded, killed like a crash, restarted
// in their old records.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FRR_BIN_DIR } from "./paths.js";
import { FRR_TMP_DIR, frrPaths, frrTmpDir, startFrrDaemon, type FrrDaemon } from "./frr.js";
import type { PlannedRouter } from "./plan.js";
import { killProcesses, processAlive, processStartTime } from "./procs.js";
import { readState, recordProcess, updateProcess, type LabProcess } from "./state.js";

/** In start order: isisd talks to the zebra of its router. */
export const ROUTER_DAEMONS: readonly FrrDaemon[] = ["zebra", "isisd"];

function daemonRecords(router: string): Array<{ index: number; p: LabProcess }> {
  return (readState()?.processes ?? []).flatMap((p, index) => (p.node === router && (ROUTER_DAEMONS as readonly string[]).includes(p.role) ? [{ index, p }] : []));
}

/** True when every routing daemon of the router runs (as recorded: pid and start time). */
export function routerDaemonsAlive(router: string): boolean {
  const records = daemonRecords(router);
  return records.length === ROUTER_DAEMONS.length && records.every(({ p }) => p.pid !== null && processAlive(p.pid, p.startTime));
}

function removeTmpDir(dir: string | undefined): void {
  if (dir?.startsWith(`${FRR_TMP_DIR}/`) && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the router's daemons that are not running (its configs must be written), each recorded
 * before it starts; a daemon that ran before gets its old record back, its leftovers removed.
 */
export async function startRouterDaemons(r: PlannedRouter): Promise<void> {
  for (const daemon of ROUTER_DAEMONS) {
    const old = daemonRecords(r.name).find(({ p }) => p.role === daemon);
    if (old && old.p.pid !== null && processAlive(old.p.pid, old.p.startTime)) continue;
    const p = frrPaths(r.name, daemon);
    const fresh: LabProcess = {
      role: daemon,
      node: r.name,
      namespace: r.ns,
      pid: null,
      startTime: null,
      pidFile: p.pidFile,
      argv: [join(FRR_BIN_DIR, daemon), "-f", p.config],
      logFile: p.logFile,
      startedAt: new Date().toISOString(),
    };
    let index: number;
    if (old) {
      removeTmpDir(old.p.tmpDir);
      index = old.index;
      updateProcess(index, { ...fresh, tmpDir: undefined });
    } else {
      index = recordProcess(fresh);
    }
    const pid = await startFrrDaemon(r.name, r.ns, daemon, (launcher) => updateProcess(index, { tmpDir: frrTmpDir(daemon, launcher) }));
    updateProcess(index, { pid, startTime: processStartTime(pid) });
  }
}

/**
 * Kills the router's daemons with SIGKILL, as a crash or a power cut would: no goodbye to the
 * neighbours, no cleanup of the kernel's routes. Their records stay, for a restart.
 */
export async function killRouterDaemons(router: string): Promise<void> {
  const records = daemonRecords(router);
  await killProcesses(records.flatMap(({ p }) => (p.pid !== null ? [{ pid: p.pid, startTime: p.startTime }] : [])), 0, "SIGKILL");
  for (const { index, p } of records) {
    removeTmpDir(p.tmpDir);
    updateProcess(index, { tmpDir: undefined });
  }
}
