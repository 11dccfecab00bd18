// The fuzz tests' inputs: hostile strings and numbers, mutations of real files (text and bytes),
// random YAML, and structurally valid protobuf messages of any schema with hostile values. Tests only.
import fc from "fast-check";
import { create, ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";

/** Strings that break naive code: controls, escapes, bidi marks, lone surrogates, format specifiers, huge. */
export const NASTY_STRINGS = [
  "", " ", "\u0000", "\u001b[2J\u001b[31m", "\u202eevil", "\ud800", "\udfff\ud800", "\ufeff", "\u2028", "%s%n%d", "${x}", "{{x}}",
  "undefined", "null", "NaN", "__proto__", "constructor", "toString", "hasOwnProperty", "[object Object]",
  "../../etc/passwd", "a/b", "/", "-", "--", "0", "-1", "1e999", "0x10", "h1\nh2", "'\"", "\\", "é", "𝄞", "\u0085",
];

/** A string: now and then a name the system knows, a nasty one, a long one; mostly random. */
export function hostileString(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
    { arbitrary: fc.string({ maxLength: 20 }), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 20 }), weight: 2 },
    { arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => "x".repeat(n)), weight: 1 },
    ...(known.length ? [{ arbitrary: fc.constantFrom(...known), weight: 5 }] : []),
  );
}

/** A double: edges and non-numbers first. */
export const hostileDouble: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1e-300, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, NaN, Infinity, -Infinity),
  fc.double(),
);

const INT32 = fc.oneof(fc.constantFrom(0, 1, -1, 2 ** 31 - 1, -(2 ** 31)), fc.integer());
const UINT32 = fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1, 65535, 65536), fc.nat({ max: 2 ** 32 - 1 }));
const INT64 = fc.oneof(fc.constantFrom(0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const UINT64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 63n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

function scalar(t: ScalarType, known: readonly string[]): fc.Arbitrary<unknown> {
  switch (t) {
    case ScalarType.STRING: return hostileString(known);
    case ScalarType.BOOL: return fc.boolean();
    case ScalarType.DOUBLE: return hostileDouble;
    case ScalarType.FLOAT: return hostileDouble.map((d) => Math.fround(d));
    case ScalarType.INT32: case ScalarType.SINT32: case ScalarType.SFIXED32: return INT32;
    case ScalarType.UINT32: case ScalarType.FIXED32: return UINT32;
    case ScalarType.INT64: case ScalarType.SINT64: case ScalarType.SFIXED64: return INT64;
    case ScalarType.UINT64: case ScalarType.FIXED64: return UINT64;
    case ScalarType.BYTES: return fc.uint8Array({ maxLength: 64 });
  }
}

export interface MessageArbOptions {
  /** Strings the system knows (host names, rule keys, states…), mixed into every string field. */
  known?: readonly string[];
  /** Most items per repeated or map field; now and then up to `bulk`. */
  maxItems?: number;
  bulk?: number;
  /** Nested messages this deep are left empty (recursive schemas). */
  depth?: number;
}

/** Up to maxItems items; now and then `bulk` of them, at the top two levels only (bulk inside bulk is a body too large to read). */
function list<T>(item: fc.Arbitrary<T>, o: Required<MessageArbOptions>, depth: number): fc.Arbitrary<T[]> {
  if (depth > 1) return fc.array(item, { maxLength: o.maxItems });
  return fc.oneof({ arbitrary: fc.array(item, { maxLength: o.maxItems }), weight: 9 }, { arbitrary: fc.array(item, { minLength: o.bulk, maxLength: o.bulk }), weight: 1 });
}

function fieldValue(f: DescField, o: Required<MessageArbOptions>, depth: number): fc.Arbitrary<unknown> {
  const enumValue = (values: readonly { number: number }[]) => fc.oneof(fc.constantFrom(...values.map((v) => v.number)), fc.integer({ min: -5, max: 1000 }));
  switch (f.fieldKind) {
    case "scalar": return scalar(f.scalar, o.known);
    case "enum": return enumValue(f.enum.values);
    case "message": return messageValue(f.message, o, depth + 1);
    case "list":
      if (f.listKind === "scalar") return list(scalar(f.scalar, o.known), o, depth);
      if (f.listKind === "enum") return list(enumValue(f.enum.values), o, depth);
      return list(messageValue(f.message, o, depth + 1), o, depth);
    case "map": {
      const key = f.mapKey === ScalarType.STRING ? hostileString(o.known) : scalar(f.mapKey, o.known);
      const value = f.mapKind === "scalar" ? scalar(f.scalar, o.known) : f.mapKind === "enum" ? enumValue(f.enum.values) : messageValue(f.message, o, depth + 1);
      return list(fc.tuple(key, value), o, depth).map((entries) => Object.fromEntries(entries.map(([k, v]) => [String(k), v])));
    }
  }
}

/** A plain init object for `desc`: each field absent or a hostile value, each oneof one of its cases. */
function messageValue(desc: DescMessage, o: Required<MessageArbOptions>, depth: number): fc.Arbitrary<Record<string, unknown>> {
  if (depth > o.depth) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of desc.fields) if (!f.oneof) parts[f.localName] = fc.option(fieldValue(f, o, depth), { nil: undefined, freq: 3 });
  for (const one of desc.oneofs) {
    parts[one.localName] = fc.option(
      fc.oneof(...one.fields.map((f) => fieldValue(f, o, depth).map((value) => ({ case: f.localName, value })))),
      { nil: undefined, freq: 4 },
    );
  }
  return fc.record(parts).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** Structurally valid messages of `desc` (they encode), with hostile values in every field. */
export function messageArb<D extends DescMessage>(desc: D, opts: MessageArbOptions = {}): fc.Arbitrary<Message> {
  const o: Required<MessageArbOptions> = { known: opts.known ?? [], maxItems: opts.maxItems ?? 3, bulk: opts.bulk ?? 120, depth: opts.depth ?? 4 };
  return messageValue(desc, o, 0).map((init) => create(desc, init as never) as Message);
}

// ---------------------------------------------------------------- mutations

/** Bytes with some edits: flips, insertions, deletions, duplications, truncation, splices of `pool`. */
export function mutatedBytes(base: Uint8Array, pool: readonly Uint8Array[] = []): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x0a, 0x12, 0x1a, 0x22, 0x08, 0x10) }),
    fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("splice" as const), at: fc.nat(), from: fc.nat(), n: fc.integer({ min: 1, max: 64 }), which: fc.nat() }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b: Uint8Array = Uint8Array.from(base);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + 1);
      switch (e.op) {
        case "flip": if (b.length) b[at % b.length]! ^= 1 << e.bit; break;
        case "set": if (b.length) b[at % b.length] = e.byte; break;
        case "insert": b = concat(b.subarray(0, at), e.bytes, b.subarray(at)); break;
        case "delete": b = concat(b.subarray(0, at), b.subarray(at + e.n)); break;
        case "duplicate": { const part = b.subarray(at, at + e.n); b = concat(b.subarray(0, at), ...Array<Uint8Array>(e.times).fill(part), b.subarray(at)); break; }
        case "truncate": b = b.subarray(0, at); break;
        case "splice": { const src = pool.length ? pool[e.which % pool.length]! : base; const from = src.length ? e.from % src.length : 0; b = concat(b.subarray(0, at), src.subarray(from, from + e.n), b.subarray(at)); break; }
      }
    }
    return b;
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) { out.set(p, k); k += p.length; }
  return out;
}

/** YAML's own syntax and the values that trouble a reader, for inserting into text. */
export const YAML_TOKENS = [
  "[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "&a ", "*a", "&b ", "*b", "<<: *a", "<<: ", "!!binary ", "!!str ", "!!map ", "!x ", "!<tag:x> ",
  "---\n", "...\n", "%YAML 1.2\n", "#", "|", ">-", "\"", "'", "\\", "\t", "\n", "\r\n", "  ", "\u0000", "\u001b", "\ufeff", "\u2028", "\ud800",
  "~", "null", ".nan", ".inf", "-.inf", "1e999", "-0", "0x7fffffffffffffffff", "99999999999999999999999", "true", "y", "no", "2001-01-01",
  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "{a: {a: {a: {a: {a: {a: {a:",
];

/** Text with some edits: YAML tokens or random characters inserted, lines dropped, duplicated, re-indented, ranges swapped or repeated. */
export function mutatedText(base: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...YAML_TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: "binary", maxLength: 4 })) }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant("dropLine" as const), line: fc.nat() }),
    fc.record({ op: fc.constant("dupLine" as const), line: fc.nat(), times: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ op: fc.constant("indent" as const), line: fc.nat(), by: fc.integer({ min: -4, max: 6 }) }),
    fc.record({ op: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ op: fc.constant("repeat" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 80 }), times: fc.integer({ min: 2, max: 100 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 5 }).map((edits) => {
    let s = base;
    for (const e of edits) {
      const at = "at" in e ? e.at % (s.length + 1) : 0;
      const lines = s.split("\n");
      const li = (k: number) => k % lines.length;
      switch (e.op) {
        case "insert": s = s.slice(0, at) + e.text + s.slice(at); break;
        case "delete": s = s.slice(0, at) + s.slice(at + e.n); break;
        case "dropLine": lines.splice(li(e.line), 1); s = lines.join("\n"); break;
        case "dupLine": lines.splice(li(e.line), 0, ...Array<string>(e.times).fill(lines[li(e.line)]!)); s = lines.join("\n"); break;
        case "indent": { const k = li(e.line); lines[k] = e.by >= 0 ? " ".repeat(e.by) + lines[k] : lines[k]!.slice(-e.by); s = lines.join("\n"); break; }
        case "swapLines": { const a = li(e.a), b = li(e.b); [lines[a], lines[b]] = [lines[b]!, lines[a]!]; s = lines.join("\n"); break; }
        case "repeat": s = s.slice(0, at) + s.slice(at, at + e.n).repeat(e.times) + s.slice(at + e.n); break;
      }
    }
    return s;
  });
}

/** Random YAML: random values written as YAML, random token soup, or random text. */
export function randomYaml(keys: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 4 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 });
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      hostileString(keys),
      hostileDouble.map((d) => (Number.isNaN(d) ? ".nan" : d === Infinity ? ".inf" : d === -Infinity ? "-.inf" : d)),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("v"), { maxLength: 4 }),
      fc.dictionary(key, tie("v"), { maxKeys: 5 }),
    ),
  })).v;
  const asYaml = value.map((v) => yamlText(v));
  const soup = fc.array(fc.oneof(fc.constantFrom(...YAML_TOKENS), key, fc.constantFrom("\n", "  ", " ")), { maxLength: 60 }).map((t) => t.join(""));
  return fc.oneof({ arbitrary: asYaml, weight: 4 }, { arbitrary: soup, weight: 3 }, { arbitrary: fc.string({ maxLength: 200 }), weight: 1 });
}

/** A value as YAML flow text (hand-written so that hostile strings go in double quotes, escaped). */
function yamlText(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return /^(\.nan|\.inf|-\.inf)$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(yamlText).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${yamlText(x)}`).join(", ")}}`;
}
