// What-if: the `cairn path` question in a form, answered in the browser by the path engine over the
// controller's topology (GetTopology) and drawn on the graph. Nothing is sent, nothing applied. By
// default it avoids what is down now (marked by liveliness or drained: ListLinks), as the controller
// does; unchecked, it answers over the topology as declared, like `cairn path` offline.
import type { Path, Topology } from "../../src/core/model.js";
import { OBJECTIVES, PROTECTIONS } from "../../src/core/model.js";
import { findPath } from "../../src/core/path-engine.js";
import { formatAnswer, pathQuery, type PathOptions } from "../../src/cli/path-query.js";
import { formatDurationUs, formatPercent } from "../../src/core/units.js";
import { el, show, table } from "./dom.js";
import type { MarkedPath } from "./graph.js";

/** Routers and links that are down now (the latest ListLinks). */
export interface DownNow {
  routers: string[];
  links: string[];
}

const TOPOLOGY_NAME = "the controller's topology";

const list = (text: string) => text.split(/[\s,]+/).filter((s) => s !== "");
const optional = (text: string) => (text.trim() === "" ? undefined : text.trim());

/** The form's fields as `cairn path` options (the same names, the same checks and messages); what is down now added to the avoided when asked. */
function optionsOf(form: HTMLFormElement, down: DownNow): PathOptions {
  const v = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  const avoidDown = (form.elements.namedItem("avoid-down") as HTMLInputElement).checked;
  const plus = (given: string[], more: string[]) => (avoidDown ? [...new Set([...given, ...more])] : given);
  const o: PathOptions = {
    topology: TOPOLOGY_NAME,
    from: v("from").trim(),
    to: v("to").trim(),
    objective: v("objective"),
    weight: [],
    avoidNode: plus(list(v("avoid-node")), down.routers),
    avoidLink: plus(list(v("avoid-link")), down.links),
    avoidSrlg: [],
    avoidRegion: list(v("avoid-region")),
    excludeAny: [],
    includeAny: [],
    includeAll: [],
    via: list(v("via")),
    protection: v("protection"),
  };
  const maxLatency = optional(v("max-latency"));
  const maxHops = optional(v("max-hops"));
  return { ...o, ...(maxLatency !== undefined ? { maxLatency } : {}), ...(maxHops !== undefined ? { maxHops } : {}) };
}

/** The command line that asks the same (for the record, and to run it offline). */
function commandLine(o: PathOptions): string {
  const parts = ["cairn path --topology FILE", `--from ${o.from}`, `--to ${o.to}`, `--objective ${o.objective}`];
  if (o.maxLatency) parts.push(`--max-latency ${o.maxLatency}`);
  if (o.maxHops) parts.push(`--max-hops ${o.maxHops}`);
  for (const n of o.avoidNode) parts.push(`--avoid-node ${n}`);
  for (const l of o.avoidLink) parts.push(`--avoid-link ${l}`);
  for (const r of o.avoidRegion) parts.push(`--avoid-region ${r}`);
  for (const v of o.via) parts.push(`--via ${v}`);
  if (o.protection && o.protection !== "none") parts.push(`--protection ${o.protection}`);
  return parts.join(" ");
}

function field(label: string, control: HTMLElement): HTMLElement {
  return el("label", {}, el("span", { text: label }), control);
}

export function buildWhatIfForm(container: HTMLElement, topology: () => Topology, downNow: () => DownNow, draw: (paths: MarkedPath[]) => void): void {
  const names = el("datalist", { id: "whatif-names" });
  const input = (name: string, placeholder = "") => el("input", { name, id: `whatif-${name}`, placeholder, list: name === "from" || name === "to" ? "whatif-names" : undefined, autocomplete: "off" });
  const select = (name: string, values: readonly string[], chosen: string) => el("select", { name, id: `whatif-${name}` }, ...values.map((v) => el("option", { value: v, text: v, selected: v === chosen })));
  const result = el("div", { id: "whatif-result", "aria-live": "polite" });
  const form = el(
    "form",
    { id: "whatif-form" },
    names,
    field("From (router or host)", input("from", "h1")),
    field("To (router or host)", input("to", "h2")),
    field("Objective", select("objective", OBJECTIVES.filter((o) => o !== "weighted"), "latency")),
    field("Max latency", input("max-latency", "e.g. 20ms")),
    field("Max hops", input("max-hops")),
    field("Avoid routers", input("avoid-node", "r3, r5")),
    field("Avoid links", input("avoid-link", "r2-r3")),
    field("Avoid regions", input("avoid-region")),
    field("Via", input("via")),
    field("Protection", select("protection", PROTECTIONS, "none")),
    el("label", {}, el("input", { type: "checkbox", name: "avoid-down", id: "whatif-avoid-down", checked: true }), el("span", { text: "Avoid what is down now (marked down or drained)" })),
    el("button", { type: "submit", id: "whatif-submit", text: "Find path" }),
    el("p", { class: "note", text: "Computed here, over the controller's topology: nothing is applied." }),
  );
  container.replaceChildren(form, result);
  form.addEventListener("focusin", () => {
    if (names.childElementCount > 0) return;
    const t = topology();
    names.append(...[...t.hosts.map((h) => h.name), ...t.routers.map((r) => r.name)].map((n) => el("option", { value: n })));
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const o = optionsOf(form, downNow());
    let query;
    try {
      query = pathQuery(topology(), o);
    } catch (e) {
      show(result, el("p", { class: "error", role: "alert", text: e instanceof Error ? e.message : String(e) }));
      return;
    }
    const answer = findPath(topology(), query);
    const rows: { role: "primary" | "backup"; path: Path }[] = answer.ok ? [{ role: "primary", path: answer.primary }, ...(answer.backup ? [{ role: "backup" as const, path: answer.backup }] : [])] : [];
    draw(rows.map((r) => ({ role: r.role, nodes: r.path.nodes, links: r.path.links, active: r.role === "primary" })));
    show(
      result,
      el("p", { class: "note" }, "Same as ", el("code", { text: commandLine(o) })),
      rows.length > 0
        ? table("What-if paths", [
            { header: "Path", cell: (r) => r.role, key: true },
            { header: "Routers", cell: (r) => r.path.nodes.join(" > ") },
            { header: "Segment list", cell: (r) => r.path.segments.map((s) => s.sid).join(", ") || "none (IGP path)" },
            { header: "Latency", cell: (r) => formatDurationUs(r.path.metrics.latencyUs) },
            { header: "IGP", cell: (r) => String(r.path.metrics.igp) },
            { header: "Hops", cell: (r) => String(r.path.metrics.hops) },
            { header: "Loss", cell: (r) => formatPercent(r.path.metrics.loss) },
          ], rows, (r) => ({ "data-role": r.role, "data-routers": r.path.nodes.join(">") }))
        : null,
      el("pre", { text: formatAnswer(query, answer, answer.ok ? answer.notes : []) }),
    );
  });
}
