// Checked readers for the measured values both config files use: durations, rates and
// ratios (written as a percentage or a plain fraction). Each reports its own located error.
import { quote } from "../core/quote.js";
import { isScalar } from "yaml";
import { parseDurationUs, parseRateBps, parseRatio } from "../core/units.js";
import type { UnitResult } from "../core/units.js";
import type { Field } from "./yaml-reader.js";

/**
 * A duration ("2ms") or rate ("10Gbps"): `fallback` when absent, null after reporting a problem.
 * With `zero: true` the value may be zero, and a bare 0 needs no unit.
 */
export function measured(
  f: Field | undefined,
  parse: (text: string) => UnitResult,
  fallback: number,
  opts: { zero?: boolean } = {},
): number | null {
  if (!f?.present) return fallback;
  const text = f.string();
  if (text === null) return null;
  if (opts.zero && /^\s*0+(?:\.0+)?\s*$/.test(text)) return 0;
  const r = parse(text);
  if (!r.ok) {
    f.error(r.reason);
    return null;
  }
  if (r.value < 0 || (r.value === 0 && !opts.zero)) {
    f.error(`must be greater than zero, got ${quote(text)}`);
    return null;
  }
  return r.value;
}

export const duration = (f: Field | undefined, fallback: number, opts: { zero?: boolean } = {}) =>
  measured(f, parseDurationUs, fallback, opts);
export const rate = (f: Field | undefined, fallback: number) => measured(f, parseRateBps, fallback);

/**
 * A share from 0 to 1, written "40%" or 0.4: `fallback` when absent, null after reporting a problem.
 * `below1`: 1 (100%) itself is out of range (a loss of 100% would make every path useless).
 */
export function ratio(f: Field | undefined, fallback: number, opts: { below1?: boolean } = {}): number | null {
  if (!f?.present) return fallback;
  // A YAML number is taken as is (its text form may be 1e-7, which parseRatio does not read).
  const raw = isScalar(f.node) ? f.node.value : undefined;
  const text = typeof raw === "number" ? String(raw) : f.string();
  if (text === null) return null;
  const r: UnitResult = typeof raw === "number" ? (raw >= 0 ? { ok: true, value: raw } : { ok: false, reason: `cannot be negative, got ${text}` }) : parseRatio(text, Infinity);
  if (!r.ok) {
    f.error(r.reason);
    return null;
  }
  const isPct = text.trim().endsWith("%");
  if (r.value > 1 || (opts.below1 && r.value === 1)) {
    const range = opts.below1 ? "from 0% up to (not including) 100%, or a ratio from 0 up to (not including) 1" : "from 0% to 100%, or a ratio from 0 to 1";
    const hint = !isPct && r.value <= 100 ? `; for ${r.value} percent write "${r.value}%"` : "";
    f.error(`${quote(text)} is out of range: write a percentage ${range}${hint}`);
    return null;
  }
  return r.value;
}
