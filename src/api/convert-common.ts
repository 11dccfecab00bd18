// What every converter shares: the error for a message that does not describe a valid value, and
// checks for the values protobuf cannot constrain (uint64 counters, enum-like strings).
export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConversionError";
  }
}

/** A counter for a uint64 field: a whole number from 0 to 2^53 − 1 (BigInt() would throw on anything else). */
export function counterToProto(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new ConversionError(`${what}: ${n} is not a counter (a whole number ≥ 0)`);
  return BigInt(n);
}

/**
 * A uint64 counter as a number: exact up to 2^53 − 1. Past it a number rounds, and the rounded
 * value is no uint64 counterToProto can send back: every view holding it would then fail.
 */
export function counterFromProto(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConversionError(`${what}: ${n} is past 2^53 − 1, the largest counter kept exactly`);
  return Number(n);
}

/** `value` when it is one of `allowed`; a ConversionError naming `what` otherwise. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConversionError(`${what}: unknown value "${value.slice(0, 40)}"; expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}
