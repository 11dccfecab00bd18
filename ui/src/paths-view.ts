// Paths: pick an intent or a host and see each of its rules' targets with their primary and backup
// on the graph (the active one marked), segment lists and metrics beside it; below, every host's
// rules with their state, active path and the version their agent acknowledged (ListPaths, as
// `cairn get paths` shows them).
import type { HostRule, RuleTarget } from "../../src/core/assignments.js";
import type { Path } from "../../src/core/model.js";
import type { HostPathsView, PathsView, RuleReportView } from "../../src/api/types.js";
import { matchText } from "../../src/cli/format-paths.js";
import { formatDurationUs, formatPercent } from "../../src/core/units.js";
import { el, show, table, type Column } from "./dom.js";
import type { GraphView, MarkedPath } from "./graph.js";

interface RuleRow {
  host: HostPathsView;
  rule: HostRule;
  report: RuleReportView | undefined;
}

interface TargetPathRow {
  row: RuleRow;
  target: RuleTarget;
  role: "primary" | "backup";
  path: Path;
  active: boolean;
}

/** "intent:NAME" or "host:NAME". */
type Selection = string;

export class PathsPanel {
  private paths: PathsView | null = null;
  private selection: Selection = "";

  constructor(
    private readonly picker: HTMLSelectElement,
    private readonly detail: HTMLElement,
    private readonly rulesTable: HTMLElement,
    private readonly graph: GraphView,
    /** Whether this view's paths are the ones on the graph (the what-if draws its own). */
    private readonly owns: () => boolean,
  ) {
    picker.addEventListener("change", () => {
      this.selection = picker.value;
      this.render();
    });
  }

  update(paths: PathsView): void {
    this.paths = paths;
    this.fillPicker(paths);
    this.render();
  }

  /** Puts this view's paths back on the graph (after the what-if drew its own). */
  redraw(): void {
    if (this.paths) this.graph.mark(this.selectedPaths().map(marked));
  }

  private fillPicker(p: PathsView): void {
    const intents = [...new Set(p.hosts.flatMap((h) => h.rules.map((r) => r.intent)))];
    const options = [...intents.map((i) => `intent:${i}`), ...p.hosts.filter((h) => h.rules.length > 0).map((h) => `host:${h.host}`)];
    if (!options.includes(this.selection)) this.selection = options[0] ?? "";
    const current = [...this.picker.options].map((o) => o.value);
    if (current.join("\n") !== options.join("\n")) {
      show(this.picker, ...options.map((o) => el("option", { value: o, text: o.replace(":", " ") })));
    }
    this.picker.value = this.selection;
  }

  private rows(): RuleRow[] {
    return (this.paths?.hosts ?? []).flatMap((host) => {
      const reports = new Map((host.report?.rules ?? []).map((r) => [r.key, r]));
      return host.rules.map((rule) => ({ host, rule, report: reports.get(rule.key) }));
    });
  }

  private selectedPaths(): TargetPathRow[] {
    const [kind, name] = [this.selection.slice(0, this.selection.indexOf(":")), this.selection.slice(this.selection.indexOf(":") + 1)];
    const chosen = this.rows().filter((r) => (kind === "intent" ? r.rule.intent === name : r.host.host === name));
    return chosen.flatMap((row) =>
      row.rule.targets.flatMap((target): TargetPathRow[] => {
        if (!target.result.ok) return [];
        const active = row.report?.active ?? "none";
        const primary: TargetPathRow = { row, target, role: "primary", path: target.result.path, active: active === "primary" };
        const backup: TargetPathRow[] = target.result.backup ? [{ row, target, role: "backup", path: target.result.backup, active: active === "backup" }] : [];
        return [primary, ...backup];
      }),
    );
  }

  private render(): void {
    const selected = this.selectedPaths();
    if (this.owns()) this.graph.mark(selected.map(marked));
    show(this.detail, selectedTable(this.selection, selected), ...infeasible(this.rows(), this.selection));
    show(this.rulesTable, rulesTable(this.rows()));
  }
}

function marked(p: TargetPathRow): MarkedPath {
  return { role: p.role, nodes: p.path.nodes, links: p.path.links, active: p.active };
}

const segmentsText = (p: Path) => p.segments.map((s) => `${s.sid} (${s.behavior} ${s.node})`).join(", ") || "none: the IGP takes this path (no SRH)";

function selectedTable(selection: Selection, rows: TargetPathRow[]): HTMLTableElement {
  const columns: Column<TargetPathRow>[] = [
    { header: "Rule", cell: (r) => `${r.row.host.host} ${r.row.rule.key}`, key: true },
    { header: "Target", cell: (r) => r.target.prefix },
    { header: "Path", cell: (r) => r.role },
    { header: "Active", cell: (r) => (r.active ? "active" : "") },
    { header: "Routers", cell: (r) => r.path.nodes.join(" > ") },
    { header: "Segment list", cell: (r) => segmentsText(r.path) },
    { header: "Latency", cell: (r) => formatDurationUs(r.path.metrics.latencyUs) },
    { header: "IGP", cell: (r) => String(r.path.metrics.igp) },
    { header: "Hops", cell: (r) => String(r.path.metrics.hops) },
    { header: "Loss", cell: (r) => formatPercent(r.path.metrics.loss) },
  ];
  return table(`Paths of ${selection.replace(":", " ") || "nothing"}: primary and backup, the active one marked`, columns, rows, (r) => ({
    "data-host": r.row.host.host,
    "data-rule": r.row.rule.key,
    "data-role": r.role,
    "data-active": String(r.active),
    "data-routers": r.path.nodes.join(">"),
    class: r.active ? "active" : undefined,
  }));
}

function infeasible(rows: RuleRow[], selection: Selection): HTMLElement[] {
  return rows
    .filter((r) => selection === `intent:${r.rule.intent}` || selection === `host:${r.host.host}`)
    .flatMap((r) => r.rule.targets.filter((t) => !t.result.ok).map((t) => el("p", { class: "note", text: `${r.host.host} ${r.rule.key} to ${t.prefix}: no path: ${t.result.ok ? "" : t.result.reason}` })));
}

function rulesTable(rows: RuleRow[]): HTMLTableElement {
  const pathOf = (r: RuleRow, role: "primary" | "backup") =>
    r.rule.targets
      .map((t) => (!t.result.ok ? "no path" : role === "primary" ? t.result.path.nodes.join(">") : (t.result.backup?.nodes.join(">") ?? "-")))
      .join("; ") || "-";
  const columns: Column<RuleRow>[] = [
    { header: "Host", cell: (r) => r.host.host, key: true },
    { header: "Rule", cell: (r) => r.rule.key },
    { header: "Match", cell: (r) => matchText(r.rule) },
    { header: "State", cell: (r) => (!r.host.report ? "no report" : (r.report?.state ?? "unreported")) },
    { header: "Active", cell: (r) => r.report?.active ?? "-" },
    { header: "Primary", cell: (r) => pathOf(r, "primary") },
    { header: "Backup", cell: (r) => pathOf(r, "backup") },
    { header: "Version (acknowledged)", cell: (r) => `v${r.host.version} (${r.host.report ? `v${r.host.report.appliedVersion}` : "none"})` },
    { header: "Steered packets", cell: (r) => String(r.report?.steeredPackets ?? "-") },
  ];
  return table("Every host's rules: state, active path, version and the version its agent acknowledged", columns, rows, (r) => ({
    "data-host": r.host.host,
    "data-rule": r.rule.key,
    "data-active": r.report?.active ?? "",
  }));
}
