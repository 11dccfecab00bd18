// cgroup v2 directories of lab apps: <cgroup2 mount>/cairn/apps/<app>.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APP_NAME } from "../core/model.js";
import { appCgroupsRoot, cairnCgroupRoot, cgroup2Mount } from "../host/cgroup2.js";
import { killProcesses } from "./procs.js";
import { recordCgroup } from "./state.js";

export { cairnCgroupRoot, cgroup2Mount };

export function checkAppName(app: string): void {
  if (!APP_NAME.test(app)) throw new Error(`app name "${app}" is not usable as a cgroup name (letters, digits, "_", "." and "-", at most 63)`);
}

/** <cgroup2>/cairn/apps/<app> */
export function appCgroupDir(app: string): string {
  checkAppName(app);
  return join(appCgroupsRoot(), app);
}

/** Creates the app's cgroup if missing (recorded in the lab state) and returns its directory. */
export function ensureAppCgroup(app: string): string {
  const dir = appCgroupDir(app);
  if (!existsSync(dir)) {
    recordCgroup(dir);
    mkdirSync(dir, { recursive: true });
  }
  return dir;
}

export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, "cgroup.events"), "utf8"));
  } catch {
    return false;
  }
}

/**
 * Removes a cgroup directory and its descendants, deepest first. Processes inside get SIGTERM,
 * then SIGKILL; cgroup.kill finishes off anything that slipped in. Returns the directories removed.
 */
export async function removeCgroupTree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removed.push(...(await removeCgroupTree(join(dir, entry.name))));
  }
  await killProcesses(cgroupPids(dir).map((pid) => ({ pid })));
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      removed.push(dir);
      return removed;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return removed;
      if (code !== "EBUSY" || attempt >= 50) throw new Error(`cannot remove cgroup ${dir}: ${String(err)}`);
      if (cgroupPopulated(dir) && existsSync(join(dir, "cgroup.kill"))) {
        try {
          writeFileSync(join(dir, "cgroup.kill"), "1");
        } catch {
          /* best effort */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
