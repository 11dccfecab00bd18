// What the agent reads off its host: cgroup ids (and their recreation), users, the uplink's
// IPv6 address and MTU. The edge where host state enters the agent.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import type { CgroupFact } from "./datapath-rules.js";

/** Components of a cgroup path relative to the cgroup2 mount ("/a/b" → ["a", "b"]). */
export function cgroupComponents(path: string): string[] {
  return path.split("/").filter(Boolean);
}

export class CgroupFacts {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    /** The cgroup2 mount point. */
    readonly mount: string,
    private readonly onChange: () => void = () => {},
  ) {}

  /** The cgroup's id (its directory's inode) and depth, or null when it does not exist. */
  resolve(path: string): CgroupFact | null {
    try {
      const st = statSync(join(this.mount, path), { bigint: true });
      return st.isDirectory() ? { id: st.ino, level: cgroupComponents(path).length } : null;
    } catch {
      return null;
    }
  }

  /** Creates the cgroup if it is missing (lab apps: the id is known before the app starts). */
  ensure(path: string): CgroupFact | null {
    mkdirSync(join(this.mount, path), { recursive: true });
    return this.resolve(path);
  }

  /**
   * Watches the directories in which these cgroups appear and disappear (a service restart
   * removes and recreates its cgroup), calling onChange at once; the agent also polls.
   */
  watch(paths: Iterable<string>): void {
    const want = new Set<string>();
    for (const p of paths) {
      // The deepest existing ancestor: its entries change when the cgroup (or a parent) comes or goes.
      let dir = join(this.mount, dirname(p));
      while (!existsSync(dir) && dir.length > this.mount.length) dir = dirname(dir);
      want.add(dir);
    }
    for (const [dir, w] of this.watchers) {
      if (want.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.onChange());
        w.on("error", () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        /* not watchable: polling covers it */
      }
    }
  }

  stop(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

/** A uid as written ("1001") or a user name looked up through NSS (getent); null when unknown. */
export function lookupUser(user: string): number | null {
  if (/^\d+$/.test(user)) return Number(user);
  try {
    const line = execFileSync("getent", ["passwd", user], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0] ?? "";
    const uid = Number(line.split(":")[2]);
    return Number.isInteger(uid) ? uid : null;
  } catch {
    return null;
  }
}

/** The interface's first global IPv6 address in this network namespace, or null. */
export function interfaceAddress6(ifname: string): string | null {
  const list = networkInterfaces()[ifname] ?? [];
  const global = list.find((a) => a.family === "IPv6" && !a.internal && a.scopeid === 0 && !a.address.toLowerCase().startsWith("fe80"));
  return global?.address ?? null;
}
