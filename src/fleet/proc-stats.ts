// A process's resident memory and CPU time, from /proc (Linux).
import { readFileSync } from "node:fs";

export interface ProcSample {
  /** Resident set, bytes. */
  rssBytes: number;
  /** User + system CPU time, ms. */
  cpuMs: number;
  /** Wall time of the sample, ms (performance.now()). */
  atMs: number;
}

const TICKS_PER_S = 100; // USER_HZ: 100 on every Linux architecture Node supports.

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return { rssBytes: rssKb * 1024, cpuMs: ((utime + stime) * 1000) / TICKS_PER_S, atMs: performance.now() };
}

/** CPU share between two samples (1 = one core busy). */
export function cpuShare(a: ProcSample, b: ProcSample): number {
  return b.atMs > a.atMs ? (b.cpuMs - a.cpuMs) / (b.atMs - a.atMs) : 0;
}
