// The live timeline of the controller's events (ListEvents, then WatchEvents): fault reports,
// localisations, overlay marks, recomputations, pushes, acknowledgements, intent and topology
// changes with who made them; each with its time, what it took and the event that caused it.
import type { EventView } from "../../src/api/types.js";
import { eventDetail, formatMs } from "../../src/cli/format-events.js";
import { el } from "./dom.js";

/** Rows kept in the page; older ones go (the controller's ring keeps its own). */
const KEPT = 500;

export class EventsTimeline {
  private readonly body: HTMLTableSectionElement;

  constructor(container: HTMLElement) {
    this.body = el("tbody");
    const head = el("tr", {}, ...["Time", "#", "Type", "What happened", "Took", "Caused by"].map((h) => el("th", { scope: "col", text: h })));
    container.replaceChildren(el("table", { id: "events-table" }, el("caption", { text: "Events, newest first (live)" }), el("thead", {}, head), this.body));
  }

  /** Forgets every event shown (another controller's). */
  clear(): void {
    this.body.replaceChildren();
  }

  /** Adds events (oldest first) at the top. */
  add(events: readonly EventView[]): void {
    const rows = events.map(row).reverse();
    this.body.prepend(...rows);
    while (this.body.rows.length > KEPT) this.body.deleteRow(-1);
  }
}

function row(e: EventView): HTMLTableRowElement {
  const time = new Date(e.at);
  const shown = Number.isNaN(time.getTime()) ? e.at : `${time.toLocaleTimeString([], { hour12: false })}.${String(time.getMilliseconds()).padStart(3, "0")}`;
  return el(
    "tr",
    { "data-seq": String(e.seq), "data-type": e.type, class: `event-${e.type}` },
    el("td", {}, el("time", { datetime: e.at, title: e.at, text: shown })),
    el("th", { scope: "row", text: `#${e.seq}` }),
    el("td", { text: e.type }),
    el("td", { text: eventDetail(e) }),
    el("td", { text: e.durationMs > 0 ? formatMs(e.durationMs) : e.type === "ack" ? formatMs(e.sinceCauseMs) : "" }),
    el("td", { text: e.cause > 0 ? `#${e.cause}` : "" }),
  );
}
