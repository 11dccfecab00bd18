// How the fuzz tests run: a fixed seed (the same cases on every run and in CI) unless
// CAIRN_FUZZ_SEED says another, and a small number of cases per test unless CAIRN_FUZZ_RUNS asks
// for more (a long run: CAIRN_FUZZ_RUNS=5000 CAIRN_FUZZ_SEED=$RANDOM). Tests only.
import type { TestContext } from "node:test";
import fc from "fast-check";

export const DEFAULT_FUZZ_SEED = 20_261_130;

export function fuzzSeed(): number {
  const s = process.env["CAIRN_FUZZ_SEED"];
  if (s === undefined || s === "") return DEFAULT_FUZZ_SEED;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`CAIRN_FUZZ_SEED must be a whole number, got ${JSON.stringify(s)}`);
  return n;
}

/** Cases for one fuzz test: CAIRN_FUZZ_RUNS times `share` (this test's part of a run), else `fallback`. */
export function fuzzRuns(fallback: number, share = 1): number {
  const s = process.env["CAIRN_FUZZ_RUNS"];
  if (s === undefined || s === "") return fallback;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`CAIRN_FUZZ_RUNS must be a whole number ≥ 1, got ${JSON.stringify(s)}`);
  return Math.max(1, Math.round(n * share));
}

/**
 * Runs `property` over `runs` cases from the fuzz seed; a failure names the seed and the shrunk case
 * (fast-check's report), so that it can be replayed. Logs the number of cases run as a diagnostic.
 */
export async function fuzz<T>(t: TestContext, arb: fc.Arbitrary<T>, runs: number, property: (value: T) => Promise<void> | void): Promise<number> {
  let cases = 0;
  const seed = fuzzSeed();
  report(
    await fc.check(
      fc.asyncProperty(arb, async (v) => {
        cases++;
        await property(v);
      }),
      { seed, numRuns: runs, endOnFailure: true },
    ),
  );
  t.diagnostic(`fuzz: ${cases} cases (seed ${seed})`);
  return cases;
}

/** `fuzz` for a synchronous property (no promise per case: faster for pure parsers). */
export function fuzzSync<T>(t: TestContext, arb: fc.Arbitrary<T>, runs: number, property: (value: T) => void): number {
  let cases = 0;
  const seed = fuzzSeed();
  report(
    fc.check(
      fc.property(arb, (v) => {
        cases++;
        property(v);
      }),
      { seed, numRuns: runs, endOnFailure: true },
    ),
  );
  t.diagnostic(`fuzz: ${cases} cases (seed ${seed})`);
  return cases;
}

/** A failed run as one readable error: the case (cut: fuzzed inputs can be large), why, and how to replay it. */
function report<T>(d: fc.RunDetails<T>): void {
  if (!d.failed) return;
  let shown = fc.stringify(d.counterexample);
  if (shown.length > 3000) shown = `${shown.slice(0, 3000)}… (${shown.length} characters)`;
  const why = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
  throw new Error(`fuzz case failed (seed ${d.seed}, path "${d.counterexample === null ? "" : d.counterexamplePath}"; replay: CAIRN_FUZZ_SEED=${d.seed}):\n${why}\ncase: ${shown}`);
}
