// Counters of lab nodes, to prove which routers traffic crossed: per interface, and per port.
import { readLinks } from "./netns.js";
import { nsName, nsPath } from "./paths.js";
import { nsenterArgv, run, tryRun } from "./run.js";

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

export interface PortCounts {
  packets: number;
  bytes: number;
  /** Fragments after the first, of any flow (they carry no port): IPv6 past an SRH, and plain IPv4. */
  laterFragments: number;
  /** The port's packets by the interface they came in on (lab interfaces are named after the neighbour). */
  byInterface: Record<string, number>;
}

/**
 * Counts, in each node's namespace, the packets arriving for one destination port (UDP or TCP),
 * ahead of routing: plain IPv4 and IPv6, IPv6 with an SRH (nftables finds the transport header past
 * it), and IPv4 or IPv6 encapsulated in IPv6 (inner header without options). A path proof built on
 * this counts the test's own packets, not the probes, IS-IS and neighbour discovery around them.
 */
export class PortCounter {
  private constructor(
    private readonly nodes: string[],
    private readonly table: string,
  ) {}

  static async start(nodes: string[], port: number): Promise<PortCounter> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port counter: ${port} is not a port (1-65535)`);
    const c = new PortCounter(nodes, `cairn_proof_${port}_${process.pid}`);
    const t = `inet ${c.table}`;
    const script = [
      `add table ${t}`,
      `add chain ${t} pre { type filter hook prerouting priority -400; policy accept; }`,
      `add chain ${t} matched`,
      `add counter ${t} port`,
      `add set ${t} arrivals { type ifname; flags dynamic; counter; size 1024; }`,
      `add rule ${t} pre meta l4proto { tcp, udp } th dport ${port} jump matched`,
      // Transport header of the inner packet: 20 bytes of IPv4, 40 of IPv6, then 2 to the destination port.
      `add rule ${t} pre meta l4proto 4 @th,176,16 ${port} jump matched`,
      `add rule ${t} pre meta l4proto 41 @th,336,16 ${port} jump matched`,
      `add rule ${t} matched counter name port`,
      `add rule ${t} matched update @arrivals { iifname }`,
      `add counter ${t} later`,
      `add rule ${t} pre frag frag-off != 0 counter name later`,
      `add rule ${t} pre ip frag-off & 0x1fff != 0 counter name later`,
    ].join("\n");
    // All routers at once: started one after another, the last one's window would be shorter by the
    // others' start times (hundreds of ms on a busy machine), and counts along a path would disagree.
    const started = await Promise.allSettled(nodes.map((n) => nft(n, ["-f", "-"], script)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await new PortCounter(nodes.filter((_, i) => started[i]!.status === "fulfilled"), c.table).stop();
      throw failed.reason;
    }
    return c;
  }

  async read(): Promise<Record<string, PortCounts>> {
    const out: Record<string, PortCounts> = {};
    await Promise.all(
      this.nodes.map(async (n) => {
        const [counters, arrivals] = await Promise.all([
          nft(n, ["-j", "list", "counters", "table", "inet", this.table]),
          nft(n, ["-j", "list", "set", "inet", this.table, "arrivals"]),
        ]);
        const doc = JSON.parse(counters) as { nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }> };
        const named = (name: string) => doc.nftables.find((e) => e.counter?.name === name)?.counter;
        const c = named("port");
        const later = named("later");
        if (!c || !later) throw new Error(`port counter on ${n}: nft listed no counters of table ${this.table}`);
        const set = (JSON.parse(arrivals) as { nftables: Array<{ set?: { elem?: Array<{ elem: { val: string; counter: { packets: number } } }> } }> }).nftables.find((e) => e.set)?.set;
        const byInterface = Object.fromEntries((set?.elem ?? []).map((e) => [e.elem.val, e.elem.counter.packets]));
        out[n] = { packets: c.packets, bytes: c.bytes, laterFragments: later.packets, byInterface };
      }),
    );
    return out;
  }

  /** Removes the counters; a namespace already gone is no error. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => tryRun(...nsenter(n, ["nft", "delete", "table", "inet", this.table]))));
  }
}

function nsenter(node: string, argv: string[]): [string, string[]] {
  const [cmd, ...args] = nsenterArgv(nsPath(nsName(node)), argv);
  return [cmd!, args];
}

async function nft(node: string, args: string[], input?: string): Promise<string> {
  const [cmd, argv] = nsenter(node, ["nft", ...args]);
  return (await run(cmd, argv, input === undefined ? {} : { input })).stdout;
}
