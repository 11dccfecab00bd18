// Agents running on this machine, found by their command line rather than the lab's records: an agent
// restarted by hand (`cairn lab exec h1 -- cairn agent ...`) is not in the state file.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { processStartTime } from "./procs.js";

export interface RunningAgent {
  pid: number;
  startTime: number | null;
  /** Its --host. */
  host: string;
  /** Its network namespace ("net:[INODE]"), null when it could not be read. */
  netns: string | null;
}

/** The network namespace a process is in, as the kernel names it ("net:[4026531840]"). */
function netnsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/** The same name for a namespace of `ip netns add NAME` (null when it does not exist). */
export function namedNetns(name: string): string | null {
  try {
    return `net:[${statSync(`/run/netns/${name}`).ino}]`;
  } catch {
    return null;
  }
}

/** `argv` of a `cairn agent --host H ...` process (also `node .../main.js agent ...`), else null. */
export function agentHostOf(argv: readonly string[]): string | null {
  const sub = argv.findIndex((a, i) => a === "agent" && i > 0 && /(^|\/)(cairn|main\.js)$/.test(argv[i - 1]!));
  if (sub < 0) return null;
  const rest = argv.slice(sub + 1);
  if (rest.includes("--remove-datapath")) return null;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--host" && rest[i + 1] !== undefined) return rest[i + 1]!;
    if (a.startsWith("--host=")) return a.slice("--host=".length);
  }
  return null;
}

/** Every agent process on the machine (any namespace). */
export function scanAgents(): RunningAgent[] {
  const found: RunningAgent[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    const host = agentHostOf(argv);
    if (host === null) continue;
    const pid = Number(entry);
    found.push({ pid, startTime: processStartTime(pid), host, netns: netnsOf(pid) });
  }
  return found;
}
