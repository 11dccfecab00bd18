// The web UI: who the caller is (WhoAmI), the topology drawn once (GetTopology), then links, paths,
// intents and events read and kept live by the event stream (live.ts). Every view talks to the
// controller through the one Connect API, with the caller's role.
import "./style.css";
import type { LinksView, PathsView } from "../../src/api/types.js";
import type { Topology } from "../../src/core/model.js";
import { CallError, createApi, type Caller } from "./api.js";
import { byId } from "./dom.js";
import { EventsTimeline } from "./events-view.js";
import { drawTopology, type GraphView, type MarkedPath } from "./graph.js";
import { IntentsEditor } from "./intents-editor.js";
import { LabPanel } from "./lab-panel.js";
import { renderLinks } from "./links-view.js";
import { followEvents } from "./live.js";
import { PathsPanel } from "./paths-view.js";
import { setUpTabs } from "./tabs.js";
import { buildWhatIfForm, type DownNow } from "./whatif.js";

/** Events shown at the start; later ones arrive live. */
const INITIAL_EVENTS = 200;

async function start(): Promise<void> {
  const api = createApi();
  let caller: Caller;
  try {
    caller = await api.whoAmI();
  } catch (e) {
    const why = e instanceof CallError ? `${e.codeName}: ${e.message}` : String(e);
    byId("whoami").textContent = `Not signed in (${why}). Open the link \`cairn ui\` prints.`;
    throw e;
  }
  const isAdmin = caller.role === "admin";
  byId("whoami").textContent = `${caller.name || "anonymous"} (${caller.role}, by ${caller.via})`;
  document.body.dataset.role = caller.role;

  const topology: Topology = await api.getTopology();
  const graphElement = byId("graph");
  const drawStart = performance.now();
  // ?layout=force lays out by force a topology whose routers have coordinates (and the benchmark's baseline).
  const graph: GraphView = await drawTopology(graphElement, topology, new URLSearchParams(location.search).get("layout") === "force");
  performance.mark("cairn:graph-drawn");
  graphElement.dataset.drawnMs = String(Math.round(performance.now() - drawStart));
  graphElement.dataset.layout = graph.layout;
  graphElement.dataset.routers = String(topology.routers.length);
  graphElement.dataset.links = String(topology.links.length);

  let owner: "paths" | "whatif" = "paths";
  const paths = new PathsPanel(byId<HTMLSelectElement>("paths-select"), byId("paths-detail"), byId("rules-table"), graph, () => owner === "paths");
  const timeline = new EventsTimeline(byId("panel-events"));
  const intents = new IntentsEditor(byId("panel-intents"), api, () => topology, isAdmin);
  const lab = new LabPanel(byId("panel-lab"), api, topology, isAdmin);
  let downNow: DownNow = { routers: [], links: [] };
  buildWhatIfForm(byId("panel-whatif"), () => topology, () => downNow, (marked: MarkedPath[]) => {
    owner = "whatif";
    graph.mark(marked);
  });
  setUpTabs((tab) => {
    if (tab === "lab") void lab.refresh();
    if (tab !== "whatif" && owner === "whatif") {
      owner = "paths";
      paths.redraw();
    }
  });

  const show = (links: LinksView, p: PathsView) => {
    graph.setStates(links);
    downNow = {
      routers: links.nodes.filter((n) => n.kind === "router" && n.state === "down").map((n) => n.node),
      links: links.links.filter((l) => l.state === "down").map((l) => l.link),
    };
    renderLinks(byId("panel-links"), links, topology);
    paths.update(p);
    byId("revisions").textContent = `topology t${links.topologyRevision ?? 0}, intents i${links.intentsRevision ?? 0}`;
    intents.noteRevision(links.intentsRevision ?? 0);
  };
  const refresh = async () => {
    const [links, p] = await Promise.all([api.listLinks(), api.listPaths()]);
    show(links, p);
  };
  const [events] = await Promise.all([api.listEvents(INITIAL_EVENTS), refresh(), intents.load()]);
  timeline.add(events.events);
  document.body.dataset.ready = "true";

  followEvents(api, events.lastSeq, {
    events: (e) => timeline.add(e),
    restarted: () => timeline.clear(),
    refresh: () => refresh().catch((e: unknown) => console.error("refresh failed", e)),
    connection(state, detail) {
      const c = byId("connection");
      const relogin = /cairn ui/.test(detail ?? "") ? "" : "; run `cairn ui` for a new login link";
      c.textContent = state === "live" ? "live" : state === "logged out" ? `logged out: ${detail ?? ""}${relogin}` : `reconnecting (${detail ?? ""})`;
      c.dataset.state = state;
    },
  });
}

start().catch((e: unknown) => {
  console.error(e);
  document.body.dataset.error = e instanceof Error ? e.message : String(e);
});
