// cgroup v2 directories the lab creates: lab apps (<cgroup2 mount>/cairn/apps/<app>) and the cgroup
// paths `lab exec --cgroup` asks for. Each directory is recorded in the lab state before it is created.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APP_NAME } from "../core/model.js";
import { appCgroupsRoot, cairnCgroupRoot, cgroup2Mount } from "../host/cgroup2.js";
import { cgroupPathComponents } from "./cgroup-path.js";
import { killProcesses } from "./procs.js";
import { recordCgroup, recordCreatedCgroup, unrecordCgroup } from "./state.js";

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

/** The directory of a cgroup path relative to the cgroup2 mount ("/a.slice/b.service"); validates it. */
export function cgroupPathDir(path: string): string {
  return join(cgroup2Mount(), ...cgroupPathComponents(path));
}

/**
 * Creates a cgroup path and its missing ancestors, one directory at a time, each recorded in the lab
 * state before it is created (a lab must be up), so labDown removes exactly those. Returns its directory.
 */
export function ensureCgroupPath(path: string): string {
  let dir = cgroup2Mount();
  for (const part of cgroupPathComponents(path)) {
    dir = join(dir, part);
    if (existsSync(dir)) continue;
    recordCreatedCgroup(dir);
    try {
      mkdirSync(dir);
    } catch (err) {
      // Someone else made it meanwhile (it is theirs, not the lab's), or it cannot be made.
      unrecordCgroup(dir);
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`cannot create cgroup ${dir}: ${(err as Error).message}`);
    }
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

function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Removes one cgroup directory (not its children: it throws when it has any). Processes inside get
 * SIGTERM, then SIGKILL; cgroup.kill finishes off anything that slipped in. True when it removed it.
 */
export async function removeCgroupDir(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  const children = childCgroups(dir);
  if (children.length) throw new Error(`cannot remove cgroup ${dir}: it holds cgroups the lab did not create (${children.join(", ")})`);
  await killProcesses(cgroupPids(dir).map((pid) => ({ pid })));
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return false;
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

/** Removes a cgroup directory and all its descendants, deepest first. Returns the directories removed. */
export async function removeCgroupTree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const child of childCgroups(dir)) removed.push(...(await removeCgroupTree(join(dir, child))));
  if (await removeCgroupDir(dir)) removed.push(dir);
  return removed;
}
