// Shared benchmark plumbing: the Topology Zoo data, a seeded RNG, timing and reporting.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Topology } from "../src/core/model.js";
import { loadAnyTopology } from "../src/config/load.js";
import { zooDir } from "../src/config/zoo-data.js";

/** CAIRN_BENCH_SMOKE=1: tiny runs that only check the benchmarks still work and still agree with their baselines (the test script does this). */
export const SMOKE = process.env.CAIRN_BENCH_SMOKE === "1";

/** A benchmark's size: an environment override, else the full size, or the smoke size under SMOKE. */
export function size(envName: string, full: number, smoke: number): number {
  const v = process.env[envName];
  if (v !== undefined) return Number(v);
  return SMOKE ? smoke : full;
}

export const ZOO_DIR = zooDir();

export async function zoo(name: string): Promise<Topology> {
  const file = join(ZOO_DIR, `${name}.graphml`);
  if (!existsSync(file)) throw new Error(`benchmark data missing: ${file}`);
  return (await loadAnyTopology(file)).topology;
}

/** Park–Miller: the same queries on every run. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** Random ordered pairs of distinct routers that have at least one link each. */
export function randomPairs(t: Topology, n: number, seed: number): [string, string][] {
  const linked = new Set(t.links.flatMap((l) => [l.a, l.b]));
  const names = t.routers.map((r) => r.name).filter((x) => linked.has(x));
  const r = rng(seed);
  const out: [string, string][] = [];
  while (out.length < n) {
    const a = names[Math.floor(r() * names.length)]!;
    const b = names[Math.floor(r() * names.length)]!;
    if (a !== b) out.push([a, b]);
  }
  return out;
}

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Timing {
  totalMs: number;
  medianMs: number;
  p99Ms: number;
}

/** Times fn(item) for each item; returns total and per-call distribution. */
export function timeEach<T>(items: T[], fn: (item: T) => unknown): Timing {
  const each: number[] = [];
  const start = performance.now();
  for (const item of items) {
    const t0 = performance.now();
    fn(item);
    each.push(performance.now() - t0);
  }
  const totalMs = performance.now() - start;
  each.sort((a, b) => a - b);
  return { totalMs, medianMs: quantile(each, 0.5), p99Ms: quantile(each, 0.99) };
}

export const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));

export function printTiming(label: string, t: Timing): void {
  console.log(`  ${label.padEnd(44)} total ${ms(t.totalMs).padStart(9)} ms   median ${ms(t.medianMs).padStart(8)} ms   p99 ${ms(t.p99Ms).padStart(8)} ms`);
}

export function printRatio(label: string, ours: number, baseline: number): void {
  const r = baseline / ours;
  console.log(`  ${label}: ${r >= 1 ? `${r.toFixed(1)}x faster` : `${(1 / r).toFixed(1)}x slower`} than the baseline`);
}
