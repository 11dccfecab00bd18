// Datapath rule ids for an agent's rules. The datapath orders equally specific
// rules by ascending ruleId, so ids must increase with (priority, port range
// index). Ids stay with their key for the agent's lifetime unless a new order
// leaves no room between neighbours; then everything is renumbered once.

import { CAIRN_MAX_RULES } from "../datapath/layout.js";

/** The datapath's rule id space: ids are 1..CAIRN_MAX_RULES-1. */
export const DEFAULT_MAX_RULES = CAIRN_MAX_RULES;
/** Gap left between consecutive ids so later insertions rarely renumber. */
const MAX_STEP = 16;

export interface OrderedKey {
  key: string;
  priority: number;
}

/** The port-range index in a rule key "<intent>#<index>"; 0 if absent. */
export function rangeIndex(key: string): number {
  const m = /#(\d+)$/.exec(key);
  return m ? Number(m[1]) : 0;
}

export function compareRules(a: OrderedKey, b: OrderedKey): number {
  return a.priority - b.priority || rangeIndex(a.key) - rangeIndex(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** `count` increasing ids strictly between lo and hi, spaced up to MAX_STEP; null if they don't fit. */
function spread(lo: number, hi: number, count: number): number[] | null {
  if (count === 0) return [];
  const step = Math.min(MAX_STEP, Math.floor((hi - lo) / (count + 1)));
  if (step < 1) return null;
  return Array.from({ length: count }, (_, j) => lo + step * (j + 1));
}

export class RuleIdAllocator {
  private ids = new Map<string, number>();
  readonly maxRules: number;

  constructor(maxRules = DEFAULT_MAX_RULES) {
    if (!Number.isInteger(maxRules) || maxRules < 2) throw new Error(`maxRules must be an integer >= 2, got ${maxRules}`);
    this.maxRules = maxRules;
  }

  /** How many rules can hold an id at once. */
  get capacity(): number {
    return this.maxRules - 1;
  }

  /**
   * Ids for exactly `rules` (keys of rules not given are forgotten), strictly
   * increasing in (priority, range index) order, each in 1..maxRules-1.
   * Throws if there are more rules than ids or duplicate keys.
   */
  assign(rules: OrderedKey[]): Map<string, number> {
    if (rules.length > this.capacity) throw new Error(`${rules.length} rules exceed the datapath's ${this.capacity} rule ids`);
    const sorted = [...rules].sort(compareRules);
    if (new Set(sorted.map((r) => r.key)).size !== sorted.length) throw new Error("duplicate rule keys");
    const result = this.keepOrInsert(sorted) ?? this.renumber(sorted);
    this.ids = result;
    return new Map(result);
  }

  /** Current ids (after the last assign). */
  current(): ReadonlyMap<string, number> {
    return this.ids;
  }

  private keepOrInsert(sorted: OrderedKey[]): Map<string, number> | null {
    // Existing ids must already be increasing in the new order.
    let last = 0;
    for (const r of sorted) {
      const id = this.ids.get(r.key);
      if (id === undefined) continue;
      if (id <= last) return null;
      last = id;
    }
    const out = new Map<string, number>();
    let lo = 0;
    let pending: string[] = [];
    const flush = (hi: number): boolean => {
      const ids = spread(lo, hi, pending.length);
      if (!ids) return false;
      pending.forEach((k, i) => out.set(k, ids[i]!));
      pending = [];
      return true;
    };
    for (const r of sorted) {
      const id = this.ids.get(r.key);
      if (id === undefined) {
        pending.push(r.key);
        continue;
      }
      if (!flush(id)) return null;
      out.set(r.key, id);
      lo = id;
    }
    return flush(this.maxRules) ? out : null;
  }

  private renumber(sorted: OrderedKey[]): Map<string, number> {
    const ids = spread(0, this.maxRules, sorted.length);
    if (!ids) throw new Error("rule ids exhausted"); // unreachable: length <= capacity
    return new Map(sorted.map((r, i) => [r.key, ids[i]!]));
  }
}
