// Keeps the addresses of DNS names current: each name is looked up again when its answer's TTL
// runs out (clamped), a failure keeps the last good answer and retries with backoff.
import { Resolver } from "node:dns/promises";
import type { Clock, Timer } from "./clock.js";

export interface DnsAnswer {
  /** IPv6 and IPv4 addresses, sorted. */
  addresses: string[];
  /** Seconds the answer may be kept (the smallest record TTL). */
  ttlSec: number;
}

/** Looks a name up (AAAA and A); rejects on a failure that says nothing about the name (timeout, refused). */
export type Lookup = (name: string) => Promise<DnsAnswer>;

export interface DnsWatchOptions {
  minTtlMs?: number;
  maxTtlMs?: number;
  /** First retry after a failed lookup; doubles up to maxTtlMs. */
  retryMs?: number;
}

interface Entry {
  addresses: string[] | null;
  error: string | null;
  timer: Timer | null;
  failures: number;
  generation: number;
}

const NO_RECORDS = new Set(["ENODATA", "ENOTFOUND", "NODATA", "NOTFOUND"]);

/** A Lookup that asks `servers` ("addr" or "[v6]:port"), or the system's resolvers when none are given. */
export function systemLookup(servers: string[] = []): Lookup {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (servers.length) resolver.setServers(servers);
  const family = async (fn: () => Promise<{ address: string; ttl: number }[]>) => {
    try {
      return await fn();
    } catch (err) {
      if (NO_RECORDS.has((err as NodeJS.ErrnoException).code ?? "")) return [];
      throw err;
    }
  };
  return async (name) => {
    const [v6, v4] = await Promise.all([family(() => resolver.resolve6(name, { ttl: true })), family(() => resolver.resolve4(name, { ttl: true }))]);
    const all = [...v6, ...v4];
    return { addresses: all.map((r) => r.address).sort(), ttlSec: all.length ? Math.min(...all.map((r) => r.ttl)) : 0 };
  };
}

export class DnsWatch {
  private readonly entries = new Map<string, Entry>();
  private readonly minTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly lookup: Lookup,
    private readonly clock: Clock,
    private readonly onChange: (name: string) => void,
    opts: DnsWatchOptions = {},
  ) {
    this.minTtlMs = opts.minTtlMs ?? 1_000;
    this.maxTtlMs = opts.maxTtlMs ?? 300_000;
    this.retryMs = opts.retryMs ?? 1_000;
  }

  /** Watches exactly these names: new ones are looked up now, dropped ones are forgotten. */
  setNames(names: Iterable<string>): void {
    const want = new Set(names);
    for (const [name, e] of this.entries) {
      if (want.has(name)) continue;
      e.timer?.cancel();
      e.generation++;
      this.entries.delete(name);
    }
    for (const name of want) {
      if (this.entries.has(name)) continue;
      const e: Entry = { addresses: null, error: null, timer: null, failures: 0, generation: 0 };
      this.entries.set(name, e);
      void this.refresh(name, e);
    }
  }

  /** The current addresses of a name (undefined until its first answer or failure). */
  get(name: string): { addresses: string[]; error: string | null } | undefined {
    const e = this.entries.get(name);
    if (!e || (e.addresses === null && e.error === null)) return undefined;
    return { addresses: e.addresses ?? [], error: e.error };
  }

  /** Every watched name's answer, for the rule builder. */
  answers(): Map<string, { addresses: string[]; error: string | null }> {
    const out = new Map<string, { addresses: string[]; error: string | null }>();
    for (const name of this.entries.keys()) {
      const a = this.get(name);
      if (a) out.set(name, a);
    }
    return out;
  }

  stop(): void {
    this.setNames([]);
  }

  private async refresh(name: string, e: Entry): Promise<void> {
    const generation = e.generation;
    let next: number;
    try {
      const answer = await this.lookup(name);
      if (this.entries.get(name) !== e || e.generation !== generation) return;
      const changed = e.addresses === null || e.addresses.join() !== answer.addresses.join() || e.error !== null;
      e.addresses = answer.addresses;
      e.error = null;
      e.failures = 0;
      next = Math.min(this.maxTtlMs, Math.max(this.minTtlMs, answer.ttlSec * 1000));
      if (changed) this.onChange(name);
    } catch (err) {
      if (this.entries.get(name) !== e || e.generation !== generation) return;
      const first = e.addresses === null && e.error === null;
      e.error = `lookup failed: ${(err as Error).message}`;
      e.failures++;
      next = Math.min(this.maxTtlMs, this.retryMs * 2 ** Math.min(e.failures - 1, 20));
      if (first) this.onChange(name); // the last good answer (if any) stays in use
    }
    e.timer = this.clock.after(next, () => void this.refresh(name, e));
  }
}
