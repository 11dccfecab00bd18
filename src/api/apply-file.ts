// `cairn apply -f FILE [--dry-run] [--revision R] [--prune-all]`: an intents file checked here,
// against the controller's topology, with file:line:col for every problem before anything is
// sent; then sent as typed intents (ValidateIntents for a dry run, ApplyIntents otherwise) based on
// the revision given, or on the current one read just before.
import { isScalar } from "yaml";
import type { Intent } from "../core/model.js";
import { ConfigFileError } from "../config/errors.js";
import { parseIntents } from "../config/intents-file.js";
import { readTextFile } from "../config/text-file.js";
import { parseYaml } from "../config/yaml-reader.js";
import { createOperatorClient, type OperatorClient, type OperatorClientOptions } from "./client.js";
import type { ApplyResultView, ValidateResultView } from "./types.js";

export interface ApplyFileOptions {
  /** The revision the file is based on (e.g. a dry run's); default the controller's current one. */
  revision?: number;
  /** Allow removing every intent (an `intents: []` file). */
  pruneAll?: boolean;
}

export const EMPTY_FILE_REASON =
  "the file holds nothing (no `intents:` key): nothing applied. An empty file never removes intents; " +
  "to remove every intent, apply a file with `intents: []` and --prune-all";

/** Whether the text is an empty YAML document: nothing, comments, `---` or a bare null. */
export function isEmptyYaml(text: string): boolean {
  const parsed = parseYaml(text);
  if (!("doc" in parsed) || parsed.doc.errors.length > 0) return false;
  const doc = parsed.doc;
  const c = doc.contents;
  return c === null || (isScalar(c) && (c.value === null || c.value === undefined));
}

/** The file's intents, checked against the controller's topology; ConfigFileError for every problem. */
export async function readIntentsText(client: OperatorClient, text: string, file: string): Promise<Intent[]> {
  if (isEmptyYaml(text)) throw new ConfigFileError([{ file, line: 0, column: 0, field: "", reason: EMPTY_FILE_REASON }]);
  const topology = await client.getTopology();
  const r = parseIntents(text, file, topology);
  if (!r.ok) {
    // `{}`, or a file that forgot the key: say that it changes nothing, and what would remove everything.
    const hint = "; nothing applied (an intents file without intents never removes any: to remove every intent, apply `intents: []` with --prune-all)";
    throw new ConfigFileError(r.errors.map((e) => (e.field === "intents" && e.reason.startsWith("missing required key") ? { ...e, reason: e.reason + hint } : e)));
  }
  return r.value;
}

/** A dry run: the diff the file would apply, against `opts.revision` or the current revision. */
export async function validateIntentsText(client: OperatorClient, text: string, file: string, opts: ApplyFileOptions = {}): Promise<ValidateResultView> {
  const intents = await readIntentsText(client, text, file);
  return client.validateIntents(intents, { source: file, baseRevision: opts.revision ?? 0, allowRemoveAll: opts.pruneAll ?? false });
}

/** Applies the file's intents, based on `opts.revision` or on the revision current just before. */
export async function applyIntentsText(client: OperatorClient, text: string, file: string, opts: ApplyFileOptions = {}): Promise<ApplyResultView> {
  const intents = await readIntentsText(client, text, file);
  const baseRevision = opts.revision ?? (await client.listIntents()).revision;
  return client.applyIntents(intents, { source: file, baseRevision, allowRemoveAll: opts.pruneAll ?? false });
}

export async function readIntentsFile(path: string): Promise<string> {
  return readTextFile(path);
}

/** `cairn apply -f FILE` against the controller at `url`. */
export function applyIntentsFile(url: string, path: string, opts: ApplyFileOptions = {}, client: OperatorClientOptions = {}): Promise<ApplyResultView> {
  return withFile(url, path, client, (c, text) => applyIntentsText(c, text, path, opts));
}

/** `cairn apply -f FILE --dry-run` against the controller at `url`. */
export function validateIntentsFile(url: string, path: string, opts: ApplyFileOptions = {}, client: OperatorClientOptions = {}): Promise<ValidateResultView> {
  return withFile(url, path, client, (c, text) => validateIntentsText(c, text, path, opts));
}

/** Reads the file (before connecting), then runs `fn` over a client of `url` that is closed afterwards. */
async function withFile<T>(url: string, path: string, client: OperatorClientOptions, fn: (c: OperatorClient, text: string) => Promise<T>): Promise<T> {
  const text = await readIntentsFile(path);
  const c = createOperatorClient(url, client);
  try {
    return await fn(c, text);
  } finally {
    c.close();
  }
}
