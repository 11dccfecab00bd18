// One `links:` entry of a topology file: its id and its metrics, each either one value for both
// directions or a mapping keyed by the router that sends (`igp: { r1: 10, r2: 30 }`: 10 from r1
// towards r2, 30 from r2 towards r1), with every problem located. Checks that need all the links
// (duplicate ids, parallel links without ids) are parallelLinkProblems'.
import { quote } from "../core/quote.js";
import type { LinkMetrics } from "../core/model.js";
import { LINK_DEFAULTS } from "../core/model.js";
import { duration, rate, ratio } from "./values.js";
import type { Field } from "./yaml-reader.js";

export const MAX_IGP = 16_777_215; // IS-IS wide metric
/** An explicit link id: no `-`, which joins the two routers of "a-b" (every link between them). */
export const LINK_ID = /^[A-Za-z0-9][A-Za-z0-9_.]{0,31}$/;
export const LINK_ID_RULE = "a letter or digit, then up to 31 letters, digits, _ or . (no -: \"a-b\" names every link between a and b)";
/** The keys a metric may be written under, per direction. */
export const DIRECTED_KEYS = ["igp", "te", "delay", "jitter", "loss", "bandwidth", "utilization"] as const;

type Reader<T> = (f: Field | undefined) => T | null;

/**
 * A metric for each direction: [from a, from b]. Absent or one value: the same both ways; a mapping
 * names both ends, each the router the value leaves from. null after reporting a problem.
 */
export function perDirection<T>(f: Field | undefined, a: string, b: string, read: Reader<T>): [T, T] | null {
  if (!f?.present || !f.isMap) {
    const v = read(f);
    return v === null ? null : [v, v];
  }
  const m = f.map([a, b]);
  if (!m) return null;
  const key = f.path.slice(f.path.lastIndexOf(".") + 1);
  for (const [from, to] of [[a, b], [b, a]] as const) {
    if (!m.get(from)?.present) f.unwrittenError(from, `missing ${from}'s ${key} (from ${from} towards ${to}): a value per direction is a mapping of both ends, ${a} and ${b}, each to the value of what it sends`);
  }
  if (!m.get(a)?.present || !m.get(b)?.present) return null;
  const x = read(m.get(a));
  const y = read(m.get(b));
  return x === null || y === null ? null : [x, y];
}

/** The entry's metrics in each direction ([a→b, b→a]); null after reporting a problem. `a`/`b`
 *  null (unknown routers, already reported): scalars are still checked, mappings are not. */
export function linkMetrics(f: Map<string, Field>, a: string | null, b: string | null): [LinkMetrics, LinkMetrics] | null {
  if (a === null || b === null || a === b) {
    for (const k of DIRECTED_KEYS) if (f.get(k)?.isMap) return null;
    return linkMetrics(f, "\u0000a", "\u0000b");
  }
  const integer = (fallback: number | null): Reader<number> => (x) => (x?.present ? x.integer(1, MAX_IGP) : fallback);
  const igp = perDirection(f.get("igp"), a, b, integer(LINK_DEFAULTS.igp));
  // te defaults to each direction's own igp.
  const teField = f.get("te");
  const te: [number | null, number | null] | null = teField?.present ? perDirection(teField, a, b, integer(null)) : igp;
  const delayUs = perDirection(f.get("delay"), a, b, (x) => duration(x, LINK_DEFAULTS.delayUs));
  const jitterUs = perDirection(f.get("jitter"), a, b, (x) => duration(x, LINK_DEFAULTS.jitterUs, { zero: true }));
  const loss = perDirection(f.get("loss"), a, b, (x) => ratio(x, LINK_DEFAULTS.loss, { below1: true }));
  const bandwidthBps = perDirection(f.get("bandwidth"), a, b, (x) => rate(x, LINK_DEFAULTS.bandwidthBps));
  const utilization = perDirection(f.get("utilization"), a, b, (x) => ratio(x, LINK_DEFAULTS.utilization));
  if (!igp || !te || !delayUs || !jitterUs || !loss || !bandwidthBps || !utilization) return null;
  const dir = (i: 0 | 1): LinkMetrics | null => {
    const t = te[i];
    if (t === null || t === undefined) return null;
    return { igp: igp[i], te: t, delayUs: delayUs[i], jitterUs: jitterUs[i], loss: loss[i], bandwidthBps: bandwidthBps[i], utilization: utilization[i] };
  };
  const ab = dir(0);
  const ba = dir(1);
  return ab && ba ? [ab, ba] : null;
}

/** The entry's `id`: undefined when absent, null after reporting a problem. */
export function linkIdField(f: Field | undefined): string | undefined | null {
  if (!f?.present) return undefined;
  const v = f.string();
  if (v === null) return null;
  if (!LINK_ID.test(v)) {
    f.error(`${quote(v)} is not a valid link id: ${LINK_ID_RULE}`);
    return null;
  }
  return v;
}

/** What parallelLinkProblems needs of each link read. */
export interface LinkLine {
  a: string;
  b: string;
  /** The written id, if any. */
  id?: string;
  line: number;
  item: Field;
  idField?: Field;
}

/**
 * Ids must be unique; two or more links between the same routers (parallel links) each need an
 * explicit id, since "a-b" names all of them. Reported at every entry concerned, whatever the
 * order of the lines. Returns the indexes of the entries to drop.
 */
export function parallelLinkProblems(lines: LinkLine[]): Set<number> {
  const bad = new Set<number>();
  const byId = new Map<string, number>();
  lines.forEach((l, i) => {
    if (l.id === undefined) return;
    const first = byId.get(l.id);
    if (first !== undefined) { l.idField!.error(`duplicate link id ${quote(l.id)} (first at line ${lines[first]!.line})`); bad.add(i); }
    else byId.set(l.id, i);
  });
  const byPair = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const pair = [l.a, l.b].sort().join("\u0000");
    byPair.set(pair, [...(byPair.get(pair) ?? []), i]);
  });
  for (const group of byPair.values()) {
    if (group.length < 2) continue;
    for (const i of group) {
      const l = lines[i]!;
      if (l.id !== undefined) continue;
      const others = group.filter((j) => j !== i).map((j) => lines[j]!.line);
      l.item.unwrittenError("id", `${l.a} and ${l.b} are joined by ${group.length} links (also at line${others.length > 1 ? "s" : ""} ${others.join(", ")}): parallel links need an id each, since ${l.a}-${l.b} names them all; to keep a link's SIDs while giving it an id, write them as sidA and sidB (cairn topology show prints them)`);
      bad.add(i);
    }
  }
  return bad;
}
