// FNV-1a, 32 bits (http://www.isthe.com/chongo/tech/comp/fnv/): a small, fixed, well-known hash,
// so a SID derived from a name is the same in every Cairn version and can be recomputed by hand.

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;
const utf8 = new TextEncoder();

export function fnv1a32(text: string): number {
  let h = OFFSET_BASIS;
  for (const byte of utf8.encode(text)) h = Math.imul(h ^ byte, PRIME) >>> 0;
  return h;
}

/** The hash folded to its low `bits` bits (xor-folding, as FNV's authors advise, rather than masking). */
export function fnv1aBits(text: string, bits: number): number {
  const h = fnv1a32(text);
  return ((h >>> bits) ^ h) & (2 ** bits - 1);
}
