// Minimum hitting sets: the fewest elements such that every given set contains one of them, and
// how often each element appears among all such minimum sets. Pure.
//
// Exact, within a search budget:
// - Elements that lie in exactly the same sets are indistinguishable: they form a class, and a
//   minimum hitting set takes at most one element of a class (any one of them).
// - Sets that share no class are independent: each connected component is solved on its own,
//   the minimum over the whole is the union, and counts multiply.
// - A set that contains another one is hit whenever the smaller one is: it is dropped.
// - Per component, iterative deepening on the size k; a depth-first search branches on the unhit
//   set with the fewest classes, and in its i-th branch forbids the classes of branches 1..i−1, so
//   every hitting set of size k is produced exactly once. The first k with a solution is the
//   minimum, and all its solutions are collected.
// Greedy, when a component exceeds the budget: repeatedly take the class that hits the most unhit
// sets, then drop every class the others make redundant. Chvátal (1979): the greedy choice is at most
// H(d) = 1 + 1/2 + … + 1/d times the minimum, d the most sets one class hits; dropping redundant
// classes only makes it smaller, and leaves an irredundant (inclusion-minimal) hitting set.

export interface HittingSets {
  /** Elements in a minimum hitting set (exact), or in the greedy one. */
  size: number;
  /** How many distinct minimum hitting sets (element sets) there are; for greedy components, those of the chosen classes. */
  count: number;
  /** Per element: the share of those hitting sets that contain it (0: in none). */
  share: Map<number, number>;
  /** Per element: whether its component has a single minimum hitting set (which then contains it, if share > 0). */
  uniqueInComponent: Map<number, boolean>;
  /** False when some component was solved greedily. */
  exact: boolean;
}

/** Default search budget per component, in sets examined (each search step looks at every set of its
 *  component once): a few hundred milliseconds at most. */
export const HITTING_SET_BUDGET = 1_000_000;

/**
 * Minimum hitting sets of `sets` (each a list of element numbers; every set non-empty). `budget` bounds
 * the exact search per component; 0 forces the greedy answer (for tests).
 */
export function minimumHittingSets(sets: readonly (readonly number[])[], budget = HITTING_SET_BUDGET): HittingSets {
  for (const [i, s] of sets.entries()) if (s.length === 0) throw new Error(`set ${i} is empty: nothing can hit it`);
  const classes = classesOf(sets);
  const out: HittingSets = { size: 0, count: 1, share: new Map(), uniqueInComponent: new Map(), exact: true };
  for (const component of componentsOf(classes, sets.length)) {
    const solved = solveComponent(component, budget);
    out.size += solved.size;
    out.count *= solved.count;
    out.exact &&= solved.exact;
    for (const c of component.classes) {
      const share = solved.classShare.get(c.id) ?? 0;
      for (const e of c.elements) {
        out.share.set(e, share / c.elements.length);
        out.uniqueInComponent.set(e, solved.count === 1);
      }
    }
  }
  return out;
}

interface ElementClass {
  id: number;
  elements: number[];
  /** Indices of the sets it lies in, ascending. */
  sets: number[];
}

function classesOf(sets: readonly (readonly number[])[]): ElementClass[] {
  const setsOf = new Map<number, number[]>();
  sets.forEach((s, i) => {
    for (const e of new Set(s)) pushTo(setsOf, e, i);
  });
  const bySignature = new Map<string, ElementClass>();
  for (const [e, ss] of [...setsOf].sort((a, b) => a[0] - b[0])) {
    const sig = ss.join(",");
    let c = bySignature.get(sig);
    if (!c) bySignature.set(sig, (c = { id: bySignature.size, elements: [], sets: ss }));
    c.elements.push(e);
  }
  return [...bySignature.values()];
}

interface Component {
  classes: ElementClass[];
  /** Its sets as lists of class ids, supersets of other sets dropped. */
  sets: number[][];
}

function componentsOf(classes: ElementClass[], setCount: number): Component[] {
  const parent = Array.from({ length: setCount }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  for (const c of classes) for (const s of c.sets.slice(1)) parent[find(s)] = find(c.sets[0]!);
  const setClasses: number[][] = Array.from({ length: setCount }, () => []);
  for (const c of classes) for (const s of c.sets) setClasses[s]!.push(c.id);
  const byRoot = new Map<number, Component>();
  for (const c of classes) {
    const root = find(c.sets[0]!);
    let comp = byRoot.get(root);
    if (!comp) byRoot.set(root, (comp = { classes: [], sets: [] }));
    comp.classes.push(c);
  }
  for (let s = 0; s < setCount; s++) byRoot.get(find(s))?.sets.push(setClasses[s]!);
  for (const comp of byRoot.values()) comp.sets = withoutSupersets(comp.sets);
  return [...byRoot.values()];
}

/** Beyond this many distinct sets, supersets stay (dropping them only speeds the search up; finding them is quadratic). */
const SUPERSET_CHECK_MAX_SETS = 2000;

function withoutSupersets(sets: number[][]): number[][] {
  const distinct = [...new Map(sets.map((s) => [[...s].sort((a, b) => a - b).join(","), s])).values()];
  if (distinct.length > SUPERSET_CHECK_MAX_SETS) return distinct;
  const bySize = distinct.sort((a, b) => a.length - b.length);
  const kept: Set<number>[] = [];
  for (const s of bySize) {
    if (kept.some((k) => [...k].every((c) => s.includes(c)))) continue;
    kept.push(new Set(s));
  }
  return kept.map((k) => [...k]);
}

interface Solved {
  size: number;
  count: number;
  /** Per class id: the share of the component's minimum hitting sets that take one of its elements. */
  classShare: Map<number, number>;
  exact: boolean;
}

function solveComponent(comp: Component, budget: number): Solved {
  const sizeOf = new Map(comp.classes.map((c) => [c.id, c.elements.length]));
  const solutions = budget > 0 ? exactSolutions(comp, budget) : null;
  const chosen = solutions ?? [greedy(comp)];
  // Each class set T stands for Π|C| element sets; weigh by that.
  const weight = (t: number[]) => t.reduce((w, c) => w * sizeOf.get(c)!, 1);
  const total = chosen.reduce((s, t) => s + weight(t), 0);
  const classShare = new Map<number, number>();
  for (const t of chosen) for (const c of t) classShare.set(c, (classShare.get(c) ?? 0) + weight(t) / total);
  return { size: chosen[0]!.length, count: total, classShare, exact: solutions !== null };
}

/** Every minimum hitting set of the component (as class ids), or null when the search exceeds `budget`. */
function exactSolutions(comp: Component, budget: number): number[][] | null {
  const sets = comp.sets;
  const hitsOf = new Map<number, number[]>();
  sets.forEach((s, i) => {
    for (const c of s) pushTo(hitsOf, c, i);
  });
  const hitCount = new Int32Array(sets.length);
  const forbidden = new Set<number>();
  const chosen: number[] = [];
  let work = 0;
  let found: number[][] = [];

  const firstUnhit = (): number => {
    let best = -1;
    let bestFree = Infinity;
    for (let i = 0; i < sets.length; i++) {
      if (hitCount[i]! > 0) continue;
      const free = sets[i]!.filter((c) => !forbidden.has(c)).length;
      if (free < bestFree) { best = i; bestFree = free; }
    }
    return best;
  };
  // A lower bound on the picks still needed: unhit sets over the most unhit sets one free class hits.
  const needAtLeast = (): number => {
    let unhit = 0;
    for (let i = 0; i < sets.length; i++) if (hitCount[i] === 0) unhit++;
    if (unhit === 0) return 0;
    let most = 0;
    for (const [c, hits] of hitsOf) {
      if (forbidden.has(c)) continue;
      let n = 0;
      for (const s of hits) if (hitCount[s] === 0) n++;
      most = Math.max(most, n);
    }
    return most === 0 ? Infinity : Math.ceil(unhit / most);
  };
  const dfs = (left: number): boolean => {
    if ((work += sets.length) > budget) return false;
    const s = firstUnhit();
    if (s < 0) {
      found.push([...chosen].sort((a, b) => a - b));
      return true;
    }
    if (needAtLeast() > left) return true;
    const added: number[] = [];
    let ok = true;
    for (const c of sets[s]!) {
      if (forbidden.has(c)) continue;
      chosen.push(c);
      for (const t of hitsOf.get(c)!) hitCount[t]!++;
      ok = dfs(left - 1);
      for (const t of hitsOf.get(c)!) hitCount[t]!--;
      chosen.pop();
      if (!ok) break;
      forbidden.add(c);
      added.push(c);
    }
    for (const c of added) forbidden.delete(c);
    return ok;
  };
  for (let k = 1; k <= comp.classes.length; k++) {
    found = [];
    if (!dfs(k)) return null;
    if (found.length > 0) return found;
  }
  throw new Error("no hitting set: a set without elements (should have been refused)");
}

/** Greedy largest-coverage choice, then reverse deletion of redundant classes (see the module comment). */
function greedy(comp: Component): number[] {
  const sets = comp.sets;
  const setsOf = new Map<number, number[]>();
  sets.forEach((s, i) => {
    for (const c of s) pushTo(setsOf, c, i);
  });
  const unhit = new Uint8Array(sets.length).fill(1);
  let left = sets.length;
  const chosen: number[] = [];
  while (left > 0) {
    let best = -1;
    let bestHits = 0;
    for (const [c, on] of setsOf) {
      let hits = 0;
      for (const i of on) hits += unhit[i]!;
      if (hits > bestHits || (hits === bestHits && hits > 0 && c < best)) { best = c; bestHits = hits; }
    }
    chosen.push(best);
    for (const i of setsOf.get(best)!) if (unhit[i]) { unhit[i] = 0; left--; }
  }
  // Reverse deletion: a class is redundant when every set it hits is hit by another chosen class.
  const hits = new Int32Array(sets.length);
  for (const c of chosen) for (const i of setsOf.get(c)!) hits[i]!++;
  for (let k = chosen.length - 1; k >= 0; k--) {
    const on = setsOf.get(chosen[k]!)!;
    if (!on.every((i) => hits[i]! >= 2)) continue;
    for (const i of on) hits[i]!--;
    chosen.splice(k, 1);
  }
  return chosen.sort((a, b) => a - b);
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** H(d) = 1 + 1/2 + … + 1/d: the greedy answer's bound, as a factor of the minimum. */
export function harmonic(d: number): number {
  let h = 0;
  for (let i = 1; i <= d; i++) h += 1 / i;
  return h;
}
