// `cairn demo`: the example lab, two apps on h1 with different intents, and proof of their paths.
import { loadIntents, loadTopology } from "../config/load.js";
import { computePath } from "../core/path-engine.js";
import { NO_CONSTRAINTS } from "../core/model.js";
import type { Intent, Topology } from "../core/model.js";
import { getPaths } from "../api/client.js";
import { LAB_CONTROLLER_URL } from "../lab/endpoint.js";
import { labOperatorCredentials } from "../lab/pki.js";
import { labDown } from "../lab/index.js";
import { labUpCommand } from "../cli/lab-commands.js";
import { renderTable } from "../cli/table.js";
import { sameRouters, sendAndTrace } from "./path-proof.js";
import { packageFile } from "../package-files.js";

const EXAMPLE = (f: string) => packageFile("examples", "demo", f);
const PACKETS = 1000;

interface Row {
  app: string;
  intent: string;
  path: string[];
  countedOn: string[];
  sent: number;
  received: number;
}

interface Flow {
  from: string;
  to: string;
  port: number;
  /** Absent: a process outside every app cgroup. */
  intent?: Intent;
}

/** One flow per app intent to a host, then the first app's traffic again from outside any app. */
function demoFlows(intents: Intent[]): Flow[] {
  const flows: Flow[] = intents
    .filter((i) => i.match.app && "host" in i.match.to)
    .map((i) => ({ intent: i, from: i.match.hosts[0]!, to: (i.match.to as { host: string }).host, port: i.match.ports[0]?.from ?? 6000 }));
  const first = flows[0];
  return first ? [...flows, { from: first.from, to: first.to, port: first.port }] : flows;
}

async function measure(topology: Topology, intents: Intent[]): Promise<Row[]> {
  const view = await getPaths(LAB_CONTROLLER_URL, { credentials: await labOperatorCredentials() });
  const rows: Row[] = [];
  for (const f of demoFlows(intents)) {
    const app = f.intent?.match.app;
    let path: string[];
    if (f.intent) {
      const rule = view.hosts.find((h) => h.host === f.from)?.rules.find((r) => r.intent === f.intent!.name);
      const result = rule?.targets.find((t) => t.prefix.includes(":"))?.result;
      if (!result?.ok) throw new Error(`the controller has no path for ${f.intent.name}: ${result && !result.ok ? result.reason : "no rule"}`);
      path = result.path.nodes;
    } else {
      const igp = computePath(topology, { name: "igp", match: { hosts: [f.from], to: { host: f.to }, ports: [] }, objective: "igp", constraints: NO_CONSTRAINTS, via: [], protection: "none" }, f.from);
      path = igp.ok ? igp.path.nodes : [];
    }
    const dest = topology.hosts.find((h) => h.name === f.to)!;
    console.error(`  sending ${PACKETS} datagrams from ${f.from}${app ? ` as app ${app}` : " outside any app"} to ${f.to} port ${f.port}`);
    const r = await sendAndTrace(topology, { fromNode: f.from, ...(app ? { app } : {}), toNode: f.to, toAddress: dest.address, port: f.port, count: PACKETS, order: path });
    rows.push({ app: app ?? "(none)", intent: f.intent ? `${f.intent.name}: ${f.intent.objective}` : "not steered: IGP", path, countedOn: r.countedOn, sent: r.sent, received: r.received });
  }
  return rows;
}

export async function runDemo(o: { once?: boolean }): Promise<number> {
  const topologyPath = EXAMPLE("topology.yaml");
  const intentsPath = EXAMPLE("intents.yaml");
  const topology = await loadTopology(topologyPath);
  const intents = await loadIntents(intentsPath, topology);
  let ok = false;
  try {
    await labUpCommand(topologyPath, { intents: intentsPath });
    const rows = await measure(topology, intents);
    ok = rows.every((r) => sameRouters(r.path, r.countedOn));
    console.log();
    console.log(renderTable(["APP", "INTENT", "COMPUTED PATH", "COUNTED ON (router counters)", "SENT", "RECEIVED", "OK"], rows.map((r) => [
      r.app, r.intent, r.path.join(" > "), r.countedOn.join(" > ") || "-", String(r.sent), String(r.received), sameRouters(r.path, r.countedOn) ? "yes" : "NO",
    ])));
    console.log();
    console.log(ok ? "every app's packets crossed exactly the routers of its computed path" : "MISMATCH: some traffic did not follow its computed path");
  } finally {
    if (o.once) {
      console.error("tearing the lab down (--once)");
      await labDown();
    }
  }
  if (!o.once) {
    console.log(`
The lab is still up. Try:
  cairn lab status                                   # nodes, links, agents, paths, counters
  cairn get paths                                    # the controller's view
  cairn ui                                           # a one-time link: the web UI, logged in as the lab's admin
  cairn apply -f examples/demo/intents-changed.yaml  # video must avoid r3: watch it move
  cairn lab exec h1 --app video -- cairn lab traffic --to 2001:db8:2::10 --port 5004
  cairn lab dns set video.lab 2001:db8:2::10 10.0.2.10  # a record on the lab's DNS server
  cairn lab container add h1 web                     # a container behind h1 (lab exec web -- …)
  cairn lab fault drop r2-r3                         # a gray failure on video's path (heal: lab fault heal r2-r3)
  cairn lab down                                     # remove everything
(cairn is node dist/cli/main.js, or \`npm link\` to put it on PATH)`);
  }
  return ok ? 0 : 1;
}
