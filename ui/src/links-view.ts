// Every link and node with its liveliness (ListLinks), as `cairn get links` shows them: the graph's
// colours in a table.
import type { ElementHealthView, LinksView } from "../../src/api/types.js";
import type { Topology } from "../../src/core/model.js";
import { show, table, type Column } from "./dom.js";

/** "drained" for an operator's mark; else the overlay's state. */
export function shownState(e: ElementHealthView): string {
  return e.source === "operator" ? "drained" : e.state;
}

function healthColumns<T extends ElementHealthView>(): Column<T>[] {
  return [
    { header: "State", cell: (e) => shownState(e) },
    { header: "Suspect", cell: (e) => (e.suspect ? `yes${e.unique ? " (unique)" : ""}, ${+(e.confidence * 100).toFixed(1)}%` : "-") },
    { header: "Since", cell: (e) => e.since },
    { header: "Probed paths down / degraded / up", cell: (e) => `${e.downPaths} / ${e.degradedPaths} / ${e.upPaths}` },
    { header: "Reported by", cell: (e) => e.reportedBy.join(", ") || "-" },
    { header: "Clears at", cell: (e) => e.clearsAt ?? "-" },
  ];
}

export function renderLinks(container: HTMLElement, v: LinksView, t: Topology): void {
  const ends = new Map(t.links.map((l) => [l.id, `${l.a} – ${l.b}`]));
  const links = table(
    `Links (${v.links.length}): state from fault localisation, or drained by an operator`,
    [{ header: "Link", cell: (l) => l.link, key: true }, { header: "Routers", cell: (l) => ends.get(l.link) ?? "" }, ...healthColumns()],
    v.links,
    (l) => ({ "data-link": l.link, "data-state": shownState(l), class: `state-${shownState(l)}` }),
  );
  const nodes = table(
    `Routers and hosts (${v.nodes.length})`,
    [{ header: "Node", cell: (n) => n.node, key: true }, { header: "Kind", cell: (n) => n.kind }, ...healthColumns()],
    v.nodes,
    (n) => ({ "data-node": n.node, "data-state": shownState(n), class: `state-${shownState(n)}` }),
  );
  show(container, links, nodes);
}
