// How operators and intents name links. A link's id names that link; "a-b" (either order) names
// every link between routers a and b: the one link, or all of a pair's parallel links. An id comes
// first: it is "a-b" as written for a lone link without an explicit id, and explicit ids cannot
// look like a pair (the topology file allows no "-" in them). Pure.
import type { Link, Topology } from "./model.js";

/** The pair spelling of a link, either way round. */
export function pairForms(l: Pick<Link, "a" | "b">): [string, string] {
  return [`${l.a}-${l.b}`, `${l.b}-${l.a}`];
}

/**
 * Every way a link may be written, each mapped to its canonical reference: a link's id to itself;
 * "a-b" and "b-a" to the lone link's id, or, for parallel links, to "a-b" with the routers in
 * name order (which names them all).
 */
export function linkSpellings(t: Pick<Topology, "links">): Map<string, string> {
  const byPair = new Map<string, Link[]>();
  for (const l of t.links) {
    const key = [l.a, l.b].sort().join("-");
    byPair.set(key, [...(byPair.get(key) ?? []), l]);
  }
  const out = new Map<string, string>();
  for (const [key, links] of byPair) {
    const ref = links.length === 1 ? links[0]!.id : key;
    for (const form of pairForms(links[0]!)) out.set(form, ref);
  }
  for (const l of t.links) out.set(l.id, l.id);
  return out;
}
