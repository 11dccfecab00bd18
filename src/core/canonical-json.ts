// JSON with object keys sorted: one string per structurally equal plain value. Pure.

/** JSON with object keys sorted (and undefined members left out): equal for structurally equal plain data. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .filter((k) => o[k] !== undefined)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}
