// Reading the user's files from disk; the only I/O of the config layer.
import type { Intent, Topology } from "../core/model.js";
import { ConfigFileError } from "./errors.js";
import type { GraphmlOptions, GraphmlOrigin } from "./graphml.js";
import { parseIntents } from "./intents-file.js";
import { readTextFile as readText } from "./text-file.js";
import { parseTopology } from "./topology-file.js";

export async function loadTopology(path: string): Promise<Topology> {
  return yamlTopology(await readText(path), path);
}

function yamlTopology(text: string, path: string): Topology {
  const r = parseTopology(text, path);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}

/** GraphML when the name ends in .graphml or the text opens (after a BOM and whitespace) like XML. */
function isGraphml(path: string, text: string): boolean {
  if (/\.graphml$/i.test(path)) return true;
  const head = text.replace(/^\uFEFF?\s*/, "");
  return head.startsWith("<?xml") || head.startsWith("<graphml");
}

export interface LoadedTopology {
  topology: Topology;
  notes: string[];
  format: "graphml" | "yaml";
  /** GraphML: each router's node in the file, in the order of topology.routers. */
  origins?: GraphmlOrigin[];
}

/**
 * A topology from either format: GraphML (Topology Zoo; see graphml.ts for what the import drops
 * or changes, reported in notes) or the YAML topology file (notes always empty).
 */
export async function loadAnyTopology(path: string, graphml: GraphmlOptions = {}): Promise<LoadedTopology> {
  const text = await readText(path);
  if (isGraphml(path, text)) {
    // Loaded on demand: the controller and the lab never read GraphML, so they don't load the XML parser.
    const { parseGraphml } = await import("./graphml.js");
    const r = parseGraphml(text, path, graphml);
    if (!r.ok) throw new ConfigFileError(r.errors);
    return { ...r.value, format: "graphml" };
  }
  return { topology: yamlTopology(text, path), notes: [], format: "yaml" };
}

export async function loadIntents(path: string, topology: Topology): Promise<Intent[]> {
  const r = parseIntents(await readText(path), path, topology);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}
