// Where cgroup v2 lives on this machine, and where Cairn keeps app cgroups. Shared by agent and lab.
import { join } from "node:path";
import { readMounts } from "./mounts.js";

/** The first cgroup2 mount point in /proc/mounts (or in `mountsText`), or null. Hybrid mode puts it at e.g. /sys/fs/cgroup/unified. */
export function findCgroup2Mount(mountsText?: string): string | null {
  return readMounts(mountsText).find((m) => m.type === "cgroup2")?.target ?? null;
}

/** The cgroup2 mount point; throws when cgroup v2 is not mounted. */
export function cgroup2Mount(): string {
  const mount = findCgroup2Mount();
  if (!mount) throw new Error("no cgroup2 file system is mounted (see /proc/mounts); Cairn identifies apps by cgroup v2");
  return mount;
}

/** `<cgroup2>/cairn`: Cairn's own subtree. */
export function cairnCgroupRoot(): string {
  return join(cgroup2Mount(), "cairn");
}

/** `<cgroup2>/cairn/apps`: one directory per app. */
export function appCgroupsRoot(): string {
  return join(cairnCgroupRoot(), "apps");
}
