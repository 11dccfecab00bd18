// A small checked reader over a YAML document: every read knows its file position and field path,
// and every problem becomes a ConfigError instead of an exception.
import { LineCounter, Pair, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node as YamlNode } from "yaml";
import type { ConfigError } from "./errors.js";

export class YamlReader {
  readonly errors: ConfigError[] = [];
  private readonly lines = new LineCounter();
  readonly root: Field;

  constructor(readonly file: string, text: string) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
    for (const e of doc.errors) {
      const offset = e.pos[0];
      const { line, col } = this.lines.linePos(offset);
      this.errors.push({ file, line, column: col, field: "", reason: `YAML syntax: ${e.message.split("\n")[0]}` });
    }
    this.root = new Field(this, "", (doc.contents ?? null) as YamlNode | null, 0);
  }

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  error(field: Field, reason: string): void {
    this.errors.push({ file: this.file, ...this.position(field.offset), field: field.path, reason });
  }
}

/** A value at a field path, with its source offset. */
export class Field {
  constructor(
    private readonly reader: YamlReader,
    readonly path: string,
    readonly node: YamlNode | null,
    readonly offset: number,
  ) {}

  get present(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  error(reason: string): void {
    this.reader.error(this, reason);
  }

  /** Reports `key` missing below this field, positioned at this field. */
  missing(key: string): void {
    const path = this.path ? `${this.path}.${key}` : key;
    this.reader.error(new Field(this.reader, path, null, this.offset), `missing required key "${key}"`);
  }

  /** The keys of a mapping, checked against `allowed`; reports unknown and repeated keys. */
  map(allowed: readonly string[]): Map<string, Field> | null {
    if (!this.present) return null;
    if (!isMap(this.node)) {
      this.error(`expected a mapping with keys ${allowed.join(", ")}`);
      return null;
    }
    const out = new Map<string, Field>();
    for (const item of (this.node as YAMLMap).items as Pair[]) {
      const keyNode = item.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const keyOffset = keyNode?.range?.[0] ?? this.offset;
      const path = this.path ? `${this.path}.${key}` : key;
      const value = (item.value ?? null) as YamlNode | null;
      const field = new Field(this.reader, path, value, value?.range?.[0] ?? keyOffset);
      const keyField = new Field(this.reader, path, keyNode, keyOffset);
      if (!allowed.includes(key)) {
        keyField.error(`unknown key "${key}"; expected one of ${allowed.join(", ")}`);
        continue;
      }
      if (out.has(key)) {
        keyField.error(`key "${key}" appears twice`);
        continue;
      }
      out.set(key, field);
    }
    return out;
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
    return (this.node as Scalar).value;
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
    this.error(`expected a number, got ${JSON.stringify(v)}`);
    return null;
  }

  /** true or false (unquoted); reports anything else. */
  boolean(): boolean | null {
    const v = this.scalar();
    if (v === undefined) return null;
    if (typeof v === "boolean") return v;
    this.error(`expected true or false, got ${JSON.stringify(v)}`);
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
    this.error(`expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
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
