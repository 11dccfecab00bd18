// Parsing and printing of the quantities users read and write: durations (us, ms, s), rates
// (bps … Gbps), ratios, counts. Pure.

import { quote } from "./quote.js";

const DURATION_US: Record<string, number> = { us: 1, ms: 1_000, s: 1_000_000 };
const RATE_BPS: Record<string, number> = { bps: 1, Kbps: 1e3, Mbps: 1e6, Gbps: 1e9, Tbps: 1e12 };

export type UnitResult = { ok: true; value: number } | { ok: false; reason: string };

function parseWithUnits(text: string, units: Record<string, number>, what: string): UnitResult {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const names = Object.keys(units).join(", ");
  if (!m) return { ok: false, reason: `${quote(text)} is not a ${what}: write a number and a unit (${names})` };
  const factor = units[m[2]!];
  if (factor === undefined) return { ok: false, reason: `unknown unit ${quote(m[2]!)} in ${quote(text)}: use one of ${names}` };
  const value = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(value)) return { ok: false, reason: `${quote(text)} is too large` };
  return { ok: true, value };
}

/** "2ms" → 2000 (microseconds). */
export function parseDurationUs(text: string): UnitResult {
  return parseWithUnits(text, DURATION_US, "duration");
}

/** "10Gbps" → 1e10 (bits per second). */
export function parseRateBps(text: string): UnitResult {
  return parseWithUnits(text, RATE_BPS, "rate");
}

export function formatDurationUs(us: number): string {
  if (us >= 1_000_000 && us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us >= 1000) return `${+(us / 1000).toFixed(3)}ms`;
  return `${us}us`;
}

export function formatRateBps(bps: number): string {
  for (const [unit, f] of [["Tbps", 1e12], ["Gbps", 1e9], ["Mbps", 1e6], ["Kbps", 1e3]] as const) {
    if (bps >= f) return `${+(bps / f).toFixed(3)}${unit}`;
  }
  return `${bps}bps`;
}

/** "0.5%" → 0.005; "0.005" → 0.005. For loss and utilization; `max` is the largest ratio allowed. */
export function parseRatio(text: string, max = 1): UnitResult {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) return { ok: false, reason: `${quote(text)} is not a ratio: write a percentage like 0.5% or a number like 0.005` };
  const value = Number(m[1]) / (m[2] ? 100 : 1);
  if (value > max) return { ok: false, reason: `${quote(text)} is more than ${max * 100}%` };
  return { ok: true, value };
}

/** 0.005 → "0.5%". */
export function formatPercent(ratio: number): string {
  return `${+(ratio * 100).toPrecision(4)}%`;
}

/** plural(3, "link") → "3 links"; plural(1, "link") → "1 link". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
