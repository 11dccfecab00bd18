// The topology drawn with Cytoscape.js: routers where they are (latitude, longitude) when every
// router says, else laid out by force; hosts beside their routers; links coloured by their state
// (ListLinks), live; a rule's primary and backup (or a what-if's) marked, the active one thicker.
// Built for large graphs: no animation, a texture while panning and zooming, labels only when
// they are big enough to read.
import cytoscape from "cytoscape";
import type { Core, ElementDefinition, StylesheetJson } from "cytoscape";
import type { LinksView } from "../../src/api/types.js";
import type { Topology } from "../../src/core/model.js";

/** Routers, hosts and links at which the graph stops drawing edge curves and costly details. */
const LARGE_GRAPH = 200;
const HOST_PREFIX = "host:";
const UPLINK_PREFIX = "uplink:";

export interface MarkedPath {
  role: "primary" | "backup";
  nodes: string[];
  links: string[];
  /** The rule's packets take it now. */
  active: boolean;
}

export interface GraphView {
  /** Colours links and nodes by their liveliness. */
  setStates(links: LinksView): void;
  /** Marks these paths (and clears the ones marked before). */
  mark(paths: MarkedPath[]): void;
  /** How the graph was laid out. */
  readonly layout: "geographic" | "force";
}

const STYLE: StylesheetJson = [
  { selector: "node", style: { "background-color": "#4a6b8a", width: 12, height: 12, label: "data(label)", "font-size": 9, color: "#1d2731", "text-valign": "top", "text-margin-y": -3, "min-zoomed-font-size": 7 } },
  { selector: "node.host", style: { shape: "round-rectangle", "background-color": "#8a8f96", width: 10, height: 8 } },
  { selector: "edge", style: { width: 2, "line-color": "#58a55c", "curve-style": "bezier" } },
  { selector: "edge.large", style: { "curve-style": "haystack", width: 1.5 } },
  { selector: "edge.uplink", style: { "line-color": "#b7bcc2", width: 1, "line-style": "dotted" } },
  { selector: ".state-degraded", style: { "line-color": "#e69500", "background-color": "#e69500" } },
  { selector: ".state-down", style: { "line-color": "#d62d20", "background-color": "#d62d20" } },
  { selector: ".state-drained", style: { "line-color": "#7d7d7d", "background-color": "#7d7d7d", "line-style": "dashed" } },
  { selector: "edge.suspect", style: { "line-style": "dashed" } },
  { selector: "node.suspect", style: { "border-width": 2, "border-color": "#8e44ad" } },
  { selector: "node.path-backup", style: { "background-color": "#8e44ad" } },
  { selector: "edge.path-backup", style: { "line-color": "#8e44ad", width: 4, "z-index": 8, "line-style": "dashed" } },
  { selector: "node.path-primary", style: { "background-color": "#1f6feb" } },
  { selector: "edge.path-primary", style: { "line-color": "#1f6feb", width: 4, "z-index": 9 } },
  { selector: "edge.path-active", style: { width: 7, "line-style": "solid", "z-index": 10 } },
  { selector: "node.path-active", style: { width: 16, height: 16 } },
  { selector: "node.path-endpoint", style: { "font-weight": "bold", "font-size": 11, "min-zoomed-font-size": 0 } },
];

/** Equirectangular projection around the routers' mean latitude, about 1000 px wide. */
function geographicPositions(t: Topology): Map<string, { x: number; y: number }> | null {
  if (t.routers.length === 0 || !t.routers.every((r) => r.latitude !== undefined && r.longitude !== undefined)) return null;
  const meanLat = t.routers.reduce((s, r) => s + r.latitude!, 0) / t.routers.length;
  const k = Math.cos((meanLat * Math.PI) / 180);
  const xs = t.routers.map((r) => r.longitude! * k);
  const ys = t.routers.map((r) => -r.latitude!);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-6);
  const scale = 1000 / span;
  return new Map(t.routers.map((r, i) => [r.name, { x: xs[i]! * scale, y: ys[i]! * scale }]));
}

function elementsOf(t: Topology, positions: Map<string, { x: number; y: number }> | null): ElementDefinition[] {
  const large = t.routers.length + t.links.length > LARGE_GRAPH;
  const routers = t.routers.map((r): ElementDefinition => ({ group: "nodes", data: { id: r.name, label: r.name }, ...(positions ? { position: { ...positions.get(r.name)! } } : {}) }));
  const hosts = t.hosts.flatMap((h, i): ElementDefinition[] => {
    const at = positions?.get(h.router);
    const angle = (i * 2.4) % (2 * Math.PI);
    return [
      { group: "nodes", data: { id: HOST_PREFIX + h.name, label: h.name }, classes: "host", ...(at ? { position: { x: at.x + 25 * Math.cos(angle), y: at.y + 25 * Math.sin(angle) } } : {}) },
      { group: "edges", data: { id: UPLINK_PREFIX + h.name, source: HOST_PREFIX + h.name, target: h.router }, classes: "uplink" },
    ];
  });
  const links = t.links.map((l): ElementDefinition => ({ group: "edges", data: { id: l.id, source: l.a, target: l.b }, ...(large ? { classes: "large" } : {}) }));
  return [...routers, ...hosts, ...links];
}

/** Draws the topology in `container` (by force even with coordinates when `force`); resolves once the graph is laid out and drawn. */
export function drawTopology(container: HTMLElement, t: Topology, force = false): Promise<GraphView> {
  const positions = force ? null : geographicPositions(t);
  const large = t.routers.length + t.links.length > LARGE_GRAPH;
  const cy: Core = cytoscape({
    container,
    elements: elementsOf(t, positions),
    style: STYLE,
    textureOnViewport: large,
    hideEdgesOnViewport: large,
    motionBlur: false,
    pixelRatio: large ? 1 : "auto",
    minZoom: 0.05,
    maxZoom: 8,
    boxSelectionEnabled: false,
    autoungrabify: large,
  });
  const view: GraphView = {
    layout: positions ? "geographic" : "force",
    setStates(v) {
      cy.batch(() => {
        for (const e of [...v.links.map((l) => ({ id: l.link, ...l })), ...v.nodes.map((n) => ({ id: n.kind === "host" ? HOST_PREFIX + n.node : n.node, ...n }))]) {
          const el = cy.getElementById(e.id);
          if (el.empty()) continue;
          el.removeClass("state-degraded state-down state-drained suspect");
          if (e.source === "operator") el.addClass("state-drained");
          else if (e.state !== "up") el.addClass(`state-${e.state}`);
          if (e.suspect) el.addClass("suspect");
        }
      });
    },
    mark(paths) {
      // The marked paths as text on the container too: the graph's facts are in the DOM.
      container.dataset.marked = paths.map((p) => `${p.role}${p.active ? " (active)" : ""}: ${p.nodes.join(">")}`).join("; ");
      cy.batch(() => {
        cy.elements().removeClass("path-primary path-backup path-active path-endpoint");
        // Backups first, so that a link on both shows as the primary's.
        for (const p of [...paths].sort((a, b) => (a.role === b.role ? 0 : a.role === "backup" ? -1 : 1))) {
          const cls = `path-${p.role}${p.active ? " path-active" : ""}`;
          for (const n of p.nodes) cy.getElementById(n).addClass(cls);
          for (const l of p.links) cy.getElementById(l).addClass(cls);
          for (const n of [p.nodes[0], p.nodes.at(-1)]) if (n !== undefined) cy.getElementById(n).addClass("path-endpoint");
        }
      });
    },
  };
  return new Promise((resolve) => {
    const layout = cy.layout(positions ? { name: "preset", fit: true, padding: 20 } : { name: "cose", animate: false, fit: true, padding: 30, randomize: false, numIter: large ? 300 : 1000 });
    // Drawn on the frame after the layout: resolved after that frame.
    layout.one("layoutstop", () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(view))));
    layout.run();
  });
}
