// Names for probed paths in metric labels: the routers, "r1>r2>r3>r4", as the CLI shows them. The two
// streams of a dual-stack path (one probe SID list) share a name; paths through the same routers over
// different links (parallel links) are told apart by their links, then by their probe SIDs.

export interface NamedPath {
  key: string;
  probe: readonly string[];
  nodes: readonly string[];
  links: readonly string[];
}

/** Path key → its label. */
export function pathLabels(paths: Iterable<NamedPath>): Map<string, string> {
  const byProbe = new Map<string, NamedPath[]>();
  for (const p of paths) {
    const id = p.probe.join(",");
    byProbe.set(id, [...(byProbe.get(id) ?? []), p]);
  }
  const groups = [...byProbe.values()];
  const name = (p: NamedPath) => p.nodes.join(">") || p.probe.join(",");
  const withLinks = (p: NamedPath) => (p.links.length > 0 ? `${name(p)} via ${p.links.join(",")}` : name(p));
  const unique = (f: (p: NamedPath) => string) => {
    const seen = new Map<string, number>();
    for (const g of groups) seen.set(f(g[0]!), (seen.get(f(g[0]!)) ?? 0) + 1);
    return (p: NamedPath) => seen.get(f(p)) === 1;
  };
  const nameUnique = unique(name);
  const linksUnique = unique(withLinks);
  const out = new Map<string, string>();
  for (const g of groups) {
    const first = g[0]!;
    const label = nameUnique(first) ? name(first) : linksUnique(first) ? withLinks(first) : `${withLinks(first)} [${first.probe.join(",")}]`;
    for (const p of g) out.set(p.key, label);
  }
  return out;
}
