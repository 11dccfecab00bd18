// A fault's packet filter on one interface: tc's clsact qdisc with the classic BPF program of
// fault-filter.ts at egress. Lab routers' interfaces carry nothing else at tc, so the clsact qdisc is
// the fault's own: removing the filter removes the qdisc.
import { run, runSync } from "./run.js";
import { dataDropProgram, tcBytecode } from "./fault-filter.js";

const tcIn = (ns: string, args: string[]) => run("tc", ["-n", ns, ...args]);

interface TcQdisc {
  kind: string;
  drops?: number;
}

function qdiscs(ns: string, dev: string, withStats: boolean): TcQdisc[] {
  const out = runSync("tc", ["-n", ns, ...(withStats ? ["-s"] : []), "-j", "qdisc", "show", "dev", dev]);
  return out.trim() ? (JSON.parse(out) as TcQdisc[]) : [];
}

/** Drops `percent` % of the IPv6 and IPv4 frames leaving `dev` (100: all); replaces any earlier filter. */
export async function setEgressDrop(ns: string, dev: string, percent: number): Promise<void> {
  const bytecode = tcBytecode(dataDropProgram(percent));
  await tcIn(ns, ["qdisc", "replace", "dev", dev, "clsact"]);
  await tcIn(ns, ["filter", "replace", "dev", dev, "egress", "protocol", "all", "pref", "1", "handle", "1", "bpf", "bytecode", bytecode, "da"]);
}

/** Removes the filter (and its clsact qdisc) from `dev`; nothing to do when there is none. */
export async function clearEgressDrop(ns: string, dev: string): Promise<void> {
  if (!qdiscs(ns, dev, false).some((q) => q.kind === "clsact")) return;
  await tcIn(ns, ["qdisc", "del", "dev", dev, "clsact"]);
}

/** Packets the filter on `dev` has dropped so far, or null when `dev` has none. */
export function egressDrops(ns: string, dev: string): number | null {
  try {
    const q = qdiscs(ns, dev, true).find((x) => x.kind === "clsact");
    return q ? (q.drops ?? 0) : null;
  } catch {
    return null;
  }
}
