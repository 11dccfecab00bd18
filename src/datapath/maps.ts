// Reads and reconciles the datapath maps, given their fds (from a loaded object or from pins).
import { join } from "node:path";
import { formatAddress } from "../core/ipv6.js";
import { closeFd } from "./libc.js";
import * as bpf from "./libbpf.js";
import {
  DROP_REASONS,
  MAPS,
  MAP_NAMES,
  decodePath,
  decodeU32,
  encodeU32,
  perCpuStride,
  sumPerCpuCounters,
  sumPerCpuU64,
  type MapName,
} from "./layout.js";
import { compileRules, hex, type MapEntry } from "./rules.js";
import type { DatapathRule, RuleCounters } from "./types.js";

export type MapFds = Record<MapName, number>;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class DatapathMaps {
  private readonly ncpus = bpf.numPossibleCpus();
  private closed = false;

  private constructor(
    private readonly fds: MapFds,
    private readonly ownsFds: boolean,
  ) {}

  /** Borrows fds owned by someone else (e.g. a loaded bpf_object). */
  static fromFds(fds: MapFds): DatapathMaps {
    return new DatapathMaps(fds, false);
  }

  /** Opens the maps pinned in pinDir; close() releases them. */
  static fromPins(pinDir: string): DatapathMaps {
    const fds: Partial<MapFds> = {};
    try {
      for (const name of MAP_NAMES) fds[name] = bpf.objGet(join(pinDir, name));
    } catch (err) {
      for (const fd of Object.values(fds)) closeFd(fd);
      throw err;
    }
    return new DatapathMaps(fds as MapFds, true);
  }

  private fd(name: MapName): number {
    if (this.closed) throw new Error("datapath maps are closed");
    return this.fds[name];
  }

  /** Makes the maps hold exactly `rules`. Validates everything before the first write. */
  apply(rules: readonly DatapathRule[]): void {
    const want = compileRules(rules);
    const paths = this.fd("cairn_paths");
    const lpm = this.fd("cairn_rules");
    const havePaths = new Set(this.ruleIds());

    // Paths first so that no LPM slot ever names a rule without one; removals last.
    for (const [id, value] of want.paths) {
      const key = encodeU32(id);
      const current = havePaths.has(id) ? bpf.mapLookup(paths, key, MAPS.cairn_paths.valueSize) : null;
      if (!current) this.resetCounters(id);
      if (!current || !sameBytes(current, value)) bpf.mapUpdate(paths, key, value);
    }
    const haveLpm = this.lpmEntries();
    for (const [k, entry] of want.lpm) {
      const current = haveLpm.get(k);
      if (!current || !sameBytes(current.value, entry.value)) bpf.mapUpdate(lpm, entry.key, entry.value);
    }
    for (const [k, entry] of haveLpm) if (!want.lpm.has(k)) bpf.mapDelete(lpm, entry.key);
    for (const id of havePaths) {
      if (want.paths.has(id)) continue;
      bpf.mapDelete(paths, encodeU32(id));
      this.resetCounters(id);
    }
  }

  /** Ids of the rules that have a path, i.e. are installed. */
  ruleIds(): number[] {
    return bpf.mapKeys(this.fd("cairn_paths"), MAPS.cairn_paths.keySize).map(decodeU32);
  }

  /** A rule's SIDs in travel order, or null when it is not installed. */
  path(ruleId: number): string[] | null {
    const value = bpf.mapLookup(this.fd("cairn_paths"), encodeU32(ruleId), MAPS.cairn_paths.valueSize);
    return value ? decodePath(value).map(formatAddress) : null;
  }

  /** LPM entries by hex of the key. */
  lpmEntries(): Map<string, MapEntry> {
    const fd = this.fd("cairn_rules");
    const out = new Map<string, MapEntry>();
    for (const key of bpf.mapKeys(fd, MAPS.cairn_rules.keySize)) {
      const value = bpf.mapLookup(fd, key, MAPS.cairn_rules.valueSize);
      if (value) out.set(hex(key), { key, value });
    }
    return out;
  }

  counters(): Map<number, RuleCounters> {
    const fd = this.fd("cairn_stats");
    const size = perCpuStride(MAPS.cairn_stats.valueSize) * this.ncpus;
    const out = new Map<number, RuleCounters>();
    for (const id of this.ruleIds()) {
      const value = bpf.mapLookup(fd, encodeU32(id), size);
      out.set(id, value ? sumPerCpuCounters(value, this.ncpus) : { packets: 0n, bytes: 0n });
    }
    return out;
  }

  /** Dropped packets by reason name, summed over CPUs. */
  drops(): Map<string, bigint> {
    const fd = this.fd("cairn_drops");
    const out = new Map<string, bigint>();
    for (const [reason, name] of DROP_REASONS) {
      const value = bpf.mapLookup(fd, encodeU32(reason), 8 * this.ncpus);
      out.set(name, value ? sumPerCpuU64(value, this.ncpus) : 0n);
    }
    return out;
  }

  private resetCounters(ruleId: number): void {
    const zero = new Uint8Array(perCpuStride(MAPS.cairn_stats.valueSize) * this.ncpus);
    bpf.mapUpdate(this.fd("cairn_stats"), encodeU32(ruleId), zero);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFds) for (const fd of Object.values(this.fds)) closeFd(fd);
  }
}
