// cgroup v2 ids of lab apps: the inode of <appCgroupRoot>/<app>.
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { APP_NAME } from "../core/model.js";
import { appCgroupsRoot } from "../host/cgroup2.js";

/** `<cgroup2 mount>/cairn/apps`; throws if cgroup v2 is not mounted. */
export function defaultAppCgroupRoot(): string {
  return appCgroupsRoot();
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
