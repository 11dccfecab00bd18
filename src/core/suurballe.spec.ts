import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { graphOf } from "./graph.js";
import { suurballe } from "./suurballe.js";
import { net } from "./testing.js";

test("suurballe finds a disjoint pair of least total cost, exactly when one exists", () => {
  const arb = fc.integer({ min: 2, max: 7 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: 9 })).filter(([a, b]) => a < b), { maxLength: 14, selector: ([a, b]) => `${a}-${b}` }),
      node: fc.boolean(),
    }));
  let pairs = 0;
  let none = 0;
  fc.assert(fc.property(arb, ({ n, edges, node }) => {
    const names = Array.from({ length: n }, (_, i) => `r${i}`);
    const g = graphOf(net(names, edges.map(([a, b, igp]) => [`r${a}`, `r${b}`, { igp }])));
    const cost = Float64Array.from(edges, ([, , w]) => w);
    const paths: { nodes: number[]; links: number[] }[] = [];
    const walk = (u: number, nodes: number[], links: number[]) => {
      if (u === n - 1) { paths.push({ nodes, links }); return; }
      edges.forEach(([a, b], l) => {
        const v = a === u ? b : b === u ? a : -1;
        if (v >= 0 && !nodes.includes(v)) walk(v, [...nodes, v], [...links, l]);
      });
    };
    walk(0, [0], []);
    const disjoint = (x: number[], y: number[], xn: number[], yn: number[]) => !x.some((l) => y.includes(l)) && (!node || !xn.slice(1, -1).some((u) => yn.includes(u)));
    const sum = (ls: number[]) => ls.reduce((s, l) => s + cost[l]!, 0);
    let best = Infinity;
    for (let i = 0; i < paths.length; i++) for (let j = i + 1; j < paths.length; j++) {
      if (disjoint(paths[i]!.links, paths[j]!.links, paths[i]!.nodes, paths[j]!.nodes)) best = Math.min(best, sum(paths[i]!.links) + sum(paths[j]!.links));
    }
    const arcCost = Float64Array.from(edges.flatMap(([, , w]) => [w, w])); // per arc (graph.ts): both directions alike here
    const r = suurballe(g, new Uint8Array(2 * edges.length).fill(1), arcCost, 0, n - 1, node);
    if (best === Infinity) { none++; assert.equal(r, null); return; }
    pairs++;
    assert.ok(r, "a disjoint pair exists");
    const [a, b] = r.paths;
    const nodesOf = (ls: number[]) => ls.reduce((ns, l) => [...ns, edges[l]![0] === ns[ns.length - 1] ? edges[l]![1] : edges[l]![0]], [0]);
    for (const ls of [a, b]) assert.equal(nodesOf(ls)[nodesOf(ls).length - 1], n - 1, "each path ends at the destination");
    assert.ok(disjoint(a, b, nodesOf(a), nodesOf(b)), `not disjoint: ${a} / ${b}`);
    assert.equal(sum(a) + sum(b), best);
  }), { numRuns: 1000, seed: 11 });
  assert.ok(pairs > 50 && none > 50, `both outcomes must occur: ${pairs} pairs, ${none} none`);
});
