// Fault localisation: hand cases, and a property test against a brute force over small random
// graphs with hosts, random probed paths and random failed elements (down and degraded).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ElementRef, PathState } from "./elements.js";
import { elementKey, probedElements } from "./elements.js";
import { evidenceOf, localise, type ObservedPath } from "./localise.js";
import { simplePaths } from "./brute-force.js";
import { net } from "./testing.js";

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 300);

function observed(host: string, routers: string[], state: PathState): ObservedPath {
  const links = routers.slice(1).map((r, i) => `${routers[i]}-${r}`);
  return { id: `${host}:${routers.join(">")}`, host, state, elements: probedElements(host, routers, links) };
}

const text = (s: { element: ElementRef }[]) => s.map((x) => elementKey(x.element)).sort();

test("a link on every failing path and no healthy one is the unique suspect", () => {
  const r = localise([
    observed("h1", ["r1", "r2", "r3"], "down"),
    observed("h2", ["r4", "r2", "r3"], "down"),
    observed("h1", ["r1", "r2", "r4"], "up"),
    observed("h2", ["r4", "r3"], "up"),
  ]);
  assert.deepEqual(text(r.suspects), ["link:r2-r3"]);
  assert.deepEqual(r.suspects[0], { element: { kind: "link", id: "r2-r3" }, state: "down", confidence: 1, unique: true, failingPaths: 2, share: 1 });
  assert.deepEqual([r.downPaths, r.degradedPaths, r.unexplained.length, r.exact, r.explanationSize.down], [2, 0, 0, true, 1]);
});

test("one failing path and nothing else: every element on it is a suspect, none certain", () => {
  const r = localise([observed("h1", ["r1", "r2", "r3"], "down"), observed("h9", ["r7"], "up")]);
  assert.deepEqual(text(r.suspects), ["host:h1", "link:r1-r2", "link:r2-r3", "router:r1", "router:r2", "router:r3"]);
  for (const s of r.suspects) assert.deepEqual([s.confidence, s.unique], [1 / 6, false]);
});

test("a degraded path still forwards: it clears its elements of being down, not of being degraded", () => {
  const r = localise([
    observed("h1", ["r1", "r2", "r3"], "down"),
    observed("h1", ["r1", "r2"], "degraded"),
    observed("h2", ["r3", "r4"], "degraded"),
    observed("h2", ["r2", "r3"], "up"),
    observed("h2", ["r4"], "up"),
  ]);
  // Down: h1, r1, r1-r2 and r2 are on a degraded path, r3 and r2-r3 on an up one: no single element
  // explains h1's down path.
  assert.deepEqual(r.suspects.filter((s) => s.state === "down"), []);
  assert.deepEqual(r.unexplained.map((p) => p.id), ["h1:r1>r2>r3"]);
  // Degraded: r1-r2 / r1 / h1 for h1's path (r2 is up elsewhere), link r3-r4 for h2's (r3, r4, h2 up).
  assert.deepEqual(text(r.suspects.filter((s) => s.state === "degraded")), ["host:h1", "link:r1-r2", "link:r3-r4", "router:r1"]);
  const certain = r.suspects.find((s) => s.element.id === "r3-r4")!;
  assert.deepEqual([certain.confidence, certain.unique, certain.share], [1, true, 0.5]);
});

test("a certain fault stays certain beside an ambiguous one elsewhere", () => {
  const r = localise([observed("h1", ["r0"], "down"), observed("h2", ["r0"], "up"), observed("h0", ["r0", "r1"], "down")]);
  const h1 = r.suspects.find((s) => s.element.id === "h1")!;
  assert.deepEqual([h1.confidence, h1.unique], [1, true]);
  assert.deepEqual(r.suspects.filter((s) => s.unique).map((s) => s.element.id), ["h1"]);
});

test("unknown paths are no evidence; evidence counts paths per element and names the hosts of failing ones", () => {
  const paths = [observed("h1", ["r1", "r2"], "down"), observed("h2", ["r1", "r2"], "unknown"), observed("h2", ["r3", "r2"], "up"), observed("h3", ["r2"], "degraded")];
  const r = localise(paths);
  assert.deepEqual(text(r.suspects.filter((s) => s.state === "down")), ["host:h1", "link:r1-r2", "router:r1"]);
  const ev = evidenceOf(paths);
  assert.deepEqual(ev.get("router:r2"), { down: 1, degraded: 1, up: 1, reportedBy: ["h1", "h3"] });
  assert.deepEqual(ev.get("link:r1-r2"), { down: 1, degraded: 0, up: 0, reportedBy: ["h1"] });
  assert.equal(ev.get("host:h2")!.up, 1);
});

// ---------------------------------------------------------------------------------------------
// Property against a brute force.

interface Scenario {
  paths: ObservedPath[];
  failedDown: Set<string>;
  failedDegraded: Set<string>;
}

const MAXN = 7;
const arbScenario: fc.Arbitrary<Scenario> = fc
  .record({
    n: fc.integer({ min: 3, max: MAXN }),
    parents: fc.array(fc.nat(MAXN), { minLength: MAXN, maxLength: MAXN }),
    extra: fc.array(fc.record({ a: fc.nat(MAXN - 1), b: fc.nat(MAXN - 1) }), { maxLength: 6 }),
    hosts: fc.array(fc.nat(MAXN - 1), { minLength: 1, maxLength: 3 }),
    routes: fc.array(fc.record({ host: fc.nat(2), to: fc.nat(MAXN - 1), pick: fc.nat(50), unknown: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 10 }),
    down: fc.array(fc.nat(60), { maxLength: 3 }),
    degraded: fc.array(fc.nat(60), { maxLength: 2 }),
  })
  .map((g): Scenario => {
    const n = g.n;
    const names = Array.from({ length: n }, (_, i) => `r${i}`);
    const specs = new Map<string, [string, string]>();
    const add = (a: number, b: number) => {
      if (a !== b) specs.set(a < b ? `${a}-${b}` : `${b}-${a}`, [names[Math.min(a, b)]!, names[Math.max(a, b)]!]);
    };
    for (let j = 1; j < n; j++) add(g.parents[j]! % j, j);
    for (const e of g.extra) add(e.a % n, e.b % n);
    const topo = net(names, [...specs.values()]);
    const hostAt = g.hosts.map((r) => names[r % n]!);
    const paths = new Map<string, { host: string; routers: string[]; links: string[]; unknown: boolean }>();
    for (const r of g.routes) {
      const h = r.host % hostAt.length;
      const from = hostAt[h]!;
      const walks = simplePaths(topo, from, names[r.to % n]!);
      const w = walks[r.pick % walks.length]!;
      const host = `h${h}`;
      paths.set(`${host}:${w.nodes.join(">")}`, { host, routers: w.nodes, links: w.links.map((i) => topo.links[i]!.id), unknown: r.unknown === 0 });
    }
    const universe = [
      ...hostAt.map((_, i) => `host:h${i}`),
      ...names.map((r) => `router:${r}`),
      ...topo.links.map((l) => `link:${l.id}`),
    ];
    const failedDown = new Set(g.down.map((i) => universe[i % universe.length]!));
    const failedDegraded = new Set(g.degraded.map((i) => universe[i % universe.length]!).filter((k) => !failedDown.has(k)));
    return {
      failedDown,
      failedDegraded,
      paths: [...paths].map(([id, p]) => {
        const elements = probedElements(p.host, p.routers, p.links);
        const keys = elements.map(elementKey);
        const state: PathState = p.unknown ? "unknown" : keys.some((k) => failedDown.has(k)) ? "down" : keys.some((k) => failedDegraded.has(k)) ? "degraded" : "up";
        return { id, host: p.host, state, elements };
      }),
    };
  });

/** Every minimum set of `candidates` that hits every one of `sets`, by enumeration (null beyond `maxSize`). */
function bruteMinimum(sets: Set<string>[], candidates: string[], maxSize: number): string[][] | null {
  if (sets.length === 0) return [[]];
  for (let k = 1; k <= maxSize; k++) {
    const found: string[][] = [];
    const pick = (from: number, acc: string[]) => {
      if (acc.length === k) {
        if (sets.every((s) => acc.some((e) => s.has(e)))) found.push([...acc]);
        return;
      }
      for (let i = from; i < candidates.length; i++) pick(i + 1, [...acc, candidates[i]!]);
    };
    pick(0, []);
    if (found.length > 0) return found;
  }
  return null;
}

/** The candidates on the failing paths linked to `k`'s through shared candidates. */
function groupCandidates(sets: Set<string>[], candidates: string[], k: string): Set<string> {
  const cand = new Set(candidates);
  const group = new Set([k]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of sets) {
      if (![...s].some((e) => group.has(e))) continue;
      for (const e of s) if (cand.has(e) && !group.has(e)) { group.add(e); grew = true; }
    }
  }
  return group;
}

test("property: suspects are exactly the elements of the minimum explanations, with their shares", () => {
  const stats = { down: 0, degraded: 0, uniqueDown: 0, ambiguous: 0, unknown: 0, checkedMinimum: 0 };
  fc.assert(
    fc.property(arbScenario, ({ paths, failedDown, failedDegraded }) => {
      const r = localise(paths);
      const keysOf = (p: ObservedPath) => new Set(p.elements.map(elementKey));
      for (const [state, healthyStates, failed] of [["down", ["up", "degraded"], failedDown], ["degraded", ["up"], failedDegraded]] as const) {
        const failing = paths.filter((p) => p.state === state);
        const healthy = paths.filter((p) => (healthyStates as readonly string[]).includes(p.state));
        const onHealthy = new Set(healthy.flatMap((p) => [...keysOf(p)]));
        const candidates = [...new Set(failing.flatMap((p) => [...keysOf(p)]))].filter((k) => !onHealthy.has(k)).sort();
        const explainable = failing.filter((p) => [...keysOf(p)].some((k) => !onHealthy.has(k)));
        const suspects = r.suspects.filter((s) => s.state === state);
        const suspectKeys = new Set(suspects.map((s) => elementKey(s.element)));
        // The failure that made these states is itself an explanation: nothing is unexplained, and the minimum is no larger.
        assert.equal(explainable.length, failing.length, `${state}: a path failed by ${[...failed]} is unexplained`);
        assert.ok(r.explanationSize[state] <= failed.size, `${state}: minimum ${r.explanationSize[state]} > ${failed.size} failed elements`);
        // Every failing path crosses a suspect; no healthy path does.
        for (const p of failing) assert.ok([...keysOf(p)].some((k) => suspectKeys.has(k)), `${state} path ${p.id} crosses no suspect`);
        for (const p of healthy) assert.ok(![...keysOf(p)].some((k) => suspectKeys.has(k)), `healthy path ${p.id} crosses a ${state} suspect`);
        // Minimal, and the shares, against enumeration.
        const all = bruteMinimum(explainable.map(keysOf), candidates, 4);
        if (!all) continue;
        stats.checkedMinimum++;
        assert.equal(r.explanationSize[state], all[0]!.length, `${state}: minimum size`);
        const inSome = new Set(all.flat());
        assert.deepEqual([...suspectKeys].sort(), [...inSome].sort(), `${state}: suspects vs the union of minimum explanations`);
        for (const s of suspects) {
          const k = elementKey(s.element);
          const want = all.filter((h) => h.includes(k)).length / all.length;
          assert.ok(Math.abs(s.confidence - want) < 1e-9, `${state} ${k}: confidence ${s.confidence}, brute force ${want}`);
          // Unique: every minimum explanation takes the same elements among the candidates of k's group
          // (failing paths linked to k's through shared candidates).
          const group: Set<string> = groupCandidates(explainable.map(keysOf), candidates, k);
          const parts: Set<string> = new Set(all.map((h: string[]) => h.filter((e) => group.has(e)).sort().join(",")));
          assert.equal(s.unique, parts.size === 1, `${state} ${k}: unique`);
          assert.equal(s.failingPaths, failing.filter((p) => keysOf(p).has(k)).length);
        }
        if (failing.length > 0) stats[state]++;
        if (state === "down" && suspects.some((x) => x.unique)) stats.uniqueDown++;
        if (all.length > 1) stats.ambiguous++;
      }
      if (paths.some((p) => p.state === "unknown")) stats.unknown++;
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  for (const [k, v] of Object.entries(stats)) assert.ok(v >= RUNS * 0.05, `only ${v} runs with ${k}: ${JSON.stringify(stats)}`);
  console.log(`# localisation property: ${JSON.stringify(stats)}`);
});

test("at scale: 10,000 probed paths over 200 routers, three links failed silently, are localised exactly", () => {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const n = 200;
  const adj: { to: number; id: string }[][] = Array.from({ length: n }, () => []);
  const links: string[] = [];
  const add = (a: number, b: number) => {
    if (a === b || adj[a]!.some((x) => x.to === b)) return;
    const id = `r${a}-r${b}`;
    links.push(id);
    adj[a]!.push({ to: b, id });
    adj[b]!.push({ to: a, id });
  };
  for (let i = 1; i < n; i++) add(Math.floor(rnd() * i), i);
  for (let i = 0; i < 300; i++) add(Math.floor(rnd() * n), Math.floor(rnd() * n));
  /** Fewest hops s → t, by breadth-first search. */
  const route = (s: number, t: number) => {
    const prev = new Map<number, { u: number; id: string } | null>([[s, null]]);
    const queue = [s];
    for (let i = 0; i < queue.length && !prev.has(t); i++) {
      for (const e of adj[queue[i]!]!) if (!prev.has(e.to)) { prev.set(e.to, { u: queue[i]!, id: e.id }); queue.push(e.to); }
    }
    const routers = [`r${t}`];
    const ids: string[] = [];
    for (let x = t; x !== s; ) {
      const p = prev.get(x)!;
      ids.unshift(p.id);
      routers.unshift(`r${p.u}`);
      x = p.u;
    }
    return { routers, ids };
  };
  const failed = new Set([links[5]!, links[77]!, links[300]!]);
  const paths: ObservedPath[] = [];
  for (let h = 0; h < 500; h++) {
    const at = Math.floor(rnd() * n);
    for (let k = 0; k < 20; k++) {
      const { routers, ids } = route(at, Math.floor(rnd() * n));
      paths.push({ id: `h${h}:${k}`, host: `h${h}`, state: ids.some((l) => failed.has(l)) ? "down" : "up", elements: probedElements(`h${h}`, routers, ids) });
    }
  }
  const started = performance.now();
  const r = localise(paths);
  const ms = performance.now() - started;
  assert.deepEqual(r.suspects.map((s) => [s.element.id, s.confidence, s.unique]).sort(), [...failed].sort().map((id) => [id, 1, true]));
  assert.deepEqual([r.unexplained.length, r.exact, r.downPaths > 100], [0, true, true]);
  // Everything failing and nothing healthy: no single answer, so the search gives up for the greedy one.
  const started2 = performance.now();
  const all = localise(paths.slice(0, 2000).map((p) => ({ ...p, state: "down" as const })));
  const ms2 = performance.now() - started2;
  assert.equal(all.exact, false);
  console.log(`# localisation at scale: ${paths.length} paths (${r.downPaths} down) in ${ms.toFixed(1)} ms; 2000 down, none healthy, greedy in ${ms2.toFixed(1)} ms`);
});
