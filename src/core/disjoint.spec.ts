import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { graphOf } from "./graph.js";
import { disjointPairExists } from "./disjoint.js";
import { net } from "./testing.js";

/** Every simple path from s to t, as link index lists (brute force, small graphs only). */
function simplePaths(adj: [number, number][][], s: number, t: number): { nodes: number[]; links: number[] }[] {
  const out: { nodes: number[]; links: number[] }[] = [];
  const walk = (u: number, nodes: number[], links: number[]) => {
    if (u === t) { out.push({ nodes: [...nodes], links: [...links] }); return; }
    for (const [v, l] of adj[u]!) if (!nodes.includes(v)) walk(v, [...nodes, v], [...links, l]);
  };
  walk(s, [s], []);
  return out;
}

test("disjointPairExists agrees with brute force for any given path, link and node sense", () => {
  const arb = fc.integer({ min: 2, max: 7 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })).filter(([a, b]) => a < b), { maxLength: 14, selector: ([a, b]) => `${a}-${b}` }),
      pick: fc.nat(),
      node: fc.boolean(),
    }));
  let yes = 0;
  let no = 0;
  fc.assert(fc.property(arb, ({ n, edges, pick, node }) => {
    const names = Array.from({ length: n }, (_, i) => `r${i}`);
    const topo = net(names, edges.map(([a, b]) => [`r${a}`, `r${b}`]));
    const g = graphOf(topo);
    const adj: [number, number][][] = names.map(() => []);
    edges.forEach(([a, b], l) => { adj[a]!.push([b, l]); adj[b]!.push([a, l]); });
    const paths = simplePaths(adj, 0, n - 1);
    if (paths.length === 0) return;
    const p = paths[pick % paths.length]!;
    const disjoint = (x: typeof p, y: typeof p) => !x.links.some((l) => y.links.includes(l)) && (!node || !x.nodes.slice(1, -1).some((u) => y.nodes.includes(u)));
    const expected = paths.some((x, i) => paths.some((y, j) => i < j && disjoint(x, y)));
    const allowed = new Uint8Array(2 * edges.length).fill(1); // per arc
    assert.equal(disjointPairExists(g, allowed, p.nodes, p.links, node), expected, `path ${p.nodes.join(">")} node=${node}`);
    if (expected) yes++; else no++;
  }), { numRuns: 1000, seed: 20261126 });
  assert.ok(yes > 50 && no > 50, `both answers must occur: ${yes} yes, ${no} no`);
});
