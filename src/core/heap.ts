// A binary min-heap keyed by a number, then an optional second number; remaining ties broken by
// insertion order for determinism.

export class MinHeap<T> {
  private items: { key: number; tie: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(key: number, value: T, tie = 0): void {
    const a = this.items;
    a.push({ key, tie, seq: this.seq++, value });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): { key: number; value: T } | undefined {
    const a = this.items;
    const top = a[0];
    if (!top) return undefined;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return { key: top.key, value: top.value };
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.key < b.key || (a.key === b.key && (a.tie < b.tie || (a.tie === b.tie && a.seq < b.seq)));
  }
}

/** A min-heap of (key, integer) pairs in typed arrays, for Dijkstra over router indices (lazy deletion). */
export class IndexHeap {
  private keys: Float64Array;
  private ids: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  push(key: number, id: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      const ids = new Int32Array(this.size * 2);
      ids.set(this.ids);
      this.keys = keys;
      this.ids = ids;
    }
    const k = this.keys;
    const v = this.ids;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      v[i] = v[p]!;
      i = p;
    }
    k[i] = key;
    v[i] = id;
  }

  /** The smallest key; read it before pop(). */
  get topKey(): number {
    return this.keys[0]!;
  }

  /** Removes the entry with the smallest key and returns its id. */
  pop(): number {
    const k = this.keys;
    const v = this.ids;
    const top = v[0]!;
    const n = --this.size;
    const key = k[n]!;
    const id = v[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && k[c + 1]! < k[c]!) c++;
      if (k[c]! >= key) break;
      k[i] = k[c]!;
      v[i] = v[c]!;
      i = c;
    }
    k[i] = key;
    v[i] = id;
    return top;
  }
}
