// A small checked reader over a YAML document: every read knows its file position and field path,
// and every problem becomes a ConfigError instead of an exception.
//
// The reader also keeps hostile files harmless: aliases are followed (and `<<` merges applied) as
// they are read, within a budget, so an alias bomb costs no more than a bounded number of reads;
// nesting deeper than any Cairn file needs is refused before the parser's recursion can overflow
// into an exception; a broken document reports its syntax errors only (what the schema checks
// would say of a half-read document is noise); each error is reported once, at most MAX_ERRORS.
import { Composer, LineCounter, Parser, YAMLParseError, isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import type { Alias, CST, Document, Node as YamlNode, Pair, YAMLMap, YAMLSeq } from "yaml";
import { quote } from "../core/quote.js";
import type { ConfigError } from "./errors.js";

/** Lists and mappings nested deeper than this are refused; Cairn's files need five levels. */
export const MAX_YAML_DEPTH = 64;
/** Errors reported per file; the rest are counted in a last one. */
export const MAX_ERRORS = 100;
/** Longest YAML parser message shown (it may quote the file). */
const MAX_SYNTAX_MESSAGE = 200;
/** `<<` merges followed within one another at most this deep. */
const MAX_MERGE_DEPTH = 8;

export class YamlReader {
  private readonly found: ConfigError[] = [];
  private readonly shown = new Set<string>();
  private dropped = 0;
  /** After a problem that makes every later one meaningless (syntax, depth, alias budget): report no more. */
  private stopped = false;
  private readonly lines = new LineCounter();
  /** Each alias's node: the last node before it with its anchor (YAML's rule); null when none. */
  private readonly aliasTargets = new Map<Alias, YamlNode | null>();
  /** Fields still to be read: the document's size many times over, so only aliases can run out. */
  private budget: number;
  readonly root: Field;

  constructor(readonly file: string, text: string) {
    let root: YamlNode | null = null;
    let syntax: { offset: number; reason: string }[];
    let nodes = 0;
    try {
      const parsed = parseYaml(text, this.lines);
      if ("tooDeepAt" in parsed) throw new NestingError(parsed.tooDeepAt);
      const doc = parsed.doc;
      syntax = doc.errors.map((e) => ({
        offset: e.pos[0],
        reason: e.code === "RESOURCE_EXHAUSTION" ? tooDeep() : `YAML syntax: ${cut(e.message.split("\n")[0] ?? "")}`,
      }));
      const walk = this.walk((doc.contents ?? null) as YamlNode | null);
      nodes = walk.nodes;
      syntax.push(...walk.problems);
      root = (doc.contents ?? null) as YamlNode | null;
    } catch (e) {
      // Too deep for the composer's recursion: reported as what it is, never as a RangeError.
      if (e instanceof NestingError) syntax = [{ offset: e.offset, reason: tooDeep() }];
      else if (e instanceof RangeError) syntax = [{ offset: 0, reason: tooDeep() }];
      else throw e;
    }
    // The depth problem alone: the parser's other complaints about the same nesting repeat it.
    const deep = syntax.find((s) => s.reason === tooDeep());
    for (const s of deep ? [deep] : syntax) this.add({ file, ...this.position(s.offset), field: "", reason: s.reason });
    this.stopped = syntax.length > 0;
    this.budget = 10 * nodes + 10_000;
    this.root = new Field(this, "", this.stopped ? null : root, 0);
  }

  /** Every error found, each once; when there were more than MAX_ERRORS, a last one says how many more. */
  get errors(): ConfigError[] {
    if (this.dropped === 0) return this.found;
    return [...this.found, { file: this.file, line: 0, column: 0, field: "", reason: `… and ${this.dropped} more ${this.dropped === 1 ? "error" : "errors"}` }];
  }

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  error(field: Field, reason: string): void {
    if (!this.stopped) this.add({ file: this.file, ...this.position(field.offset), field: field.path, reason });
  }

  /** The node a value stands for: an alias's target; null once the alias budget is spent. */
  resolve(node: YamlNode | null, offset: number, path: string): YamlNode | null {
    if (this.stopped) return null;
    if (--this.budget < 0) {
      this.add({
        file: this.file,
        ...this.position(offset),
        field: path,
        reason: "aliases repeat parts of this file too many times (more than 10 reads per value written): write the values out instead",
      });
      this.stopped = true;
      return null;
    }
    return isAlias(node) ? (this.aliasTargets.get(node) ?? null) : node;
  }

  private add(e: ConfigError): void {
    const key = `${e.line}:${e.column}:${e.field}:${e.reason}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    if (this.found.length < MAX_ERRORS) this.found.push(e);
    else this.dropped++;
  }

  /** One pass over the document, in document order and without recursion: counts its nodes and finds each alias's anchor. */
  private walk(root: YamlNode | null): { nodes: number; problems: { offset: number; reason: string }[] } {
    const problems: { offset: number; reason: string }[] = [];
    const anchors = new Map<string, YamlNode>();
    const stack: (YamlNode | null)[] = [root];
    let nodes = 0;
    while (stack.length > 0) {
      const node = stack.pop();
      if (node === null || node === undefined) continue;
      nodes++;
      const offset = node.range?.[0] ?? 0;
      if (isAlias(node)) {
        const target = anchors.get(node.source) ?? null;
        this.aliasTargets.set(node, target);
        if (!target) problems.push({ offset, reason: `unknown alias ${quote(`*${node.source}`)}: no anchor ${quote(`&${node.source}`)} before it` });
        continue;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      const children: (YamlNode | null)[] = [];
      if (isMap(node)) for (const p of node.items as Pair[]) children.push(p.key as YamlNode | null, p.value as YamlNode | null);
      else if (isSeq(node)) for (const i of node.items as (YamlNode | Pair | null)[]) children.push(...(isPair(i) ? [i.key as YamlNode | null, i.value as YamlNode | null] : [i]));
      for (let k = children.length - 1; k >= 0; k--) stack.push(children[k] ?? null);
    }
    return { nodes, problems };
  }
}

class NestingError extends Error {
  constructor(readonly offset: number) {
    super("YAML nesting too deep");
  }
}

/**
 * The document of `text`, as the yaml package's parseDocument makes it, but composed only when its
 * nesting is within MAX_YAML_DEPTH: the composer recurses once per level, and V8 can die outright
 * (not throw) when the stack runs out inside a regular expression it compiles on the way down.
 */
export function parseYaml(text: string, lines: LineCounter = new LineCounter()): { doc: Document } | { tooDeepAt: number } {
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = firstTooDeep(tokens);
  if (deep !== null) return { tooDeepAt: deep };
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document | null = null;
  for (const d of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = d as Document;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"));
      break;
    }
  }
  return { doc: doc! };
}

/** The offset of the first collection nested deeper than MAX_YAML_DEPTH in the parsed tokens; null when none. */
function firstTooDeep(tokens: CST.Token[]): number | null {
  const stack: [CST.Token | null | undefined, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    if (!t) continue;
    if (t.type === "document") stack.push([t.value, depth]);
    else if (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") {
      if (depth + 1 > MAX_YAML_DEPTH) return t.offset;
      for (const item of t.items as CST.CollectionItem[]) stack.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return null;
}

function tooDeep(): string {
  return `YAML nesting too deep: lists and mappings nested more than ${MAX_YAML_DEPTH} levels`;
}

function cut(s: string): string {
  return s.length > MAX_SYNTAX_MESSAGE ? `${s.slice(0, MAX_SYNTAX_MESSAGE)}…` : s;
}

/** A mapping key as written, for paths and messages. */
function keyText(key: YamlNode | null): string {
  if (isScalar(key)) return String(key.value);
  if (isSeq(key)) return "[…]";
  if (isMap(key)) return "{…}";
  return String(key);
}

/** A key as a path step: as it is when it looks like a name, else quoted and cut. */
function pathStep(key: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : quote(key);
}

/** A value in a message: a scalar as written (strings quoted and cut), a collection by its kind. */
function describe(v: unknown): string {
  if (typeof v === "string") return quote(v);
  if (isMap(v)) return "a mapping";
  if (isSeq(v)) return "a list";
  return String(v);
}

/** A value at a field path, with its source offset. */
export class Field {
  /** The value, aliases followed. */
  readonly node: YamlNode | null;

  constructor(
    private readonly reader: YamlReader,
    readonly path: string,
    node: YamlNode | null,
    readonly offset: number,
  ) {
    this.node = reader.resolve(node, offset, path);
  }

  get present(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  error(reason: string): void {
    this.reader.error(this, reason);
  }

  /** Reports a problem of `key` below this field, which is not written, positioned at this field. */
  unwrittenError(key: string, reason: string): void {
    const path = this.path ? `${this.path}.${key}` : key;
    this.reader.error(new Field(this.reader, path, null, this.offset), reason);
  }

  /** Reports `key` missing below this field, positioned at this field. */
  missing(key: string): void {
    const path = this.path ? `${this.path}.${key}` : key;
    this.reader.error(new Field(this.reader, path, null, this.offset), `missing required key "${key}"`);
  }

  /** The keys of a mapping (`<<` merges applied), checked against `allowed`; reports unknown and repeated keys. */
  map(allowed: readonly string[]): Map<string, Field> | null {
    if (!this.present) return null;
    if (!isMap(this.node)) {
      this.error(`expected a mapping with keys ${allowed.join(", ")}`);
      return null;
    }
    const out = new Map<string, Field>();
    const own = new Set<string>();
    const merged: Pair[] = [];
    for (const item of (this.node as YAMLMap).items as Pair[]) {
      const keyNode = item.key as YamlNode | null;
      const key = keyText(keyNode);
      if (key === "<<" && !allowed.includes(key)) {
        this.merge(item, merged, 0);
        continue;
      }
      own.add(key);
      this.take(item, allowed, out);
    }
    // Merged keys never override the mapping's own, and earlier sources win over later ones (YAML's merge).
    for (const item of merged) if (!own.has(keyText(item.key as YamlNode | null))) this.take(item, allowed, out, true);
    return out;
  }

  private take(item: Pair, allowed: readonly string[], out: Map<string, Field>, fromMerge = false): void {
    const keyNode = item.key as YamlNode | null;
    const key = keyText(keyNode);
    const keyOffset = keyNode?.range?.[0] ?? this.offset;
    const path = this.path ? `${this.path}.${pathStep(key)}` : pathStep(key);
    const keyField = new Field(this.reader, path, keyNode, keyOffset);
    if (!allowed.includes(key)) {
      keyField.error(`unknown key ${quote(key)}; expected one of ${allowed.join(", ")}`);
      return;
    }
    if (out.has(key)) {
      if (!fromMerge) keyField.error(`key "${key}" appears twice`);
      return;
    }
    const value = (item.value ?? null) as YamlNode | null;
    out.set(key, new Field(this.reader, path, value, value?.range?.[0] ?? keyOffset));
  }

  /** The pairs a `<<` entry brings: those of a mapping (or alias of one), or of each in a list of them. */
  private merge(item: Pair, into: Pair[], depth: number): void {
    const at = (item.value as YamlNode | null)?.range?.[0] ?? this.offset;
    const path = this.path ? `${this.path}.<<` : "<<";
    const value = new Field(this.reader, path, (item.value ?? null) as YamlNode | null, at);
    const sources = isSeq(value.node) ? value.list() ?? [] : [value];
    for (const s of sources) {
      if (!isMap(s.node)) {
        s.error("<< merges mappings: give an alias of a mapping (<<: *defaults) or a list of them");
        continue;
      }
      for (const p of (s.node as YAMLMap).items as Pair[]) {
        if (keyText(p.key as YamlNode | null) !== "<<") into.push(p);
        else if (depth < MAX_MERGE_DEPTH) this.merge(p, into, depth + 1);
        else s.error(`<< merges nested more than ${MAX_MERGE_DEPTH} deep`);
      }
    }
  }

  /** The items of a sequence; reports a non-sequence. */
  list(): Field[] | null {
    if (!this.present) return null;
    if (!isSeq(this.node)) {
      this.error("expected a list");
      return null;
    }
    return ((this.node as YAMLSeq).items as (YamlNode | null)[]).map(
      (n, i) => new Field(this.reader, `${this.path}[${i}]`, n, n?.range?.[0] ?? this.offset),
    );
  }

  private scalar(): unknown {
    if (!this.present) return undefined;
    if (!isScalar(this.node)) return this.node;
    return this.node.value;
  }

  string(): string | null {
    const v = this.scalar();
    if (v === undefined) return null;
    if (typeof v === "string" && v.length > 0) return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    this.error("expected a non-empty string");
    return null;
  }

  /** A YAML number (not a quoted one); reports anything else. */
  number(): number | null {
    const v = this.scalar();
    if (v === undefined) return null;
    if (typeof v === "number" && Number.isFinite(v)) return v;
    this.error(`expected a number, got ${describe(v)}`);
    return null;
  }

  /** true or false (unquoted); reports anything else. */
  boolean(): boolean | null {
    const v = this.scalar();
    if (v === undefined) return null;
    if (typeof v === "boolean") return v;
    this.error(`expected true or false, got ${describe(v)}`);
    return null;
  }

  /** Whether the value is a mapping (for keys that take either a scalar or a mapping). */
  get isMap(): boolean {
    return isMap(this.node);
  }

  integer(min: number, max: number): number | null {
    const v = this.scalar();
    if (v === undefined) return null;
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v;
    this.error(`expected a whole number from ${min} to ${max}, got ${describe(v)}`);
    return null;
  }
}

/** Reads a required field: reports it missing (at the parent) when absent. */
export function required(parent: Field, fields: Map<string, Field> | null, key: string): Field | null {
  const f = fields?.get(key);
  if (f?.present) return f;
  if (fields) parent.missing(key);
  return null;
}

/** The non-empty strings of an optional list, each with its field; other items are reported by Field.string(). */
export function stringList(f: Field | undefined): { value: string; field: Field }[] {
  if (!f?.present) return [];
  const items = f.list();
  if (!items) return [];
  return items.flatMap((i) => {
    const v = i.string();
    return v === null ? [] : [{ value: v, field: i }];
  });
}
