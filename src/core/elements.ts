// The parts of the network liveliness talks about: links, routers, and hosts (a host stands for
// itself and its uplink, which every probe it sends crosses twice), and the states of paths and
// elements. Plain data. Pure.

export type ElementKind = "link" | "router" | "host";
export const ELEMENT_KINDS: readonly ElementKind[] = ["link", "router", "host"];

export interface ElementRef {
  kind: ElementKind;
  /** A link's id ("a-b", as in the topology file), a router's or a host's name. */
  id: string;
}

/** One string per element, for maps and sets: "link:r2-r3", "router:r5", "host:h1". */
export function elementKey(e: ElementRef): string {
  return `${e.kind}:${e.id}`;
}

export function elementFromKey(key: string): ElementRef {
  const i = key.indexOf(":");
  const kind = key.slice(0, i) as ElementKind;
  if (i < 0 || !ELEMENT_KINDS.includes(kind)) throw new Error(`"${key}" is not an element key`);
  return { kind, id: key.slice(i + 1) };
}

/** "link r2-r3". */
export function elementText(e: ElementRef): string {
  return `${e.kind} ${e.id}`;
}

/** What a path's probes say. unknown: no verdict yet (a new probe stream). */
export type PathState = "up" | "degraded" | "down" | "unknown";
export const PATH_STATES: readonly PathState[] = ["up", "degraded", "down", "unknown"];

/** An element's state in the overlay; "up" when unmarked. */
export type ElementState = "up" | "degraded" | "down";
export const ELEMENT_STATES: readonly ElementState[] = ["up", "degraded", "down"];

/** The elements a host's loopback probe crosses: the host (and its uplink), every router and link of the path. */
export function probedElements(host: string, routers: readonly string[], links: readonly string[]): ElementRef[] {
  return [
    { kind: "host", id: host },
    ...[...new Set(routers)].map((id): ElementRef => ({ kind: "router", id })),
    ...[...new Set(links)].map((id): ElementRef => ({ kind: "link", id })),
  ];
}

/** A loopback probe the controller asks a host to run for a path no rule uses (WatchSet in the API). */
export interface WatchProbe {
  probeSids: string[];
  routers: string[];
  links: string[];
  /** Why, e.g. "link r2-r3 marked down". */
  reason: string;
}
