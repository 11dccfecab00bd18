// Which computations cross which elements: an index from links and routers to the keys (the
// controller's path groups, controller/path-group-table.ts) whose paths (primaries and backups)
// cross them, kept up to date as they are recomputed. Pure data structure.
import type { RuleTarget } from "./assignments.js";
import { elementKey } from "./elements.js";

export class CrossingIndex {
  private readonly byElement = new Map<string, Set<string>>();
  private readonly byPair = new Map<string, readonly string[]>();

  /** Records that `pair` now crosses exactly `elements` (element keys). */
  set(pair: string, elements: readonly string[]): void {
    this.delete(pair);
    this.byPair.set(pair, elements);
    for (const e of elements) {
      let s = this.byElement.get(e);
      if (!s) this.byElement.set(e, (s = new Set()));
      s.add(pair);
    }
  }

  delete(pair: string): void {
    for (const e of this.byPair.get(pair) ?? []) {
      const s = this.byElement.get(e);
      s?.delete(pair);
      if (s?.size === 0) this.byElement.delete(e);
    }
    this.byPair.delete(pair);
  }

  /** The pairs crossing `element` (an element key). */
  pairs(element: string): ReadonlySet<string> {
    return this.byElement.get(element) ?? new Set();
  }

  elementsOf(pair: string): readonly string[] {
    return this.byPair.get(pair) ?? [];
  }
}

/** The links and routers the targets' primaries and backups cross, as element keys, each once. */
export function crossedElements(targets: readonly RuleTarget[]): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    if (!t.result.ok) continue;
    for (const p of [t.result.path, ...(t.result.backup ? [t.result.backup] : [])]) {
      for (const id of p.links) out.add(elementKey({ kind: "link", id }));
      for (const id of p.nodes) out.add(elementKey({ kind: "router", id }));
    }
  }
  return [...out].sort();
}
