// Where cgroup v2 lives on this machine, and where Cairn keeps app cgroups. Shared by agent and lab.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** "\040" etc. in /proc/mounts fields. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The first cgroup2 mount point in /proc/mounts (or in `mountsText`), or null. Hybrid mode puts it at e.g. /sys/fs/cgroup/unified. */
export function findCgroup2Mount(mountsText?: string): string | null {
  let text = mountsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/mounts", "utf8");
    } catch {
      return null;
    }
  }
  for (const line of text.split("\n")) {
    const [, mountPoint, fsType] = line.split(" ");
    if (fsType === "cgroup2" && mountPoint) return unescapeMountField(mountPoint);
  }
  return null;
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
