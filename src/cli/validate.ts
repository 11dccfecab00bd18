// `cairn validate TOPOLOGY [INTENTS]`: checks files without touching anything.
import { loadIntents, loadTopology } from "../config/load.js";

export async function validateCommand(topologyPath: string, intentsPath: string | undefined, opts: { json?: boolean }): Promise<void> {
  const topology = await loadTopology(topologyPath);
  const intents = intentsPath ? await loadIntents(intentsPath, topology) : [];
  if (opts.json) {
    console.log(JSON.stringify({ ok: true, routers: topology.routers.length, hosts: topology.hosts.length, links: topology.links.length, intents: intents.length }));
    return;
  }
  console.log(`${topologyPath}: ok (${topology.routers.length} routers, ${topology.hosts.length} hosts, ${topology.links.length} links)`);
  if (intentsPath) console.log(`${intentsPath}: ok (${intents.length} intents)`);
}
