// `cairn topology show FILE [--json] [--igp N|delay]`: the routers, hosts, links and SIDs of a Cairn
// topology or a Topology Zoo GraphML file, as the other commands will read it.
import { topologyView } from "../core/topology-view.js";
import { formatTopology } from "./format-topology.js";
import { loadTopologyOption } from "./topology-input.js";

export async function topologyShowCommand(file: string, o: { json?: boolean; igp?: string }): Promise<void> {
  const { topology, notes, format, origins } = await loadTopologyOption(file, o.igp);
  const view = topologyView(topology, origins);
  if (o.json) console.log(JSON.stringify({ file, format, ...view, notes }, null, 2));
  else console.log(formatTopology(file, format, view, notes));
}
