// "Did you mean …?": the known names closest to one a user got wrong. Pure.
//
// Names are compared folded: case, accents and separators (space, - _ .) ignored, so "zurich",
// "Zürich" and "ZU-RICH" are the same name. A name with a "#id" suffix (a GraphML import's
// "Louisville#487", see config/graphml.ts) is compared without it too. Best first: a folded match,
// names within a small edit distance (optimal string alignment: insertions, deletions,
// substitutions and swaps of two neighbours, counted in code points), names that start with what was
// typed, names that hold it; only the first kind when there is one.

/** What a suggestion may be at most: edits per length of the longer name, rounded down, at least 1. */
const CHARS_PER_EDIT = 4;
/** Longer input is no typo of a name; not compared, so that a hostile string costs nothing. */
const MAX_INPUT = 128;
const MIN_PREFIX = 2;
const MIN_SUBSTRING = 3;

function fold(s: string): string[] {
  const plain = s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[\s_.-]+/gu, "");
  return Array.from(plain);
}

/** Optimal string alignment distance, or `limit + 1` as soon as it must exceed `limit`. */
export function editDistance(a: readonly string[], b: readonly string[], limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Up to `max` of `candidates` that `name` is plausibly a slip for, best first (ties in the
 * candidates' natural order: "r2" before "r10"); none when nothing is close. `name` itself is never
 * suggested.
 */
export function suggestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const typed = fold(name);
  if (typed.length === 0 || typed.length > MAX_INPUT || max <= 0) return [];
  const typedText = typed.join("");
  const scored: Array<{ name: string; rank: number; by: number }> = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (c === name || seen.has(c)) continue;
    seen.add(c);
    const folded = fold(c);
    if (folded.length === 0) continue;
    const stem = /^(.+)#[^#]*$/.exec(c)?.[1];
    const forms = stem === undefined ? [folded] : [folded, fold(stem)];
    let best: { rank: number; by: number } | null = null;
    for (const form of forms) {
      const s = score(typed, typedText, form);
      if (s && (!best || s.rank < best.rank || (s.rank === best.rank && s.by < best.by))) best = s;
    }
    if (best) scored.push({ name: c, ...best });
  }
  scored.sort((x, y) => x.rank - y.rank || x.by - y.by || x.name.localeCompare(y.name, "en", { numeric: true }));
  // The same name but for case, accents or separators is what was meant: the others would be noise.
  const best = scored[0]?.rank === 0 ? scored.filter((s) => s.rank === 0) : scored;
  return best.slice(0, max).map((s) => s.name);
}

/** How close a folded candidate is to the folded input: rank (0 same, 1 edits, 2 prefix, 3 substring), then a distance; null when not close. */
function score(typed: readonly string[], typedText: string, folded: readonly string[]): { rank: number; by: number } | null {
  if (folded.length === 0) return null;
  const text = folded.join("");
  if (text === typedText) return { rank: 0, by: 0 };
  const limit = Math.max(1, Math.floor(Math.max(typed.length, folded.length) / CHARS_PER_EDIT));
  const d = editDistance(typed, folded, limit);
  // d < length: a one-letter name is one edit from every other one-letter name, not close to it.
  if (d <= limit && d < Math.min(typed.length, folded.length)) return { rank: 1, by: d };
  if (typed.length >= MIN_PREFIX && text.startsWith(typedText)) return { rank: 2, by: folded.length };
  if (typed.length >= MIN_SUBSTRING && (text.includes(typedText) || (folded.length >= MIN_SUBSTRING && typedText.includes(text)))) {
    return { rank: 3, by: Math.abs(folded.length - typed.length) };
  }
  return null;
}
