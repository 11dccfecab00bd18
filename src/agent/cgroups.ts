// cgroup v2 ids of lab apps: the inode of <appCgroupRoot>/<app>.
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** "\040" etc. in /proc/mounts fields. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The first cgroup2 mount point in /proc/mounts (or in `mountsText`), or null. */
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

/** `<cgroup2 mount>/cairn/apps`; throws if cgroup v2 is not mounted. */
export function defaultAppCgroupRoot(): string {
  const mount = findCgroup2Mount();
  if (!mount) throw new Error("no cgroup2 file system in /proc/mounts; pass an app cgroup root explicitly");
  return join(mount, "cairn", "apps");
}

/**
 * The cgroup id of app `app` under `root`, creating the directory if it does
 * not exist yet (so the id is known before the app starts).
 */
export function appCgroupId(root: string, app: string): bigint {
  if (!APP_NAME.test(app)) throw new Error(`invalid app name "${app}"`);
  const dir = join(root, app);
  mkdirSync(dir, { recursive: true });
  return statSync(dir, { bigint: true }).ino;
}
