// Showing what a user or a peer wrote inside a message: escaped so that it cannot move the
// terminal's cursor, recolour it or reorder the text around it, and cut so that one value cannot
// bury the message. Pure.

/**
 * Characters JSON.stringify leaves as they are but a terminal or an editor acts on: DEL and the C1
 * controls, zero-width and direction marks, line and paragraph separators, bidi overrides and
 * isolates, the byte order mark.
 */
const INVISIBLE = /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** `s` in double quotes, escaped as JSON and more; cut, with "…", once the escaped text reaches `max` characters. */
export function quote(s: string, max = 64): string {
  let out = "";
  let i = 0;
  while (i < s.length && out.length < max) {
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    out += JSON.stringify(ch).slice(1, -1).replace(INVISIBLE, hex);
    i += ch.length;
  }
  return `"${out}${i < s.length ? "…" : ""}"`;
}

/** `s` with every control or invisible character written as \uXXXX; for whole messages. `lines`: keep \n (a message of several lines). */
export function escapeControls(s: string, opts: { lines?: boolean } = {}): string {
  return s.replace(CONTROL, (c) => (opts.lines && c === "\n" ? c : hex(c)));
}

/**
 * A name as is when it looks like one (letters, digits, _ . - # : / @; up to `max`), else quoted and
 * cut; quoted too when it reads like a slip of the program ("undefined"), so it shows as what was sent.
 */
export function label(s: string, max = 64): string {
  return s.length <= max && /^[A-Za-z0-9_.#:/@-]+$/.test(s) && !/^(undefined|null|NaN)$/.test(s) ? s : quote(s, max);
}
