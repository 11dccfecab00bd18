// `cairn topology drain|undrain ELEMENT…`, `cairn topology set-metric LINK NAME=VALUE…` and
// `cairn topology revision`: an operator's changes to the controller's topology (ChangeTopology),
// based on the topology revision read just before (or --revision), and the revisions and changes in force.
import { Code } from "@connectrpc/connect";
import { ControllerCallError, createOperatorClient } from "../api/client.js";
import type { TopologyChangeRequest, LinkMetricsInput } from "../controller/topology-check.js";
import { parseDurationUs, parseRateBps, parseRatio, type UnitResult } from "../core/units.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";
import { EXIT_CONFLICT } from "./apply-command.js";
import { controllerTarget } from "./target.js";
import { formatTopologyChange, formatTopologyRevision } from "./format-topology-change.js";

export interface TopologyChangeOptions {
  config?: string;
  controller?: string;
  /** The topology revision the change is based on; default the current one, read just before. */
  revision?: number;
  reason?: string;
  /** set-metric: the values are measurements (delay, jitter, loss), not the operator's settings. */
  measured?: boolean;
  json?: boolean;
}

const whole = (t: string): UnitResult => (/^\d+$/.test(t) ? { ok: true, value: Number(t) } : { ok: false, reason: `"${t}" is not a whole number` });

/** NAME=VALUE of set-metric: the metric's field and how its value is written. */
const METRIC_ARGS: Record<string, { key: keyof LinkMetricsInput; parse: (t: string) => UnitResult; example: string; measured?: boolean }> = {
  igp: { key: "igp", parse: whole, example: "igp=20" },
  te: { key: "te", parse: whole, example: "te=20" },
  delay: { key: "delayUs", parse: parseDurationUs, example: "delay=5ms", measured: true },
  jitter: { key: "jitterUs", parse: parseDurationUs, example: "jitter=200us", measured: true },
  loss: { key: "loss", parse: (t) => parseRatio(t), example: "loss=0.5%", measured: true },
  bandwidth: { key: "bandwidthBps", parse: parseRateBps, example: "bandwidth=10Gbps" },
  utilization: { key: "utilization", parse: (t) => parseRatio(t), example: "utilization=40%" },
};

/** The change set-metric sends for `link` and its NAME=VALUE arguments; a CliError (bad input) naming every problem. */
export function metricChange(link: string, assignments: readonly string[], measured: boolean): TopologyChangeRequest {
  const allowed = Object.entries(METRIC_ARGS).filter(([, m]) => !measured || m.measured);
  const problems: string[] = [];
  const values: LinkMetricsInput = {};
  if (assignments.length === 0) problems.push(`give one or more of ${allowed.map(([, m]) => m.example).join(" ")}`);
  for (const a of assignments) {
    const eq = a.indexOf("=");
    const name = eq < 0 ? a : a.slice(0, eq);
    const spec = allowed.find(([n]) => n === name)?.[1];
    if (eq < 0 || !spec) {
      problems.push(`"${a}": expected NAME=VALUE with NAME one of ${allowed.map(([n]) => n).join(", ")}${measured ? " (--measured)" : ""}`);
      continue;
    }
    const r = spec.parse(a.slice(eq + 1));
    if (!r.ok) problems.push(`${name}: ${r.reason} (e.g. ${spec.example})`);
    else values[spec.key] = r.value;
  }
  if (problems.length > 0) throw new CliError(`set-metric ${link}:\n${problems.map((p) => `  ${p}`).join("\n")}`, EXIT_BAD_INPUT);
  return measured ? { kind: "measured", link, ...values } : { kind: "metrics", link, ...values };
}

export async function topologyChangeCommand(changes: TopologyChangeRequest[], o: TopologyChangeOptions): Promise<number> {
  const target = await controllerTarget(o);
  const client = createOperatorClient(target.url, { credentials: target.credentials });
  try {
    const baseRevision = o.revision ?? (await client.listLinks()).topologyRevision ?? 0;
    const r = await client.changeTopology({ baseRevision, changes, reason: o.reason ?? "" });
    console.log(o.json ? JSON.stringify(r, null, 2) : formatTopologyChange(r));
    return 0;
  } catch (e) {
    if (e instanceof ControllerCallError && e.code === Code.Aborted) throw new CliError(e.message, EXIT_CONFLICT);
    if (e instanceof ControllerCallError && e.code === Code.InvalidArgument) throw new CliError(e.message, EXIT_BAD_INPUT);
    throw e;
  } finally {
    client.close();
  }
}

export async function topologyRevisionCommand(o: { config?: string; controller?: string; json?: boolean }): Promise<void> {
  const target = await controllerTarget(o);
  const client = createOperatorClient(target.url, { credentials: target.credentials });
  try {
    const links = await client.listLinks();
    const view = { topologyRevision: links.topologyRevision ?? 0, intentsRevision: links.intentsRevision ?? 0, overrides: links.overrides ?? [] };
    console.log(o.json ? JSON.stringify(view, null, 2) : formatTopologyRevision(view));
  } finally {
    client.close();
  }
}
