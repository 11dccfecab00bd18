// The text of a user's file: UTF-8, with or without a byte order mark, or UTF-16 with one (as some
// Windows editors save). Anything else is named as what it looks like, with where it goes wrong,
// rather than parsed as garbage.
import { readFile } from "node:fs/promises";
import { ConfigFileError } from "./errors.js";
import type { ConfigError, ParseResult } from "./errors.js";

const SAVE_AS = "save it as UTF-8";

/** `bytes` as text; an error (line 0: the file as a whole, or the line of the first bad byte) when it is not UTF-8 or UTF-16 with a BOM. */
export function decodeText(bytes: Uint8Array, file: string): ParseResult<string> {
  const fail = (reason: string, line = 0, column = 0): ParseResult<string> => ({ ok: false, errors: [{ file, line, column, field: "", reason }] });
  const b = bytes;
  if ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)) {
    return fail(`the file is UTF-32 (it starts with a UTF-32 byte order mark); ${SAVE_AS}`);
  }
  if (b[0] === 0xff && b[1] === 0xfe) return utf16(b.subarray(2), "le", file);
  if (b[0] === 0xfe && b[1] === 0xff) return utf16(b.subarray(2), "be", file);
  const body = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
  // UTF-16 text of ASCII characters without a BOM: every other byte zero.
  if (body.length >= 4 && ((body[0] === 0 && body[2] === 0 && body[1] !== 0) || (body[1] === 0 && body[3] === 0 && body[0] !== 0))) {
    return fail(`the file looks like UTF-16 without a byte order mark (every other byte is zero); ${SAVE_AS} (or UTF-16 with a byte order mark)`);
  }
  const bad = firstInvalidUtf8(body);
  if (bad >= 0) {
    const before = new TextDecoder().decode(body.subarray(0, bad));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return fail(`the file is not UTF-8 text: byte 0x${body[bad]!.toString(16).padStart(2, "0")} cannot start or continue a character here; ${SAVE_AS}`, line, column);
  }
  return { ok: true, value: new TextDecoder().decode(body) };
}

function utf16(body: Uint8Array, order: "le" | "be", file: string): ParseResult<string> {
  const name = `UTF-16${order.toUpperCase()}`;
  if (body.length % 2 !== 0) return { ok: false, errors: [{ file, line: 0, column: 0, field: "", reason: `the file is ${name} (byte order mark) but has an odd number of bytes; ${SAVE_AS}` }] };
  let le = body;
  if (order === "be") {
    le = new Uint8Array(body.length);
    for (let i = 0; i < body.length; i += 2) {
      le[i] = body[i + 1]!;
      le[i + 1] = body[i]!;
    }
  }
  try {
    return { ok: true, value: new TextDecoder("utf-16le", { fatal: true }).decode(le) };
  } catch {
    return { ok: false, errors: [{ file, line: 0, column: 0, field: "", reason: `the file is ${name} (byte order mark) but holds an unpaired surrogate; ${SAVE_AS}` }] };
  }
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence; -1 when there is none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    // Lead byte → length and the range its first continuation byte may take (no overlongs, no surrogates, ≤ U+10FFFF).
    let n: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Reads a user's file as text; ConfigFileError when it cannot be read or is not text Cairn reads. */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : String(e);
    throw new ConfigFileError([{ file: path, line: 0, column: 0, field: "", reason: `cannot read file: ${why}` } satisfies ConfigError]);
  }
  const r = decodeText(bytes, path);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}
