// Interface counters of lab nodes (to prove which routers traffic crossed).
import { readLinks } from "./netns.js";
import { nsName } from "./paths.js";

export interface InterfaceCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

/** Counters of every interface of a node, from `ip -s -j link show` in its namespace (lo excluded). */
export function readInterfaceCounters(node: string): Record<string, InterfaceCounters> {
  const out: Record<string, InterfaceCounters> = {};
  for (const l of readLinks(nsName(node), true)) {
    if (l.ifname === "lo" || !l.stats64) continue;
    out[l.ifname] = {
      rxPackets: l.stats64.rx.packets,
      txPackets: l.stats64.tx.packets,
      rxBytes: l.stats64.rx.bytes,
      txBytes: l.stats64.tx.bytes,
    };
  }
  return out;
}
