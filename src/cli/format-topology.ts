// `cairn topology show` on a terminal: a summary line, import notes, then one table each of routers,
// hosts, links and services. Every row is printed (operators pipe to grep and less); columns that
// would be "-" on every row are left out, so that a Topology Zoo file's lines stay short.
import { escapeControls } from "../core/quote.js";
import type { TopologyView } from "../core/topology-view.js";
import type { LinkMetrics } from "../core/model.js";
import { formatDurationUs, formatPercent, formatRateBps, plural } from "../core/units.js";
import { shortened } from "./notes.js";
import { renderTable } from "./table.js";

interface Column<T> {
  header: string;
  cell: (row: T) => string;
  /** Left out when every cell is "-". */
  optional?: boolean;
}

function table<T>(rows: readonly T[], columns: Column<T>[]): string {
  // GraphML labels are free text: no control character reaches the terminal.
  const cells = rows.map((r) => columns.map((c) => escapeControls(c.cell(r))));
  const keep = columns.map((c, i) => !c.optional || cells.some((row) => row[i] !== "-"));
  const pick = <X>(xs: X[]) => xs.filter((_, i) => keep[i]);
  return renderTable(pick(columns.map((c) => c.header)), cells.map(pick));
}

const orDash = (v: string | number | undefined) => (v === undefined || v === "" ? "-" : String(v));
const list = (xs: readonly string[]) => (xs.length ? xs.join(",") : "-");
const nonZero = (v: number, format: (v: number) => string) => (v === 0 ? "-" : format(v));

/** A metric's cell: one value, or "a→b/b→a" where the two directions differ. */
const both = (f: (m: LinkMetrics) => string) => (l: LinkMetrics & { reverse?: LinkMetrics }): string => {
  const ab = f(l);
  const ba = l.reverse ? f(l.reverse) : ab;
  return ab === ba ? ab : `${ab}/${ba}`;
};

function section(title: string, count: number, body: string): string[] {
  if (count === 0) return [`${title}: none`];
  return [`${title}:`, ...body.split("\n").map((l) => `  ${l}`)];
}

export function formatTopology(file: string, format: "yaml" | "graphml", v: TopologyView, notes: readonly string[]): string {
  const kind = format === "graphml" ? "Topology Zoo GraphML" : "Cairn topology YAML";
  const counts = [plural(v.routers.length, "router"), plural(v.hosts.length, "host"), plural(v.links.length, "link")];
  if (v.services.length) counts.push(plural(v.services.length, "service"));
  const out = [`${file}: ${kind}, ${counts.join(", ")}`];
  if (notes.length) out.push("notes:", ...notes.map((n) => `  - ${shortened(n)}`));

  const graphml = v.routers.some((r) => r.graphml);
  out.push("", ...section("routers", v.routers.length, table(v.routers, [
    { header: "NAME", cell: (r) => r.name },
    { header: "LOCATOR", cell: (r) => r.locator },
    { header: "END SID", cell: (r) => r.endSid },
    { header: "REGION", cell: (r) => orDash(r.region), optional: true },
    { header: "MSD", cell: (r) => orDash(r.msd), optional: true },
    ...(graphml
      ? [
          { header: "NODE ID", cell: (r: TopologyView["routers"][number]) => orDash(r.graphml?.id) },
          // Only renamed routers (label#id) differ from their label.
          { header: "LABEL", cell: (r: TopologyView["routers"][number]) => (r.graphml && r.graphml.label !== r.name ? r.graphml.label || "(none)" : "-"), optional: true },
          { header: "LAT", cell: (r: TopologyView["routers"][number]) => orDash(r.graphml?.latitude) },
          { header: "LON", cell: (r: TopologyView["routers"][number]) => orDash(r.graphml?.longitude) },
        ]
      : []),
  ])));

  out.push("", ...section("hosts", v.hosts.length, table(v.hosts, [
    { header: "NAME", cell: (h) => h.name },
    { header: "ROUTER", cell: (h) => h.router },
    { header: "ADDRESS", cell: (h) => `${h.address}/${h.prefixLen}` },
    { header: "ADDRESS4", cell: (h) => (h.address4 !== undefined ? `${h.address4}/${h.prefixLen4}` : "-"), optional: true },
    { header: "END.DX4 SID", cell: (h) => orDash(h.dx4Sid), optional: true },
  ])));

  out.push("", ...section("links", v.links.length, table(v.links, [
    { header: "ID", cell: (l) => l.id },
    { header: "A", cell: (l) => l.a },
    { header: "B", cell: (l) => l.b },
    { header: "IGP", cell: both((m) => String(m.igp)) },
    { header: "TE", cell: both((m) => String(m.te)) },
    { header: "DELAY", cell: both((m) => formatDurationUs(m.delayUs)) },
    { header: "JITTER", cell: both((m) => nonZero(m.jitterUs, formatDurationUs)), optional: true },
    { header: "LOSS", cell: both((m) => nonZero(m.loss, formatPercent)), optional: true },
    { header: "BANDWIDTH", cell: both((m) => formatRateBps(m.bandwidthBps)) },
    { header: "UTIL", cell: both((m) => nonZero(m.utilization, formatPercent)), optional: true },
    { header: "COLORS", cell: (l) => list(l.colors), optional: true },
    { header: "SRLGS", cell: (l) => list(l.srlgs), optional: true },
    { header: "MTU", cell: (l) => String(l.mtu) },
    { header: "END.X SID A", cell: (l) => l.endXSids.a },
    { header: "END.X SID B", cell: (l) => l.endXSids.b },
  ])));

  if (v.links.some((l) => l.reverse)) out.push("  (X/Y: X from A to B, Y from B to A)");

  if (v.services.length) {
    const instances = v.services.flatMap((s) => s.instances.map((i) => ({ service: s.name, ...i })));
    out.push("", ...section("services", instances.length, table(instances, [
      { header: "SERVICE", cell: (i) => i.service },
      { header: "NODE", cell: (i) => i.node },
      { header: "SID", cell: (i) => i.sid },
      { header: "HEALTHY", cell: (i) => (i.healthy ? "yes" : "no") },
    ])));
  }
  return out.join("\n");
}
