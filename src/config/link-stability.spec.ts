// Property: a link's id, metrics per direction and End.X SIDs are its own, whatever the other lines
// of the file: reordering routers and links, and adding routers and links (parallel ones included),
// changes nothing about the links already there. For the YAML topology file and for GraphML.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Link } from "../core/model.js";
import { parseTopology } from "./topology-file.js";
import { parseGraphml } from "./graphml.js";
import { formatConfigError } from "./errors.js";

const SEED = Number(process.env.FC_SEED ?? 20261130);
const RUNS = Number(process.env.FC_RUNS ?? 200);

interface RawLink {
  pair: [number, number];
  /** Links between the pair: 1 (a lone link, maybe without id) or more (parallel, each with an id). */
  count: number;
  named: boolean;
  igp: [number, number][];
}

const arbWorld = fc.integer({ min: 2, max: 6 }).chain((n) => fc.record({
  n: fc.constant(n),
  links: fc.uniqueArray(fc.record({
    pair: fc.tuple(fc.nat(n - 1), fc.nat(n - 1)).filter(([a, b]) => a !== b),
    count: fc.integer({ min: 1, max: 3 }),
    named: fc.boolean(),
    igp: fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })), { minLength: 3, maxLength: 3 }),
  }), { maxLength: 8, selector: (l) => [...l.pair].sort().join("|") }),
  order: fc.integer(),
  extra: fc.integer({ min: 0, max: 2 }),
}));

const shuffle = <T>(xs: T[], seed: number) => xs.map((x, i) => ({ x, k: Math.imul(seed ^ (i * 0x9e3779b1), 0x85ebca6b) >>> 0 })).sort((p, q) => p.k - q.k).map((p) => p.x);

/** One YAML line per link: parallel ones (and some lone ones) with ids, IGP per direction. */
function linkLines(links: RawLink[]): string[] {
  return links.flatMap((l, p) => Array.from({ length: l.count }, (_, k) => {
    const [a, b] = [`r${l.pair[0]}`, `r${l.pair[1]}`];
    const [x, y] = l.igp[k]!;
    const id = l.count > 1 || l.named ? `id: p${l.pair.join("x")}k${k}, ` : "";
    return `  - { ${id}a: ${a}, b: ${b}, igp: { ${a}: ${x}, ${b}: ${y} }, srlgs: [s${p}k${k}] }`;
  }));
}

function yamlOf(routers: number[], lines: string[]): string {
  return `routers:\n${routers.map((i) => `  - { name: r${i}, locator: "fc00:0:${(i + 1).toString(16)}::/48" }`).join("\n")}\nhosts: []\n${lines.length ? `links:\n${lines.join("\n")}` : "links: []"}\n`;
}

function byId(links: Link[]): Map<string, Link> {
  return new Map(links.map((l) => [l.id, l]));
}

test("property: a YAML link keeps its id, per-direction metrics and End.X SIDs when lines are reordered and others added", () => {
  fc.assert(fc.property(arbWorld, ({ n, links, order, extra }) => {
    const first = parseTopology(yamlOf(Array.from({ length: n }, (_, i) => i), linkLines(links)), "t.yaml");
    assert.ok(first.ok, first.ok ? "" : first.errors.map(formatConfigError).join("\n"));
    // New routers r<n>…, each joined to r0 by two parallel links and to r1 by one.
    const added: RawLink[] = Array.from({ length: extra }, (_, j) => [
      { pair: [n + j, 0] as [number, number], count: 2, named: true, igp: [[1, 2], [3, 4], [5, 6]] as [number, number][] },
      { pair: [1, n + j] as [number, number], count: 1, named: false, igp: [[7, 7], [7, 7], [7, 7]] as [number, number][] },
    ]).flat();
    const routers = shuffle(Array.from({ length: n + extra }, (_, i) => i), order);
    const second = parseTopology(yamlOf(routers, shuffle([...linkLines(links), ...linkLines(added)], order ^ 0x5bd1e995)), "t.yaml");
    assert.ok(second.ok, second.ok ? "" : second.errors.map(formatConfigError).join("\n"));
    const after = byId(second.value.links);
    for (const l of first.value.links) assert.deepEqual(after.get(l.id), l, `link ${l.id}`);
    // Every link has its own End.X SIDs.
    const sids = second.value.links.flatMap((l) => [l.sidA, l.sidB]);
    assert.equal(new Set(sids).size, sids.length);
  }), { seed: SEED, numRuns: RUNS });
});

/** GraphML with numbered nodes (id = router number) and every edge keyed within its pair. */
function graphmlOf(nodes: number[], edges: { s: number; t: number; key: number }[]): string {
  return `<graphml><key id="k" for="edge" attr.name="key"/><key id="la" for="node" attr.name="Latitude"/><key id="lo" for="node" attr.name="Longitude"/><key id="n" for="node" attr.name="label"/><graph>
${nodes.map((i) => `<node id="${i}"><data key="n">N${i}</data><data key="la">${i}</data><data key="lo">${i % 7}</data></node>`).join("\n")}
${edges.map((e) => `<edge source="${e.s}" target="${e.t}"><data key="k">${e.key}</data></edge>`).join("\n")}
</graph></graphml>`;
}

test("property: a GraphML link's id (a-b#<key> when parallel), its routers' locators and its SIDs survive reordering nodes and edges, and added ones", () => {
  fc.assert(fc.property(arbWorld, ({ n, links, order, extra }) => {
    const edgesOf = (ls: RawLink[]) => ls.flatMap((l) => Array.from({ length: l.count }, (_, key) => ({ s: l.pair[0], t: l.pair[1], key })));
    const r1 = parseGraphml(graphmlOf(Array.from({ length: n }, (_, i) => i), edgesOf(links)), "t.graphml");
    assert.ok(r1.ok, r1.ok ? "" : r1.errors.map(formatConfigError).join("\n"));
    const added: RawLink[] = Array.from({ length: extra }, (_, j) => ({ pair: [n + j, 0] as [number, number], count: 2, named: true, igp: [] }));
    const nodes = shuffle(Array.from({ length: n + extra }, (_, i) => i), order);
    const r2 = parseGraphml(graphmlOf(nodes, shuffle([...edgesOf(links), ...edgesOf(added)], order ^ 0x27d4eb2f)), "t.graphml");
    assert.ok(r2.ok, r2.ok ? "" : r2.errors.map(formatConfigError).join("\n"));
    const after = byId(r2.value.topology.links);
    for (const l of r1.value.topology.links) assert.deepEqual(after.get(l.id), l, `link ${l.id}`);
    const loc = new Map(r2.value.topology.routers.map((r) => [r.name, r.locator]));
    for (const r of r1.value.topology.routers) assert.equal(loc.get(r.name), r.locator, `${r.name}'s locator`);
    for (const l of links) if (l.count > 1) assert.ok(after.has(`N${l.pair[0]}-N${l.pair[1]}#${l.count - 1}`), "parallel ids carry the edge key");
  }), { seed: SEED, numRuns: RUNS });
});
