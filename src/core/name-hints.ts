// The sentence appended to "no router named …": the nearest names (suggest.ts), or, when none is
// close, a few of the names and where to see them all. Pure.
import type { Topology } from "./model.js";
import { quote } from "./quote.js";
import { suggestNames } from "./suggest.js";

/** Up to this many names are listed in full when none is close. */
const LIST_ALL = 6;
const EXAMPLES = 3;

const names = (list: readonly string[]) => list.map((n) => quote(n));

function either(list: readonly string[]): string {
  const q = names(list);
  return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}

function all(list: readonly string[]): string {
  const q = names(list);
  return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

export interface HintOptions {
  /** What the candidates are, plural: "routers", "hosts", "routers and hosts". */
  what: string;
  /** A command that lists them all, e.g. "cairn topology show t.yaml". */
  listedBy?: string;
}

/** `did you mean "A" or "B"?`, or null when no candidate is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | null {
  const near = suggestNames(name, candidates);
  return near.length ? `did you mean ${either(near)}?` : null;
}

/** The hint for an unknown `name` among `candidates` (in the order to show them). */
export function unknownNameHint(name: string, candidates: readonly string[], o: HintOptions): string {
  return didYouMean(name, candidates) ?? noCloseName(candidates, o);
}

function noCloseName(candidates: readonly string[], o: HintOptions): string {
  if (candidates.length === 0) return `the topology has no ${o.what}`;
  if (candidates.length <= LIST_ALL) return `the ${o.what} are ${all(candidates)}`;
  const seeAll = o.listedBy ? `; \`${o.listedBy}\` lists them all` : "";
  return `the topology has ${candidates.length} ${o.what}, e.g. ${names(candidates.slice(0, EXAMPLES)).join(", ")}${seeAll}`;
}

export { linkSpellings } from "./link-refs.js";

/**
 * The hint for an unknown `text` among names that have several spellings (a link's "a-b" and
 * "b-a"), each mapped to what it names: the nearest spellings, one per thing, else a few of them.
 */
export function unknownSpellingHint(text: string, spellings: ReadonlyMap<string, string>, o: HintOptions): string {
  const seen = new Set<string>();
  const near = suggestNames(text, spellings.keys(), spellings.size).filter((s) => {
    const id = spellings.get(s)!;
    return seen.has(id) ? false : (seen.add(id), true);
  });
  if (near.length) return `did you mean ${either(near.slice(0, EXAMPLES))}?`;
  return noCloseName([...new Set(spellings.values())], o);
}

/** The hint for an unknown link, given every spelling of every link (linkSpellings, or topologyNames' linkIds). */
export function unknownLinkHint(text: string, spellings: ReadonlyMap<string, string>, o: Omit<HintOptions, "what"> = {}): string {
  return unknownSpellingHint(text, spellings, { ...o, what: "links" });
}

/** Where a message cannot name the topology file: how to list its names. */
export const LIST_TOPOLOGY = "cairn topology show TOPOLOGY";

/** Routers, then hosts: what a node name may be. */
export function nodeNames(t: Pick<Topology, "routers" | "hosts">): string[] {
  return [...t.routers.map((r) => r.name), ...t.hosts.map((h) => h.name)];
}
