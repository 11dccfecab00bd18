// The passive signal: the host's own TCP flows retransmitting on a steered path make the agent
// probe that path at once, instead of at its next scheduled probe. The kernel side
// (retransmits.bpf.c on tcp:tcp_retransmit_skb) appends each retransmission of a socket in the
// agent's network namespace to a ring; this polls it, matches each event to the installed rules
// as the datapath would (destination prefix, protocol TCP or any, destination port, source) and
// asks the prober for one probe per matching path now, debounced. The matching is pure, so
// tests drive it with a fake ring; timing runs on the injected clock.
import type { Clock, Timer } from "./clock.js";
import { parseFamilyPrefix } from "../datapath/addresses.js";
import { pathKey } from "../datapath/plan.js";
import type { DatapathRule } from "../datapath/types.js";
import type { RetransmitEvent } from "../datapath/retransmit-layout.js";
import { formatAddress, prefixContains, type Prefix } from "../core/ipv6.js";

const IPPROTO_TCP = 6;

/** Where retransmission events come from: the kernel's ring (datapath/retransmits.ts) or a fake. */
export interface RetransmitSource {
  /** Events since the last read, and how many were overwritten unread. */
  read(): { events: RetransmitEvent[]; lost: number };
  /** Forgets the events so far (polling resumes: old ones are no signal). */
  skip(): void;
  close(): void;
}

export interface RetransmitWatchSettings {
  /** The ring is read this often while some rule can carry TCP. */
  pollMs: number;
  /** At most one probe per path per this long, however many retransmissions. */
  debounceMs: number;
  /** At most one log line per path per this long. */
  logEveryMs: number;
}

export const DEFAULT_RETRANSMIT_WATCH: RetransmitWatchSettings = { pollMs: 20, debounceMs: 10, logEveryMs: 5_000 };

/** What the status shows. */
export interface RetransmitCounters {
  /** Retransmissions of this host's TCP sockets read while polling. */
  seen: number;
  /** Of those, the ones on some rule's probed path. */
  matched: number;
  /** Overwritten in the ring before they were read (the agent fell behind). */
  lost: number;
  /** Probes sent early because of them. */
  probes: number;
}

/** One installed rule as far as TCP can match it, with the probed paths its packets take. */
export interface RetransmitRoute {
  family: 4 | 6;
  /** IPv6, or IPv4-mapped (as the datapath keys them and the ring reports addresses). */
  destinations: Prefix[];
  source: Prefix | null;
  /** 0 (any) or TCP. */
  protocol: number;
  portFrom: number;
  portTo: number;
  /** pathKey()s of its primary and backup, those that are probed. */
  paths: string[];
}

/** The rules that can carry TCP and use a probed path; `probed(key)` says whether a path is probed. */
export function retransmitRoutes(rules: readonly DatapathRule[], probed: (key: string) => boolean): RetransmitRoute[] {
  const out: RetransmitRoute[] = [];
  for (const r of rules) {
    if (r.protocol !== 0 && r.protocol !== IPPROTO_TCP) continue;
    const paths = [r.primary, r.backup].flatMap((p) => (p?.probe ? [pathKey(p)] : [])).filter((k, i, a) => probed(k) && a.indexOf(k) === i);
    const dests = r.destinations.flatMap((d) => {
      const p = parseFamilyPrefix(d);
      return p ? [p] : [];
    });
    if (paths.length === 0 || dests.length === 0) continue;
    const source = r.source !== null ? parseFamilyPrefix(r.source)?.prefix ?? null : null;
    out.push({ family: dests[0]!.family, destinations: dests.map((d) => d.prefix), source, protocol: r.protocol, portFrom: r.portFrom, portTo: r.portTo, paths });
  }
  return out;
}

/** Whether an address is IPv4-mapped (::ffff:a.b.c.d): the packet on the wire is IPv4. */
export function isMapped4(addr: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (addr[i] !== 0) return false;
  return addr[10] === 0xff && addr[11] === 0xff;
}

export function formatEventAddress(addr: Uint8Array): string {
  return isMapped4(addr) ? Array.from(addr.subarray(12, 16)).join(".") : formatAddress(addr);
}

/**
 * The paths a retransmitted segment travels, as the datapath would steer it: every rule whose
 * destinations hold its destination, whose port range its destination port and whose source
 * prefix (if any) its source. By destination and port only, not by process: a flow of another
 * application to the same place may make a path be probed early, which costs one probe.
 */
export function pathsOf(e: RetransmitEvent, routes: readonly RetransmitRoute[]): string[] {
  const family = isMapped4(e.daddr) ? 4 : 6;
  const out: string[] = [];
  for (const r of routes) {
    if (r.family !== family || e.dport < r.portFrom || e.dport > r.portTo) continue;
    if (r.source && !prefixContains(r.source, e.saddr)) continue;
    if (!r.destinations.some((d) => prefixContains(d, e.daddr))) continue;
    for (const k of r.paths) if (!out.includes(k)) out.push(k);
  }
  return out;
}

export class RetransmitWatch {
  private routes: RetransmitRoute[] = [];
  private timer: Timer | null = null;
  private stopped = false;
  private readonly lastProbe = new Map<string, number>();
  /** Per path: when it was last logged, and the retransmissions since. */
  private readonly logged = new Map<string, { at: number; count: number }>();
  private lastError: string | null = null;
  private readonly c: RetransmitCounters = { seen: 0, matched: 0, lost: 0, probes: 0 };

  constructor(
    private readonly source: RetransmitSource,
    private readonly clock: Clock,
    private readonly probeNow: (keys: string[]) => void,
    private readonly log: (line: string) => void,
    /** A path's name for the log ("r1>r2>r3>r4"). */
    private readonly describe: (key: string) => string,
    private readonly settings: RetransmitWatchSettings = DEFAULT_RETRANSMIT_WATCH,
  ) {}

  /** Watches for these rules; polls only while there is one. */
  setRoutes(routes: RetransmitRoute[]): void {
    if (this.stopped) return;
    this.routes = routes;
    const live = new Set(routes.flatMap((r) => r.paths));
    for (const m of [this.lastProbe, this.logged]) for (const k of m.keys()) if (!live.has(k)) m.delete(k);
    if (routes.length > 0 && !this.timer) {
      this.safely(() => this.source.skip());
      this.schedule();
    } else if (routes.length === 0 && this.timer) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  get polling(): boolean {
    return this.timer !== null;
  }

  counters(): RetransmitCounters {
    return { ...this.c };
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.source.close();
  }

  /** Reads the ring once and probes what it calls for (the timer does this every pollMs). */
  poll(): void {
    const read = this.safely(() => this.source.read());
    if (!read) return;
    this.c.seen += read.events.length;
    this.c.lost += read.lost;
    const now = this.clock.now();
    const due: string[] = [];
    for (const e of read.events) {
      const keys = pathsOf(e, this.routes);
      if (keys.length === 0) continue;
      this.c.matched++;
      for (const k of keys) {
        this.note(k, e, now);
        const last = this.lastProbe.get(k);
        if (due.includes(k) || (last !== undefined && now - last < this.settings.debounceMs)) continue;
        this.lastProbe.set(k, now);
        due.push(k);
      }
    }
    if (due.length === 0) return;
    this.c.probes += due.length;
    this.probeNow(due);
  }

  private note(key: string, e: RetransmitEvent, now: number): void {
    const l = this.logged.get(key);
    if (l && now - l.at < this.settings.logEveryMs) {
      l.count++;
      return;
    }
    const more = l && l.count > 0 ? ` (${l.count} more since the last line)` : "";
    this.logged.set(key, { at: now, count: 0 });
    this.log(`path ${this.describe(key)}: TCP retransmissions to ${formatEventAddress(e.daddr)} port ${e.dport}${more}: probing now`);
  }

  private schedule(): void {
    this.timer = this.clock.after(this.settings.pollMs, () => {
      if (this.stopped || this.timer === null) return;
      this.poll();
      this.schedule();
    });
  }

  private safely<T>(fn: () => T): T | null {
    try {
      const v = fn();
      this.lastError = null;
      return v;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg !== this.lastError) this.log(`cannot read TCP retransmissions: ${msg}`);
      this.lastError = msg;
      return null;
    }
  }
}
