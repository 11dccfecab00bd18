// A binary min-heap for the path engine's searches.

/** A min-heap of integers keyed by (key, tie) in typed arrays, for Dijkstra over router indices
 *  (lazy deletion: the caller skips entries that are out of date). */
export class IndexHeap {
  private keys: Float64Array;
  private ties: Float64Array;
  private ids: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float64Array(Math.max(1, capacity));
    this.ties = new Float64Array(Math.max(1, capacity));
    this.ids = new Int32Array(Math.max(1, capacity));
  }

  push(key: number, id: number, tie = 0): void {
    if (this.size === this.keys.length) this.grow();
    const k = this.keys;
    const t = this.ties;
    const v = this.ids;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! < key || (k[p] === key && t[p]! <= tie)) break;
      k[i] = k[p]!;
      t[i] = t[p]!;
      v[i] = v[p]!;
      i = p;
    }
    k[i] = key;
    t[i] = tie;
    v[i] = id;
  }

  /** The smallest entry's key and tie; read them before pop(). */
  get topKey(): number {
    return this.keys[0]!;
  }

  get topTie(): number {
    return this.ties[0]!;
  }

  /** Removes the smallest entry and returns its id. */
  pop(): number {
    const k = this.keys;
    const t = this.ties;
    const v = this.ids;
    const top = v[0]!;
    const n = --this.size;
    const key = k[n]!;
    const tie = t[n]!;
    const id = v[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (k[c + 1]! < k[c]! || (k[c + 1] === k[c] && t[c + 1]! < t[c]!))) c++;
      if (k[c]! > key || (k[c] === key && t[c]! >= tie)) break;
      k[i] = k[c]!;
      t[i] = t[c]!;
      v[i] = v[c]!;
      i = c;
    }
    k[i] = key;
    t[i] = tie;
    v[i] = id;
    return top;
  }

  private grow(): void {
    const size = this.keys.length * 2;
    const keys = new Float64Array(size);
    keys.set(this.keys);
    const ties = new Float64Array(size);
    ties.set(this.ties);
    const ids = new Int32Array(size);
    ids.set(this.ids);
    this.keys = keys;
    this.ties = ties;
    this.ids = ids;
  }
}
