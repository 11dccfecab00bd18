// Validation errors for user-written files: where, which field, why.
import { escapeControls } from "../core/quote.js";

export interface ConfigError {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. "links[2].delay". */
  field: string;
  reason: string;
  /** The intent the field belongs to, when the path alone does not say (typed intents: line 0). */
  intent?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

/** "file:line:col: field: reason"; without a line (typed intents) "file: field: intent "x": reason". */
export function formatConfigError(e: ConfigError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  // Escaped as a whole, too: a file name or a field path can hold what the user wrote.
  return escapeControls(`${where}: ${e.field ? `${e.field}: ` : ""}${e.intent ? `intent ${JSON.stringify(e.intent)}: ` : ""}${e.reason}`);
}

/** Thrown at the file-loading boundary; carries every error found, not just the first. */
export class ConfigFileError extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map(formatConfigError).join("\n"));
    this.name = "ConfigFileError";
    this.errors = errors;
  }
}
