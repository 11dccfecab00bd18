// Validation errors for user-written files: where, which field, why.

export interface ConfigError {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. "links[2].delay". */
  field: string;
  reason: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.field ? `${e.field}: ` : ""}${e.reason}`;
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
