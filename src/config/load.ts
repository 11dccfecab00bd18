// Reading the user's files from disk; the only I/O of the config layer.
import { readFile } from "node:fs/promises";
import type { Intent, Topology } from "../core/model.js";
import { ConfigFileError } from "./errors.js";
import { parseIntents } from "./intents-file.js";
import { parseTopology } from "./topology-file.js";

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(e);
    throw new ConfigFileError([{ file: path, line: 0, column: 0, field: "", reason: `cannot read file: ${why}` }]);
  }
}

export async function loadTopology(path: string): Promise<Topology> {
  const r = parseTopology(await readText(path), path);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}

export async function loadIntents(path: string, topology: Topology): Promise<Intent[]> {
  const r = parseIntents(await readText(path), path, topology);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}
