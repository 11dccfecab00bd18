// A topology named on the command line: Cairn YAML or Topology Zoo GraphML, with `--igp` for GraphML.
import { loadAnyTopology, type LoadedTopology } from "../config/load.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";

const MAX_IGP = 16_777_215;

/** Loads FILE; `igp` is the --igp option's text (GraphML only: a metric for every link, or "delay"). */
export async function loadTopologyOption(file: string, igpText: string | undefined): Promise<LoadedTopology> {
  const igp = igpText === undefined ? undefined : igpText === "delay" ? ("delay" as const) : Number(igpText);
  if (typeof igp === "number" && !(/^\d+$/.test(igpText!) && igp >= 1 && igp <= MAX_IGP)) {
    throw new CliError(`--igp: "${igpText}" is neither "delay" nor a whole number from 1 to ${MAX_IGP}`, EXIT_BAD_INPUT);
  }
  const loaded = await loadAnyTopology(file, igp === undefined ? {} : { igp });
  if (igp !== undefined && loaded.format === "yaml") throw new CliError(`--igp applies to GraphML imports; ${file} is a Cairn topology, which sets igp per link`, EXIT_BAD_INPUT);
  return loaded;
}
